/**
 * One trial of the protocol: one candidate, one task, one seed. Shuffled mini-batches, the
 * parameters of the epoch with the lowest validation loss kept (never test data), then the test
 * split scored exactly once. Cost is measured on the way: seconds per epoch, throughput, peak
 * memory (the engine's own figure where it gives one, else this process's memory growth).
 */
import type { Task } from "../data/task.js";
import type { GradientPhase } from "../train/fit-spec.js";
import type { LearnedActivationParam } from "../train/learned-activations.js";
import {
  hasLearnableActivationParams,
  learnedActivationParams,
} from "../train/learned-activations.js";
import type { SplitMetrics } from "../train/run-fit.js";
import { metricsFromPredictions, rowsOf } from "../train/run-fit.js";
import type { TrialEngine } from "../train/trial-engine.js";
import type { BenchConfig } from "./config.js";
import type { PlannedCell } from "./plan.js";
import type { CurvePoint, TrialResult } from "./results.js";
import { rocAucMacro } from "./stats.js";

export interface TrialHooks {
  /** Current resident memory in bytes (the CLI passes process.memoryUsage().rss). */
  memory?: () => number;
  onEpoch?: (epoch: number, of: number, trainLoss: number) => void;
}

const metricOf = (task: Task, m: SplitMetrics): number =>
  (task.kind === "regression" ? m.rmse : m.accuracy) as number;

/** Row-wise softmax of logits [rows, classes]: class probabilities for the AUC. */
function softmaxRows(logits: Float64Array, classes: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let r = 0; r < logits.length / classes; r++) {
    const row = logits.subarray(r * classes, (r + 1) * classes);
    const max = Math.max(...row);
    let sum = 0;
    row.forEach((v, c) => (sum += out[r * classes + c] = Math.exp(v - max)));
    for (let c = 0; c < classes; c++) out[r * classes + c]! /= sum;
  }
  return out;
}

/**
 * What a diverged trial scores: the constant predictor fitted on the training split (the train
 * mean for regression, the majority class for classification), so statistics stay finite and a
 * diverged candidate ranks as no better than predicting a constant.
 */
function constantPredictions(task: Task, rows: number): Float64Array {
  const outputs = task.kind === "regression" ? task.outputs : (task.classes ?? 2);
  const row = new Float64Array(outputs);
  const train = task.train;
  if (task.kind === "regression") {
    for (let r = 0; r < train.rows; r++)
      for (let k = 0; k < outputs; k++)
        row[k]! += (train.y[r * outputs + k] as number) / train.rows;
  } else {
    const counts = new Array<number>(outputs).fill(0);
    train.y.forEach((label) => counts[label]!++);
    row[counts.indexOf(Math.max(...counts))] = 1;
  }
  const out = new Float64Array(rows * outputs);
  for (let r = 0; r < rows; r++) out.set(row, r * outputs);
  return out;
}

export function trainingPhase(config: BenchConfig): GradientPhase {
  const t = config.training;
  return {
    kind: "gradient",
    optimizer: t.optimizer,
    epochs: t.epochs,
    batch_size: t.batch_size,
    shuffle: true,
    patience: t.patience,
  };
}

/**
 * Runs one trial on `engine`. The engine trains; everything else here — the curve's metrics, the
 * selected epoch, the constant predictor of a diverged trial, test scored once, the AUC — is the
 * protocol, the same for every engine.
 */
export async function runTrial(
  engine: TrialEngine,
  config: BenchConfig,
  cell: PlannedCell,
  task: Task,
  seedIndex: number,
  seed: number,
  names: { task: string; candidate: string },
  hooks: TrialHooks = {},
): Promise<TrialResult> {
  const phase = trainingPhase(config);
  const train = rowsOf(task, task.train);
  const val = task.val.rows > 0 ? rowsOf(task, task.val) : undefined;
  const memoryStart = hooks.memory?.() ?? 0;
  let peakMemory = memoryStart;
  const curve: CurvePoint[] = [];
  let diverged = false;
  const trained = await engine.train(
    {
      layers: cell.layers,
      inputShape: task.inputShape ?? [task.inputs],
      dtype: config.dtype,
      loss: task.kind === "regression" ? "mse" : "cross_entropy",
      phase,
      train,
      ...(val ? { val } : {}),
      seed,
      ...(config.fairness.mode === "time" ? { seconds: config.fairness.budget } : {}),
      valOutputsEachEpoch: task.kind === "classification",
    },
    (outcome) => {
      const point: CurvePoint = { epoch: outcome.epoch, trainLoss: outcome.trainLoss };
      if (outcome.valLoss !== undefined) {
        point.valLoss = outcome.valLoss;
        point.valMetric =
          task.kind === "regression"
            ? Math.sqrt(outcome.valLoss)
            : metricOf(task, metricsFromPredictions(task, task.val, outcome.valOutputs!));
      }
      curve.push(point);
      peakMemory = Math.max(peakMemory, hooks.memory?.() ?? 0);
      hooks.onEpoch?.(outcome.epoch + 1, phase.epochs, outcome.trainLoss);
    },
  );
  const epochs = curve.length;
  // the engine kept the epoch with the lowest validation loss (the last one without validation)
  let selectedEpoch = val ? 0 : epochs - 1;
  if (val)
    curve.forEach((p) => {
      if ((p.valLoss ?? Infinity) < (curve[selectedEpoch]?.valLoss ?? Infinity))
        selectedEpoch = p.epoch;
    });
  const score = async (split: Task["val"]) => {
    let predictions = await trained.predict(split.x, split.rows);
    if (diverged || !predictions.every(Number.isFinite)) {
      diverged = true;
      predictions = constantPredictions(task, split.rows);
    }
    return { predictions, metrics: metricsFromPredictions(task, split, predictions) };
  };
  let valScore: Awaited<ReturnType<typeof score>> | undefined;
  let testScore: Awaited<ReturnType<typeof score>>;
  let learned: LearnedActivationParam[] | undefined;
  try {
    valScore = val ? await score(task.val) : undefined;
    testScore = await score(task.test);
    // the state crosses to the host only for a model that has something to read
    if (hasLearnableActivationParams(cell.layers))
      learned = learnedActivationParams(cell.layers, await trained.state());
  } finally {
    trained.release();
  }
  const { trainingSeconds } = trained;
  const result: TrialResult = {
    task: names.task,
    candidate: names.candidate,
    seedIndex,
    seed,
    width: cell.width,
    params: cell.params,
    flops: cell.flops,
    trainFlops: cell.trainFlops,
    epochs,
    selectedEpoch,
    secondsPerEpoch: trainingSeconds / Math.max(1, epochs),
    throughput: (train.rows * epochs) / trainingSeconds,
    // the engine's own figure where it has one (torch: its Python process's peak RSS)
    peakMemoryBytes: trained.peakMemoryBytes ?? Math.max(0, peakMemory - memoryStart),
    curve,
    val: valScore
      ? { loss: valScore.metrics.loss, metric: metricOf(task, valScore.metrics) }
      : { loss: NaN, metric: NaN },
    test: { loss: testScore.metrics.loss, metric: metricOf(task, testScore.metrics) },
  };
  if (task.kind === "classification") {
    const classes = task.classes ?? 2;
    result.test.auc = rocAucMacro(
      softmaxRows(testScore.predictions, classes),
      task.test.y,
      classes,
    );
  }
  if (trained.gpuPeakMemoryBytes !== undefined)
    result.gpuPeakMemoryBytes = trained.gpuPeakMemoryBytes;
  if (diverged) result.diverged = true;
  if (learned) result.learned = learned;
  return result;
}
