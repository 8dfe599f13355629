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
 * Each stage (a file beside this one) returns a StageRecord {passed, stage, reason, code, seconds,
 * measures}; its thresholds are constants exported beside it. The engine must be started before
 * the stability and quality stages (and before the static stage of an expression with
 * statistics).
 */
import type { Activation } from "../../expr/ast.js";
import type { QualityOptions } from "./quality-check.js";
import { QualityRun } from "./quality-check.js";
import type { StabilityOptions } from "./stability-check.js";
import { stabilityCheck } from "./stability-check.js";
import type { RejectionStage, StageRecord } from "./stage.js";
import { DEFAULT_STAGE_ORDER } from "./stage.js";
import { staticCheck } from "./static-check.js";

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

  runStage(stage: RejectionStage, activation: Activation): StageRecord | Promise<StageRecord> {
    switch (stage) {
      case "static":
        return staticCheck(activation);
      case "stability":
        return stabilityCheck(activation, this.stabilityOptions);
      case "quality":
        return this.quality.check(activation);
    }
  }

  async screen(activation: Activation): Promise<ScreeningRecord> {
    const stages: StageRecord[] = [];
    for (const stage of this.stages) {
      const result = await this.runStage(stage, activation);
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
