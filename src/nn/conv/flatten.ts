/** Flatten: one sample [H, W, C] (any shape) → [H·W·C], row-major, so channels vary fastest. */
import type { numpy as np } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../../engine/dtype.js";
import type { Key } from "../../engine/random.js";
import { defineLayer } from "../definition.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "../layer.js";
import { product } from "../layer.js";

export interface FlattenSpec {
  type: "flatten";
}

export class FlattenLayer implements Layer {
  readonly kind = "flatten";
  readonly outputShape: readonly number[];

  constructor(
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    this.outputShape = [product(inputShape)];
  }

  init(key: Key): LayerState {
    key.dispose();
    return { params: {}, buffers: {} };
  }

  apply(_state: LayerState, x: np.Array): np.Array {
    return x.reshape([x.shape[0] as number, this.outputShape[0] as number]);
  }

  paramShapes(): ShapeRecord {
    return {};
  }

  /** A reshape moves no numbers. */
  flops(): FlopCount {
    return { forward: 0, backward: 0 };
  }
}

export const FLATTEN_DEFINITION = defineLayer<FlattenSpec>({
  type: "flatten",
  summary: "Flattens each sample to a vector (row-major: [H, W, C] → [H·W·C])",
  schema: z.object({ type: z.literal("flatten") }).strict(),
  build: (_spec, inputShape, dtype) => new FlattenLayer(inputShape, dtype),
});
