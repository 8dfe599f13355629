/**
 * The one type for every nonlinearity: an expression over the input `x`, numeric constants and
 * named parameters. Subtraction is addition of a negation, so `x - y` and `-y + x` share a form.
 */

/** Pointwise functions of one argument. */
export const UNARY_OPS = [
  "neg",
  "abs",
  "exp",
  "log",
  "sqrt",
  "sin",
  "cos",
  "tanh",
  "sinh",
  "cosh",
  "asinh",
  "atan",
  "sigmoid",
  "erf",
  "softplus",
  "relu",
  "step",
  "sign",
  "gaussian",
  "sinc",
  "stopgrad",
] as const;
/** Pointwise functions of two arguments. */
export const BINARY_OPS = ["add", "mul", "div", "max", "min", "surrogate"] as const;
/** Pointwise functions of three arguments. */
export const TERNARY_OPS = ["where"] as const;
/** Statistics over an axis, broadcast back to the argument's shape. */
export const STAT_OPS = ["mean", "var", "std", "rms", "amax"] as const;
/**
 * Axes a statistic reduces over, for inputs laid out [batch, ..., feature]:
 * `feature` the last axis; `batch` every axis but the last (per channel, over samples and
 * positions); `instance` every axis but the first (per sample).
 */
export const STAT_AXES = ["feature", "batch", "instance"] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];
export type TernaryOp = (typeof TERNARY_OPS)[number];
export type CallOp = UnaryOp | BinaryOp | TernaryOp;
export type StatOp = (typeof STAT_OPS)[number];
export type StatAxis = (typeof STAT_AXES)[number];

export type Expr =
  | { readonly kind: "input" }
  | { readonly kind: "const"; readonly value: number }
  | { readonly kind: "param"; readonly name: string }
  | { readonly kind: "call"; readonly op: CallOp; readonly args: readonly Expr[] }
  | { readonly kind: "pow"; readonly base: Expr; readonly exponent: number }
  | { readonly kind: "stat"; readonly op: StatOp; readonly axis: StatAxis; readonly arg: Expr };

/** How a parameter is shared across a layer: one value, one per channel (the last axis), or one
 * per neuron (every position of a sample). In a dense layer channels and neurons coincide. */
export type ParamSharing = "scalar" | "channel" | "neuron";

export interface ParamSpec {
  readonly init: number;
  readonly learnable: boolean;
  readonly sharing: ParamSharing;
}

/** A nonlinearity: its expression and the parameters it names. */
export interface Activation {
  readonly expr: Expr;
  readonly params: Readonly<Record<string, ParamSpec>>;
}

/** The smallest magnitude a safe denominator, logarithm or square root sees. */
export const SAFE_EPSILON = 1e-7;

export const X: Expr = { kind: "input" };
export const num = (value: number): Expr => ({ kind: "const", value });
export const param = (name: string): Expr => ({ kind: "param", name });
export const call = (op: CallOp, ...args: Expr[]): Expr => ({ kind: "call", op, args });
export const pow = (base: Expr, exponent: number): Expr => ({ kind: "pow", base, exponent });
export const stat = (op: StatOp, arg: Expr, axis: StatAxis = "feature"): Expr => ({
  kind: "stat",
  op,
  axis,
  arg,
});

export function arityOf(op: CallOp): number {
  if ((UNARY_OPS as readonly string[]).includes(op)) return 1;
  if ((BINARY_OPS as readonly string[]).includes(op)) return 2;
  return 3;
}

export function isCallOp(name: string): name is CallOp {
  return (
    (UNARY_OPS as readonly string[]).includes(name) ||
    (BINARY_OPS as readonly string[]).includes(name) ||
    (TERNARY_OPS as readonly string[]).includes(name)
  );
}

export function isStatOp(name: string): name is StatOp {
  return (STAT_OPS as readonly string[]).includes(name);
}

export function childrenOf(expr: Expr): readonly Expr[] {
  switch (expr.kind) {
    case "call":
      return expr.args;
    case "pow":
      return [expr.base];
    case "stat":
      return [expr.arg];
    default:
      return [];
  }
}

/** Whether any node satisfies the predicate. */
export function someNode(expr: Expr, predicate: (node: Expr) => boolean): boolean {
  return predicate(expr) || childrenOf(expr).some((child) => someNode(child, predicate));
}

/** Names of the parameters an expression uses, in order of first appearance. */
export function paramNamesOf(expr: Expr): string[] {
  const names: string[] = [];
  someNode(expr, (node) => {
    if (node.kind === "param" && !names.includes(node.name)) names.push(node.name);
    return false;
  });
  return names;
}

/** Pointwise expressions map each input element on its own; statistics make them context-dependent. */
export function isPointwise(expr: Expr): boolean {
  return !someNode(expr, (node) => node.kind === "stat");
}

export function dependsOnInput(expr: Expr): boolean {
  return someNode(expr, (node) => node.kind === "input");
}

export function isConstant(expr: Expr): boolean {
  return !someNode(expr, (node) => node.kind === "input" || node.kind === "param");
}

export function exprEquals(a: Expr, b: Expr): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "input":
      return true;
    case "const":
      return Object.is(a.value, (b as typeof a).value);
    case "param":
      return a.name === (b as typeof a).name;
    case "pow": {
      const other = b as typeof a;
      return a.exponent === other.exponent && exprEquals(a.base, other.base);
    }
    case "stat": {
      const other = b as typeof a;
      return a.op === other.op && a.axis === other.axis && exprEquals(a.arg, other.arg);
    }
    case "call": {
      const other = b as typeof a;
      return (
        a.op === other.op &&
        a.args.length === other.args.length &&
        a.args.every((arg, i) => exprEquals(arg, other.args[i] as Expr))
      );
    }
  }
}
