/**
 * GR-KAN layer (Group-Rational KAN of the Kolmogorov-Arnold Transformer, Yang & Wang 2024):
 *   φ_g(x) = P_g(x) / Q_g(x),  P_g(x) = a_0 + a_1·x + … + a_m·x^m,
 *   Q_g(x) = 1 + |b_1·x + … + b_d·x^d|   (the "safe" Padé form: Q ≥ 1, no poles),
 * one (a, b) per group of n/groups consecutive input channels, then a linear map:
 *   y = φ(x)·W + bias,  W [n, units].
 * As in KAT, the rational is fitted at init to a known activation (least squares on [-3, 3]) and
 * W gets the variance-preserving std 1/√(n·E[φ(x)²]), x ~ N(0, 1), so Var(y) ≈ Var(x) = 1.
 */
import { numpy as np } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../../engine/dtype.js";
import { arrayFrom, toJaxDType } from "../../engine/dtype.js";
import type { Key } from "../../engine/random.js";
import { normalSample } from "../../engine/random.js";
import { isPointwise } from "../../expr/ast.js";
import { initialParamValues, scalarFunction } from "../../expr/evaluate.js";
import type {
  LeastSquaresProblem,
  LevenbergMarquardtOptions,
} from "../../numeric/levenberg-marquardt.js";
import { levenbergMarquardt } from "../../numeric/levenberg-marquardt.js";
import { householderLeastSquares } from "../../numeric/qr.js";
import { gaussianExpectationSimpson } from "../../numeric/quadrature.js";
import { resolveActivation } from "../../zoo/index.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "../layer.js";
import { LayerSpecError } from "../layer.js";

export const rationalKanSchema = z
  .object({
    type: z.literal("kan_rational"),
    units: z.number().int().positive(),
    /** Degree m of P (m + 1 coefficients a_0..a_m). */
    numerator: z.number().int().min(1).max(12).default(5),
    /** Degree d of the polynomial inside |·| in Q (coefficients b_1..b_d); 0 makes φ = P. */
    denominator: z.number().int().min(0).max(12).default(4),
    /** Groups of input channels sharing one rational; must divide the input width. */
    groups: z.number().int().positive().default(8),
    /** The activation the rational starts as: "identity", "gelu", "silu"/"swish", any zoo name
     * or a pointwise expression. */
    init_fn: z.string().default("gelu"),
    bias: z.boolean().default(true),
  })
  .strict();
export type RationalKanSpec = z.infer<typeof rationalKanSchema>;

/** The interval the init fit runs on (KAT fits its rationals on [-3, 3]). */
export const RATIONAL_FIT_RANGE: readonly [number, number] = [-3, 3];

// ---------------------------------------------------------------------------------------------
// Plain float64 evaluation and fitting (init time only)
// ---------------------------------------------------------------------------------------------

/** The activation as a plain function of a number, parameters at their initial values. */
export function scalarActivation(source: string, field = "init_fn"): (x: number) => number {
  let activation;
  try {
    activation = resolveActivation(source).activation;
  } catch (error) {
    throw new LayerSpecError(`${field}: ${(error as Error).message}`);
  }
  if (!isPointwise(activation.expr))
    throw new LayerSpecError(
      `${field}: '${source}' depends on other units (a statistic); a rational fits pointwise functions only`,
    );
  return scalarFunction(activation.expr, initialParamValues(activation));
}

/** P(x)/(1 + |B(x)|) with P = Σ a_j x^j and B = Σ_{j≥1} b_j x^j, in float64. */
export function rationalValue(
  numerator: ArrayLike<number>,
  denominator: ArrayLike<number>,
  x: number,
): number {
  let p = 0;
  for (let j = numerator.length - 1; j >= 0; j--) p = p * x + (numerator[j] as number);
  let b = 0;
  for (let j = denominator.length - 1; j >= 0; j--) b = (b + (denominator[j] as number)) * x;
  return p / (1 + Math.abs(b));
}

export interface RationalFit {
  /** a_0..a_m */
  numerator: number[];
  /** b_1..b_d */
  denominator: number[];
  /** max |φ(x) − f(x)| on a grid 6x finer than the fit's samples over the fit range. */
  maxError: number;
  rmsError: number;
}

/** The residuals P(t)/(1 + |B(t)|) − f(t) and their Jacobian w.r.t. (a_0..a_m, b_1..b_d). */
function safeRationalProblem(
  t: readonly number[],
  target: Float64Array,
  na: number,
  nb: number,
): LeastSquaresProblem {
  const cols = na + nb;
  const samples = t.length;
  const pw = new Float64Array(Math.max(na, nb + 1));
  // P(t_k), B(t_k) and t_k's powers, left in `pw` for the Jacobian
  const evaluateAt = (coef: Float64Array, k: number): { p: number; b: number } => {
    const tk = t[k] as number;
    pw[0] = 1;
    for (let j = 1; j < pw.length; j++) pw[j] = (pw[j - 1] as number) * tk;
    let p = 0;
    for (let j = 0; j < na; j++) p += (coef[j] as number) * (pw[j] as number);
    let b = 0;
    for (let j = 1; j <= nb; j++) b += (coef[na + j - 1] as number) * (pw[j] as number);
    return { p, b };
  };
  return {
    parameters: cols,
    residuals: samples,
    residualsAt(coef, into) {
      let sse = 0;
      for (let k = 0; k < samples; k++) {
        const { p, b } = evaluateAt(coef, k);
        const q = 1 + b * (b > 0 ? 1 : -1);
        const r = p / q - (target[k] as number);
        into[k] = r;
        sse += r * r;
      }
      return sse;
    },
    jacobianAt(coef, _residual, into) {
      for (let k = 0; k < samples; k++) {
        const { p, b } = evaluateAt(coef, k);
        const sign = b > 0 ? 1 : -1;
        const q = 1 + b * sign;
        for (let j = 0; j < na; j++) into[k * cols + j] = (pw[j] as number) / q;
        for (let j = 1; j <= nb; j++)
          into[k * cols + na + j - 1] = (-p * sign * (pw[j] as number)) / (q * q);
      }
    },
  };
}

/** Levenberg–Marquardt as KAT's init fit uses it: Marquardt's diagonal scaling, each step an
 * augmented QR solve, λ 4x per refused trial up to 1e12; stops when the sum of squares no longer
 * drops by 1e-12 relative (or after 500 steps, or below 1e-30). */
const RATIONAL_FIT_STEPS: LevenbergMarquardtOptions = {
  step: "qr",
  maxIterations: 500,
  costFloor: 1e-30,
  minRelativeGain: 1e-12,
  dampingGrowth: 4,
  dampingGrowthAcceleration: 1,
  maxDamping: 1e12,
};

/**
 * Least-squares fit of P/(1 + |B|) to f on [low, high]. Method: (1) the linearised problem
 * P(x) − f(x)·B(x) ≈ f(x) (Loeb's linearisation; exact when f is itself such a rational with
 * B ≥ 0) gives a start; (2) Levenberg–Marquardt on the true residual P/(1+|B|) − f, with
 * ∂/∂a_j = x^j/Q and ∂/∂b_j = −P·sign(B)·x^j/Q², refines it and, separately, the plain
 * polynomial fit (B = 0), accepting only improving steps; the better end point wins. Work is on
 * t = x/s, s = max(|low|, |high|), so the power columns stay in [-1, 1].
 */
export function fitRational(
  f: (x: number) => number,
  numeratorDegree: number,
  denominatorDegree: number,
  range: readonly [number, number] = RATIONAL_FIT_RANGE,
  samples = 1001,
): RationalFit {
  const [low, high] = range;
  const s = Math.max(Math.abs(low), Math.abs(high));
  const t = Array.from(
    { length: samples },
    (_, k) => (low + ((high - low) * k) / (samples - 1)) / s,
  );
  const target = Float64Array.from(t, (tk) => f(tk * s));
  const na = numeratorDegree + 1;
  const nb = denominatorDegree;
  const cols = na + nb;
  const powers = (tk: number): number[] => {
    const out = [1];
    for (let j = 1; j <= Math.max(numeratorDegree, nb); j++) out.push((out[j - 1] as number) * tk);
    return out;
  };
  // (1) linearised fit, with a tiny ridge so that an f that P alone represents (identity)
  // gets B = 0 instead of an arbitrary common factor P·(1 + B)/(1 + B)
  const ridge = 1e-7;
  const linear = new Float64Array((samples + cols) * cols);
  const linearTarget = new Float64Array(samples + cols);
  t.forEach((tk, k) => {
    const pw = powers(tk);
    for (let j = 0; j < na; j++) linear[k * cols + j] = pw[j] as number;
    for (let j = 1; j <= nb; j++)
      linear[k * cols + na + j - 1] = -(target[k] as number) * (pw[j] as number);
    linearTarget[k] = target[k] as number;
  });
  for (let c = 0; c < cols; c++) linear[(samples + c) * cols + c] = ridge;
  const starts = [householderLeastSquares(linear, linearTarget, samples + cols, cols)];
  // a second start: the polynomial fit (B = 0), for targets where the linearised B has poles
  const polynomial = new Float64Array(samples * na);
  t.forEach((tk, k) => {
    const pw = powers(tk);
    for (let j = 0; j < na; j++) polynomial[k * na + j] = pw[j] as number;
  });
  const polynomialStart = new Float64Array(cols);
  polynomialStart.set(householderLeastSquares(polynomial, target, samples, na));
  if (nb > 0) starts.push(polynomialStart);
  // (2) Levenberg–Marquardt from each start; the best wins
  const problem = safeRationalProblem(t, target, na, nb);
  let u = starts[0] as Float64Array;
  let best = Infinity;
  for (const start of starts) {
    const residual = new Float64Array(samples);
    const cost = problem.residualsAt(start, residual);
    const refined = levenbergMarquardt(
      problem,
      { parameters: start, residual, cost },
      RATIONAL_FIT_STEPS,
    );
    if (refined.cost < best) {
      best = refined.cost;
      u = refined.parameters;
    }
  }
  const numerator = Array.from({ length: na }, (_, j) => (u[j] as number) / s ** j);
  const denominator = Array.from({ length: nb }, (_, j) => (u[na + j] as number) / s ** (j + 1));
  const checks = 6 * (samples - 1) + 1;
  let maxError = 0;
  let squares = 0;
  for (let k = 0; k < checks; k++) {
    const x = low + ((high - low) * k) / (checks - 1);
    const error = Math.abs(rationalValue(numerator, denominator, x) - f(x));
    maxError = Math.max(maxError, error);
    squares += error * error;
  }
  return { numerator, denominator, maxError, rmsError: Math.sqrt(squares / checks) };
}

// ---------------------------------------------------------------------------------------------
// The layer
// ---------------------------------------------------------------------------------------------

export class RationalKanLayer implements Layer {
  readonly kind = "kan_rational";
  readonly outputShape: readonly number[];
  readonly inputs: number;
  /** The init fit, shared by every group (KAT starts all groups of a layer alike). */
  readonly fit: RationalFit;
  /** E[φ(x)²], x ~ N(0, 1), of the fitted rational: sets W's variance-preserving std. */
  readonly secondMoment: number;

  constructor(
    readonly spec: RationalKanSpec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    if (inputShape.length !== 1)
      throw new LayerSpecError(
        `kan_rational needs flat inputs, got shape [${inputShape.join(", ")}]: add a flatten layer`,
      );
    this.inputs = inputShape[0] as number;
    if (this.inputs % spec.groups !== 0)
      throw new LayerSpecError(
        `groups: ${spec.groups} groups do not divide the input width ${this.inputs}; pick a divisor of ${this.inputs}`,
      );
    this.outputShape = [spec.units];
    this.fit = fitRational(scalarActivation(spec.init_fn), spec.numerator, spec.denominator);
    const { numerator, denominator } = this.fit;
    this.secondMoment = gaussianExpectationSimpson(
      (x) => rationalValue(numerator, denominator, x) ** 2,
    );
    if (!(this.secondMoment > 1e-12) || !Number.isFinite(this.secondMoment))
      throw new LayerSpecError(
        `init_fn: '${spec.init_fn}' fits a rational with E[φ(x)²] = ${this.secondMoment}; it must be a nonzero finite function`,
      );
  }

  /** Std of W for Var(y) = Var(x): Var(y) = n·Var(W)·E[φ(x)²] (KAT's variance-preserving init). */
  get weightStd(): number {
    return 1 / Math.sqrt(this.inputs * this.secondMoment);
  }

  init(key: Key): LayerState {
    const { spec, inputs: n } = this;
    const g = spec.groups;
    const repeat = (values: number[]): number[] => Array.from({ length: g }, () => values).flat();
    const state: LayerState = {
      params: {
        numerator: arrayFrom(repeat(this.fit.numerator), [g, spec.numerator + 1], this.dtype),
        w: normalSample(key, [n, spec.units], this.dtype).mul(this.weightStd),
      },
      buffers: {},
    };
    if (spec.denominator > 0)
      state.params.denominator = arrayFrom(
        repeat(this.fit.denominator),
        [g, spec.denominator],
        this.dtype,
      );
    if (spec.bias) state.params.b = np.zeros([spec.units], { dtype: toJaxDType(this.dtype) });
    return state;
  }

  /** φ(x) per channel: x [batch, n] (consumed), coefficients borrowed; result [batch, n]. */
  rational(state: LayerState, x: np.Array): np.Array {
    const { spec, inputs: n } = this;
    const batch = x.shape[0] as number;
    const g = spec.groups;
    const xg = x.reshape([batch, g, n / g]);
    // coefficient j of every group as [1, g, 1], broadcast over the channels of the group
    const coefficient = (name: string, j: number): np.Array =>
      (state.params[name] as np.Array).ref.slice([], j).reshape([1, g, 1]);
    // Horner: P = (…(a_m·x + a_{m−1})·x + …)·x + a_0
    let p = xg.ref.mul(coefficient("numerator", spec.numerator));
    for (let j = spec.numerator - 1; j >= 0; j--) {
      p = p.add(coefficient("numerator", j));
      if (j > 0) p = p.mul(xg.ref);
    }
    if (spec.denominator === 0) {
      xg.dispose();
      return p.reshape([batch, n]);
    }
    // B = (…(b_d·x + b_{d−1})·x + … + b_1)·x
    let b = xg.ref.mul(coefficient("denominator", spec.denominator - 1));
    for (let j = spec.denominator - 2; j >= 0; j--)
      b = b.add(coefficient("denominator", j)).mul(xg.ref);
    xg.dispose();
    // |B| as B·(2·[B > 0] − 1): a compare cast to float (np.abs is slow on wasm); at B = 0 the
    // subgradient is −1, so coefficients that start at exactly 0 (identity init) still move.
    const sign = np.greater(b.ref, 0).astype(b.dtype).mul(2).sub(1);
    const q = b.mul(sign).add(1);
    return p.div(q).reshape([batch, n]);
  }

  apply(state: LayerState, x: np.Array): np.Array {
    let y = np.matmul(this.rational(state, x), (state.params.w as np.Array).ref);
    if (state.params.b) y = y.add(state.params.b.ref);
    return y;
  }

  paramShapes(): ShapeRecord {
    const { spec, inputs: n } = this;
    return {
      numerator: [spec.groups, spec.numerator + 1],
      w: [n, spec.units],
      ...(spec.denominator > 0 ? { denominator: [spec.groups, spec.denominator] } : {}),
      ...(spec.bias ? { b: [spec.units] } : {}),
    };
  }

  /**
   * Per sample, per input channel: P by Horner, m multiply-adds (2m); B by Horner, d−1
   * multiply-adds and one multiply (2d − 1); |B|, 1 + |B| and P/Q one operation each (3; |·| is
   * one elementary operation, however the backend spells it). Then the matmul 2·n·units and the
   * bias units: forward = n·(2m + 2d + 2) + 2·n·units + units (for d ≥ 1; 2m per channel if d=0).
   */
  flops(): FlopCount {
    const { spec, inputs: n } = this;
    const m = spec.numerator;
    const d = spec.denominator;
    const perChannel = 2 * m + (d > 0 ? 2 * d - 1 + 3 : 0);
    const forward = n * perChannel + 2 * n * spec.units + (spec.bias ? spec.units : 0);
    return { forward, backward: 2 * forward };
  }
}
