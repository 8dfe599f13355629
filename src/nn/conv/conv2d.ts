/**
 * 2-D convolution on channels-last images: y[b, i, j, f] = act(Σ_{di,dj,c} x[b, s·i+di, s·j+dj, c]
 * · w[di, dj, c, f] + b[f]). Only 2-D matmul is fast in jax-js (both lowerings measured 2–20x
 * faster than lax.conv for a value-and-gradient step, docs/layers/conv.md):
 *
 * - stride 1: shifted rows (`convolveShifted`) — the padded image flattened to rows, each window
 *   offset a contiguous row range of it, one matmul per offset, summed; no patch matrix;
 * - larger strides: im2col + ONE matmul [B·Ho·Wo, kh·kw·cin] @ [kh·kw·cin, filters]
 *   (`convolveIm2col`).
 */
import { numpy as np } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../../engine/dtype.js";
import { toJaxDType } from "../../engine/dtype.js";
import type { Key } from "../../engine/random.js";
import { ActivationApplier } from "../activation.js";
import { defineLayer } from "../definition.js";
import type { WeightInit } from "../init.js";
import { initWeight, WEIGHT_INITS } from "../init.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "../layer.js";
import { LayerSpecError } from "../layer.js";
import type { Padding, PatchGeometry, SizePair } from "./patches.js";
import { matmul2d } from "../dense.js";
import { extractPatches, PADDINGS, patchGeometry, patchSize, sizePairSchema } from "./patches.js";

export interface Conv2dSpec {
  type: "conv2d";
  filters: number;
  kernel: SizePair;
  stride: SizePair;
  padding: Padding;
  bias: boolean;
  activation: string;
  init: WeightInit;
}

export class Conv2dLayer implements Layer {
  readonly kind = "conv2d";
  readonly outputShape: readonly number[];
  readonly geometry: PatchGeometry;
  readonly activation: ActivationApplier;

  constructor(
    readonly spec: Conv2dSpec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    if (!Number.isInteger(spec.filters) || spec.filters < 1)
      throw new LayerSpecError(`conv2d: filters must be a positive integer, got ${spec.filters}`);
    this.geometry = patchGeometry("conv2d", inputShape, spec.kernel, spec.stride, spec.padding);
    this.outputShape = [this.geometry.outHeight, this.geometry.outWidth, spec.filters];
    this.activation = new ActivationApplier(spec.activation, this.outputShape, dtype);
  }

  /** The kernel is stored [kh, kw, cin, filters] (JAX/TensorFlow HWIO). */
  paramShapes(): ShapeRecord {
    const [kh, kw] = this.geometry.kernel;
    return {
      w: [kh, kw, this.geometry.channels, this.spec.filters],
      ...(this.spec.bias ? { b: [this.spec.filters] } : {}),
      ...this.activation.paramShapes(),
    };
  }

  /** Fan-in kh·kw·cin. */
  init(key: Key): LayerState {
    const [kh, kw] = this.geometry.kernel;
    const shapes = this.paramShapes();
    const fans = { fanIn: patchSize(this.geometry), fanOut: kh * kw * this.spec.filters };
    const w = initWeight(key, this.spec.init, shapes.w as number[], fans, this.dtype);
    const state: LayerState = { params: { w }, buffers: {} };
    if (shapes.b) state.params.b = np.zeros(shapes.b, { dtype: toJaxDType(this.dtype) });
    this.activation.initInto(state);
    return state;
  }

  apply(state: LayerState, x: np.Array): np.Array {
    const { w, b } = state.params;
    const g = this.geometry;
    const convolve = g.stride[0] === 1 && g.stride[1] === 1 ? convolveShifted : convolveIm2col;
    let z = convolve(x, (w as np.Array).ref, g);
    if (b) z = z.add(b.ref);
    return this.activation.apply(state, z);
  }

  /** Forward = 2·Ho·Wo·kh·kw·cin·filters (multiply-adds) + Ho·Wo·filters (bias) + activation. */
  flops(): FlopCount {
    const positions = this.geometry.outHeight * this.geometry.outWidth;
    const forward =
      2 * positions * patchSize(this.geometry) * this.spec.filters +
      (this.spec.bias ? positions * this.spec.filters : 0) +
      this.activation.flops().forward;
    return { forward, backward: 2 * forward };
  }
}

/**
 * im2col: the windows as rows [B·Ho·Wo, kh·kw·cin], times the kernel reshaped [kh·kw·cin,
 * filters], as [B, Ho, Wo, filters]. Any stride. Consumes x and w.
 */
export function convolveIm2col(x: np.Array, w: np.Array, g: PatchGeometry): np.Array {
  const batch = x.shape[0] as number;
  const filters = w.shape[3] as number;
  const z = np.matmul(extractPatches(x, g), w.reshape([patchSize(g), filters]));
  return z.reshape([batch, g.outHeight, g.outWidth, filters]);
}

/**
 * Stride 1 without a patch matrix. Each image is laid out with its zero padding shared between
 * neighbours: rows of Ws = W + max(left, right) values (the image's W, then zeros that are the
 * right padding of this row and the left padding of the next), Hs = H + max(top, bottom) such
 * rows per image (the last ones zero, likewise shared), all images one after another, flattened
 * to rows [B·Hs·Ws, cin] after top·Ws + left zero rows. Output (b, i, j) sits at row
 * q = (b·Hs + i)·Ws + j and window offset (di, dj) reads row q + di·Ws + dj: the same shift for
 * every output, so each offset is ONE contiguous row range. z = Σ_offsets rows[shift, shift +
 * B·Hs·Ws) @ w[di, dj] (a broadcast product when cin = 1), then the rows of real outputs
 * (i < Ho, j < Wo) are kept; the others (windows reaching into the shared padding) are computed
 * and dropped: (Hs·Ws)/(Ho·Wo) more multiply-adds (1.07 for 28×28 "same" 3×3, 1.15 for 14×14).
 *
 * Measured against im2col on conv32-pool-conv64-pool-dense128-10 (bench/cnn-throughput.ts): the
 * patch matrix's concatenation and its gradient's scatter were half the step; here no patch
 * matrix is built. Same products as im2col; the sums over offsets are added in another order, so
 * results differ from im2col by rounding (test/conv.test.ts: 1e-9 relative in float64). Consumes
 * x and w.
 */
export function convolveShifted(x: np.Array, w: np.Array, g: PatchGeometry): np.Array {
  if (g.stride[0] !== 1 || g.stride[1] !== 1)
    throw new Error("convolveShifted: stride 1 only (use convolveIm2col)");
  const batch = x.shape[0] as number;
  const filters = w.shape[3] as number;
  const [kh, kw] = g.kernel;
  const [top, bottom] = g.padRows;
  const [left, right] = g.padColumns;
  const imageRows = g.height + Math.max(top, bottom);
  const rowLength = g.width + Math.max(left, right);
  const rows = batch * imageRows * rowLength;
  const lead = top * rowLength + left;
  const lastShift = (kh - 1) * rowLength + (kw - 1);
  let flat = x;
  if (imageRows > g.height || rowLength > g.width)
    flat = np.pad(flat, [
      [0, 0],
      [0, imageRows - g.height],
      [0, rowLength - g.width],
      [0, 0],
    ]);
  flat = flat.reshape([rows, g.channels]);
  // reads reach from row −lead (the first image's top-left window) to rows − 1 + lastShift − lead
  const tail = Math.max(lastShift - lead, 0);
  if (lead + tail > 0)
    flat = np.pad(flat, [
      [lead, tail],
      [0, 0],
    ]);
  let z: np.Array | undefined;
  for (let di = 0; di < kh; di++)
    for (let dj = 0; dj < kw; dj++) {
      const shift = di * rowLength + dj;
      const window = flat.ref.slice([shift, shift + rows], []);
      const kernel = w.ref.slice(di, dj);
      const term = g.channels === 1 ? window.mul(kernel) : matmul2d(window, kernel);
      z = z ? z.add(term) : term;
    }
  flat.dispose();
  w.dispose();
  return (z as np.Array)
    .reshape([batch, imageRows, rowLength, filters])
    .slice([], [0, g.outHeight], [0, g.outWidth], []);
}

export const conv2dSchema = z
  .object({
    type: z.literal("conv2d"),
    filters: z.number().int().positive(),
    kernel: sizePairSchema,
    stride: sizePairSchema.default(1),
    padding: z.enum(PADDINGS).default("valid"),
    bias: z.boolean().default(true),
    activation: z.string().default("identity"),
    init: z.enum(WEIGHT_INITS).default("he_normal"),
  })
  .strict();

export const CONV2D_DEFINITION = defineLayer<Conv2dSpec>({
  type: "conv2d",
  summary:
    "2-D convolution on [height, width, channels] images (stride 1: matmuls over shifted rows; else im2col)",
  schema: conv2dSchema,
  build: (spec, inputShape, dtype) => new Conv2dLayer(spec, inputShape, dtype),
});
