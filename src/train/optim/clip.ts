/**
 * Gradient clipping by global norm (Pascanu et al., "On the difficulty of training recurrent
 * neural networks"): g · c / max(‖g‖, c), where ‖g‖ is the 2-norm over all leaves together, so
 * the direction is kept and only steps longer than c are shortened.
 */
import { numpy as np, tree } from "@jax-js/jax";
import type { GradientTransform } from "./transform.js";
import { stateless } from "./transform.js";
import type { ArrayTree } from "./tree-ops.js";
import { firstLeafDType, mapMatching, scalarOf } from "./tree-ops.js";

/** ‖tree‖₂ over all leaves, in the first leaf's dtype; borrows the tree. */
export function globalNorm(value: ArrayTree): np.Array {
  const dtype = firstLeafDType(value);
  let sumOfSquares = np.zeros([], { dtype });
  for (const leaf of tree.leaves(value))
    sumOfSquares = sumOfSquares.add(np.square(leaf.ref).sum().astype(dtype));
  return np.sqrt(sumOfSquares);
}

export function clipByGlobalNorm(maxNorm: number): GradientTransform {
  if (!(maxNorm > 0)) throw new RangeError(`clip max norm must be > 0, got ${maxNorm}`);
  return stateless((updates) => {
    // c / max(‖g‖, c) is exactly 1 below the threshold and finite for a zero gradient.
    const limit = scalarOf(maxNorm, firstLeafDType(updates));
    const factor = limit.ref.div(np.maximum(globalNorm(updates), limit));
    const clipped = mapMatching((u) => u.mul(factor.ref.astype(u.dtype)), updates);
    factor.dispose();
    return clipped;
  });
}
