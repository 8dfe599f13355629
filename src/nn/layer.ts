/**
 * The layer contract. A layer is built from its spec and the shape of one input sample; it owns
 * no arrays. `init` makes the arrays, `apply` is a pure function of them, so a model is a tree of
 * arrays plus the specs (Equinox/Flax style) and `jit` can trace a whole train step.
 *
 * Ownership (jax-js counts references): `apply` CONSUMES `x` and BORROWS `state` — it takes
 * `.ref` of every parameter or buffer it uses and leaves the caller's references intact.
 */
import type { numpy as np } from "@jax-js/jax";
import { InputError } from "../base/errors.js";
import type { FloatDType } from "../engine/dtype.js";
import type { Key } from "../engine/random.js";

export type ArrayRecord = Record<string, np.Array>;

/** A layer's arrays: `params` train, `buffers` do not (KAN grids, masks, fixed constants). */
export interface LayerState {
  params: ArrayRecord;
  buffers: ArrayRecord;
}

/**
 * FLOPs for ONE sample. Convention (docs/layers.md): a multiply-add is 2 FLOPs, every other
 * elementary operation (add, compare, exp, tanh, ...) 1 FLOP. `backward` is the cost of the
 * backward pass alone; by default twice the forward (gradients for inputs and for weights), the
 * usual estimate (forward+backward = 3 x forward).
 */
export interface FlopCount {
  forward: number;
  backward: number;
}

export function flopsFromForward(forward: number): FlopCount {
  return { forward, backward: 2 * forward };
}

export interface Layer {
  /** The spec's `type`. */
  readonly kind: string;
  /** Shape of one input sample and of one output sample (batch axis excluded). */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly dtype: FloatDType;
  /** Fresh arrays; consumes `key`. */
  init(key: Key): LayerState;
  /** y = layer(x) for a batch `x` of shape [batch, ...inputShape]. Consumes x, borrows state. */
  apply(state: LayerState, x: np.Array): np.Array;
  /**
   * Optional split of apply for speed: `prepare` computes, with no gradient, arrays that depend
   * on x only (KAN basis values and slopes); `applyPrepared` finishes the layer from them with
   * exact value and first derivative. A train step runs `prepare` in its own jitted call, because
   * jax-js would otherwise push zero tangents through the whole preparation.
   * Both consume x; applyPrepared consumes `prepared`.
   */
  prepare?(state: LayerState, x: np.Array): np.Array[];
  applyPrepared?(state: LayerState, x: np.Array, prepared: np.Array[]): np.Array;
  /**
   * The shape of every array `init` puts in `params`, by name, from the spec and input shape
   * alone: the parameter count follows from it (paramCount) without allocating arrays, which the
   * width solver needs for its many candidate widths.
   */
  paramShapes(): ShapeRecord;
  flops(): FlopCount;
}

/** Array shapes by name (a LayerState record's shapes, known before any array exists). */
export type ShapeRecord = Record<string, number[]>;

/** Exact number of trainable scalars: the sizes of the layer's parameter shapes, summed. */
export function paramCount(layer: Pick<Layer, "paramShapes">): number {
  return countOf(layer.paramShapes());
}

/** Thrown for a spec that cannot be built (bad widths, shapes, names): bad input, exit 2. */
export class LayerSpecError extends InputError {
  override name = "LayerSpecError";
}

/** The width of a flat input sample; layers that need one say so by name. */
export function flatInputCount(kind: string, inputShape: readonly number[]): number {
  if (inputShape.length !== 1)
    throw new LayerSpecError(
      `${kind} needs flat inputs, got shape [${inputShape.join(", ")}]: add a flatten layer`,
    );
  return inputShape[0] as number;
}

export const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Number of scalars in every array of a record whose shapes are known from the spec. */
export function countOf(shapes: Record<string, readonly number[]>): number {
  return Object.values(shapes).reduce((sum, shape) => sum + product(shape), 0);
}
