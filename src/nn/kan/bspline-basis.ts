/**
 * B-spline basis functions on per-input knot vectors (Cox–de Boor recursion), for KAN layers.
 *
 * Speed: the recursion runs on stop-gradient inputs, and the gradient w.r.t. x is attached
 * analytically — value + (x − stopgrad(x))·B′(x) — so jax-js differentiates one multiply instead
 * of the whole recursion (measured 2–3x faster for a full value-and-gradient step; see
 * docs/benchmarks.md). Knots are constants (buffers): no gradient flows to them. Indicators are
 * comparisons cast to floats, which jax-js's wasm backend fuses (np.where does not).
 */
import { lax, numpy as np } from "@jax-js/jax";

const indicator = (condition: np.Array, like: np.Array): np.Array => condition.astype(like.dtype);

/** 1/d where d ≠ 0, else 0 (repeated knots make a 0/0 term that Cox–de Boor defines as 0). */
function safeReciprocal(d: np.Array): np.Array {
  const zero = np.equal(d.ref, 0);
  return np.where(zero.ref, 0, np.reciprocal(np.where(zero, 1, d)));
}

/** Knots t[:, from : from + length] as [1, n, length]. */
const knotSlice = (t: np.Array, from: number, length: number): np.Array =>
  t.ref.slice([], [], [from, from + length]);

/** One Cox–de Boor step: order p−1 values [B, n, L+1] → order p values [B, n, L]. */
function raiseOrder(lower: np.Array, x: np.Array, t: np.Array, p: number): np.Array {
  const length = (lower.shape[2] as number) - 1;
  const leftScale = safeReciprocal(knotSlice(t, p, length).sub(knotSlice(t, 0, length)));
  const rightScale = safeReciprocal(knotSlice(t, p + 1, length).sub(knotSlice(t, 1, length)));
  const left = x.ref
    .sub(knotSlice(t, 0, length))
    .mul(leftScale)
    .mul(lower.ref.slice([], [], [0, length]));
  const right = knotSlice(t, p + 1, length)
    .sub(x.ref)
    .mul(rightScale)
    .mul(lower.slice([], [], [1, length + 1]));
  return left.add(right);
}

/** Order-0 indicators of x's knot interval raised to order `upTo` (Cox–de Boor); borrows both. */
function basisUpTo(xs: np.Array, t: np.Array, upTo: number): np.Array {
  const m = t.shape[2] as number;
  let basis = indicator(np.greaterEqual(xs.ref, knotSlice(t, 0, m - 1)), xs).mul(
    indicator(np.less(xs.ref, knotSlice(t, 1, m - 1)), xs),
  );
  for (let p = 1; p <= upTo; p++) basis = raiseOrder(basis, xs, t, p);
  return basis;
}

/**
 * Values of the B-spline basis only (no slope, no gradient w.r.t. x): x [batch, n] (consumed),
 * knots [n, M] (borrowed), result [batch, n, M − 1 − order]. For evaluation outside autodiff.
 */
export function bsplineValues(x: np.Array, knots: np.Array, order: number): np.Array {
  const [batch, n] = x.shape as [number, number];
  const m = knots.shape[1] as number;
  const xs = lax.stopGradient(x).reshape([batch, n, 1]);
  const t = lax.stopGradient(knots.ref).reshape([1, n, m]);
  const basis = basisUpTo(xs, t, order);
  xs.dispose();
  t.dispose();
  return basis;
}

/**
 * Values and slopes (d/dx) of the B-spline basis, with no gradient attached: x [batch, n]
 * (consumed), knots [n, M] (borrowed); both results [batch, n, M − 1 − order].
 */
export function bsplineValueAndSlope(
  x: np.Array,
  knots: np.Array,
  order: number,
): [np.Array, np.Array] {
  const [batch, n] = x.shape as [number, number];
  const m = knots.shape[1] as number;
  const xs = lax.stopGradient(x).reshape([batch, n, 1]);
  const t = lax.stopGradient(knots.ref).reshape([1, n, m]);
  const basis = basisUpTo(xs, t, order - 1);
  if (order === 0) {
    xs.dispose();
    t.dispose();
    return [basis.ref, np.zerosLike(basis)];
  }
  const count = m - 1 - order;
  const value = raiseOrder(basis.ref, xs, t, order);
  // B'_{i,k} = k·B_{i,k−1}/(t_{i+k} − t_i) − k·B_{i+1,k−1}/(t_{i+k+1} − t_{i+1})
  const slope = basis.ref
    .slice([], [], [0, count])
    .mul(safeReciprocal(knotSlice(t, order, count).sub(knotSlice(t, 0, count))))
    .sub(
      basis
        .slice([], [], [1, count + 1])
        .mul(safeReciprocal(knotSlice(t, order + 1, count).sub(knotSlice(t, 1, count)))),
    )
    .mul(order);
  t.dispose();
  xs.dispose();
  return [value, slope];
}

/**
 * Attaches the gradient w.r.t. x to precomputed basis values: value + (x − stopgrad(x))·slope.
 * Exact in value and first derivative. x [batch, n] consumed; value, slope [batch, n, K] consumed.
 */
export function withInputGradient(x: np.Array, value: np.Array, slope: np.Array): np.Array {
  const [batch, n] = x.shape as [number, number];
  const delta = x.ref.sub(lax.stopGradient(x)).reshape([batch, n, 1]);
  return value.add(delta.mul(slope));
}

/**
 * B-spline basis of the given order: x [batch, n] (consumed), knots [n, M] (borrowed), result
 * [batch, n, M − 1 − order]. Basis i is supported on [t_i, t_{i+order+1}); intervals are
 * half-open, so a point on the last knot is outside.
 */
export function bsplineBasis(x: np.Array, knots: np.Array, order: number): np.Array {
  const [value, slope] = bsplineValueAndSlope(x.ref, knots, order);
  return withInputGradient(x, value, slope);
}

/**
 * Knots of a uniform grid of `intervals` cells on [low, high], extended by `order` cells on each
 * side (so every point of [low, high] sees order+1 basis functions): intervals + 2·order + 1
 * values.
 */
export function uniformKnots(
  low: number,
  high: number,
  intervals: number,
  order: number,
): number[] {
  const h = (high - low) / intervals;
  return Array.from({ length: intervals + 2 * order + 1 }, (_, i) => low + (i - order) * h);
}
