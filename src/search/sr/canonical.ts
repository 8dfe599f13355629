/**
 * The canonical form of a candidate: the language's (src/expr/simplify.ts), after one rewrite of
 * the search's own: a / c → (1/c) · a for a constant c, so that a scaled term has one form
 * (`cos(x) / 0.394` and `2.538 * cos(x)` are one candidate) and its coefficient merges with
 * others. The safe denominator keeps the value: a / c = a · (1 / safe(c)).
 */
import type { Expr } from "../../expr/ast.js";
import { call, num } from "../../expr/ast.js";
import { safeDenominator } from "../../expr/scalar.js";
import { simplify } from "../../expr/simplify.js";

function divisionsByConstants(expr: Expr): Expr {
  switch (expr.kind) {
    case "call": {
      const args = expr.args.map(divisionsByConstants);
      const [a, b] = args as [Expr, Expr];
      if (expr.op === "div" && b.kind === "const")
        return call("mul", num(1 / safeDenominator(b.value)), a);
      return args.every((arg, i) => arg === expr.args[i]) ? expr : call(expr.op, ...args);
    }
    case "pow": {
      const base = divisionsByConstants(expr.base);
      return base === expr.base ? expr : { kind: "pow", base, exponent: expr.exponent };
    }
    default:
      return expr;
  }
}

export function canonicalCandidate(expr: Expr): Expr {
  const simplified = simplify(expr);
  const rewritten = divisionsByConstants(simplified);
  return rewritten === simplified ? simplified : simplify(rewritten);
}
