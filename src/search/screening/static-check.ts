/**
 * Rejection stage 1, static checks: the function on a grid of [−6, 6] — NaN values or slopes,
 * explosive values or growth, (near-)constant output, zero slope almost everywhere. Plain float64
 * arithmetic (src/expr/evaluate.ts) for pointwise expressions; the compiled function (as
 * src/analysis/properties.ts measures it, so the engine must be started) for expressions with
 * statistics.
 */
import { measureProperties } from "../../analysis/properties.js";
import type { Activation } from "../../expr/ast.js";
import { dependsOnInput, isPointwise } from "../../expr/ast.js";
import { scalarFunctionAndSlope } from "../../expr/evaluate.js";
import { canonicalActivation } from "../../expr/simplify.js";
import type { RejectionCode, StageRecord } from "./stage.js";
import { formatMeasure, stageRecord } from "./stage.js";

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

/** Stage 1: the static checks, in the order NaN → explosive → constant → zero gradient. */
export function staticCheck(activation: Activation): StageRecord {
  const started = performance.now();
  const t = STATIC_THRESHOLDS;
  if (!dependsOnInput(canonicalActivation(activation).expr))
    return stageRecord(
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
    return stageRecord(
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
    stageRecord("static", started, measures, { code, reason });
  const nanValue = nanAt(y);
  if (nanValue >= 0)
    return fail("non-finite", `non-finite: f(${formatMeasure(x[nanValue] as number)}) is NaN`);
  if (!(valueMax <= t.maxMagnitude))
    return fail("explosive", `explosive: max |f| = ${formatMeasure(valueMax)} > ${t.maxMagnitude}`);
  if (growth > t.maxGrowthExponent)
    return fail(
      "explosive",
      `explosive: growth exponent log2(M(6)/max(M(3),1)) = ${formatMeasure(growth)} > ${t.maxGrowthExponent}`,
    );
  const nanSlope = nanAt(slope);
  if (nanSlope >= 0)
    return fail("non-finite", `non-finite: f'(${formatMeasure(x[nanSlope] as number)}) is NaN`);
  if (!(slopeMax <= t.maxMagnitude))
    return fail(
      "explosive",
      `explosive: max |f'| = ${formatMeasure(slopeMax)} > ${t.maxMagnitude}`,
    );
  if (range < t.minRelativeRange * Math.max(1, valueMax))
    return fail("constant", `constant: range ${formatMeasure(range)} < 1e-3 · max(1, max |f|)`);
  if (flatFraction > t.maxFlatFraction)
    return fail(
      "zero-gradient",
      `zero-gradient: |f'| < 1e-6 on ${formatMeasure(100 * flatFraction)}% of the grid`,
    );
  return stageRecord(
    "static",
    started,
    measures,
    undefined,
    `max |f| ${formatMeasure(valueMax)}, max |f'| ${formatMeasure(slopeMax)}, range ${formatMeasure(range)}`,
  );
}
