/**
 * Which models the plain float64 KAN code (the forward pass and pruning scores in nn/kan, the
 * L-BFGS objective in train/kan-fast) can evaluate: float64 stacks of B-spline KAN layers
 * (KanLayer) whose base is SiLU or the identity. The objective also needs the MSE loss, which
 * train/fit-lbfgs.ts checks.
 */
import { canonicalText } from "../../../expr/hash.js";
import { resolveActivation } from "../../../zoo/index.js";
import type { Model } from "../../model.js";
import type { KanSpec } from "../bspline.js";
import { KanLayer } from "../bspline.js";

export type PlainBase = "silu" | "identity";

const canonical = (source: string): string => canonicalText(resolveActivation(source).activation);
let known: Map<string, PlainBase> | undefined;

/** The base function of a KAN spec, if the plain evaluator has it. */
export function plainBaseOf(spec: KanSpec): PlainBase | undefined {
  known ??= new Map([
    [canonical("silu"), "silu"],
    [canonical("identity"), "identity"],
  ]);
  return known.get(canonical(spec.base));
}

/** Why the plain code cannot run this model, or undefined when it can. */
export function plainKanUnsupported(model: Model): string | undefined {
  if (model.dtype !== "float64") return "it computes in float64 only";
  for (const [i, layer] of model.layers.entries()) {
    if (!(layer instanceof KanLayer) || layer.constructor !== KanLayer)
      return `layers[${i}] is not a B-spline kan layer`;
    if (!plainBaseOf(layer.spec)) return `layers[${i}].base is not silu or identity`;
    if (layer.symbolic.count > 0) return `layers[${i}] has fixed (symbolic) edges`;
  }
  return undefined;
}

/** Multiply-adds of one forward pass: rows × Σ_layers edges × (order + 1). */
export function plainKanWork(model: Model, rows: number): number {
  return model.layers.reduce((sum, layer) => {
    const kan = layer as KanLayer;
    return sum + rows * kan.inputs * kan.units * (kan.spec.order + 1);
  }, 0);
}
