/**
 * ONNX forms of the EvoNorm layers (src/nn/evonorm.ts; Liu et al. 2020, "Evolving
 * Normalization-Activation Layers"), channels last. As in nonlin, B0 takes its batch variance
 * from the batch it is given, at inference too: the exported model's rows are not independent.
 */
import type { EvoNormS0Spec } from "../../nn/evonorm.js";
import type { OnnxGraph } from "./graph.js";
import type { LayerMapping } from "./layer-context.js";

/** √(var(x) + ε) over `axes` (kept), two-pass as nonlin computes it. */
function standardDeviation(g: OnnxGraph, x: string, axes: number[], epsilon: number): string {
  const mean = (v: string): string => g.op("ReduceMean", [v], { axes, keepdims: 1 });
  const centred = g.op("Sub", [x, mean(x)]);
  return g.op("Sqrt", [g.op("Add", [mean(g.op("Mul", [centred, centred])), g.scalar(epsilon)])]);
}

/** B0: x / max(√(var_batch + ε), v·x + √(var_instance + ε)) · γ + β. */
export const evonormB0: LayerMapping = (c, x) => {
  const g = c.graph;
  const epsilon = c.spec.epsilon as number;
  const rank = c.layer.inputShape.length + 1;
  const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  const batchStd = standardDeviation(g, x, [0, ...spatial], epsilon);
  // a flat sample has no spatial positions: its instance statistics run over its features
  const instanceStd = standardDeviation(g, x, rank > 2 ? spatial : [1], epsilon);
  const gated = g.op("Add", [g.op("Mul", [c.weight("v"), x]), instanceStd]);
  const denominator = g.op("Max", [batchStd, gated]);
  return g.op("Add", [
    g.op("Mul", [g.op("Div", [x, denominator]), c.weight("gamma")]),
    c.weight("beta"),
  ]);
};

/** S0: x·σ(v·x) / √(var_group + ε) · γ + β, channels in `groups` groups. */
export const evonormS0: LayerMapping = (c, x) => {
  const g = c.graph;
  const spec = c.spec as unknown as EvoNormS0Spec;
  const channels = c.layer.inputShape[c.layer.inputShape.length - 1] as number;
  const perGroup = channels / spec.groups;
  const grouped = g.op("Reshape", [x, g.int64([0, -1, spec.groups, perGroup], "shape")]);
  const groupStd = standardDeviation(g, grouped, [1, 3], spec.epsilon);
  const gate = g.op("Sigmoid", [g.op("Mul", [c.weight("v", [spec.groups, perGroup]), grouped])]);
  const normalised = g.op("Div", [g.op("Mul", [grouped, gate]), groupStd]);
  const shaped = g.op("Reshape", [normalised, g.int64([0, ...c.layer.inputShape], "shape")]);
  return g.op("Add", [g.op("Mul", [shaped, c.weight("gamma")]), c.weight("beta")]);
};
