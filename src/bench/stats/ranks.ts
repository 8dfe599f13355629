import { chiSquareSurvival, studentizedRangeQuantile } from "./special-functions.js";
import { tiedRanks } from "./tied-ranks.js";

/** Checks scores[task][candidate] is a non-empty rectangle and returns [tasks, candidates]. */
function checkScoreTable(scores: ArrayLike<ArrayLike<number>>, what: string): [number, number] {
  const tasks = scores.length;
  if (tasks === 0) throw new RangeError(`${what} needs at least one task`);
  const k = (scores[0] as ArrayLike<number>).length;
  if (k === 0) throw new RangeError(`${what} needs at least one candidate`);
  for (let t = 0; t < tasks; t++) {
    const row = scores[t] as ArrayLike<number>;
    if (row.length !== k)
      throw new RangeError(`${what}: task ${t} has ${row.length} scores, expected ${k}`);
  }
  return [tasks, k];
}

/** Ranks within one task, rank 1 = best, ties averaged. */
function rankTask(row: ArrayLike<number>, higherIsBetter: boolean) {
  const oriented = Array.from(row, (v) => (higherIsBetter ? -v : v));
  return tiedRanks(oriented);
}

/**
 * Mean rank of each candidate across tasks (Demšar 2006, §3.2.2): within each task the best
 * candidate gets rank 1, tied candidates the average of the ranks they span.
 * scores[task][candidate]; ±Infinity is allowed (it ranks last or first), NaN is an error.
 */
export function averageRanks(
  scores: ArrayLike<ArrayLike<number>>,
  higherIsBetter: boolean,
): number[] {
  const [tasks, k] = checkScoreTable(scores, "averageRanks");
  const sums = new Array<number>(k).fill(0);
  for (let t = 0; t < tasks; t++) {
    const { ranks } = rankTask(scores[t] as ArrayLike<number>, higherIsBetter);
    for (let j = 0; j < k; j++) sums[j] = (sums[j] as number) + (ranks[j] as number);
  }
  return sums.map((s) => s / tasks);
}

export interface FriedmanResult {
  statistic: number;
  df: number;
  pValue: number;
}

export interface FriedmanOptions {
  /**
   * Divide by 1 − Σ(t³ − t) / (N(k³ − k)) for within-task ties, as R's friedman.test and scipy's
   * friedmanchisquare do (default true). Without ties it changes nothing; false gives Demšar's
   * formula exactly.
   */
  tieCorrection?: boolean;
}

/**
 * Friedman's test that all k candidates are equivalent over N tasks (Friedman 1937; Demšar 2006
 * eq. for χ²_F): χ²_F = 12N / (k(k+1)) · [Σ_j R_j² − k(k+1)²/4] with R_j the average ranks,
 * chi-square with k − 1 df. The statistic does not depend on the direction of "better"; the
 * argument is kept so that callers pass the same table as to averageRanks.
 * Needs N ≥ 2 tasks and k ≥ 2 candidates. If every task is a complete tie the statistic is
 * 0 and p = 1.
 */
export function friedman(
  scores: ArrayLike<ArrayLike<number>>,
  higherIsBetter: boolean,
  options: FriedmanOptions = {},
): FriedmanResult {
  const [tasks, k] = checkScoreTable(scores, "friedman");
  if (tasks < 2) throw new RangeError(`friedman needs at least 2 tasks, got ${tasks}`);
  if (k < 2) throw new RangeError(`friedman needs at least 2 candidates, got ${k}`);
  const sums = new Array<number>(k).fill(0);
  let tieSum = 0;
  for (let t = 0; t < tasks; t++) {
    const { ranks, tieGroups } = rankTask(scores[t] as ArrayLike<number>, higherIsBetter);
    for (let j = 0; j < k; j++) sums[j] = (sums[j] as number) + (ranks[j] as number);
    for (const g of tieGroups) tieSum += g * g * g - g;
  }
  let squares = 0;
  for (const s of sums) squares += (s / tasks) ** 2;
  let statistic = ((12 * tasks) / (k * (k + 1))) * (squares - (k * (k + 1) ** 2) / 4);
  if (options.tieCorrection ?? true) {
    const correction = 1 - tieSum / (tasks * (k * k * k - k));
    statistic = correction > 0 ? statistic / correction : 0;
  }
  statistic = Math.max(0, statistic); // rounding can leave −1e−15 when all ranks are equal
  const df = k - 1;
  return { statistic, df, pValue: chiSquareSurvival(statistic, df) };
}

/**
 * Demšar (2006) Table 5(a): critical values q_α of the two-tailed Nemenyi test, i.e. the
 * studentized range quantile (infinite df) divided by √2, for k = 2..10.
 */
const NEMENYI_Q: Record<string, number[]> = {
  "0.05": [1.96, 2.343, 2.569, 2.728, 2.85, 2.949, 3.031, 3.102, 3.164],
  "0.1": [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.78, 2.855, 2.92],
};

const computedQ = new Map<string, number>();

/**
 * q_α for the Nemenyi test with k candidates: Demšar's Table 5 for α ∈ {0.05, 0.10} and
 * k ≤ 10; otherwise computed as studentizedRangeQuantile(1 − α, k) / √2 (numerical integration,
 * agrees with the table to its 3 decimals for k ≤ 10).
 */
export function nemenyiQ(k: number, alpha = 0.05): number {
  if (!Number.isInteger(k) || k < 2)
    throw new RangeError(`Nemenyi test needs an integer k ≥ 2 candidates, got ${k}`);
  if (!(alpha > 0 && alpha < 1))
    throw new RangeError(`Nemenyi test needs 0 < alpha < 1, got ${alpha}`);
  const table = NEMENYI_Q[String(alpha)];
  if (table && k <= 10) return table[k - 2] as number;
  const key = `${k}:${alpha}`;
  let q = computedQ.get(key);
  if (q === undefined) {
    q = studentizedRangeQuantile(1 - alpha, k) / Math.SQRT2;
    computedQ.set(key, q);
  }
  return q;
}

/**
 * Nemenyi critical difference of average ranks (Demšar 2006, §3.2.2):
 * CD = q_α √(k(k+1) / (6N)); two candidates whose average ranks differ by at least CD differ
 * significantly at level α.
 */
export function nemenyiCriticalDifference(k: number, tasks: number, alpha = 0.05): number {
  if (!Number.isInteger(tasks) || tasks < 1)
    throw new RangeError(`Nemenyi test needs an integer number of tasks ≥ 1, got ${tasks}`);
  return nemenyiQ(k, alpha) * Math.sqrt((k * (k + 1)) / (6 * tasks));
}
