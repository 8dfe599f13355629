/**
 * Where one objective evaluation of pykan's hello KAN goes, on the jax-js path: the fixed cost of
 * a trivial jitted call, the no-gradient "prepare" call, the value-and-gradient call, the read-out
 * (dataSync) and the JS side of L-BFGS; plus jitted calls and kernels per evaluation.
 * Run: node --import tsx bench/micro-hello-kan-profile.ts
 */
import { jit, numpy as np, setDebug, tree, valueAndGrad } from "@jax-js/jax";
import { readFitConfig } from "../src/cli/fit.js";
import { loadTask } from "../src/data/node/load-task.js";
import {
  arrayFrom,
  borrowTree,
  disposeTree,
  keyFromSeed,
  startEngine,
  takeValues,
} from "../src/engine/index.js";
import type { ArrayRecord } from "../src/nn/layer.js";
import { joinState, Model, splitState } from "../src/nn/model.js";
import { FlatLayout } from "../src/train/flat.js";
import { Lbfgs } from "../src/train/lbfgs.js";
import { PlainKanObjective } from "../src/train/kan-fast/kan-objective.js";
import { forwardWithPenalty, makeFlatObjective, PYKAN_PENALTY } from "../src/train/objective.js";
import { lossFunction } from "../src/train/loss.js";

await startEngine("wasm");
const { config } = readFitConfig("examples/hello-kan.yaml");
const task = loadTask(config.task, "examples");
const model = new Model(config.model.layers, [task.inputs], "float64");
const { params, buffers } = splitState(model.init(keyFromSeed(config.model.seed)));
const layout = new FlatLayout(params);
const flat0 = layout.flatten(params);
disposeTree(params);
const rows = task.train.rows;
const x = arrayFrom(task.train.x, [rows, task.inputs], "float64");
const y = arrayFrom(task.train.y, [rows, 1], "float64");

/** min and median of `repeats` timings (ms) of run(), after `warm` untimed runs. */
function time(run: () => void, repeats = 40, warm = 5): { min: number; median: number } {
  for (let i = 0; i < warm; i++) run();
  const t: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    run();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { min: t[0]!, median: t[Math.floor(t.length / 2)]! };
}
const show = (name: string, r: { min: number; median: number }): void =>
  console.log(`${name.padEnd(52)} min ${r.min.toFixed(3)} ms  median ${r.median.toFixed(3)} ms`);

// 1. fixed overhead of a trivial jitted call (one tiny kernel), with and without reading it
const trivial = jit((a: np.Array) => a.add(1));
const one = np.zeros([1], { dtype: np.float64 });
show(
  "trivial jit call + dataSync",
  time(() => void trivial(one.ref).dataSync(), 200),
);
show(
  "trivial jit call, 10 chained, one dataSync",
  time(() => {
    let a = trivial(one.ref);
    for (let i = 0; i < 9; i++) a = trivial(a);
    a.dataSync();
  }, 100),
);
show(
  "arrayFrom(120 values) + dataSync",
  time(() => void arrayFrom(flat0, [layout.size], "float64").dataSync(), 200),
);

// 2. the two calls of the objective, as makeFlatObjective builds them (phase 1: λ = 1e-3)
for (const lambda of [1e-3, 0]) {
  const penalty = { ...PYKAN_PENALTY, lambda };
  const dataLoss = lossFunction("mse");
  let traces = 0;
  const prepare = jit((flat: np.Array, b: ArrayRecord[], input: np.Array) => {
    traces++;
    const state = joinState(layout.slice(flat), b);
    flat.dispose();
    return model.prepare(state, input);
  });
  const lossAndGrad = jit(
    (flat: np.Array, b: ArrayRecord[], input: np.Array, target: np.Array, p: np.Array[][]) => {
      traces++;
      const objective = (q: np.Array): np.Array => {
        const state = joinState(layout.slice(q), b);
        q.dispose();
        const { output, penalty: reg } = forwardWithPenalty(model, state, input, p, penalty);
        const value = dataLoss(output, target);
        return reg ? value.add(reg) : value;
      };
      const [value, grad] = valueAndGrad(objective)(flat);
      return np.concatenate([value.reshape([1]), grad]);
    },
  );
  // count kernels: jax-js prints each compiled program at debug level 4
  const printed: string[] = [];
  const info = console.info;
  console.info = (...args: unknown[]) => void printed.push(args.join(" "));
  setDebug(4);
  const flat = arrayFrom(flat0, [layout.size], "float64");
  const prepared = prepare(flat.ref, borrowTree(buffers), x.ref) as np.Array[][];
  takeValues(lossAndGrad(flat.ref, borrowTree(buffers), x.ref, y.ref, prepared));
  setDebug(0);
  console.info = info;
  const programs = printed.filter((p) => p.includes("steps ="));
  const kernels = programs.map((p) => (p.match(/, kernel/g) ?? []).length);
  const routines = programs.map((p) => (p.match(/, routine/g) ?? []).length);
  console.log(
    `λ=${lambda}: compiled programs ${programs.length}; kernels per program [${kernels.join(", ")}], routines [${routines.join(", ")}]`,
  );
  show(
    `λ=${lambda} prepare call + dataSync of its outputs`,
    time(() => {
      const p = prepare(flat.ref, borrowTree(buffers), x.ref) as np.Array[][];
      for (const leaf of tree.leaves(p)) leaf.dataSync();
    }),
  );
  const held = prepare(flat.ref, borrowTree(buffers), x.ref) as np.Array[][];
  const sizes = tree.leaves(held).map((leaf) => leaf.size);
  for (const leaf of tree.leaves(held)) takeValues(leaf.ref);
  show(
    `λ=${lambda} dataSync of ${sizes.join("+")} values`,
    time(() => {
      for (const n of sizes) arrayFrom(new Float64Array(n), [n], "float64").dataSync();
    }),
  );
  show(
    `λ=${lambda} valueAndGrad call + dataSync (121 values)`,
    time(
      () =>
        void lossAndGrad(flat.ref, borrowTree(buffers), x.ref, y.ref, borrowTree(held)).dataSync(),
    ),
  );
  const result = lossAndGrad(flat.ref, borrowTree(buffers), x.ref, y.ref, borrowTree(held));
  takeValues(result.ref);
  show(
    `λ=${lambda} read-out of ${layout.size + 1} values (dataSync)`,
    time(() => void takeValues(result.ref)),
  );
  result.dispose();
  disposeTree(held);
  const tracesBefore = traces;
  const objective = makeFlatObjective(model, layout, buffers, x, y, "mse", penalty);
  show(
    `λ=${lambda} whole evaluation (makeFlatObjective)`,
    time(() => void objective(flat0)),
  );
  console.log(`λ=${lambda}: traces by 2 + 40 timed calls: ${traces - tracesBefore} (cache hits)`);
  // JS side of L-BFGS: a step's time less its objective time
  let inObjective = 0;
  const timed = (v: Float64Array) => {
    const t0 = performance.now();
    const e = objective(v);
    inObjective += performance.now() - t0;
    return e;
  };
  const optimiser = new Lbfgs(timed, flat0);
  const t0 = performance.now();
  for (let s = 0; s < 5; s++) await optimiser.step();
  const total = performance.now() - t0;
  console.log(
    `λ=${lambda}: 5 L-BFGS steps ${total.toFixed(0)} ms, ${optimiser.evaluations} evaluations, ${(
      total / optimiser.evaluations
    ).toFixed(
      3,
    )} ms per evaluation, of which L-BFGS JS ${((total - inObjective) / optimiser.evaluations).toFixed(3)} ms`,
  );
  objective.dispose();
  flat.dispose();
  prepare.dispose();
  lossAndGrad.dispose();
}

// 3. the plain-TypeScript evaluator (src/train/kan-fast) on the same model and data
for (const lambda of [1e-3, 0]) {
  const plain = new PlainKanObjective(model, layout, buffers, task.train.x, task.train.y, {
    ...PYKAN_PENALTY,
    lambda,
  });
  show(
    `λ=${lambda} plain-TS evaluation`,
    time(() => void plain.evaluate(flat0), 200, 20),
  );
  show(
    `λ=${lambda} plain-TS objective construction (per grid update)`,
    time(
      () =>
        void new PlainKanObjective(model, layout, buffers, task.train.x, task.train.y, {
          ...PYKAN_PENALTY,
          lambda,
        }),
      20,
    ),
  );
  let inObjective = 0;
  const timed = (v: Float64Array) => {
    const t0 = performance.now();
    const e = plain.evaluate(v);
    inObjective += performance.now() - t0;
    return e;
  };
  const optimiser = new Lbfgs(timed, flat0);
  const t0 = performance.now();
  for (let s = 0; s < 10; s++) await optimiser.step();
  const total = performance.now() - t0;
  console.log(
    `λ=${lambda}: 10 plain L-BFGS steps ${total.toFixed(0)} ms, ${optimiser.evaluations} evaluations, ${(
      total / optimiser.evaluations
    ).toFixed(
      3,
    )} ms per evaluation, of which L-BFGS JS ${((total - inObjective) / optimiser.evaluations).toFixed(3)} ms`,
  );
}
