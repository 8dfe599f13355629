/**
 * Trials per minute on the local worker pool: a search's own trials — the fitness trials of the
 * quick search preset (2 tasks × 2 seeds per candidate) for 6 zoo activations, 24 trials — on a
 * pool of 1 and of 2 worker processes. Each pool runs the set once cold (process start, engine
 * start, jit compiles included), then `--repeat` times warm; the ratio of the median warm rates is
 * the scaling. Issue target: 2 workers ≥ 1.7x one worker on 2 cores.
 *
 * Reference measured in the same run: the machine's own scaling for floating-point work with no
 * nonlin code — a float64 loop over a 64 KB array (cache-resident, like a small trial's working
 * set) in one process, then in two at once. Where two cores do not give twice the floating-point
 * throughput (shared SMT cores, a hypervisor's vCPUs, turbo), no pool can beat this ratio; the
 * pool's share of it is what the pool controls.
 *
 * "busy" is the share of worker time spent inside trials (dispatch gaps lower it), "trial" the mean
 * duration of one trial, "CPU per trial" the work one trial costs, "cores used" how much CPU the
 * workers got. Pin the run to chosen cores with taskset (availableParallelism follows the mask).
 * Run: node --import tsx bench/pool-throughput.ts [--repeat N]
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { planBench } from "../src/bench/plan.js";
import { jobsOf } from "../src/exec/job.js";
import { PoolExecutor } from "../src/exec/pool.js";
import { parseSearchConfig } from "../src/search/config.js";
import { activationModel, fitnessConfigs } from "../src/search/fitness.js";
import { searchPreset } from "../src/search/presets.js";
import { controlSeconds } from "./machine-control.js";

const TARGET = 1.7;
const repeatAt = process.argv.indexOf("--repeat");
const REPEAT = repeatAt > 0 ? Number(process.argv[repeatAt + 1]) : 3;
const search = parseSearchConfig(searchPreset("quick"));
const jobs = ["relu", "tanh", "gelu", "silu", "elu", "softplus"].flatMap((activation) =>
  fitnessConfigs(search, activation, activationModel(activation)).flatMap((config) =>
    jobsOf(planBench(config)),
  ),
);

interface Timing {
  seconds: number;
  /** Sum of trial durations (dispatch to result, as the pool sees them). */
  inTrials: number;
  /** CPU seconds the worker processes used (Linux /proc; NaN elsewhere). */
  cpu: number;
}

/** User + system CPU seconds of processes so far, from /proc/PID/stat (clock ticks of 1/100 s). */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    } catch {
      return NaN;
    }
  }
  return ticks / 100;
}

async function timedRun(pool: PoolExecutor): Promise<Timing> {
  const cpuBefore = cpuSeconds(pool.pids);
  const started = performance.now();
  const startedAt = new Map<string, number>();
  let inTrials = 0;
  let failed = 0;
  await pool.run(jobs, {
    onStart: (job) => void startedAt.set(job.id, performance.now()),
    onResult(outcome) {
      if (outcome.error) failed++;
      inTrials += (performance.now() - startedAt.get(outcome.job.id)!) / 1000;
    },
  });
  if (failed > 0) throw new Error(`${failed} trial(s) failed`);
  const seconds = (performance.now() - started) / 1000;
  return { seconds, inTrials, cpu: cpuSeconds(pool.pids) - cpuBefore };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const perMinute = (t: Timing) => (jobs.length / t.seconds) * 60;
console.log(`${jobs.length} trials; ${availableParallelism()} cores; load average ${load()}`);
const median = (values: number[]) => [...values].sort((x, y) => x - y)[values.length >> 1]!;

/** Pins every thread of the processes to the first core this process may use (Linux taskset). */
function pinToOneCore(pids: number[]): boolean {
  const status = readFileSync("/proc/self/status", "utf8");
  const core = /Cpus_allowed_list:\s*(\d+)/.exec(status)?.[1] ?? "0";
  return pids.every(
    (pid) =>
      spawnSync("taskset", ["-a", "-cp", core, String(pid)], { stdio: "ignore" }).status === 0,
  );
}

// "1 worker" twice: free to use every core (V8's compiler and GC threads run beside the trial on
// the idle core), then pinned to one core — the usual baseline of a scaling figure
const warm: Record<string, Timing[]> = { "1": [], "1 pinned": [], "2": [] };
for (const [label, workers] of [
  ["1", 1],
  ["1 pinned", 1],
  ["2", 2],
] as const) {
  const pool = new PoolExecutor({ workers });
  try {
    const cold = await timedRun(pool);
    if (label === "1 pinned" && !pinToOneCore(pool.pids)) {
      console.log("  (taskset failed: no pinned figure)");
      continue;
    }
    console.log(
      `${label} worker(s): cold ${perMinute(cold).toFixed(1)} trials/min (${cold.seconds.toFixed(2)} s)`,
    );
    for (let r = 0; r < REPEAT; r++) {
      const hot = await timedRun(pool);
      warm[label]!.push(hot);
      console.log(
        `  warm ${perMinute(hot).toFixed(1)} trials/min (${hot.seconds.toFixed(2)} s), ` +
          `busy ${((100 * hot.inTrials) / (workers * hot.seconds)).toFixed(1)}%, ` +
          `trial ${((1000 * hot.inTrials) / jobs.length).toFixed(0)} ms, ` +
          `CPU ${((1000 * hot.cpu) / jobs.length).toFixed(0)} ms per trial, ` +
          `cores used ${(hot.cpu / hot.seconds).toFixed(2)}`,
      );
    }
  } finally {
    await pool.close();
  }
}
const rate = (label: string) => median(warm[label]!.map(perMinute));
const ratio = rate("2") / rate("1");
const pinnedRatio = warm["1 pinned"]!.length > 0 ? rate("2") / rate("1 pinned") : NaN;
const control: Record<number, number[]> = { 1: [], 2: [] };
for (let r = 0; r < REPEAT; r++)
  for (const processes of [1, 2]) control[processes]!.push(await controlSeconds(processes));
// two processes do twice the work: throughput ratio = 2 × t(1) / t(2)
const controlRatio = (2 * median(control[1]!)) / median(control[2]!);
console.log(
  `control (float64 loop over 64 KB, no nonlin code): 1 process ${median(control[1]!).toFixed(3)} s, ` +
    `2 at once ${median(control[2]!).toFixed(3)} s each: the machine gives ${controlRatio.toFixed(2)}x for 2 processes`,
);
console.log(
  `2 workers / 1 worker (warm, median of ${REPEAT}): ${rate("1").toFixed(1)} → ${rate("2").toFixed(1)} trials/min = ${ratio.toFixed(2)}x; ` +
    `2 workers / 1 worker pinned to one core: ${rate("1 pinned").toFixed(1)} → ${rate("2").toFixed(1)} = ${pinnedRatio.toFixed(2)}x ` +
    `(target ≥ ${TARGET}x); the machine's own ratio ${controlRatio.toFixed(2)}x; pool / machine ${(ratio / controlRatio).toFixed(2)} ` +
    `(pinned ${(pinnedRatio / controlRatio).toFixed(2)}); load average ${load()}`,
);
