/**
 * The CLI's side of KAN → formula: symbolic regression as the symbolic phase's fallback for
 * edges its library cannot explain (train may not import search, so it is handed in here), and
 * the lines `fit` prints for fixed edges and the formula.
 */
import { ColumnEvaluator, compileProgram } from "../expr/evaluate.js";
import { parseExpr } from "../expr/parse.js";
import { InputError } from "../base/errors.js";
import type { SrDataset } from "../search/sr/index.js";
import { makeDataset, symbolicRegression } from "../search/sr/index.js";
import type { KanFormulaResult } from "../train/kan-formula.js";
import type { PhaseResult } from "../train/run-fit.js";
import type { BudgetedEdgeFallback } from "../train/symbolic-phase.js";
import type { Expr } from "../expr/ast.js";

/** x's stand-in as a data column (symbolic regression's variables cannot be named x). */
const EDGE_VARIABLE = "u";

/** Replaces variable `name` by the input x. */
function variableToInput(expr: Expr, name: string): Expr {
  switch (expr.kind) {
    case "param":
      return expr.name === name ? { kind: "input" } : expr;
    case "call":
      return { ...expr, args: expr.args.map((arg) => variableToInput(arg, name)) };
    case "pow":
      return { ...expr, base: variableToInput(expr.base, name) };
    case "stat":
      return { ...expr, arg: variableToInput(expr.arg, name) };
    default:
      return expr;
  }
}

/** nonlin's symbolic regression on one edge's samples (seed 0); R² on all of them. */
export const srEdgeFallback: BudgetedEdgeFallback = (samples, budget) => {
  let dataset: SrDataset;
  try {
    dataset = makeDataset([EDGE_VARIABLE], [samples.x], "edge", samples.y);
  } catch (error) {
    // samples symbolic regression refuses (too few rows, a target too large): the edge stays a spline
    if (error instanceof InputError) return undefined;
    throw error;
  }
  const result = symbolicRegression(dataset, { budget, seed: 0 });
  const expr = variableToInput(parseExpr(result.best.expression), EDGE_VARIABLE);
  const program = compileProgram(expr, { input: 0 });
  const prediction = new ColumnEvaluator([samples.x]).run(program);
  const mean = samples.y.reduce((s, v) => s + v, 0) / samples.y.length;
  let residual = 0;
  let total = 0;
  samples.y.forEach((v, r) => {
    residual += ((prediction[r] as number) - v) ** 2;
    total += (v - mean) ** 2;
  });
  const r2 = total > 0 ? 1 - residual / total : residual === 0 ? 1 : 0;
  return Number.isFinite(r2) ? { expr, r2 } : undefined;
};

const g = (v: number): string => Number(v.toPrecision(6)).toString();

/** One line per edge a symbolic phase fixed. */
export function describeFixedEdges(result: PhaseResult): string[] {
  return (result.fixed ?? []).map(
    (e) =>
      `  edge ${e.layer}.${e.input}.${e.unit} ← ${e.function}${e.source === "library" ? "" : ` (${e.source})`}: ${g(e.c)}·f(${g(e.a)}·x + ${g(e.b)}) + ${g(e.d)}, R² ${e.r2.toFixed(6)}`,
  );
}

/** The formula block `fit` prints. */
export function describeFormula(formula: KanFormulaResult): string {
  return [
    `formula: ${formula.formula}`,
    formula.test
      ? `  test rmse ${formula.test.rmse.toExponential(3)}, R² ${formula.test.r2}  (train rmse ${formula.train.rmse.toExponential(3)})`
      : `  train rmse ${formula.train.rmse.toExponential(3)}, R² ${formula.train.r2} (no test rows)`,
    `  latex: ${formula.latex}`,
  ].join("\n");
}
