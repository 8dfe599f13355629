/**
 * Stochastic gradient descent with heavy-ball or Nesterov momentum, in PyTorch's form (Sutskever
 * et al., "On the importance of initialization and momentum in deep learning"):
 *   v ← μ·v + g,   direction = v (heavy ball) or g + μ·v (Nesterov),   p ← p − lr·direction.
 */
import { tree } from "@jax-js/jax";
import type { LearningRate } from "./scale.js";
import { scaleByLearningRate } from "./scale.js";
import type { GradientTransform } from "./transform.js";
import { chain } from "./transform.js";
import type { ArrayTree } from "./tree-ops.js";
import { mapMatching, mulScalar, zerosLikeTree } from "./tree-ops.js";

export interface TraceOptions {
  momentum: number;
  nesterov?: boolean;
}

/** The momentum buffer alone (Optax's trace); state {velocity}, zeros at first. */
export function trace(options: TraceOptions): GradientTransform {
  const { momentum, nesterov = false } = options;
  if (!(momentum >= 0 && momentum < 1))
    throw new RangeError(`momentum must be in [0, 1), got ${momentum}`);
  return {
    init: (params) => ({ velocity: zerosLikeTree(params) }),
    update(grads, state) {
      const previous = (state as { velocity: ArrayTree }).velocity;
      if (!nesterov) {
        const velocity = mapMatching((g, v) => mulScalar(v, momentum).add(g), grads, previous);
        return [tree.ref(velocity), { velocity }];
      }
      const velocity = mapMatching((g, v) => mulScalar(v, momentum).add(g.ref), grads, previous);
      const direction = mapMatching((g, v) => g.add(mulScalar(v.ref, momentum)), grads, velocity);
      return [direction, { velocity }];
    },
  };
}

export interface SgdOptions {
  lr: LearningRate;
  momentum?: number;
  nesterov?: boolean;
}

/** Plain SGD when momentum is 0 (no state), else momentum SGD. */
export function sgd(options: SgdOptions): GradientTransform {
  const { lr, momentum = 0, nesterov = false } = options;
  if (nesterov && momentum === 0) throw new RangeError("nesterov momentum needs momentum > 0");
  return momentum === 0
    ? scaleByLearningRate(lr)
    : chain(trace({ momentum, nesterov }), scaleByLearningRate(lr));
}
