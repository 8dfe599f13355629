/**
 * What the three bench report writers (terminal table, Markdown, HTML) share: number formats,
 * the significance marks, metric directions, lookups into BenchResults and the per-seed means
 * of learning curves. Everything here reads a BenchResults and nothing else.
 */
import type { TaskMetric } from "../data/catalog-entry.js";
import type {
  BenchResults,
  BenchTaskInfo,
  CandidateSummary,
  FairnessMode,
  TrialResult,
} from "../bench/results.js";

/** Significantly better / worse than the baseline (paired Wilcoxon signed-rank, Holm-adjusted). */
export const MARK_BETTER = "*";
export const MARK_WORSE = "†";

export function higherIsBetter(metric: TaskMetric): boolean {
  return metric === "accuracy";
}

export function directionText(metric: TaskMetric): string {
  return higherIsBetter(metric) ? "higher is better" : "lower is better";
}

/** "*" when significantly better than the baseline, "†" when significantly worse, else "". */
export function significanceMark(summary: CandidateSummary): string {
  const test = summary.vsBaseline;
  if (!test || !test.significant) return "";
  return test.better ? MARK_BETTER : MARK_WORSE;
}

export const MARK_LEGEND =
  `${MARK_BETTER} significantly better, ${MARK_WORSE} significantly worse than the baseline ` +
  `(paired Wilcoxon signed-rank test over seeds, Holm-adjusted p < 0.05)`;

/** Four significant digits (trailing zeros kept so columns line up); exponent outside [1e-3, 1e5). */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "∞" : "−∞";
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  return magnitude >= 1e-3 && magnitude < 1e5 ? value.toPrecision(4) : value.toExponential(3);
}

/** Integer with thousands separators: 12,345. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return formatValue(value);
  const digits = String(Math.round(Math.abs(value))).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return value < 0 ? `-${digits}` : digits;
}

/** Compact magnitude: 950, 12.3k, 4.56M, 7.89G. */
export function formatCompact(value: number): string {
  if (!Number.isFinite(value)) return formatValue(value);
  const magnitude = Math.abs(value);
  const units: [number, string][] = [
    [1e12, "T"],
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  for (const [size, unit] of units) {
    if (magnitude >= size) return `${Number((value / size).toPrecision(3))}${unit}`;
  }
  return String(Number(value.toPrecision(3)));
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return formatValue(seconds);
  return seconds >= 100 ? seconds.toFixed(0) : seconds.toPrecision(3);
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return formatValue(bytes);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toPrecision(3)} ${units[unit]}`;
}

export function formatP(p: number): string {
  if (!Number.isFinite(p)) return "—";
  return p < 0.001 ? "<0.001" : p.toPrecision(2);
}

export function formatPercent(value: number): string {
  if (!Number.isFinite(value)) return formatValue(value);
  return `${value >= 0 ? "+" : ""}${value.toFixed(1)}%`;
}

/**
 * Decimals that give the smallest mean of a task four significant digits, so one task's column
 * shares its decimal places (and lines up on the point); undefined when the magnitudes need
 * exponents (then each value gets formatValue).
 */
export function metricDecimals(summaries: readonly CandidateSummary[]): number | undefined {
  const magnitudes = summaries
    .map((s) => Math.abs(s.mean))
    .filter((v) => Number.isFinite(v) && v > 0);
  if (magnitudes.length === 0) return undefined;
  const smallest = Math.min(...magnitudes);
  const largest = Math.max(...magnitudes);
  const decimals = Math.max(0, 3 - Math.floor(Math.log10(smallest)));
  return decimals > 8 || largest >= 1e6 ? undefined : decimals;
}

/** A metric value with the task's decimals (see metricDecimals), else four significant digits. */
export function formatMetric(value: number, decimals?: number): string {
  return decimals === undefined || !Number.isFinite(value)
    ? formatValue(value)
    : value.toFixed(decimals);
}

export function meanAndSd(summary: CandidateSummary, decimals?: number): string {
  return `${formatMetric(summary.mean, decimals)} ± ${formatMetric(summary.sd, decimals)}`;
}

export function ciText(summary: CandidateSummary, decimals?: number): string {
  return `[${formatMetric(summary.ci95[0], decimals)}, ${formatMetric(summary.ci95[1], decimals)}]`;
}

/** "matched parameter count: at most 2,000 parameters per model" and so on. */
export function fairnessText(fairness: { mode: FairnessMode; budget: number }): string {
  switch (fairness.mode) {
    case "params":
      return `matched parameter count: at most ${formatCount(fairness.budget)} parameters per model`;
    case "flops":
      return `matched compute: at most ${formatCompact(fairness.budget)} forward FLOPs per sample`;
    case "time":
      return `matched training time: ${formatSeconds(fairness.budget)} s per trial`;
    case "none":
      return "no matching: every candidate at the configured width, reported as is";
  }
}

/** The protocol every trial followed, in one sentence. */
export function protocolSentence(results: BenchResults): string {
  const budget =
    results.fairness.mode === "none"
      ? `(${fairnessText(results.fairness)})`
      : `and the same budget (${fairnessText(results.fairness)})`;
  return (
    `Every candidate is trained on the same splits with the same ${results.seeds} initialisation ` +
    `seeds ${budget}, on shuffled mini-batches; ` +
    `the epoch kept is chosen on the validation split only, and the test split is evaluated ` +
    `once, after that selection.`
  );
}

/** Summaries of one task, in the order the candidates were declared. */
export function summariesOf(results: BenchResults, task: string): CandidateSummary[] {
  const order = new Map(results.candidates.map((c, i) => [c.name, i]));
  return results.summaries
    .filter((s) => s.task === task)
    .sort((a, b) => (order.get(a.candidate) ?? 1e9) - (order.get(b.candidate) ?? 1e9));
}

export function trialsOf(results: BenchResults, task: string, candidate: string): TrialResult[] {
  return results.trials.filter((t) => t.task === task && t.candidate === candidate);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((s, v) => s + v, 0) / values.length;
}

/** Index of the best mean among summaries (by the task's metric), or −1. */
export function bestIndex(summaries: readonly CandidateSummary[], metric: TaskMetric): number {
  let best = -1;
  summaries.forEach((s, i) => {
    if (!Number.isFinite(s.mean)) return;
    const current = best < 0 ? undefined : (summaries[best] as CandidateSummary).mean;
    if (current === undefined || (higherIsBetter(metric) ? s.mean > current : s.mean < current)) {
      best = i;
    }
  });
  return best;
}

export interface MeanCurve {
  candidate: string;
  /** Epochs where at least one seed recorded a validation metric, ascending. */
  epochs: number[];
  /** Mean validation metric over the seeds that recorded it at that epoch. */
  values: number[];
  /** How many seeds contributed at each epoch. */
  counts: number[];
}

/** Validation metric against epoch, averaged over seeds, for each candidate of a task. */
export function meanValidationCurves(results: BenchResults, task: BenchTaskInfo): MeanCurve[] {
  return results.candidates.map((candidate) => {
    const sums = new Map<number, { sum: number; count: number }>();
    for (const trial of trialsOf(results, task.name, candidate.name)) {
      for (const point of trial.curve) {
        if (point.valMetric === undefined || !Number.isFinite(point.valMetric)) continue;
        const entry = sums.get(point.epoch) ?? { sum: 0, count: 0 };
        entry.sum += point.valMetric;
        entry.count += 1;
        sums.set(point.epoch, entry);
      }
    }
    const epochs = [...sums.keys()].sort((a, b) => a - b);
    return {
      candidate: candidate.name,
      epochs,
      values: epochs.map(
        (e) => (sums.get(e) as { sum: number }).sum / (sums.get(e) as { count: number }).count,
      ),
      counts: epochs.map((e) => (sums.get(e) as { count: number }).count),
    };
  });
}

/** Mean cost figures of one task × candidate over its trials. */
export interface CostRow {
  task: string;
  candidate: string;
  secondsPerEpoch: number;
  throughput: number;
  params: number;
  flops: number;
  trainFlops: number;
  peakMemoryBytes: number;
  diverged: number;
  trials: number;
}

export function costRows(results: BenchResults): CostRow[] {
  return results.tasks.flatMap((task) =>
    results.candidates
      .map((candidate) => {
        const trials = trialsOf(results, task.name, candidate.name);
        const avg = (pick: (t: TrialResult) => number): number => mean(trials.map(pick));
        return {
          task: task.name,
          candidate: candidate.name,
          secondsPerEpoch: avg((t) => t.secondsPerEpoch),
          throughput: avg((t) => t.throughput),
          params: avg((t) => t.params),
          flops: avg((t) => t.flops),
          trainFlops: avg((t) => t.trainFlops),
          peakMemoryBytes: Math.max(...trials.map((t) => t.peakMemoryBytes)),
          diverged: trials.filter((t) => t.diverged).length,
          trials: trials.length,
        };
      })
      .filter((row) => row.trials > 0),
  );
}

/** Mean test AUC of a task × candidate (classification trials that recorded one), else undefined. */
export function meanAuc(
  results: BenchResults,
  task: string,
  candidate: string,
): number | undefined {
  const aucs = trialsOf(results, task, candidate)
    .map((t) => t.test.auc)
    .filter((v): v is number => v !== undefined);
  return aucs.length === 0 ? undefined : mean(aucs);
}

export function rowsText(task: BenchTaskInfo): string {
  return `${formatCount(task.rows.train)}/${formatCount(task.rows.val)}/${formatCount(task.rows.test)}`;
}
