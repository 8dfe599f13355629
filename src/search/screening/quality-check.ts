/**
 * Rejection stage 3, quality (EvoNorm's quality test): a short training run on a small task next
 * to ReLU on the same task and seed; rejected when the validation loss is clearly worse than
 * ReLU's. src/search stays free of Node built-ins, so the run calls runTrial directly
 * (executeTrialJob plans through the task catalog, which reads files). The engine must be started.
 */
import { candidateLayers } from "../../bench/candidates.js";
import { parseBenchConfig } from "../../bench/config.js";
import type { TrialResult } from "../../bench/results.js";
import { runTrial } from "../../bench/trial.js";
import { jaxEngine } from "../../train/jax-engine.js";
import type { Task } from "../../data/task.js";
import type { FloatDType } from "../../engine/dtype.js";
import type { Activation } from "../../expr/ast.js";
import { printActivation } from "../../expr/print.js";
import { Model } from "../../nn/model.js";
import { defaultProbeTask, outputsOf } from "../probes.js";
import type { RejectionCode, StageRecord } from "./stage.js";
import { formatMeasure, stageRecord } from "./stage.js";

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
  private baseline: Promise<TrialResult> | undefined;
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
  trial(activationText: string): Promise<TrialResult> {
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
      jaxEngine,
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
  baselineResult(): Promise<TrialResult> {
    if (!this.baseline) {
      const started = performance.now();
      this.baseline = this.trial(this.options.baseline).then((result) => {
        this.baselineSeconds = (performance.now() - started) / 1000;
        return result;
      });
    }
    return this.baseline;
  }

  async check(activation: Activation): Promise<StageRecord> {
    const reference = (await this.baselineResult()).val.loss;
    const started = performance.now();
    let result: TrialResult;
    try {
      result = await this.trial(printActivation(activation));
    } catch (error) {
      return stageRecord(
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
      stageRecord("quality", started, measures, { code, reason });
    if (result.diverged || !Number.isFinite(loss))
      return fail("diverged", "training diverged (non-finite loss)");
    if (loss > limit)
      return fail(
        "worse-than-baseline",
        `val loss ${formatMeasure(loss)} > ${QUALITY_THRESHOLDS.maxLossRatio} × ${this.options.baseline}'s ${formatMeasure(reference)}`,
      );
    return stageRecord(
      "quality",
      started,
      measures,
      undefined,
      `val loss ${formatMeasure(loss)} vs ${this.options.baseline}'s ${formatMeasure(reference)}`,
    );
  }
}
