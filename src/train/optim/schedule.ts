/**
 * Learning-rate schedules: step → value as array functions, so a jitted train step can take the
 * step count as a traced input (Optax's schedules, with the same argument conventions).
 *
 * A schedule CONSUMES its step array and returns a scalar of the step's dtype (float32 for an
 * integer step). Values are computed with array ops only; cos and exp on float64 are accurate to
 * about 1e-7 relative in jax-js, polynomial pieces are exact.
 */
import { numpy as np } from "@jax-js/jax";
import { InputError } from "../../base/errors.js";
import { addScalar, mulScalar } from "./tree-ops.js";

export type Schedule = (step: np.Array) => np.Array;

export class ScheduleError extends InputError {
  override name = "ScheduleError";
}

function floatStep(step: np.Array): np.Array {
  const dtype = step.dtype;
  const isFloat = dtype === np.float32 || dtype === np.float64 || dtype === np.float16;
  return isFloat ? step : step.astype(np.float32);
}

/** 1 where step ≥ boundary, else 0, in the step's dtype. */
function reached(step: np.Array, boundary: number): np.Array {
  const dtype = step.dtype;
  return np.greaterEqual(step, boundary).astype(dtype);
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0)
    throw new ScheduleError(`${name} must be a positive integer, got ${value}`);
}

export function constant(value: number): Schedule {
  return (step) => {
    const t = floatStep(step);
    return addScalar(t.mul(0), value);
  };
}

/**
 * Cosine decay (Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts"):
 *   init · ((1 − α) · ½(1 + cos(π · min(t, T)/T)) + α); constant at init·α after T steps.
 */
export function cosineDecay(init: number, decaySteps: number, alpha = 0): Schedule {
  requirePositiveInteger("cosine decay_steps", decaySteps);
  return (step) => {
    const t = np.minimum(floatStep(step), decaySteps);
    const cosine = np
      .cos(mulScalar(t, Math.PI / decaySteps))
      .add(1)
      .mul(0.5);
    return addScalar(mulScalar(cosine, (1 - alpha) * init), alpha * init);
  };
}

/**
 * Exponential decay: init · rate^(t / transitionSteps), with the exponent floored when
 * `staircase` (a drop every transitionSteps steps). rate^x is computed as exp(x · ln rate).
 */
export function exponentialDecay(
  init: number,
  decayRate: number,
  transitionSteps: number,
  staircase = false,
): Schedule {
  requirePositiveInteger("exponential transition_steps", transitionSteps);
  if (!(decayRate > 0)) throw new ScheduleError(`decay_rate must be > 0, got ${decayRate}`);
  return (step) => {
    let exponent = mulScalar(floatStep(step), 1 / transitionSteps);
    if (staircase) exponent = np.floor(exponent);
    return mulScalar(np.exp(mulScalar(exponent, Math.log(decayRate))), init);
  };
}

/**
 * Piecewise constant (PyTorch's MultiStepLR): init times the product of `scales[i]` for every
 * boundary with step ≥ boundaries[i]; a boundary is the first step with the new value. A single
 * number scales at every boundary.
 */
export function stepDecay(
  init: number,
  boundaries: readonly number[],
  scales: number | readonly number[],
): Schedule {
  const factors = typeof scales === "number" ? boundaries.map(() => scales) : [...scales];
  if (factors.length !== boundaries.length)
    throw new ScheduleError(
      `step decay has ${boundaries.length} boundaries but ${factors.length} scales`,
    );
  boundaries.forEach((boundary, i) => {
    requirePositiveInteger(`step boundaries[${i}]`, boundary);
    if (i > 0 && boundary <= (boundaries[i - 1] as number))
      throw new ScheduleError(`step boundaries must increase, got [${boundaries.join(", ")}]`);
  });
  return (step) => {
    const t = floatStep(step);
    let value = addScalar(t.ref.mul(0), init);
    boundaries.forEach((boundary, i) => {
      // s·1 + 0 and s·0 + 1 are exact, unlike 1 + (s − 1)·indicator.
      const hit = reached(t.ref, boundary);
      const factor = mulScalar(hit.ref, factors[i] as number).add(hit.neg().add(1));
      value = value.mul(factor);
    });
    t.dispose();
    return value;
  };
}

export interface WarmupCosineOptions {
  /** Value at step 0. */
  init?: number;
  peak: number;
  warmupSteps: number;
  /** Length of the whole schedule, warm-up included (Optax's warmup_cosine_decay_schedule). */
  decaySteps: number;
  /** Value from decaySteps on. */
  end?: number;
}

/**
 * Linear warm-up from init to peak over warmupSteps, then cosine decay from peak to end until
 * decaySteps (Goyal et al., "Accurate, Large Minibatch SGD", for the warm-up).
 */
export function warmupCosine(options: WarmupCosineOptions): Schedule {
  const { init = 0, peak, warmupSteps, decaySteps, end = 0 } = options;
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0)
    throw new ScheduleError(`warmup_steps must be a non-negative integer, got ${warmupSteps}`);
  requirePositiveInteger("warmup_cosine decay_steps", decaySteps);
  if (decaySteps <= warmupSteps)
    throw new ScheduleError(
      `warmup_cosine decay_steps (${decaySteps}) must exceed warmup_steps (${warmupSteps})`,
    );
  const cosineSteps = decaySteps - warmupSteps;
  return (step) => {
    const t = floatStep(step);
    const progress = np.clip(t.ref.sub(warmupSteps), 0, cosineSteps);
    const cosine = np.cos(mulScalar(progress, Math.PI / cosineSteps)).add(1);
    const decayed = addScalar(mulScalar(cosine, 0.5 * (peak - end)), end);
    if (warmupSteps === 0) {
      t.dispose();
      return decayed;
    }
    const warming = addScalar(mulScalar(t.ref, (peak - init) / warmupSteps), init);
    const inDecay = reached(t, warmupSteps);
    return inDecay.ref.mul(decayed).add(inDecay.neg().add(1).mul(warming));
  };
}
