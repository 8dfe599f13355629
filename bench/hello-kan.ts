/**
 * pykan's "hello KAN" wall time: `nonlin fit examples/hello-kan.yaml` in process, from data to the
 * last phase. Reference: pykan 29.2 s on 2 CPU threads
 * (REFERENCES.md §5); target ≤ 3 s.
 * Run: npx tsx bench/hello-kan.ts
 */
import { loadavg } from "node:os";
import { loadTask } from "../src/data/node/load-task.js";
import { jaxEngine } from "../src/train/jax-engine.js";
import { startEngine } from "../src/engine/index.js";
import { readFitConfig } from "../src/cli/fit.js";
import { chooseEvaluator } from "../src/train/fit-lbfgs.js";
import { buildModel, defaultLoss, runFit } from "../src/train/run-fit.js";

const PYKAN_SECONDS = 29.2;
await startEngine("wasm");
const { config } = readFitConfig("examples/hello-kan.yaml");
const loadBefore = loadavg()[0]!;
const started = performance.now();
const cpuStarted = process.cpuUsage();
const task = loadTask(config.task, "examples");
const { results } = await runFit(jaxEngine, config, task);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStarted);
for (const r of results)
  console.log(
    `phase ${r.phase + 1} ${r.kind.padEnd(7)} ${r.seconds.toFixed(2)} s  test rmse ${r.test.rmse!.toExponential(3)}`,
  );
console.log(
  `hello KAN: ${seconds.toFixed(2)} s (pykan ${PYKAN_SECONDS} s on 2 threads; ratio ${(seconds / PYKAN_SECONDS).toFixed(3)}; target 3 s)`,
);
const evaluator = chooseEvaluator(
  buildModel(config, task),
  task.train.rows,
  defaultLoss(config, task),
  "auto",
);
console.log(`L-BFGS objective evaluator: ${evaluator} (fit-lbfgs.ts "auto")`);
// on a shared machine the wall time includes waiting for a core; the process's CPU time does not
console.log(
  `CPU time ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (one thread: about the wall time on an idle machine); load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`,
);
