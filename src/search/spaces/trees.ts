/**
 * Free expression trees with learnable constants, searched by genetic programming (Koza 1992,
 * "Genetic Programming"; as in the GP symbolic-regression route to activations, "Neuro-Symbolic
 * Activation Discovery"): ramped half-and-half sampling, subtree mutation, point mutation,
 * constant perturbation and subtree crossover, all within a depth and a size bound.
 *
 * Leaves are x, literal constants and learnable scalar constants (`c1`, `c2`, …, initialised to
 * the drawn value). Functions are the pointwise operations of the expression language in their
 * safe forms (log|·|, √ clamped, division with a clamped denominator); `step`, `sign`,
 * `stopgrad` and `surrogate` are left out (zero gradient by construction).
 */
import type { Rng } from "../../data/rng.js";
import type { Activation, BinaryOp } from "../../expr/ast.js";
import type { SearchSpace } from "../types.js";
import type { PrimitiveSet, TreeBounds, UnaryPrimitive } from "./tree-ops.js";
import {
  constantPerturbation,
  describeActivation,
  ParamTable,
  pointMutation,
  rampedTree,
  renumberParams,
  roundSignificant,
  subtreeCrossover,
  subtreeMutation,
  treeDepth,
  treeSize,
  weightedIndex,
} from "./tree-ops.js";

const TREE_UNARY_OPS = [
  "neg",
  "abs",
  "exp",
  "log",
  "sqrt",
  "sin",
  "cos",
  "tanh",
  "atan",
  "asinh",
  "sigmoid",
  "erf",
  "softplus",
  "relu",
  "gaussian",
  "sinc",
] as const;

export const TREE_UNARY: readonly UnaryPrimitive[] = [
  ...TREE_UNARY_OPS.map((op) => ({ kind: "call", op }) as const),
  { kind: "pow", exponent: 2 },
  { kind: "pow", exponent: 3 },
];
export const TREE_BINARY: readonly BinaryOp[] = ["add", "mul", "div", "max", "min"];

/** A magnitude in [0.1, 2] with a random sign, to 2 significant digits (short, readable text). */
function signedMagnitude(rng: Rng): number {
  const sign = rng.uniform() < 0.5 ? -1 : 1;
  return sign * roundSignificant(rng.uniformIn(0.1, 2), 2);
}

export const TREE_PRIMITIVES: PrimitiveSet = {
  unary: TREE_UNARY,
  binary: TREE_BINARY,
  leafWeights: { input: 0.6, constant: 0.2, param: 0.2 },
  binaryFraction: 0.5,
  leafProbability: 0.3,
  constant: signedMagnitude,
  paramSpec: (rng) => ({ init: signedMagnitude(rng), learnable: true, sharing: "scalar" }),
  paramPrefix: "c",
};

export interface TreeSpaceOptions {
  /** Longest root-to-leaf path, in nodes (default 5). */
  maxDepth?: number;
  /** Nodes in the tree (default 15). */
  maxSize?: number;
  primitives?: PrimitiveSet;
}

/** Weights of the three mutation operators: subtree, point, constant. */
const MUTATION_WEIGHTS = [0.4, 0.4, 0.2];
/** Operators retry (with fresh draws) until the child uses x and differs from its parent. */
const ATTEMPTS = 20;

export class TreeSpace implements SearchSpace {
  readonly name = "trees";
  readonly bounds: TreeBounds;
  readonly primitives: PrimitiveSet;

  constructor(options: TreeSpaceOptions = {}) {
    this.bounds = { maxDepth: options.maxDepth ?? 5, maxSize: options.maxSize ?? 15 };
    if (this.bounds.maxDepth < 2 || this.bounds.maxSize < 2)
      throw new RangeError("trees: maxDepth and maxSize must be at least 2");
    this.primitives = options.primitives ?? TREE_PRIMITIVES;
  }

  /** Within the depth and size bounds (the raw tree, before canonicalisation). */
  withinBounds(activation: Activation): boolean {
    return (
      treeDepth(activation.expr) <= this.bounds.maxDepth &&
      treeSize(activation.expr) <= this.bounds.maxSize
    );
  }

  sample(rng: Rng): Activation {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const table = new ParamTable();
      const expr = rampedTree(this.primitives, rng, table, this.bounds);
      const activation = renumberParams(expr, table.specs, this.primitives.paramPrefix);
      if (describeActivation(activation).usesInput) return activation;
    }
    // every draw came out constant (very unlikely): x itself is in the space
    return { expr: { kind: "input" }, params: {} };
  }

  mutate(parent: Activation, rng: Rng): Activation {
    const before = describeActivation(parent).hash;
    let fallback = parent;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const child = this.mutateOnce(parent, rng);
      const after = describeActivation(child);
      if (!after.usesInput || !this.withinBounds(child)) continue;
      if (after.hash !== before) return child;
      fallback = child;
    }
    return fallback;
  }

  private mutateOnce(parent: Activation, rng: Rng): Activation {
    switch (weightedIndex(rng, MUTATION_WEIGHTS)) {
      case 0:
        return subtreeMutation(parent, this.primitives, rng, this.bounds);
      case 1:
        return pointMutation(parent, this.primitives, rng);
      default:
        return constantPerturbation(parent, this.primitives, rng);
    }
  }

  crossover(a: Activation, b: Activation, rng: Rng): Activation {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const child = subtreeCrossover(a, b, this.primitives, rng, this.bounds);
      if (describeActivation(child).usesInput) return child;
    }
    return a;
  }
}
