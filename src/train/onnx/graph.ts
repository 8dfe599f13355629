/**
 * A small builder of ONNX graphs over ONNX's own protobuf messages (onnx-proto): nodes with one
 * output each, named values, initializers of the model's float type, int64 shape and axis
 * constants. Every float the graph holds (weights and literals alike) is of the model's dtype.
 */
import onnxProto from "onnx-proto";
import { InputError } from "../../base/errors.js";
import type { FloatDType } from "../../engine/dtype.js";

const { onnx } = onnxProto;
export type NodeProto = InstanceType<typeof onnx.NodeProto>;
export type TensorProto = InstanceType<typeof onnx.TensorProto>;

/** ONNX opset the exporter writes (opset 17: ReduceMean/ReduceMax still take axes as attributes). */
export const ONNX_OPSET = 17;
/** IR version 8 (ONNX 1.10, the newest onnx-proto 8.0.1 knows); onnxruntime reads it with opset 17. */
export const ONNX_IR_VERSION = 8;

/** A model a layer or primitive of nonlin cannot be written as: bad input for export (exit 2). */
export class OnnxExportError extends InputError {
  override name = "OnnxExportError";
}

/**
 * What a graph is written for: an ONNX file run by onnxruntime, or JAX code (src/train/export-jax.ts)
 * generated from the same nodes. The JAX form may use what onnxruntime lacks (double Conv,
 * AveragePool, Atan and Erf) and two nodes of its own, outside ONNX's op set: `StopGradient` and
 * nonlin's surrogate gradient built on it, so that the exported function's gradients are nonlin's.
 */
export type GraphTarget = "onnx" | "jax";

/** Integer attributes (single or lists) and tensor-type attributes (Cast's `to`). */
export type Attributes = Record<string, number | readonly number[]>;

export const FLOAT_TYPE: Record<FloatDType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
};

/** Bytes of `values` as little-endian floats of the dtype (ONNX's raw_data is little-endian). */
function floatBytes(values: ArrayLike<number>, dtype: FloatDType): Uint8Array {
  const width = dtype === "float64" ? 8 : 4;
  const bytes = new Uint8Array(values.length * width);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++)
    if (width === 8) view.setFloat64(i * 8, values[i] as number, true);
    else view.setFloat32(i * 4, values[i] as number, true);
  return bytes;
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return bytes;
}

function attribute(name: string, value: number | readonly number[]) {
  const { AttributeType } = onnx.AttributeProto;
  return typeof value === "number"
    ? onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value })
    : onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: [...value] });
}

export class OnnxGraph {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly names = new Set<string>();
  private readonly scalars = new Map<number, string>();
  private readonly int64s = new Map<string, string>();

  /** Where each layer's nodes begin: (index into `nodes`, a label such as "layers[2] (dense)"). */
  readonly marks: { at: number; label: string }[] = [];

  constructor(
    readonly dtype: FloatDType,
    readonly target: GraphTarget = "onnx",
  ) {}

  /** Labels the nodes added from now on (the JAX code's comments). */
  mark(label: string): void {
    this.marks.push({ at: this.nodes.length, label });
  }

  /** A value name not used yet, from a readable hint. */
  fresh(hint: string): string {
    let name = hint;
    for (let k = 1; this.names.has(name); k++) name = `${hint}_${k}`;
    this.names.add(name);
    return name;
  }

  /** One node `opType(inputs)`; its single output's name. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Attributes = {},
    hint = opType,
  ): string {
    const output = this.fresh(hint);
    this.nodes.push(
      onnx.NodeProto.create({
        name: output,
        opType,
        input: [...inputs],
        output: [output],
        attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
      }),
    );
    return output;
  }

  /** A float initializer of the graph's dtype, row-major `values` of `shape`. */
  constant(values: ArrayLike<number>, shape: readonly number[], hint = "const"): string {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== values.length)
      throw new Error(`onnx: ${values.length} values for shape [${shape.join(", ")}]`);
    const name = this.fresh(hint);
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dataType: FLOAT_TYPE[this.dtype],
        dims: [...shape],
        rawData: floatBytes(values, this.dtype),
      }),
    );
    return name;
  }

  /** A float scalar, one initializer per distinct value. */
  scalar(value: number): string {
    const key = Object.is(value, -0) ? 0 : value;
    let name = this.scalars.get(key);
    if (name === undefined) {
      name = this.constant([value], [], `c_${String(value).replace(/[^0-9a-zA-Z]/g, "_")}`);
      this.scalars.set(key, name);
    }
    return name;
  }

  /** An int64 vector (shapes, axes, pads), one initializer per distinct list. */
  int64(values: readonly number[], hint = "ints"): string {
    const key = values.join(",");
    let name = this.int64s.get(key);
    if (name === undefined) {
      name = this.fresh(hint);
      this.initializers.push(
        onnx.TensorProto.create({
          name,
          dataType: onnx.TensorProto.DataType.INT64,
          dims: [values.length],
          rawData: int64Bytes(values),
        }),
      );
      this.int64s.set(key, name);
    }
    return name;
  }

  /** A node's output cast to the graph's float type (comparisons give booleans). */
  toFloat(value: string): string {
    return this.op("Cast", [value], { to: FLOAT_TYPE[this.dtype] }, "cast");
  }
}

/** One tensor value of a graph's signature: `batch` rows (a symbolic size) of `sample` shape. */
function batchedValue(name: string, sample: readonly number[], dtype: FloatDType) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: FLOAT_TYPE[dtype],
        shape: { dim: [{ dimParam: "batch" }, ...sample.map((size) => ({ dimValue: size }))] },
      },
    },
  });
}

export interface ModelSignature {
  input: { name: string; sample: readonly number[] };
  output: { name: string; sample: readonly number[] };
  /** Key/value pairs kept in the model's metadata_props. */
  metadata: Record<string, string>;
}

/** The serialised ModelProto of a finished graph. */
export function encodeModel(graph: OnnxGraph, signature: ModelSignature): Uint8Array {
  const { input, output } = signature;
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    producerName: "nonlin",
    metadataProps: Object.entries(signature.metadata).map(([key, value]) => ({ key, value })),
    graph: onnx.GraphProto.create({
      name: "nonlin",
      node: graph.nodes,
      initializer: graph.initializers,
      input: [batchedValue(input.name, input.sample, graph.dtype)],
      output: [batchedValue(output.name, output.sample, graph.dtype)],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}
