/**
 * The limits every candidate of a search must keep, checked on its canonical tree (the form that
 * is evaluated, stored and printed): PySR's maxsize and maxdepth, the operators in use, PySR's
 * `constraints` (the largest size of each argument of an operator) and `nested_constraints` (how
 * many times an operator may appear inside another).
 *
 * The canonical form has no subtraction node and collects like terms and factors, so one node can
 * stand for several operators: `a - b` is `a + neg(b)`, `b + b` is `2 * b`, `a / 2` is
 * `0.5 * a` and `x * x` is `x^2`. A node is named after the first operator in use it can stand for
 * (`namesOf` lists them in order), and a node that stands for none of them breaks the limits.
 */
import type { Expr } from "../../expr/ast.js";
import { childrenOf } from "../../expr/ast.js";
import type { Primitive } from "./operator-names.js";
import type { BinaryPrimitive, UnaryPrimitive } from "./operators.js";
import { depthOf, sizeOf } from "./tree.js";

/** Outer operator → inner operator → how many times the inner may nest inside the outer. */
export type NestedConstraints = ReadonlyMap<Primitive, ReadonlyMap<Primitive, number>>;
/** Operator → the largest size of each argument (one for unary, two for binary; −1: no limit). */
export type ArgumentConstraints = ReadonlyMap<Primitive, readonly number[]>;

export interface Limits {
  /** Largest complexity (node count) of a candidate. */
  readonly maxSize: number;
  readonly maxDepth: number;
  readonly unary: readonly UnaryPrimitive[];
  readonly binary: readonly BinaryPrimitive[];
  /** PySR's nested_constraints: how many times an operator may nest inside another. */
  readonly nested: NestedConstraints;
  /** PySR's constraints: the largest size of each argument of an operator (−1: no limit). */
  readonly argumentSizes: ArgumentConstraints;
}

/** The operators a canonical node can stand for, the most direct first; [] for a leaf. */
export function namesOf(node: Expr): Primitive[] {
  switch (node.kind) {
    case "pow":
      if (node.exponent === 2) return ["square", "mul"];
      if (node.exponent === 3) return ["cube", "mul"];
      return ["mul", "square", "cube"];
    case "call":
      switch (node.op) {
        case "add":
          return ["add", "sub"];
        case "neg":
          return ["neg", "sub", "mul"];
        case "mul":
          // a constant coefficient: b + b is 2 * b, a / 2 is 0.5 * a; a product of two
          // non-constants needs `*` itself
          return node.args.some((arg) => arg.kind === "const")
            ? ["mul", "div", "add", "sub"]
            : ["mul"];
        case "surrogate":
        case "stopgrad":
        case "where":
          return [];
        default:
          return [node.op];
      }
    default:
      return [];
  }
}

const isOperatorNode = (node: Expr): boolean => node.kind === "call" || node.kind === "pow";

/** The operator in use that `node` stands for; undefined when none (or for a leaf). */
export function nameInUse(node: Expr, inUse: ReadonlySet<Primitive>): Primitive | undefined {
  return namesOf(node).find((name) => inUse.has(name));
}

/**
 * Most nodes named `inner` on one path from `node` down to a leaf, `node` itself not counted
 * (SymbolicRegression.jl's count_max_nestedness).
 */
function nestedness(node: Expr, inner: Primitive, inUse: ReadonlySet<Primitive>): number {
  let deepest = 0;
  for (const child of childrenOf(node)) {
    const own = nameInUse(child, inUse) === inner ? 1 : 0;
    deepest = Math.max(deepest, own + nestedness(child, inner, inUse));
  }
  return deepest;
}

/** Whether every node of `expr` keeps the operator, nesting and argument-size limits. */
function nodesKeep(expr: Expr, limits: Limits, inUse: ReadonlySet<Primitive>): boolean {
  if (isOperatorNode(expr)) {
    const name = nameInUse(expr, inUse);
    if (name === undefined) return false;
    const sizes = limits.argumentSizes.get(name);
    if (sizes !== undefined) {
      const children = childrenOf(expr);
      if (children.some((child, i) => (sizes[i] ?? -1) >= 0 && sizeOf(child) > (sizes[i] ?? -1)))
        return false;
    }
    const nested = limits.nested.get(name);
    if (nested !== undefined) {
      for (const [inner, most] of nested) if (nestedness(expr, inner, inUse) > most) return false;
    }
  }
  return childrenOf(expr).every((child) => nodesKeep(child, limits, inUse));
}

/** A checker for a search's limits (the set of operators in use built once). */
export function limitsChecker(limits: Limits): (expr: Expr) => boolean {
  const inUse = new Set<Primitive>([...limits.unary, ...limits.binary]);
  return (expr) =>
    sizeOf(expr) <= limits.maxSize &&
    depthOf(expr) <= limits.maxDepth &&
    nodesKeep(expr, limits, inUse);
}
