/**
 * Reshape: one sample [...in] → [...shape], row-major (the numbers keep their order), e.g. flat
 * CSV rows of 784 pixels → [28, 28, 1] for conv2d (channels last). One entry of `shape` may be
 * -1: it takes whatever the others leave.
 */
import type { numpy as np } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../engine/dtype.js";
import type { Key } from "../engine/random.js";
import { defineLayer } from "./definition.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "./layer.js";
import { LayerSpecError, product } from "./layer.js";

export interface ReshapeSpec {
  type: "reshape";
  /** Shape of one output sample; positive sizes, at most one -1 (inferred). */
  shape: number[];
}

/** `shape` with its -1 filled in so that it holds `values` numbers; errors name `shape`. */
export function resolveShape(
  shape: readonly number[],
  values: number,
  inputShape: readonly number[],
): number[] {
  const text = `[${shape.join(", ")}]`;
  const input = `the input [${inputShape.join(", ")}] holds ${values} values a sample`;
  const free = shape.filter((size) => size === -1).length;
  if (free > 1) throw new LayerSpecError(`reshape: shape ${text} may hold -1 only once`);
  const known = product(shape.filter((size) => size !== -1));
  if (free === 0) {
    if (known !== values)
      throw new LayerSpecError(
        `reshape: shape ${text} holds ${known} values a sample but ${input}`,
      );
    return [...shape];
  }
  if (values % known !== 0)
    throw new LayerSpecError(
      `reshape: shape ${text} cannot be filled in: ${input}, not a multiple of ${known}`,
    );
  return shape.map((size) => (size === -1 ? values / known : size));
}

export class ReshapeLayer implements Layer {
  readonly kind = "reshape";
  readonly outputShape: readonly number[];

  constructor(
    spec: ReshapeSpec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    this.outputShape = resolveShape(spec.shape, product(inputShape), inputShape);
  }

  init(key: Key): LayerState {
    key.dispose();
    return { params: {}, buffers: {} };
  }

  apply(_state: LayerState, x: np.Array): np.Array {
    return x.reshape([x.shape[0] as number, ...this.outputShape]);
  }

  paramShapes(): ShapeRecord {
    return {};
  }

  /** A reshape moves no numbers. */
  flops(): FlopCount {
    return { forward: 0, backward: 0 };
  }
}

const sizeSchema = z
  .number()
  .int()
  .refine((size) => size > 0 || size === -1, {
    message: "sizes must be positive integers, or -1 (at most once) for the size inferred",
  });

export const RESHAPE_DEFINITION = defineLayer<ReshapeSpec>({
  type: "reshape",
  summary: "Reshapes each sample, row-major ([784] → [28, 28, 1]); one size may be -1",
  schema: z.object({ type: z.literal("reshape"), shape: z.array(sizeSchema).min(1) }).strict(),
  build: (spec, inputShape, dtype) => new ReshapeLayer(spec, inputShape, dtype),
});
