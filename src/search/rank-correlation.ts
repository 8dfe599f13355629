/**
 * Kendall's rank correlation τ-b (Kendall 1945, "The treatment of ties in ranking problems"):
 *
 *   τ_b = (n_c − n_d) / √((n₀ − n₁)(n₀ − n₂)),
 *
 * n_c / n_d the concordant / discordant pairs, n₀ = n(n − 1)/2, n₁ and n₂ the pairs tied in a and
 * in b (a pair tied in both counts in n₁ and n₂ and in neither n_c nor n_d). This is what
 * scipy.stats.kendalltau computes by default. O(n²) pairs: proxies are validated on hundreds of
 * candidates, not millions.
 */

/** Sign of x − y without subtracting (so equal infinities tie). */
const compare = (x: number, y: number): number => (x > y ? 1 : x < y ? -1 : 0);

/** τ-b of two equally long lists; NaN when either list is constant (the ratio is 0/0). */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length)
    throw new RangeError(`kendallTau: lists of different lengths (${a.length} and ${b.length})`);
  if (a.some(Number.isNaN) || b.some(Number.isNaN))
    throw new RangeError("kendallTau: the lists hold NaN");
  const n = a.length;
  let concordant = 0;
  let discordant = 0;
  let tiedA = 0;
  let tiedB = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const da = compare(a[j] as number, a[i] as number);
      const db = compare(b[j] as number, b[i] as number);
      if (da === 0) tiedA++;
      if (db === 0) tiedB++;
      if (da * db > 0) concordant++;
      else if (da * db < 0) discordant++;
    }
  const pairs = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((pairs - tiedA) * (pairs - tiedB));
  return denominator === 0 ? NaN : (concordant - discordant) / denominator;
}
