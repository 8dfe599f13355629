/**
 * CPU time of the plain-TypeScript KAN objective (src/train/kan-fast) along a real L-BFGS path:
 * hello KAN's model and data, phase 1's penalty, the parameter vectors of the first 10 L-BFGS steps
 * replayed. Min of 7 repetitions of per-evaluation CPU time (robust on a shared machine).
 * Run: node --import tsx bench/micro-kan-fast-eval.ts
 */
import { readFitConfig } from "../src/cli/fit.js";
import { loadTask } from "../src/data/node/load-task.js";
import { disposeTree, keyFromSeed, startEngine } from "../src/engine/index.js";
import { Model, splitState } from "../src/nn/model.js";
import { FlatLayout } from "../src/train/flat.js";
import { PlainKanObjective } from "../src/train/kan-fast/kan-objective.js";
import { Lbfgs } from "../src/train/lbfgs.js";
import { PYKAN_PENALTY } from "../src/train/objective.js";

await startEngine("wasm");
const { config } = readFitConfig("examples/hello-kan.yaml");
const task = loadTask(config.task, "examples");
const model = new Model(config.model.layers, [task.inputs], "float64");
const { params, buffers } = splitState(model.init(keyFromSeed(config.model.seed)));
const layout = new FlatLayout(params);
const start = layout.flatten(params);
disposeTree(params);
for (const lambda of [1e-3, 0]) {
  const objective = new PlainKanObjective(model, layout, buffers, task.train.x, task.train.y, {
    ...PYKAN_PENALTY,
    lambda,
  });
  const path: Float64Array[] = [];
  const optimiser = new Lbfgs((v) => {
    path.push(Float64Array.from(v));
    return objective.evaluate(v);
  }, start);
  for (let s = 0; s < 10; s++) await optimiser.step();
  let best = Infinity;
  for (let r = 0; r < 7; r++) {
    const used = process.cpuUsage();
    for (const v of path) objective.evaluate(v);
    const cpu = process.cpuUsage(used);
    best = Math.min(best, (cpu.user + cpu.system) / 1000 / path.length);
  }
  console.log(
    `λ=${lambda}: ${path.length} evaluations along the L-BFGS path, min CPU ${best.toFixed(3)} ms per evaluation`,
  );
}
