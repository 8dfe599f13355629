/**
 * Which models the plain-TypeScript KAN objective (kan-objective.ts) can evaluate: float64 stacks
 * of B-spline KAN layers (KanLayer) whose base is SiLU or the identity, with the MSE loss.
 */
import { canonicalText } from "../../expr/hash.js";
import type { KanSpec } from "../../nn/kan/bspline.js";
import { KanLayer } from "../../nn/kan/bspline.js";
import type { Model } from "../../nn/model.js";
import { resolveActivation } from "../../zoo/index.js";
import type { LossName } from "../loss.js";

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

/** Why the plain evaluator cannot run this model and loss, or undefined when it can. */
export function plainKanUnsupported(model: Model, loss: LossName): string | undefined {
  if (model.dtype !== "float64") return "it computes in float64 only";
  if (loss !== "mse") return "it has the mse loss only";
  for (const [i, layer] of model.layers.entries()) {
    if (!(layer instanceof KanLayer) || layer.constructor !== KanLayer)
      return `layers[${i}] is not a B-spline kan layer`;
    if (!plainBaseOf(layer.spec)) return `layers[${i}].base is not silu or identity`;
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
