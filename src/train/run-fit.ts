/**
 * Runs a fit config's phases on a task: gradient training, L-BFGS, KAN pruning and refinement.
 * Reports metrics on train / val / test after every phase (test is reported, never used to
 * choose anything) and hands a checkpoint to `onCheckpoint` after each completed phase.
 */
import type { numpy as np } from "@jax-js/jax";
import { RunError } from "../base/errors.js";
import type { Task, TaskSplit } from "../data/task.js";
import { arrayFrom } from "../engine/dtype.js";
import { readValues } from "../engine/threads.js";
import { keyFromSeed } from "../engine/random.js";
import { pruneKan } from "../nn/kan/prune.js";
import { LayerSpecError, product } from "../nn/layer.js";
import type { LayerSpec, ModelState } from "../nn/model.js";
import { disposeState, Model } from "../nn/model.js";
import type { FitConfig, Phase } from "./fit-spec.js";
import type { Forward } from "./forward.js";
import { outputsInBatches } from "./forward.js";
import { fitLbfgs } from "./fit-lbfgs.js";
import type { Rows } from "./gradient-fit.js";
import { readHostState, stateFromHost } from "./host-state.js";
import { regridModel } from "./kan-grid.js";
import { assertTrainingFits } from "./memory.js";
import type { LossName } from "./loss.js";
import type { TrialEngine } from "./trial-engine.js";

export interface SplitMetrics {
  loss: number;
  /** Regression: root mean squared error. */
  rmse?: number;
  /** Classification: fraction correct. */
  accuracy?: number;
}

export interface PhaseResult {
  phase: number;
  kind: Phase["kind"];
  seconds: number;
  /** Values in one sample: the input's, then each layer's output (a flat layer's width). */
  widths: number[];
  params: number;
  train: SplitMetrics;
  val?: SplitMetrics;
  /** Absent when the task has no test rows (as val when it has no validation rows). */
  test?: SplitMetrics;
}

export interface FitProgress {
  phase: number;
  kind: Phase["kind"];
  /** Step (L-BFGS) or epoch (gradient) within the phase, and how many there are. */
  at: number;
  of: number;
  loss: number;
}

export interface FitHooks {
  onProgress?(progress: FitProgress): void;
  onPhase?(result: PhaseResult, model: Model, state: ModelState): void | Promise<void>;
}

/** The split as model rows: classification targets become one-hot rows. */
export function rowsOf(task: Pick<Task, "kind" | "classes">, split: TaskSplit): Rows {
  if (task.kind === "regression") return { x: split.x, y: split.y, rows: split.rows };
  const classes = task.classes ?? 2;
  const y = new Float64Array(split.rows * classes);
  for (let r = 0; r < split.rows; r++) y[r * classes + (split.y[r] as number)] = 1;
  return { x: split.x, y, rows: split.rows };
}

/**
 * The model's outputs on a split, row-major [rows, outputs] (borrowed state), in evaluation
 * batches (forward.ts: peak memory set by the batch, not the split; one pass when it fits).
 * Read with `readValues` (asynchronously through the pool or on WebGPU).
 */
export function predictionsOf(
  model: Model,
  state: ModelState,
  split: TaskSplit,
  forward: Pick<Forward, "apply"> = model,
): Promise<Float64Array> {
  return outputsInBatches(forward, model, state, split.x, split.rows, readValues);
}

export async function metricsOf(
  model: Model,
  state: ModelState,
  task: Task,
  split: TaskSplit,
): Promise<SplitMetrics> {
  return metricsFromPredictions(task, split, await predictionsOf(model, state, split));
}

/** Loss and RMSE (regression) or accuracy (classification) of predictions on a split. */
export function metricsFromPredictions(
  task: Pick<Task, "kind" | "classes">,
  split: TaskSplit,
  prediction: Float64Array,
): SplitMetrics {
  const rows = rowsOf(task, split);
  const outputs = prediction.length / Math.max(1, rows.rows);
  if (task.kind === "regression") {
    let sum = 0;
    prediction.forEach((p, i) => (sum += (p - (rows.y[i] as number)) ** 2));
    const mse = sum / prediction.length;
    return { loss: mse, rmse: Math.sqrt(mse) };
  }
  let correct = 0;
  let nll = 0;
  for (let r = 0; r < rows.rows; r++) {
    const logits = prediction.subarray(r * outputs, (r + 1) * outputs);
    const max = Math.max(...logits);
    const logSum = Math.log(logits.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
    const label = split.y[r] as number;
    nll += logSum - (logits[label] as number);
    if (logits.indexOf(max) === label) correct++;
  }
  return { loss: nll / rows.rows, accuracy: correct / rows.rows };
}

export function defaultLoss(config: FitConfig, task: Task): LossName {
  return config.loss ?? (task.kind === "regression" ? "mse" : "cross_entropy");
}

/**
 * The shape of one input row: the config's `model.input_shape`, else the task's own shape (images:
 * [height, width, channels]), else flat [inputs]. An input_shape that does not hold the task's
 * row is refused, naming the field.
 */
export function inputShapeOf(config: FitConfig, task: Task): number[] {
  const shape = config.model.input_shape;
  if (!shape) return [...(task.inputShape ?? [task.inputs])];
  const values = product(shape);
  if (values !== task.inputs)
    throw new LayerSpecError(
      `input_shape: [${shape.join(", ")}] holds ${values} values but a row of task ${task.name} has ${task.inputs}`,
    );
  return [...shape];
}

/** Builds the model of a config for a task (output width from the task is the user's job). */
export function buildModel(config: FitConfig, task: Task, layers?: LayerSpec[]): Model {
  return new Model(
    (layers ?? config.model.layers) as LayerSpec[],
    inputShapeOf(config, task),
    config.model.dtype,
  );
}

/** Refuses a model whose output does not match the task (the outputs, or the classes). */
export function checkModelOutputs(model: Model, task: Task): void {
  const expected = task.kind === "regression" ? task.outputs : (task.classes ?? 2);
  if (model.outputShape.length !== 1 || model.outputShape[0] !== expected)
    throw new LayerSpecError(
      `layers: the last layer gives [${model.outputShape.join(", ")}] but the task needs ${expected} outputs`,
    );
}

/** A phase ended with non-finite weights or training loss; nothing of that phase is kept. */
export class FitDivergedError extends RunError {
  override name = "FitDivergedError";
  constructor(
    readonly phase: number,
    message: string,
  ) {
    super(message);
  }
}

const finiteState = async (state: ModelState): Promise<boolean> =>
  (await readHostState(state)).every((layer) =>
    [...Object.values(layer.params), ...Object.values(layer.buffers)].every((array) =>
      array.values.every(Number.isFinite),
    ),
  );

/**
 * Runs the config's phases in order. Gradient phases train through `engine` (the trial-engine
 * seam, from the current state); L-BFGS, prune and refine run on jax-js here.
 */
export async function runFit(
  engine: TrialEngine,
  config: FitConfig,
  task: Task,
  hooks: FitHooks = {},
  resume?: { model: Model; state: ModelState; phasesDone: number },
): Promise<{ model: Model; state: ModelState; results: PhaseResult[] }> {
  const loss = defaultLoss(config, task);
  let model = resume?.model ?? buildModel(config, task);
  checkModelOutputs(model, task);
  const train = rowsOf(task, task.train);
  // a step wasm's 4 GiB cannot hold is refused before anything trains (memory.ts)
  config.phases.forEach((phase, index) => {
    if (resume && index < resume.phasesDone) return;
    if (phase.kind === "gradient")
      assertTrainingFits(
        model,
        phase.batch_size > 0 ? Math.min(phase.batch_size, train.rows) : train.rows,
        `phases[${index}].batch_size`,
      );
    else if (phase.kind === "lbfgs")
      assertTrainingFits(
        model,
        train.rows,
        `phases[${index}] (lbfgs, full batch of ${train.rows} training rows)`,
      );
  });
  let state = resume?.state ?? model.init(keyFromSeed(config.model.seed));
  const x = (): np.Array => arrayFrom(train.x, [train.rows, ...model.inputShape], model.dtype);
  const results: PhaseResult[] = [];
  for (const [index, phase] of config.phases.entries()) {
    if (resume && index < resume.phasesDone) continue;
    const started = performance.now();
    const progress = (at: number, of: number, value: number): void =>
      hooks.onProgress?.({ phase: index, kind: phase.kind, at, of, loss: value });
    switch (phase.kind) {
      case "gradient": {
        const val = task.val.rows > 0 ? rowsOf(task, task.val) : undefined;
        const trained = await engine.train(
          {
            layers: model.specs,
            inputShape: model.inputShape,
            dtype: model.dtype,
            loss,
            phase,
            train,
            ...(val ? { val } : {}),
            seed: config.model.seed + 1000 * index,
            initial: await readHostState(state),
          },
          (r) => progress(r.epoch + 1, phase.epochs, r.trainLoss),
        );
        try {
          disposeState(state);
          state = stateFromHost(await trained.state(), model.dtype);
        } finally {
          trained.release();
        }
        break;
      }
      case "lbfgs": {
        const xs = x();
        const ys = arrayFrom(train.y, [train.rows, train.y.length / train.rows], model.dtype);
        ({ model, state } = await fitLbfgs(
          model,
          state,
          xs,
          ys,
          {
            steps: phase.steps,
            loss,
            penalty: { lambda: phase.lambda, l1: phase.lambda_l1, entropy: phase.lambda_entropy },
            updateGrid: phase.update_grid,
            gridUpdateNum: phase.grid_update_num,
            stopGridUpdateStep: phase.stop_grid_update_step,
            lbfgs: { maxIter: phase.max_iter, historySize: phase.history_size },
          },
          (r) => progress(r.step + 1, phase.steps, r.loss),
        ));
        xs.dispose();
        ys.dispose();
        break;
      }
      case "prune": {
        const xs = x();
        const pruned = pruneKan(model, state, xs, {
          nodeThreshold: phase.node_threshold,
          edgeThreshold: phase.edge_threshold,
        });
        xs.dispose();
        disposeState(state);
        ({ model, state } = pruned);
        break;
      }
      case "refine": {
        const xs = x();
        ({ model, state } = regridModel(model, state, xs, phase.grid_size));
        xs.dispose();
        break;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const trainMetrics = await metricsOf(model, state, task, task.train);
    if (!Number.isFinite(trainMetrics.loss) || !(await finiteState(state))) {
      disposeState(state);
      throw new FitDivergedError(
        index,
        `phase ${index + 1} ${phase.kind} diverged (train loss ${trainMetrics.loss}, non-finite weights or outputs): try a smaller learning rate or an activation that does not overflow`,
      );
    }
    const result: PhaseResult = {
      phase: index,
      kind: phase.kind,
      seconds,
      widths: [model.inputShape, ...model.layers.map((l) => l.outputShape)].map(product),
      params: model.paramCount(),
      train: trainMetrics,
    };
    // an empty split has no metrics (a task may have no test rows, as pykan's fits may not)
    if (task.test.rows > 0) result.test = await metricsOf(model, state, task, task.test);
    if (task.val.rows > 0) result.val = await metricsOf(model, state, task, task.val);
    results.push(result);
    await hooks.onPhase?.(result, model, state);
  }
  return { model, state, results };
}
