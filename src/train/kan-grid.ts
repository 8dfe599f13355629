/** Grid update and grid extension over a whole model (every B-spline KAN layer, in order). */
import type { numpy as np } from "@jax-js/jax";
import { takeValues } from "../engine/ownership.js";
import { KanLayer } from "../nn/kan/bspline.js";
import { regrid } from "../nn/kan/kan-ops.js";
import type { LayerSpec, ModelState } from "../nn/model.js";
import { Model } from "../nn/model.js";

/**
 * Refits every KAN layer's grid to its inputs on x (borrowed), layer by layer as pykan does (each
 * layer sees the inputs produced by the already-updated layers before it). `gridSize` set: grid
 * extension to that size (pykan's refine); unset: grid update at the same size. Returns a new
 * model (new specs when the size changed) and state; the old state is consumed.
 */
export function regridModel(
  model: Model,
  state: ModelState,
  x: np.Array,
  gridSize?: number,
): { model: Model; state: ModelState } {
  const specs: LayerSpec[] = [...model.specs];
  const next: ModelState = [...state];
  let h = x.ref;
  model.layers.forEach((layer, l) => {
    if (layer instanceof KanLayer) {
      const samples = takeValues(h.ref);
      const result = regrid(layer, next[l]!, samples, gridSize ?? layer.spec.grid_size);
      next[l] = result.state;
      specs[l] = result.spec as LayerSpec;
      const rebuilt = new KanLayer(result.spec, layer.inputShape, layer.dtype);
      h = rebuilt.apply(result.state, h);
    } else h = layer.apply(next[l]!, h);
  });
  h.dispose();
  const sameSpecs = specs.every((spec, i) => spec === model.specs[i]);
  return {
    model: sameSpecs ? model : new Model(specs, model.inputShape, model.dtype),
    state: next,
  };
}
