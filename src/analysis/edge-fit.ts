/**
 * Fits one KAN edge's samples (x, y) by c·f(a·x + b) + d for each function f of a library and
 * ranks the fits (pykan's suggest_symbolic, Liu et al. 2024). Per f: a and b from a coarse grid
 * (on at most GRID_ROWS evenly spaced samples), then Levenberg–Marquardt on all samples; c and d
 * are never searched: for given a, b they are the linear least-squares fit of y on f(a·x + b)
 * (variable projection), so the grid and the refinement move in two dimensions, not four.
 *
 * Ranking, pykan's rule with its defaults: score = w·complexity + (1 − w)·log2(1 + 1e-5 − R²),
 * w = 0.8, lowest first; R² = 1 − SS_res/SS_tot on all samples (R² = 1 when y is constant and fitted).
 */
import type { Expr } from "../expr/ast.js";
import type { Program } from "../expr/evaluate.js";
import { ColumnEvaluator, compileProgram } from "../expr/evaluate.js";
import type { LeastSquaresProblem } from "../numeric/levenberg-marquardt.js";
import { centralDifferenceJacobian, levenbergMarquardt } from "../numeric/levenberg-marquardt.js";
import type { EdgeFunction } from "./edge-library.js";

export interface EdgeFit {
  readonly name: string;
  readonly expr: Expr;
  readonly complexity: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly r2: number;
  /** pykan's score (lower is better); Infinity for a degenerate fit. */
  readonly score: number;
  /** c·f and d nearly cancel (see DEGENERATE_RATIO): ranked last, never chosen. */
  readonly degenerate: boolean;
}

export interface EdgeFitOptions {
  /** Range of the grid over a (pykan: [−10, 10]). */
  readonly aRange: readonly [number, number];
  readonly bRange: readonly [number, number];
  /** Grid points per axis. */
  readonly gridPoints: number;
  /** pykan's weight_simple. */
  readonly simplicityWeight: number;
}

export const DEFAULT_EDGE_FIT: EdgeFitOptions = {
  aRange: [-10, 10],
  bRange: [-10, 10],
  gridPoints: 51,
  simplicityWeight: 0.8,
};

/**
 * A fit is degenerate when its term c·f is this many times larger (RMS) than y's own size
 * (std + |mean|): c·f and d then cancel, e.g. c·cos(a·x) with a → 0 and c → ∞ imitating a
 * parabola. Such fits can win on R² (the cancellation adds freedom) but are not the function they
 * name, and evaluated with ~1e-7-accurate transcendentals (jax-js's float64) they are noise.
 */
export const DEGENERATE_RATIO = 1e3;

/** Samples the coarse grid is scored on. */
export const GRID_ROWS = 256;
/** Samples the refinement runs on (c, d and R² are then computed on all of them). */
export const REFINE_ROWS = 1000;

/** pykan's score of a fit: simplicity against the bits of 1 − R². */
export function simplicityScore(r2: number, complexity: number, weight: number): number {
  return weight * complexity + (1 - weight) * Math.log2(1 + 1e-5 - Math.min(r2, 1));
}

const linspace = (low: number, high: number, count: number): number[] =>
  count === 1
    ? [(low + high) / 2]
    : Array.from({ length: count }, (_, i) => low + ((high - low) * i) / (count - 1));

/** f(a·x + b) on fixed samples, and the least-squares c, d of y on it. */
class AffineProbe {
  private readonly program: Program;
  private readonly column: Float64Array;
  private readonly evaluator: ColumnEvaluator;
  private readonly yMean: number;

  constructor(
    expr: Expr,
    private readonly x: Float64Array,
    private readonly y: Float64Array,
  ) {
    this.program = compileProgram(expr, { input: 0 });
    this.column = new Float64Array(x.length);
    this.evaluator = new ColumnEvaluator([this.column]);
    this.yMean = y.reduce((s, v) => s + v, 0) / Math.max(1, y.length);
  }

  /** c, d and the residuals c·f + d − y (into `residual` when given); SS_res, Infinity if f is not finite. */
  fit(a: number, b: number, residual?: Float64Array): { c: number; d: number; cost: number } {
    const { x, y, column } = this;
    for (let r = 0; r < x.length; r++) column[r] = a * (x[r] as number) + b;
    const f = this.evaluator.run(this.program);
    let fMean = 0;
    for (let r = 0; r < f.length; r++) fMean += f[r] as number;
    fMean /= Math.max(1, f.length);
    if (!Number.isFinite(fMean)) return { c: 0, d: 0, cost: Infinity };
    let sff = 0;
    let sfy = 0;
    for (let r = 0; r < f.length; r++) {
      const df = (f[r] as number) - fMean;
      sff += df * df;
      sfy += df * ((y[r] as number) - this.yMean);
    }
    // a constant f explains nothing beyond d (relative test: f's spread vs its size)
    const c = sff > 1e-24 * Math.max(1, fMean * fMean) * f.length ? sfy / sff : 0;
    const d = this.yMean - c * fMean;
    let cost = 0;
    for (let r = 0; r < f.length; r++) {
      const e = c * (f[r] as number) + d - (y[r] as number);
      if (residual) residual[r] = e;
      cost += e * e;
    }
    return { c, d, cost: Number.isFinite(cost) ? cost : Infinity };
  }

  /** RMS of f at the last (a, b) fitted. */
  rms(): number {
    const f = this.evaluator.run(this.program);
    let sum = 0;
    for (let r = 0; r < f.length; r++) sum += (f[r] as number) ** 2;
    return Math.sqrt(sum / Math.max(1, f.length));
  }
}

/** Every `step`-th sample, at most `limit` of them. */
function subsample(values: Float64Array, rows: number, limit: number): Float64Array {
  const step = Math.max(1, Math.ceil(rows / limit));
  return Float64Array.from(
    { length: Math.ceil(rows / step) },
    (_, i) => values[i * step] as number,
  );
}

/** The best c·f(a·x + b) + d for one function f. */
export function fitEdgeFunction(
  fn: EdgeFunction,
  x: Float64Array,
  y: Float64Array,
  options: EdgeFitOptions = DEFAULT_EDGE_FIT,
): EdgeFit {
  const rows = x.length;
  const aValues =
    fn.a === "free"
      ? linspace(options.aRange[0], options.aRange[1], options.gridPoints)
      : fn.a === "signed-unit"
        ? [-1, 1]
        : [1];
  const bValues = fn.b ? linspace(options.bRange[0], options.bRange[1], options.gridPoints) : [0];
  const coarse = new AffineProbe(
    fn.expr,
    subsample(x, rows, GRID_ROWS),
    subsample(y, rows, GRID_ROWS),
  );
  let best = { a: aValues[0] as number, b: bValues[0] as number, cost: Infinity };
  for (const a of aValues)
    for (const b of bValues) {
      const { cost } = coarse.fit(a, b);
      if (cost < best.cost) best = { a, b, cost };
    }
  const refineX = subsample(x, rows, REFINE_ROWS);
  const refine = new AffineProbe(fn.expr, refineX, subsample(y, rows, REFINE_ROWS));
  const refineRows = refineX.length;
  const freeA = fn.a === "free";
  const pack = (a: number, b: number): Float64Array =>
    Float64Array.from([...(freeA ? [a] : []), ...(fn.b ? [b] : [])]);
  const unpack = (u: Float64Array): { a: number; b: number } => ({
    a: freeA ? (u[0] as number) : best.a,
    b: fn.b ? (u[freeA ? 1 : 0] as number) : 0,
  });
  let { a, b } = best;
  const parameters = (freeA ? 1 : 0) + (fn.b ? 1 : 0);
  if (parameters > 0 && Number.isFinite(best.cost)) {
    const residualsAt = (u: Float64Array, into: Float64Array): number => {
      const p = unpack(u);
      return refine.fit(p.a, p.b, into).cost;
    };
    const problem: LeastSquaresProblem = {
      parameters,
      residuals: refineRows,
      residualsAt,
      // central differences: the projected residual has no simple closed-form Jacobian
      jacobianAt: centralDifferenceJacobian(residualsAt, parameters, refineRows),
    };
    const start = pack(a, b);
    const residual = new Float64Array(refineRows);
    const cost = problem.residualsAt(start, residual);
    const refined = levenbergMarquardt(
      problem,
      { parameters: start, residual, cost },
      {
        step: "qr",
        maxIterations: 100,
        costFloor: 0,
        minRelativeGain: 1e-14,
        dampingGrowth: 2,
        dampingGrowthAcceleration: 2,
        maxTrials: 12,
      },
    );
    ({ a, b } = unpack(refined.parameters));
  }
  const probe = new AffineProbe(fn.expr, x, y);
  const { c, d, cost } = probe.fit(a, b);
  const yMean = y.reduce((s, v) => s + v, 0) / Math.max(1, rows);
  const total = y.reduce((s, v) => s + (v - yMean) ** 2, 0);
  const r2 = total > 0 ? 1 - cost / total : cost === 0 ? 1 : 0;
  const finiteR2 = Number.isFinite(r2) ? r2 : -Infinity;
  const termRms = Math.abs(c) * probe.rms();
  const ySize = Math.sqrt(total / Math.max(1, rows)) + Math.abs(yMean);
  const degenerate = termRms > DEGENERATE_RATIO * Math.max(ySize, Number.MIN_VALUE);
  return {
    name: fn.name,
    expr: fn.expr,
    complexity: fn.complexity,
    a,
    b,
    c,
    d,
    r2: finiteR2,
    score: degenerate
      ? Infinity
      : simplicityScore(finiteR2, fn.complexity, options.simplicityWeight),
    degenerate,
  };
}

/** Every function of the library fitted to (x, y), best (lowest score) first. */
export function rankEdgeFits(
  library: readonly EdgeFunction[],
  x: Float64Array,
  y: Float64Array,
  options: EdgeFitOptions = DEFAULT_EDGE_FIT,
): EdgeFit[] {
  return library
    .map((fn) => fitEdgeFunction(fn, x, y, options))
    .sort((p, q) => p.score - q.score || q.r2 - p.r2);
}
