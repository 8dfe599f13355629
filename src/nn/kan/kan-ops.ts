/**
 * Operations on a trained B-spline KAN layer that change its grid while keeping its curves
 * (pykan's update_grid_from_samples and refine / grid extension). All in float64 plain TypeScript
 * on the layer's values: the fits are least-squares problems of a few thousand points and a few
 * dozen unknowns.
 */
import { arrayFrom } from "../../engine/dtype.js";
import { takeValues } from "../../engine/ownership.js";
import type { LayerState } from "../layer.js";
import type { KanLayer, KanSpec } from "./bspline.js";
import { leastSquares } from "../../numeric/least-squares.js";
import { forwardEdges, siluWithSlope } from "./plain/kernels.js";
import { LocalBasis } from "./plain/local-basis.js";
import type { PlainBase } from "./plain/support.js";

/** The layer's knots [n][M] and raw coefficients [n][K·m] as plain numbers. */
export function readSplines(
  layer: KanLayer,
  state: LayerState,
): { knots: Float64Array[]; coef: Float64Array[] } {
  const { inputs: n, units: m } = layer;
  const knotsFlat = takeValues(layer.array(state, "knots"));
  const coefFlat = takeValues(layer.array(state, "coef"));
  const knotCount = knotsFlat.length / n;
  const count = knotCount - 1 - layer.spec.order;
  return {
    knots: Array.from({ length: n }, (_, i) => knotsFlat.slice(i * knotCount, (i + 1) * knotCount)),
    coef: Array.from({ length: n }, (_, i) => coefFlat.slice(i * count * m, (i + 1) * count * m)),
  };
}

/**
 * New knots from samples of one input, as pykan: G+1 points at sample percentiles mixed with a
 * uniform grid on the sample range (weight grid_eps on uniform), extended by `order` cells of the
 * grid's mean width on each side.
 */
export function knotsFromSamples(
  sorted: Float64Array,
  intervals: number,
  order: number,
  gridEps: number,
): Float64Array {
  const count = sorted.length;
  const adaptive = Array.from({ length: intervals + 1 }, (_, i) =>
    i === intervals
      ? (sorted[count - 1] as number)
      : (sorted[Math.floor((count / intervals) * i)] as number),
  );
  const low = adaptive[0] as number;
  const high = adaptive[intervals] as number;
  const h = (high - low) / intervals;
  const grid = adaptive.map((a, i) => gridEps * (low + i * h) + (1 - gridEps) * a);
  const knots = new Float64Array(intervals + 2 * order + 1);
  for (let i = 0; i <= intervals; i++) knots[order + i] = grid[i] as number;
  for (let i = 1; i <= order; i++) {
    knots[order - i] = (grid[0] as number) - i * h;
    knots[order + intervals + i] = (grid[intervals] as number) + i * h;
  }
  return knots;
}

/**
 * Values at each point of xs of the order+1 B-splines that can be non-zero there, windows
 * starting at first[r] (values [rows, order+1]). The terms of bspline-scalar.ts's basisAt, with
 * the same divisions in the same order, restricted to de Boor's local triangle: the functions left
 * out are 0 and add nothing, so the numbers are bit-identical to the full recursion (grid updates
 * must not move: hello KAN's penalised phase amplifies last-bit changes into another pruning).
 */
function localWindows(
  xs: Float64Array,
  knots: Float64Array,
  order: number,
): { first: Int32Array; values: Float64Array } {
  const w = order + 1;
  const m = knots.length;
  const count = m - 1 - order;
  const first = new Int32Array(xs.length);
  const values = new Float64Array(xs.length * w);
  const low = new Float64Array(w);
  const high = new Float64Array(w);
  for (let r = 0; r < xs.length; r++) {
    const x = xs[r] as number;
    // span s: t_s ≤ x < t_{s+1} (none outside [t_0, t_{m−1}): every function is 0 there)
    let s = -1;
    for (let c = 0; c < m - 1; c++)
      if (x >= (knots[c] as number) && x < (knots[c + 1] as number)) {
        s = c;
        break;
      }
    const c0 = Math.min(Math.max(s - order, 0), Math.max(count - w, 0));
    first[r] = c0;
    if (s < 0) continue;
    // tri[q] = function s − p + q of order p (q = 0 … p)
    let tri = low;
    let next = high;
    tri[0] = 1;
    for (let p = 1; p <= order; p++) {
      for (let q = 0; q <= p; q++) {
        const i = s - p + q;
        next[q] = 0;
        if (i < 0 || i > m - 2 - p) continue;
        const v = q >= 1 ? (tri[q - 1] as number) : 0; // order p−1, function i
        const v1 = q <= p - 1 ? (tri[q] as number) : 0; // order p−1, function i + 1
        const ti = knots[i] as number;
        const left = (knots[i + p] as number) - ti;
        const right = (knots[i + p + 1] as number) - (knots[i + 1] as number);
        const a = left === 0 ? 0 : ((x - ti) / left) * v;
        const b = right === 0 ? 0 : (((knots[i + p + 1] as number) - x) / right) * v1;
        next[q] = a + b;
      }
      const swap = tri;
      tri = next;
      next = swap;
    }
    for (let q = 0; q <= order; q++) {
      const c = s - order + q;
      if (c >= 0 && c < count) values[r * w + c - c0] = tri[q] as number;
    }
  }
  return { first, values };
}

/**
 * Refits the layer onto new grids built from its input samples x [rows, n]: the spline of every
 * edge is evaluated at the samples and fitted by least squares on the new knots. `intervals`
 * changes the grid size (grid extension); the same size is pykan's grid update. Returns the new
 * spec and state; the old state's knots and coef are disposed, its other arrays moved over.
 * Only the order+1 non-zero B-splines of each point are computed (a grid update of hello KAN
 * ran 5–10x slower with the full scalar recursion per point).
 */
export function regrid(
  layer: KanLayer,
  state: LayerState,
  samples: Float64Array,
  intervals = layer.spec.grid_size,
): { spec: KanSpec; state: LayerState } {
  const { inputs: n, units: m } = layer;
  const order = layer.spec.order;
  const w = order + 1;
  const rows = samples.length / n;
  const old = readSplines(layer, state);
  const oldCount = (old.knots[0]?.length ?? 0) - 1 - order;
  const newCount = intervals + order;
  const knotsOut = new Float64Array(n * (intervals + 2 * order + 1));
  const coefOut = new Float64Array(n * newCount * m);
  for (let i = 0; i < n; i++) {
    const xs = Float64Array.from({ length: rows }, (_, r) => samples[r * n + i] as number).sort();
    // targets: the old splines Σ_c coef_cj·B_c(x) at the samples, non-zero terms in order of c
    const targets = new Float64Array(rows * m);
    const coef = old.coef[i]!;
    const before = localWindows(xs, old.knots[i]!, order);
    for (let r = 0; r < rows; r++) {
      const c0 = before.first[r] as number;
      for (let q = 0; q < w && c0 + q < oldCount; q++) {
        const b = before.values[r * w + q] as number;
        if (b === 0) continue;
        for (let j = 0; j < m; j++) targets[r * m + j]! += b * (coef[(c0 + q) * m + j] as number);
      }
    }
    const knots = knotsFromSamples(xs, intervals, order, layer.spec.grid_eps);
    // design matrix [rows, newCount], dense (leastSquares skips its zeros)
    const design = new Float64Array(rows * newCount);
    const after = localWindows(xs, knots, order);
    for (let r = 0; r < rows; r++) {
      const c0 = after.first[r] as number;
      for (let q = 0; q < w && c0 + q < newCount; q++)
        design[r * newCount + c0 + q] = after.values[r * w + q] as number;
    }
    const fitted = leastSquares(design, targets, rows, newCount, m);
    knotsOut.set(knots, i * knots.length);
    coefOut.set(fitted, i * newCount * m);
  }
  state.params.coef?.dispose();
  state.buffers.knots?.dispose();
  const { coef: _coef, ...params } = state.params;
  const { knots: _knots, ...buffers } = state.buffers;
  return {
    spec: { ...layer.spec, grid_size: intervals },
    state: {
      params: { ...params, coef: arrayFrom(coefOut, [n * newCount, m], layer.dtype) },
      buffers: {
        ...buffers,
        knots: arrayFrom(knotsOut, [n, intervals + 2 * order + 1], layer.dtype),
      },
    },
  };
}

/**
 * A B-spline KAN layer on h [rows, n] in plain float64 (borrowed state): its outputs [rows, m]
 * and, with `withEdges`, every edge's output φ_ij [rows, n·m] (the formula of KanLayer.apply; SiLU
 * with Math.exp, which jax-js's float64 exp matches to ~1e-7). For grid updates and pruning
 * scores outside any trace, where jitted jax-js calls cost more than the arithmetic.
 */
export function plainLayerForward(
  layer: KanLayer,
  state: LayerState,
  h: Float64Array,
  base: PlainBase,
  withEdges = false,
): { out: Float64Array; phi: Float64Array } {
  const { inputs: n, units: m, basisCount: count } = layer;
  const order = layer.spec.order;
  const w = order + 1;
  const rows = h.length / n;
  const read = (name: string) => takeValues(layer.array(state, name));
  const coef = read("coef");
  const scaleBase = read("scale_base");
  const scaleSp = read("scale_sp");
  const mask = read("mask");
  // edge-major effective coefficients coef·scale_sp·mask [n·m, count], base weights [n·m]
  const a = new Float64Array(n * m * count);
  const bb = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      const e = i * m + j;
      const sp = (scaleSp[e] as number) * (mask[e] as number);
      bb[e] = (scaleBase[e] as number) * (mask[e] as number);
      for (let c = 0; c < count; c++)
        a[e * count + c] = (coef[(i * count + c) * m + j] as number) * sp;
    }
  const first = new Int32Array(rows * n);
  const values = new Float64Array(rows * n * w);
  new LocalBasis(read("knots"), n, order).evaluateAll(h, first, values);
  const baseValue = new Float64Array(h.length);
  if (base === "silu") siluWithSlope(h, baseValue, new Float64Array(h.length));
  else baseValue.set(h);
  const out = new Float64Array(rows * m);
  const phi = new Float64Array(withEdges ? rows * n * m : 0);
  forwardEdges(rows, n, m, count, w, a, bb, first, values, baseValue, out, phi);
  return { out, phi };
}
