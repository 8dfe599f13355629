/**
 * Operations on a trained B-spline KAN layer that change its grid while keeping its curves
 * (pykan's update_grid_from_samples and refine / grid extension), and the read-out of every
 * edge's learned function. All in float64 plain TypeScript on the layer's values: the fits are
 * least-squares problems of a few thousand points and a few dozen unknowns.
 */
import { arrayFrom } from "../../engine/dtype.js";
import { takeValues } from "../../engine/ownership.js";
import type { LayerState } from "../layer.js";
import { basisAt, designMatrix } from "./bspline-scalar.js";
import type { KanLayer, KanSpec } from "./bspline.js";
import { leastSquares } from "./least-squares.js";

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

/** Σ_c coef_c,j · B_c(x) for every output j (the spline part of the edges from one input). */
export function splineValues(
  x: number,
  knots: Float64Array,
  coef: Float64Array,
  order: number,
  m: number,
): Float64Array {
  const basis = basisAt(x, knots, order);
  const out = new Float64Array(m);
  for (let c = 0; c < basis.length; c++) {
    const b = basis[c] as number;
    if (b === 0) continue;
    for (let j = 0; j < m; j++) out[j]! += b * (coef[c * m + j] as number);
  }
  return out;
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
 * Refits the layer onto new grids built from its input samples x [rows, n]: the spline of every
 * edge is evaluated at the samples and fitted by least squares on the new knots. `intervals`
 * changes the grid size (grid extension); the same size is pykan's grid update. Returns the new
 * spec and state; the old state's knots and coef are disposed, its other arrays moved over.
 */
export function regrid(
  layer: KanLayer,
  state: LayerState,
  samples: Float64Array,
  intervals = layer.spec.grid_size,
): { spec: KanSpec; state: LayerState } {
  const { inputs: n, units: m } = layer;
  const order = layer.spec.order;
  const rows = samples.length / n;
  const old = readSplines(layer, state);
  const newCount = intervals + order;
  const knotsOut = new Float64Array(n * (intervals + 2 * order + 1));
  const coefOut = new Float64Array(n * newCount * m);
  for (let i = 0; i < n; i++) {
    const xs = Float64Array.from({ length: rows }, (_, r) => samples[r * n + i] as number).sort();
    const targets = new Float64Array(rows * m);
    xs.forEach((x, r) =>
      targets.set(splineValues(x, old.knots[i]!, old.coef[i]!, order, m), r * m),
    );
    const knots = knotsFromSamples(xs, intervals, order, layer.spec.grid_eps);
    const fitted = leastSquares(designMatrix(xs, knots, order), targets, rows, newCount, m);
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
 * Every edge's learned function φ_ij on `points` values of its input (for plots and symbolic
 * fitting): curves[i][j] holds φ_ij at xs[i] (a grid spanning the input's knots' interior).
 */
export function edgeCurves(
  layer: KanLayer,
  state: LayerState,
  points = 101,
  base: (x: number) => number = (x) => x / (1 + Math.exp(-x)),
): { xs: Float64Array[]; curves: Float64Array[][] } {
  const { inputs: n, units: m } = layer;
  const order = layer.spec.order;
  const { knots, coef } = readSplines(layer, state);
  const scaleBase = takeValues(layer.array(state, "scale_base"));
  const scaleSp = takeValues(layer.array(state, "scale_sp"));
  const mask = takeValues(layer.array(state, "mask"));
  const xs: Float64Array[] = [];
  const curves: Float64Array[][] = [];
  for (let i = 0; i < n; i++) {
    const t = knots[i]!;
    const low = t[order] as number;
    const high = t[t.length - 1 - order] as number;
    const grid = Float64Array.from(
      { length: points },
      (_, p) => low + ((high - low) * p) / (points - 1),
    );
    xs.push(grid);
    const rows = Array.from({ length: m }, () => new Float64Array(points));
    grid.forEach((x, p) => {
      // the last knot is outside the half-open support: evaluate just inside it
      const inside = p === points - 1 ? high - 1e-12 * Math.max(1, Math.abs(high)) : x;
      const spline = splineValues(inside, t, coef[i]!, order, m);
      for (let j = 0; j < m; j++) {
        const e = i * m + j;
        rows[j]![p] =
          (mask[e] as number) *
          ((scaleBase[e] as number) * base(x) + (scaleSp[e] as number) * (spline[j] as number));
      }
    });
    curves.push(rows);
  }
  return { xs, curves };
}
