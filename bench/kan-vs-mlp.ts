/**
 * KAN [1000→1000→1] vs an MLP of equal parameters, batch 100, forward and forward+backward, on
 * the same engine (efficient-kan's benchmark, REFERENCES.md §5: ratio 2.72 on 2 CPU threads,
 * 5.22 on an H100). KAN: grid 5, order 3 (efficient-kan's defaults). The MLP's hidden width is
 * solved so that its parameter count matches the KAN's (1000 → 9990 → 1: not a multiple of 4,
 * the shape that needs dense.ts's matmul split — see bench/micro-matmul.ts). Each figure: min and
 * median of 10 timed runs after 3 warm-ups; the machine's load average is printed alongside, as
 * other processes on a shared machine slow the runs down.
 * Run: npx tsx bench/kan-vs-mlp.ts [--device wasm|webgpu]
 */
import { loadavg } from "node:os";
import { jit, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import {
  arrayFrom,
  borrowTree,
  keyFromSeed,
  parseDeviceName,
  startEngine,
} from "../src/engine/index.js";
import type { LayerSpec } from "../src/nn/model.js";
import { Model, splitState, joinState } from "../src/nn/model.js";
import { solveWidth } from "../src/nn/width.js";

const device = parseDeviceName(
  process.argv.includes("--device") ? process.argv[process.argv.indexOf("--device") + 1]! : "wasm",
);
await startEngine(device);
const batch = 100;
const kanSpecs: LayerSpec[] = [
  { type: "kan", units: 1000, grid_size: 5 },
  { type: "kan", units: 1, grid_size: 5 },
];
const kan = new Model(kanSpecs, [1000], "float32");
const mlpSpecs = (width: number): LayerSpec[] => [
  { type: "dense", units: width, activation: "relu" },
  { type: "dense", units: 1 },
];
const width = solveWidth(
  (w) => new Model(mlpSpecs(w), [1000], "float32").paramCount(),
  kan.paramCount(),
);
const mlp = new Model(mlpSpecs(width), [1000], "float32");

interface Timing {
  min: number;
  median: number;
}

function timeModel(model: Model): { forward: Timing; step: Timing } {
  const { params, buffers } = splitState(model.init(keyFromSeed(0)));
  const x = arrayFrom(
    Float64Array.from({ length: batch * 1000 }, (_, i) => Math.sin(i)),
    [batch, 1000],
    "float32",
  );
  const forward = jit((p: typeof params, b: typeof buffers, input: np.Array) =>
    model.apply(joinState(p, b), input).sum(),
  );
  const step = jit((p: typeof params, b: typeof buffers, input: np.Array) =>
    valueAndGrad((q: typeof params) => model.apply(joinState(q, b), input).sum())(p),
  );
  const measure = (run: () => void): Timing => {
    for (let i = 0; i < 3; i++) run();
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      run();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { min: times[0]!, median: (times[4]! + times[5]!) / 2 };
  };
  return {
    forward: measure(() => void forward(borrowTree(params), borrowTree(buffers), x.ref).dataSync()),
    step: measure(() => {
      const [value, grads] = step(borrowTree(params), borrowTree(buffers), x.ref);
      value.dataSync();
      for (const leaf of tree.leaves(grads)) leaf.dataSync();
    }),
  };
}
const loadBefore = loadavg()[0]!;
const k = timeModel(kan);
const m = timeModel(mlp);
const show = (t: Timing): string => `min ${t.min.toFixed(1)} ms, median ${t.median.toFixed(1)} ms`;
console.log(
  `device ${device}; KAN params ${kan.paramCount()}, MLP hidden ${width} params ${mlp.paramCount()}`,
);
console.log(`KAN  forward ${show(k.forward)}; forward+backward ${show(k.step)}`);
console.log(`MLP  forward ${show(m.forward)}; forward+backward ${show(m.step)}`);
console.log(
  `ratio (fwd+bwd) KAN/MLP: ${(k.step.min / m.step.min).toFixed(2)} (min), ${(k.step.median / m.step.median).toFixed(2)} (median) (efficient-kan: 2.72 on 2 CPU threads, 5.22 on an H100; target ≤ 2.7)`,
);
console.log(
  `load average (1 min) ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`,
);
