/**
 * What a `nonlin bench` run produces (`results.json`): every trial with its cost and learning
 * curve, and the statistics over seeds. The report writers (Markdown, HTML, terminal) read only
 * this, so a report can be rebuilt from a saved results.json.
 */
import type { TaskFamily, TaskMetric } from "../data/catalog-entry.js";
import type { TaskKind } from "../data/task.js";
import type { LearnedActivationParam, SharingName } from "../train/learned-activations.js";

export type FairnessMode = "params" | "flops" | "time" | "none";

export interface BenchTaskInfo {
  name: string;
  family: TaskFamily;
  kind: TaskKind;
  metric: TaskMetric;
  inputShape: number[];
  outputs: number;
  description: string;
  rows: { train: number; val: number; test: number };
}

export interface BenchCandidateInfo {
  name: string;
  /** "activation": the zoo/expression on the config's MLP template; "layer": a layer type; "model": a whole spec. */
  kind: "activation" | "layer" | "model";
  /** Is this a member of the KAN family (for the kan-vs-mlp question)? */
  group: string;
  description: string;
  /** For activation candidates: the expression (canonical text), to plot its shape. */
  expression?: string;
}

export interface CurvePoint {
  epoch: number;
  trainLoss: number;
  valLoss?: number;
  /** Validation metric (rmse or accuracy) after this epoch. */
  valMetric?: number;
}

export interface TrialResult {
  task: string;
  candidate: string;
  /** Index of the seed in 0..seeds−1 and the derived seed actually used (per trial, order-free). */
  seedIndex: number;
  seed: number;
  /** Hidden width chosen by the width solver (undefined for fixed model specs). */
  width?: number;
  params: number;
  /** Forward FLOPs per sample, and forward+backward per sample (convention: multiply-add = 2). */
  flops: number;
  trainFlops: number;
  epochs: number;
  /** Epoch whose parameters were kept (lowest validation loss). */
  selectedEpoch: number;
  secondsPerEpoch: number;
  /** Training samples per second. */
  throughput: number;
  /**
   * Peak memory of the trial, in bytes: on the jax engine the peak growth of the process's
   * resident memory during the trial; on the torch engine its Python process's peak resident
   * memory during the training (the engine's own figure, `TrainedModel.peakMemoryBytes`).
   */
  peakMemoryBytes: number;
  /** On CUDA (torch engine): the peak bytes allocated on the device during the training. */
  gpuPeakMemoryBytes?: number;
  curve: CurvePoint[];
  val: { loss: number; metric: number };
  /** Computed once, after selection. `auc`: macro one-vs-rest ROC AUC (classification). */
  test: { loss: number; metric: number; auc?: number };
  /** Set when training diverged (non-finite loss): metrics are then the worst possible. */
  diverged?: boolean;
  /**
   * The learnable activation parameters of the selected epoch's model (a Swish's β…), in layer
   * order; absent when the model has none.
   */
  learned?: LearnedActivationParam[];
}

/** One learned activation parameter of a candidate on a task, over its seeds. */
export interface LearnedParamSummary {
  /** `layers[<layer>].<state name>`, as in the trials' `learned`. */
  name: string;
  layer: number;
  /** The activation with its parameters at their initial values (parseable). */
  activation: string;
  parameter: string;
  sharing: SharingName;
  initial: number;
  /** Seeds whose value is finite (a diverged trial's may not be). */
  n: number;
  /**
   * Mean and sample sd over seeds of the trial's value; per channel or per neuron, of the trial's
   * mean over its values.
   */
  mean: number;
  sd: number;
  /** Smallest and largest single value seen over every seed (and channel or neuron). */
  min: number;
  max: number;
}

export interface CandidateSummary {
  task: string;
  candidate: string;
  n: number;
  mean: number;
  sd: number;
  ci95: [number, number];
  params: number;
  flops: number;
  secondsPerEpoch: number;
  /** Paired Wilcoxon signed-rank test against the baseline across seeds, Holm-adjusted. */
  vsBaseline?: { pValue: number; pHolm: number; better: boolean; significant: boolean };
  /** (metric − mean metric of all candidates) signed so that positive is better, in % of that mean. */
  improvementOverRandom: number;
  /** Classification: mean test AUC / log10(params). */
  parameterEfficiency?: number;
  /** The candidate's learned activation parameters (absent when it has none). */
  learned?: LearnedParamSummary[];
}

export interface RankSummary {
  candidate: string;
  averageRank: number;
}

export interface FamilyVerdict {
  family: TaskFamily;
  /** e.g. "KAN family better on 2 of 3 tasks (1 significant)" */
  text: string;
  kanWins: number;
  mlpWins: number;
  tasks: number;
}

export interface BenchResults {
  version: 1;
  name: string;
  fairness: { mode: FairnessMode; budget: number };
  baseline: string;
  seeds: number;
  started: string;
  finished: string;
  /** `engine` and `versions` only for an engine other than jax (docs/engines.md). */
  machine: {
    cpus: number;
    platform: string;
    node: string;
    device: string;
    engine?: string;
    versions?: Record<string, string>;
  };
  tasks: BenchTaskInfo[];
  candidates: BenchCandidateInfo[];
  trials: TrialResult[];
  summaries: CandidateSummary[];
  ranks: RankSummary[];
  /** Nemenyi critical difference of average ranks at α = 0.05 (needs ≥ 2 tasks). */
  criticalDifference?: number;
  /** Friedman test p-value over tasks (needs ≥ 2 tasks and ≥ 2 candidates). */
  friedmanP?: number;
  /** Present when the config has both KAN-family and MLP candidates. */
  verdicts?: FamilyVerdict[];
}
