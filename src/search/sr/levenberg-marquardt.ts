/**
 * Constant fitting by Levenberg–Marquardt (src/numeric/levenberg-marquardt.ts): minimise the mean
 * of (f(x; c) − y)² over the constants c of a tree, with the Jacobian by forward differences. Each
 * step solves the normal equations (JᵀJ + λ·diag(JᵀJ))·δ = −Jᵀr; λ shrinks 3x after a step that
 * lowers the loss and grows after one that does not (2x, then 4x, 8x, …: Nielsen 1999, "Damping
 * parameter in Marquardt's method").
 */
import type { ColumnEvaluator, Program } from "../../expr/evaluate.js";
import type { LeastSquaresProblem } from "../../numeric/levenberg-marquardt.js";
import { levenbergMarquardt } from "../../numeric/levenberg-marquardt.js";

export interface FitOptions {
  /** Steps (each costs k + 1 evaluations for k constants, plus one per rejected trial). */
  readonly iterations: number;
  /** Stop when the loss is at or below this (the fit is exact to rounding). */
  readonly lossFloor: number;
  /** Trials per step before giving up (λ grows 2x, then 4x, 8x, … per failed trial). */
  readonly trials?: number;
}

export interface FitResult {
  readonly constants: Float64Array;
  readonly loss: number;
}

/** Residuals of the program's predictions; the cost is their mean square (Infinity when not finite). */
function constantsProblem(
  evaluator: ColumnEvaluator,
  program: Program,
  target: Float64Array,
): LeastSquaresProblem {
  const n = target.length;
  const k = program.constants.length;
  return {
    parameters: k,
    residuals: n,
    residualsAt(values, into) {
      const prediction = evaluator.run(program, values);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const r = (prediction[i] as number) - (target[i] as number);
        into[i] = r;
        sum += r * r;
      }
      const loss = sum / n;
      return Number.isFinite(loss) ? loss : Infinity;
    },
    // forward differences, step √ε·max(|c|, 1)
    jacobianAt(values, residual, into) {
      const constants = Float64Array.from(values);
      for (let j = 0; j < k; j++) {
        const original = constants[j] as number;
        const h = 1.5e-8 * Math.max(Math.abs(original), 1);
        constants[j] = original + h;
        const prediction = evaluator.run(program, constants);
        constants[j] = original;
        for (let i = 0; i < n; i++) {
          into[i * k + j] =
            ((prediction[i] as number) - (target[i] as number) - (residual[i] as number)) / h;
        }
      }
    },
  };
}

/** Fits the constants of `program` to `target`; returns the best constants seen and their MSE. */
export function fitConstants(
  evaluator: ColumnEvaluator,
  program: Program,
  target: Float64Array,
  options: FitOptions,
): FitResult {
  const problem = constantsProblem(evaluator, program, target);
  const constants = Float64Array.from(program.constants);
  const residual = new Float64Array(target.length);
  const loss = problem.residualsAt(constants, residual);
  if (problem.parameters === 0 || !Number.isFinite(loss)) return { constants, loss };
  const best = levenbergMarquardt(
    problem,
    { parameters: constants, residual, cost: loss },
    {
      step: "normal-equations",
      maxIterations: options.iterations,
      costFloor: options.lossFloor,
      minRelativeGain: 1e-12,
      dampingGrowth: 2,
      dampingGrowthAcceleration: 2,
      maxTrials: options.trials ?? 10,
    },
  );
  return { constants: best.parameters, loss: best.cost };
}
