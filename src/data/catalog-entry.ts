/**
 * A named task of the built-in catalog (`nonlin bench` configs and `task: {type: catalog}` specs
 * refer to these by name): what it is (TaskMetadata, browser-safe: planning and reports need only
 * this), and how to make it for a seed and split sizes (CatalogEntry; file-backed entries live in
 * node/).
 */
import type { Task, TaskKind } from "./task.js";

/** Families group tasks in reports ("did the KAN family beat MLPs on function fitting?"). */
export type TaskFamily = "function-fitting" | "feynman" | "synthetic-2d" | "tabular" | "image";

/** The metric a report ranks by: lower RMSE, or higher accuracy. */
export type TaskMetric = "rmse" | "accuracy";

export interface TaskRequest {
  /** Seed of the sampling (formula and synthetic tasks) or of the shuffled split (fixed data). */
  readonly seed: number;
  /**
   * Row counts. Sampled tasks draw this many rows per split. Fixed data sets (tabular, images)
   * cap the training rows at `train` (a seeded subset, for --quick) and carve validation rows
   * out of the training data; left out, each entry uses its documented defaults.
   */
  readonly train?: number;
  readonly val?: number;
  readonly test?: number;
  /** Standard deviation of label noise (sampled tasks that support it; others ignore it). */
  readonly noise?: number;
}

export interface TaskMetadata {
  /** Unique, `family-prefix/name`, e.g. "toy/exp-sin", "feynman/I.6.2a", "tabular/iris". */
  readonly name: string;
  readonly family: TaskFamily;
  readonly kind: TaskKind;
  readonly metric: TaskMetric;
  /** Shape of one input row, e.g. [2] or [1, 28, 28]. */
  readonly inputShape: readonly number[];
  /** Regression: number of targets; classification: number of classes. */
  readonly outputs: number;
  /** One line for reports: the formula with its ranges, or where the data comes from. */
  readonly description: string;
}

export interface CatalogEntry extends TaskMetadata {
  /** Builds the task; throws DataError (with a clear message) when data is missing. */
  make(request: TaskRequest): Task;
  /**
   * Gets what `make` needs that may have to be downloaded (into the cache); callers await it
   * once before the first `make`. Absent for data that ships with the project.
   */
  prepare?(): Promise<unknown>;
}
