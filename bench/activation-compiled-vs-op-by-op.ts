/**
 * How long the compiled (jitted, fused) form of a zoo activation takes on 10⁶ inputs, forward and
 * forward+backward, against the same composition run op by op (each primitive its own kernel).
 *
 *   npm run bench:activation [-- --dtype float64 --device wasm --n 1000000]
 */
import { grad, jit, numpy as np } from "@jax-js/jax";
import { arrayFrom, parseDeviceName, startEngine } from "../src/engine/index.js";
import type { FloatDType } from "../src/engine/index.js";
import { buildActivationFn, initParams } from "../src/expr/compile.js";
import { resolveActivation } from "../src/zoo/index.js";

const NAMES = ["relu", "gelu", "swish", "mish", "crrelu", "rational"];
const REPEATS = 5;

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

async function medianMs(run: () => Promise<void>): Promise<number> {
  await run(); // warm-up: tracing and kernel compilation are not timed
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(REPEATS / 2)] as number;
}

const dtype = option("dtype", "float32") as FloatDType;
const count = Number(option("n", "1000000"));
const device = await startEngine(parseDeviceName(option("device", "wasm")));
const input = arrayFrom(
  Array.from({ length: count }, (_, i) => -6 + (12 * i) / count),
  [count / 1000, 1000],
  dtype,
);

console.log(
  `activation on ${count} inputs, ${dtype}, device ${device}; median of ${REPEATS} runs after a warm-up`,
);
console.log("name       forward: compiled  op-by-op  ratio | fwd+bwd: compiled  op-by-op  ratio");
for (const name of NAMES) {
  const { activation } = resolveActivation(name);
  const opByOp = buildActivationFn(activation, dtype);
  const forwardCompiled = jit(opByOp);
  const lossOf = (fn: typeof opByOp) => (x: np.Array) =>
    fn(x, initParams(activation, [1000], dtype)).sum();
  const backwardOpByOp = grad(lossOf(opByOp));
  const backwardCompiled = jit(grad(lossOf(opByOp)));
  // time until the result is computed, without copying it out
  const time = (fn: (x: np.Array) => np.Array): Promise<number> =>
    medianMs(async () => {
      const result = await fn(input.ref).blockUntilReady();
      result.dispose();
    });
  const forward = [
    await time((x) => forwardCompiled(x, initParams(activation, [1000], dtype))),
    await time((x) => opByOp(x, initParams(activation, [1000], dtype))),
  ];
  const both = [await time(backwardCompiled), await time(backwardOpByOp)];
  const row = (pair: number[]): string =>
    `${(pair[0] as number).toFixed(1).padStart(8)} ms ${(pair[1] as number).toFixed(1).padStart(7)} ms ${((pair[1] as number) / (pair[0] as number)).toFixed(1).padStart(5)}x`;
  console.log(`${name.padEnd(10)} ${row(forward)} | ${row(both)}`);
  forwardCompiled.dispose();
  backwardCompiled.dispose();
}
input.dispose();
