/**
 * Tree helpers the transforms share. jax-js's `tree.map` pairs leaves by position only, so two
 * trees whose keys were inserted in different orders would be silently mixed up; `mapMatching`
 * checks the structures first and names the mismatch.
 */
import { numpy as np, tree } from "@jax-js/jax";
import type { JsTree } from "@jax-js/jax";
import { RunError } from "../../base/errors.js";

/** Parameters, gradients, updates and optimiser state are all trees of arrays. */
export type ArrayTree = JsTree<np.Array>;

export class TreeMismatchError extends RunError {
  override name = "TreeMismatchError";
}

/**
 * Paths of a tree's leaves in `tree.flatten` order: object keys and array indices joined by "/"
 * ("layers/0/w"). Keys themselves may hold dots (activation parameters such as "act.a").
 */
export function leafPaths(value: JsTree<unknown>): string[] {
  const paths: string[] = [];
  const walk = (node: JsTree<unknown>, prefix: string): void => {
    const join = (key: string): string => (prefix === "" ? key : `${prefix}/${key}`);
    if (Array.isArray(node)) node.forEach((child, i) => walk(child, join(String(i))));
    else if (typeof node === "object" && node !== null && node.constructor === Object)
      for (const [key, child] of Object.entries(node)) walk(child as JsTree<unknown>, join(key));
    else paths.push(prefix);
  };
  walk(value, "");
  return paths;
}

/** `tree.map` over trees of one structure (same keys in the same order); throws otherwise. */
export function mapMatching<U>(
  fn: (...leaves: np.Array[]) => U,
  first: ArrayTree,
  ...rest: ArrayTree[]
): JsTree<U> {
  const [, firstDef] = tree.flatten(first);
  for (const other of rest) {
    const [, otherDef] = tree.flatten(other);
    if (!firstDef.equals(otherDef))
      throw new TreeMismatchError(
        `trees differ in structure: ${firstDef.toString()} vs ${otherDef.toString()}`,
      );
  }
  return tree.map(fn, first, ...rest) as JsTree<U>;
}

/** Leaves of a tree (arrays only). */
export function arrayLeaves(value: ArrayTree): np.Array[] {
  return tree.leaves(value);
}

/** The dtype scalars of a transform use: the first leaf's, float32 for a tree without leaves. */
export function firstLeafDType(value: ArrayTree): np.DType {
  const first = arrayLeaves(value)[0];
  return first === undefined ? np.float32 : first.dtype;
}

/** Zeros shaped like every leaf; borrows `value` (only shapes and dtypes are read). */
export function zerosLikeTree(value: ArrayTree): ArrayTree {
  return tree.map((leaf: np.Array) => np.zeros(leaf.shape, { dtype: leaf.dtype }), value);
}

/** A scalar array of the given dtype. */
export function scalarOf(value: number, dtype: np.DType): np.Array {
  return np.full([], value, { dtype });
}

/**
 * a·value and a + value with `value` as an array of a's dtype. Under `jit`, jax-js turns a plain
 * JS number into a float32 literal, which rounds float64 constants (measured: x·0.05 gives
 * x·0.05000000074505806), so every constant here goes through these; both consume `a`.
 */
export function mulScalar(a: np.Array, value: number): np.Array {
  return a.mul(scalarOf(value, a.dtype));
}

export function addScalar(a: np.Array, value: number): np.Array {
  return a.add(scalarOf(value, a.dtype));
}
