/**
 * Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization") with bias correction:
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  direction = (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε),
 * and AdamW ("Decoupled Weight Decay Regularization", Loshchilov & Hutter), which adds λ·p to the
 * direction after Adam's scaling, so p ← p − lr·(direction + λp) as in PyTorch and Optax.
 */
import { numpy as np } from "@jax-js/jax";
import type { LearningRate } from "./scale.js";
import { scaleByLearningRate } from "./scale.js";
import type { GradientTransform, OptState } from "./transform.js";
import { chain } from "./transform.js";
import type { ArrayTree } from "./tree-ops.js";
import {
  addScalar,
  firstLeafDType,
  mapMatching,
  mulScalar,
  scalarOf,
  zerosLikeTree,
} from "./tree-ops.js";
import { addDecayedWeights } from "./weight-decay.js";

export interface ScaleByAdamOptions {
  b1?: number;
  b2?: number;
  eps?: number;
}

/**
 * Adam's state. β₁ᵗ and β₂ᵗ are carried as running products rather than computed from the
 * step: a product is exact to rounding in float64, where jax-js's pow/exp are only ~1e-7, and it
 * keeps the transform traceable without reading the step count.
 */
export interface AdamState {
  mu: ArrayTree;
  nu: ArrayTree;
  b1Power: np.Array;
  b2Power: np.Array;
  [key: string]: ArrayTree;
}

function checkBetasAndEps(b1: number, b2: number, eps: number): void {
  if (!(b1 >= 0 && b1 < 1)) throw new RangeError(`adam b1 must be in [0, 1), got ${b1}`);
  if (!(b2 >= 0 && b2 < 1)) throw new RangeError(`adam b2 must be in [0, 1), got ${b2}`);
  if (!(eps >= 0)) throw new RangeError(`adam eps must be >= 0, got ${eps}`);
}

/** Adam's direction alone (Optax's scale_by_adam); the learning rate comes after it. */
export function scaleByAdam(options: ScaleByAdamOptions = {}): GradientTransform {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8 } = options;
  checkBetasAndEps(b1, b2, eps);
  return {
    init(params): AdamState {
      const dtype = firstLeafDType(params);
      return {
        mu: zerosLikeTree(params),
        nu: zerosLikeTree(params),
        b1Power: scalarOf(1, dtype),
        b2Power: scalarOf(1, dtype),
      };
    },
    update(grads, state) {
      const { mu, nu, b1Power, b2Power } = state as AdamState;
      const nextMu = mapMatching(
        (g, m) => mulScalar(m, b1).add(mulScalar(g.ref, 1 - b1)),
        grads,
        mu,
      );
      const nextNu = mapMatching(
        (g, v) => mulScalar(v, b2).add(mulScalar(np.square(g), 1 - b2)),
        grads,
        nu,
      );
      const nextB1Power = mulScalar(b1Power, b1);
      const nextB2Power = mulScalar(b2Power, b2);
      // 1/(1 − βᵗ) once per step, then a multiply per leaf.
      const muCorrection = np.reciprocal(addScalar(nextB1Power.ref.neg(), 1));
      const nuCorrection = np.reciprocal(addScalar(nextB2Power.ref.neg(), 1));
      const direction = mapMatching(
        (m, v) => {
          const muHat = m.ref.mul(muCorrection.ref.astype(m.dtype));
          const nuHat = v.ref.mul(nuCorrection.ref.astype(v.dtype));
          return muHat.div(addScalar(np.sqrt(nuHat), eps));
        },
        nextMu,
        nextNu,
      );
      muCorrection.dispose();
      nuCorrection.dispose();
      const next: AdamState = {
        mu: nextMu,
        nu: nextNu,
        b1Power: nextB1Power,
        b2Power: nextB2Power,
      };
      return [direction, next as OptState];
    },
  };
}

export interface AdamOptions extends ScaleByAdamOptions {
  lr: LearningRate;
}

export function adam(options: AdamOptions): GradientTransform {
  return chain(scaleByAdam(options), scaleByLearningRate(options.lr));
}

export interface AdamWOptions extends AdamOptions {
  /** λ; PyTorch's default 1e-2. */
  weightDecay?: number;
}

export function adamw(options: AdamWOptions): GradientTransform {
  return chain(
    scaleByAdam(options),
    addDecayedWeights(options.weightDecay ?? 1e-2),
    scaleByLearningRate(options.lr),
  );
}
