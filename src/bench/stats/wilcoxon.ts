import { normalCdf, normalSurvival } from "./special-functions.js";
import { tiedRanks } from "./tied-ranks.js";

export type Alternative = "two-sided" | "greater" | "less";

export interface WilcoxonResult {
  /** W+ : the sum of the ranks of |a − b| over the pairs with a > b. */
  statistic: number;
  /** Number of pairs with a non-zero difference (the ones that were ranked). */
  n: number;
  pValue: number;
  method: "exact" | "normal";
}

export interface WilcoxonOptions {
  /** "auto" (default): exact when n ≤ 25 and no ties among |a − b|, normal otherwise. */
  method?: "auto" | "exact" | "normal";
  /** Continuity correction of ½ in the normal approximation (default true). */
  continuityCorrection?: boolean;
}

/** Largest n for which "auto" uses the exact null distribution. */
export const WILCOXON_EXACT_MAX_N = 25;
/** Counts of sign patterns stay exact in doubles (< 2^53) up to this n. */
const EXACT_COUNT_LIMIT = 50;

/**
 * Paired Wilcoxon signed-rank test of a against b (Wilcoxon 1945).
 * - Differences d = a − b; exact zeros are dropped before ranking (Wilcoxon's method, scipy's
 *   zero_method="wilcox"); n is the number left. n = 0 gives p = 1 (nothing to test).
 * - |d| ranked with average ranks for ties; W+ = Σ ranks of positive d.
 * - "greater" tests whether a tends to exceed b (p = P(W+ ≥ w)), "less" the opposite
 *   (p = P(W+ ≤ w)), "two-sided" doubles the smaller tail, capped at 1.
 * - Exact null (every sign pattern equally likely) by dynamic programming over rank sums when
 *   n ≤ 25 and there are no ties; otherwise the normal approximation with mean n(n+1)/4,
 *   variance n(n+1)(2n+1)/24 − Σ(t³ − t)/48 over tie groups of size t, and a continuity
 *   correction of ½ toward the mean (two-sided: |W+ − mean| shrinks by ½, not below 0).
 */
export function wilcoxonSignedRank(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  alternative: Alternative = "two-sided",
  options: WilcoxonOptions = {},
): WilcoxonResult {
  if (a.length !== b.length)
    throw new RangeError(`wilcoxon needs paired samples, got ${a.length} and ${b.length} values`);
  const differences: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (Number.isNaN(d)) throw new RangeError(`wilcoxon: difference at index ${i} is NaN`);
    if (d !== 0) differences.push(d);
  }
  const n = differences.length;
  const method = options.method ?? "auto";
  if (n === 0)
    return { statistic: 0, n: 0, pValue: 1, method: method === "normal" ? "normal" : "exact" };

  const { ranks, tieGroups } = tiedRanks(differences.map(Math.abs));
  let statistic = 0;
  for (let i = 0; i < n; i++) if ((differences[i] as number) > 0) statistic += ranks[i] as number;

  const exactPossible = tieGroups.length === 0;
  if (method === "exact" && !exactPossible)
    throw new RangeError("wilcoxon: exact method needs no ties among |a − b|");
  if (method === "exact" && n > EXACT_COUNT_LIMIT)
    throw new RangeError(`wilcoxon: exact method supports n ≤ ${EXACT_COUNT_LIMIT}`);
  const useExact =
    method === "exact" || (method === "auto" && exactPossible && n <= WILCOXON_EXACT_MAX_N);

  const pValue = useExact
    ? exactPValue(statistic, n, alternative)
    : normalPValue(statistic, n, tieGroups, alternative, options.continuityCorrection ?? true);
  return { statistic, n, pValue, method: useExact ? "exact" : "normal" };
}

/**
 * counts[s] = number of subsets of {1, …, n} whose sum is s, i.e. the number of sign patterns
 * giving W+ = s; each of the 2^n patterns is equally likely under H0.
 */
export function signedRankNullCounts(n: number): Float64Array {
  const maxSum = (n * (n + 1)) / 2;
  const counts = new Float64Array(maxSum + 1);
  counts[0] = 1;
  for (let rank = 1; rank <= n; rank++) {
    const top = (rank * (rank + 1)) / 2;
    for (let s = top; s >= rank; s--)
      counts[s] = (counts[s] as number) + (counts[s - rank] as number);
  }
  return counts;
}

function exactPValue(statistic: number, n: number, alternative: Alternative): number {
  const counts = signedRankNullCounts(n);
  const total = 2 ** n;
  let atMost = 0;
  let atLeast = 0;
  for (let s = 0; s < counts.length; s++) {
    if (s <= statistic) atMost += counts[s] as number;
    if (s >= statistic) atLeast += counts[s] as number;
  }
  const lower = atMost / total;
  const upper = atLeast / total;
  if (alternative === "greater") return upper;
  if (alternative === "less") return lower;
  return Math.min(1, 2 * Math.min(lower, upper));
}

function normalPValue(
  statistic: number,
  n: number,
  tieGroups: number[],
  alternative: Alternative,
  continuityCorrection: boolean,
): number {
  const mean = (n * (n + 1)) / 4;
  let variance = (n * (n + 1) * (2 * n + 1)) / 24;
  for (const t of tieGroups) variance -= (t * t * t - t) / 48;
  const se = Math.sqrt(variance);
  const correction = continuityCorrection ? 0.5 : 0;
  if (alternative === "greater") return normalSurvival((statistic - mean - correction) / se);
  if (alternative === "less") return normalCdf((statistic - mean + correction) / se);
  const z = Math.max(0, Math.abs(statistic - mean) - correction) / se;
  return Math.min(1, 2 * normalSurvival(z));
}

/**
 * The smallest two-sided p wilcoxonSignedRank ("auto") can give n non-zero paired differences:
 * every difference of one sign. Without ties that is the exact 2/2ⁿ (n ≤ 25; the normal tail
 * above); when every |difference| ties (one tie group of n, the smallest variance, n(n+1)²/16)
 * the normal approximation can go lower.
 */
export function smallestTwoSidedP(n: number): { untied: number; tied: number } {
  if (n < 1) return { untied: 1, tied: 1 };
  const extreme = (n * (n + 1)) / 2;
  const untied =
    n <= WILCOXON_EXACT_MAX_N
      ? exactPValue(extreme, n, "two-sided")
      : normalPValue(extreme, n, [], "two-sided", true);
  const tied = n === 1 ? untied : normalPValue(extreme, n, [n], "two-sided", true);
  return { untied, tied: Math.min(untied, tied) };
}
