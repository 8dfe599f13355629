/**
 * Symbolic derivative d/dx of a pointwise expression, matching the safe semantics: where a safe
 * operation clamps its argument, the derivative is 0 (as autodiff of the clamped form gives).
 * `surrogate(f, g)` differentiates as g; `stopgrad` as 0.
 */
import type { Activation, Expr, ParamSpec } from "./ast.js";
import { call, num, paramNamesOf, pow, SAFE_EPSILON } from "./ast.js";
import { ExprError } from "./errors.js";
import { simplify } from "./simplify.js";

const add = (...terms: Expr[]): Expr => terms.reduce((a, b) => call("add", a, b));
const mul = (...factors: Expr[]): Expr => factors.reduce((a, b) => call("mul", a, b));
const neg = (a: Expr): Expr => call("neg", a);
const sub = (a: Expr, b: Expr): Expr => add(a, neg(b));
/** `value` where `guard` > 0, else 0. */
const gate = (guard: Expr, value: Expr): Expr => call("where", guard, value, num(0));
const awayFromZero = (a: Expr): Expr => sub(call("abs", a), num(SAFE_EPSILON));

function chainFactor(expr: Extract<Expr, { kind: "call" }>): Expr | undefined {
  const a = expr.args[0] as Expr;
  switch (expr.op) {
    case "abs":
      return call("sign", a);
    case "exp":
      return call("exp", a);
    case "sin":
      return call("cos", a);
    case "cos":
      return neg(call("sin", a));
    case "tanh":
      return sub(num(1), pow(call("tanh", a), 2));
    case "sinh":
      return call("cosh", a);
    case "cosh":
      return call("sinh", a);
    case "asinh":
      return call("div", num(1), call("sqrt", add(pow(a, 2), num(1))));
    case "atan":
      return call("div", num(1), add(num(1), pow(a, 2)));
    case "sigmoid":
      return mul(call("sigmoid", a), sub(num(1), call("sigmoid", a)));
    case "erf":
      return mul(num(2 / Math.sqrt(Math.PI)), call("gaussian", a));
    case "softplus":
      return call("sigmoid", a);
    case "relu":
      return call("step", a);
    case "gaussian":
      return mul(num(-2), a, call("gaussian", a));
    case "sinc":
      return call("div", sub(call("cos", a), call("sinc", a)), a);
    case "log":
      return gate(awayFromZero(a), call("div", num(1), a));
    case "sqrt":
      return gate(sub(a, num(SAFE_EPSILON)), call("div", num(0.5), call("sqrt", a)));
    case "step":
    case "sign":
    case "stopgrad":
      return num(0);
    default:
      return undefined;
  }
}

// d/dx of each node is kept (trees are immutable): a subtree shared within an expression, or by
// an expression and its derivative, is differentiated once.
const derived = new WeakMap<Expr, Expr>();

function differentiate(expr: Expr): Expr {
  let result = derived.get(expr);
  if (result === undefined) {
    result = differentiateNode(expr);
    derived.set(expr, result);
  }
  return result;
}

function differentiateNode(expr: Expr): Expr {
  switch (expr.kind) {
    case "input":
      return num(1);
    case "const":
    case "param":
      return num(0);
    case "pow":
      return mul(num(expr.exponent), pow(expr.base, expr.exponent - 1), differentiate(expr.base));
    case "stat":
      throw new ExprError(
        `the symbolic derivative is defined for pointwise expressions; ${expr.op}(…) is a statistic over the ${expr.axis} axis (use autodiff of the compiled form)`,
      );
    case "call":
      return differentiateCall(expr);
  }
}

function differentiateCall(expr: Extract<Expr, { kind: "call" }>): Expr {
  const [a, b, c] = expr.args as [Expr, Expr, Expr];
  switch (expr.op) {
    case "add":
      return add(differentiate(a), differentiate(b));
    case "mul":
      return add(mul(differentiate(a), b), mul(a, differentiate(b)));
    case "neg":
      return neg(differentiate(a));
    case "div": {
      const db = gate(awayFromZero(b), differentiate(b));
      return call("div", sub(differentiate(a), mul(call("div", a, b), db)), b);
    }
    case "max":
      return call("where", sub(a, b), differentiate(a), differentiate(b));
    case "min":
      return call("where", sub(b, a), differentiate(a), differentiate(b));
    case "where":
      return call("where", a, differentiate(b), differentiate(c));
    case "surrogate":
      return differentiate(b);
    default: {
      const factor = chainFactor(expr);
      if (factor === undefined) throw new ExprError(`no derivative rule for ${expr.op}`);
      return mul(factor, differentiate(a));
    }
  }
}

/** d/dx of an expression, in canonical form. */
export function derivative(expr: Expr): Expr {
  return simplify(differentiate(expr));
}

/** The derivative as an activation with the parameters it still uses. */
export function derivativeActivation(activation: Activation): Activation {
  const expr = derivative(activation.expr);
  const params: Record<string, ParamSpec> = Object.fromEntries(
    paramNamesOf(expr).map((name) => [name, activation.params[name] as ParamSpec]),
  );
  return { expr, params };
}
