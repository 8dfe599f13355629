/**
 * Measured properties of an activation on an interval: range, slope bounds, monotonicity, value
 * and slope at 0, and a Lipschitz estimate. Everything is measured on a grid through the compiled
 * function (float64), so it describes exactly what training will compute.
 *
 * Slopes come from autodiff (for `surrogate` forms, the surrogate's slope: what training sees);
 * monotonicity and the Lipschitz estimate come from differences of values between grid points
 * (what the function itself does: a jump shows as a huge Lipschitz estimate).
 *
 * A context-dependent activation (one with statistics over the feature axis) is measured as one
 * unit among CONTEXT_WIDTH − 1 neighbours drawn once from a standard normal with a fixed seed.
 */
import { grad, numpy as np } from "@jax-js/jax";
import { arrayFrom, takeValues } from "../engine/index.js";
import type { Activation } from "../expr/ast.js";
import { isPointwise } from "../expr/ast.js";
import { buildActivationFn, initParams } from "../expr/compile.js";
import { CONTEXT_WIDTH, standardNormalNeighbours } from "./context.js";

export const DEFAULT_INTERVAL: readonly [number, number] = [-6, 6];
export const DEFAULT_SAMPLES = 1201;

export type Monotonicity = "increasing" | "decreasing" | "non-monotonic";

export interface ActivationProperties {
  interval: [number, number];
  samples: number;
  contextDependent: boolean;
  range: { min: number; max: number };
  slope: { min: number; max: number };
  monotonicity: Monotonicity;
  valueAtZero: number;
  slopeAtZero: number;
  /**
   * max |f(b) − f(a)| / |b − a| over neighbouring grid points; Infinity when f is not finite
   * somewhere on the grid (it is unbounded on the interval: see nonFinite).
   */
  lipschitzEstimate: number;
  /** The grid points where f is not finite (it overflows, or is NaN), if any. */
  nonFinite?: { count: number; firstX: number; lastX: number };
  curve: { x: number[]; y: number[]; slope: number[] };
}

/** Grid with an odd number of points symmetric around the interval's midpoint, so 0 is on it
 * for symmetric intervals. */
function gridOf(interval: [number, number], samples: number): number[] {
  const [low, high] = interval;
  return Array.from({ length: samples }, (_, i) => low + ((high - low) * i) / (samples - 1));
}

/** Values and autodiff slopes of the activation at each grid point, as unit 0 of its row. */
function evaluateWithSlopes(
  activation: Activation,
  grid: number[],
): { y: number[]; slope: number[] } {
  const pointwise = isPointwise(activation.expr);
  const width = pointwise ? 1 : CONTEXT_WIDTH;
  const neighbours = standardNormalNeighbours(width - 1);
  const rows = grid.flatMap((value) => [value, ...neighbours]);
  const shape = [grid.length, width];
  const fn = buildActivationFn(activation, "float64");
  const firstColumn = (out: np.Array): np.Array => (width === 1 ? out : out.slice([], [0, 1]));
  const y = takeValues(
    firstColumn(fn(arrayFrom(rows, shape, "float64"), initParams(activation, [width], "float64"))),
  );
  const gradient = grad((x: np.Array) =>
    firstColumn(fn(x, initParams(activation, [width], "float64"))).sum(),
  );
  const slopes = takeValues(gradient(arrayFrom(rows, shape, "float64")));
  const slope = grid.map((_, i) => slopes[i * width] as number);
  return { y: Array.from(y), slope };
}

/** Judged on the steps between neighbouring grid points where f is finite. */
function monotonicityOf(y: number[]): Monotonicity {
  const steps = y.slice(1).map((value, i) => value - (y[i] as number));
  const tolerance = (i: number): number => 1e-6 * (1 + Math.abs(y[i] as number));
  const judged = (i: number): boolean =>
    Number.isFinite(y[i] as number) && Number.isFinite(y[i + 1] as number);
  if (steps.every((step, i) => !judged(i) || step >= -tolerance(i))) return "increasing";
  if (steps.every((step, i) => !judged(i) || step <= tolerance(i))) return "decreasing";
  return "non-monotonic";
}

function nonFiniteOf(x: number[], y: number[]): ActivationProperties["nonFinite"] {
  const at = x.filter((_, i) => !Number.isFinite(y[i] as number));
  return at.length === 0
    ? undefined
    : { count: at.length, firstX: at[0] as number, lastX: at[at.length - 1] as number };
}

export function measureProperties(
  activation: Activation,
  interval: [number, number] = [...DEFAULT_INTERVAL] as [number, number],
  samples = DEFAULT_SAMPLES,
): ActivationProperties {
  const x = gridOf(interval, samples);
  const { y, slope } = evaluateWithSlopes(activation, x);
  const atZero = evaluateWithSlopes(activation, [0]);
  const spacing = (interval[1] - interval[0]) / (samples - 1);
  const nonFinite = nonFiniteOf(x, y);
  // Infinity − Infinity is NaN: a function that overflows on the grid is unbounded there
  const lipschitzEstimate = nonFinite
    ? Infinity
    : Math.max(...y.slice(1).map((value, i) => Math.abs(value - (y[i] as number)) / spacing));
  return {
    interval,
    samples,
    contextDependent: !isPointwise(activation.expr),
    range: { min: Math.min(...y), max: Math.max(...y) },
    slope: { min: Math.min(...slope), max: Math.max(...slope) },
    monotonicity: monotonicityOf(y),
    valueAtZero: atZero.y[0] as number,
    slopeAtZero: atZero.slope[0] as number,
    lipschitzEstimate,
    ...(nonFinite ? { nonFinite } : {}),
    curve: { x, y, slope },
  };
}
