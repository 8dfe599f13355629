/**
 * Genetic-programming operators on expression trees (Koza 1992, "Genetic Programming"): random
 * trees (grow with size and depth budgets), subtree mutation, point mutation, constant
 * perturbation and subtree crossover. The free-tree space and the EvoNorm graph space are both
 * these operators over their own primitive sets; the core-unit space uses them for parents it did
 * not make itself.
 *
 * Bounds: depth counts nodes on the longest root-to-leaf path (a leaf has depth 1), size counts
 * every node. Every operator keeps the result within `maxDepth` and `maxSize` when its inputs are.
 */
import type { Rng } from "../../data/rng.js";
import type {
  Activation,
  BinaryOp,
  CallOp,
  Expr,
  ParamSpec,
  StatAxis,
  StatOp,
} from "../../expr/ast.js";
import {
  arityOf,
  call,
  childrenOf,
  dependsOnInput,
  num,
  paramNamesOf,
  pow,
  stat,
  X,
} from "../../expr/ast.js";
import { fnv1a64 } from "../../expr/hash.js";
import { printActivation } from "../../expr/print.js";
import { canonicalActivation } from "../../expr/simplify.js";

/** A function of one argument: a pointwise call, an integer power or a statistic. */
export type UnaryPrimitive =
  | { readonly kind: "call"; readonly op: CallOp }
  | { readonly kind: "pow"; readonly exponent: number }
  | { readonly kind: "stat"; readonly op: StatOp; readonly axis: StatAxis };

/** What random trees are built from, and how leaves are drawn. */
export interface PrimitiveSet {
  readonly unary: readonly UnaryPrimitive[];
  readonly binary: readonly BinaryOp[];
  /** Relative weights of the three kinds of leaf. */
  readonly leafWeights: {
    readonly input: number;
    readonly constant: number;
    readonly param: number;
  };
  /** Probability that an inner position (depth and size allowing) holds a binary function
   * rather than a unary one. */
  readonly binaryFraction: number;
  /** Probability of stopping at a leaf before the depth budget is spent ("grow" trees). */
  readonly leafProbability: number;
  /** A literal constant. */
  constant(rng: Rng): number;
  /** A learnable constant's declaration. */
  paramSpec(rng: Rng): ParamSpec;
  /** Learnable constants are named `<prefix>1`, `<prefix>2`, … in order of first appearance. */
  readonly paramPrefix: string;
}

export interface TreeBounds {
  readonly maxDepth: number;
  readonly maxSize: number;
}

export type Path = readonly number[];

export interface Located {
  readonly path: Path;
  readonly node: Expr;
  /** 1 at the root. */
  readonly level: number;
}

export const pick = <T>(rng: Rng, items: readonly T[]): T => {
  if (items.length === 0) throw new RangeError("pick: no items to choose from");
  return items[rng.integerBelow(items.length)] as T;
};

/** An index drawn with probability proportional to its weight. */
export function weightedIndex(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((sum, w) => sum + w, 0);
  let u = rng.uniform() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] as number;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/** Rounds to `digits` significant digits, so printed constants stay short. */
export function roundSignificant(value: number, digits = 3): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  return Number(value.toPrecision(digits));
}

export function treeDepth(expr: Expr): number {
  return 1 + Math.max(0, ...childrenOf(expr).map(treeDepth));
}

export function treeSize(expr: Expr): number {
  return 1 + childrenOf(expr).reduce((sum, child) => sum + treeSize(child), 0);
}

/** Every node with its path, in pre-order. */
export function locateAll(expr: Expr): Located[] {
  const out: Located[] = [];
  const visit = (node: Expr, path: number[], level: number): void => {
    out.push({ path, node, level });
    childrenOf(node).forEach((child, i) => visit(child, [...path, i], level + 1));
  };
  visit(expr, [], 1);
  return out;
}

/** The same node with new children (in childrenOf order). */
export function withChildren(expr: Expr, children: readonly Expr[]): Expr {
  switch (expr.kind) {
    case "call":
      return call(expr.op, ...children);
    case "pow":
      return pow(children[0] as Expr, expr.exponent);
    case "stat":
      return stat(expr.op, children[0] as Expr, expr.axis);
    default:
      return expr;
  }
}

export function replaceAt(expr: Expr, path: Path, replacement: Expr): Expr {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [number, ...number[]];
  const children = childrenOf(expr).map((child, i) =>
    i === head ? replaceAt(child, rest, replacement) : child,
  );
  return withChildren(expr, children);
}

export function applyUnary(primitive: UnaryPrimitive, arg: Expr): Expr {
  switch (primitive.kind) {
    case "call":
      return call(primitive.op, arg);
    case "pow":
      return pow(arg, primitive.exponent);
    case "stat":
      return stat(primitive.op, arg, primitive.axis);
  }
}

/** The unary primitive a node is, if it is one. */
export function unaryOf(node: Expr): UnaryPrimitive | undefined {
  if (node.kind === "pow") return { kind: "pow", exponent: node.exponent };
  if (node.kind === "stat") return { kind: "stat", op: node.op, axis: node.axis };
  if (node.kind === "call" && arityOf(node.op) === 1) return { kind: "call", op: node.op };
  return undefined;
}

const sameUnary = (a: UnaryPrimitive, b: UnaryPrimitive): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

/**
 * Collects parameter declarations while a tree is built: each new learnable constant gets a
 * temporary unique name; `finish` renames them in order of first appearance.
 */
export class ParamTable {
  private counter = 0;
  readonly specs: Record<string, ParamSpec>;

  constructor(initial: Readonly<Record<string, ParamSpec>> = {}) {
    // a copy by spread, so a parameter named __proto__ stays an own entry
    this.specs = { ...initial };
  }

  fresh(spec: ParamSpec): Expr {
    const name = `tmp${this.counter++}_`;
    this.specs[name] = spec;
    return { kind: "param", name };
  }

  /** Imports a subtree from another activation under fresh names (so names never clash). */
  adopt(subtree: Expr, from: Readonly<Record<string, ParamSpec>>): Expr {
    const renamed = new Map<string, string>();
    for (const name of paramNamesOf(subtree)) {
      const spec = from[name];
      if (!spec) throw new Error(`no declaration for parameter '${name}'`);
      const fresh = this.fresh(spec);
      renamed.set(name, (fresh as { name: string }).name);
    }
    return renameParams(subtree, (name) => renamed.get(name) ?? name);
  }
}

export function renameParams(expr: Expr, rename: (name: string) => string): Expr {
  if (expr.kind === "param") return { kind: "param", name: rename(expr.name) };
  const children = childrenOf(expr);
  return children.length === 0
    ? expr
    : withChildren(
        expr,
        children.map((child) => renameParams(child, rename)),
      );
}

/**
 * The activation with its parameters renamed `<prefix>1, <prefix>2, …` in order of first
 * appearance (names in `keep` stay), declarations carried over, unused ones dropped.
 */
export function renumberParams(
  expr: Expr,
  specs: Readonly<Record<string, ParamSpec>>,
  prefix: string,
  keep: readonly string[] = [],
): Activation {
  const mapping = new Map<string, string>();
  let next = 1;
  for (const name of paramNamesOf(expr)) {
    if (keep.includes(name)) mapping.set(name, name);
    else mapping.set(name, `${prefix}${next++}`);
  }
  const renamed = renameParams(expr, (name) => mapping.get(name) ?? name);
  const params: Record<string, ParamSpec> = {};
  for (const [old, fresh] of mapping) {
    const spec = specs[old];
    if (!spec) throw new Error(`no declaration for parameter '${old}'`);
    params[fresh] = spec;
  }
  return { expr: renamed, params };
}

/** A random leaf. */
export function randomLeaf(set: PrimitiveSet, rng: Rng, table: ParamTable): Expr {
  const w = set.leafWeights;
  switch (weightedIndex(rng, [w.input, w.constant, w.param])) {
    case 0:
      return X;
    case 1:
      return num(set.constant(rng));
    default:
      return table.fresh(set.paramSpec(rng));
  }
}

/**
 * A random tree within a depth and a size budget: "grow" stops early at a leaf with
 * `leafProbability`, "full" only at the depth limit (Koza's ramped half-and-half mixes both).
 */
export function randomTree(
  set: PrimitiveSet,
  rng: Rng,
  table: ParamTable,
  bounds: TreeBounds,
  method: "grow" | "full" = "grow",
): Expr {
  const build = (depthLeft: number, sizeLeft: number): Expr => {
    const canUnary = set.unary.length > 0 && sizeLeft >= 2 && depthLeft >= 2;
    const canBinary = set.binary.length > 0 && sizeLeft >= 3 && depthLeft >= 2;
    if (!canUnary && !canBinary) return randomLeaf(set, rng, table);
    if (method === "grow" && rng.uniform() < set.leafProbability)
      return randomLeaf(set, rng, table);
    if (canBinary && (!canUnary || rng.uniform() < set.binaryFraction)) {
      const left = build(depthLeft - 1, sizeLeft - 2);
      const right = build(depthLeft - 1, sizeLeft - 1 - treeSize(left));
      return call(pick(rng, set.binary), left, right);
    }
    return applyUnary(pick(rng, set.unary), build(depthLeft - 1, sizeLeft - 1));
  };
  return build(bounds.maxDepth, bounds.maxSize);
}

/** Koza's ramped half-and-half: depth limit uniform in [2, maxDepth], grow or full at random. */
export function rampedTree(
  set: PrimitiveSet,
  rng: Rng,
  table: ParamTable,
  bounds: TreeBounds,
): Expr {
  const depth = 2 + rng.integerBelow(Math.max(1, bounds.maxDepth - 1));
  const method = rng.uniform() < 0.5 ? "grow" : "full";
  return randomTree(set, rng, table, { maxDepth: depth, maxSize: bounds.maxSize }, method);
}

/** Replaces a random node by a new random subtree that fits the bounds. */
export function subtreeMutation(
  parent: Activation,
  set: PrimitiveSet,
  rng: Rng,
  bounds: TreeBounds,
): Activation {
  const table = new ParamTable(parent.params);
  const target = pick(rng, locateAll(parent.expr));
  const depthBudget = bounds.maxDepth - target.level + 1;
  const sizeBudget = bounds.maxSize - treeSize(parent.expr) + treeSize(target.node);
  const subtree = randomTree(set, rng, table, {
    maxDepth: 1 + rng.integerBelow(Math.max(1, depthBudget)),
    maxSize: Math.max(1, sizeBudget),
  });
  return renumberParams(replaceAt(parent.expr, target.path, subtree), table.specs, set.paramPrefix);
}

/**
 * Changes one node in place: a leaf becomes another leaf, a unary function another unary
 * primitive, a binary function another binary operation (shape, so depth and size, unchanged).
 * A node the set has no alternative for (e.g. `where`) is replaced by a random leaf.
 */
export function pointMutation(parent: Activation, set: PrimitiveSet, rng: Rng): Activation {
  const table = new ParamTable(parent.params);
  const target = pick(rng, locateAll(parent.expr));
  const node = target.node;
  let replacement: Expr;
  const unary = unaryOf(node);
  if (childrenOf(node).length === 0) {
    replacement = randomLeaf(set, rng, table);
  } else if (unary) {
    const others = set.unary.filter((candidate) => !sameUnary(candidate, unary));
    replacement =
      others.length > 0
        ? applyUnary(pick(rng, others), childrenOf(node)[0] as Expr)
        : randomLeaf(set, rng, table);
  } else if (node.kind === "call" && node.args.length === 2) {
    const others = set.binary.filter((op) => op !== node.op);
    replacement =
      others.length > 0 ? call(pick(rng, others), ...node.args) : randomLeaf(set, rng, table);
  } else {
    replacement = randomLeaf(set, rng, table);
  }
  return renumberParams(
    replaceAt(parent.expr, target.path, replacement),
    table.specs,
    set.paramPrefix,
  );
}

/**
 * Perturbs one constant: a literal or a learnable constant's initial value is multiplied by
 * exp(0.3·N(0,1)) and, with probability 1/4, its sign flipped (a log-normal step keeps the scale).
 * Without constants it falls back to a point mutation.
 */
export function constantPerturbation(parent: Activation, set: PrimitiveSet, rng: Rng): Activation {
  const sites = locateAll(parent.expr).filter(
    (site) => site.node.kind === "const" || site.node.kind === "param",
  );
  if (sites.length === 0) return pointMutation(parent, set, rng);
  const site = pick(rng, sites);
  const step = (value: number): number => {
    const base = value === 0 ? 0.1 : value;
    const sign = rng.uniform() < 0.25 ? -1 : 1;
    return roundSignificant(sign * base * Math.exp(0.3 * rng.normal()), 4);
  };
  const node = site.node;
  if (node.kind === "const")
    return {
      expr: replaceAt(parent.expr, site.path, num(step(node.value))),
      params: parent.params,
    };
  if (node.kind !== "param") return parent;
  const name = node.name;
  const spec = parent.params[name] as ParamSpec;
  return {
    expr: parent.expr,
    params: { ...parent.params, [name]: { ...spec, init: step(spec.init) } },
  };
}

/**
 * Subtree crossover: a random node of `a` is replaced by a random subtree of `b` chosen among
 * those that keep the child within the bounds (the root of `b` always fits when `a`'s root is
 * picked and `b` is within the bounds).
 */
export function subtreeCrossover(
  a: Activation,
  b: Activation,
  set: PrimitiveSet,
  rng: Rng,
  bounds: TreeBounds,
): Activation {
  const target = pick(rng, locateAll(a.expr));
  const sizeBudget = bounds.maxSize - treeSize(a.expr) + treeSize(target.node);
  const depthBudget = bounds.maxDepth - target.level + 1;
  const donors = locateAll(b.expr).filter(
    (site) => treeSize(site.node) <= sizeBudget && treeDepth(site.node) <= depthBudget,
  );
  if (donors.length === 0) return a;
  const donor = pick(rng, donors);
  const table = new ParamTable(a.params);
  const graft = table.adopt(donor.node, b.params);
  return renumberParams(replaceAt(a.expr, target.path, graft), table.specs, set.paramPrefix);
}

/** Canonical hash (as structuralHash) and input dependence, for operators that retry until
 * they change something. */
export function describeActivation(activation: Activation): { hash: string; usesInput: boolean } {
  const canonical = canonicalActivation(activation);
  return { hash: fnv1a64(printActivation(canonical)), usesInput: dependsOnInput(canonical.expr) };
}
