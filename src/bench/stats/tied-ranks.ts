/** Ranks with ties, the building block of every rank-based test here. */

export interface TiedRanks {
  /** 1-based ascending ranks; equal values share the average of the ranks they span. */
  ranks: Float64Array;
  /** Sizes of the groups of equal values that have more than one member. */
  tieGroups: number[];
}

/**
 * Ascending ranks with average ranks for ties ("mid-ranks"). Values are compared exactly, as
 * floating-point numbers; NaN is rejected because it has no place in an order.
 */
export function tiedRanks(values: ArrayLike<number>): TiedRanks {
  const n = values.length;
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(values[i])) throw new RangeError(`cannot rank NaN (index ${i})`);
    order[i] = i;
  }
  order.sort((i, j) => (values[i] as number) - (values[j] as number) || i - j);
  const ranks = new Float64Array(n);
  const tieGroups: number[] = [];
  let start = 0;
  while (start < n) {
    const value = values[order[start] as number] as number;
    let end = start + 1;
    while (end < n && values[order[end] as number] === value) end++;
    // Positions start..end−1 hold ranks start+1..end; their average is (start + 1 + end) / 2.
    const rank = (start + 1 + end) / 2;
    for (let p = start; p < end; p++) ranks[order[p] as number] = rank;
    if (end - start > 1) tieGroups.push(end - start);
    start = end;
  }
  return { ranks, tieGroups };
}
