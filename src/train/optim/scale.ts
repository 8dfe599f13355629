/**
 * Scaling transforms: by the (scheduled) learning rate, and by a fixed multiplier per leaf — a
 * per-parameter learning rate, e.g. ReLinear's smaller steps for the quadratic terms of a
 * quadratic neuron ("On Expressivity and Trainability of Quadratic Networks").
 */
import type { numpy as np } from "@jax-js/jax";
import type { JsTree } from "@jax-js/jax";
import type { Schedule } from "./schedule.js";
import type { GradientTransform } from "./transform.js";
import { stateless } from "./transform.js";
import type { ArrayTree } from "./tree-ops.js";
import {
  firstLeafDType,
  leafPaths,
  mapMatching,
  mulScalar,
  TreeMismatchError,
} from "./tree-ops.js";

/** A fixed learning rate or a schedule of the step count. */
export type LearningRate = number | Schedule;

/**
 * updates · (−lr(step)): turns a descent direction into a step (Optax's scale_by_learning_rate).
 * A schedule gets the step cast to the updates' dtype, and its value is cast to each leaf's.
 */
export function scaleByLearningRate(lr: LearningRate): GradientTransform {
  return stateless((updates, _params, step) => {
    if (typeof lr === "number") return mapMatching((u) => mulScalar(u, -lr), updates);
    const rate = lr(step.ref.astype(firstLeafDType(updates))).neg();
    const scaled = mapMatching((u) => u.mul(rate.ref.astype(u.dtype)), updates);
    rate.dispose();
    return scaled;
  });
}

/** Multipliers per leaf: a tree of numbers shaped like params, or a function of the leaf path
 * (paths as `leafPaths` writes them, "layers/1/w_g"). */
export type LeafMultipliers = JsTree<number> | ((path: string) => number);

/** The multiplier of every leaf of `value`, in leaf order; names missing or extra paths. */
function multipliersFor(multipliers: LeafMultipliers, value: ArrayTree): number[] {
  const paths = leafPaths(value);
  if (typeof multipliers === "function") return paths.map((path) => multipliers(path));
  const given = new Map<string, unknown>();
  const givenPaths = leafPaths(multipliers);
  const givenLeaves = flattenNumbers(multipliers);
  givenPaths.forEach((path, i) => given.set(path, givenLeaves[i]));
  const missing = paths.filter((path) => !given.has(path));
  const extra = givenPaths.filter((path) => !paths.includes(path));
  if (missing.length > 0 || extra.length > 0)
    throw new TreeMismatchError(
      "learning-rate multipliers do not match the parameters:" +
        (missing.length > 0 ? ` missing ${missing.join(", ")};` : "") +
        (extra.length > 0 ? ` no parameter at ${extra.join(", ")}` : ""),
    );
  return paths.map((path) => {
    const multiplier = given.get(path);
    if (typeof multiplier !== "number" || !Number.isFinite(multiplier))
      throw new TreeMismatchError(`learning-rate multiplier at ${path} must be a finite number`);
    return multiplier;
  });
}

function flattenNumbers(value: JsTree<number>): unknown[] {
  const leaves: unknown[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === "object" && node !== null && node.constructor === Object)
      Object.values(node).forEach(walk);
    else leaves.push(node);
  };
  walk(value);
  return leaves;
}

/** updates · m(leaf), leaf by leaf; a multiplier of 1 leaves its leaf untouched. */
export function scaleLeaves(multipliers: LeafMultipliers): GradientTransform {
  return {
    init(params) {
      multipliersFor(multipliers, params);
      return {};
    },
    update(grads, _state, _params, _step) {
      const factors = multipliersFor(multipliers, grads);
      let i = 0;
      const scaled = mapMatching((u: np.Array) => {
        const factor = factors[i++] as number;
        return factor === 1 ? u : mulScalar(u, factor);
      }, grads);
      return [scaled, {}];
    },
  };
}
