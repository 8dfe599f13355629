/** The leaderboard of a run: per task and candidate, the mean test metric over finished trials. */
import type { LeaderboardRow, TrialRow } from "./types.js";

const LOWER_IS_BETTER = new Set(["rmse", "mse", "mae", "loss", "nll", "error"]);
const HIGHER_IS_BETTER = new Set(["accuracy", "auc", "f1", "r2"]);

/** true: lower is better; false: higher is better; undefined: not known. */
export function lowerIsBetter(metric: string | null): boolean | undefined {
  if (metric === null) return undefined;
  if (LOWER_IS_BETTER.has(metric)) return true;
  if (HIGHER_IS_BETTER.has(metric)) return false;
  return undefined;
}

const finite = (values: (number | null)[]): number[] =>
  values.filter((v): v is number => v !== null && Number.isFinite(v));

const mean = (values: number[]): number | null =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;

function sampleSd(values: number[]): number | null {
  if (values.length < 2) return null;
  const m = mean(values) as number;
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

/** Cells in order of first registration; within a task, best rank first (unranked last). */
export function leaderboardOf(trials: readonly TrialRow[]): LeaderboardRow[] {
  const cells = new Map<string, TrialRow[]>();
  for (const trial of trials) {
    const key = `${trial.task}\u0000${trial.candidate}`;
    const cell = cells.get(key);
    if (cell) cell.push(trial);
    else cells.set(key, [trial]);
  }
  const rows: LeaderboardRow[] = [...cells.values()].map((cell) => {
    const done = cell.filter((t) => t.status === "done");
    const metrics = finite(done.map((t) => t.testMetric));
    return {
      task: cell[0]!.task,
      candidate: cell[0]!.candidate,
      metric: cell.find((t) => t.metric !== null)?.metric ?? null,
      n: done.length,
      failed: cell.filter((t) => t.status === "failed").length,
      diverged: done.filter((t) => t.diverged).length,
      meanTestMetric: mean(metrics),
      sdTestMetric: sampleSd(metrics),
      meanTestAuc: mean(finite(done.map((t) => t.testAuc))),
      params: mean(finite(done.map((t) => t.params))),
      secondsPerEpoch: mean(finite(done.map((t) => t.secondsPerEpoch))),
      rank: null,
    };
  });
  const taskOrder = [...new Set(rows.map((r) => r.task))];
  for (const task of taskOrder) {
    const ranked = rows.filter((r) => r.task === task && r.meanTestMetric !== null);
    const lower = lowerIsBetter(ranked[0]?.metric ?? null);
    if (lower === undefined) continue;
    ranked
      .sort(
        (a, b) => ((a.meanTestMetric as number) - (b.meanTestMetric as number)) * (lower ? 1 : -1),
      )
      .forEach((row, i) => (row.rank = i + 1));
  }
  return rows.sort(
    (a, b) =>
      taskOrder.indexOf(a.task) - taskOrder.indexOf(b.task) ||
      (a.rank ?? Infinity) - (b.rank ?? Infinity) ||
      (a.candidate < b.candidate ? -1 : a.candidate > b.candidate ? 1 : 0),
  );
}
