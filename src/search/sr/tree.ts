/**
 * Pre-order addressing of expression trees for the genetic operators: node i is the i-th node met
 * in a depth-first, left-to-right walk. Trees are immutable; a replacement rebuilds the path.
 */
import type { Expr } from "../../expr/ast.js";
import { childrenOf } from "../../expr/ast.js";

/** Complexity: the number of nodes (every constant, variable, call and power counts one). */
export function sizeOf(expr: Expr): number {
  let total = 1;
  for (const child of childrenOf(expr)) total += sizeOf(child);
  return total;
}

/** Depth: 1 for a leaf. */
export function depthOf(expr: Expr): number {
  let deepest = 0;
  for (const child of childrenOf(expr)) deepest = Math.max(deepest, depthOf(child));
  return deepest + 1;
}

/** Every node in pre-order (index i of the array is node i). */
export function nodesOf(expr: Expr): Expr[] {
  const nodes: Expr[] = [];
  const walk = (node: Expr): void => {
    nodes.push(node);
    for (const child of childrenOf(node)) walk(child);
  };
  walk(expr);
  return nodes;
}

function withChildren(expr: Expr, children: readonly Expr[]): Expr {
  switch (expr.kind) {
    case "call":
      return { kind: "call", op: expr.op, args: children };
    case "pow":
      return { kind: "pow", base: children[0] as Expr, exponent: expr.exponent };
    case "stat":
      return { kind: "stat", op: expr.op, axis: expr.axis, arg: children[0] as Expr };
    default:
      return expr;
  }
}

/** `expr` with node `index` (pre-order) replaced by `replacement`. */
export function replaceAt(expr: Expr, index: number, replacement: Expr): Expr {
  let cursor = 0;
  const visit = (node: Expr): Expr => {
    if (cursor === index) {
      cursor += sizeOf(node);
      return replacement;
    }
    cursor++;
    const children = childrenOf(node);
    if (children.length === 0) return node;
    let changed = false;
    const next = children.map((child) => {
      const start = cursor;
      const size = sizeOf(child);
      if (index < start || index >= start + size) {
        cursor += size;
        return child;
      }
      changed = true;
      return visit(child);
    });
    return changed ? withChildren(node, next) : node;
  };
  return visit(expr);
}

/** The values of the constants, in pre-order. */
export function constantsOf(expr: Expr): number[] {
  const values: number[] = [];
  for (const node of nodesOf(expr)) if (node.kind === "const") values.push(node.value);
  return values;
}

/** `expr` with its constants replaced, in pre-order, by `values`. */
export function withConstants(expr: Expr, values: ArrayLike<number>): Expr {
  let next = 0;
  const visit = (node: Expr): Expr => {
    if (node.kind === "const") return { kind: "const", value: values[next++] as number };
    const children = childrenOf(node);
    return children.length === 0 ? node : withChildren(node, children.map(visit));
  };
  return visit(expr);
}
