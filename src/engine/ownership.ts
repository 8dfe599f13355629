/**
 * Ownership helpers over jax-js's reference counting (every call consumes its array arguments;
 * `.ref` adds a reference). These make the common patterns leak-free by construction:
 * reading values out, holding a parameter tree across steps, and borrowing it for one call.
 */
import { numpy as np, tree } from "@jax-js/jax";
import type { JsTree } from "@jax-js/jax";

/** Copies an array's values into a Float64Array, consuming the array (jax-js's `dataSync`
 * takes ownership). Use `takeValues(a.ref)` to keep `a`. */
export function takeValues(array: np.Array): Float64Array {
  return Float64Array.from(array.dataSync());
}

/** Reads a scalar array's value and releases it. */
export function takeScalar(array: np.Array): number {
  const values = takeValues(array);
  if (values.length !== 1) throw new RangeError(`expected one value, got ${values.length}`);
  return values[0] as number;
}

/** Adds one reference to every array of a tree, for a call that will consume them. */
export function borrowTree<T extends JsTree<np.Array>>(value: T): T {
  return tree.ref(value) as T;
}

export function disposeTree(value: JsTree<np.Array>): void {
  tree.dispose(value);
}

/**
 * Holds a tree of arrays (parameters, optimiser state) across steps. `lend()` gives a call its own
 * references; `replace()` releases the old tree when a step returns the next one.
 */
export class OwnedTree<T extends JsTree<np.Array>> {
  #value: T | undefined;

  constructor(value: T) {
    this.#value = value;
  }

  lend(): T {
    return borrowTree(this.current());
  }

  replace(next: T): void {
    const old = this.current();
    this.#value = next;
    disposeTree(old);
  }

  /** Hands the tree to the caller, who then owns it. */
  release(): T {
    const value = this.current();
    this.#value = undefined;
    return value;
  }

  dispose(): void {
    if (this.#value !== undefined) disposeTree(this.#value);
    this.#value = undefined;
  }

  private current(): T {
    if (this.#value === undefined) throw new Error("OwnedTree used after release or dispose");
    return this.#value;
  }
}
