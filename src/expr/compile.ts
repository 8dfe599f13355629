/**
 * Compiles an activation to a jax-js function. The expression tree is walked once, while `jit`
 * traces it; the result is one fused kernel, with no interpretation of the tree at run time.
 *
 * Ownership: the built function consumes `x` and the parameter arrays, as every jax-js call does.
 */
import { jit, lax, nn, numpy as np } from "@jax-js/jax";
import type { FloatDType } from "../engine/dtype.js";
import { toJaxDType } from "../engine/dtype.js";
import type { Activation, CallOp, Expr, ParamSharing, StatAxis, StatOp } from "./ast.js";
import { SAFE_EPSILON } from "./ast.js";
import { ERF_FRACTION_DEPTH, ERF_SERIES_LIMIT, ERF_SERIES_TERMS } from "./erf.js";

export type ParamArrays = Record<string, np.Array>;
export type ActivationFn = (x: np.Array, params: ParamArrays) => np.Array;

/** Shape of a parameter for inputs whose samples have shape `sampleShape` (channels last). */
export function paramShape(sharing: ParamSharing, sampleShape: readonly number[]): number[] {
  if (sharing === "scalar") return [];
  if (sharing === "channel") return [sampleShape[sampleShape.length - 1] ?? 1];
  return [...sampleShape];
}

/** Initial parameter arrays of an activation, for samples of shape `sampleShape`. */
export function initParams(
  activation: Activation,
  sampleShape: readonly number[],
  dtype: FloatDType,
): ParamArrays {
  return Object.fromEntries(
    Object.entries(activation.params).map(([name, spec]) => [
      name,
      np.full(paramShape(spec.sharing, sampleShape), spec.init, { dtype: toJaxDType(dtype) }),
    ]),
  );
}

/** Axes a statistic reduces over, for an argument of `ndim` axes laid out [batch, ..., feature]. */
export function reductionAxes(axis: StatAxis, ndim: number): number[] {
  const all = Array.from({ length: ndim }, (_, i) => i);
  if (axis === "feature") return [ndim - 1];
  if (axis === "batch") return ndim === 1 ? [0] : all.slice(0, -1);
  return ndim === 1 ? [0] : all.slice(1);
}

class Evaluator {
  constructor(
    private readonly x: np.Array,
    private readonly params: ParamArrays,
    private readonly dtype: FloatDType,
  ) {}

  private constant(value: number): np.Array {
    return np.full([], value, { dtype: toJaxDType(this.dtype) });
  }

  evaluate(expr: Expr): np.Array {
    switch (expr.kind) {
      case "input":
        return this.x.ref;
      case "const":
        return this.constant(expr.value);
      case "param": {
        const value = Object.hasOwn(this.params, expr.name) ? this.params[expr.name] : undefined;
        if (!value) throw new Error(`no value for parameter '${expr.name}'`);
        return value.ref;
      }
      case "pow":
        return this.power(this.evaluate(expr.base), expr.exponent);
      case "stat":
        return this.statistic(expr.op, expr.axis, this.evaluate(expr.arg));
      case "call":
        return this.call(
          expr.op,
          expr.args.map((arg) => this.evaluate(arg)),
        );
    }
  }

  /** Integer power by repeated squaring; negative exponents take the safe reciprocal. */
  private power(base: np.Array, exponent: number): np.Array {
    if (exponent < 0) return this.safeDivide(this.constant(1), this.power(base, -exponent));
    if (exponent === 0) {
      base.dispose();
      return this.constant(1);
    }
    let result: np.Array | undefined;
    let square = base;
    let remaining = exponent;
    // arithmetic, not bit operations: those read the exponent as a 32-bit integer
    while (remaining > 0) {
      if (remaining % 2 === 1) result = result ? result.mul(square.ref) : square.ref;
      remaining = Math.floor(remaining / 2);
      if (remaining > 0) square = square.ref.mul(square);
    }
    square.dispose();
    return result as np.Array;
  }

  private safeDenominator(b: np.Array): np.Array {
    return np.where(
      np.greaterEqual(b.ref, 0),
      np.maximum(b.ref, SAFE_EPSILON),
      np.minimum(b, -SAFE_EPSILON),
    );
  }

  private safeDivide(a: np.Array, b: np.Array): np.Array {
    return a.div(this.safeDenominator(b));
  }

  /** A statistic over `axis`, broadcast back to the argument's shape. */
  private statistic(op: StatOp, axis: StatAxis, a: np.Array): np.Array {
    const shape = a.shape;
    const axes = reductionAxes(axis, a.ndim);
    const mean = (v: np.Array): np.Array => np.mean(v, axes, { keepdims: true });
    const variance = (v: np.Array): np.Array => mean(np.square(v.ref.sub(mean(v))));
    const reduced = ((): np.Array => {
      switch (op) {
        case "mean":
          return mean(a);
        case "var":
          return variance(a);
        case "std":
          return np.sqrt(np.maximum(variance(a), SAFE_EPSILON));
        case "rms":
          return np.sqrt(np.maximum(mean(np.square(a)), SAFE_EPSILON));
        case "amax":
          return np.max(a, axes, { keepdims: true });
      }
    })();
    return np.broadcastTo(reduced, shape);
  }

  private call(op: CallOp, args: np.Array[]): np.Array {
    const [a, b, c] = args as [np.Array, np.Array, np.Array];
    switch (op) {
      case "add":
        return a.add(b);
      case "mul":
        return a.mul(b);
      case "div":
        return this.safeDivide(a, b);
      case "neg":
        return a.neg();
      case "max":
        return np.maximum(a, b);
      case "min":
        return np.minimum(a, b);
      case "where":
        return np.where(np.greater(a, 0), b, c);
      case "surrogate":
        // forward a, gradient of b: b + stopgrad(a − b)
        return b.ref.add(lax.stopGradient(a.sub(b)));
      case "stopgrad":
        return lax.stopGradient(a);
      case "abs":
        return np.abs(a);
      case "exp":
        return np.exp(a);
      case "log":
        return np.log(np.maximum(np.abs(a), SAFE_EPSILON));
      case "sqrt":
        return np.sqrt(np.maximum(a, SAFE_EPSILON));
      case "sin":
        return np.sin(a);
      case "cos":
        return np.cos(a);
      case "tanh":
        return np.tanh(a);
      case "sinh":
        return np.sinh(a);
      case "cosh":
        return np.cosh(a);
      case "asinh":
        return np.arcsinh(a);
      case "atan":
        return np.atan(a);
      case "sigmoid":
        return nn.sigmoid(a);
      case "erf":
        return this.dtype === "float64" ? this.erf64(a) : lax.erf(a);
      case "softplus":
        return np.maximum(a.ref, 0).add(np.log1p(np.exp(np.abs(a).neg())));
      case "relu":
        return np.maximum(a, 0);
      case "step":
        return np.where(np.greater(a, 0), this.constant(1), this.constant(0));
      case "sign":
        return np.sign(a);
      case "gaussian":
        return np.exp(np.square(a).neg());
      case "sinc":
        return this.sinc(a);
    }
  }

  /** sin(a)/a, with its Taylor form near 0 and a denominator that is never 0 (so no NaN
   * gradient leaks from the branch `where` does not take). */
  private sinc(a: np.Array): np.Array {
    const small = np.less(np.abs(a.ref), 1e-4);
    const safe = np.where(small.ref, this.constant(1), a.ref);
    const ratio = np.sin(safe.ref).div(safe);
    const taylor = this.constant(1).sub(np.square(a).div(6));
    return np.where(small, taylor, ratio);
  }

  /** erf from elementary operations (see erf.ts). Measured error about 3e-8, bounded by jax-js's
   * wasm exp; jax-js's own erf errs by up to about 2e-7 on float64 arrays. */
  private erf64(a: np.Array): np.Array {
    const magnitude = np.abs(a.ref);
    const inSeries = np.less(magnitude.ref, ERF_SERIES_LIMIT);
    const s = np.minimum(magnitude.ref, ERF_SERIES_LIMIT);
    const twiceSquare = np.square(s.ref).mul(2);
    let sum = this.constant(1);
    for (let n = ERF_SERIES_TERMS; n >= 0; n--)
      sum = twiceSquare.ref
        .mul(sum)
        .div(2 * n + 3)
        .add(1);
    twiceSquare.dispose();
    const series = np
      .exp(np.square(s.ref).neg())
      .mul(s)
      .mul(sum)
      .mul(2 / Math.sqrt(Math.PI));
    const t = np.maximum(magnitude, ERF_SERIES_LIMIT);
    let tail = t.ref;
    for (let k = ERF_FRACTION_DEPTH; k >= 1; k--) tail = t.ref.add(np.reciprocal(tail).mul(k / 2));
    const fraction = this.constant(1).sub(
      np.exp(np.square(t).neg()).div(tail).div(Math.sqrt(Math.PI)),
    );
    return np.sign(a).mul(np.where(inSeries, series, fraction));
  }
}

/** The activation as a plain jax-js function, op by op (no jit). */
export function buildActivationFn(activation: Activation, dtype: FloatDType): ActivationFn {
  return (x, params) => {
    const result = new Evaluator(x, params, dtype).evaluate(activation.expr);
    x.dispose();
    for (const value of Object.values(params)) value.dispose();
    return result;
  };
}

/** The activation compiled with `jit`: one fused kernel per input shape. */
export function compileActivation(
  activation: Activation,
  dtype: FloatDType,
): ActivationFn & { dispose(): void } {
  return jit(buildActivationFn(activation, dtype));
}
