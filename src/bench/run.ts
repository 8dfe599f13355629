/**
 * Runs a planned benchmark in this process — the library path; the CLI runs the same trials as
 * jobs on an executor and records them in the run store. For each task and seed index the task is
 * made once (the same rows for every candidate), then every candidate trains on it. Trials are
 * independent and seeded per trial, so the order changes no result. Statistics come at the end.
 */
import type { Task } from "../data/task.js";
import type { TrialEngine } from "../train/trial-engine.js";
import type { BenchPlan } from "./plan.js";
import type { BenchResults, BenchTaskInfo, TrialResult } from "./results.js";
import { trialSeed } from "./seeds.js";
import { familyVerdicts, rankCandidates, summarizeTask } from "./summary.js";
import type { TrialHooks } from "./trial.js";
import { runTrial } from "./trial.js";

export interface TrialRef {
  index: number;
  total: number;
  task: string;
  candidate: string;
  seedIndex: number;
}

export interface BenchHooks extends TrialHooks {
  /** Where the run happens, for the report. */
  machine?: BenchResults["machine"];
  onTrialStart?(trial: TrialRef): void;
  onTrialEnd?(trial: TrialRef, result: TrialResult): void;
}

export function taskInfo(plan: BenchPlan, index: number, task?: Task): BenchTaskInfo {
  const { entry, request } = plan.tasks[index]!;
  return {
    name: entry.name,
    family: entry.family,
    kind: entry.kind,
    metric: entry.metric,
    inputShape: [...entry.inputShape],
    outputs: entry.outputs,
    description: entry.description,
    rows: {
      train: task?.train.rows ?? request.train ?? 0,
      val: task?.val.rows ?? request.val ?? 0,
      test: task?.test.rows ?? request.test ?? 0,
    },
  };
}

const MATCHED = {
  params: "matched parameters",
  flops: "matched FLOPs",
  time: "matched training time",
  none: "the same width",
} as const;

/** Statistics and verdicts of a finished (or partial) set of trials. */
export function assembleResults(
  plan: BenchPlan,
  tasks: BenchTaskInfo[],
  trials: TrialResult[],
  times: { started: string; finished: string },
  machine: BenchResults["machine"],
): BenchResults {
  const { config } = plan;
  const candidates = plan.candidates.map((c) => c.info);
  const summaries = tasks.flatMap((task) => summarizeTask(task, candidates, trials, plan.baseline));
  const ranking = rankCandidates(tasks, candidates, summaries);
  const results: BenchResults = {
    version: 1,
    name: config.name,
    fairness: { mode: config.fairness.mode, budget: config.fairness.budget ?? 0 },
    baseline: plan.baseline,
    seeds: config.seeds,
    started: times.started,
    finished: times.finished,
    machine,
    tasks,
    candidates,
    trials,
    summaries,
    ranks: ranking.ranks,
  };
  if (ranking.criticalDifference !== undefined)
    results.criticalDifference = ranking.criticalDifference;
  if (ranking.friedmanP !== undefined) results.friedmanP = ranking.friedmanP;
  const verdicts = familyVerdicts(
    tasks,
    candidates,
    summaries,
    trials,
    MATCHED[config.fairness.mode],
  );
  if (verdicts) results.verdicts = verdicts;
  return results;
}

export async function runBench(
  engine: TrialEngine,
  plan: BenchPlan,
  makeTask: (task: number, seed: number) => Task,
  hooks: BenchHooks = {},
): Promise<BenchResults> {
  const { config } = plan;
  const started = new Date().toISOString();
  const total = plan.tasks.length * config.seeds * plan.candidates.length;
  const trials: TrialResult[] = [];
  const tasks: BenchTaskInfo[] = [];
  let index = 0;
  for (const [t, planned] of plan.tasks.entries()) {
    let rows: Task | undefined;
    for (let s = 0; s < config.seeds; s++) {
      const seed = trialSeed(config.seed, planned.entry.name, s);
      const task = makeTask(t, seed);
      rows ??= task;
      for (const [c, candidate] of plan.candidates.entries()) {
        const ref: TrialRef = {
          index: index++,
          total,
          task: planned.entry.name,
          candidate: candidate.info.name,
          seedIndex: s,
        };
        hooks.onTrialStart?.(ref);
        const result = await runTrial(
          engine,
          config,
          plan.cells[t]![c]!,
          task,
          s,
          seed,
          { task: ref.task, candidate: ref.candidate },
          hooks,
        );
        trials.push(result);
        hooks.onTrialEnd?.(ref, result);
      }
    }
    tasks.push(taskInfo(plan, t, rows));
  }
  const machine = hooks.machine ?? {
    cpus: 0,
    platform: "unknown",
    node: "unknown",
    device: "wasm",
  };
  return assembleResults(
    plan,
    tasks,
    trials,
    { started, finished: new Date().toISOString() },
    machine,
  );
}
