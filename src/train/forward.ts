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
import { arrayFrom } from "../engine/dtype.js";
import { borrowTree, takeValues } from "../engine/ownership.js";
import type { ArrayRecord } from "../nn/layer.js";
import type { Model, ModelState } from "../nn/model.js";
import { joinState, splitState } from "../nn/model.js";
import type { LossName } from "./loss.js";
import { lossFunction } from "./loss.js";
import { evaluationRows } from "./memory.js";

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

/**
 * The evaluation batches of a split of `rows` rows: [start, count] pairs of at most `batchRows`
 * rows, in order; one pair (the whole split) when it fits in one batch.
 */
export function evaluationSlices(rows: number, batchRows: number): [number, number][] {
  if (rows <= batchRows) return [[0, rows]];
  const slices: [number, number][] = [];
  for (let start = 0; start < rows; start += batchRows)
    slices.push([start, Math.min(batchRows, rows - start)]);
  return slices;
}

/** Rows start … start + count − 1 of row-major values of `rows` rows (a view, no copy). */
export function rowSlice(
  values: Float64Array,
  rows: number,
  start: number,
  count: number,
): Float64Array {
  if (start === 0 && count === rows) return values;
  const width = values.length / rows;
  return values.subarray(start * width, (start + count) * width);
}

/**
 * The model's outputs on `rows` rows of `x` (row-major, each of the model's input shape), as
 * row-major [rows, outputs]; borrows the state; `read` reads an output array (and consumes it).
 * Scored in evaluation batches of `batchRows` rows (default: `evaluationRows`, what keeps one
 * pass within its memory budget), so peak wasm memory is set by the batch, not the split; a split
 * that fits in one batch is one pass, as it always was. Rows are independent in every model that
 * is batched (evaluationRows gives no limit to a model with batch statistics), so each row's
 * outputs are those of the whole pass.
 */
export async function outputsInBatches(
  forward: Pick<Forward, "apply">,
  model: Model,
  state: ModelState,
  x: Float64Array,
  rows: number,
  read: (array: np.Array) => Float64Array | Promise<Float64Array> = takeValues,
  batchRows: number = evaluationRows(model, state),
): Promise<Float64Array> {
  let outputs: Float64Array | undefined;
  for (const [start, count] of evaluationSlices(rows, batchRows)) {
    const input = arrayFrom(
      rowSlice(x, rows, start, count),
      [count, ...model.inputShape],
      model.dtype,
    );
    const part = await read(forward.apply(state, input));
    if (count === rows) return part;
    outputs ??= new Float64Array((part.length / count) * rows);
    outputs.set(part, (start * part.length) / count);
  }
  return outputs ?? new Float64Array(0);
}

/** outputsInBatches, read synchronously (`takeValues`). */
export function outputsInBatchesSync(
  forward: Pick<Forward, "apply">,
  model: Model,
  state: ModelState,
  x: Float64Array,
  rows: number,
  batchRows: number = evaluationRows(model, state),
): Float64Array {
  let outputs: Float64Array | undefined;
  for (const [start, count] of evaluationSlices(rows, batchRows)) {
    const input = arrayFrom(
      rowSlice(x, rows, start, count),
      [count, ...model.inputShape],
      model.dtype,
    );
    const part = takeValues(forward.apply(state, input));
    if (count === rows) return part;
    outputs ??= new Float64Array((part.length / count) * rows);
    outputs.set(part, (start * part.length) / count);
  }
  return outputs ?? new Float64Array(0);
}
