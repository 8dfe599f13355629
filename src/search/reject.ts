/**
 * Rejection protocols: cheap tests that drop bad candidates before they cost a full trial
 * (EvoNorm, Liu et al. 2020, "Evolving Normalization-Activation Layers": a quality test after a
 * short training run and a stability test of gradients under perturbed weights), run cheapest
 * first and stopping at the first failure:
 *
 *   static     the function on a grid of [−6, 6]: NaN values or slopes, explosive values or
 *              growth, (near-)constant output, zero slope almost everywhere. Plain float64
 *              arithmetic for pointwise expressions; the compiled function (as
 *              src/analysis/properties.ts measures it) for expressions with statistics.
 *   stability  gradient norms of a small MLP at its initial weights and under small random
 *              perturbations of them (plus one along the gradient): NaN, explosion, or a spread of
 *              more than 100×.
 *   quality    a short training run on a small task next to ReLU on the same task and seed:
 *              rejected when the validation loss is clearly worse than ReLU's.
 *
 * Each stage returns a StageRecord {passed, stage, reason, code, seconds, measures}; thresholds
 * are the exported constants below. src/search stays free of Node built-ins, so the quality run
 * calls runTrial directly (executeTrialJob plans through the task catalog, which reads files).
 * The engine must be started before the stability and quality stages (and before the static
 * stage of an expression with statistics).
 */
import { grad, jit, numpy as np } from "@jax-js/jax";
import { measureProperties } from "../analysis/properties.js";
import { candidateLayers } from "../bench/candidates.js";
import { parseBenchConfig } from "../bench/config.js";
import type { TrialResult } from "../bench/results.js";
import { runTrial } from "../bench/trial.js";
import { Rng } from "../data/rng.js";
import { syntheticTask, xorShape } from "../data/synthetic.js";
import type { Task } from "../data/task.js";
import type { FloatDType } from "../engine/dtype.js";
import { arrayFrom } from "../engine/dtype.js";
import { borrowTree, disposeTree, takeValues } from "../engine/ownership.js";
import { keyFromSeed } from "../engine/random.js";
import type { Activation, Expr } from "../expr/ast.js";
import { dependsOnInput, isPointwise } from "../expr/ast.js";
import { derivative } from "../expr/derivative.js";
import { printActivation } from "../expr/print.js";
import { applyScalarOp, integerPower } from "../expr/scalar.js";
import { canonicalActivation } from "../expr/simplify.js";
import type { LayerSpec } from "../nn/definition.js";
import type { ArrayRecord } from "../nn/layer.js";
import { joinState, Model, splitState } from "../nn/model.js";
import { lossFunction } from "../train/loss.js";
import { rowsOf } from "../train/run-fit.js";

export type RejectionStage = "static" | "stability" | "quality";
export const DEFAULT_STAGE_ORDER: readonly RejectionStage[] = ["static", "stability", "quality"];

export type RejectionCode =
  | "not-evaluable"
  | "non-finite"
  | "explosive"
  | "constant"
  | "zero-gradient"
  | "gradient-non-finite"
  | "gradient-explodes"
  | "gradient-unstable"
  | "diverged"
  | "worse-than-baseline";

export interface StageRecord {
  passed: boolean;
  stage: RejectionStage;
  /** One line: why it failed, or the measures that let it pass. */
  reason: string;
  /** Set when the stage rejected the candidate. */
  code?: RejectionCode;
  /** Wall-clock seconds the stage took. */
  seconds: number;
  /** The numbers the decision was made on. */
  measures: Record<string, number>;
}

// ---- shared probes: the small task and MLP of the stability check, the quality run, proxies ----

/**
 * The default probe task: 2-D XOR (synthetic/xor, noise 0.1), 256 / 128 / 16 rows. XOR needs a
 * nonlinearity (a linear network stays at chance), and 12 epochs of a width-16 MLP learn it.
 */
export function defaultProbeTask(seed = 1): Task {
  return syntheticTask(xorShape(), {
    name: "synthetic/xor",
    train: 256,
    val: 128,
    test: 16,
    seed,
    noise: 0.1,
  });
}

export const outputsOf = (task: Task): number =>
  task.kind === "regression" ? task.outputs : (task.classes ?? 2);

/** An MLP of `depth` hidden dense layers of `width` units with the activation, and a linear head. */
export function probeLayers(
  activation: Activation,
  task: Task,
  width: number,
  depth: number,
): LayerSpec[] {
  const text = printActivation(activation);
  const hidden = Array.from({ length: depth }, () => ({
    type: "dense",
    units: width,
    activation: text,
  }));
  return [...hidden, { type: "dense", units: outputsOf(task) }];
}

/** The first `rows` training rows, as model rows (classification targets one-hot). */
export function probeBatch(
  task: Task,
  rows: number,
): { x: Float64Array; y: Float64Array; rows: number } {
  const all = rowsOf(task, task.train);
  const n = Math.min(rows, all.rows);
  const xWidth = all.x.length / all.rows;
  const yWidth = all.y.length / all.rows;
  return { x: all.x.slice(0, n * xWidth), y: all.y.slice(0, n * yWidth), rows: n };
}

// ---- plain float64 evaluation of pointwise expressions ---------------------------------------

/** The pointwise expression as a plain function of x (the semantics of src/expr/scalar.ts). */
export function scalarFunction(
  expr: Expr,
  params: Readonly<Record<string, number>>,
): (x: number) => number {
  switch (expr.kind) {
    case "input":
      return (x) => x;
    case "const": {
      const value = expr.value;
      return () => value;
    }
    case "param": {
      const value = params[expr.name];
      if (value === undefined) throw new Error(`no value for parameter '${expr.name}'`);
      return () => value;
    }
    case "pow": {
      const base = scalarFunction(expr.base, params);
      const exponent = expr.exponent;
      return (x) => integerPower(base(x), exponent);
    }
    case "stat":
      throw new Error(`${expr.op}(…) is a statistic: no scalar meaning`);
    case "call": {
      const op = expr.op;
      const args = expr.args.map((arg) => scalarFunction(arg, params));
      if (args.length === 1) {
        const [a] = args as [(x: number) => number];
        return (x) => applyScalarOp(op, [a(x)]);
      }
      return (x) =>
        applyScalarOp(
          op,
          args.map((arg) => arg(x)),
        );
    }
  }
}

/** Initial values of an activation's parameters. */
export function initialParams(activation: Activation): Record<string, number> {
  return Object.fromEntries(Object.entries(activation.params).map(([n, s]) => [n, s.init]));
}

/** φ and φ' as plain functions (pointwise activations only; φ' by the symbolic derivative). */
export function scalarFunctionAndSlope(activation: Activation): {
  value: (x: number) => number;
  slope: (x: number) => number;
} {
  const params = initialParams(activation);
  return {
    value: scalarFunction(activation.expr, params),
    slope: scalarFunction(derivative(activation.expr), params),
  };
}

// ---- stage 1: static checks ------------------------------------------------------------------

export const STATIC_THRESHOLDS = {
  interval: [-6, 6] as readonly [number, number],
  /** Grid points (spacing 0.01 on [−6, 6], 0 on the grid). */
  samples: 1201,
  /** |f(x)| or |f'(x)| above this anywhere on the grid is explosive. */
  maxMagnitude: 1e4,
  /**
   * Growth faster than x³: with M(r) = max over |x| ≤ r of |f(x)|, explosive when
   * log₂(M(6) / max(M(3), 1)) > 3.5 (x³ gives 3, eˣ 4.3, x⁴ 4).
   */
  maxGrowthExponent: 3.5,
  /** Near-constant: max f − min f < 1e-3 · max(1, max |f|). */
  minRelativeRange: 1e-3,
  /** Zero gradient almost everywhere: |f'| < 1e-6 on more than 90% of the grid. */
  flatSlope: 1e-6,
  maxFlatFraction: 0.9,
} as const;

/** Values and slopes on the grid: plain arithmetic when pointwise, the compiled function else. */
export function curveOf(
  activation: Activation,
  interval: readonly [number, number] = STATIC_THRESHOLDS.interval,
  samples: number = STATIC_THRESHOLDS.samples,
): { x: number[]; y: number[]; slope: number[] } {
  if (!isPointwise(activation.expr)) {
    const measured = measureProperties(activation, [interval[0], interval[1]], samples);
    return measured.curve;
  }
  const { value, slope } = scalarFunctionAndSlope(activation);
  const [low, high] = interval;
  const x = Array.from({ length: samples }, (_, i) => low + ((high - low) * i) / (samples - 1));
  return { x, y: x.map(value), slope: x.map(slope) };
}

const format = (value: number): string =>
  Number.isFinite(value) ? Number(value.toPrecision(3)).toString() : String(value);

function record(
  stage: RejectionStage,
  started: number,
  measures: Record<string, number>,
  failure?: { code: RejectionCode; reason: string },
  passReason = "",
): StageRecord {
  const seconds = (performance.now() - started) / 1000;
  if (failure)
    return { passed: false, stage, code: failure.code, reason: failure.reason, seconds, measures };
  return { passed: true, stage, reason: passReason, seconds, measures };
}

/** Stage 1: the static checks, in the order NaN → explosive → constant → zero gradient. */
export function staticCheck(activation: Activation): StageRecord {
  const started = performance.now();
  const t = STATIC_THRESHOLDS;
  if (!dependsOnInput(canonicalActivation(activation).expr))
    return record(
      "static",
      started,
      {},
      {
        code: "constant",
        reason: "constant: the canonical form does not depend on x",
      },
    );
  let curve: { x: number[]; y: number[]; slope: number[] };
  try {
    curve = curveOf(activation);
  } catch (error) {
    return record(
      "static",
      started,
      {},
      {
        code: "not-evaluable",
        reason: `not-evaluable: ${(error as Error).message}`,
      },
    );
  }
  const { x, y, slope } = curve;
  const maxAbs = (values: number[], where: (i: number) => boolean = () => true): number =>
    values.reduce((m, v, i) => (where(i) ? Math.max(m, Math.abs(v)) : m), 0);
  const valueMax = maxAbs(y);
  const slopeMax = maxAbs(slope);
  const within3 = maxAbs(y, (i) => Math.abs(x[i] as number) <= 3);
  const growth = Math.log2(valueMax / Math.max(within3, 1));
  const range = Math.max(...y) - Math.min(...y);
  const flatFraction = slope.filter((s) => Math.abs(s) < t.flatSlope).length / slope.length;
  const measures = { valueMax, slopeMax, growth, range, flatFraction };
  const nanAt = (values: number[]): number => values.findIndex(Number.isNaN);
  const fail = (code: RejectionCode, reason: string): StageRecord =>
    record("static", started, measures, { code, reason });
  const nanValue = nanAt(y);
  if (nanValue >= 0)
    return fail("non-finite", `non-finite: f(${format(x[nanValue] as number)}) is NaN`);
  if (!(valueMax <= t.maxMagnitude))
    return fail("explosive", `explosive: max |f| = ${format(valueMax)} > ${t.maxMagnitude}`);
  if (growth > t.maxGrowthExponent)
    return fail(
      "explosive",
      `explosive: growth exponent log2(M(6)/max(M(3),1)) = ${format(growth)} > ${t.maxGrowthExponent}`,
    );
  const nanSlope = nanAt(slope);
  if (nanSlope >= 0)
    return fail("non-finite", `non-finite: f'(${format(x[nanSlope] as number)}) is NaN`);
  if (!(slopeMax <= t.maxMagnitude))
    return fail("explosive", `explosive: max |f'| = ${format(slopeMax)} > ${t.maxMagnitude}`);
  if (range < t.minRelativeRange * Math.max(1, valueMax))
    return fail("constant", `constant: range ${format(range)} < 1e-3 · max(1, max |f|)`);
  if (flatFraction > t.maxFlatFraction)
    return fail(
      "zero-gradient",
      `zero-gradient: |f'| < 1e-6 on ${format(100 * flatFraction)}% of the grid`,
    );
  return record(
    "static",
    started,
    measures,
    undefined,
    `max |f| ${format(valueMax)}, max |f'| ${format(slopeMax)}, range ${format(range)}`,
  );
}

// ---- stage 2: stability of gradients -----------------------------------------------------------

export interface StabilityOptions {
  task?: Task;
  /** Rows of the probe batch (default 64). */
  rows?: number;
  width?: number;
  depth?: number;
  /** Random perturbations (default 5); one more is taken along the gradient. */
  perturbations?: number;
  /** ‖δ‖ = relativeSize · ‖θ‖ over all parameters (default 1e-2). */
  relativeSize?: number;
  seed?: number;
  /** Default float32 (float64 evaluates erf from elementary operations, ~10x slower). */
  dtype?: FloatDType;
}

export const STABILITY_THRESHOLDS = {
  /** Gradient norm (of the mean loss over the batch) above this is an explosion. */
  maxGradientNorm: 1e6,
  /** max / min gradient norm over the unperturbed and perturbed weights. */
  maxNormRatio: 100,
} as const;

export interface FlatParam {
  layer: number;
  name: string;
  shape: number[];
  values: Float64Array;
}

/** The values of a list of parameter records (consumed). */
export function flattenParams(params: ArrayRecord[]): FlatParam[] {
  return params.flatMap((record, layer) =>
    Object.entries(record).map(([name, array]) => ({
      layer,
      name,
      shape: [...array.shape],
      values: takeValues(array),
    })),
  );
}

export function arraysOf(flat: FlatParam[], layers: number, dtype: FloatDType): ArrayRecord[] {
  const records: ArrayRecord[] = Array.from({ length: layers }, () => ({}));
  for (const p of flat)
    (records[p.layer] as ArrayRecord)[p.name] = arrayFrom(p.values, p.shape, dtype);
  return records;
}

const norm = (parts: Float64Array[]): number =>
  Math.sqrt(parts.reduce((sum, part) => sum + part.reduce((s, v) => s + v * v, 0), 0));

/**
 * Gradient norms of the probe MLP's mean loss at its initial weights θ, at θ + δₖ for random
 * directions δₖ (‖δₖ‖ = relativeSize·‖θ‖), and at θ + relativeSize·‖θ‖·g/‖g‖ (a one-step
 * adversarial perturbation along the loss gradient g). float32 unless `dtype` says otherwise.
 */
export function perturbedGradientNorms(
  activation: Activation,
  options: StabilityOptions = {},
): number[] {
  const task = options.task ?? defaultProbeTask();
  const dtype: FloatDType = options.dtype ?? "float32";
  const width = options.width ?? 16;
  const depth = options.depth ?? 2;
  const seed = options.seed ?? 0;
  const relative = options.relativeSize ?? 1e-2;
  const model = new Model(
    probeLayers(activation, task, width, depth),
    task.inputShape ?? [task.inputs],
    dtype,
  );
  const state = model.init(keyFromSeed(seed));
  const { params, buffers } = splitState(state);
  const base = flattenParams(params);
  const batch = probeBatch(task, options.rows ?? 64);
  const x = arrayFrom(batch.x, [batch.rows, ...model.inputShape], dtype);
  const y = arrayFrom(batch.y, [batch.rows, batch.y.length / batch.rows], dtype);
  const loss = lossFunction(task.kind === "regression" ? "mse" : "cross_entropy");
  const gradientOf = jit(
    grad((p: ArrayRecord[], b: ArrayRecord[], xs: np.Array, ys: np.Array) =>
      loss(model.apply(joinState(p, b), xs), ys),
    ),
  );
  const gradientAt = (flat: FlatParam[]): Float64Array[] => {
    const grads = gradientOf(
      arraysOf(flat, model.layers.length, dtype),
      borrowTree(buffers),
      x.ref,
      y.ref,
    ) as ArrayRecord[];
    return flattenParams(grads).map((g) => g.values);
  };
  const shifted = (direction: Float64Array[]): FlatParam[] => {
    const scale = (relative * norm(base.map((p) => p.values))) / (norm(direction) || 1);
    return base.map((p, i) => ({
      ...p,
      values: p.values.map((v, j) => v + scale * ((direction[i] as Float64Array)[j] as number)),
    }));
  };
  try {
    const g0 = gradientAt(base);
    const norms = [norm(g0)];
    const rng = new Rng(seed, 1);
    for (let k = 0; k < (options.perturbations ?? 5); k++) {
      const direction = base.map((p) => p.values.map(() => rng.normal()));
      norms.push(norm(gradientAt(shifted(direction))));
    }
    if (Number.isFinite(norms[0]) && (norms[0] as number) > 0)
      norms.push(norm(gradientAt(shifted(g0))));
    return norms;
  } finally {
    gradientOf.dispose();
    x.dispose();
    y.dispose();
    disposeTree(buffers);
  }
}

/** Stage 2: gradients at and around the initial weights stay finite, bounded and alike. */
export function stabilityCheck(
  activation: Activation,
  options: StabilityOptions = {},
): StageRecord {
  const started = performance.now();
  const t = STABILITY_THRESHOLDS;
  let norms: number[];
  try {
    norms = perturbedGradientNorms(activation, options);
  } catch (error) {
    return record(
      "stability",
      started,
      {},
      {
        code: "not-evaluable",
        reason: `not-evaluable: ${(error as Error).message}`,
      },
    );
  }
  const largest = Math.max(...norms);
  const smallest = Math.min(...norms);
  const ratio = largest === 0 ? 1 : largest / smallest;
  const measures = { baseNorm: norms[0] as number, largest, smallest, ratio };
  const fail = (code: RejectionCode, reason: string): StageRecord =>
    record("stability", started, measures, { code, reason });
  if (norms.some((n) => !Number.isFinite(n)))
    return fail("gradient-non-finite", "gradient not finite at or near the initial weights");
  if (largest > t.maxGradientNorm)
    return fail("gradient-explodes", `gradient norm ${format(largest)} > ${t.maxGradientNorm}`);
  if (ratio > t.maxNormRatio)
    return fail(
      "gradient-unstable",
      `gradient norm varies ${format(ratio)}× under 1% weight perturbations (> ${t.maxNormRatio}×)`,
    );
  return record(
    "stability",
    started,
    measures,
    undefined,
    `gradient norms within ${format(ratio)}×`,
  );
}

// ---- stage 3: a short quality run against ReLU ---------------------------------------------------

export interface QualityOptions {
  task?: Task;
  /** Seed of the trial (weights and shuffling), the same for the candidate and the baseline. */
  seed?: number;
  epochs?: number;
  width?: number;
  depth?: number;
  batchSize?: number;
  learningRate?: number;
  /** The reference activation (default "relu"). */
  baseline?: string;
  dtype?: FloatDType;
}

export const QUALITY_THRESHOLDS = {
  /** Rejected when val loss > maxLossRatio · baseline val loss + lossSlack. */
  maxLossRatio: 1.5,
  /** Absolute slack, so near-zero baseline losses do not reject on noise. */
  lossSlack: 1e-3,
} as const;

/**
 * Stage 3: trains the candidate and the baseline (once, cached) with the bench protocol's trial
 * (runTrial: shuffled mini-batches, Adam, the epoch of lowest validation loss kept) and compares
 * validation losses. Defaults: XOR task, 2 × 16 hidden units, 12 epochs, batch 32, Adam lr 0.02,
 * float32 — ReLU, SiLU, GELU and tanh reach validation cross-entropy ≈ 0.16–0.21 on it, a linear
 * network stays at ln 2 ≈ 0.69.
 */
export class QualityRun {
  readonly task: Task;
  private readonly options: Required<Omit<QualityOptions, "task">>;
  private baseline: TrialResult | undefined;
  /** Seconds the baseline run took (spent once per QualityRun). */
  baselineSeconds = 0;

  constructor(options: QualityOptions = {}) {
    this.task = options.task ?? defaultProbeTask();
    this.options = {
      seed: options.seed ?? 1,
      epochs: options.epochs ?? 12,
      width: options.width ?? 16,
      depth: options.depth ?? 2,
      batchSize: options.batchSize ?? 32,
      learningRate: options.learningRate ?? 0.02,
      baseline: options.baseline ?? "relu",
      dtype: options.dtype ?? "float32",
    };
  }

  /** One trial of the activation (a zoo name or expression text) on the task. */
  trial(activationText: string): TrialResult {
    const o = this.options;
    const config = parseBenchConfig({
      name: "quality-run",
      tasks: [this.task.name],
      candidates: [{ activation: activationText }],
      seeds: 1,
      fairness: { mode: "none" },
      network: { depth: o.depth, width: o.width },
      training: {
        optimizer: { name: "adam", lr: o.learningRate },
        epochs: o.epochs,
        batch_size: o.batchSize,
        patience: 0,
      },
      dtype: o.dtype,
    });
    const inputShape = this.task.inputShape ?? [this.task.inputs];
    const layers = candidateLayers(
      config.candidates[0]!,
      { inputShape, outputs: outputsOf(this.task), depth: o.depth },
      o.width,
    );
    const model = new Model(layers, inputShape, o.dtype);
    const flops = model.flops();
    return runTrial(
      config,
      {
        task: 0,
        candidate: 0,
        width: o.width,
        layers,
        params: model.paramCount(),
        flops: flops.forward,
        trainFlops: flops.forward + flops.backward,
      },
      this.task,
      0,
      o.seed,
      { task: this.task.name, candidate: activationText },
    );
  }

  /** The baseline's trial (run on first use). */
  baselineResult(): TrialResult {
    if (!this.baseline) {
      const started = performance.now();
      this.baseline = this.trial(this.options.baseline);
      this.baselineSeconds = (performance.now() - started) / 1000;
    }
    return this.baseline;
  }

  check(activation: Activation): StageRecord {
    const reference = this.baselineResult().val.loss;
    const started = performance.now();
    let result: TrialResult;
    try {
      result = this.trial(printActivation(activation));
    } catch (error) {
      return record(
        "quality",
        started,
        {},
        {
          code: "not-evaluable",
          reason: `not trainable: ${(error as Error).message}`,
        },
      );
    }
    const loss = result.val.loss;
    const limit = QUALITY_THRESHOLDS.maxLossRatio * reference + QUALITY_THRESHOLDS.lossSlack;
    const measures = { valLoss: loss, baselineValLoss: reference, ratio: loss / reference };
    const fail = (code: RejectionCode, reason: string): StageRecord =>
      record("quality", started, measures, { code, reason });
    if (result.diverged || !Number.isFinite(loss))
      return fail("diverged", "training diverged (non-finite loss)");
    if (loss > limit)
      return fail(
        "worse-than-baseline",
        `val loss ${format(loss)} > ${QUALITY_THRESHOLDS.maxLossRatio} × ${this.options.baseline}'s ${format(reference)}`,
      );
    return record(
      "quality",
      started,
      measures,
      undefined,
      `val loss ${format(loss)} vs ${this.options.baseline}'s ${format(reference)}`,
    );
  }
}

// ---- the pipeline ------------------------------------------------------------------------------

export interface ScreeningOptions {
  /** Stages to run, in order (default static, stability, quality: cheapest first). */
  stages?: readonly RejectionStage[];
  stability?: StabilityOptions;
  /** A QualityRun to share (its baseline is trained once), or options for a new one. */
  quality?: QualityRun | QualityOptions;
}

export interface ScreeningRecord {
  passed: boolean;
  /** The stage that rejected the candidate. */
  rejectedAt?: RejectionStage;
  /** One record per stage run, in order. */
  stages: StageRecord[];
  seconds: number;
}

/** Runs the stages in order and stops at the first rejection. Keep one Screener per search, so
 * the quality baseline is trained once. */
export class Screener {
  readonly stages: readonly RejectionStage[];
  private readonly stabilityOptions: StabilityOptions;
  private readonly qualityOptions: QualityRun | QualityOptions;
  private qualityRun: QualityRun | undefined;

  constructor(options: ScreeningOptions = {}) {
    this.stages = options.stages ?? DEFAULT_STAGE_ORDER;
    this.stabilityOptions = options.stability ?? {};
    this.qualityOptions = options.quality ?? {};
  }

  get quality(): QualityRun {
    if (!this.qualityRun)
      this.qualityRun =
        this.qualityOptions instanceof QualityRun
          ? this.qualityOptions
          : new QualityRun(this.qualityOptions);
    return this.qualityRun;
  }

  runStage(stage: RejectionStage, activation: Activation): StageRecord {
    switch (stage) {
      case "static":
        return staticCheck(activation);
      case "stability":
        return stabilityCheck(activation, this.stabilityOptions);
      case "quality":
        return this.quality.check(activation);
    }
  }

  screen(activation: Activation): ScreeningRecord {
    const stages: StageRecord[] = [];
    for (const stage of this.stages) {
      const result = this.runStage(stage, activation);
      stages.push(result);
      if (!result.passed) break;
    }
    const last = stages[stages.length - 1];
    const passed = last?.passed ?? true;
    return {
      passed,
      ...(passed ? {} : { rejectedAt: last?.stage }),
      stages,
      seconds: stages.reduce((sum, s) => sum + s.seconds, 0),
    };
  }
}

export interface ScreeningSummary {
  candidates: number;
  passed: number;
  perStage: Record<
    string,
    {
      ran: number;
      rejected: number;
      seconds: number;
      meanSeconds: number;
      codes: Record<string, number>;
    }
  >;
  /** Seconds spent on all stages. */
  seconds: number;
  /**
   * Seconds the rejections saved: for each rejected candidate, the mean measured cost of the
   * stages it skipped, plus `fullEvaluationSeconds` (what a full trial would have cost).
   */
  savedSeconds: number;
}

/** Counts per stage and the time the early rejections saved. */
export function summariseScreening(
  records: readonly ScreeningRecord[],
  fullEvaluationSeconds = 0,
  order: readonly RejectionStage[] = DEFAULT_STAGE_ORDER,
): ScreeningSummary {
  const perStage: ScreeningSummary["perStage"] = {};
  for (const stage of order)
    perStage[stage] = { ran: 0, rejected: 0, seconds: 0, meanSeconds: 0, codes: {} };
  for (const r of records)
    for (const s of r.stages) {
      const entry = (perStage[s.stage] ??= {
        ran: 0,
        rejected: 0,
        seconds: 0,
        meanSeconds: 0,
        codes: {},
      });
      entry.ran++;
      entry.seconds += s.seconds;
      if (!s.passed) {
        entry.rejected++;
        if (s.code) entry.codes[s.code] = (entry.codes[s.code] ?? 0) + 1;
      }
    }
  for (const entry of Object.values(perStage))
    entry.meanSeconds = entry.ran > 0 ? entry.seconds / entry.ran : 0;
  let savedSeconds = 0;
  for (const r of records) {
    if (r.passed || !r.rejectedAt) continue;
    const skipped = order.slice(order.indexOf(r.rejectedAt) + 1);
    savedSeconds += skipped.reduce((sum, stage) => sum + (perStage[stage]?.meanSeconds ?? 0), 0);
    savedSeconds += fullEvaluationSeconds;
  }
  return {
    candidates: records.length,
    passed: records.filter((r) => r.passed).length,
    perStage,
    seconds: records.reduce((sum, r) => sum + r.seconds, 0),
    savedSeconds,
  };
}
