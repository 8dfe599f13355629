/**
 * A run's headline for `runs ls` when the command stored none: computed from what the store
 * holds, as it is listed (nothing is written). Finished bench runs: the best candidate of the
 * first task and its mean test metric; fit runs: the last phase's test metric; runs not finished:
 * how far they got.
 */
import type { FitEpochRow, FitPhaseRow, LeaderboardRow, RunStatus, TrialCounts } from "./types.js";

export interface HeadlineInput {
  command: string;
  status: RunStatus;
  config: unknown;
  trials: TrialCounts;
  /** Read only when needed: a listing of many runs reads what each one's headline uses. */
  leaderboard: () => LeaderboardRow[];
  fitPhases: () => FitPhaseRow[];
  lastFitEpoch: () => FitEpochRow | undefined;
}

const formatValue = (value: number): string =>
  Number.isInteger(value) ? String(value) : value.toPrecision(4);

/** "relu: rmse 0.1234 on toy/xy (+2 tasks)", from the leaderboard's rank-1 rows. */
function benchHeadline(rows: LeaderboardRow[]): string | null {
  const tasks = [...new Set(rows.map((r) => r.task))];
  const best = rows.find((r) => r.task === tasks[0] && r.rank === 1);
  if (!best || best.meanTestMetric === null) return null;
  const more = tasks.length > 1 ? ` (+${tasks.length - 1} task${tasks.length > 2 ? "s" : ""})` : "";
  return `best ${best.candidate}: test ${best.metric ?? "metric"} ${formatValue(best.meanTestMetric)} on ${best.task}${more}`;
}

/** The fit config's phases as far as the headline needs them (kind, epochs of a gradient phase). */
function phasesOf(config: unknown): { kind: string; epochs?: number }[] {
  const phases = (config as { phases?: unknown } | null)?.phases;
  return Array.isArray(phases) ? (phases as { kind: string; epochs?: number }[]) : [];
}

/** "test rmse 1.234e-3", "diverged in phase 2 (gradient)" or "phase 1/2 gradient, epoch 40/100". */
export function fitHeadline(
  status: RunStatus,
  config: unknown,
  phases: FitPhaseRow[],
  lastEpoch: FitEpochRow | undefined,
): string | null {
  const diverged = phases.find((p) => p.diverged);
  if (diverged) return `diverged in phase ${diverged.phase + 1} (${diverged.kind})`;
  const planned = phasesOf(config);
  const last = phases[phases.length - 1];
  if (status === "done" && last) {
    const metric = last.metric ?? "metric";
    if (last.testMetric === null) return null;
    // as fit prints it: accuracy in percent, rmse with 4 significant digits
    const value =
      metric === "accuracy"
        ? `${(100 * last.testMetric).toFixed(2)}%`
        : last.testMetric.toExponential(3);
    return `test ${metric} ${value} after ${phases.length} phase(s)`;
  }
  const phasesDone = last ? last.phase + 1 : 0;
  const inPhase = lastEpoch && lastEpoch.phase === phasesDone ? lastEpoch.epoch + 1 : undefined;
  const next = planned[phasesDone];
  if (!next) return planned.length ? `${phasesDone}/${planned.length} phases done` : null;
  const at =
    inPhase !== undefined && next.epochs !== undefined ? `, epoch ${inPhase}/${next.epochs}` : "";
  return `phase ${phasesDone + 1}/${planned.length} ${next.kind}${at}`;
}

export function computedHeadline(input: HeadlineInput): string | null {
  if (input.command === "fit")
    return fitHeadline(input.status, input.config, input.fitPhases(), input.lastFitEpoch());
  const { trials } = input;
  if (trials.total === 0) return null;
  if (input.status !== "done") return `${trials.done}/${trials.total} trials done`;
  return benchHeadline(input.leaderboard());
}
