/**
 * The hot loops of the plain float64 KAN code (forward pass, pruning spreads, the L-BFGS objective
 * in train/kan-fast), as functions of numbers and Float64Arrays only: V8 keeps such functions
 * optimised (the same loops as methods reading a layer object were deopted and re-optimised over
 * and over — "wrong map" — and ran 2–3x slower). Order 3 (pykan's default,
 * four non-zero B-splines per point) is unrolled.
 *
 * Shapes: rows b, inputs i < n, outputs j < m, edges e = i·m + j, window of w = order+1 basis
 * functions per (b, i) starting at first[b·n + i]; coefficients a and their gradient da are
 * edge-major [n·m, count].
 */

/** start + Σ_q a[row+q]·v[at+q] over a window of w (unrolled for w = 4, cubic splines). */
function windowDot(
  start: number,
  a: Float64Array,
  row: number,
  v: Float64Array,
  at: number,
  w: number,
): number {
  if (w === 4)
    return (
      start +
      ((a[row] as number) * (v[at] as number) +
        (a[row + 1] as number) * (v[at + 1] as number) +
        (a[row + 2] as number) * (v[at + 2] as number) +
        (a[row + 3] as number) * (v[at + 3] as number))
    );
  let sum = start;
  for (let q = 0; q < w; q++) sum += (a[row + q] as number) * (v[at + q] as number);
  return sum;
}

/** out[b, j] = Σ_i (bb_e·base_bi + Σ_q a[e, c0+q]·B_q(b, i)); φ_bij kept in phi if it has room. */
export function forwardEdges(
  rows: number,
  n: number,
  m: number,
  count: number,
  w: number,
  a: Float64Array,
  bb: Float64Array,
  first: Int32Array,
  values: Float64Array,
  baseValue: Float64Array,
  out: Float64Array,
  phi: Float64Array,
): void {
  const keep = phi.length > 0;
  out.fill(0);
  if (w === 4) {
    forwardEdgesCubic(rows, n, m, count, a, bb, first, values, baseValue, out, phi, keep);
    return;
  }
  for (let b = 0; b < rows; b++) {
    const outRow = b * m;
    for (let i = 0; i < n; i++) {
      const bi = b * n + i;
      const base = baseValue[bi] as number;
      const c0 = first[bi] as number;
      const at = bi * w;
      for (let j = 0; j < m; j++) {
        const e = i * m + j;
        const row = e * count + c0;
        const edge = windowDot((bb[e] as number) * base, a, row, values, at, w);
        if (keep) phi[bi * m + j] = edge;
        out[outRow + j] = (out[outRow + j] as number) + edge;
      }
    }
  }
}

/** forwardEdges for four basis functions per point (order 3), the point's values in registers. */
function forwardEdgesCubic(
  rows: number,
  n: number,
  m: number,
  count: number,
  a: Float64Array,
  bb: Float64Array,
  first: Int32Array,
  values: Float64Array,
  baseValue: Float64Array,
  out: Float64Array,
  phi: Float64Array,
  keep: boolean,
): void {
  for (let b = 0, bi = 0; b < rows; b++) {
    const outRow = b * m;
    for (let i = 0; i < n; i++, bi++) {
      const base = baseValue[bi] as number;
      const at = bi * 4;
      const v0 = values[at] as number;
      const v1 = values[at + 1] as number;
      const v2 = values[at + 2] as number;
      const v3 = values[at + 3] as number;
      let row = i * m * count + (first[bi] as number);
      let e = i * m;
      for (let j = 0; j < m; j++, e++, row += count) {
        const edge =
          (bb[e] as number) * base +
          ((a[row] as number) * v0 +
            (a[row + 1] as number) * v1 +
            (a[row + 2] as number) * v2 +
            (a[row + 3] as number) * v3);
        if (keep) phi[bi * m + j] = edge;
        out[outRow + j] = (out[outRow + j] as number) + edge;
      }
    }
  }
}

/** dPhi[b, e] = gOut[b, j] + coefficient[e]·(φ_be − mean[e]) (the penalty's path through std). */
export function edgeGradients(
  rows: number,
  n: number,
  m: number,
  gOut: Float64Array,
  coefficient: Float64Array,
  mean: Float64Array,
  phi: Float64Array,
  dPhi: Float64Array,
): void {
  for (let b = 0, at = 0; b < rows; b++)
    for (let i = 0, e = 0; i < n; i++)
      for (let j = 0; j < m; j++, e++, at++)
        dPhi[at] =
          (gOut[b * m + j] as number) +
          (coefficient[e] as number) * ((phi[at] as number) - (mean[e] as number));
}

/**
 * The backward pass of one layer's edges: da[e, c] = Σ_b dEdge_be·B_c(b, i), dbb[e] = Σ_b
 * dEdge_be·base_bi and, if dh has room, dh[b, i] = Σ_j dEdge_be·(bb_e·base'_bi + Σ_q
 * a[e, c0+q]·B'_q(b, i)). dEdge_be is read at dEdges[b·rowStride + i·inputStride + j]: rowStride
 * m, inputStride 0 for the output gradient (shared by every input); n·m, m for per-edge values.
 */
export function edgesBackward(
  rows: number,
  n: number,
  m: number,
  count: number,
  w: number,
  dEdges: Float64Array,
  rowStride: number,
  inputStride: number,
  first: Int32Array,
  values: Float64Array,
  slopes: Float64Array,
  baseValue: Float64Array,
  baseSlope: Float64Array,
  a: Float64Array,
  bb: Float64Array,
  da: Float64Array,
  dbb: Float64Array,
  dh: Float64Array,
): void {
  const needInput = dh.length > 0;
  da.fill(0);
  dbb.fill(0);
  for (let b = 0; b < rows; b++)
    for (let i = 0; i < n; i++) {
      const bi = b * n + i;
      const base = baseValue[bi] as number;
      const c0 = first[bi] as number;
      const at = bi * w;
      const dAt = b * rowStride + i * inputStride;
      if (w === 4) {
        const v0 = values[at] as number;
        const v1 = values[at + 1] as number;
        const v2 = values[at + 2] as number;
        const v3 = values[at + 3] as number;
        for (let j = 0; j < m; j++) {
          const e = i * m + j;
          const d = dEdges[dAt + j] as number;
          dbb[e] = (dbb[e] as number) + d * base;
          const row = e * count + c0;
          da[row] = (da[row] as number) + d * v0;
          da[row + 1] = (da[row + 1] as number) + d * v1;
          da[row + 2] = (da[row + 2] as number) + d * v2;
          da[row + 3] = (da[row + 3] as number) + d * v3;
        }
      } else
        for (let j = 0; j < m; j++) {
          const e = i * m + j;
          const d = dEdges[dAt + j] as number;
          dbb[e] = (dbb[e] as number) + d * base;
          const row = e * count + c0;
          for (let q = 0; q < w; q++)
            da[row + q] = (da[row + q] as number) + d * (values[at + q] as number);
        }
      if (!needInput) continue;
      const baseDerivative = baseSlope[bi] as number;
      let dx = 0;
      for (let j = 0; j < m; j++) {
        const e = i * m + j;
        const row = e * count + c0;
        const slope = windowDot((bb[e] as number) * baseDerivative, a, row, slopes, at, w);
        dx += (dEdges[dAt + j] as number) * slope;
      }
      dh[bi] = dx;
    }
}

/** dh[b, i] += coefficient[i]·(h_bi − mean[i]) (the penalty's path through the input's std). */
export function inputSpreadGradients(
  rows: number,
  n: number,
  h: Float64Array,
  coefficient: Float64Array,
  mean: Float64Array,
  dh: Float64Array,
): void {
  for (let b = 0, bi = 0; b < rows; b++)
    for (let i = 0; i < n; i++, bi++)
      dh[bi] =
        (dh[bi] as number) + (coefficient[i] as number) * ((h[bi] as number) - (mean[i] as number));
}

/** Mean and unbiased standard deviation of each column of a row-major [rows, cols] array. */
export function columnSpread(
  values: Float64Array,
  rows: number,
  cols: number,
  mean: Float64Array,
  std: Float64Array,
): void {
  mean.fill(0);
  for (let r = 0, at = 0; r < rows; r++)
    for (let c = 0; c < cols; c++, at++) mean[c] = (mean[c] as number) + (values[at] as number);
  for (let c = 0; c < cols; c++) mean[c] = (mean[c] as number) / rows;
  std.fill(0);
  for (let r = 0, at = 0; r < rows; r++)
    for (let c = 0; c < cols; c++, at++) {
      const d = (values[at] as number) - (mean[c] as number);
      std[c] = (std[c] as number) + d * d;
    }
  for (let c = 0; c < cols; c++) std[c] = Math.sqrt((std[c] as number) / Math.max(rows - 1, 1));
}

/** SiLU x·σ(x) and its slope σ(x)·(1 + x·(1 − σ(x))) at every entry. */
export function siluWithSlope(h: Float64Array, value: Float64Array, slope: Float64Array): void {
  for (let e = 0; e < h.length; e++) {
    const x = h[e] as number;
    const s = 1 / (1 + Math.exp(-x));
    value[e] = x * s;
    slope[e] = s * (1 + x * (1 - s));
  }
}
