/**
 * Weight decay as a transform: updates + λ·params (Optax's add_decayed_weights). Where it sits in
 * a chain decides its meaning: before Adam's scaling it is an L2 penalty on the loss (PyTorch's
 * Adam/SGD weight_decay); after it, decoupled decay ("Decoupled Weight Decay Regularization",
 * Loshchilov & Hutter), which is AdamW.
 */
import type { GradientTransform } from "./transform.js";
import { stateless } from "./transform.js";
import { mapMatching, mulScalar } from "./tree-ops.js";

export function addDecayedWeights(weightDecay: number): GradientTransform {
  if (!(weightDecay >= 0)) throw new RangeError(`weight decay must be >= 0, got ${weightDecay}`);
  return stateless((updates, params) =>
    weightDecay === 0
      ? updates
      : mapMatching((u, p) => u.add(mulScalar(p.ref, weightDecay)), updates, params),
  );
}
