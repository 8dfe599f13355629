/**
 * The forward pass used to score a model during and after training (validation loss each epoch,
 * learning-curve metrics, the final val/test predictions). Run op by op, each of those passes
 * hashes and dispatches every kernel again — a third of a small bench trial's time went there
 * (profile of the quick search's trials). Compiled once per input shape with `jit`, later passes
 * reuse the fused kernels.
 *
 * Only float32 models are compiled: inside `jit`, JS number literals in layer code become float32
 * constants (docs/engine.md), which would round a float64 model's evaluation; float64 models keep
 * the op-by-op pass. A Forward lives as long as one training run: dispose() frees its traces.
 */
import { jit } from "@jax-js/jax";
import type { numpy as np } from "@jax-js/jax";
import { borrowTree } from "../engine/ownership.js";
import type { ArrayRecord } from "../nn/layer.js";
import type { Model, ModelState } from "../nn/model.js";
import { joinState, splitState } from "../nn/model.js";

export interface Forward {
  /** Consumes x, borrows the state. */
  apply(state: ModelState, x: np.Array): np.Array;
  dispose(): void;
}

export function compiledForward(model: Model): Forward {
  if (model.dtype !== "float32")
    return { apply: (state, x) => model.apply(state, x), dispose: () => undefined };
  const compiled = jit((p: ArrayRecord[], b: ArrayRecord[], x: np.Array) =>
    model.apply(joinState(p, b), x),
  );
  return {
    apply: (state, x) => {
      const { params, buffers } = splitState(state);
      return compiled(borrowTree(params), borrowTree(buffers), x);
    },
    dispose: () => compiled.dispose(),
  };
}
