/**
 * The genetic operators of the search, after PySR (Cranmer 2023, "Interpretable machine learning
 * for science with PySR and SymbolicRegression.jl", §2): random trees grown by appending
 * operators at leaves, and mutations that change a constant, an operator or a variable, swap
 * operands, append / insert / delete a node, or start afresh; crossover swaps subtrees.
 */
import type { BinaryOp, Expr, UnaryOp } from "../../expr/ast.js";
import { call, num, pow } from "../../expr/ast.js";
import type { Rng } from "../../data/rng.js";
import { nodesOf, replaceAt, sizeOf } from "./tree.js";

/** Unary primitives: any pointwise function of the language, plus the powers 2 and 3. */
export type UnaryPrimitive = Exclude<UnaryOp, "stopgrad"> | "square" | "cube";
/** Binary primitives: `sub` is written a + (−b), as the language has no subtraction node. */
export type BinaryPrimitive = Exclude<BinaryOp, "surrogate"> | "sub";

export const DEFAULT_UNARY: readonly UnaryPrimitive[] = [
  "neg",
  "square",
  "cube",
  "exp",
  "log",
  "sqrt",
  "sin",
  "cos",
  "tanh",
  "abs",
];
export const DEFAULT_BINARY: readonly BinaryPrimitive[] = ["add", "sub", "mul", "div"];

export interface Primitives {
  readonly variables: readonly string[];
  readonly unary: readonly UnaryPrimitive[];
  readonly binary: readonly BinaryPrimitive[];
  /** Probability that a new leaf is a constant rather than a variable. */
  readonly constantProbability: number;
}

export function makeUnary(op: UnaryPrimitive, arg: Expr): Expr {
  if (op === "square") return pow(arg, 2);
  if (op === "cube") return pow(arg, 3);
  return call(op, arg);
}

export function makeBinary(op: BinaryPrimitive, a: Expr, b: Expr): Expr {
  return op === "sub" ? call("add", a, call("neg", b)) : call(op, a, b);
}

const pick = <T>(items: readonly T[], rng: Rng): T => items[rng.integerBelow(items.length)] as T;

export function randomConstant(rng: Rng): number {
  return rng.normal();
}

export function randomLeaf(primitives: Primitives, rng: Rng): Expr {
  if (primitives.variables.length === 0 || rng.uniform() < primitives.constantProbability)
    return num(randomConstant(rng));
  return { kind: "param", name: pick(primitives.variables, rng) };
}

/** Share of new operators that are unary (when both kinds are allowed). */
const UNARY_SHARE = 0.35;

function chooseUnary(primitives: Primitives, rng: Rng): boolean {
  if (primitives.unary.length === 0) return false;
  return primitives.binary.length === 0 || rng.uniform() < UNARY_SHARE;
}

/** A new operator node whose operands are fresh leaves (PySR's append_random_op). */
function randomOperator(primitives: Primitives, rng: Rng): Expr {
  if (chooseUnary(primitives, rng)) {
    return makeUnary(pick(primitives.unary, rng), randomLeaf(primitives, rng));
  }
  return makeBinary(
    pick(primitives.binary, rng),
    randomLeaf(primitives, rng),
    randomLeaf(primitives, rng),
  );
}

const isLeaf = (node: Expr): boolean => node.kind === "const" || node.kind === "param";
const isOperator = (node: Expr): boolean => node.kind === "call" || node.kind === "pow";

/** Indices (pre-order) of the nodes that satisfy `predicate`. */
function indicesWhere(expr: Expr, predicate: (node: Expr) => boolean): number[] {
  const indices: number[] = [];
  nodesOf(expr).forEach((node, i) => {
    if (predicate(node)) indices.push(i);
  });
  return indices;
}

/** A tree of about `size` nodes, grown by appending operators at random leaves. */
export function randomTree(size: number, primitives: Primitives, rng: Rng): Expr {
  let tree = randomLeaf(primitives, rng);
  while (sizeOf(tree) < size) tree = appendNode(tree, primitives, rng);
  return tree;
}

export function appendNode(expr: Expr, primitives: Primitives, rng: Rng): Expr {
  const leaves = indicesWhere(expr, isLeaf);
  return replaceAt(expr, pick(leaves, rng), randomOperator(primitives, rng));
}

/** Wraps a random subtree in a new operator (the other operand, if any, a fresh leaf). */
export function insertNode(expr: Expr, primitives: Primitives, rng: Rng): Expr {
  const index = rng.integerBelow(sizeOf(expr));
  const subtree = nodesOf(expr)[index] as Expr;
  let wrapped: Expr;
  if (chooseUnary(primitives, rng)) {
    wrapped = makeUnary(pick(primitives.unary, rng), subtree);
  } else {
    const op = pick(primitives.binary, rng);
    const leaf = randomLeaf(primitives, rng);
    wrapped = rng.uniform() < 0.5 ? makeBinary(op, subtree, leaf) : makeBinary(op, leaf, subtree);
  }
  return replaceAt(expr, index, wrapped);
}

/** Replaces a random operator by one of its operands (a lone leaf by a fresh leaf). */
export function deleteNode(expr: Expr, primitives: Primitives, rng: Rng): Expr {
  const operators = indicesWhere(expr, isOperator);
  if (operators.length === 0) return randomLeaf(primitives, rng);
  const index = pick(operators, rng);
  const node = nodesOf(expr)[index] as Expr;
  const operands = node.kind === "call" ? node.args : node.kind === "pow" ? [node.base] : [];
  return replaceAt(expr, index, pick(operands, rng));
}

/** Multiplies one constant by e^(N(0,1)/2), occasionally flipping its sign. */
export function mutateConstant(expr: Expr, rng: Rng): Expr | undefined {
  const constants = indicesWhere(expr, (node) => node.kind === "const");
  if (constants.length === 0) return undefined;
  const index = pick(constants, rng);
  const value = (nodesOf(expr)[index] as { value: number }).value;
  let next = Math.abs(value) < 1e-12 ? randomConstant(rng) : value * Math.exp(rng.normal() / 2);
  if (rng.uniform() < 0.1) next = -next;
  return replaceAt(expr, index, num(next));
}

/** Replaces an operator by another of the same arity, keeping its operands. */
export function mutateOperator(expr: Expr, primitives: Primitives, rng: Rng): Expr | undefined {
  const operators = indicesWhere(expr, isOperator);
  if (operators.length === 0) return undefined;
  const index = pick(operators, rng);
  const node = nodesOf(expr)[index] as Expr;
  if (node.kind === "pow") {
    if (primitives.unary.length === 0) return undefined;
    return replaceAt(expr, index, makeUnary(pick(primitives.unary, rng), node.base));
  }
  if (node.kind !== "call") return undefined;
  if (node.args.length === 1) {
    if (primitives.unary.length === 0) return undefined;
    return replaceAt(expr, index, makeUnary(pick(primitives.unary, rng), node.args[0] as Expr));
  }
  if (node.args.length === 2 && primitives.binary.length > 0) {
    const [a, b] = node.args as [Expr, Expr];
    return replaceAt(expr, index, makeBinary(pick(primitives.binary, rng), a, b));
  }
  return undefined;
}

/** Replaces a leaf by a fresh leaf (another variable or a new constant). */
export function mutateLeaf(expr: Expr, primitives: Primitives, rng: Rng): Expr {
  const leaves = indicesWhere(expr, isLeaf);
  return replaceAt(expr, pick(leaves, rng), randomLeaf(primitives, rng));
}

/** Swaps the operands of a binary node. */
export function swapOperands(expr: Expr, rng: Rng): Expr | undefined {
  const binaries = indicesWhere(expr, (node) => node.kind === "call" && node.args.length === 2);
  if (binaries.length === 0) return undefined;
  const index = pick(binaries, rng);
  const node = nodesOf(expr)[index] as Extract<Expr, { kind: "call" }>;
  const [a, b] = node.args as [Expr, Expr];
  return replaceAt(expr, index, call(node.op, b, a));
}

/** `a` with a random subtree replaced by a random subtree of `b`. */
export function crossover(a: Expr, b: Expr, rng: Rng): Expr {
  const donor = nodesOf(b)[rng.integerBelow(sizeOf(b))] as Expr;
  return replaceAt(a, rng.integerBelow(sizeOf(a)), donor);
}

/** Relative weights of the mutations (PySR's defaults, reweighted for a search without annealing). */
export const MUTATION_WEIGHTS = {
  constant: 0.5,
  operator: 0.47,
  leaf: 0.3,
  swap: 0.1,
  append: 0.79,
  insert: 1.5,
  delete: 1.2,
  randomize: 0.02,
} as const;

type Mutation = keyof typeof MUTATION_WEIGHTS;
const MUTATIONS = Object.keys(MUTATION_WEIGHTS) as Mutation[];
const TOTAL_WEIGHT = MUTATIONS.reduce((sum, m) => sum + MUTATION_WEIGHTS[m], 0);

/** One random mutation of `expr` (a different one is drawn when the first does not apply). */
export function mutate(expr: Expr, primitives: Primitives, rng: Rng, maxInitialSize: number): Expr {
  for (;;) {
    let u = rng.uniform() * TOTAL_WEIGHT;
    let mutation: Mutation = "constant";
    for (const m of MUTATIONS) {
      u -= MUTATION_WEIGHTS[m];
      if (u < 0) {
        mutation = m;
        break;
      }
    }
    let child: Expr | undefined;
    switch (mutation) {
      case "constant":
        child = mutateConstant(expr, rng);
        break;
      case "operator":
        child = mutateOperator(expr, primitives, rng);
        break;
      case "leaf":
        child = mutateLeaf(expr, primitives, rng);
        break;
      case "swap":
        child = swapOperands(expr, rng);
        break;
      case "append":
        child = appendNode(expr, primitives, rng);
        break;
      case "insert":
        child = insertNode(expr, primitives, rng);
        break;
      case "delete":
        child = deleteNode(expr, primitives, rng);
        break;
      case "randomize":
        child = randomTree(1 + rng.integerBelow(maxInitialSize), primitives, rng);
        break;
    }
    if (child !== undefined) return child;
  }
}
