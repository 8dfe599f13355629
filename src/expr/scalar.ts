/** The meaning of every pointwise operation on plain numbers: the reference for folding constants. */
import type { CallOp } from "./ast.js";
import { SAFE_EPSILON } from "./ast.js";
import { erf } from "./erf.js";

export const safeDenominator = (b: number): number =>
  b >= 0 ? Math.max(b, SAFE_EPSILON) : Math.min(b, -SAFE_EPSILON);
export const sigmoid = (a: number): number => 1 / (1 + Math.exp(-a));
export const softplus = (a: number): number => Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a)));
export const sinc = (a: number): number => (Math.abs(a) < 1e-4 ? 1 - (a * a) / 6 : Math.sin(a) / a);

const UNARY: Partial<Record<CallOp, (a: number) => number>> = {
  neg: (a) => -a,
  abs: Math.abs,
  exp: Math.exp,
  log: (a) => Math.log(Math.max(Math.abs(a), SAFE_EPSILON)),
  sqrt: (a) => Math.sqrt(Math.max(a, SAFE_EPSILON)),
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sinh: Math.sinh,
  cosh: Math.cosh,
  asinh: Math.asinh,
  atan: Math.atan,
  sigmoid,
  erf,
  softplus,
  relu: (a) => Math.max(a, 0),
  step: (a) => (a > 0 ? 1 : 0),
  sign: (a) => Math.sign(a),
  gaussian: (a) => Math.exp(-a * a),
  sinc,
  stopgrad: (a) => a,
};

const BINARY: Partial<Record<CallOp, (a: number, b: number) => number>> = {
  add: (a, b) => a + b,
  mul: (a, b) => a * b,
  div: (a, b) => a / safeDenominator(b),
  max: Math.max,
  min: Math.min,
  surrogate: (a) => a,
};

/** Value of a pointwise operation on numbers. */
export function applyScalarOp(op: CallOp, args: readonly number[]): number {
  const [a = NaN, b = NaN, c = NaN] = args;
  if (op === "where") return a > 0 ? b : c;
  const unary = UNARY[op];
  if (unary) return unary(a);
  const binary = BINARY[op];
  if (binary) return binary(a, b);
  throw new Error(`no scalar meaning for ${op}`);
}

/** An integer power with the safe reciprocal for negative exponents. */
export function integerPower(base: number, exponent: number): number {
  if (exponent >= 0) return base ** exponent;
  return 1 / safeDenominator(base ** -exponent);
}
