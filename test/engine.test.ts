import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { before, describe, it } from "node:test";
import { jit, numpy as np, valueAndGrad } from "@jax-js/jax";
import {
  arrayFrom,
  keyFromSeed,
  normalSample,
  OwnedTree,
  splitKey,
  startEngine,
  takeValues,
} from "../src/engine/index.js";

/** jax-js keeps arrays in WebAssembly memory, which Node counts as `external`; its allocator
 * reuses freed blocks and never shrinks, so a leak shows as growth. */
const externalBytes = (): number => process.memoryUsage().external;

type Params = { w: np.Array; b: np.Array };

describe("engine", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("runs 10,000 jitted training steps without memory growth", () => {
    const inputs = arrayFrom(
      Array.from({ length: 32 * 8 }, (_, i) => Math.sin(i)),
      [32, 8],
      "float32",
    );
    const targets = arrayFrom(
      Array.from({ length: 32 }, (_, i) => Math.cos(i)),
      [32, 1],
      "float32",
    );
    const params = new OwnedTree<Params>({
      w: arrayFrom(
        Array.from({ length: 8 }, (_, i) => 0.1 * (i - 4)),
        [8, 1],
        "float32",
      ),
      b: arrayFrom([0], [1], "float32"),
    });
    const step = jit((p: Params, x: np.Array, y: np.Array) => {
      const lossOf = (q: Params): np.Array =>
        np.square(np.tanh(np.matmul(x.ref, q.w).add(q.b)).sub(y.ref)).mean();
      const [loss, g] = valueAndGrad(lossOf)({ w: p.w.ref, b: p.b.ref });
      x.dispose();
      y.dispose();
      return [{ w: p.w.sub(g.w.mul(0.05)), b: p.b.sub(g.b.mul(0.05)) }, loss] as [Params, np.Array];
    });
    let firstLoss = NaN;
    let lastLoss = NaN;
    let warmBytes = 0;
    for (let i = 0; i < 10_000; i++) {
      const [next, loss] = step(params.lend(), inputs.ref, targets.ref);
      params.replace(next);
      // read the loss now and then, as a progress display does (jax-js runs lazily until read)
      if (i % 100 === 0 || i === 9_999) {
        const value = takeValues(loss)[0] as number;
        if (i === 0) firstLoss = value;
        lastLoss = value;
      } else loss.dispose();
      if (i === 200) warmBytes = externalBytes();
    }
    const grownBytes = externalBytes() - warmBytes;
    assert.ok(lastLoss < firstLoss, `training made progress: ${firstLoss} -> ${lastLoss}`);
    assert.ok(grownBytes < 256 * 1024, `memory grew by ${grownBytes} bytes over 9,800 steps`);
    params.dispose();
    inputs.dispose();
    targets.dispose();
    step.dispose();
  });

  it("sees a deliberate leak with the same measurement", () => {
    const source = arrayFrom(
      Array.from({ length: 1024 }, (_, i) => i),
      [1024],
      "float32",
    );
    const before = externalBytes();
    const leaked: np.Array[] = [];
    for (let i = 0; i < 500; i++) leaked.push(np.exp(source.ref.mul(1e-3)));
    for (const array of leaked) takeValues(array.ref);
    const grown = externalBytes() - before;
    assert.ok(grown >= 500 * 4096, `a 2 MB leak should show; saw ${grown} bytes`);
    leaked.forEach((array) => array.dispose());
    source.dispose();
  });

  it("repeats random samples from a seed, in float32 and float64", () => {
    const draw = (seed: number): Float64Array =>
      takeValues(normalSample(keyFromSeed(seed), [5], "float64"));
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
    const sample = normalSample(keyFromSeed(1), [3], "float64");
    assert.equal(sample.dtype, "float64");
    sample.dispose();
    const [a, b] = splitKey(keyFromSeed(3), 2) as [np.Array, np.Array];
    const first = takeValues(normalSample(a, [4], "float32"));
    const second = takeValues(normalSample(b, [4], "float32"));
    assert.notDeepEqual(first, second);
  });

  it("rejects seeds that are not 32-bit unsigned integers", () => {
    assert.throws(() => keyFromSeed(-1), /seed must be an integer in \[0, 2\^32\), got -1/);
    assert.throws(() => keyFromSeed(1.5), /got 1.5/);
  });

  it("keeps float64 arithmetic exact where jax-js computes it natively (+, *, /, sqrt)", () => {
    const x = arrayFrom([1 / 3, 2 / 7], [2], "float64");
    const y = takeValues(np.sqrt(x.ref.mul(x.ref).add(x.div(3))));
    assert.equal(y[0], Math.sqrt((1 / 3) * (1 / 3) + 1 / 3 / 3));
    assert.equal(y[1], Math.sqrt((2 / 7) * (2 / 7) + 2 / 7 / 3));
  });

  it("names the problem when --device webgpu finds no adapter", { timeout: 60_000 }, (t) => {
    const script = `import { startEngine } from "./src/engine/index.ts";
try { await startEngine("webgpu"); console.log("STARTED"); } catch (e) { console.log(e.name + ": " + e.message); }`;
    const output = execFileSync(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    if (output.includes("STARTED")) {
      t.diagnostic(
        "a WebGPU adapter exists on this machine; the no-adapter message cannot be shown here",
      );
      return;
    }
    assert.match(output, /EngineError: --device webgpu: no WebGPU adapter was found/);
    assert.match(output, /Use --device wasm/);
  });
});
