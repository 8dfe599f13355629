/**
 * The width solver: the largest integer width whose cost (parameters or FLOPs, from the exact
 * counts) stays within a budget, so models are compared at matched size. Costs grow with width,
 * so a doubling search then bisection finds it.
 */
export function solveWidth(
  cost: (width: number) => number,
  budget: number,
  maxWidth = 1 << 24,
): number {
  if (cost(1) > budget)
    throw new RangeError(`even width 1 costs ${cost(1)}, over the budget ${budget}`);
  let low = 1;
  let high = 2;
  while (high < maxWidth && cost(high) <= budget) {
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (cost(mid) <= budget) low = mid;
    else high = mid;
  }
  return low;
}
