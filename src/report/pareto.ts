/**
 * The Pareto front of (cost, quality) points: those no other point dominates. A point dominates
 * another when it is at least as good on both axes and strictly better on one, so equal points
 * never dominate each other and all stay on the front.
 */

export interface ParetoPoint {
  x: number;
  y: number;
}

/**
 * Indices (ascending) of the non-dominated points. `lowerXBetter`: smaller x is better (e.g.
 * parameters); `higherYBetter`: larger y is better (accuracy) or smaller is (RMSE). Points with a
 * non-finite coordinate are neither on the front nor dominate anything.
 *
 * Sweep in O(n log n): order by x best-first; a point survives when its y is the best of its
 * equal-x group and strictly better than every y seen at strictly better x.
 */
export function paretoFront(
  points: readonly ParetoPoint[],
  lowerXBetter = true,
  higherYBetter = true,
): number[] {
  const xKey = (i: number): number => (lowerXBetter ? 1 : -1) * (points[i] as ParetoPoint).x;
  const yKey = (i: number): number => (higherYBetter ? -1 : 1) * (points[i] as ParetoPoint).y;
  // In key space both axes are "lower is better".
  const order = points
    .map((_, i) => i)
    .filter((i) => Number.isFinite(xKey(i)) && Number.isFinite(yKey(i)))
    .sort((a, b) => xKey(a) - xKey(b) || yKey(a) - yKey(b));
  const front: number[] = [];
  let bestBefore = Infinity;
  let start = 0;
  while (start < order.length) {
    let end = start;
    const groupX = xKey(order[start] as number);
    while (end < order.length && xKey(order[end] as number) === groupX) end++;
    const groupBest = yKey(order[start] as number);
    if (groupBest < bestBefore) {
      for (let k = start; k < end && yKey(order[k] as number) === groupBest; k++) {
        front.push(order[k] as number);
      }
      bestBefore = groupBest;
    }
    start = end;
  }
  return front.sort((a, b) => a - b);
}
