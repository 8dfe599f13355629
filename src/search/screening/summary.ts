/** What screening a search's candidates cost and saved: counts per stage and seconds. */
import type { ScreeningRecord } from "./screener.js";
import type { RejectionStage } from "./stage.js";
import { DEFAULT_STAGE_ORDER } from "./stage.js";

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
export function summarizeScreening(
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
