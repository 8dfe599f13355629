/**
 * Gradient training: mini-batch (or full-batch) steps of any optimiser, each step — loss,
 * gradient, update — ONE jitted call. Training rows are reshuffled every epoch from the seed.
 * Model selection and early stopping look at the validation split only, never at test data: the
 * returned parameters are those of the epoch with the lowest validation loss (the last epoch when
 * there is no validation split).
 */
import type { JsTree } from "@jax-js/jax";
import { jit, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import { RunError } from "../base/errors.js";
import { arrayFrom } from "../engine/dtype.js";
import { borrowTree, disposeTree } from "../engine/ownership.js";
import { readScalar, readValues, settle } from "../engine/threads.js";
import type { ArrayRecord } from "../nn/layer.js";
import type { Model, ModelState } from "../nn/model.js";
import { joinState, splitState } from "../nn/model.js";
import type { GradientPhase } from "./fit-spec.js";
import type { Forward } from "./forward.js";
import { eagerForward, evaluationSlices, rowSlice } from "./forward.js";
import type { LossName } from "./loss.js";
import { lossFunction } from "./loss.js";
import { evaluationRows } from "./memory.js";
import { applyUpdates, leafPaths, makeOptimizer } from "./optim/index.js";
import type { GradientTransform, OptState } from "./optim/index.js";
import { readHostState, stateFromHost } from "./host-state.js";
import { batchOrder } from "./shuffle.js";
import type { HostArray, TrainingCheckpoints, TrainingProgress } from "./trial-engine.js";
import { TrainingStopped } from "./trial-engine.js";

/** Rows of a split, as the model sees them: x [rows, ...inputShape], y [rows, outputs]. */
export interface Rows {
  x: Float64Array;
  y: Float64Array;
  rows: number;
}

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  valLoss?: number;
  step: number;
}

/** Learning-rate multipliers a layer asks for (ReLinear's shrunken quadratic updates). */
function multipliersOf(model: Model, params: ArrayRecord[]): JsTree<number> {
  return params.map((record, l) => {
    const scales = (model.layers[l] as { updateScales?: Record<string, number> }).updateScales;
    return Object.fromEntries(Object.keys(record).map((name) => [name, scales?.[name] ?? 1]));
  }) as JsTree<number>;
}

/**
 * Mean loss of the model on a whole split (borrowed state); op by op unless `forward` is given.
 * Read with `readScalar` (asynchronously where threads are in use, and on WebGPU). Scored in
 * evaluation batches of `batchRows` rows (default `evaluationRows`): the mean of the batches'
 * means weighted by their rows (equal to the one-pass mean to float rounding); a split that fits
 * in one batch is one pass.
 */
export async function splitLoss(
  model: Model,
  state: ModelState,
  rows: Rows,
  loss: LossName,
  forward: Forward = eagerForward(model, loss),
  batchRows: number = evaluationRows(model, state),
): Promise<number> {
  // evaluation batches bound peak memory (forward.ts); a split that fits is one pass, as before
  const slices = evaluationSlices(rows.rows, batchRows);
  const outputs = rows.y.length / rows.rows;
  let sum = 0;
  for (const [start, count] of slices) {
    const x = arrayFrom(
      rowSlice(rows.x, rows.rows, start, count),
      [count, ...model.inputShape],
      model.dtype,
    );
    const y = arrayFrom(rowSlice(rows.y, rows.rows, start, count), [count, outputs], model.dtype);
    const mean = await readScalar(forward.loss(state, x, y));
    if (count === rows.rows) return mean;
    // both losses are means over rows (MSE: over rows × outputs, the same outputs each row)
    sum += mean * count;
  }
  return sum / rows.rows;
}

export interface FitGradientOptions {
  /** Wall-clock budget: no new epoch starts once this many seconds of training have passed. */
  seconds?: number;
  /** The forward pass that scores the validation split (default: op by op). */
  forward?: Forward;
  /**
   * A step compiled earlier for this model, optimiser and loss (see trainStep), kept by the
   * caller: reused without tracing again, and not disposed here. Default: compiled for this run.
   */
  step?: TrainStep;
  /** Go on from this progress (`state` must be its state): see TrainingRequest.resume. */
  resume?: TrainingProgress;
  /** Where the progress goes between epochs: see TrainingRequest.checkpoints. */
  checkpoints?: TrainingCheckpoints;
}

/** A checkpoint that does not fit this training (another model or optimiser). */
export class TrainingResumeError extends RunError {
  override name = "TrainingResumeError";
}

/**
 * The optimiser state a progress saved, in the structure (and dtypes) of a fresh `init`: the
 * structure comes from the optimiser, the values from the checkpoint.
 */
function restoredOptState(fresh: OptState, saved: Readonly<Record<string, HostArray>>): OptState {
  const [leaves, def] = tree.flatten(fresh);
  const paths = leafPaths(fresh);
  const extra = Object.keys(saved).filter((path) => !paths.includes(path));
  const restored = leaves.map((leaf, i) => {
    const path = paths[i] as string;
    const array = saved[path];
    if (!array || extra.length > 0)
      throw new TrainingResumeError(
        `checkpoint: the optimiser state does not match this optimiser (${array ? `no array ${extra[0]} in it` : `no array ${path} saved`})`,
      );
    if (array.shape.join(",") !== leaf.shape.join(","))
      throw new TrainingResumeError(
        `checkpoint: optimiser array ${path} has shape [${array.shape.join(", ")}], this optimiser's [${leaf.shape.join(", ")}]`,
      );
    const typed =
      leaf.dtype === np.float64 ? Float64Array.from(array.values) : Float32Array.from(array.values);
    return np.array(typed, { dtype: leaf.dtype }).reshape(array.shape);
  });
  disposeTree(fresh);
  return tree.unflatten(def, restored) as OptState;
}

/** Reads an optimiser state's arrays to the host (borrowed), by leaf path. */
async function hostOptState(optState: OptState): Promise<Record<string, HostArray>> {
  const arrays: Record<string, HostArray> = {};
  const paths = leafPaths(optState);
  for (const [i, leaf] of tree.leaves(optState).entries())
    arrays[paths[i] as string] = { shape: [...leaf.shape], values: await readValues(leaf.ref) };
  return arrays;
}

/** Whether every array of a state is finite (a checkpoint is not written from one that is not). */
export const finiteHost = (state: TrainingProgress["state"]): boolean =>
  state.every((layer) =>
    [...Object.values(layer.params), ...Object.values(layer.buffers)].every((array) =>
      array.values.every(Number.isFinite),
    ),
  );

/** How often (ms of training) a checkpointed training gives the event loop a turn. */
const YIELD_MS = 50;

const paramsOnly = (params: ArrayRecord[]): ModelState =>
  params.map((p) => ({ params: p, buffers: {} }));

/** One jitted training step — loss, gradient, optimiser update — and the optimiser it applies. */
export interface TrainStep {
  readonly optimizer: GradientTransform;
  /** Consumes p, o, x, y and t; borrows b. Returns the new params, optimiser state and loss. */
  run(
    p: ArrayRecord[],
    o: OptState,
    b: ArrayRecord[],
    x: np.Array,
    y: np.Array,
    t: np.Array,
  ): [ArrayRecord[], OptState, np.Array];
  dispose(): void;
}

/**
 * Compiles the training step of `model` under `optimizer` and `loss`. `params` (borrowed) gives
 * the structure the learning-rate multipliers are read for; any initialisation of the model has
 * the same. The step depends on nothing else, so one step serves every training run of the same
 * model spec, optimiser and loss (each jit traces once per input shape).
 */
export function trainStep(
  model: Model,
  optimizerSpec: GradientPhase["optimizer"],
  loss: LossName,
  params: ArrayRecord[],
): TrainStep {
  const optimizer = makeOptimizer(optimizerSpec, multipliersOf(model, params));
  const dataLoss = lossFunction(loss);
  const step = jit(
    (p: ArrayRecord[], o: OptState, b: ArrayRecord[], x: np.Array, y: np.Array, t: np.Array) => {
      const lossOf = (q: ArrayRecord[]): np.Array => dataLoss(model.apply(joinState(q, b), x), y);
      const [value, grads] = valueAndGrad(lossOf)(borrowTree(p));
      const [updates, next] = optimizer.update(grads, o, p, t);
      t.dispose();
      return [applyUpdates(p, updates), next, value] as [ArrayRecord[], OptState, np.Array];
    },
  );
  return {
    optimizer,
    run: (p, o, b, x, y, t) => step(p, o, b, x, y, t),
    dispose: () => step.dispose(),
  };
}

/**
 * Trains and returns the selected state. `onEpoch` also gets the epoch's state, borrowed: read it
 * (e.g. to score the validation split) during the call only. Asynchronous: each step's loss is
 * read with `readScalar` (engine/threads.ts), through jax-js's worker pool where threads are in
 * use and on WebGPU; the same kernels run either way, so the numbers are the same.
 */
export async function fitGradient(
  model: Model,
  state: ModelState,
  train: Rows,
  val: Rows | undefined,
  phase: GradientPhase,
  loss: LossName,
  seed: number,
  onEpoch?: (report: EpochReport, state: ModelState) => void | Promise<void>,
  options: FitGradientOptions = {},
): Promise<ModelState> {
  const split = splitState(state);
  let params = split.params;
  const buffers = split.buffers;
  const step = options.step ?? trainStep(model, phase.optimizer, loss, params);
  const resume = options.resume;
  let optState: OptState = resume
    ? restoredOptState(step.optimizer.init(params), resume.optimizer)
    : step.optimizer.init(params);
  const batchSize = phase.batch_size > 0 ? Math.min(phase.batch_size, train.rows) : train.rows;
  const width = train.x.length / train.rows;
  const outputs = train.y.length / train.rows;
  const batches = Math.ceil(train.rows / batchSize);
  let best: { loss: number; params: ArrayRecord[] } | undefined = resume?.best && {
    loss: resume.best.valLoss,
    params: stateFromHost(resume.best.params, model.dtype).map((layer) => layer.params),
  };
  let sinceBest = resume?.sinceBest ?? 0;
  let stepCount = resume?.steps ?? 0;
  const started = performance.now();
  const { checkpoints } = options;
  let lastTurn = performance.now();
  /** Everything the next epoch needs, on the host (the arrays are borrowed). */
  const progressAfter = async (epochs: number): Promise<TrainingProgress> => ({
    epochs,
    steps: stepCount,
    state: await readHostState(joinState(params, buffers)),
    optimizer: await hostOptState(optState),
    ...(best
      ? { best: { valLoss: best.loss, params: await readHostState(paramsOnly(best.params)) } }
      : {}),
    sinceBest,
  });
  for (let epoch = resume?.epochs ?? 0; epoch < phase.epochs; epoch++) {
    if (options.seconds !== undefined && (performance.now() - started) / 1000 >= options.seconds)
      break;
    const order = phase.shuffle
      ? batchOrder(train.rows, seed, epoch)
      : Array.from({ length: train.rows }, (_, i) => i);
    let lossSum = 0;
    for (let b = 0; b < batches; b++) {
      const ids = order.slice(b * batchSize, Math.min((b + 1) * batchSize, train.rows));
      const xb = new Float64Array(ids.length * width);
      const yb = new Float64Array(ids.length * outputs);
      ids.forEach((row, r) => {
        xb.set(train.x.subarray(row * width, (row + 1) * width), r * width);
        yb.set(train.y.subarray(row * outputs, (row + 1) * outputs), r * outputs);
      });
      const [nextParams, nextOpt, value] = step.run(
        params,
        optState,
        borrowTree(buffers),
        arrayFrom(xb, [ids.length, ...model.inputShape], model.dtype),
        arrayFrom(yb, [ids.length, outputs], model.dtype),
        np.array(stepCount++),
      );
      params = nextParams;
      optState = nextOpt;
      // reading the loss every step also keeps jax-js's lazy queue short
      lossSum += (await readScalar(value)) * ids.length;
    }
    // the pool may still be writing the step's other outputs: synchronous work below must not
    // see them pending
    await settle([params, optState] as JsTree<np.Array>);
    const report: EpochReport = { epoch, trainLoss: lossSum / train.rows, step: stepCount };
    if (val && val.rows > 0) {
      const epochState = joinState(params, buffers);
      report.valLoss = await splitLoss(model, epochState, val, loss, options.forward);
      if (!best || report.valLoss < best.loss) {
        if (best) disposeTree(best.params);
        best = { loss: report.valLoss, params: borrowTree(params) };
        sinceBest = 0;
      } else sinceBest++;
    }
    await onEpoch?.(report, joinState(params, buffers));
    if (!Number.isFinite(report.trainLoss)) break;
    if (phase.patience > 0 && sinceBest >= phase.patience) break;
    // the phase's end is its caller's checkpoint; a checkpoint here is one the phase goes on from
    if (checkpoints && epoch + 1 < phase.epochs) {
      // the steps above only await microtasks: a turn of the event loop lets a signal handler
      // (Ctrl-C) run and ask for the stop. A turn costs about a millisecond (setTimeout's
      // floor), so it is taken at most every YIELD_MS: short epochs pay ~2%, not a turn each
      if (performance.now() - lastTurn >= YIELD_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastTurn = performance.now();
      }
      const stop = checkpoints.stopRequested?.() ?? false;
      const every = checkpoints.every ?? 0;
      if (stop || (every > 0 && (epoch + 1) % every === 0)) {
        const progress = await progressAfter(epoch + 1);
        // a finite loss may still have left non-finite weights: the last finite checkpoint stays
        if (finiteHost(progress.state)) await checkpoints.save(progress);
      }
      if (stop) {
        if (!options.step) step.dispose();
        disposeTree(optState);
        disposeTree(params);
        disposeTree(buffers);
        if (best) disposeTree(best.params);
        throw new TrainingStopped(epoch + 1);
      }
    }
  }
  if (!options.step) step.dispose();
  disposeTree(optState);
  if (best) {
    disposeTree(params);
    params = best.params;
  }
  return joinState(params, buffers);
}
