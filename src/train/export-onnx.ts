/**
 * A whole trained model as an ONNX model (opset 17): the checkpoint's layer specs and arrays as
 * one graph from `input` ([batch, ...inputShape]) to `output` ([batch, ...outputShape]), of the
 * model's float type (float32 → FLOAT, float64 → DOUBLE). Every layer type with an ONNX form is
 * mapped (docs/export-onnx.md has the table); any other throws an error naming the layer's index
 * and type. Pure: bytes out, nothing written.
 */
import type { Scaling } from "../data/normalize.js";
import type { LayerSpec } from "../nn/definition.js";
import { Model } from "../nn/model.js";
import { parseLayerSpec } from "../nn/registry.js";
import type { CheckpointSpec } from "./checkpoint.js";
import { encodeModel, OnnxExportError, OnnxGraph } from "./onnx/graph.js";
import { bsplineKan, chebyshevKan, fastKan, fourierKan, reluKan } from "./onnx/kan-layers.js";
import type { LayerMapping } from "./onnx/layer-context.js";
import { LayerContext } from "./onnx/layer-context.js";
import { activation, conv2d, dense, pool2d, quadratic, reshape } from "./onnx/layers.js";
import type { HostState } from "./trial-engine.js";

export { ONNX_OPSET, OnnxExportError } from "./onnx/graph.js";

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
};

/** Layer types that have an ONNX form. */
export const ONNX_LAYER_TYPES: readonly string[] = Object.keys(LAYER_MAPPINGS);

export interface OnnxExportOptions {
  /** The scaling the model's inputs were trained with (stored = (raw − shift)/scale): put in the
   * graph as its first nodes, so the ONNX model takes raw rows. */
  inputScaling?: Scaling;
}

/** The model's inputs from raw rows: (raw − shift)/scale, per input column. */
function scaledInput(graph: OnnxGraph, input: string, scaling: Scaling, sample: readonly number[]) {
  const width = sample.reduce((a, b) => a * b, 1);
  for (const [field, values] of [
    ["shift", scaling.shift],
    ["scale", scaling.scale],
  ] as const)
    if (values.length !== width && values.length !== (sample[sample.length - 1] ?? 1))
      throw new OnnxExportError(
        `inputScaling.${field}: ${values.length} values for inputs of shape [${sample.join(", ")}]`,
      );
  const shaped = (values: readonly number[], name: string): string =>
    graph.constant(values, values.length === width ? sample : [values.length], name);
  const centred = graph.op("Sub", [input, shaped(scaling.shift, "input.shift")]);
  return graph.op("Div", [centred, shaped(scaling.scale, "input.scale")]);
}

/**
 * The ONNX model (serialised ModelProto) of `spec`'s layers with the arrays of `state`. Throws
 * OnnxExportError (bad input, exit 2) for a layer without an ONNX form, naming its index and type,
 * and for a missing array.
 */
export function modelToOnnx(
  spec: Pick<CheckpointSpec, "layers" | "inputShape" | "dtype">,
  state: HostState,
  options: OnnxExportOptions = {},
): Uint8Array {
  const model = new Model(spec.layers, spec.inputShape, spec.dtype);
  if (state.length !== model.layers.length)
    throw new OnnxExportError(
      `the weights hold ${state.length} layers, the spec ${model.layers.length}`,
    );
  const graph = new OnnxGraph(spec.dtype);
  const input = graph.fresh("input");
  let x = options.inputScaling
    ? scaledInput(graph, input, options.inputScaling, spec.inputShape)
    : input;
  model.layers.forEach((layer, index) => {
    const layerSpec = parseLayerSpec(spec.layers[index] as LayerSpec, `layers[${index}]`);
    const mapping = Object.hasOwn(LAYER_MAPPINGS, layerSpec.type)
      ? LAYER_MAPPINGS[layerSpec.type]
      : undefined;
    if (!mapping)
      throw new OnnxExportError(
        `layers[${index}] (${layerSpec.type}): no ONNX mapping for this layer type ` +
          `(mapped: ${ONNX_LAYER_TYPES.join(", ")})`,
      );
    x = mapping(new LayerContext(graph, index, layer, layerSpec, state[index]!), x);
  });
  const output = graph.op("Identity", [x], {}, "output");
  return encodeModel(graph, {
    input: { name: input, sample: spec.inputShape },
    output: { name: output, sample: model.outputShape },
    metadata: { "nonlin.layers": JSON.stringify(spec.layers), "nonlin.dtype": spec.dtype },
  });
}
