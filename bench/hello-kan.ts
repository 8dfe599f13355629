/**
 * pykan's "hello KAN" wall time: `nonlin fit examples/hello-kan.yaml` in process, from data to the
 * last phase. Reference: pykan 29.2 s on 2 CPU threads (REFERENCES.md §5); target ≤ 3 s.
 * Run: npx tsx bench/hello-kan.ts
 */
import { loadTask } from "../src/data/task-spec.js";
import { startEngine } from "../src/engine/index.js";
import { readFitConfig } from "../src/cli/fit.js";
import { runFit } from "../src/train/run-fit.js";

const PYKAN_SECONDS = 29.2;
await startEngine("wasm");
const { config } = readFitConfig("examples/hello-kan.yaml");
const started = performance.now();
const { results } = runFit(config, loadTask(config.task, "examples"));
const seconds = (performance.now() - started) / 1000;
for (const r of results)
  console.log(
    `phase ${r.phase + 1} ${r.kind.padEnd(7)} ${r.seconds.toFixed(2)} s  test rmse ${r.test.rmse!.toExponential(3)}`,
  );
console.log(
  `hello KAN: ${seconds.toFixed(2)} s (pykan ${PYKAN_SECONDS} s on 2 threads; ratio ${(seconds / PYKAN_SECONDS).toFixed(3)}; target 3 s)`,
);
