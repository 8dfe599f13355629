/**
 * pykan's "hello KAN" wall time: `nonlin fit examples/hello-kan.yaml` in process, from data to the
 * last phase. Reference: pykan 29.2 s on 2 CPU threads
 * (REFERENCES.md §5); target ≤ 3 s.
 * Run: npx tsx bench/hello-kan.ts
 * With `--reference DIR [--repeat N]` (another checkout, e.g. the previous commit in a git
 * worktree): this script runs N times in each checkout, alternating, each in a fresh process,
 * and prints the medians of wall and CPU time and their ratios this / reference.
 */
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { loadTask } from "../src/data/node/load-task.js";
import { jaxEngine } from "../src/train/jax-engine.js";
import { startEngine } from "../src/engine/index.js";
import { readFitConfig } from "../src/cli/fit.js";
import { chooseEvaluator } from "../src/train/fit-lbfgs.js";
import { buildModel, defaultLoss, runFit } from "../src/train/run-fit.js";

const PYKAN_SECONDS = 29.2;
const referenceAt = process.argv.indexOf("--reference");
if (referenceAt > 0) {
  const trees = {
    this: join(import.meta.dirname, ".."),
    reference: process.argv[referenceAt + 1]!,
  };
  const repeatAt = process.argv.indexOf("--repeat");
  const repeat = repeatAt > 0 ? Number(process.argv[repeatAt + 1]) : 5;
  const times: Record<string, { wall: number[]; cpu: number[] }> = {};
  for (let r = 0; r < repeat; r++)
    for (const tree of r % 2 === 0 ? ["this", "reference"] : ["reference", "this"]) {
      const root = trees[tree as keyof typeof trees];
      const child = spawnSync(process.execPath, ["--import", "tsx", "bench/hello-kan.ts"], {
        cwd: root,
        encoding: "utf8",
      });
      if (child.status !== 0) throw new Error(`${tree}: hello KAN failed: ${child.stderr}`);
      const wall = Number(/hello KAN: ([\d.]+) s/.exec(child.stdout)?.[1]);
      const cpu = Number(/CPU time ([\d.]+) s/.exec(child.stdout)?.[1]);
      const entry = (times[tree] ??= { wall: [], cpu: [] });
      entry.wall.push(wall);
      entry.cpu.push(cpu);
      console.log(`  ${tree}: ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU`);
    }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  for (const kind of ["wall", "cpu"] as const) {
    const here = median(times.this![kind]);
    const there = median(times.reference![kind]);
    console.log(
      `hello KAN ${kind}, median of ${repeat}: reference ${there.toFixed(2)} s, this ${here.toFixed(2)} s = ${(here / there).toFixed(3)}x`,
    );
  }
  process.exit(0);
}
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
    `phase ${r.phase + 1} ${r.kind.padEnd(7)} ${r.seconds.toFixed(2)} s  test rmse ${r.test!.rmse!.toExponential(3)}`,
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
