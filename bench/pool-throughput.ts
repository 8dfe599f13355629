/**
 * Trials per minute on the local worker pool: the same 16 small trials (toy/xy, 4 activations ×
 * 4 seeds, 20 epochs) on a pool of 1 and of 2 worker processes. Each pool runs the set once cold
 * (process start, engine start, jit compiles included), then again warm; the ratio of the warm
 * rates is the scaling. Issue target: 2 workers ≥ 1.7x one worker on 2 cores.
 *
 * The ratio is split into what the pool controls and what the machine does: "busy" is the share
 * of worker time spent inside trials (dispatch gaps lower it), "trial" the mean duration of one
 * trial (other processes competing for the cores lengthen it), "CPU per trial" the work one trial
 * costs (equal for 1 and 2 workers when the pool adds none) and "cores used" how much CPU the
 * workers actually got. On a machine shared with other work — Linux's autogroup scheduling splits
 * the cores between sessions, not processes — the load average and cores used say how far the
 * ratio can be trusted.
 * Run: node --import tsx bench/pool-throughput.ts
 */
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { parseBenchConfig } from "../src/bench/config.js";
import { planBench } from "../src/bench/plan.js";
import { jobsOf } from "../src/exec/job.js";
import { PoolExecutor } from "../src/exec/pool.js";

const TARGET = 1.7;
const config = parseBenchConfig({
  name: "pool-throughput",
  tasks: ["toy/xy"],
  candidates: ["relu", "tanh", "gelu", "silu"].map((activation) => ({ activation })),
  seeds: 4,
  rows: { train: 400, val: 100, test: 200 },
  training: { epochs: 20, batch_size: 50, patience: 0 },
  fairness: { mode: "none" },
});
const jobs = jobsOf(planBench(config));

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
const warm: Record<number, Timing> = {};
for (const workers of [1, 2]) {
  const pool = new PoolExecutor({ workers });
  try {
    const cold = await timedRun(pool);
    const hot = (warm[workers] = await timedRun(pool));
    console.log(
      `${workers} worker(s): cold ${perMinute(cold).toFixed(1)} trials/min (${cold.seconds.toFixed(2)} s); ` +
        `warm ${perMinute(hot).toFixed(1)} trials/min (${hot.seconds.toFixed(2)} s), ` +
        `busy ${((100 * hot.inTrials) / (workers * hot.seconds)).toFixed(1)}%, ` +
        `trial ${((1000 * hot.inTrials) / jobs.length).toFixed(0)} ms, ` +
        `CPU ${((1000 * hot.cpu) / jobs.length).toFixed(0)} ms per trial, ` +
        `cores used ${(hot.cpu / hot.seconds).toFixed(2)}`,
    );
  } finally {
    await pool.close();
  }
}
const ratio = perMinute(warm[2]!) / perMinute(warm[1]!);
const slowdown = warm[2]!.inTrials / warm[1]!.inTrials;
console.log(
  `2 workers / 1 worker (warm): ${ratio.toFixed(2)}x (target ≥ ${TARGET}x on 2 idle cores); ` +
    `a trial took ${slowdown.toFixed(2)}x as long with 2 workers (1.00 on idle cores); load average ${load()}`,
);
