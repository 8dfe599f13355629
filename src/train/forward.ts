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
import type { LossName } from "./loss.js";
import { lossFunction } from "./loss.js";

export interface Forward {
  /** Consumes x, borrows the state. */
  apply(state: ModelState, x: np.Array): np.Array;
  /** The mean training loss on (x, y); consumes x and y, borrows the state. */
  loss(state: ModelState, x: np.Array, y: np.Array): np.Array;
  dispose(): void;
}

/** The op-by-op pass (float64 models; callers without a training run to tie a Forward to). */
export function eagerForward(model: Model, loss: LossName): Forward {
  const dataLoss = lossFunction(loss);
  return {
    apply: (state, x) => model.apply(state, x),
    loss: (state, x, y) => dataLoss(model.apply(state, x), y),
    dispose: () => undefined,
  };
}

export function compiledForward(model: Model, loss: LossName): Forward {
  if (model.dtype !== "float32") return eagerForward(model, loss);
  const dataLoss = lossFunction(loss);
  const apply = jit((p: ArrayRecord[], b: ArrayRecord[], x: np.Array) =>
    model.apply(joinState(p, b), x),
  );
  const lossOf = jit((p: ArrayRecord[], b: ArrayRecord[], x: np.Array, y: np.Array) =>
    dataLoss(model.apply(joinState(p, b), x), y),
  );
  const borrowed = (state: ModelState) => {
    const { params, buffers } = splitState(state);
    return [borrowTree(params), borrowTree(buffers)] as const;
  };
  return {
    apply: (state, x) => apply(...borrowed(state), x),
    loss: (state, x, y) => lossOf(...borrowed(state), x, y),
    dispose: () => {
      apply.dispose();
      lossOf.dispose();
    },
  };
}
