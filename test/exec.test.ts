/**
 * Executors against the in-process reference: the inline executor and a pool of worker processes
 * give bit-identical trial results to executeTrialJob (timings aside), a worker killed in the
 * middle of a trial has that trial retried on a fresh worker, and a trial that always throws is
 * reported with its error after three attempts while the others complete.
 */
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { after, before, describe, it } from "node:test";
import type { BenchConfigInput } from "../src/bench/config.js";
import { parseBenchConfig } from "../src/bench/config.js";
import { planBench } from "../src/bench/plan.js";
import type { TrialResult } from "../src/bench/results.js";
import { startEngine } from "../src/engine/index.js";
import type { ExecutorHooks } from "../src/exec/executor.js";
import { ExecError, runOne } from "../src/exec/executor.js";
import { createExecutor } from "../src/exec/index.js";
import { InlineExecutor } from "../src/exec/inline.js";
import type { Outcome, ScreenJob, TrialJob, TrialOutcome } from "../src/exec/job.js";
import { executeTrialJob, jobsOf, screenJob } from "../src/exec/job.js";
import { PoolExecutor } from "../src/exec/pool.js";
import { RedisExecutor } from "../src/exec/redis.js";
import type { ScreenRequest, ScreenResult } from "../src/search/screen-job.js";
import { executeScreen } from "../src/search/screen-job.js";
import { untimed } from "./support/untimed.js";

const configOf = (epochs: number, extra: Partial<BenchConfigInput> = {}) =>
  parseBenchConfig({
    tasks: ["toy/xy"],
    candidates: [{ activation: "relu" }, { activation: "tanh" }],
    seeds: 2,
    rows: { train: 100, val: 50, test: 100 },
    training: { epochs, batch_size: 50, patience: 0 },
    fairness: { mode: "none" },
    ...extra,
  });

const JOBS = jobsOf(planBench(configOf(3)));
/** Long enough (hundreds of jitted steps) that a kill at the first epoch lands mid-trial. */
const SLOW_JOBS = jobsOf(planBench(configOf(150, { seed: 7 })));

/** Everything but the measured cost (seconds, throughput, memory), which differs run to run. */
function comparable(
  result: TrialResult,
): Omit<TrialResult, "secondsPerEpoch" | "throughput" | "peakMemoryBytes"> {
  const { secondsPerEpoch, throughput, peakMemoryBytes, ...rest } = result;
  assert.ok(secondsPerEpoch > 0 && throughput > 0 && peakMemoryBytes >= 0);
  return rest;
}

const reference = new Map<string, TrialResult>();

/** Runs jobs, collecting outcomes by id (failing on a second outcome for an id). */
async function collect(
  executor: { run(jobs: TrialJob[], hooks: ExecutorHooks): Promise<void> },
  jobs: TrialJob[],
  hooks: Partial<ExecutorHooks> = {},
): Promise<Map<string, TrialOutcome>> {
  const outcomes = new Map<string, TrialOutcome>();
  await executor.run(jobs, {
    ...hooks,
    onResult(outcome) {
      assert.ok(!outcomes.has(outcome.job.id), `a second result for ${outcome.job.id}`);
      outcomes.set(outcome.job.id, outcome);
    },
  });
  return outcomes;
}

function assertMatchesReference(outcomes: Map<string, TrialOutcome>, jobs: TrialJob[]): void {
  assert.equal(outcomes.size, jobs.length);
  for (const job of jobs) {
    const outcome = outcomes.get(job.id);
    assert.ok(outcome?.result, `no result for ${job.id}: ${outcome?.error}`);
    assert.deepStrictEqual(comparable(outcome.result), comparable(reference.get(job.id)!));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A passing activation (with proxies) and one the static stage rejects (it explodes). */
const SCREENS: ScreenRequest[] = [
  { activation: "x * sigmoid(x)", stages: ["static", "stability", "quality"], proxies: true },
  { activation: "exp(exp(x))", stages: ["static", "stability", "quality"], proxies: true },
];
const screenedHere: ScreenResult[] = [];

before(async () => {
  await startEngine("wasm");
  for (const job of JOBS) reference.set(job.id, await executeTrialJob(job));
  for (const request of SCREENS) screenedHere.push(await executeScreen(request));
});

describe("inline executor", () => {
  it("gives bit-identical results to executeTrialJob and forwards every epoch", async () => {
    const epochs: string[] = [];
    const starts: string[] = [];
    const outcomes = await collect(new InlineExecutor(), JOBS, {
      onStart: (job) => starts.push(job.id),
      onEpoch: (job, epoch, of) => epochs.push(`${job.id}:${epoch}/${of}`),
    });
    assertMatchesReference(outcomes, JOBS);
    assert.deepEqual(
      starts,
      JOBS.map((j) => j.id),
    );
    assert.deepEqual(
      epochs,
      JOBS.flatMap((j) => [1, 2, 3].map((e) => `${j.id}:${e}/3`)),
    );
    for (const outcome of outcomes.values()) assert.equal(outcome.attempts, 1);
  });

  it("reports a trial that always throws after 3 attempts and completes the others", async () => {
    const bad: TrialJob = { ...JOBS[0]!, id: "always-throws", task: 7 };
    let starts = 0;
    const outcomes = await collect(new InlineExecutor(), [bad, ...JOBS], {
      onStart: (job) => void (job.id === bad.id && starts++),
    });
    const failed = outcomes.get(bad.id)!;
    assert.equal(failed.result, undefined);
    assert.match(failed.error ?? "", /task 7 is out of range/);
    assert.equal(failed.attempts, 3);
    assert.equal(starts, 3);
    outcomes.delete(bad.id);
    assertMatchesReference(outcomes, JOBS);
  });
});

describe("screening as a job", () => {
  it("inline: the result of screening here; a job of unknown kind fails clearly", async () => {
    const results = await Promise.all(
      SCREENS.map((r) => runOne(new InlineExecutor(), screenJob(r))),
    );
    results.forEach((result, i) =>
      assert.deepStrictEqual(untimed(result), untimed(screenedHere[i]!)),
    );
    // proxies are computed for the candidate that passed, not for the rejected one
    assert.ok(Number.isFinite(results[0]!.proxies!.values.featureRank));
    assert.equal(results[1]!.proxies, undefined);
    const odd = { kind: "train", id: "odd" } as unknown as ScreenJob;
    await assert.rejects(runOne(new InlineExecutor({ attempts: 1 }), odd), /unknown kind 'train'/);
  });
});

describe("hooks that throw", () => {
  it("stop the inline executor with the hook's error, without retrying the trial", async () => {
    let results = 0;
    let starts = 0;
    await assert.rejects(
      new InlineExecutor().run(JOBS, {
        onStart: () => void starts++,
        onEpoch() {
          throw new Error("progress bar broke");
        },
        onResult: () => void results++,
      }),
      /progress bar broke/,
    );
    assert.equal(starts, 1);
    assert.equal(results, 0);
  });
});

describe("worker pool", { timeout: 120_000 }, () => {
  const pool = new PoolExecutor({ workers: 2 });
  const seenPids = new Set<number>();
  after(() => pool.close());

  it("gives bit-identical results to executeTrialJob from two worker processes", async () => {
    const outcomes = await collect(pool, JOBS, {
      onStart: (job) => seenPids.add(pool.pidOf(job.id)!),
    });
    assertMatchesReference(outcomes, JOBS);
    assert.equal(pool.pids.length, 2);
    assert.ok(!pool.pids.includes(process.pid));
    // four jobs on two workers, dispatched as they free up: both took work
    assert.deepEqual([...seenPids].sort(), [...pool.pids].sort());
  });

  it("retries the trial of a worker killed mid-trial on a fresh worker; all complete once", async () => {
    const victim = SLOW_JOBS[0]!;
    let killed: number | undefined;
    const outcomes = await collect(pool, SLOW_JOBS, {
      onEpoch(job, epoch) {
        // the first epoch report of 150: the trial is under way in that process
        if (job.id !== victim.id || killed !== undefined || epoch >= 150) return;
        killed = pool.pidOf(job.id)!;
        process.kill(killed, "SIGKILL");
      },
    });
    assert.ok(killed !== undefined, "the victim's trial never reported an epoch");
    assert.equal(outcomes.size, SLOW_JOBS.length);
    for (const job of SLOW_JOBS) {
      const outcome = outcomes.get(job.id)!;
      assert.ok(outcome.result, `${job.id}: ${outcome.error}`);
      assert.equal(outcome.attempts, job.id === victim.id ? 2 : 1);
    }
    // the retried trial is the same trial: equal to running it here
    assert.deepStrictEqual(
      comparable(outcomes.get(victim.id)!.result!),
      comparable(await executeTrialJob(victim)),
    );
    assert.ok(!alive(killed));
    assert.equal(pool.pids.length, 2, "the killed worker was replaced");
    assert.ok(!pool.pids.includes(killed));
  });

  it("reports a trial that always throws after 3 attempts and completes the others", async () => {
    const bad: TrialJob = { ...JOBS[1]!, id: "always-throws", candidate: 9 };
    const outcomes = await collect(pool, [...JOBS.slice(0, 2), bad, ...JOBS.slice(2)]);
    const failed = outcomes.get(bad.id)!;
    assert.equal(failed.result, undefined);
    assert.match(failed.error ?? "", /candidate 9 is out of range/);
    assert.equal(failed.attempts, 3);
    outcomes.delete(bad.id);
    assertMatchesReference(outcomes, JOBS);
  });

  it("stops at a failing onResult hook and rejects with its error", async () => {
    let calls = 0;
    await assert.rejects(
      pool.run(JOBS, {
        onResult() {
          calls++;
          throw new Error("disk full");
        },
      }),
      /disk full/,
    );
    assert.equal(calls, 1);
  });

  it("shares its workers among overlapping runs: each run hears exactly its own jobs", async () => {
    const [first, second] = [JOBS.slice(0, 2), JOBS.slice(2)];
    const runPids = new Set<number>();
    const [a, b] = await Promise.all([
      collect(pool, first, { onStart: (job) => runPids.add(pool.pidOf(job.id)!) }),
      collect(pool, second, { onStart: (job) => runPids.add(pool.pidOf(job.id)!) }),
    ]);
    assertMatchesReference(a, first);
    assertMatchesReference(b, second);
    assert.equal(runPids.size, 2, "both workers took jobs of the overlapping runs");
  });

  it("ends only the run whose hook fails; an overlapping run completes", async () => {
    const failing = pool.run(JOBS.slice(0, 2), {
      onResult() {
        throw new Error("disk full");
      },
    });
    const healthy = collect(pool, JOBS.slice(2));
    await assert.rejects(failing, /disk full/);
    assertMatchesReference(await healthy, JOBS.slice(2));
  });

  it("runs screening jobs: the result of screening here, for a pass and a reject", async () => {
    const jobs = SCREENS.map(screenJob);
    const outcomes = new Map<string, Outcome<ScreenJob>>();
    await pool.run(jobs, { onResult: (o) => void outcomes.set(o.job.id, o) });
    jobs.forEach((job, i) => {
      const result = outcomes.get(job.id)?.result;
      assert.ok(result, outcomes.get(job.id)?.error);
      assert.deepStrictEqual(untimed(result), untimed(screenedHere[i]!));
    });
    assert.equal(screenedHere[0]!.screening!.passed, true);
    assert.equal(screenedHere[1]!.screening!.rejectedAt, "static");
    assert.equal(
      await runOne(pool, screenJob(SCREENS[1]!)).then((r) => r.screening?.rejectedAt),
      "static",
    );
  });

  it("stops its worker processes on close()", async () => {
    const pids = pool.pids;
    assert.equal(pids.length, 2);
    await pool.close();
    assert.deepEqual(
      pids.filter((pid) => alive(pid)),
      [],
    );
    await assert.rejects(pool.run(JOBS, { onResult() {} }), /closed/);
  });
});

describe("createExecutor (--workers / --redis)", () => {
  it("chooses inline for 0 workers, a pool otherwise, Redis for a URL, and refuses both", () => {
    assert.ok(createExecutor({ workers: 0 }) instanceof InlineExecutor);
    const pool = createExecutor({ workers: 3 });
    assert.ok(pool instanceof PoolExecutor && pool.size === 3);
    assert.equal((createExecutor() as PoolExecutor).size, availableParallelism());
    // no connection is made before run()
    assert.ok(createExecutor({ redis: "redis://127.0.0.1:1" }) instanceof RedisExecutor);
    assert.throws(() => createExecutor({ redis: "redis://h:1", workers: 2 }), ExecError);
    assert.throws(() => createExecutor({ redis: "http://h:1" }), /unsupported scheme/);
    assert.throws(() => createExecutor({ workers: 1.5 }), /positive integer/);
  });
});
