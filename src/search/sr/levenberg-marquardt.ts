/**
 * Constant fitting by Levenberg–Marquardt (Marquardt 1963, "An algorithm for least-squares
 * estimation of nonlinear parameters"): minimise Σ (f(x; c) − y)² over the constants c of a tree,
 * with the Jacobian by forward differences. Each step solves (JᵀJ + λ·diag(JᵀJ)) δ = −Jᵀr; λ shrinks
 * 3x after a step that lowers the loss and grows after one that does not (2x, then 4x, 8x, …:
 * Nielsen 1999, "Damping parameter in Marquardt's method").
 */
import type { ColumnEvaluator, Program } from "./evaluate.js";

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

/** Solves the symmetric positive definite system `a x = b` (k × k, row-major) by Cholesky. */
function choleskySolve(a: Float64Array, b: Float64Array, k: number): Float64Array | undefined {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * k + j] as number;
      for (let m = 0; m < j; m++) sum -= (l[i * k + m] as number) * (l[j * k + m] as number);
      if (i === j) {
        if (!(sum > 0)) return undefined;
        l[i * k + i] = Math.sqrt(sum);
      } else l[i * k + j] = sum / (l[j * k + j] as number);
    }
  }
  const y = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let sum = b[i] as number;
    for (let m = 0; m < i; m++) sum -= (l[i * k + m] as number) * (y[m] as number);
    y[i] = sum / (l[i * k + i] as number);
  }
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let sum = y[i] as number;
    for (let m = i + 1; m < k; m++) sum -= (l[m * k + i] as number) * (x[m] as number);
    x[i] = sum / (l[i * k + i] as number);
  }
  return x;
}

/** Fits the constants of `program` to `target`; returns the best constants seen and their MSE. */
export function fitConstants(
  evaluator: ColumnEvaluator,
  program: Program,
  target: Float64Array,
  options: FitOptions,
): FitResult {
  const k = program.constants.length;
  const n = target.length;
  let constants = Float64Array.from(program.constants);
  let residual = new Float64Array(n);
  const fillResidual = (values: Float64Array, into: Float64Array): number => {
    const prediction = evaluator.run(program, values);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const r = (prediction[i] as number) - (target[i] as number);
      into[i] = r;
      sum += r * r;
    }
    const loss = sum / n;
    return Number.isFinite(loss) ? loss : Infinity;
  };
  let loss = fillResidual(constants, residual);
  if (k === 0 || !Number.isFinite(loss)) return { constants, loss };
  const jacobian = new Float64Array(n * k);
  const normal = new Float64Array(k * k);
  const gradient = new Float64Array(k);
  const damped = new Float64Array(k * k);
  const trial = new Float64Array(k);
  let trialResidual = new Float64Array(n);
  let lambda = 1e-3;
  let growth = 2;
  for (let step = 0; step < options.iterations && loss > options.lossFloor; step++) {
    // Jacobian by forward differences, step √ε·max(|c|, 1).
    for (let j = 0; j < k; j++) {
      const original = constants[j] as number;
      const h = 1.5e-8 * Math.max(Math.abs(original), 1);
      constants[j] = original + h;
      const prediction = evaluator.run(program, constants);
      constants[j] = original;
      for (let i = 0; i < n; i++) {
        jacobian[i * k + j] =
          ((prediction[i] as number) - (target[i] as number) - (residual[i] as number)) / h;
      }
    }
    normal.fill(0);
    gradient.fill(0);
    for (let i = 0; i < n; i++) {
      const r = residual[i] as number;
      for (let a = 0; a < k; a++) {
        const ja = jacobian[i * k + a] as number;
        gradient[a] = (gradient[a] as number) + ja * r;
        for (let b = 0; b <= a; b++)
          normal[a * k + b] = (normal[a * k + b] as number) + ja * (jacobian[i * k + b] as number);
      }
    }
    for (let a = 0; a < k; a++)
      for (let b = 0; b < a; b++) normal[b * k + a] = normal[a * k + b] as number;
    if (!normal.every(Number.isFinite) || !gradient.every(Number.isFinite)) break;
    let improved = false;
    for (let attempt = 0; attempt < (options.trials ?? 10); attempt++) {
      damped.set(normal);
      for (let a = 0; a < k; a++) {
        const diagonal = normal[a * k + a] as number;
        damped[a * k + a] = diagonal + lambda * diagonal + 1e-12 * (1 + diagonal);
      }
      const delta = choleskySolve(damped, gradient, k);
      if (delta === undefined) {
        lambda *= growth;
        growth *= 2;
        continue;
      }
      for (let a = 0; a < k; a++) trial[a] = (constants[a] as number) - (delta[a] as number);
      if (!trial.every(Number.isFinite)) {
        lambda *= growth;
        growth *= 2;
        continue;
      }
      const trialLoss = fillResidual(trial, trialResidual);
      if (trialLoss < loss) {
        [constants, residual, trialResidual] = [Float64Array.from(trial), trialResidual, residual];
        const relative = (loss - trialLoss) / loss;
        loss = trialLoss;
        lambda = Math.max(lambda / 3, 1e-12);
        growth = 2;
        improved = relative > 1e-12;
        break;
      }
      lambda *= growth;
      growth *= 2;
    }
    if (!improved) break;
  }
  return { constants, loss };
}
