/**
 * The trial-engine seam: everything a trial asks of a compute engine, in one small interface.
 * Bench, search and fit train through it; jax-js (src/train/jax-engine.ts) is one implementation.
 * Everything else of a trial — epoch selection, the constant predictor of a diverged trial,
 * metrics, AUC, the result record — is engine-independent and stays with the caller.
 *
 * The same trial on two engines: a request fixes the model spec, the splits, the optimiser and
 * loss, and the trial seed. From the seed, the initial parameters are `initialState` of the jax
 * engine (host arrays another engine is handed as they are, `TrainingRequest.initial`), and the
 * batch order of epoch e is `batchOrder(rows, seed, e)` (src/train/shuffle.ts: a plain
 * TypeScript permutation any engine can be sent or recompute).
 */
import type { FloatDType } from "../engine/dtype.js";
import type { LayerSpec } from "../nn/definition.js";
import type { GradientPhase } from "./fit-spec.js";
import type { Rows } from "./gradient-fit.js";
import type { LossName } from "./loss.js";

/** One array on the host, row-major. */
export interface HostArray {
  shape: number[];
  values: Float64Array;
}

/** A model's state on the host: per layer, its parameters and buffers by name. */
export type HostState = {
  params: Record<string, HostArray>;
  buffers: Record<string, HostArray>;
}[];

export interface TrainingRequest {
  layers: readonly LayerSpec[];
  /** Shape of one input row, e.g. [2] or [28, 28, 1]. */
  inputShape: readonly number[];
  dtype: FloatDType;
  loss: LossName;
  /** Optimiser, epochs, batch size, shuffling, patience. */
  phase: GradientPhase;
  train: Rows;
  /** Model selection and early stopping look at this split only (never at test data). */
  val?: Rows;
  /** The trial seed: initial parameters (unless `initial` is given) and every epoch's batches. */
  seed: number;
  /** Start from these parameters and buffers instead of drawing them from the seed. */
  initial?: HostState;
  /** Wall-clock budget: no new epoch starts once this many seconds of training have passed. */
  seconds?: number;
  /** Also give each epoch's outputs on the validation split (for curve metrics). */
  valOutputsEachEpoch?: boolean;
  /**
   * Continue a training stopped mid-phase from this progress (its `state` replaces `initial`):
   * the same epochs, batches, optimiser updates and epoch selection follow as if it never stopped.
   */
  resume?: TrainingProgress;
  /** Hand the training's progress out between epochs (fit's checkpoints, Ctrl-C). */
  checkpoints?: TrainingCheckpoints;
}

/**
 * Where a gradient training stands after an epoch: everything it needs to go on exactly — the
 * state, the optimiser's arrays (Adam's moments and β powers, momentum), the update count (the
 * schedule's position) and the epoch selection so far. The batch order needs no RNG state: epoch
 * e's order is `batchOrder(rows, seed, e)` (shuffle.ts).
 */
export interface TrainingProgress {
  /** Epochs finished; the next epoch is this one (0-based). */
  epochs: number;
  /** Optimiser updates applied so far. */
  steps: number;
  /** Parameters and buffers after the last finished epoch. */
  state: HostState;
  /** The optimiser state's arrays by leaf path ("0/mu/1/w": `leafPaths` of optim/tree-ops.ts). */
  optimizer: Record<string, HostArray>;
  /** The epoch selected so far (the lowest validation loss) and its parameters. */
  best?: { valLoss: number; params: HostState };
  /** Epochs since the best one (patience). */
  sinceBest: number;
}

export interface TrainingCheckpoints {
  /** Hand the progress out after every `every` epochs (absent or 0: only when a stop is asked). */
  every?: number;
  /** Polled after each epoch: true hands the progress out and stops with TrainingStopped. */
  stopRequested?(): boolean;
  save(progress: TrainingProgress): Promise<void>;
}

/**
 * A training stopped between epochs because `stopRequested` said so, after its progress was
 * saved. Not a failure: the caller ends the run as interrupted.
 */
export class TrainingStopped extends Error {
  override name = "TrainingStopped";
  constructor(readonly epochs: number) {
    super(`training stopped after epoch ${epochs}`);
  }
}

export interface EpochOutcome {
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  trainLoss: number;
  valLoss?: number;
  /** The model's outputs on the validation split after this epoch, row-major [rows, outputs]. */
  valOutputs?: Float64Array;
}

/** A finished training: the parameters of the selected epoch, held by the engine until release. */
export interface TrainedModel {
  /** Seconds spent training, without the time the per-epoch validation outputs took. */
  readonly trainingSeconds: number;
  /**
   * The engine's own measure of the trial's peak memory in bytes, where it has one (the torch
   * engine: its Python process's peak resident memory during this training, docs/engines.md).
   * Absent (the jax engine): the caller measures its own process's memory growth instead.
   */
  readonly peakMemoryBytes?: number;
  /** On a GPU, the peak bytes allocated on the device during this training (torch on CUDA). */
  readonly gpuPeakMemoryBytes?: number;
  /** The selected model's outputs on `rows` rows of `x` (row-major, each of the input shape). */
  predict(x: Float64Array, rows: number): Promise<Float64Array>;
  /** The selected parameters and buffers, copied to the host. */
  state(): Promise<HostState>;
  /** Frees what the engine holds for this model. */
  release(): void;
}

export interface TrialEngine {
  /** "jax" (embedded, the default). */
  readonly name: string;
  /**
   * Trains with the trial protocol's gradient phase: shuffled mini-batches in `batchOrder`, the
   * parameters of the epoch with the lowest validation loss kept (the last epoch without one).
   * `onEpoch` is called after every epoch, in order.
   */
  train(request: TrainingRequest, onEpoch?: (outcome: EpochOutcome) => void): Promise<TrainedModel>;
}
