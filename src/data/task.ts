/**
 * A task is what `nonlin fit` trains on: three splits of a fixed table, made once (no arrays
 * yet), so every model in a comparison sees exactly the same numbers.
 */
import { InputError } from "../base/errors.js";
import type { Scaling } from "./normalize.js";

export type TaskKind = "regression" | "classification";

/** One split: `x` is row-major [rows, inputs] (an image row is [height, width, channels], HWC),
 * `y` is row-major [rows, outputs]. */
export interface TaskSplit {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly rows: number;
}

export interface Task {
  readonly name: string;
  /** Number of features per row. */
  readonly inputs: number;
  /** Shape of one row when it is not flat, e.g. [28, 28, 1] for images (channels last; product =
   * inputs). */
  readonly inputShape?: readonly number[];
  /** Number of targets per row; 1 for classification (y holds the class index). */
  readonly outputs: number;
  readonly kind: TaskKind;
  /** Number of classes (classification only); class indices are 0..classes−1. */
  readonly classes?: number;
  /** Name of each class index (classification only): the label text, or the file's class names. */
  readonly classNames?: readonly string[];
  readonly train: TaskSplit;
  readonly val: TaskSplit;
  readonly test: TaskSplit;
  readonly featureNames: readonly string[];
  readonly targetNames: readonly string[];
  /** How features were normalised (statistics of the train split): x_stored = (x − shift) / scale. */
  readonly featureScaling?: Scaling;
  /** How regression targets were normalised, if they were (same form as featureScaling). */
  readonly targetScaling?: Scaling;
  /** One line saying where the data came from, for reports. */
  readonly source: string;
}

/** Bad data or a bad task spec: the message names the file, line and column, or the field. */
export class DataError extends InputError {
  override name = "DataError";
}

/** Rows `indices` of a row-major table with `columns` columns, in that order. */
export function takeRows(
  table: Float64Array,
  columns: number,
  indices: readonly number[],
): Float64Array {
  const out = new Float64Array(indices.length * columns);
  indices.forEach((row, i) =>
    out.set(table.subarray(row * columns, (row + 1) * columns), i * columns),
  );
  return out;
}
