/**
 * A checkpoint's model on new rows: the task's feature scaling applied, the same forward pass as
 * fit's metrics (op by op, in evaluation batches), and the outputs read in the task's terms —
 * regression values back in the target's units, class probabilities (softmax of the logits) and
 * the predicted class. Evaluation scores labelled rows with fit's own metrics.
 */
import { applyScaling, invertScaling } from "../data/normalize.js";
import type { TaskSplit } from "../data/task.js";
import { readValues } from "../engine/threads.js";
import type { ModelState } from "../nn/model.js";
import { Model } from "../nn/model.js";
import type { CheckpointSpec, CheckpointTask } from "./checkpoint.js";
import { outputsInBatches } from "./forward.js";
import type { SplitMetrics } from "./run-fit.js";
import { metricsFromPredictions } from "./run-fit.js";

export interface Predictions {
  rows: number;
  /** The model's own outputs, row-major [rows, outputs] (logits; scaled regression values). */
  outputs: Float64Array;
  /** Regression: the outputs in the target's units, [rows, targets]. */
  values?: Float64Array;
  /** Classification: softmax probabilities, [rows, classes], and the most probable class. */
  probabilities?: Float64Array;
  classes?: number[];
}

/** Raw feature rows (encoded, unscaled) as the model's inputs: the checkpoint's scaling applied. */
export function scaledInputs(spec: CheckpointSpec, x: Float64Array): Float64Array {
  return spec.inputScaling ? applyScaling(x, spec.inputScaling) : x;
}

/** Softmax of each row of logits, max-shifted (as the cross-entropy loss computes it). */
export function softmaxRows(logits: Float64Array, rows: number): Float64Array {
  const width = logits.length / Math.max(1, rows);
  const out = new Float64Array(logits.length);
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * width, (r + 1) * width);
    const max = Math.max(...row);
    let sum = 0;
    row.forEach((v, k) => (sum += out[r * width + k] = Math.exp(v - max)));
    for (let k = 0; k < width; k++) out[r * width + k]! /= sum;
  }
  return out;
}

/** Index of the largest value of each row (the first on ties, as fit's accuracy counts it). */
export function argmaxRows(values: Float64Array, rows: number): number[] {
  const width = values.length / Math.max(1, rows);
  return Array.from({ length: rows }, (_, r) => {
    const row = values.subarray(r * width, (r + 1) * width);
    return row.indexOf(Math.max(...row));
  });
}

/** The model's outputs on rows already scaled (borrowed state). */
export function modelOutputs(
  model: Model,
  state: ModelState,
  x: Float64Array,
  rows: number,
): Promise<Float64Array> {
  return outputsInBatches(model, model, state, x, rows, readValues);
}

/** Predictions for raw feature rows `x` ([rows, features], unscaled). */
export async function predictRows(
  spec: CheckpointSpec,
  task: CheckpointTask,
  state: ModelState,
  x: Float64Array,
  rows: number,
): Promise<Predictions> {
  const model = new Model(spec.layers, spec.inputShape, spec.dtype);
  const outputs = await modelOutputs(model, state, scaledInputs(spec, x), rows);
  if (task.kind === "classification") {
    const probabilities = softmaxRows(outputs, rows);
    return { rows, outputs, probabilities, classes: argmaxRows(outputs, rows) };
  }
  const values = spec.targetScaling ? invertScaling(outputs, spec.targetScaling) : outputs;
  return { rows, outputs, values };
}

export interface Evaluation {
  rows: number;
  /** fit's metrics, in the units fit reports them (regression: the scaled targets). */
  metrics: SplitMetrics;
  /** Regression with scaled targets: the RMSE of each target in its own units. */
  rmseInTargetUnits?: number[];
}

/** fit's metrics of the predictions on labelled rows (`y`: raw targets, or class indices). */
export function evaluatePredictions(
  spec: CheckpointSpec,
  task: CheckpointTask,
  predictions: Predictions,
  y: Float64Array,
): Evaluation {
  const rows = predictions.rows;
  const scaledY =
    task.kind === "regression" && spec.targetScaling ? applyScaling(y, spec.targetScaling) : y;
  // metrics need only the labels: x is not read
  const split: TaskSplit = { x: new Float64Array(0), y: scaledY, rows };
  const metrics = metricsFromPredictions(task, split, predictions.outputs);
  if (task.kind !== "regression" || !spec.targetScaling || !predictions.values)
    return { rows, metrics };
  const targets = task.targetNames.length;
  const sums = new Array<number>(targets).fill(0);
  predictions.values.forEach((v, i) => (sums[i % targets]! += (v - (y[i] as number)) ** 2));
  return { rows, metrics, rmseInTargetUnits: sums.map((s) => Math.sqrt(s / rows)) };
}
