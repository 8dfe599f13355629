/**
 * ONNX forms of the dense, activation, quadratic and image layers (src/nn/dense.ts, activation.ts,
 * quadratic.ts, conv/). Images are channels-last in nonlin ([batch, height, width, channels]) and
 * channels-first in ONNX's Conv and pools, so those run between two Transposes; a kernel stored
 * [kh, kw, cin, filters] (HWIO) is written as OIHW.
 *
 * onnxruntime has no double Conv or AveragePool, so a float64 model writes those two as nonlin
 * computes them: one strided Slice of the (padded) image per window offset — a convolution sums
 * each offset's slice times its kernel slice (a MatMul over channels), a mean pool sums the
 * slices and multiplies by 1/(ph·pw). JAX has both in double (GraphTarget): its graph keeps Conv.
 */
import type { Conv2dLayer } from "../../nn/conv/conv2d.js";
import type { PatchGeometry } from "../../nn/conv/patches.js";
import type { PoolLayer } from "../../nn/conv/pool.js";
import type { OnnxGraph } from "./graph.js";
import type { LayerContext, LayerMapping } from "./layer-context.js";

const TO_CHANNELS_FIRST = [0, 3, 1, 2];
const TO_CHANNELS_LAST = [0, 2, 3, 1];

/** y = f(x·W + b). */
export const dense: LayerMapping = (c, x) => {
  let z = c.graph.op("MatMul", [x, c.weight("w")]);
  if (c.has("b")) z = c.graph.op("Add", [z, c.weight("b")]);
  return c.activation("activation", z, c.layer.outputShape);
};

/** y = f(x), shape kept. */
export const activation: LayerMapping = (c, x) => c.activation("fn", x, c.layer.inputShape);

/** y = f((x·w_r + b_r)(x·w_g + b_g) + (x⊙x)·w_b + c). */
export const quadratic: LayerMapping = (c, x) => {
  const g = c.graph;
  const affine = (w: string, b: string): string =>
    g.op("Add", [g.op("MatMul", [x, c.weight(w)]), c.weight(b)]);
  const product = g.op("Mul", [affine("w_r", "b_r"), affine("w_g", "b_g")]);
  const power = g.op("MatMul", [g.op("Mul", [x, x]), c.weight("w_b")]);
  const z = g.op("Add", [g.op("Add", [product, power]), c.weight("c")]);
  return c.activation("activation", z, c.layer.outputShape);
};

/** The kernel HWIO → OIHW, on the host. */
function kernelOihw(
  values: Float64Array,
  [kh, kw, cin, filters]: readonly [number, number, number, number],
): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let ci = 0; ci < cin; ci++)
        for (let o = 0; o < filters; o++)
          out[((o * cin + ci) * kh + i) * kw + j] =
            values[((i * kw + j) * cin + ci) * filters + o]!;
  return out;
}

/** Every window offset (di, dj) of a channels-last image x, in row-major order: the slice
 * [batch, outHeight, outWidth, channels] of the values each window sees at that offset. */
export function windowSlices(g: OnnxGraph, x: string, geometry: PatchGeometry): string[] {
  const { kernel, stride, padRows, padColumns, outHeight, outWidth } = geometry;
  let padded = x;
  if (padRows[0] + padRows[1] + padColumns[0] + padColumns[1] > 0)
    padded = g.op("Pad", [
      x,
      g.int64([0, padRows[0], padColumns[0], 0, 0, padRows[1], padColumns[1], 0], "pads"),
    ]);
  const slices: string[] = [];
  for (let di = 0; di < kernel[0]; di++)
    for (let dj = 0; dj < kernel[1]; dj++) {
      const starts = [di, dj];
      const ends = [di + (outHeight - 1) * stride[0] + 1, dj + (outWidth - 1) * stride[1] + 1];
      slices.push(
        g.op("Slice", [
          padded,
          g.int64(starts, "starts"),
          g.int64(ends, "ends"),
          g.int64([1, 2], "axes"),
          g.int64([...stride], "steps"),
        ]),
      );
    }
  return slices;
}

const sum = (g: OnnxGraph, terms: string[]): string =>
  terms.reduce((total, term) => g.op("Add", [total, term]));

/** conv(x, W) as Σ over window offsets of slice · W[di, dj] (float64: no double Conv). */
function convolveBySlices(c: LayerContext, x: string, geometry: PatchGeometry): string {
  const g = c.graph;
  const w = c.array("w");
  const [cin, filters] = w.shape.slice(2) as [number, number];
  const block = cin * filters;
  const terms = windowSlices(g, x, geometry).map((slice, offset) => {
    const kernel = w.values.subarray(offset * block, (offset + 1) * block);
    return g.op("MatMul", [slice, g.constant(kernel, [cin, filters], `l${c.index}.w${offset}`)]);
  });
  return sum(g, terms);
}

/** y = f(conv(x, W) + b) over channels-last images ("same" padding: the smaller half before). */
export const conv2d: LayerMapping = (c, x) => {
  const g = c.graph;
  const geometry = (c.layer as Conv2dLayer).geometry;
  if (c.dtype === "float64" && g.target === "onnx") {
    let z = convolveBySlices(c, x, geometry);
    if (c.has("b")) z = g.op("Add", [z, c.weight("b")]);
    return c.activation("activation", z, c.layer.outputShape);
  }
  const w = c.array("w");
  const [kh, kw, cin, filters] = w.shape as [number, number, number, number];
  const kernel = g.constant(
    kernelOihw(w.values, [kh, kw, cin, filters]),
    [filters, cin, kh, kw],
    `l${c.index}.w`,
  );
  const inputs = [g.op("Transpose", [x], { perm: TO_CHANNELS_FIRST }), kernel];
  if (c.has("b")) inputs.push(c.weight("b"));
  const conv = g.op("Conv", inputs, {
    kernel_shape: [kh, kw],
    strides: [...geometry.stride],
    pads: [
      geometry.padRows[0],
      geometry.padColumns[0],
      geometry.padRows[1],
      geometry.padColumns[1],
    ],
  });
  const z = g.op("Transpose", [conv], { perm: TO_CHANNELS_LAST });
  return c.activation("activation", z, c.layer.outputShape);
};

/** Max or mean over valid windows. */
export const pool2d: LayerMapping = (c, x) => {
  const g = c.graph;
  const layer = c.layer as PoolLayer;
  if (layer.kind === "avgpool2d" && c.dtype === "float64" && g.target === "onnx") {
    const windows = windowSlices(g, x, layer.geometry);
    return g.op("Mul", [sum(g, windows), g.scalar(1 / windows.length)]);
  }
  const type = layer.kind === "maxpool2d" ? "MaxPool" : "AveragePool";
  const pooled = g.op(type, [g.op("Transpose", [x], { perm: TO_CHANNELS_FIRST })], {
    kernel_shape: [...layer.geometry.kernel],
    strides: [...layer.geometry.stride],
  });
  return g.op("Transpose", [pooled], { perm: TO_CHANNELS_LAST });
};

/** flatten and reshape: each sample to the layer's output shape, row-major (0 keeps the batch). */
export const reshape: LayerMapping = (c, x) =>
  c.graph.op("Reshape", [x, c.graph.int64([0, ...c.layer.outputShape], "shape")]);
