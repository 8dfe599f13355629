/**
 * A whole trained model as an ONNX model (opset 17): the checkpoint's layer specs and arrays as
 * one graph from `input` ([batch, ...inputShape]) to `output` ([batch, ...outputShape]), of the
 * model's float type (float32 → FLOAT, float64 → DOUBLE). Every layer type with an ONNX form is
 * mapped (docs/export-onnx.md has the table); any other throws an error naming the layer's index
 * and type. Pure: bytes out, nothing written.
 */
import type { Scaling } from "../data/normalize.js";
import type { LayerSpec } from "../nn/definition.js";
import type { ConvKanLayer } from "../nn/conv/conv-kan.js";
import { Model } from "../nn/model.js";
import { parseLayerSpec } from "../nn/registry.js";
import type { CheckpointSpec } from "./checkpoint.js";
import { evonormB0, evonormS0 } from "./onnx/evonorm.js";
import type { GraphTarget } from "./onnx/graph.js";
import { encodeModel, OnnxExportError, OnnxGraph } from "./onnx/graph.js";
import { afKan, daruanKan, rationalKan, selectableKan } from "./onnx/kan-advanced.js";
import { bsplineKan, chebyshevKan, fastKan, fourierKan, reluKan } from "./onnx/kan-layers.js";
import type { LayerMapping } from "./onnx/layer-context.js";
import { LayerContext } from "./onnx/layer-context.js";
import {
  activation,
  conv2d,
  dense,
  pool2d,
  quadratic,
  reshape,
  windowSlices,
} from "./onnx/layers.js";
import type { HostState } from "./trial-engine.js";

export { ONNX_OPSET, OnnxExportError } from "./onnx/graph.js";

/**
 * conv_kan: every window of the image as a row [B·Ho·Wo, kh·kw·cin] (columns in (di, dj, c)
 * order, as im2col lays them out), the inner layer's mapping on the rows, [B, Ho, Wo, filters].
 */
const convKan: LayerMapping = (c, x) => {
  const g = c.graph;
  const layer = c.layer as ConvKanLayer;
  const { outHeight, outWidth } = layer.geometry;
  const patches = g.op("Concat", windowSlices(g, x, layer.geometry), { axis: 3 });
  const rows = g.op("Reshape", [
    patches,
    g.int64([-1, layer.inner.inputShape[0] as number], "shape"),
  ]);
  const innerSpec = parseLayerSpec(
    { ...(c.spec.inner as LayerSpec), units: c.spec.filters },
    `${c.where}.inner`,
  );
  const inner = c.nested(layer.inner, innerSpec, "inner");
  const y = onnxMappingOf(`${c.where}.inner`, innerSpec.type)(inner, rows);
  return g.op("Reshape", [
    y,
    g.int64([-1, outHeight, outWidth, c.spec.filters as number], "shape"),
  ]);
};

/** The ONNX form of each layer type that has one. */
const LAYER_MAPPINGS: Readonly<Record<string, LayerMapping>> = {
  dense,
  activation,
  quadratic,
  conv2d,
  maxpool2d: pool2d,
  avgpool2d: pool2d,
  flatten: reshape,
  reshape,
  kan: bsplineKan,
  kan_chebyshev: chebyshevKan,
  kan_fourier: fourierKan,
  kan_fastkan: fastKan,
  kan_relu: reluKan,
  kan_af: afKan,
  kan_rational: rationalKan,
  kan_selectable: selectableKan,
  kan_daruan: daruanKan,
  evonorm_b0: evonormB0,
  evonorm_s0: evonormS0,
  conv_kan: convKan,
};

/** The mapping of layer type `type`, or an error naming the layer (`where`: "layers[2]"). */
export function onnxMappingOf(where: string, type: string): LayerMapping {
  const mapping = Object.hasOwn(LAYER_MAPPINGS, type) ? LAYER_MAPPINGS[type] : undefined;
  if (!mapping)
    throw new OnnxExportError(
      `${where} (${type}): no ONNX mapping for this layer type ` +
        `(mapped: ${ONNX_LAYER_TYPES.join(", ")})`,
    );
  return mapping;
}

/** Layer types that have an ONNX form. */
export const ONNX_LAYER_TYPES: readonly string[] = Object.keys(LAYER_MAPPINGS);

export interface OnnxExportOptions {
  /** The scaling the model's inputs were trained with (stored = (raw − shift)/scale): put in the
   * graph as its first nodes, so the ONNX model takes raw rows. */
  inputScaling?: Scaling;
  /** The regression targets' scaling: the graph's last nodes give outputs·scale + shift, the
   * targets in their own units (as `nonlin predict` and the torch export give them). */
  targetScaling?: Scaling;
}

/** Checks a scaling's vectors against the values it scales: one value each, or one per last-axis
 * entry (a channel); `field` names it in the error. */
function checkScaling(field: string, scaling: Scaling, sample: readonly number[]): void {
  const width = sample.reduce((a, b) => a * b, 1);
  for (const [part, values] of [
    ["shift", scaling.shift],
    ["scale", scaling.scale],
  ] as const)
    if (values.length !== width && values.length !== (sample[sample.length - 1] ?? 1))
      throw new OnnxExportError(
        `${field}.${part}: ${values.length} values for ${field === "inputScaling" ? "inputs" : "outputs"} of shape [${sample.join(", ")}]`,
      );
}

/** A scaling's vector as a constant that broadcasts against [batch, ...sample]. */
function scalingConstant(
  graph: OnnxGraph,
  values: readonly number[],
  sample: readonly number[],
  name: string,
): string {
  const width = sample.reduce((a, b) => a * b, 1);
  return graph.constant(values, values.length === width ? sample : [values.length], name);
}

/** The model's inputs from raw rows: (raw − shift)/scale, per input column. */
function scaledInput(graph: OnnxGraph, input: string, scaling: Scaling, sample: readonly number[]) {
  checkScaling("inputScaling", scaling, sample);
  const centred = graph.op("Sub", [
    input,
    scalingConstant(graph, scaling.shift, sample, "input.shift"),
  ]);
  return graph.op("Div", [centred, scalingConstant(graph, scaling.scale, sample, "input.scale")]);
}

/** The model's outputs in the targets' units: y·scale + shift. */
function unscaledOutput(graph: OnnxGraph, y: string, scaling: Scaling, sample: readonly number[]) {
  checkScaling("targetScaling", scaling, sample);
  const scaled = graph.op("Mul", [
    y,
    scalingConstant(graph, scaling.scale, sample, "target.scale"),
  ]);
  return graph.op("Add", [scaled, scalingConstant(graph, scaling.shift, sample, "target.shift")]);
}

/** A model's whole graph: raw rows in (`input`), the model's outputs out (`output`). */
export interface ModelGraph {
  graph: OnnxGraph;
  input: string;
  output: string;
  inputShape: readonly number[];
  outputShape: readonly number[];
}

/**
 * `spec`'s layers with the arrays of `state` as one graph for `target` (ONNX, or JAX code).
 * Throws OnnxExportError (bad input, exit 2) for a layer without a mapping, naming its index and
 * type, and for a missing array.
 */
export function modelGraph(
  spec: Pick<CheckpointSpec, "layers" | "inputShape" | "dtype">,
  state: HostState,
  options: OnnxExportOptions = {},
  target: GraphTarget = "onnx",
): ModelGraph {
  const model = new Model(spec.layers, spec.inputShape, spec.dtype);
  if (state.length !== model.layers.length)
    throw new OnnxExportError(
      `the weights hold ${state.length} layers, the spec ${model.layers.length}`,
    );
  const graph = new OnnxGraph(spec.dtype, target);
  const input = graph.fresh("input");
  if (options.inputScaling) graph.mark("the task's feature scaling");
  let x = options.inputScaling
    ? scaledInput(graph, input, options.inputScaling, spec.inputShape)
    : input;
  model.layers.forEach((layer, index) => {
    const layerSpec = parseLayerSpec(spec.layers[index] as LayerSpec, `layers[${index}]`);
    const mapping = onnxMappingOf(`layers[${index}]`, layerSpec.type);
    graph.mark(`layers[${index}] (${layerSpec.type})`);
    x = mapping(new LayerContext(graph, index, layer, layerSpec, state[index]!), x);
  });
  if (options.targetScaling) {
    graph.mark("the targets in their own units");
    x = unscaledOutput(graph, x, options.targetScaling, model.outputShape);
  }
  const output = graph.op("Identity", [x], {}, "output");
  return { graph, input, output, inputShape: spec.inputShape, outputShape: model.outputShape };
}

/**
 * The ONNX model (serialised ModelProto) of `spec`'s layers with the arrays of `state` (see
 * modelGraph for what is refused).
 */
export function modelToOnnx(
  spec: Pick<CheckpointSpec, "layers" | "inputShape" | "dtype">,
  state: HostState,
  options: OnnxExportOptions = {},
): Uint8Array {
  const { graph, input, output, outputShape } = modelGraph(spec, state, options);
  return encodeModel(graph, {
    input: { name: input, sample: spec.inputShape },
    output: { name: output, sample: outputShape },
    metadata: { "nonlin.layers": JSON.stringify(spec.layers), "nonlin.dtype": spec.dtype },
  });
}
