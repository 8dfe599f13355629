/**
 * A task is what `nonlin fit` trains on: three splits of a fixed table, made once (no arrays
 * yet), so every model in a comparison sees exactly the same numbers.
 */
import { InputError } from "../base/errors.js";
import type { Scaling } from "./normalize.js";

/** One column of a row file that feeds x: a number, or a category one-hot over `categories`. */
export interface FeatureColumn {
  readonly name: string;
  /** The category texts in x's column order (categorical columns only). */
  readonly categories?: readonly string[];
}

/**
 * How a file of new rows is read for this task (predict, evaluate): the header mode and delimiter
 * of the task's own CSV and the columns that make x, in order.
 */
export interface RowFormat {
  readonly header: "names" | "none" | "sklearn";
  readonly delimiter: string;
  readonly features: readonly FeatureColumn[];
  /** `missing: impute_mean` tasks: the train split's mean of each x column (before scaling; a
   * category's columns: the shares of its categories), for a new row's missing cells. */
  readonly imputeMeans?: readonly number[];
}

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
  /** The target cell's text of each class index in the task's file (CSV tasks). */
  readonly classLabels?: readonly string[];
  readonly train: TaskSplit;
  readonly val: TaskSplit;
  readonly test: TaskSplit;
  readonly featureNames: readonly string[];
  readonly targetNames: readonly string[];
  /** How features were normalised (statistics of the train split): x_stored = (x − shift) / scale. */
  readonly featureScaling?: Scaling;
  /** How regression targets were normalised, if they were (same form as featureScaling). */
  readonly targetScaling?: Scaling;
  /** How a file of new rows is read (CSV tasks); absent: a header naming featureNames, commas. */
  readonly rowFormat?: RowFormat;
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
