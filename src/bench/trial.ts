/**
 * One trial of the protocol: one candidate, one task, one seed. Shuffled mini-batches, the
 * parameters of the epoch with the lowest validation loss kept (never test data), then the test
 * split scored exactly once. Cost is measured on the way: seconds per epoch, throughput, peak
 * memory growth.
 */
import type { Task } from "../data/task.js";
import { keyFromSeed } from "../engine/random.js";
import { disposeState, splitState } from "../nn/model.js";
import type { GradientPhase } from "../train/fit-spec.js";
import { fitGradient } from "../train/gradient-fit.js";
import type { SplitMetrics } from "../train/run-fit.js";
import { metricsFromPredictions, predictionsOf, rowsOf } from "../train/run-fit.js";
import type { BenchConfig } from "./config.js";
import type { PlannedCell } from "./plan.js";
import type { CurvePoint, TrialResult } from "./results.js";
import { rocAucMacro } from "./stats.js";
import { trialKernels } from "./trial-kernels.js";

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

export function runTrial(
  config: BenchConfig,
  cell: PlannedCell,
  task: Task,
  seedIndex: number,
  seed: number,
  names: { task: string; candidate: string },
  hooks: TrialHooks = {},
): TrialResult {
  const inputShape = task.inputShape ?? [task.inputs];
  const loss = task.kind === "regression" ? "mse" : "cross_entropy";
  const phase = trainingPhase(config);
  const { kernels, release } = trialKernels({
    layers: cell.layers,
    inputShape,
    dtype: config.dtype,
    loss,
    optimizer: phase.optimizer,
  });
  const { model, forward } = kernels;
  const train = rowsOf(task, task.train);
  const val = task.val.rows > 0 ? rowsOf(task, task.val) : undefined;
  const memoryStart = hooks.memory?.() ?? 0;
  let peakMemory = memoryStart;
  const curve: CurvePoint[] = [];
  let diverged = false;
  const started = performance.now();
  let evaluationSeconds = 0;
  const initial = model.init(keyFromSeed(seed));
  const state = fitGradient(
    model,
    initial,
    train,
    val,
    phase,
    loss,
    seed,
    (report, epochState) => {
      const point: CurvePoint = { epoch: report.epoch, trainLoss: report.trainLoss };
      if (report.valLoss !== undefined) {
        point.valLoss = report.valLoss;
        // scoring the curve is reporting, not training: its time is left out of s/epoch
        const evalStart = performance.now();
        point.valMetric =
          task.kind === "regression"
            ? Math.sqrt(report.valLoss)
            : metricOf(
                task,
                metricsFromPredictions(
                  task,
                  task.val,
                  predictionsOf(model, epochState, task.val, forward),
                ),
              );
        evaluationSeconds += (performance.now() - evalStart) / 1000;
      }
      curve.push(point);
      peakMemory = Math.max(peakMemory, hooks.memory?.() ?? 0);
      hooks.onEpoch?.(report.epoch + 1, phase.epochs, report.trainLoss);
    },
    {
      forward,
      step: kernels.step(splitState(initial).params),
      ...(config.fairness.mode === "time" ? { seconds: config.fairness.budget } : {}),
    },
  );
  const trainingSeconds = Math.max(1e-9, (performance.now() - started) / 1000 - evaluationSeconds);
  const epochs = curve.length;
  // fitGradient kept the epoch with the lowest validation loss (the last one without validation)
  let selectedEpoch = val ? 0 : epochs - 1;
  if (val)
    curve.forEach((p) => {
      if ((p.valLoss ?? Infinity) < (curve[selectedEpoch]?.valLoss ?? Infinity))
        selectedEpoch = p.epoch;
    });
  const score = (split: Task["val"]) => {
    let predictions = predictionsOf(model, state, split, forward);
    if (diverged || !predictions.every(Number.isFinite)) {
      diverged = true;
      predictions = constantPredictions(task, split.rows);
    }
    return { predictions, metrics: metricsFromPredictions(task, split, predictions) };
  };
  const valScore = val ? score(task.val) : undefined;
  const testScore = score(task.test);
  release();
  disposeState(state);
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
    peakMemoryBytes: Math.max(0, peakMemory - memoryStart),
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
  if (diverged) result.diverged = true;
  return result;
}
