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
 *
 * The next layer's inputs come from jax-js (KanLayer.apply), not the plain forward pass of
 * kan-ops.ts: its SiLU differs from jax-js's float64 exp by ~1e-7, and on hello KAN that moved
 * phase 1's end point enough to prune to [2, 2, 1] instead of [2, 1, 1] (final test RMSE 5.7e-4
 * instead of 3.4e-4). After the last layer nothing is needed, so it is not applied.
 */
export function regridModel(
  model: Model,
  state: ModelState,
  x: np.Array,
  gridSize?: number,
): { model: Model; state: ModelState } {
  const specs: LayerSpec[] = [...model.specs];
  const next: ModelState = [...state];
  const last = model.layers.length - 1;
  let h: np.Array | undefined = x.ref;
  model.layers.forEach((layer, l) => {
    const input = h!;
    h = undefined;
    if (layer instanceof KanLayer) {
      const samples = takeValues(l === last ? input : input.ref);
      const result = regrid(layer, next[l]!, samples, gridSize ?? layer.spec.grid_size);
      next[l] = result.state;
      specs[l] = result.spec as LayerSpec;
      if (l < last)
        h = new KanLayer(result.spec, layer.inputShape, layer.dtype).apply(result.state, input);
    } else if (l < last) h = layer.apply(next[l]!, input);
    else input.dispose();
  });
  const sameSpecs = specs.every((spec, i) => spec === model.specs[i]);
  return {
    model: sameSpecs ? model : new Model(specs, model.inputShape, model.dtype),
    state: next,
  };
}
