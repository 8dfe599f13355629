import { smallestTwoSidedP } from "./wilcoxon.js";

/**
 * Holm's step-down adjustment (Holm 1979): sort the m p-values ascending, multiply the i-th
 * (1-based) by m − i + 1, take the running maximum so the adjusted values keep the order of the
 * raw ones, and cap at 1. Returned in the input order. Controls the family-wise error rate
 * under any dependence; adjusted p ≤ α ⇔ Holm rejects at level α.
 */
export function holm(pValues: ArrayLike<number>): number[] {
  const m = pValues.length;
  for (let i = 0; i < m; i++) {
    const p = pValues[i] as number;
    if (!(p >= 0 && p <= 1))
      throw new RangeError(`holm needs p-values in [0, 1], got ${p} at index ${i}`);
  }
  const order = Array.from({ length: m }, (_, i) => i).sort(
    (i, j) => (pValues[i] as number) - (pValues[j] as number) || i - j,
  );
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * (pValues[index] as number)));
    adjusted[index] = running;
  });
  return adjusted;
}

/**
 * The Holm floor: the smallest Holm-adjusted p any of `comparisons` tests can reach is
 * comparisons × the smallest raw p, here of a paired Wilcoxon test over `pairs` pairs
 * (k·2/2ⁿ without ties; `tied` when every |difference| ties, see smallestTwoSidedP).
 */
export function holmFloor(pairs: number, comparisons: number): { untied: number; tied: number } {
  const raw = smallestTwoSidedP(pairs);
  return {
    untied: Math.min(1, comparisons * raw.untied),
    tied: Math.min(1, comparisons * raw.tied),
  };
}

/** The fewest pairs whose Holm floor (without ties) is below alpha for `comparisons` tests. */
export function pairsForHolm(comparisons: number, alpha = 0.05): number {
  let pairs = 1;
  while (holmFloor(pairs, comparisons).untied >= alpha) pairs++;
  return pairs;
}
