/**
 * f and f′ of an activation on a grid, in plain numbers (no engine, so a report can be written
 * from results.json alone). Operations mean what src/expr/scalar.ts says they mean (the meaning
 * constant folding uses), parameters take their initial values, and f′ is the symbolic derivative
 * (src/expr/derivative.ts: surrogate forms show the surrogate's slope, as training sees it).
 *
 * A context-dependent activation (statistics over an axis) is drawn as `nonlin act show` measures
 * it: unit 0 of a row whose other CONTEXT_WIDTH − 1 units are fixed standard-normal neighbours,
 * every grid point one row of the batch; its slope is a central difference in unit 0 (exact
 * for feature/instance statistics; with `batch` statistics every row moves at once, so the slope
 * also carries the batch statistic's own shift).
 */
import type { Activation, Expr, StatAxis, StatOp } from "../expr/ast.js";
import { isPointwise, SAFE_EPSILON } from "../expr/ast.js";
import { derivative } from "../expr/derivative.js";
import { applyScalarOp, integerPower } from "../expr/scalar.js";

/** Same width and neighbours as src/analysis/properties.ts (kept engine-free here). */
const CONTEXT_WIDTH = 64;
const DIFFERENCE_STEP = 1e-5;

export interface ActivationCurve {
  x: number[];
  y: number[];
  slope: number[];
  contextDependent: boolean;
}

/** A [rows, cols] table of numbers, row-major. */
interface Table {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A fixed standard-normal sample (Box–Muller on a small LCG), as src/analysis/properties.ts. */
function standardNormalNeighbours(count: number): number[] {
  let state = 12345;
  const uniform = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  return Array.from(
    { length: count },
    () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  );
}

function reduce(op: StatOp, values: number[]): number {
  const mean = (v: number[]): number => v.reduce((s, a) => s + a, 0) / v.length;
  const variance = (v: number[]): number => {
    const m = mean(v);
    return mean(v.map((a) => (a - m) ** 2));
  };
  switch (op) {
    case "mean":
      return mean(values);
    case "var":
      return variance(values);
    case "std":
      return Math.sqrt(Math.max(variance(values), SAFE_EPSILON));
    case "rms":
      return Math.sqrt(Math.max(mean(values.map((a) => a * a)), SAFE_EPSILON));
    case "amax":
      return Math.max(...values);
  }
}

/** A statistic broadcast back over the table: per row (feature, instance) or per column (batch). */
function statistic(op: StatOp, axis: StatAxis, t: Table): Table {
  const out = new Float64Array(t.data.length);
  const perColumn = axis === "batch";
  const groups = perColumn ? t.cols : t.rows;
  const size = perColumn ? t.rows : t.cols;
  const at = (g: number, k: number): number => (perColumn ? k * t.cols + g : g * t.cols + k);
  for (let g = 0; g < groups; g++) {
    const values = Array.from({ length: size }, (_, k) => t.data[at(g, k)] as number);
    const value = reduce(op, values);
    for (let k = 0; k < size; k++) out[at(g, k)] = value;
  }
  return { ...t, data: out };
}

function evaluate(expr: Expr, input: Table, params: Readonly<Record<string, number>>): Table {
  const filled = (value: number): Table => ({
    ...input,
    data: new Float64Array(input.data.length).fill(value),
  });
  switch (expr.kind) {
    case "input":
      return input;
    case "const":
      return filled(expr.value);
    case "param":
      return filled(params[expr.name] ?? NaN);
    case "pow": {
      const base = evaluate(expr.base, input, params);
      return { ...base, data: base.data.map((a) => integerPower(a, expr.exponent)) };
    }
    case "stat":
      return statistic(expr.op, expr.axis, evaluate(expr.arg, input, params));
    case "call": {
      const args = expr.args.map((arg) => evaluate(arg, input, params).data);
      const data = new Float64Array(input.data.length);
      for (let i = 0; i < data.length; i++) {
        data[i] = applyScalarOp(
          expr.op,
          args.map((a) => a[i] as number),
        );
      }
      return { ...input, data };
    }
  }
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
  const out = evaluate(expr, { rows: grid.length, cols: width, data }, params);
  return grid.map((_, i) => out.data[i * width] as number);
}

/** Equally spaced grid with `samples` points on [low, high]. */
export function gridOf(low: number, high: number, samples: number): number[] {
  return Array.from({ length: samples }, (_, i) => low + ((high - low) * i) / (samples - 1));
}

/** f and f′ of an activation on [low, high], parameters at their initial values. */
export function activationCurve(
  activation: Activation,
  interval: readonly [number, number] = [-4, 4],
  samples = 401,
): ActivationCurve {
  const x = gridOf(interval[0], interval[1], samples);
  const params = Object.fromEntries(
    Object.entries(activation.params).map(([name, spec]) => [name, spec.init]),
  );
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
