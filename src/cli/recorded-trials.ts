/**
 * Runs a plan's trials on an executor with the run store as the record: every trial is registered
 * by its hash, trials the store already has are not run again, and each finished trial is written
 * (in one transaction) as soon as it arrives. Shared by `bench` and `search`.
 */
import type { BenchPlan } from "../bench/plan.js";
import type { TrialResult } from "../bench/results.js";
import { trialSeed } from "../bench/seeds.js";
import { catalogEntry } from "../data/node/catalog.js";
import type { Executor } from "../exec/executor.js";
import type { TrialJob } from "../exec/job.js";
import { jobsOf } from "../exec/job.js";
import type { RunStore } from "../store/index.js";

export interface TrialEvents {
  /** Called once the pending trials are known, before any runs. */
  planned?(total: number, pending: number): void;
  started?(name: string): void;
  epoch?(epoch: number, of: number, loss: number): void;
  finished?(name: string, result: TrialResult): void;
  failed?(message: string): void;
}

/** Runs what the store lacks; returns every finished trial of the plan, in job order. */
export async function runRecorded(
  plan: BenchPlan,
  store: RunStore,
  runId: string,
  executor: Executor,
  events: TrialEvents = {},
): Promise<TrialResult[]> {
  const [trials] = await runRecordedPlans([plan], store, runId, executor, events);
  return trials!;
}

/**
 * Several plans at once: their pending trials go to the executor in ONE run, so every worker has
 * work (a search's batch of candidates); returns each plan's finished trials in its job order.
 */
export async function runRecordedPlans(
  plans: BenchPlan[],
  store: RunStore,
  runId: string,
  executor: Executor,
  events: TrialEvents = {},
): Promise<TrialResult[][]> {
  const jobsPerPlan = plans.map((plan) => jobsOf(plan));
  const planOfJob = new Map<string, BenchPlan>();
  plans.forEach((plan, p) => {
    const jobs = jobsPerPlan[p]!;
    for (const job of jobs) planOfJob.set(job.id, plan);
    store.registerTrials(
      runId,
      jobs.map((job) => {
        const task = plan.tasks[job.task]!.entry;
        return {
          id: job.id,
          task: task.name,
          candidate: plan.candidates[job.candidate]!.info.name,
          seedIndex: job.seedIndex,
          seed: trialSeed(plan.config.seed, task.name, job.seedIndex),
          metric: task.metric,
        };
      }),
    );
  });
  // a trial two plans share (same id) runs once
  const unique = new Map(jobsPerPlan.flat().map((job) => [job.id, job]));
  const ids = [...unique.keys()];
  const finished = store.finishedTrials(runId, ids);
  const pending = [...unique.values()].filter((job) => !finished.has(job.id));
  events.planned?.(
    jobsPerPlan.reduce((n, jobs) => n + jobs.length, 0),
    pending.length,
  );
  if (pending.length > 0) {
    for (const plan of plans)
      for (const task of plan.tasks) await catalogEntry(task.entry.name).prepare?.();
    const nameOf = (job: TrialJob) => {
      const plan = planOfJob.get(job.id)!;
      return `${plan.tasks[job.task]!.entry.name} · ${plan.candidates[job.candidate]!.info.name} · seed ${job.seedIndex}`;
    };
    await executor.run(pending, {
      onStart(job) {
        store.startTrial(runId, job.id);
        events.started?.(nameOf(job));
      },
      onEpoch(_job, epoch, of, loss) {
        events.epoch?.(epoch, of, loss);
      },
      onResult(outcome) {
        const name = nameOf(outcome.job);
        if (outcome.result) {
          store.finishTrial(runId, outcome.job.id, outcome.result);
          events.finished?.(name, outcome.result);
        } else {
          const message = `trial ${name} failed after ${outcome.attempts} attempt(s): ${outcome.error}`;
          store.failTrial(
            runId,
            outcome.job.id,
            outcome.error ?? "unknown error",
            outcome.attempts,
          );
          store.recordEvent(runId, { level: "error", message, trialId: outcome.job.id });
          events.failed?.(message);
        }
      },
    });
  }
  const all = store.finishedTrials(runId, ids);
  return jobsPerPlan.map((jobs) =>
    jobs.flatMap((job) => {
      const result = all.get(job.id);
      return result ? [result] : [];
    }),
  );
}
