/**
 * Optimisers as composable gradient transforms (Optax, "Optax: composable gradient transformation
 * and optimisation, in JAX"): a transform is a pair of pure functions
 *   init(params) → state,   update(grads, state, params, step) → [updates, newState],
 * and an optimiser is a `chain` of small ones (clip, Adam moments, weight decay, learning rate).
 * The train step then applies `params ← params + updates`.
 *
 * Both functions are traceable by `jit`: they read no values and branch only on the configuration
 * and on tree structure, never on array values; `step` is an array so schedules trace too.
 *
 * Ownership (jax-js reference counting), the contract every transform here keeps:
 * - `init(params)` BORROWS params (reads shapes and dtypes) and returns fresh arrays.
 * - `update(grads, state, params, step)` CONSUMES grads and state, BORROWS params and step (a
 *   transform that reads them takes `.ref`), and returns new arrays the caller owns.
 * - `applyUpdates(params, updates)` CONSUMES both.
 * So inside one jitted step: `update(grads, state, params, step)` then `applyUpdates(params,
 * updates)` uses each input exactly once, with `step` left for the caller to dispose.
 *
 * `step` is the number of updates applied before this one (0 for the first), a scalar array of
 * any dtype (integer or float); schedules read it, Adam keeps its own count in its state.
 */
import type { numpy as np } from "@jax-js/jax";
import type { ArrayTree } from "./tree-ops.js";
import { mapMatching } from "./tree-ops.js";

export type OptState = ArrayTree;

export interface GradientTransform<S extends OptState = OptState> {
  /** Fresh state for these params; borrows params. */
  init(params: ArrayTree): S;
  /** Transformed updates and the next state; consumes grads and state, borrows params and step. */
  update(grads: ArrayTree, state: S, params: ArrayTree, step: np.Array): [ArrayTree, S];
}

/** Applies the transforms in order, each to the previous one's updates; state is their list. */
export function chain(...transforms: GradientTransform[]): GradientTransform {
  return {
    init: (params) => transforms.map((transform) => transform.init(params)),
    update(grads, state, params, step) {
      if (!Array.isArray(state) || state.length !== transforms.length)
        throw new RangeError(
          `a chain of ${transforms.length} transforms needs a list of as many states: was it initialised by this chain?`,
        );
      let updates = grads;
      const next: OptState[] = [];
      transforms.forEach((transform, i) => {
        const [transformed, own] = transform.update(updates, state[i] as OptState, params, step);
        updates = transformed;
        next.push(own);
      });
      return [updates, next];
    },
  };
}

/** params + updates, leaf by leaf; consumes both. */
export function applyUpdates<T extends ArrayTree>(params: T, updates: ArrayTree): T {
  return mapMatching((p, u) => p.add(u as np.Array), params, updates) as T;
}

/** A transform without state: `update` maps the updates only. */
export function stateless(
  map: (updates: ArrayTree, params: ArrayTree, step: np.Array) => ArrayTree,
): GradientTransform<Record<string, never>> {
  return {
    init: () => ({}),
    update: (grads, _state, params, step) => [map(grads, params, step), {}],
  };
}
