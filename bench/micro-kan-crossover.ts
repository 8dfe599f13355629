/**
 * Where the plain-TypeScript KAN objective (src/train/kan-fast) stops beating the jax-js one:
 * CPU time per evaluation (loss + gradient, full batch of 1000 rows) for growing KANs, with and
 * without pykan's penalty; "work" is rows × edges × (order+1), the quantity fit-lbfgs.ts's "auto"
 * compares with PLAIN_KAN_MAX_WORK. Run: node --import tsx bench/micro-kan-crossover.ts [--large: only the two largest]
 */
import { arrayFrom, disposeTree, keyFromSeed, startEngine } from "../src/engine/index.js";
import type { LayerSpec } from "../src/nn/model.js";
import { Model, splitState } from "../src/nn/model.js";
import { FlatLayout } from "../src/train/flat.js";
import { PLAIN_KAN_MAX_WORK } from "../src/train/fit-lbfgs.js";
import { PlainKanObjective } from "../src/train/kan-fast/kan-objective.js";
import { plainKanWork } from "../src/nn/kan/plain/support.js";
import { makeFlatObjective, PYKAN_PENALTY } from "../src/train/objective.js";

await startEngine("wasm");
const rows = 1000;
/** CPU milliseconds per call of f, over enough calls to fill ~0.5 s after warming up. */
function cpuPerCall(f: () => void): number {
  for (let i = 0; i < 3; i++) f();
  let calls = 0;
  const started = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < 500) {
    f();
    calls++;
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000 / calls;
}
console.log(`auto picks plain up to work ${PLAIN_KAN_MAX_WORK.toExponential(1)}`);
const only = process.argv.includes("--large");
for (const [inputs, hidden] of [
  [2, 5],
  [4, 16],
  [8, 32],
  [16, 64],
  [32, 64],
  [64, 128],
  [128, 256],
] as const) {
  if (only && inputs < 64) continue;
  const specs: LayerSpec[] = [
    { type: "kan", units: hidden },
    { type: "kan", units: 1 },
  ];
  const model = new Model(specs, [inputs], "float64");
  const { params, buffers } = splitState(model.init(keyFromSeed(1)));
  const layout = new FlatLayout(params);
  const flat = layout.flatten(params);
  disposeTree(params);
  const xv = Float64Array.from({ length: rows * inputs }, (_, i) => Math.sin(i * 1.7));
  const yv = Float64Array.from({ length: rows }, (_, i) => Math.cos(i));
  const x = arrayFrom(xv, [rows, inputs], "float64");
  const y = arrayFrom(yv, [rows, 1], "float64");
  const parts: string[] = [];
  for (const lambda of [0, 1e-3]) {
    const penalty = { ...PYKAN_PENALTY, lambda };
    const plain = new PlainKanObjective(model, layout, buffers, xv, yv, penalty);
    const jax = makeFlatObjective(model, layout, buffers, x, y, "mse", penalty);
    const p = cpuPerCall(() => void plain.evaluate(flat));
    const j = cpuPerCall(() => void jax(flat));
    jax.dispose();
    parts.push(`λ=${lambda}: plain ${p.toFixed(2)} ms, jax ${j.toFixed(2)} ms`);
  }
  console.log(
    `KAN [${inputs}, ${hidden}, 1] work ${plainKanWork(model, rows).toExponential(1)}  ${parts.join("; ")}`,
  );
  x.dispose();
  y.dispose();
}
