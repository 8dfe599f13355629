/**
 * EvoNorm-style normalisation-activation layers (Liu et al. 2020, "Evolving
 * Normalization-Activation Layers"): tensor-to-tensor computation graphs over low-level
 * primitives — pointwise functions, binary operations and moments over an axis — evolved as one
 * layer that replaces "normalise, then activate" in small conv nets.
 *
 * A candidate is an expression of the language with at least one statistic of an x-dependent
 * argument (so never pointwise), followed by EvoNorm's per-channel affine map:
 *   y = G(x) · gamma + beta,   gamma = 1, beta = 0, one per channel (learnable).
 * The graph G is a tree over
 *   leaves   x, and per-channel learnable vectors v1, v2, … initialised to 1 or 0 (EvoNorm's v1 / v0)
 *   unary    −a, σ(a), tanh a, exp a, log|a|, √a, |a|, a², and the moments
 *            mean / var / std / rms of a over the feature, batch or instance axis
 *   binary   a + b, a · b, a / b (safe denominator), max(a, b)
 *
 * Axes, for inputs laid out [batch, ..., channels] (see src/expr/ast.ts): `batch` reduces every
 * axis but the last (per channel, BatchNorm's statistic), `instance` every axis but the first
 * (per sample over positions and channels, LayerNorm's), `feature` the channel axis. The language
 * has no group axis and no per-(sample, channel) moment over positions only, so EvoNorm-S0's
 * group variance and B0's instance variance are approximated by the `instance` axis.
 */
import type { Rng } from "../../data/rng.js";
import type { Activation, BinaryOp, Expr, ParamSpec, StatAxis, StatOp } from "../../expr/ast.js";
import { call, dependsOnInput, param, someNode } from "../../expr/ast.js";
import { parseActivation } from "../../expr/parse.js";
import { canonicalActivation } from "../../expr/simplify.js";
import { structuralHash } from "../../expr/hash.js";
import type { SearchSpace } from "../types.js";
import type { PrimitiveSet, TreeBounds, UnaryPrimitive } from "./tree-ops.js";
import {
  ParamTable,
  pointMutation,
  rampedTree,
  renumberParams,
  subtreeCrossover,
  subtreeMutation,
  treeDepth,
  treeSize,
  unaryOf,
  weightedIndex,
} from "./tree-ops.js";

const GRAPH_STAT_OPS: readonly StatOp[] = ["mean", "var", "std", "rms"];
const GRAPH_AXES: readonly StatAxis[] = ["batch", "instance", "feature"];

export const GRAPH_UNARY: readonly UnaryPrimitive[] = [
  ...(["neg", "sigmoid", "tanh", "exp", "log", "sqrt", "abs"] as const).map(
    (op) => ({ kind: "call", op }) as const,
  ),
  { kind: "pow", exponent: 2 },
  ...GRAPH_STAT_OPS.flatMap((op) =>
    GRAPH_AXES.map((axis) => ({ kind: "stat", op, axis }) as const),
  ),
];
export const GRAPH_BINARY: readonly BinaryOp[] = ["add", "mul", "div", "max"];

export const GRAPH_PRIMITIVES: PrimitiveSet = {
  unary: GRAPH_UNARY,
  binary: GRAPH_BINARY,
  leafWeights: { input: 0.7, constant: 0, param: 0.3 },
  binaryFraction: 0.5,
  leafProbability: 0.25,
  constant: () => 1,
  paramSpec: (rng) => ({ init: rng.uniform() < 0.5 ? 1 : 0, learnable: true, sharing: "channel" }),
  paramPrefix: "v",
};

/** The affine map's parameter names (kept as they are when the graph's are renumbered). */
export const AFFINE_PARAMS = ["gamma", "beta"] as const;
const AFFINE_SPECS: Record<(typeof AFFINE_PARAMS)[number], ParamSpec> = {
  gamma: { init: 1, learnable: true, sharing: "channel" },
  beta: { init: 0, learnable: true, sharing: "channel" },
};

/** EvoNorm-B0 in the language: x / max(√var_batch, v1·x + √var_instance). */
export const EVONORM_B0_GRAPH =
  "x / max(std(x, batch), v1 * x + std(x, instance)) where v1 = 1 per_channel";
/** EvoNorm-S0 with the group variance approximated by the instance axis. */
export const EVONORM_S0_GRAPH = "x * sigmoid(v1 * x) / std(x, instance) where v1 = 1 per_channel";

export interface GraphSpaceOptions {
  /** Depth bound of the graph G, in nodes (default 5; the affine map is not counted). */
  maxDepth?: number;
  /** Size bound of G (default 16). */
  maxSize?: number;
  /** Follow G with EvoNorm's per-channel γ·G + β (default true). */
  affine?: boolean;
}

const ATTEMPTS = 30;
const MUTATION_WEIGHTS = [0.5, 0.5];

/** After canonicalisation, the graph uses x and has a statistic of an x-dependent argument (a
 * moment of parameters alone is a per-channel constant, so the graph would be pointwise). */
export function isValidGraph(activation: Activation): boolean {
  const canonical = canonicalActivation(activation).expr;
  return (
    dependsOnInput(canonical) &&
    someNode(canonical, (node) => node.kind === "stat" && dependsOnInput(node.arg))
  );
}

export class GraphSpace implements SearchSpace {
  readonly name = "graphs";
  readonly bounds: TreeBounds;
  readonly affine: boolean;

  constructor(options: GraphSpaceOptions = {}) {
    this.bounds = { maxDepth: options.maxDepth ?? 5, maxSize: options.maxSize ?? 16 };
    if (this.bounds.maxDepth < 2 || this.bounds.maxSize < 2)
      throw new RangeError("graphs: maxDepth and maxSize must be at least 2");
    this.affine = options.affine ?? true;
  }

  /** G · gamma + beta (or G alone without the affine map). */
  wrap(graph: Activation): Activation {
    if (!this.affine) return graph;
    const expr = call("add", call("mul", graph.expr, param("gamma")), param("beta"));
    return { expr, params: { ...graph.params, ...AFFINE_SPECS } };
  }

  /** The graph G of a candidate of this space (the affine map taken off). */
  graphOf(activation: Activation): Activation {
    const e = activation.expr;
    if (
      this.affine &&
      e.kind === "call" &&
      e.op === "add" &&
      e.args[1]?.kind === "param" &&
      e.args[1].name === "beta" &&
      e.args[0]?.kind === "call" &&
      e.args[0].op === "mul" &&
      e.args[0].args[1]?.kind === "param" &&
      e.args[0].args[1].name === "gamma"
    ) {
      const graph = e.args[0].args[0] as Expr;
      const params = { ...activation.params };
      for (const name of AFFINE_PARAMS) delete params[name];
      return renumberParams(graph, params, GRAPH_PRIMITIVES.paramPrefix);
    }
    return renumberParams(activation.expr, activation.params, GRAPH_PRIMITIVES.paramPrefix);
  }

  /** Whether a graph is in the space: its primitives and bounds, at least one live statistic. */
  containsGraph(graph: Activation): boolean {
    const allowed = (node: Expr): boolean => {
      if (node.kind === "input" || node.kind === "param") return true;
      const unary = unaryOf(node);
      if (unary) return GRAPH_UNARY.some((p) => JSON.stringify(p) === JSON.stringify(unary));
      return node.kind === "call" && (GRAPH_BINARY as readonly string[]).includes(node.op);
    };
    return (
      !someNode(graph.expr, (node) => !allowed(node)) &&
      treeDepth(graph.expr) <= this.bounds.maxDepth &&
      treeSize(graph.expr) <= this.bounds.maxSize &&
      isValidGraph(graph)
    );
  }

  /** A known graph (e.g. EVONORM_B0_GRAPH) as a candidate of this space. */
  fromGraphText(text: string): Activation {
    return this.wrap(parseActivation(text));
  }

  sample(rng: Rng): Activation {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const table = new ParamTable();
      const expr = rampedTree(GRAPH_PRIMITIVES, rng, table, this.bounds);
      const graph = renumberParams(expr, table.specs, GRAPH_PRIMITIVES.paramPrefix);
      if (isValidGraph(graph)) return this.wrap(graph);
    }
    // EvoNorm-B0 is always in the space
    return this.fromGraphText(EVONORM_B0_GRAPH);
  }

  mutate(parent: Activation, rng: Rng): Activation {
    const graph = this.graphOf(parent);
    const before = structuralHash(graph);
    let fallback = graph;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const child =
        weightedIndex(rng, MUTATION_WEIGHTS) === 0
          ? subtreeMutation(graph, GRAPH_PRIMITIVES, rng, this.bounds)
          : pointMutation(graph, GRAPH_PRIMITIVES, rng);
      if (!isValidGraph(child)) continue;
      if (structuralHash(child) !== before) return this.wrap(child);
      fallback = child;
    }
    return this.wrap(fallback);
  }

  crossover(a: Activation, b: Activation, rng: Rng): Activation {
    const graphA = this.graphOf(a);
    const graphB = this.graphOf(b);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const child = subtreeCrossover(graphA, graphB, GRAPH_PRIMITIVES, rng, this.bounds);
      if (isValidGraph(child)) return this.wrap(child);
    }
    return this.wrap(graphA);
  }
}
