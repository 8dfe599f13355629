/**
 * Levenberg–Marquardt (Marquardt 1963, "An algorithm for least-squares estimation of nonlinear
 * parameters"): minimise a sum of squared residuals r(u) by damped Gauss–Newton steps
 * (JᵀJ + λ·D)·δ = −Jᵀr, J = ∂r/∂u, taking only steps that lower the cost. λ shrinks 3x (to at
 * least 1e-12) after a taken step and grows after a refused one. Plain float64.
 */
import { choleskyFactor, choleskySolve } from "./cholesky.js";
import { householderLeastSquares } from "./qr.js";

/** A least-squares problem: residuals r(u) and their Jacobian. */
export interface LeastSquaresProblem {
  readonly parameters: number;
  readonly residuals: number;
  /** Fills r(u) into `into`; returns the cost steps are compared on (a sum or mean of r²). */
  residualsAt(u: Float64Array, into: Float64Array): number;
  /** Fills J = ∂r/∂u at u, [residuals, parameters] row-major; `residual` holds r(u). */
  jacobianAt(u: Float64Array, residual: Float64Array, into: Float64Array): void;
}

/**
 * J = ∂r/∂u by central differences of `residualsAt` (step 1e-6·max(1, |u_k|)), row-major
 * [residuals, parameters]: for residuals with no simple closed-form Jacobian.
 */
export function centralDifferenceJacobian(
  residualsAt: LeastSquaresProblem["residualsAt"],
  parameters: number,
  residuals: number,
): LeastSquaresProblem["jacobianAt"] {
  return (u, _residual, into) => {
    const plus = new Float64Array(residuals);
    const minus = new Float64Array(residuals);
    for (let k = 0; k < parameters; k++) {
      const h = 1e-6 * Math.max(1, Math.abs(u[k] as number));
      const up = Float64Array.from(u);
      const down = Float64Array.from(u);
      up[k] = (up[k] as number) + h;
      down[k] = (down[k] as number) - h;
      residualsAt(up, plus);
      residualsAt(down, minus);
      for (let r = 0; r < residuals; r++)
        into[r * parameters + k] = ((plus[r] as number) - (minus[r] as number)) / (2 * h);
    }
  };
}

/**
 * How a damped step is solved:
 *   qr                Marquardt's scaling D = diag(‖J column‖²), as the least-squares problem
 *                     [J; √λ·√D]·δ ≈ [−r; 0] by Householder QR (the condition number is not squared);
 *   normal-equations  (JᵀJ + λ·diag(JᵀJ) + 1e-12·(1 + diag(JᵀJ)))·δ = −Jᵀr by Cholesky, a refused
 *                     trial when that is not positive definite; stops when JᵀJ or Jᵀr is not finite.
 */
export type DampedStep = "qr" | "normal-equations";

export interface LevenbergMarquardtOptions {
  readonly step: DampedStep;
  readonly maxIterations: number;
  /** Stop once the cost is at or below this. */
  readonly costFloor: number;
  /** Stop after a taken step whose relative cost drop is at most this. */
  readonly minRelativeGain: number;
  /** λ's growth factor after a first refused trial (again after every taken step). */
  readonly dampingGrowth: number;
  /** What the growth factor is multiplied by after each refusal (1: constant; 2: Nielsen 1999,
   * "Damping parameter in Marquardt's method": 2x, then 4x, 8x, …). */
  readonly dampingGrowthAcceleration: number;
  /** Trials per step before giving up (default unlimited). */
  readonly maxTrials?: number;
  /** No further trial once λ reaches this (default unlimited). */
  readonly maxDamping?: number;
  /** λ at the start (default 1e-3). */
  readonly initialDamping?: number;
}

/** Parameters with their residuals and cost. */
export interface LeastSquaresPoint {
  readonly parameters: Float64Array;
  readonly residual: Float64Array;
  readonly cost: number;
}

/** Solves the damped step for λ; undefined when this λ gives no step. */
type StepSolver = (damping: number) => Float64Array | undefined;

function qrStep(jacobian: Float64Array, residual: Float64Array, rows: number, cols: number) {
  const scales = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    let sum = 0;
    for (let k = 0; k < rows; k++) sum += (jacobian[k * cols + c] as number) ** 2;
    scales[c] = Math.sqrt(Math.max(sum, 1e-30));
  }
  return (damping: number): Float64Array => {
    const augmented = new Float64Array((rows + cols) * cols);
    augmented.set(jacobian);
    for (let c = 0; c < cols; c++)
      augmented[(rows + c) * cols + c] = Math.sqrt(damping) * (scales[c] as number);
    const right = new Float64Array(rows + cols);
    for (let k = 0; k < rows; k++) right[k] = -(residual[k] as number);
    return householderLeastSquares(augmented, right, rows + cols, cols);
  };
}

function normalEquationsStep(
  jacobian: Float64Array,
  residual: Float64Array,
  rows: number,
  cols: number,
): StepSolver | undefined {
  const normal = new Float64Array(cols * cols);
  const gradient = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const r = residual[i] as number;
    for (let a = 0; a < cols; a++) {
      const ja = jacobian[i * cols + a] as number;
      gradient[a] = (gradient[a] as number) + ja * r;
      for (let b = 0; b <= a; b++)
        normal[a * cols + b] =
          (normal[a * cols + b] as number) + ja * (jacobian[i * cols + b] as number);
    }
  }
  for (let a = 0; a < cols; a++)
    for (let b = 0; b < a; b++) normal[b * cols + a] = normal[a * cols + b] as number;
  if (!normal.every(Number.isFinite) || !gradient.every(Number.isFinite)) return undefined;
  const damped = new Float64Array(cols * cols);
  return (damping: number): Float64Array | undefined => {
    damped.set(normal);
    for (let a = 0; a < cols; a++) {
      const diagonal = normal[a * cols + a] as number;
      damped[a * cols + a] = diagonal + damping * diagonal + 1e-12 * (1 + diagonal);
    }
    const lower = choleskyFactor(damped, cols);
    if (lower === undefined) return undefined;
    // δ solves (…)·δ = Jᵀr, so the step is −δ
    return choleskySolve(lower, gradient, cols).map((v) => -v);
  };
}

/** Refines `start` (whose residuals and cost the caller has evaluated); returns the best point.
 * `start.residual` serves as scratch space afterwards. */
export function levenbergMarquardt(
  problem: LeastSquaresProblem,
  start: LeastSquaresPoint,
  options: LevenbergMarquardtOptions,
): LeastSquaresPoint {
  const rows = problem.residuals;
  const cols = problem.parameters;
  const maxTrials = options.maxTrials ?? Infinity;
  const maxDamping = options.maxDamping ?? Infinity;
  let u: Float64Array = start.parameters;
  let residual: Float64Array = start.residual;
  let cost = start.cost;
  let trialResidual: Float64Array = new Float64Array(rows);
  const jacobian = new Float64Array(rows * cols);
  let damping = options.initialDamping ?? 1e-3;
  let growth = options.dampingGrowth;
  for (
    let iteration = 0;
    iteration < options.maxIterations && cost > options.costFloor;
    iteration++
  ) {
    problem.jacobianAt(u, residual, jacobian);
    const solve =
      options.step === "qr"
        ? qrStep(jacobian, residual, rows, cols)
        : normalEquationsStep(jacobian, residual, rows, cols);
    if (solve === undefined) break;
    let gain: number | undefined;
    for (let attempt = 0; attempt < maxTrials && damping < maxDamping; attempt++) {
      const step = solve(damping);
      const trial = step && Float64Array.from(u, (v, c) => v + (step[c] as number));
      if (trial === undefined || !trial.every(Number.isFinite)) {
        damping *= growth;
        growth *= options.dampingGrowthAcceleration;
        continue;
      }
      const trialCost = problem.residualsAt(trial, trialResidual);
      if (trialCost < cost) {
        gain = (cost - trialCost) / cost;
        [u, residual, trialResidual, cost] = [trial, trialResidual, residual, trialCost];
        damping = Math.max(damping / 3, 1e-12);
        growth = options.dampingGrowth;
        break;
      }
      damping *= growth;
      growth *= options.dampingGrowthAcceleration;
    }
    if (gain === undefined || gain <= options.minRelativeGain) break;
  }
  return { parameters: u, residual, cost };
}
