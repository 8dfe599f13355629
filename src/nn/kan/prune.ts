/**
 * Pruning of a KAN built only from B-spline layers, by pykan's attribution scores: with
 * e_ij the spread (std over the data) of edge i→j and s_j that of node j's sum, the score of an
 * output node is 1, an edge scores e_ij·score_j/(s_j + 1e-4), and a node scores the sum of its
 * outgoing edges. Hidden nodes scoring ≤ node_threshold are removed; then edges scoring ≤
 * edge_threshold are masked (pykan's prune(): node 1e-2, edge 3e-2).
 */
import { numpy as np } from "@jax-js/jax";
import { arrayFrom } from "../../engine/dtype.js";
import { takeValues } from "../../engine/ownership.js";
import type { LayerState } from "../layer.js";
import type { ModelState } from "../model.js";
import { Model } from "../model.js";
import { KanLayer, sampleStd } from "./bspline.js";
import type { SymbolicEdgeSpec } from "./symbolic-edges.js";
import { SYMBOLIC_AFFINE } from "./symbolic-edges.js";
import { plainLayerForward } from "./kan-ops.js";
import { columnSpread } from "./plain/kernels.js";
import { plainBaseOf, plainKanUnsupported } from "./plain/support.js";

export interface KanScores {
  /** Per layer: edge scores [n·m] (row-major i, j). */
  edges: Float64Array[];
  /** Per layer: scores of its input nodes [n]. */
  nodes: Float64Array[];
}

function kanLayers(model: Model): KanLayer[] {
  return model.layers.map((layer, i) => {
    if (!(layer instanceof KanLayer))
      throw new Error(`pruning needs every layer to be a kan layer; layers[${i}] is ${layer.kind}`);
    return layer;
  });
}

/**
 * Per layer: the spread (unbiased std over the rows) of every edge's output [n·m] and of every
 * output node's sum [m], in plain float64 (kan-ops.ts's plainLayerForward) where the plain KAN
 * evaluator can run the model: the same numbers as the jitted jax-js path to ~1e-7 (SiLU's exp;
 * 1e-15 without it), without compiling three programs per layer shape.
 */
function plainSpreads(
  layers: KanLayer[],
  state: ModelState,
  x: np.Array,
): { spreads: Float64Array[]; sums: Float64Array[] } {
  const spreads: Float64Array[] = [];
  const sums: Float64Array[] = [];
  let h = takeValues(x.ref);
  layers.forEach((layer, l) => {
    const { inputs: n, units: m } = layer;
    const rows = h.length / n;
    const base = plainBaseOf(layer.spec)!;
    const { out, phi } = plainLayerForward(layer, state[l] as LayerState, h, base, true);
    const edges = new Float64Array(n * m);
    const nodes = new Float64Array(m);
    columnSpread(phi, rows, n * m, new Float64Array(n * m), edges);
    columnSpread(out, rows, m, new Float64Array(m), nodes);
    spreads.push(edges);
    sums.push(nodes);
    h = out;
  });
  return { spreads, sums };
}

/**
 * Attribution scores of every edge and node on inputs x (borrowed). `path` "auto": plain float64
 * where supported (plainSpreads), else jax-js; "jax" forces jax-js (to check one against the other).
 */
export function kanScores(
  model: Model,
  state: ModelState,
  x: np.Array,
  path: "auto" | "jax" = "auto",
): KanScores {
  const layers = kanLayers(model);
  const { spreads, sums } =
    path === "auto" && !plainKanUnsupported(model)
      ? plainSpreads(layers, state, x)
      : jaxSpreads(layers, state, x);
  const edges: Float64Array[] = [];
  const nodes: Float64Array[] = [];
  let outScore = new Float64Array(layers[layers.length - 1]!.units).fill(1);
  for (let l = layers.length - 1; l >= 0; l--) {
    const { inputs: n, units: m } = layers[l]!;
    const edge = new Float64Array(n * m);
    const node = new Float64Array(n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        const score = (spreads[l]![i * m + j]! * outScore[j]!) / (sums[l]![j]! + 1e-4);
        edge[i * m + j] = score;
        node[i] = node[i]! + score;
      }
    edges[l] = edge;
    nodes[l] = node;
    outScore = node;
  }
  return { edges, nodes };
}

/** plainSpreads with jitted jax-js calls (any KAN layer, float32 too). */
function jaxSpreads(
  layers: KanLayer[],
  state: ModelState,
  x: np.Array,
): { spreads: Float64Array[]; sums: Float64Array[] } {
  const spreads: Float64Array[] = [];
  const sums: Float64Array[] = [];
  let h = x.ref;
  layers.forEach((layer, l) => {
    const s = state[l] as LayerState;
    const prepared = layer.prepare(s, h.ref);
    const spread = layer.edgeSpread(
      s,
      h.ref,
      prepared.map((a) => a.ref),
    );
    spread.inputs.dispose();
    spreads.push(takeValues(spread.edges));
    h = layer.applyPrepared(s, h, prepared);
    sums.push(takeValues(sampleStd(h.ref)));
  });
  h.dispose();
  return { spreads, sums };
}

/** Keeps the columns `keep` of a row-major [rows, cols] array. */
function keepColumns(values: Float64Array, cols: number, keep: number[]): Float64Array {
  const rows = values.length / cols;
  const out = new Float64Array(rows * keep.length);
  for (let r = 0; r < rows; r++)
    keep.forEach((c, k) => (out[r * keep.length + k] = values[r * cols + c]!));
  return out;
}

/** Keeps the row blocks `keep` (each `block` rows) of a row-major [rows, cols] array. */
function keepRowBlocks(
  values: Float64Array,
  cols: number,
  block: number,
  keep: number[],
): Float64Array {
  const out = new Float64Array(keep.length * block * cols);
  keep.forEach((b, k) =>
    out.set(values.subarray(b * block * cols, (b + 1) * block * cols), k * block * cols),
  );
  return out;
}

/** The fixed edges between kept nodes: their row k and their spec renumbered. */
function fixedEdgesKept(
  layer: KanLayer,
  inputs: number[],
  outputs: number[],
): { k: number; spec: SymbolicEdgeSpec }[] {
  return layer.symbolic.edges.flatMap((edge, k) => {
    const input = inputs.indexOf(edge.input);
    const unit = outputs.indexOf(edge.unit);
    return input < 0 || unit < 0 ? [] : [{ k, spec: { ...edge, input, unit } }];
  });
}

/** Rebuilds a layer's state with only the given inputs and outputs. */
function sliceLayer(
  layer: KanLayer,
  state: LayerState,
  inputs: number[],
  outputs: number[],
): LayerState {
  const m = layer.units;
  const count = layer.basisCount;
  const slice = (name: string, array: np.Array): np.Array => {
    const values = takeValues(array.ref);
    let kept: Float64Array;
    let shape: number[];
    if (name === SYMBOLIC_AFFINE) {
      const rows = fixedEdgesKept(layer, inputs, outputs).map(({ k }) => k);
      kept = keepRowBlocks(values, 4, 1, rows);
      shape = [rows.length, 4];
    } else if (name === "coef") {
      kept = keepColumns(keepRowBlocks(values, m, count, inputs), m, outputs);
      shape = [inputs.length * count, outputs.length];
    } else if (name === "knots") {
      kept = keepRowBlocks(values, layer.knotCount, 1, inputs);
      shape = [inputs.length, layer.knotCount];
    } else {
      kept = keepColumns(keepRowBlocks(values, m, 1, inputs), m, outputs);
      shape = [inputs.length, outputs.length];
    }
    return arrayFrom(kept, shape, layer.dtype);
  };
  const map = (record: Record<string, np.Array>) =>
    Object.fromEntries(Object.entries(record).map(([name, array]) => [name, slice(name, array)]));
  return { params: map(state.params), buffers: map(state.buffers) };
}

/**
 * pykan's prune(): removes hidden nodes scoring ≤ nodeThreshold, then masks edges scoring ≤
 * edgeThreshold (scores recomputed on the smaller model). Returns a new model and state; the
 * given state is left as it was.
 */
export function pruneKan(
  model: Model,
  state: ModelState,
  x: np.Array,
  { nodeThreshold = 1e-2, edgeThreshold = 3e-2 } = {},
): { model: Model; state: ModelState; kept: number[][] } {
  const layers = kanLayers(model);
  const scores = kanScores(model, state, x);
  // kept nodes at every level: all inputs, hidden nodes above threshold, all outputs
  const kept: number[][] = [Array.from({ length: layers[0]!.inputs }, (_, i) => i)];
  for (let l = 1; l < layers.length; l++) {
    const ids = Array.from(scores.nodes[l]!.keys()).filter(
      (i) => scores.nodes[l]![i]! > nodeThreshold,
    );
    kept.push(
      ids.length > 0 ? ids : [Array.from(scores.nodes[l]!).indexOf(Math.max(...scores.nodes[l]!))],
    );
  }
  kept.push(Array.from({ length: layers[layers.length - 1]!.units }, (_, j) => j));
  const specs = layers.map((layer, l) => {
    const { symbolic: _symbolic, ...spec } = layer.spec;
    const fixed = fixedEdgesKept(layer, kept[l]!, kept[l + 1]!).map((edge) => edge.spec);
    return {
      ...spec,
      units: kept[l + 1]!.length,
      ...(fixed.length > 0 ? { symbolic: fixed } : {}),
    };
  });
  const pruned = new Model(specs, model.inputShape, model.dtype);
  const prunedState = layers.map((layer, l) =>
    sliceLayer(layer, state[l] as LayerState, kept[l]!, kept[l + 1]!),
  );
  const edgeScores = kanScores(pruned, prunedState, x).edges;
  (pruned.layers as KanLayer[]).forEach((layer, l) => {
    const s = prunedState[l] as LayerState;
    const mask = takeValues(s.buffers.mask!.ref).map((v, e) =>
      edgeScores[l]![e]! > edgeThreshold ? v : 0,
    );
    s.buffers.mask!.dispose();
    s.buffers.mask = arrayFrom(mask, [layer.inputs, layer.units], layer.dtype);
  });
  return { model: pruned, state: prunedState, kept };
}
