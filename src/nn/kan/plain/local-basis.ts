/**
 * B-spline basis values and slopes on plain numbers, only where they can be non-zero: a point in
 * knot interval [t_s, t_{s+1}) sees the order-k functions s−k … s (de Boor's local triangle), so a
 * KAN edge costs k+1 terms instead of grid_size+k. The arithmetic is that of
 * src/nn/kan/bspline-basis.ts (Cox–de Boor with 1/(t_{c+p} − t_c) set to 0 on repeated knots,
 * half-open intervals, zero outside [t_0, t_{M−1})), term by term, so both give the same numbers.
 */

/** Per-input knot data of one KAN layer: knots and the reciprocals Cox–de Boor needs. */
export class LocalBasis {
  /** Knots per input (M) and functions per input (K = M − 1 − order). */
  readonly knotCount: number;
  readonly count: number;
  /** reciprocals[(i·(order+1) + p)·M + c] = 1/(t_{c+p} − t_c), or 0 on repeated knots; p = 1 … order. */
  readonly reciprocals: Float64Array;

  /** knots: [inputs, M] row-major (copied). */
  constructor(
    readonly knots: Float64Array,
    readonly inputs: number,
    readonly order: number,
  ) {
    const m = knots.length / inputs;
    this.knotCount = m;
    this.count = m - 1 - order;
    this.reciprocals = new Float64Array(inputs * (order + 1) * m);
    for (let i = 0; i < inputs; i++)
      for (let p = 1; p <= order; p++)
        for (let c = 0; c + p < m; c++) {
          const d = (knots[i * m + c + p] as number) - (knots[i * m + c] as number);
          this.reciprocals[(i * (order + 1) + p) * m + c] = d === 0 ? 0 : 1 / d;
        }
  }

  /** First function of the window of order+1 functions stored for a point in interval s. */
  windowStart(s: number): number {
    return windowStart(s, this.order, this.count);
  }

  /**
   * Values (and, if `slopes` is given, d/dx) of the order+1 functions c0 … c0+order at x for
   * input i, written to values[at … at+order]; returns c0. Functions that do not exist or vanish
   * get 0 (so do all at a point outside the knots).
   */
  evaluate(x: number, i: number, values: Float64Array, at: number, slopes?: Float64Array): number {
    const triangle = new Float64Array(2 * (this.order + 1));
    return basisAt(this, x, i, values, at, slopes, triangle);
  }

  /** The same for every entry of h [rows, inputs] (row-major): windows start at first[e]. */
  evaluateAll(
    h: Float64Array,
    first: Int32Array,
    values: Float64Array,
    slopes?: Float64Array,
  ): void {
    const n = this.inputs;
    const w = this.order + 1;
    const triangle = new Float64Array(2 * w);
    if (this.order === 3 && slopes) {
      cubicAll(this, h, first, values, slopes, triangle);
      return;
    }
    for (let e = 0, i = 0; e < h.length; e++) {
      first[e] = basisAt(this, h[e] as number, i, values, e * w, slopes, triangle);
      if (++i === n) i = 0;
    }
  }
}

const windowStart = (s: number, order: number, count: number): number =>
  Math.min(Math.max(s - order, 0), Math.max(count - 1 - order, 0));

/** basis.evaluate's work, with every array passed in (a hot path: no allocation). */
function basisAt(
  basis: LocalBasis,
  x: number,
  i: number,
  values: Float64Array,
  at: number,
  slopes: Float64Array | undefined,
  triangle: Float64Array,
): number {
  const { knots, order: k, knotCount: m, count } = basis;
  const recip = basis.reciprocals;
  const base = i * m;
  const inside = x >= (knots[base] as number) && x < (knots[base + m - 1] as number);
  // span: the last s with t_s ≤ x (then x < t_{s+1}, as x < t_{M−1})
  let s = 0;
  let above = m - 1;
  while (inside && above - s > 1) {
    const mid = (s + above) >> 1;
    if ((knots[base + mid] as number) <= x) s = mid;
    else above = mid;
  }
  if (inside && k === 3 && s >= 3 && s <= m - 5)
    return cubicInterior(basis, x, i, s, values, at, slopes);
  for (let q = 0; q <= k; q++) values[at + q] = 0;
  if (slopes) for (let q = 0; q <= k; q++) slopes[at + q] = 0;
  if (!inside) return windowStart(0, k, count);
  const c0 = windowStart(s, k, count);
  // triangle[lo + r] holds function s − (p−1) + r of order p−1 (start: order 0, function s is 1);
  // the next order goes to triangle[hi + r], then the halves swap
  let lo = 0;
  let hi = k + 1;
  triangle[0] = 1;
  for (let p = 1; p <= k; p++) {
    const row = (i * (k + 1) + p) * m;
    if (p === k && slopes) {
      // B'_{c,k} = k·(B_{c,k−1}/(t_{c+k} − t_c) − B_{c+1,k−1}/(t_{c+k+1} − t_{c+1}))
      for (let r = 0; r <= k; r++) {
        const c = s - k + r;
        if (c < 0 || c >= count) continue;
        const below = r >= 1 ? (triangle[lo + r - 1] as number) : 0;
        const next = r <= k - 1 ? (triangle[lo + r] as number) : 0;
        slopes[at + c - c0] =
          (below * (recip[row + c] as number) - next * (recip[row + c + 1] as number)) * k;
      }
    }
    for (let r = 0; r <= p; r++) {
      const c = s - p + r;
      let value = 0;
      if (c >= 0 && c <= m - 2 - p) {
        const below = r >= 1 ? (triangle[lo + r - 1] as number) : 0; // order p−1, function c
        const next = r <= p - 1 ? (triangle[lo + r] as number) : 0; // order p−1, function c + 1
        value =
          (x - (knots[base + c] as number)) * (recip[row + c] as number) * below +
          ((knots[base + c + p + 1] as number) - x) * (recip[row + c + 1] as number) * next;
      }
      triangle[hi + r] = value;
    }
    const swap = lo;
    lo = hi;
    hi = swap;
  }
  for (let r = 0; r <= k; r++) {
    const c = s - k + r;
    if (c >= 0 && c < count) values[at + c - c0] = triangle[lo + r] as number;
  }
  return c0;
}

/**
 * basisAt for order 3 inside the grid (knot intervals 3 … M−5, where every function of the
 * triangle exists): the same Cox–de Boor terms unrolled, dropping the ones multiplied by the
 * triangle's zero ends (adding 0 changes nothing), so the values are identical. Window start s−3.
 */
function cubicInterior(
  basis: LocalBasis,
  x: number,
  i: number,
  s: number,
  values: Float64Array,
  at: number,
  slopes: Float64Array | undefined,
): number {
  const m = basis.knotCount;
  const t = basis.knots;
  const recip = basis.reciprocals;
  const o = i * m;
  const r1 = (i * 4 + 1) * m;
  const r2 = r1 + m;
  const r3 = r2 + m;
  const ts = t[o + s] as number;
  const tsm1 = t[o + s - 1] as number;
  const tsm2 = t[o + s - 2] as number;
  const ts1 = t[o + s + 1] as number;
  const ts2 = t[o + s + 2] as number;
  const ts3 = t[o + s + 3] as number;
  // order 1: functions s−1, s
  const b10 = (ts1 - x) * (recip[r1 + s] as number);
  const b11 = (x - ts) * (recip[r1 + s] as number);
  // order 2: functions s−2, s−1, s
  const b20 = (ts1 - x) * (recip[r2 + s - 1] as number) * b10;
  const b21 =
    (x - tsm1) * (recip[r2 + s - 1] as number) * b10 + (ts2 - x) * (recip[r2 + s] as number) * b11;
  const b22 = (x - ts) * (recip[r2 + s] as number) * b11;
  // order 3: functions s−3 … s
  const q0 = recip[r3 + s - 2] as number;
  const q1 = recip[r3 + s - 1] as number;
  const q2 = recip[r3 + s] as number;
  values[at] = (ts1 - x) * q0 * b20;
  values[at + 1] = (x - tsm2) * q0 * b20 + (ts2 - x) * q1 * b21;
  values[at + 2] = (x - tsm1) * q1 * b21 + (ts3 - x) * q2 * b22;
  values[at + 3] = (x - ts) * q2 * b22;
  if (slopes) {
    slopes[at] = -(b20 * q0) * 3;
    slopes[at + 1] = (b20 * q0 - b21 * q1) * 3;
    slopes[at + 2] = (b21 * q1 - b22 * q2) * 3;
    slopes[at + 3] = b22 * q2 * 3;
  }
  return s - 3;
}

/**
 * evaluateAll for order 3 with slopes (the per-evaluation basis of a hidden KAN layer): the
 * interior case of cubicInterior inlined in one loop; other points go through basisAt.
 */
function cubicAll(
  basis: LocalBasis,
  h: Float64Array,
  first: Int32Array,
  values: Float64Array,
  slopes: Float64Array,
  triangle: Float64Array,
): void {
  const n = basis.inputs;
  const m = basis.knotCount;
  const t = basis.knots;
  const recip = basis.reciprocals;
  for (let e = 0, i = 0; e < h.length; e++, i = i + 1 === n ? 0 : i + 1) {
    const x = h[e] as number;
    const o = i * m;
    // span s among the interior intervals 3 … m−5 (t_3 ≤ x < t_{m−4}), else the general path
    if (!(x >= (t[o + 3] as number) && x < (t[o + m - 4] as number))) {
      first[e] = basisAt(basis, x, i, values, e * 4, slopes, triangle);
      continue;
    }
    // s = 3 + #{interior knots t_4 … t_{m−5} ≤ x}: counted without branches, which a search over
    // ever-changing hidden values would mispredict (a grid has few knots)
    let s = 3;
    for (let k = o + 4; k <= o + m - 5; k++) s += +((t[k] as number) <= x);
    const r1 = (i * 4 + 1) * m;
    const r2 = r1 + m;
    const r3 = r2 + m;
    const ts = t[o + s] as number;
    const tsm1 = t[o + s - 1] as number;
    const tsm2 = t[o + s - 2] as number;
    const ts1 = t[o + s + 1] as number;
    const ts2 = t[o + s + 2] as number;
    const ts3 = t[o + s + 3] as number;
    const p1 = recip[r1 + s] as number;
    const b10 = (ts1 - x) * p1;
    const b11 = (x - ts) * p1;
    const p20 = recip[r2 + s - 1] as number;
    const p21 = recip[r2 + s] as number;
    const b20 = (ts1 - x) * p20 * b10;
    const b21 = (x - tsm1) * p20 * b10 + (ts2 - x) * p21 * b11;
    const b22 = (x - ts) * p21 * b11;
    const q0 = recip[r3 + s - 2] as number;
    const q1 = recip[r3 + s - 1] as number;
    const q2 = recip[r3 + s] as number;
    const at = e * 4;
    values[at] = (ts1 - x) * q0 * b20;
    values[at + 1] = (x - tsm2) * q0 * b20 + (ts2 - x) * q1 * b21;
    values[at + 2] = (x - tsm1) * q1 * b21 + (ts3 - x) * q2 * b22;
    values[at + 3] = (x - ts) * q2 * b22;
    slopes[at] = -(b20 * q0) * 3;
    slopes[at + 1] = (b20 * q0 - b21 * q1) * 3;
    slopes[at + 2] = (b21 * q1 - b22 * q2) * 3;
    slopes[at + 3] = b22 * q2 * 3;
    first[e] = s - 3;
  }
}
