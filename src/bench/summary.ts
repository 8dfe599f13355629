/**
 * Statistics over a bench run's trials: per task and candidate the mean, standard deviation and
 * 95% confidence interval of the test metric over seeds; paired Wilcoxon signed-rank tests against
 * the baseline (seeds pair the trials: same split, init key and batch order), Holm-corrected over
 * the candidates of each task; average ranks across tasks with Friedman's test and the Nemenyi
 * critical difference; improvement over the average candidate; parameter efficiency; and, when
 * KAN-family and MLP candidates are both present, a verdict per task family.
 */
import type { TaskFamily } from "../data/catalog-entry.js";
import type {
  BenchCandidateInfo,
  BenchTaskInfo,
  CandidateSummary,
  FamilyVerdict,
  RankSummary,
  TrialResult,
} from "./results.js";
import { summarizeLearned } from "./learned-summary.js";
import {
  averageRanks,
  friedman,
  holm,
  improvementOverRandom,
  nemenyiCriticalDifference,
  parameterEfficiency,
  summarize,
  wilcoxonSignedRank,
} from "./stats.js";

const SIGNIFICANCE = 0.05;

const higherIsBetter = (task: BenchTaskInfo): boolean => task.metric === "accuracy";

/** Test metric per seed index (sorted by seed index) of one task and candidate. */
function metricsBySeed(trials: TrialResult[], task: string, candidate: string): TrialResult[] {
  return trials
    .filter((t) => t.task === task && t.candidate === candidate)
    .sort((a, b) => a.seedIndex - b.seedIndex);
}

const mean = (values: number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

/** Paired values of two candidates over the seed indices both have. */
function paired(a: TrialResult[], b: TrialResult[]): [number[], number[]] {
  const bySeed = new Map(b.map((t) => [t.seedIndex, t.test.metric]));
  const shared = a.filter((t) => bySeed.has(t.seedIndex));
  return [shared.map((t) => t.test.metric), shared.map((t) => bySeed.get(t.seedIndex) as number)];
}

export function summarizeTask(
  task: BenchTaskInfo,
  candidates: BenchCandidateInfo[],
  trials: TrialResult[],
  baseline: string,
): CandidateSummary[] {
  const up = higherIsBetter(task);
  const rows = candidates
    .map((candidate) => ({ candidate, runs: metricsBySeed(trials, task.name, candidate.name) }))
    .filter((row) => row.runs.length > 0);
  const means = rows.map((row) => mean(row.runs.map((t) => t.test.metric)));
  const poolMean = mean(means);
  const base = rows.find((row) => row.candidate.name === baseline);
  const tests = rows.map((row) => {
    if (!base || row === base) return undefined;
    const [a, b] = paired(row.runs, base.runs);
    return wilcoxonSignedRank(a, b, "two-sided").pValue;
  });
  const comparedIndices = tests.flatMap((p, i) => (p === undefined ? [] : [i]));
  const adjusted = holm(comparedIndices.map((i) => tests[i] as number));
  return rows.map((row, i) => {
    const values = row.runs.map((t) => t.test.metric);
    const stats = summarize(values);
    const first = row.runs[0] as TrialResult;
    const summary: CandidateSummary = {
      task: task.name,
      candidate: row.candidate.name,
      n: stats.n,
      mean: stats.mean,
      sd: stats.sd,
      ci95: stats.ci95,
      params: first.params,
      flops: first.flops,
      secondsPerEpoch: mean(row.runs.map((t) => t.secondsPerEpoch)),
      improvementOverRandom: improvementOverRandom(stats.mean, poolMean, up),
    };
    const at = comparedIndices.indexOf(i);
    if (at >= 0 && base) {
      const baseMean = mean(base.runs.map((t) => t.test.metric));
      const pHolm = adjusted[at] as number;
      summary.vsBaseline = {
        pValue: tests[i] as number,
        pHolm,
        better: up ? stats.mean > baseMean : stats.mean < baseMean,
        significant: pHolm < SIGNIFICANCE,
      };
    }
    const learned = summarizeLearned(row.runs);
    if (learned) summary.learned = learned;
    if (task.kind === "classification") {
      const aucs = row.runs.flatMap((t) => (t.test.auc === undefined ? [] : [t.test.auc]));
      if (aucs.length > 0 && first.params > 1)
        summary.parameterEfficiency = parameterEfficiency(mean(aucs), first.params);
    }
    return summary;
  });
}

/** Average ranks of candidates over tasks (rank 1 = best mean test metric on a task). */
export function rankCandidates(
  tasks: BenchTaskInfo[],
  candidates: BenchCandidateInfo[],
  summaries: CandidateSummary[],
): { ranks: RankSummary[]; criticalDifference?: number; friedmanP?: number } {
  // signed so that higher is better on every task, whatever its metric
  const scores = tasks.map((task) =>
    candidates.map((candidate) => {
      const s = summaries.find((x) => x.task === task.name && x.candidate === candidate.name);
      const value = s ? s.mean : NaN;
      return higherIsBetter(task) ? value : -value;
    }),
  );
  const complete = scores.filter((row) => row.every(Number.isFinite));
  if (complete.length === 0) return { ranks: [] };
  const average = averageRanks(complete, true);
  const ranks = candidates.map((c, i) => ({
    candidate: c.name,
    averageRank: average[i] as number,
  }));
  if (complete.length < 2 || candidates.length < 2) return { ranks };
  return {
    ranks,
    criticalDifference: nemenyiCriticalDifference(candidates.length, complete.length),
    friedmanP: friedman(complete, true).pValue,
  };
}

/** Best candidate of a group on a task, by mean test metric. */
function bestOfGroup(
  task: BenchTaskInfo,
  group: string,
  candidates: BenchCandidateInfo[],
  summaries: CandidateSummary[],
): CandidateSummary | undefined {
  const members = new Set(candidates.filter((c) => c.group === group).map((c) => c.name));
  const pool = summaries.filter((s) => s.task === task.name && members.has(s.candidate));
  return pool.reduce<CandidateSummary | undefined>((best, s) => {
    if (!best) return s;
    return (higherIsBetter(task) ? s.mean > best.mean : s.mean < best.mean) ? s : best;
  }, undefined);
}

/**
 * The KAN critical assessment's question, per task family: on each task the best KAN-family
 * candidate against the best MLP (mean test metric over seeds, and a paired Wilcoxon test of the
 * two across seeds); the family's verdict is the majority of its tasks.
 */
export function familyVerdicts(
  tasks: BenchTaskInfo[],
  candidates: BenchCandidateInfo[],
  summaries: CandidateSummary[],
  trials: TrialResult[],
  matched: string,
): FamilyVerdict[] | undefined {
  const groups = new Set(candidates.map((c) => c.group));
  if (!groups.has("kan") || !groups.has("mlp")) return undefined;
  const families = [...new Set(tasks.map((t) => t.family))];
  return families.map((family: TaskFamily) => {
    let kanWins = 0;
    let mlpWins = 0;
    let significant = 0;
    const members = tasks.filter((t) => t.family === family);
    for (const task of members) {
      const kan = bestOfGroup(task, "kan", candidates, summaries);
      const mlp = bestOfGroup(task, "mlp", candidates, summaries);
      if (!kan || !mlp) continue;
      const kanBetter = higherIsBetter(task) ? kan.mean > mlp.mean : kan.mean < mlp.mean;
      const mlpBetter = higherIsBetter(task) ? mlp.mean > kan.mean : mlp.mean < kan.mean;
      if (kanBetter) kanWins++;
      if (mlpBetter) mlpWins++;
      const [a, b] = paired(
        metricsBySeed(trials, task.name, kan.candidate),
        metricsBySeed(trials, task.name, mlp.candidate),
      );
      if (wilcoxonSignedRank(a, b, "two-sided").pValue < SIGNIFICANCE) significant++;
    }
    const n = members.length;
    const verdict =
      kanWins > mlpWins
        ? "the KAN family beat MLPs"
        : mlpWins > kanWins
          ? "MLPs beat the KAN family"
          : "neither the KAN family nor MLPs won";
    const text =
      `${verdict} at ${matched} — KAN family better on ${kanWins} of ${n} task(s), ` +
      `MLP better on ${mlpWins}; ${significant} of ${n} difference(s) significant (paired Wilcoxon, p < ${SIGNIFICANCE})`;
    const seeds = Math.max(0, ...trials.map((t) => t.seedIndex + 1));
    const smallestP = 2 / 2 ** seeds;
    const caveat =
      smallestP >= SIGNIFICANCE
        ? ` — with ${seeds} seeds no difference can be significant (the smallest exact two-sided p is ${smallestP.toPrecision(2)}); run more seeds`
        : "";
    return { family, text: text + caveat, kanWins, mlpWins, tasks: n };
  });
}
