/**
 * The formula of a fully fixed KAN (nn/kan/formula.ts) with its constants polished, rounded and
 * its fit measured. Polishing: Levenberg–Marquardt on the formula's constants on the training
 * split (polishConstants). Rounding, one constant at a time in the formula's pre-order: the first of these that
 * keeps the fit is taken — the nearest integer, a fraction p/q (q ≤ 12), a multiple p·π/q
 * (q ≤ 6), then the value to 1, 2, … 15 significant digits; "keeps the fit" means the training
 * RMSE stays at most max(1.01 × the unrounded formula's, 1e-6 × the target's standard deviation).
 * The second bound is the fine-tuning's own accuracy: the constants are trained through jax-js,
 * whose float64 exp, log and sin are accurate to ~1e-7 (train/kan-fast/kan-objective.ts), so an
 * exact law comes out of training a few 1e-7 off and is allowed to round back to it. Metrics are
 * from the plain float64 evaluator (Math.*).
 */
import type { Expr } from "../expr/ast.js";
import { num } from "../expr/ast.js";
import { ColumnEvaluator, compileProgram } from "../expr/evaluate.js";
import { exportLatex } from "../expr/export/index.js";
import { parseExpr } from "../expr/parse.js";
import { printExpr } from "../expr/print.js";
import { simplify } from "../expr/simplify.js";
import type { LeastSquaresProblem } from "../numeric/levenberg-marquardt.js";
import { centralDifferenceJacobian, levenbergMarquardt } from "../numeric/levenberg-marquardt.js";
import type { Model, ModelState } from "../nn/model.js";
import type { FormulaInput } from "../nn/kan/formula.js";
import { kanFormula } from "../nn/kan/formula.js";

/** Rows of named columns and one target. */
export interface FormulaData {
  readonly columns: readonly Float64Array[];
  readonly target: Float64Array;
}

export interface FitOfFormula {
  readonly rmse: number;
  readonly r2: number;
}

export interface KanFormulaResult {
  /** In the language's grammar (parseable), over the task's variable names. */
  readonly formula: string;
  /** Its variables, in the order of the model's inputs. */
  readonly variables: readonly string[];
  readonly latex: string;
  /** Before rounding. */
  readonly unrounded: string;
  readonly train: FitOfFormula;
  /** Absent when the task has no test rows. */
  readonly test?: FitOfFormula;
}

export const ROUNDING_TOLERANCE = 1.01;
/** Relative to the target's standard deviation (see the module comment). */
export const ROUNDING_FLOOR = 1e-6;

/** Replaces the constants of `expr` in pre-order (the evaluator's slot order) by `values`. */
function withConstants(expr: Expr, values: Float64Array): Expr {
  let next = 0;
  const visit = (node: Expr): Expr => {
    switch (node.kind) {
      case "const":
        return num(values[next++] as number);
      case "call":
        return { ...node, args: node.args.map(visit) };
      case "pow":
        return { ...node, base: visit(node.base) };
      case "stat":
        return { ...node, arg: visit(node.arg) };
      default:
        return node;
    }
  };
  return visit(expr);
}

/** Candidates for a constant, simplest first. */
function roundings(value: number): number[] {
  const out = [Math.round(value)];
  for (let q = 2; q <= 12; q++) out.push(Math.round(value * q) / q);
  for (let q = 1; q <= 6; q++) out.push((Math.round((value * q) / Math.PI) * Math.PI) / q);
  for (let digits = 1; digits <= 15; digits++) out.push(Number(value.toPrecision(digits)));
  return out;
}

function fitOf(prediction: Float64Array, target: Float64Array): FitOfFormula {
  const rows = target.length;
  const mean = target.reduce((s, v) => s + v, 0) / Math.max(1, rows);
  let residual = 0;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    residual += ((prediction[r] as number) - (target[r] as number)) ** 2;
    total += ((target[r] as number) - mean) ** 2;
  }
  const rmse = Math.sqrt(residual / Math.max(1, rows));
  return {
    rmse: Number.isFinite(rmse) ? rmse : Infinity,
    r2: total > 0 ? 1 - residual / total : residual === 0 ? 1 : 0,
  };
}

/** The expression's text with π written as `pi` (parses back to the same number). */
export function formulaText(expr: Expr): string {
  return printExpr(expr).replaceAll(String(Math.PI), "pi");
}

/**
 * `expr` with its constants refined by Levenberg–Marquardt on `train` in plain float64 (central
 * differences), kept only when the training RMSE drops. The network's own fine-tuning runs
 * through jax-js, whose float64 exp/log/sin are ~1e-7 accurate: on pykan's deep formula it stalls
 * with constants ~1e-4 off; the read-out formula, evaluated with Math.*, gets them to rounding.
 */
export function polishConstants(expr: Expr, names: readonly string[], train: FormulaData): Expr {
  const variables = new Map(names.map((name, i) => [name, i]));
  const program = compileProgram(expr, { variables });
  const count = program.constants.length;
  if (count === 0) return expr;
  const evaluator = new ColumnEvaluator(train.columns);
  const rows = train.target.length;
  const fill = (constants: Float64Array, into: Float64Array): number => {
    const prediction = evaluator.run(program, constants);
    let cost = 0;
    for (let r = 0; r < rows; r++) {
      const e = (prediction[r] as number) - (train.target[r] as number);
      into[r] = e;
      cost += e * e;
    }
    return Number.isFinite(cost) ? cost : Infinity;
  };
  const problem: LeastSquaresProblem = {
    parameters: count,
    residuals: rows,
    residualsAt: fill,
    jacobianAt: centralDifferenceJacobian(fill, count, rows),
  };
  const start = Float64Array.from(program.constants);
  const residual = new Float64Array(rows);
  const cost = fill(start, residual);
  const refined = levenbergMarquardt(
    problem,
    { parameters: Float64Array.from(start), residual, cost },
    {
      step: "qr",
      maxIterations: 50,
      costFloor: 0,
      minRelativeGain: 1e-12,
      dampingGrowth: 2,
      dampingGrowthAcceleration: 2,
      maxTrials: 12,
    },
  );
  return refined.cost < cost ? withConstants(expr, refined.parameters) : expr;
}

/** `expr` with its constants rounded as the header says, on `train`. */
export function roundConstants(expr: Expr, names: readonly string[], train: FormulaData): Expr {
  const variables = new Map(names.map((name, i) => [name, i]));
  const program = compileProgram(expr, { variables });
  const evaluator = new ColumnEvaluator(train.columns);
  const rmseWith = (constants: Float64Array): number =>
    fitOf(evaluator.run(program, constants), train.target).rmse;
  const constants = Float64Array.from(program.constants);
  const mean = train.target.reduce((s, v) => s + v, 0) / Math.max(1, train.target.length);
  const std = Math.sqrt(
    train.target.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, train.target.length),
  );
  const limit = Math.max(ROUNDING_TOLERANCE * rmseWith(constants), ROUNDING_FLOOR * std);
  for (let k = 0; k < constants.length; k++) {
    const original = constants[k] as number;
    for (const candidate of roundings(original)) {
      constants[k] = candidate;
      if (rmseWith(constants) <= limit) break;
      constants[k] = original;
    }
  }
  return simplify(withConstants(expr, constants));
}

/** Output 0's formula of a fully fixed KAN over `names`, rounded on `train`, measured on both. */
export function kanFormulaResult(
  model: Model,
  state: ModelState,
  names: readonly string[],
  train: FormulaData,
  test: FormulaData,
  units: { inputs?: readonly FormulaInput[]; output?: (expr: Expr) => Expr } = {},
): KanFormulaResult {
  const [stored] = kanFormula(model, state, units.inputs ?? names);
  const raw = simplify(units.output ? units.output(stored!) : stored!);
  const rounded = roundConstants(polishConstants(raw, names, train), names, train);
  const variables = new Map(names.map((name, i) => [name, i]));
  const measure = (expr: Expr, data: FormulaData): FitOfFormula =>
    fitOf(new ColumnEvaluator(data.columns).run(compileProgram(expr, { variables })), data.target);
  const formula = formulaText(rounded);
  // the text is what users get: it must read back to the same expression
  const reread = parseExpr(formula);
  return {
    formula,
    variables: [...names],
    latex: exportLatex({ expr: reread, params: {} }),
    unrounded: printExpr(raw),
    train: measure(reread, train),
    ...(test.target.length > 0 ? { test: measure(reread, test) } : {}),
  };
}
