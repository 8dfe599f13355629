/**
 * KAN [1000→1000→1] vs an MLP of equal parameters, batch 100, forward and forward+backward, on
 * the same engine (efficient-kan's benchmark, REFERENCES.md §5: ratio 2.72 on 2 CPU threads,
 * 5.22 on an H100). KAN: grid 5, order 3 (efficient-kan's defaults). The MLP's hidden width is
 * solved so that its parameter count matches the KAN's.
 * Run: npx tsx bench/kan-vs-mlp.ts [--device wasm|webgpu]
 */
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

function timeModel(model: Model): { forward: number; step: number } {
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
  const measure = (run: () => void): number => {
    for (let i = 0; i < 3; i++) run();
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      run();
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b)[5]!;
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
const k = timeModel(kan);
const m = timeModel(mlp);
console.log(
  `device ${device}; KAN params ${kan.paramCount()}, MLP hidden ${width} params ${mlp.paramCount()}`,
);
console.log(`KAN  forward ${k.forward.toFixed(1)} ms, forward+backward ${k.step.toFixed(1)} ms`);
console.log(`MLP  forward ${m.forward.toFixed(1)} ms, forward+backward ${m.step.toFixed(1)} ms`);
console.log(
  `ratio (fwd+bwd) KAN/MLP ${(k.step / m.step).toFixed(2)} (efficient-kan: 2.72 on 2 CPU threads, 5.22 on an H100; target ≤ 2.7)`,
);
