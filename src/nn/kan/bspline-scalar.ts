/**
 * B-spline basis in plain float64 (Cox–de Boor), for fitting and grid operations done outside the
 * engine (least-squares refits on a few thousand points) and for reading edge functions out.
 */

/** Values of all basis functions of `order` on `knots` at x: knots.length − 1 − order values. */
export function basisAt(x: number, knots: ArrayLike<number>, order: number): Float64Array {
  const m = knots.length;
  let values = new Float64Array(m - 1);
  for (let i = 0; i < m - 1; i++)
    values[i] = x >= (knots[i] as number) && x < (knots[i + 1] as number) ? 1 : 0;
  for (let p = 1; p <= order; p++) {
    const next = new Float64Array(m - 1 - p);
    for (let i = 0; i < next.length; i++) {
      const ti = knots[i] as number;
      const left = (knots[i + p] as number) - ti;
      const right = (knots[i + p + 1] as number) - (knots[i + 1] as number);
      const a = left === 0 ? 0 : ((x - ti) / left) * (values[i] as number);
      const b =
        right === 0 ? 0 : (((knots[i + p + 1] as number) - x) / right) * (values[i + 1] as number);
      next[i] = a + b;
    }
    values = next;
  }
  return values;
}

/** Design matrix [points, count] of the basis at each point. */
export function designMatrix(xs: ArrayLike<number>, knots: ArrayLike<number>, order: number) {
  const count = knots.length - 1 - order;
  const a = new Float64Array(xs.length * count);
  for (let r = 0; r < xs.length; r++) a.set(basisAt(xs[r] as number, knots, order), r * count);
  return a;
}
