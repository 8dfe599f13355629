/**
 * Two runs side by side on the tasks they share: per task and candidate, each run's mean test
 * metric over its finished trials with a 95% confidence interval (Student's t on the seeds), and
 * for a fit run its final test metric (one value, no interval). Read only.
 */
import { studentTQuantile } from "../bench/stats/special-functions.js";
import { StoreError } from "./errors.js";
import type { FitPhaseRow, RunRecord, TrialRow } from "./types.js";

/** One run's result for one task and candidate. */
export interface ComparedCell {
  /** Finished trials (1 for a fit). */
  n: number;
  mean: number;
  /** Half-width of the 95% t-interval of the mean; null below 2 values. */
  ci95: number | null;
}

export interface ComparedRow {
  candidate: string;
  a: ComparedCell | null;
  b: ComparedCell | null;
}

export interface ComparedTask {
  task: string;
  metric: string | null;
  rows: ComparedRow[];
}

export interface RunComparison {
  a: { id: string; command: string; name: string | null };
  b: { id: string; command: string; name: string | null };
  /** Tasks both runs have results on, in run a's order. */
  tasks: ComparedTask[];
  onlyA: string[];
  onlyB: string[];
}

/** What one run holds, as task → candidate → values (plus each task's metric). */
interface RunCells {
  metric: Map<string, string | null>;
  values: Map<string, Map<string, number[]>>;
}

function cellOf(values: number[]): ComparedCell {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { n, mean, ci95: null };
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return { n, mean, ci95: (studentTQuantile(0.975, n - 1) * sd) / Math.sqrt(n) };
}

function add(
  cells: RunCells,
  task: string,
  candidate: string,
  metric: string | null,
  value: number,
) {
  if (!cells.values.has(task)) {
    cells.values.set(task, new Map());
    cells.metric.set(task, metric);
  }
  const byCandidate = cells.values.get(task)!;
  byCandidate.set(candidate, [...(byCandidate.get(candidate) ?? []), value]);
}

/** A run's cells: its finished trials, or (a fit) its last phase's test metric. */
export function runCells(run: RunRecord, trials: TrialRow[], fitPhases: FitPhaseRow[]): RunCells {
  const cells: RunCells = { metric: new Map(), values: new Map() };
  for (const t of trials)
    if (t.status === "done" && t.testMetric !== null && Number.isFinite(t.testMetric))
      add(cells, t.task, t.candidate, t.metric, t.testMetric);
  const last = fitPhases[fitPhases.length - 1];
  if (last && !last.diverged && last.testMetric !== null)
    add(cells, last.task, run.name ?? "fit", last.metric, last.testMetric);
  if (cells.values.size === 0)
    throw new StoreError(
      `run ${run.id} (${run.command}) has no finished per-task test metrics to compare (runs compare takes bench, search and fit runs)`,
    );
  return cells;
}

export function compareRuns(
  a: { run: RunRecord; cells: RunCells },
  b: { run: RunRecord; cells: RunCells },
): RunComparison {
  const tasksA = [...a.cells.values.keys()];
  const tasksB = [...b.cells.values.keys()];
  const shared = tasksA.filter((task) => b.cells.values.has(task));
  const tasks = shared.map((task): ComparedTask => {
    const inA = a.cells.values.get(task)!;
    const inB = b.cells.values.get(task)!;
    const candidates = [...new Set([...inA.keys(), ...inB.keys()])];
    return {
      task,
      metric: a.cells.metric.get(task) ?? b.cells.metric.get(task) ?? null,
      rows: candidates.map((candidate) => {
        const va = inA.get(candidate);
        const vb = inB.get(candidate);
        return { candidate, a: va ? cellOf(va) : null, b: vb ? cellOf(vb) : null };
      }),
    };
  });
  const who = (run: RunRecord) => ({ id: run.id, command: run.command, name: run.name });
  return {
    a: who(a.run),
    b: who(b.run),
    tasks,
    onlyA: tasksA.filter((task) => !b.cells.values.has(task)),
    onlyB: tasksB.filter((task) => !a.cells.values.has(task)),
  };
}
