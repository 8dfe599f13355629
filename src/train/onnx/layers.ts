/**
 * ONNX forms of the dense, activation, quadratic and image layers (src/nn/dense.ts, activation.ts,
 * quadratic.ts, conv/). Images are channels-last in nonlin ([batch, height, width, channels]) and
 * channels-first in ONNX's Conv and pools, so those run between two Transposes; a kernel stored
 * [kh, kw, cin, filters] (HWIO) is written as OIHW.
 */
import type { Conv2dLayer } from "../../nn/conv/conv2d.js";
import type { PoolLayer } from "../../nn/conv/pool.js";
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
function kernelOihw(values: Float64Array, [kh, kw, cin, filters]: number[]): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let ci = 0; ci < cin; ci++)
        for (let o = 0; o < filters; o++)
          out[((o * cin + ci) * kh + i) * kw + j] = values[((i * kw + j) * cin + ci) * filters + o]!;
  return out;
}

/** y = f(conv(x, W) + b) over channels-last images ("same" padding: the smaller half before). */
export const conv2d: LayerMapping = (c, x) => {
  const g = c.graph;
  const geometry = (c.layer as Conv2dLayer).geometry;
  const w = c.array("w");
  const [kh, kw, cin, filters] = w.shape as [number, number, number, number];
  const kernel = g.constant(kernelOihw(w.values, w.shape), [filters, cin, kh, kw], `l${c.index}.w`);
  const inputs = [g.op("Transpose", [x], { perm: TO_CHANNELS_FIRST }), kernel];
  if (c.has("b")) inputs.push(c.weight("b"));
  const conv = g.op("Conv", inputs, {
    kernel_shape: [kh, kw],
    strides: [...geometry.stride],
    pads: [geometry.padRows[0], geometry.padColumns[0], geometry.padRows[1], geometry.padColumns[1]],
  });
  const z = g.op("Transpose", [conv], { perm: TO_CHANNELS_LAST });
  return c.activation("activation", z, c.layer.outputShape);
};

/** Max or mean over valid windows. */
export const pool2d: LayerMapping = (c, x) => {
  const g = c.graph;
  const layer = c.layer as PoolLayer;
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
