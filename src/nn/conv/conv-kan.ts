/**
 * Convolutional KAN (Bodner et al. 2024, "Convolutional Kolmogorov-Arnold Networks"; S-ConvKAN):
 * a KAN layer replaces the kernel's dot product, applied to every window. im2col turns the image
 * into rows [B·Ho·Wo, kh·kw·cin], the inner layer maps each row to `filters` outputs, and the
 * result is reshaped to [B, Ho, Wo, filters]. The inner layer's weights are shared by every
 * position, as a convolution's are.
 */
import type { numpy as np } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../../engine/dtype.js";
import type { Key } from "../../engine/random.js";
import type { LayerDefinition } from "../definition.js";
import { defineLayer } from "../definition.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "../layer.js";
import { LayerSpecError } from "../layer.js";
import type { Padding, PatchGeometry, SizePair } from "./patches.js";
import { extractPatches, PADDINGS, patchGeometry, patchSize, sizePairSchema } from "./patches.js";

export type InnerLayerSpec = { type: string } & Record<string, unknown>;

/** Builds the inner layer from its spec; the model registry's builder (passed in to avoid an
 * import cycle between this file and the registry). */
export type InnerLayerBuilder = (
  spec: InnerLayerSpec,
  inputShape: readonly number[],
  dtype: FloatDType,
) => Layer;

export interface ConvKanSpec {
  type: "conv_kan";
  filters: number;
  kernel: SizePair;
  stride: SizePair;
  padding: Padding;
  /** A layer spec (e.g. {type: "kan_chebyshev", degree: 3}); its `units` is `filters`. */
  inner: InnerLayerSpec;
}

export class ConvKanLayer implements Layer {
  readonly kind = "conv_kan";
  readonly outputShape: readonly number[];
  readonly geometry: PatchGeometry;
  readonly inner: Layer;

  constructor(
    readonly spec: ConvKanSpec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
    buildInner: InnerLayerBuilder,
  ) {
    if (!Number.isInteger(spec.filters) || spec.filters < 1)
      throw new LayerSpecError(`conv_kan: filters must be a positive integer, got ${spec.filters}`);
    if (spec.inner.units !== undefined && spec.inner.units !== spec.filters)
      throw new LayerSpecError(
        `conv_kan: inner.units (${String(spec.inner.units)}) differs from filters ` +
          `(${spec.filters}): leave inner.units out, filters sets it`,
      );
    this.geometry = patchGeometry("conv_kan", inputShape, spec.kernel, spec.stride, spec.padding);
    this.outputShape = [this.geometry.outHeight, this.geometry.outWidth, spec.filters];
    try {
      this.inner = buildInner(
        { ...spec.inner, units: spec.filters },
        [patchSize(this.geometry)],
        dtype,
      );
    } catch (error) {
      if (error instanceof LayerSpecError)
        throw new LayerSpecError(`conv_kan: inner: ${error.message}`);
      throw error;
    }
    const innerShape = this.inner.outputShape;
    if (innerShape.length !== 1 || innerShape[0] !== spec.filters)
      throw new LayerSpecError(
        `conv_kan: inner (type '${spec.inner.type}') must map a window to [${spec.filters}] ` +
          `(filters), it gives [${innerShape.join(", ")}]`,
      );
  }

  init(key: Key): LayerState {
    return this.inner.init(key);
  }

  apply(state: LayerState, x: np.Array): np.Array {
    const batch = x.shape[0] as number;
    const y = this.inner.apply(state, extractPatches(x, this.geometry));
    return y.reshape([batch, ...this.outputShape]);
  }

  paramShapes(): ShapeRecord {
    return this.inner.paramShapes();
  }

  /** The inner layer's cost for one window (its "sample") times Ho·Wo windows. */
  flops(): FlopCount {
    const windows = this.geometry.outHeight * this.geometry.outWidth;
    const inner = this.inner.flops();
    return { forward: windows * inner.forward, backward: windows * inner.backward };
  }
}

export const convKanSchema = z
  .object({
    type: z.literal("conv_kan"),
    filters: z.number().int().positive(),
    kernel: sizePairSchema,
    stride: sizePairSchema.default(1),
    padding: z.enum(PADDINGS).default("valid"),
    inner: z.looseObject({ type: z.string().min(1) }),
  })
  .strict();

/** The conv_kan definition, given the builder of its inner layer (the model registry's). */
export function makeConvKanDefinition(buildInner: InnerLayerBuilder): LayerDefinition {
  return defineLayer<ConvKanSpec>({
    type: "conv_kan",
    summary: "Convolutional KAN: an inner (KAN) layer applied to every image window",
    schema: convKanSchema,
    build: (spec, inputShape, dtype) => new ConvKanLayer(spec, inputShape, dtype, buildInner),
  });
}
