/**
 * Work as data: what an executor hands to a worker (in this process, in a child process, or on
 * another machine through Redis). Two kinds: a trial — a validated bench config and indices; the
 * worker re-plans the config (cached by its hash) and trains — and a search's screening of one
 * activation (src/search/screen-job.ts). Payloads are plain JSON, never code.
 */
import { createHash } from "node:crypto";
import type { BenchConfig } from "../bench/config.js";
import { parseBenchConfig } from "../bench/config.js";
import type { BenchPlan } from "../bench/plan.js";
import { planBench } from "../bench/plan.js";
import type { TrialResult } from "../bench/results.js";
import { trialSeed } from "../bench/seeds.js";
import type { TrialHooks } from "../bench/trial.js";
import { runTrial } from "../bench/trial.js";
import { jaxEngine } from "../train/jax-engine.js";
import type { TrialEngine } from "../train/trial-engine.js";
import { catalogEntry } from "../data/node/catalog.js";
import type { Task } from "../data/task.js";
import type { ScreenRequest, ScreenResult } from "../search/screen-job.js";
import { executeScreen } from "../search/screen-job.js";
import { processTorchEngine } from "./torch-engine.js";

export interface TrialJob {
  /** Absent in jobs written before screening became a job: a trial. */
  kind?: "trial";
  /** The trial's identity: hash of its full configuration (see trialId). */
  id: string;
  /** The whole validated bench config (JSON). */
  config: BenchConfig;
  task: number;
  candidate: number;
  seedIndex: number;
}

/** The rejection stages and proxies of one activation of a search. */
export interface ScreenJob {
  kind: "screen";
  /** Hash of the request: equal requests are one job. */
  id: string;
  request: ScreenRequest;
}

export type Job = TrialJob | ScreenJob;

/** What a job of type J returns. */
export type ResultOf<J extends Job> = J extends ScreenJob ? ScreenResult : TrialResult;

export interface Outcome<J extends Job = TrialJob> {
  job: J;
  result?: ResultOf<J>;
  /** Message of the last failure, when the job failed for good. */
  error?: string;
  attempts: number;
}

export type TrialOutcome = Outcome<TrialJob>;

export const isScreenJob = (job: Job): job is ScreenJob => job.kind === "screen";

export function screenJob(request: ScreenRequest): ScreenJob {
  return {
    kind: "screen",
    id: `screen-${sha256(canonicalJson(request)).slice(0, 26)}`,
    request,
  };
}

/** Canonical JSON: object keys sorted, so equal configurations hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/**
 * A trial's identity: the hash of everything that decides its result — the task and its rows, the
 * seed, the sized model, the training budget, the dtype, fairness mode and engine — and nothing else (not
 * the candidate's position, not the other candidates). Recording by it is idempotent.
 */
export function trialId(
  plan: BenchPlan,
  task: number,
  candidate: number,
  seedIndex: number,
): string {
  const { config } = plan;
  const planned = plan.tasks[task]!;
  const cell = plan.cells[task]![candidate]!;
  return sha256(
    canonicalJson({
      task: planned.entry.name,
      request: planned.request,
      seed: trialSeed(config.seed, planned.entry.name, seedIndex),
      candidate: plan.candidates[candidate]!.info.name,
      layers: cell.layers,
      training: config.training,
      fairness: config.fairness.mode === "time" ? config.fairness : { mode: config.fairness.mode },
      dtype: config.dtype,
      // absent for jax (canonicalJson drops it): jax trials keep their ids
      engine: config.engine,
    }),
  ).slice(0, 32);
}

/**
 * What a worker compiles for a trial: the candidate's model on the task's shapes. Trials with the
 * same key (the seeds of one candidate on one task) reuse a worker's compiled kernels and traces,
 * so a pool prefers to send them to the worker that ran the key before (see pool.ts).
 */
export function affinityKey(job: Job): string {
  if (isScreenJob(job)) return job.id;
  const { config } = job;
  return sha256(
    canonicalJson({
      candidate: config.candidates[job.candidate],
      task: config.tasks[job.task],
      rows: config.rows,
      network: config.network,
      fairness: config.fairness,
      dtype: config.dtype,
      engine: config.engine,
    }),
  ).slice(0, 16);
}

/** Every trial of a plan as a job, in plan order (task, seed, candidate). */
export function jobsOf(plan: BenchPlan): TrialJob[] {
  const jobs: TrialJob[] = [];
  plan.tasks.forEach((_, t) => {
    for (let s = 0; s < plan.config.seeds; s++)
      plan.candidates.forEach((_, c) =>
        jobs.push({
          id: trialId(plan, t, c, s),
          config: plan.config,
          task: t,
          candidate: c,
          seedIndex: s,
        }),
      );
  });
  return jobs;
}

const planCache = new Map<string, BenchPlan>();
const taskCache = new Map<string, Task>();

/** Plans a job's config once per process (by its hash). */
export function planOf(config: BenchConfig): BenchPlan {
  const key = sha256(canonicalJson(config));
  let plan = planCache.get(key);
  if (!plan) {
    plan = planBench(parseBenchConfig(config));
    planCache.set(key, plan);
  }
  return plan;
}

/**
 * The engine a job's config names (`engine:`, default jax): the torch engine is this process's
 * one child (processTorchEngine), so each worker process owns one.
 */
export const engineFor = (config: BenchConfig): TrialEngine =>
  config.engine === "torch" ? processTorchEngine() : jaxEngine;

/**
 * Runs one trial job in this process, on `engine` (default: the one its config names). The jax
 * engine must be started (the torch engine's initial state comes from it too). The task's rows are
 * cached for the last (task, seed) only — the next job usually shares them.
 */
export function executeTrialJob(
  job: TrialJob,
  hooks: TrialHooks = {},
  engine: TrialEngine = engineFor(job.config),
): Promise<TrialResult> {
  const plan = planOf(job.config);
  const planned = plan.tasks[job.task]!;
  const seed = trialSeed(plan.config.seed, planned.entry.name, job.seedIndex);
  const key = `${planned.entry.name}\u0000${canonicalJson(planned.request)}\u0000${seed}`;
  let task = taskCache.get(key);
  if (!task) {
    taskCache.clear();
    task = catalogEntry(planned.entry.name).make({ ...planned.request, seed });
    taskCache.set(key, task);
  }
  return runTrial(
    engine,
    plan.config,
    plan.cells[job.task]![job.candidate]!,
    task,
    job.seedIndex,
    seed,
    { task: planned.entry.name, candidate: plan.candidates[job.candidate]!.info.name },
    hooks,
  );
}

const prepared = new Map<string, Promise<unknown>>();

/**
 * Checks a job against its plan (a job is data from outside: its indices may be wrong) and gets
 * what its task's `make` needs (a download into the cache), once per task per process. Workers
 * await it before executeTrialJob.
 */
export async function prepareTrialJob(job: TrialJob): Promise<void> {
  const plan = planOf(job.config);
  const check = (field: string, value: number, size: number) => {
    if (!Number.isInteger(value) || value < 0 || value >= size)
      throw new RangeError(
        `trial job ${job.id}: ${field} ${value} is out of range (the plan has ${size})`,
      );
  };
  check("task", job.task, plan.tasks.length);
  check("candidate", job.candidate, plan.candidates.length);
  check("seedIndex", job.seedIndex, plan.config.seeds);
  const entry = catalogEntry(plan.tasks[job.task]!.entry.name);
  if (!entry.prepare) return;
  let ready = prepared.get(entry.name);
  if (!ready) {
    ready = entry.prepare();
    prepared.set(entry.name, ready);
    // a failed download may succeed on the next attempt
    ready.catch(() => prepared.delete(entry.name));
  }
  await ready;
}

/**
 * Runs any job here (the engine must be started): checks and prepares it, then executes it.
 * Epoch hooks and memory readings concern trials only.
 */
export async function executeJob<J extends Job>(
  job: J,
  hooks: TrialHooks = {},
): Promise<ResultOf<J>> {
  if (isScreenJob(job)) return (await executeScreen(job.request)) as ResultOf<J>;
  if (job.kind !== undefined && job.kind !== "trial")
    throw new RangeError(`job ${String((job as Job).id)}: unknown kind '${String(job.kind)}'`);
  await prepareTrialJob(job);
  return (await executeTrialJob(job, hooks)) as ResultOf<J>;
}
