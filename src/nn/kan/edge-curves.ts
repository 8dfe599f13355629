/**
 * Every edge's learned function φ_ij of a trained B-spline KAN, sampled for drawing (pykan's
 * plot()): per layer, the range its inputs take on the given data and φ_ij on an even grid over
 * that range, in plain float64 (kan-ops.ts's plainLayerForward, the same formula as
 * KanLayer.apply). Masked (pruned) edges are marked so a drawing can leave them out.
 */
import type { LayerState } from "../layer.js";
import type { Model, ModelState } from "../model.js";
import { KanLayer } from "./bspline.js";
import { plainLayerForward } from "./kan-ops.js";
import { takeValues } from "../../engine/ownership.js";
import { plainBaseOf } from "./plain/support.js";
import { SYMBOLIC_AFFINE } from "./symbolic-edges.js";

export interface KanEdgeCurve {
  layer: number;
  /** Input node of the layer (i) and output node (j). */
  from: number;
  to: number;
  /** Sample points (the input's range on the data) and φ_ij there. */
  x: Float64Array;
  y: Float64Array;
  /** False where the edge is pruned (its mask is 0 and it is not fixed). */
  active: boolean;
  /** A fixed (symbolic) edge's function name: the curve is then c·f(a·x + b) + d. */
  label?: string;
}

export interface KanCurves {
  /** Node counts: inputs, then every layer's units. */
  widths: number[];
  edges: KanEdgeCurve[];
}

/**
 * Why the curves of this model cannot be drawn, or undefined: only stacks of B-spline KAN layers
 * (the edges of other layers are not one function of one input each) with a SiLU or identity base.
 */
export function kanCurvesUnsupported(model: Model): string | undefined {
  for (const [i, layer] of model.layers.entries()) {
    if (!(layer instanceof KanLayer) || layer.constructor !== KanLayer)
      return `layers[${i}] is a ${layer.kind} layer, not a B-spline kan layer`;
    if (!plainBaseOf(layer.spec))
      return `layers[${i}].base is '${layer.spec.base}' (only silu and identity are drawn)`;
  }
  return undefined;
}

/** Smallest and largest value of every column of a row-major [rows, n] table. */
function columnRanges(h: Float64Array, n: number): [number, number][] {
  const ranges: [number, number][] = Array.from({ length: n }, () => [Infinity, -Infinity]);
  for (let r = 0; r < h.length / n; r++)
    for (let i = 0; i < n; i++) {
      const v = h[r * n + i] as number;
      const range = ranges[i]!;
      if (v < range[0]) range[0] = v;
      if (v > range[1]) range[1] = v;
    }
  return ranges;
}

/**
 * The curves of every edge on data x [rows, inputs] (row-major; the rows the model was trained
 * on), `samples` points per edge. The state is borrowed. Values are computed in float64 whatever
 * the model's dtype (a float32 model's weights widened), which is exact enough to draw.
 */
export function kanEdgeCurves(
  model: Model,
  state: ModelState,
  x: Float64Array,
  samples = 101,
): KanCurves {
  const why = kanCurvesUnsupported(model);
  if (why) throw new Error(`kan edge curves: ${why}`);
  const layers = model.layers as KanLayer[];
  const widths = [layers[0]!.inputs, ...layers.map((layer) => layer.units)];
  const edges: KanEdgeCurve[] = [];
  let h = x;
  layers.forEach((layer, l) => {
    const { inputs: n, units: m } = layer;
    const layerState = state[l] as LayerState;
    const base = plainBaseOf(layer.spec)!;
    // column i of the grid runs over input i's range: φ_ij depends on x_i alone, so one pass of
    // the layer over this table gives every edge's curve
    const ranges = columnRanges(h, n);
    const grid = new Float64Array(samples * n);
    for (let s = 0; s < samples; s++)
      for (let i = 0; i < n; i++) {
        const [low, high] = ranges[i]!;
        grid[s * n + i] = samples === 1 ? low : low + ((high - low) * s) / (samples - 1);
      }
    const { phi } = plainLayerForward(layer, layerState, grid, base, true);
    const mask = takeValues(layer.array(layerState, "mask"));
    const fixed = layer.symbolic;
    // a fixed edge's spline is masked; its function is c·f(a·x + b) + d (symbolic-edges.ts)
    const stored = layerState.params[SYMBOLIC_AFFINE] ?? layerState.buffers[SYMBOLIC_AFFINE];
    const affine = fixed.count > 0 && stored ? takeValues(stored.ref) : new Float64Array(0);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        const e = i * m + j;
        const xs = Float64Array.from({ length: samples }, (_, s) => grid[s * n + i] as number);
        const k = fixed.edges.findIndex((edge) => edge.input === i && edge.unit === j);
        if (k >= 0) {
          const edge = fixed.edges[k]!;
          const label = edge.name ?? edge.expr;
          const y = fixed.plainEdgeValues(k, xs, affine);
          edges.push({ layer: l, from: i, to: j, x: xs, y, active: true, label });
          continue;
        }
        edges.push({
          layer: l,
          from: i,
          to: j,
          x: xs,
          y: Float64Array.from({ length: samples }, (_, s) => phi[s * n * m + e] as number),
          active: (mask[e] as number) !== 0,
        });
      }
    const next = plainLayerForward(layer, layerState, h, base).out;
    if (fixed.count > 0) fixed.addPlainOutputs(h, affine, next);
    h = next;
  });
  return { widths, edges };
}
