/**
 * The library of 1-D functions a KAN edge is matched against (pykan's SYMBOLIC_LIB, Liu et al.
 * 2024, "KAN: Kolmogorov–Arnold Networks"): each an expression of x in nonlin's language with
 * pykan's complexity. Functions the language has no primitive for are written with the ones it
 * has, under its safe semantics (log|a|, sqrt(max(a, ε)), a/b with |b| ≥ ε): tan = sin/cos,
 * arcsin x = atan(x/√(1−x²)), arctanh x = ½·log((1+x)/(1−x)).
 *
 * `a` and `b` say which of the edge's inner constants in c·f(a·x + b) + d can be told apart from
 * c and d: for a function with f(a·u) = g(a)·f(u) + h(a) (powers, 1/x, log, abs, sign) a is
 * fixed at 1 (or tried at ±1 where the sign matters: √, 1/√); for exp, b is fixed at 0
 * (c·e^(a·x+b) = c·e^b·e^(a·x)); for x both are fixed (c·x + d). Fixing them keeps the fit
 * well-posed and the read-out formula free of constants that only trade against each other.
 */
import { InputError } from "../base/errors.js";
import type { Expr } from "../expr/ast.js";
import { ExprSyntaxError } from "../expr/errors.js";
import { parseExpr } from "../expr/parse.js";

/** How the inner scale a is searched: free on a grid, fixed at 1, or tried at −1 and 1. */
export type InnerScale = "free" | "unit" | "signed-unit";

export interface EdgeFunction {
  readonly name: string;
  /** The function of x (the language's input). */
  readonly expr: Expr;
  /** pykan's complexity (bits of description) for the simplicity weight. */
  readonly complexity: number;
  readonly a: InnerScale;
  /** Whether the inner shift b is searched (else fixed at 0). */
  readonly b: boolean;
}

const entry = (
  name: string,
  source: string,
  complexity: number,
  a: InnerScale,
  b: boolean,
): EdgeFunction => ({ name, expr: parseExpr(source), complexity, a, b });

/** The default library, in pykan's order; "0" removes the edge. */
export const DEFAULT_EDGE_LIBRARY: readonly EdgeFunction[] = [
  entry("x", "x", 1, "unit", false),
  entry("x^2", "x^2", 2, "unit", true),
  entry("x^3", "x^3", 3, "unit", true),
  entry("x^4", "x^4", 3, "unit", true),
  entry("x^5", "x^5", 3, "unit", true),
  entry("1/x", "1/x", 2, "unit", true),
  entry("1/x^2", "1/x^2", 2, "unit", true),
  entry("sqrt", "sqrt(x)", 2, "signed-unit", true),
  entry("1/sqrt", "1/sqrt(x)", 2, "signed-unit", true),
  entry("exp", "exp(x)", 2, "free", false),
  entry("log", "log(x)", 2, "unit", true),
  entry("abs", "abs(x)", 3, "unit", true),
  entry("sin", "sin(x)", 2, "free", true),
  entry("cos", "cos(x)", 2, "free", true),
  entry("tan", "sin(x)/cos(x)", 3, "free", true),
  entry("tanh", "tanh(x)", 3, "free", true),
  entry("sign", "sign(x)", 3, "unit", true),
  entry("arcsin", "atan(x/sqrt(1 - x^2))", 4, "free", true),
  entry("arctan", "atan(x)", 4, "free", true),
  entry("arctanh", "0.5*log((1 + x)/(1 - x))", 4, "free", true),
  entry("0", "0", 0, "unit", false),
  entry("gaussian", "gaussian(x)", 3, "free", true),
];

/** Nodes of an expression: the complexity given to a user's function. */
export function nodeCount(expr: Expr): number {
  switch (expr.kind) {
    case "call":
      return 1 + expr.args.reduce((sum, arg) => sum + nodeCount(arg), 0);
    case "pow":
      return 1 + nodeCount(expr.base);
    case "stat":
      return 1 + nodeCount(expr.arg);
    default:
      return 1;
  }
}

/** A user's function (an expression of x): both inner constants free, complexity its node count. */
export function userEdgeFunction(source: string): EdgeFunction {
  const expr = parseExpr(source);
  return { name: source, expr, complexity: nodeCount(expr), a: "free", b: true };
}

/** An entry that is neither a library name nor an expression; the caller prefixes the field. */
export class EdgeLibraryError extends InputError {
  override name = "EdgeLibraryError";
}

/** A function of `library` (default: the default library) by name, else an expression of x. */
export function edgeFunctionOf(
  entry: string,
  library: readonly EdgeFunction[] = DEFAULT_EDGE_LIBRARY,
): EdgeFunction {
  const known =
    library.find((f) => f.name === entry) ?? DEFAULT_EDGE_LIBRARY.find((f) => f.name === entry);
  if (known) return known;
  try {
    return userEdgeFunction(entry);
  } catch (error) {
    if (error instanceof ExprSyntaxError)
      throw new EdgeLibraryError(
        `'${entry}' is neither a library name (${DEFAULT_EDGE_LIBRARY.map((f) => f.name).join(", ")}) nor an expression of x: ${error.message}`,
      );
    throw error;
  }
}
