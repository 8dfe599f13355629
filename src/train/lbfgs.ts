/**
 * L-BFGS with a strong-Wolfe line search (Nocedal & Wright, Algorithms 7.4, 3.5 and 3.6), on a flat
 * float64 parameter vector. The objective is any function returning the loss and its gradient —
 * in nonlin one or two jitted jax-js calls. The vector algebra is plain TypeScript: KANs fitted
 * with L-BFGS have hundreds to a few thousand parameters, where this costs microseconds.
 *
 * One `step()` is what PyTorch's (and so pykan's) LBFGS.step does: up to `maxIter` iterations
 * (default 20) and `maxEval` objective evaluations, keeping the curvature history across steps.
 * The objective may answer asynchronously (a jax-js read through the worker pool or on WebGPU:
 * engine/threads.ts), so `step()` and `strongWolfe` are asynchronous; the arithmetic is the same.
 */

export interface Evaluation {
  loss: number;
  grad: Float64Array;
}
export type Objective = (x: Float64Array) => Evaluation | Promise<Evaluation>;

export interface LbfgsOptions {
  lr: number;
  maxIter: number;
  maxEval: number;
  historySize: number;
  toleranceGrad: number;
  toleranceChange: number;
}

/** pykan's settings: history 10, strong Wolfe, tolerances so small that every step runs fully. */
export const PYKAN_LBFGS: LbfgsOptions = {
  lr: 1,
  maxIter: 20,
  maxEval: 25,
  historySize: 10,
  toleranceGrad: 1e-32,
  toleranceChange: 1e-32,
};

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};
const sumAbs = (a: Float64Array): number => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] as number);
  return sum;
};
const maxAbs = (a: Float64Array): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number));
  return m;
};
/** y + alpha·x, as a new vector. */
const axpy = (alpha: number, x: Float64Array, y: Float64Array): Float64Array => {
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = (y[i] as number) + alpha * (x[i] as number);
  return out;
};
/** y += alpha·x, in place (the two-loop recursion's updates: no allocation per history entry). */
const axpyInPlace = (alpha: number, x: Float64Array, y: Float64Array): void => {
  for (let i = 0; i < y.length; i++) y[i] = (y[i] as number) + alpha * (x[i] as number);
};
const scaled = (alpha: number, x: Float64Array): Float64Array => {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = alpha * (x[i] as number);
  return out;
};

export class Lbfgs {
  readonly options: LbfgsOptions;
  private x: Float64Array;
  private dirs: Float64Array[] = [];
  private steps: Float64Array[] = [];
  private rhos: number[] = [];
  private hDiag = 1;
  private direction: Float64Array | undefined;
  private stepLength = 0;
  private previousGrad: Float64Array | undefined;
  private iterations = 0;
  /** Objective evaluations so far. */
  evaluations = 0;

  constructor(
    private objective: Objective,
    x0: Float64Array,
    options: Partial<LbfgsOptions> = {},
  ) {
    this.options = { ...PYKAN_LBFGS, ...options };
    if (options.maxIter !== undefined && options.maxEval === undefined)
      this.options.maxEval = Math.ceil(options.maxIter * 1.25);
    this.x = Float64Array.from(x0);
  }

  get params(): Float64Array {
    return this.x;
  }

  /** Forgets the curvature history (after the parameters were changed from outside). */
  reset(x: Float64Array): void {
    this.x = Float64Array.from(x);
    this.dirs = [];
    this.steps = [];
    this.rhos = [];
    this.hDiag = 1;
    this.direction = undefined;
    this.previousGrad = undefined;
    this.iterations = 0;
  }

  /** Swaps the objective (same parameter vector), e.g. after buffers changed. */
  setObjective(objective: Objective): void {
    this.objective = objective;
  }

  private async evaluate(x: Float64Array): Promise<Evaluation> {
    this.evaluations++;
    return this.objective(x);
  }

  /** One PyTorch-style step; returns the loss at its start. */
  async step(): Promise<number> {
    const { maxIter, maxEval, toleranceGrad, toleranceChange, historySize, lr } = this.options;
    let { loss, grad } = await this.evaluate(this.x);
    const startLoss = loss;
    let evals = 1;
    if (maxAbs(grad) <= toleranceGrad) return startLoss;
    for (let n = 1; n <= maxIter; n++) {
      this.iterations++;
      let d: Float64Array;
      if (this.iterations === 1 || !this.direction || !this.previousGrad) {
        d = scaled(-1, grad);
        this.hDiag = 1;
      } else {
        const y = axpy(-1, this.previousGrad, grad);
        const s = scaled(this.stepLength, this.direction);
        const ys = dot(y, s);
        if (ys > 1e-32) {
          if (this.dirs.length === historySize) {
            this.dirs.shift();
            this.steps.shift();
            this.rhos.shift();
          }
          this.dirs.push(y);
          this.steps.push(s);
          this.rhos.push(1 / ys);
          this.hDiag = ys / dot(y, y);
        }
        d = this.twoLoop(grad);
      }
      this.previousGrad = Float64Array.from(grad);
      const previousLoss = loss;
      let t = this.iterations === 1 ? Math.min(1, 1 / sumAbs(grad)) * lr : lr;
      const gtd = dot(grad, d);
      if (gtd > -toleranceChange) break;
      const search = await strongWolfe((x) => this.evaluate(x), this.x, t, d, loss, grad, gtd);
      ({ loss, grad, t } = search);
      this.x = axpy(t, d, this.x);
      this.direction = d;
      this.stepLength = t;
      evals += search.evaluations;
      if (n === maxIter || evals >= maxEval) break;
      if (maxAbs(grad) <= toleranceGrad) break;
      if (maxAbs(d) * Math.abs(t) <= toleranceChange) break;
      if (Math.abs(loss - previousLoss) < toleranceChange) break;
    }
    return startLoss;
  }

  private twoLoop(grad: Float64Array): Float64Array {
    const count = this.dirs.length;
    const alphas = new Array<number>(count);
    const q = scaled(-1, grad);
    for (let i = count - 1; i >= 0; i--) {
      const alpha = dot(this.steps[i]!, q) * this.rhos[i]!;
      alphas[i] = alpha;
      axpyInPlace(-alpha, this.dirs[i]!, q);
    }
    const r = scaled(this.hDiag, q);
    for (let i = 0; i < count; i++) {
      const beta = dot(this.dirs[i]!, r) * this.rhos[i]!;
      axpyInPlace(alphas[i]! - beta, this.steps[i]!, r);
    }
    return r;
  }
}

/** Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to `bounds` (the
 * bracket by default; an extrapolation range while bracketing). */
function cubicMinimum(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: [number, number],
): number {
  const [low, high] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const square = d1 * d1 - g1 * g2;
  if (square < 0) return (low + high) / 2;
  const d2 = Math.sign(x2 - x1) * Math.sqrt(square);
  const position = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
  return Math.min(Math.max(position, low), high);
}

interface SearchResult {
  loss: number;
  grad: Float64Array;
  t: number;
  evaluations: number;
}

/**
 * Strong-Wolfe line search (c1 = 1e-4, c2 = 0.9): bracket, then zoom with cubic interpolation.
 * Returns the accepted step and the loss and gradient there.
 */
export async function strongWolfe(
  evaluate: Objective,
  x: Float64Array,
  t0: number,
  d: Float64Array,
  loss: number,
  grad: Float64Array,
  gtd: number,
  { c1 = 1e-4, c2 = 0.9, toleranceChange = 1e-9, maxSteps = 25 } = {},
): Promise<SearchResult> {
  const dNorm = maxAbs(d);
  let t = t0;
  let evaluations = 0;
  const at = async (step: number): Promise<Evaluation & { gtd: number }> => {
    evaluations++;
    const e = await evaluate(axpy(step, d, x));
    return { ...e, gtd: dot(e.grad, d) };
  };
  let current = await at(t);
  let previous = { t: 0, loss, grad, gtd };
  let bracket: { t: number; loss: number; grad: Float64Array; gtd: number }[] | undefined;
  for (let i = 0; i < maxSteps; i++) {
    if (current.loss > loss + c1 * t * gtd || (i > 0 && current.loss >= previous.loss)) {
      bracket = [previous, { t, ...current }];
      break;
    }
    if (Math.abs(current.gtd) <= -c2 * gtd)
      return { loss: current.loss, grad: current.grad, t, evaluations };
    if (current.gtd >= 0) {
      bracket = [previous, { t, ...current }];
      break;
    }
    const minStep = t + 0.01 * (t - previous.t);
    const maxStep = t * 10;
    const next = cubicMinimum(
      previous.t,
      previous.loss,
      previous.gtd,
      t,
      current.loss,
      current.gtd,
      [minStep, maxStep],
    );
    previous = { t, ...current };
    t = next;
    current = await at(t);
  }
  if (!bracket) return { loss: current.loss, grad: current.grad, t, evaluations };
  // zoom: keep bracket[0] the lower end in loss
  let [lo, hi] =
    bracket[0]!.loss <= bracket[1]!.loss ? [bracket[0]!, bracket[1]!] : [bracket[1]!, bracket[0]!];
  for (let i = evaluations; i < maxSteps; i++) {
    if (Math.abs(hi.t - lo.t) * dNorm < toleranceChange) break;
    let step = cubicMinimum(lo.t, lo.loss, lo.gtd, hi.t, hi.loss, hi.gtd);
    // stay away from the bracket's ends (PyTorch's 10% rule) so the bracket shrinks
    const [a, b] = lo.t < hi.t ? [lo.t, hi.t] : [hi.t, lo.t];
    const margin = 0.1 * (b - a);
    if (Math.min(b - step, step - a) < margin)
      step = Math.abs(step - a) < Math.abs(step - b) ? a + margin : b - margin;
    const trial = { t: step, ...(await at(step)) };
    if (trial.loss > loss + c1 * step * gtd || trial.loss >= lo.loss) {
      hi = trial;
    } else {
      if (Math.abs(trial.gtd) <= -c2 * gtd)
        return { loss: trial.loss, grad: trial.grad, t: step, evaluations };
      if (trial.gtd * (hi.t - lo.t) >= 0) hi = lo;
      lo = trial;
    }
  }
  return { loss: lo.loss, grad: lo.grad, t: lo.t, evaluations };
}
