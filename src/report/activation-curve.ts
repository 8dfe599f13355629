/**
 * f and f′ of an activation on a grid, in plain numbers (no engine, so a report can be written
 * from results.json alone), by the plain evaluator of src/expr/evaluate.ts: operations mean what
 * src/expr/scalar.ts says (the meaning constant folding uses), parameters take their initial
 * values (or the values given: a learned shape), and f′ is the symbolic derivative
 * (src/expr/derivative.ts: surrogate forms show the surrogate's slope, as training sees it).
 *
 * A context-dependent activation (statistics over an axis) is drawn as `nonlin act show` measures
 * it: unit 0 of a row whose other CONTEXT_WIDTH − 1 units are fixed standard-normal neighbours,
 * every grid point one row of the batch; its slope is a central difference in unit 0 (exact
 * for feature/instance statistics; with `batch` statistics every row moves at once, so the slope
 * also carries the batch statistic's own shift).
 */
import { CONTEXT_WIDTH, standardNormalNeighbours } from "../analysis/context.js";
import type { Activation, Expr } from "../expr/ast.js";
import { isPointwise } from "../expr/ast.js";
import { derivative } from "../expr/derivative.js";
import { ColumnEvaluator, compileProgram, initialParamValues } from "../expr/evaluate.js";

const DIFFERENCE_STEP = 1e-5;

export interface ActivationCurve {
  x: number[];
  y: number[];
  slope: number[];
  contextDependent: boolean;
}

/** Values of unit 0 for each grid point (each point one row, neighbours fixed). */
function unitZero(
  expr: Expr,
  grid: readonly number[],
  width: number,
  params: Record<string, number>,
): number[] {
  const neighbours = standardNormalNeighbours(width - 1);
  const data = Float64Array.from(grid.flatMap((value) => [value, ...neighbours]));
  const program = compileProgram(expr, { input: 0, params, statistics: true });
  const out = new ColumnEvaluator([data], width).run(program);
  return grid.map((_, i) => out[i * width] as number);
}

/** Equally spaced grid with `samples` points on [low, high]. */
export function gridOf(low: number, high: number, samples: number): number[] {
  return Array.from({ length: samples }, (_, i) => low + ((high - low) * i) / (samples - 1));
}

/**
 * f and f′ of an activation on [low, high], parameters at their initial values unless `values`
 * gives others (a learned β).
 */
export function activationCurve(
  activation: Activation,
  interval: readonly [number, number] = [-4, 4],
  samples = 401,
  values: Readonly<Record<string, number>> = {},
): ActivationCurve {
  const x = gridOf(interval[0], interval[1], samples);
  const params = { ...initialParamValues(activation), ...values };
  if (isPointwise(activation.expr)) {
    return {
      x,
      y: unitZero(activation.expr, x, 1, params),
      slope: unitZero(derivative(activation.expr), x, 1, params),
      contextDependent: false,
    };
  }
  const y = unitZero(activation.expr, x, CONTEXT_WIDTH, params);
  const above = unitZero(
    activation.expr,
    x.map((v) => v + DIFFERENCE_STEP),
    CONTEXT_WIDTH,
    params,
  );
  const below = unitZero(
    activation.expr,
    x.map((v) => v - DIFFERENCE_STEP),
    CONTEXT_WIDTH,
    params,
  );
  const slope = x.map(
    (_, i) => ((above[i] as number) - (below[i] as number)) / (2 * DIFFERENCE_STEP),
  );
  return { x, y, slope, contextDependent: true };
}
