/**
 * Canonical form: constant folding, algebraic identities, like terms and powers collected, and the
 * operands of commutative operations in one order. Two expressions that differ only by such
 * rewriting (`x*sigmoid(x)` and `sigmoid(x)*x`) get one canonical form and so one hash.
 *
 * Rewrites keep the safe semantics exactly: `a/a` is not 1 near zero, so it is left alone.
 */
import type { Activation, Expr, ParamSpec } from "./ast.js";
import { call, isConstant, num, paramNamesOf, pow, SAFE_EPSILON } from "./ast.js";
import { printExpr } from "./print.js";
import { applyScalarOp, integerPower } from "./scalar.js";

const KIND_RANK: Record<Expr["kind"], number> = {
  const: 0,
  param: 1,
  input: 2,
  pow: 2,
  call: 3,
  stat: 4,
};

function rankOf(expr: Expr): number {
  return expr.kind === "pow" ? rankOf(expr.base) : KIND_RANK[expr.kind];
}

/** A total order on expressions, used to sort the operands of commutative operations. */
function compareExprs(a: Expr, b: Expr): number {
  const rank = rankOf(a) - rankOf(b);
  if (rank !== 0) return rank;
  const [keyA, keyB] = [printExpr(a), printExpr(b)];
  return keyA < keyB ? -1 : keyA > keyB ? 1 : 0;
}

/** Replaces a constant result by a literal, unless it is not a finite number. */
function foldable(value: number): Expr | undefined {
  return Number.isFinite(value) ? num(value === 0 ? 0 : value) : undefined;
}

function constValue(expr: Expr): number | undefined {
  return expr.kind === "const" ? expr.value : undefined;
}

// ---- products: coefficient × Π baseᵢ^nᵢ ---------------------------------------------------

interface Product {
  coefficient: number;
  factors: { base: Expr; exponent: number }[];
}

function collectFactors(expr: Expr, into: Product): void {
  if (expr.kind === "const") into.coefficient *= expr.value;
  else if (expr.kind === "call" && expr.op === "mul")
    expr.args.forEach((arg) => collectFactors(arg, into));
  else if (expr.kind === "call" && expr.op === "neg") {
    into.coefficient = -into.coefficient;
    collectFactors(expr.args[0] as Expr, into);
  } else if (expr.kind === "pow" && expr.exponent > 0) addFactor(into, expr.base, expr.exponent);
  else addFactor(into, expr, 1);
}

function addFactor(product: Product, base: Expr, exponent: number): void {
  const key = printExpr(base);
  const existing = product.factors.find((factor) => printExpr(factor.base) === key);
  if (existing) existing.exponent += exponent;
  else product.factors.push({ base, exponent });
}

function buildProduct(product: Product): Expr {
  const factors = product.factors
    .filter((factor) => factor.exponent !== 0)
    .sort((a, b) => compareExprs(a.base, b.base))
    .map((factor) => (factor.exponent === 1 ? factor.base : pow(factor.base, factor.exponent)));
  if (product.coefficient === 0 || factors.length === 0)
    return num(product.coefficient === 0 ? 0 : product.coefficient);
  if (product.coefficient === -1)
    return call(
      "neg",
      factors.reduce((left, right) => call("mul", left, right)),
    );
  if (product.coefficient !== 1) factors.unshift(num(product.coefficient));
  return factors.reduce((left, right) => call("mul", left, right));
}

function simplifyProduct(expr: Expr): Expr {
  const product: Product = { coefficient: 1, factors: [] };
  collectFactors(expr, product);
  return buildProduct(product);
}

// ---- sums: Σ coefficientᵢ × termᵢ + constant ----------------------------------------------

/** Splits a canonical product into its coefficient and the rest. */
function splitCoefficient(expr: Expr): { coefficient: number; rest: Expr | undefined } {
  if (expr.kind === "const") return { coefficient: expr.value, rest: undefined };
  const product: Product = { coefficient: 1, factors: [] };
  collectFactors(expr, product);
  const coefficient = product.coefficient;
  product.coefficient = 1;
  return { coefficient, rest: buildProduct(product) };
}

function collectTerms(expr: Expr, into: Expr[]): void {
  if (expr.kind === "call" && expr.op === "add")
    expr.args.forEach((arg) => collectTerms(arg, into));
  else into.push(expr);
}

function simplifySum(expr: Expr): Expr {
  const terms: Expr[] = [];
  collectTerms(expr, terms);
  let constant = 0;
  const grouped: { rest: Expr; coefficient: number }[] = [];
  for (const term of terms) {
    const { coefficient, rest } = splitCoefficient(term);
    if (rest === undefined) {
      constant += coefficient;
      continue;
    }
    const key = printExpr(rest);
    const existing = grouped.find((entry) => printExpr(entry.rest) === key);
    if (existing) existing.coefficient += coefficient;
    else grouped.push({ rest, coefficient });
  }
  const parts = grouped
    .filter((entry) => entry.coefficient !== 0)
    .sort((a, b) => compareExprs(a.rest, b.rest))
    .map((entry) => simplifyProduct(call("mul", num(entry.coefficient), entry.rest)));
  if (constant !== 0 || parts.length === 0) parts.push(num(constant));
  return parts.reduce((left, right) => call("add", left, right));
}

// ---- max / min: flattened, deduplicated, sorted -------------------------------------------

function simplifyExtremum(expr: Extract<Expr, { kind: "call" }>): Expr {
  const op = expr.op;
  const operands: Expr[] = [];
  const collect = (node: Expr): void => {
    if (node.kind === "call" && node.op === op) node.args.forEach(collect);
    else if (!operands.some((other) => printExpr(other) === printExpr(node))) operands.push(node);
  };
  collect(expr);
  const constants = operands
    .filter((operand) => operand.kind === "const")
    .map((c) => constValue(c) as number);
  const others: Expr[] = operands.filter((operand) => operand.kind !== "const").sort(compareExprs);
  if (constants.length > 0)
    others.unshift(num(op === "max" ? Math.max(...constants) : Math.min(...constants)));
  return others.reduce((left, right) => call(op, left, right));
}

// ---- single nodes ----------------------------------------------------------------------

function simplifyPow(base: Expr, exponent: number): Expr {
  if (exponent === 0) return num(1);
  if (exponent === 1) return base;
  const value = constValue(base);
  if (value !== undefined) return foldable(integerPower(value, exponent)) ?? pow(base, exponent);
  if (exponent < 0) return simplifyNode(call("div", num(1), simplifyPow(base, -exponent)));
  if (base.kind === "pow") return simplifyPow(base.base, base.exponent * exponent);
  if (base.kind === "call" && base.op === "neg") {
    const inner = simplifyPow(base.args[0] as Expr, exponent);
    return exponent % 2 === 0 ? inner : simplifyProduct(call("neg", inner));
  }
  if (base.kind === "call" && base.op === "mul")
    return simplifyProduct(raiseProduct(base, exponent));
  return pow(base, exponent);
}

function raiseProduct(product: Expr, exponent: number): Expr {
  const collected: Product = { coefficient: 1, factors: [] };
  collectFactors(product, collected);
  collected.coefficient = collected.coefficient ** exponent;
  collected.factors.forEach((factor) => (factor.exponent *= exponent));
  return buildProduct(collected);
}

function simplifyCall(expr: Extract<Expr, { kind: "call" }>): Expr {
  const args = expr.args;
  const [a, b, c] = args as [Expr, Expr, Expr];
  const values = args.map(constValue);
  if (values.every((value) => value !== undefined) && expr.op !== "stopgrad") {
    const folded = foldable(applyScalarOp(expr.op, values as number[]));
    if (folded) return folded;
  }
  switch (expr.op) {
    case "add":
      return simplifySum(expr);
    case "mul":
    case "neg":
      return simplifyProduct(expr);
    case "div":
      if (constValue(b) === 1) return a;
      if (constValue(a) === 0) return num(0);
      return expr;
    case "max":
    case "min":
      return simplifyExtremum(expr);
    case "abs":
      if (a.kind === "call" && (a.op === "abs" || a.op === "neg"))
        return simplifyNode(call("abs", a.args[0] as Expr));
      if (a.kind === "pow" && a.exponent % 2 === 0) return a;
      return expr;
    case "relu":
      return a.kind === "call" && a.op === "relu" ? a : expr;
    case "stopgrad":
      return isConstant(a) || (a.kind === "call" && a.op === "stopgrad") ? a : expr;
    case "surrogate":
      return printExpr(a) === printExpr(b) ? a : expr;
    case "where": {
      const condition = constValue(a);
      if (condition !== undefined) return condition > 0 ? b : c;
      return printExpr(b) === printExpr(c) ? b : expr;
    }
    default:
      return expr;
  }
}

function simplifyStat(expr: Extract<Expr, { kind: "stat" }>): Expr {
  const value = constValue(expr.arg);
  if (value === undefined) return expr;
  switch (expr.op) {
    case "mean":
    case "amax":
      return expr.arg;
    case "var":
      return num(0);
    case "std":
      return num(Math.sqrt(SAFE_EPSILON));
    case "rms":
      return num(Math.sqrt(Math.max(value * value, SAFE_EPSILON)));
  }
}

/** Rewrites one node whose children are already canonical. */
function simplifyNode(expr: Expr): Expr {
  switch (expr.kind) {
    case "pow":
      return simplifyPow(expr.base, expr.exponent);
    case "call":
      return simplifyCall(expr);
    case "stat":
      return simplifyStat(expr);
    default:
      return expr;
  }
}

// The canonical form of each node is kept (trees are immutable): a derivative shares the
// subtrees of its expression, and each is simplified once.
const simplified = new WeakMap<Expr, Expr>();

/** The canonical form of an expression. */
export function simplify(expr: Expr): Expr {
  let result = simplified.get(expr);
  if (result === undefined) {
    result = simplifyTree(expr);
    simplified.set(expr, result);
  }
  return result;
}

function simplifyTree(expr: Expr): Expr {
  switch (expr.kind) {
    case "pow":
      return simplifyNode(pow(simplify(expr.base), expr.exponent));
    case "call":
      return simplifyNode(call(expr.op, ...expr.args.map(simplify)));
    case "stat":
      return simplifyNode({ ...expr, arg: simplify(expr.arg) });
    default:
      return expr.kind === "const" && Object.is(expr.value, -0) ? num(0) : expr;
  }
}

/** The canonical form of an activation: its expression simplified, unused parameters dropped. */
export function canonicalActivation(activation: Activation): Activation {
  const expr = simplify(activation.expr);
  const params: Record<string, ParamSpec> = Object.fromEntries(
    paramNamesOf(expr).map((name) => [name, activation.params[name] as ParamSpec]),
  );
  return { expr, params };
}
