/** What a rejection stage (src/search/screening) gives back: a StageRecord, and its helpers. */

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

/** A measure in a reason: three significant digits. */
export const formatMeasure = (value: number): string =>
  Number.isFinite(value) ? Number(value.toPrecision(3)).toString() : String(value);

/** The record of a stage that ran since `started` (performance.now()): failed when `failure` is given. */
export function stageRecord(
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
