/**
 * A whole trained model as JAX code: the graph `--to onnx` writes (src/train/export-onnx.ts), built
 * for JAX (GraphTarget "jax") and written out node by node as jax.numpy — one layer mapping for
 * both targets. The result is `model.py`, a pure function `apply(params, x)` that jax.jit,
 * jax.grad and jax.vmap take as any JAX function, and the graph's arrays for
 * `weights.safetensors`. Scalars and integer constants (shapes, axes, indices) are literals of
 * the code; every other array is a named entry of `params`. Pure: text and arrays out, nothing
 * written (src/cli/export.ts writes the folder).
 */
import type { FloatDType } from "../engine/dtype.js";
import type { CheckpointSpec } from "./checkpoint.js";
import type { OnnxExportOptions } from "./export-onnx.js";
import { modelGraph } from "./export-onnx.js";
import type { NodeProto, TensorProto } from "./onnx/graph.js";
import { FLOAT_TYPE } from "./onnx/graph.js";
import type { SafeTensor } from "./safetensors.js";
import type { HostState } from "./trial-engine.js";

export interface JaxModel {
  /** The Python module (model.py). */
  code: string;
  /** Its arrays, by the names `params` has (weights.safetensors). */
  arrays: Record<string, SafeTensor>;
  outputShape: readonly number[];
}

const INT64 = 7;

/** Names an assignment must not take: Python's keywords and what the module's code uses. */
const RESERVED = new Set([
  ...["False", "None", "True", "and", "as", "assert", "async", "await", "break", "class"],
  ...["continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global"],
  ...["if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return"],
  ...["try", "while", "with", "yield", "x", "params", "jax", "jnp", "np"],
]);

/** A value of the code: a Python expression, and whether it is a static tuple of ints (an int64
 * constant, or a shape: Python ints under jit too). */
interface Value {
  code: string;
  ints?: boolean;
}

function floatValues(tensor: TensorProto, dtype: FloatDType): Float32Array | Float64Array {
  const raw = tensor.rawData;
  const bytes = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  return dtype === "float64" ? new Float64Array(bytes) : new Float32Array(bytes);
}

function int64Values(tensor: TensorProto): number[] {
  const raw = tensor.rawData;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.byteLength / 8 }, (_, i) =>
    Number(view.getBigInt64(i * 8, true)),
  );
}

/** A float as a Python literal that reads back to the same double. */
function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'float("nan")';
  if (!Number.isFinite(value)) return value > 0 ? 'float("inf")' : 'float("-inf")';
  const text = String(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

const tuple = (values: readonly number[]): string =>
  values.length === 1 ? `(${values[0]},)` : `(${values.join(", ")})`;

/** Elementwise ONNX ops and their jax.numpy forms. */
const UNARY: Readonly<Record<string, (a: string) => string>> = {
  Neg: (a) => `-${a}`,
  Abs: (a) => `jnp.abs(${a})`,
  Exp: (a) => `jnp.exp(${a})`,
  Log: (a) => `jnp.log(${a})`,
  Sqrt: (a) => `jnp.sqrt(${a})`,
  Sin: (a) => `jnp.sin(${a})`,
  Cos: (a) => `jnp.cos(${a})`,
  Tanh: (a) => `jnp.tanh(${a})`,
  Atan: (a) => `jnp.arctan(${a})`,
  Sign: (a) => `jnp.sign(${a})`,
  Erf: (a) => `jax.lax.erf(${a})`,
  Reciprocal: (a) => `jnp.reciprocal(${a})`,
  Sigmoid: (a) => `jax.nn.sigmoid(${a})`,
  Relu: (a) => `jax.nn.relu(${a})`,
  Identity: (a) => a,
  StopGradient: (a) => `jax.lax.stop_gradient(${a})`,
};

const BINARY: Readonly<Record<string, (a: string, b: string) => string>> = {
  Add: (a, b) => `${a} + ${b}`,
  Sub: (a, b) => `${a} - ${b}`,
  Mul: (a, b) => `${a} * ${b}`,
  Div: (a, b) => `${a} / ${b}`,
  // full float32 products on every device (GPUs would otherwise use TF32 for float32)
  MatMul: (a, b) => `jnp.matmul(${a}, ${b}, precision="highest")`,
  Max: (a, b) => `jnp.maximum(${a}, ${b})`,
  Min: (a, b) => `jnp.minimum(${a}, ${b})`,
  Less: (a, b) => `${a} < ${b}`,
  Greater: (a, b) => `${a} > ${b}`,
  GreaterOrEqual: (a, b) => `${a} >= ${b}`,
};

const REDUCTIONS: Readonly<Record<string, string>> = {
  ReduceSum: "jnp.sum",
  ReduceMean: "jnp.mean",
  ReduceMax: "jnp.max",
  ReduceMin: "jnp.min",
};

function attributeOf(node: NodeProto, name: string): number | number[] | undefined {
  const found = node.attribute.find((a) => a.name === name);
  if (!found) return undefined;
  if (found.ints && found.ints.length > 0) return found.ints.map(Number);
  return Number(found.i);
}

function intsAttribute(node: NodeProto, name: string): number[] {
  const value = attributeOf(node, name);
  if (!Array.isArray(value)) throw new Error(`jax export: ${node.opType} needs ints '${name}'`);
  return value;
}

/** Writes the graph's nodes as Python, one assignment each. */
class JaxWriter {
  private readonly values = new Map<string, Value>();
  private readonly identifiers = new Set<string>();
  readonly constants: string[] = [];
  readonly arrays: Record<string, SafeTensor> = {};
  readonly body: string[] = [];

  constructor(private readonly dtype: FloatDType) {}

  /** A Python identifier for a graph name, unique in the module. */
  private identifier(name: string, prefix: string): string {
    const base = `${prefix}${name.replace(/[^A-Za-z0-9_]/g, "_").toLowerCase()}`;
    let id = base;
    for (let k = 1; this.identifiers.has(id) || RESERVED.has(id); k++) id = `${base}_${k}`;
    this.identifiers.add(id);
    return id;
  }

  initializer(tensor: TensorProto): void {
    const dims = tensor.dims.map(Number);
    if (tensor.dataType === INT64) {
      this.values.set(tensor.name, { code: tuple(int64Values(tensor)), ints: true });
      return;
    }
    if (tensor.dataType !== FLOAT_TYPE[this.dtype])
      throw new Error(`jax export: initializer ${tensor.name} of type ${tensor.dataType}`);
    const values = floatValues(tensor, this.dtype);
    if (dims.length === 0) {
      // a scalar: a module constant of the model's dtype (numpy's, so it stays that dtype)
      const id = this.identifier(tensor.name, "_");
      this.constants.push(`${id} = DTYPE(${pythonFloat(values[0] as number)})`);
      this.values.set(tensor.name, { code: id });
      return;
    }
    this.arrays[tensor.name] =
      this.dtype === "float64"
        ? { dtype: "F64", shape: dims, data: values as Float64Array }
        : { dtype: "F32", shape: dims, data: values as Float32Array };
    this.values.set(tensor.name, { code: `params[${JSON.stringify(tensor.name)}]` });
  }

  input(name: string): void {
    this.values.set(name, { code: "x" });
  }

  value(name: string): Value {
    const value = this.values.get(name);
    if (!value) throw new Error(`jax export: value '${name}' is used before it is computed`);
    return value;
  }

  /** A static tuple of ints (an int64 constant or a Shape). */
  private ints(name: string, node: NodeProto): string {
    const value = this.value(name);
    if (!value.ints)
      throw new Error(`jax export: ${node.opType}'s input '${name}' is not a constant`);
    return value.code;
  }

  node(node: NodeProto): void {
    const inputs = node.input.map((name) => this.value(name).code);
    const [a, b] = inputs as [string, string];
    const output = node.output[0] as string;
    const op = node.opType;
    const unary = UNARY[op];
    const binary = BINARY[op];
    const reduction = REDUCTIONS[op];
    let code: string;
    if (unary) code = unary(a);
    else if (binary) code = binary(a, b);
    else if (reduction) {
      const axes =
        node.input.length > 1 ? this.ints(node.input[1]!, node) : attributeOf(node, "axes");
      const keep = (attributeOf(node, "keepdims") ?? 1) !== 0;
      const axis = axes === undefined ? "None" : Array.isArray(axes) ? tuple(axes) : axes;
      code = `${reduction}(${a}, axis=${axis}, keepdims=${keep ? "True" : "False"})`;
    } else
      switch (op) {
        case "Where":
          code = `jnp.where(${a}, ${b}, ${inputs[2]})`;
          break;
        case "Cast": {
          const to = attributeOf(node, "to");
          if (to !== FLOAT_TYPE[this.dtype]) throw new Error(`jax export: Cast to ${to}`);
          code = `${a}.astype(DTYPE)`;
          break;
        }
        case "Shape":
          // static under jit: the shape's entries are Python ints
          this.values.set(output, { code: `${a}.shape`, ints: true });
          return;
        case "Reshape":
          code = `_reshape(${a}, ${this.ints(node.input[1]!, node)})`;
          break;
        case "Expand":
          code = `_expand(${a}, ${this.ints(node.input[1]!, node)})`;
          break;
        case "Transpose":
          code = `jnp.transpose(${a}, ${tuple(intsAttribute(node, "perm"))})`;
          break;
        case "Concat":
          code = `jnp.concatenate([${inputs.join(", ")}], axis=${attributeOf(node, "axis")})`;
          break;
        case "Unsqueeze":
          code = `jnp.expand_dims(${a}, ${this.ints(node.input[1]!, node)})`;
          break;
        case "Gather":
          code = `jnp.take(${a}, np.asarray(${this.ints(node.input[1]!, node)}), axis=${attributeOf(node, "axis") ?? 0})`;
          break;
        case "Slice": {
          const [starts, ends, axes, steps] = node.input
            .slice(1)
            .map((name) => this.ints(name, node));
          code = `_slice(${a}, ${starts}, ${ends}, ${axes}, ${steps ?? "None"})`;
          break;
        }
        case "Pad":
          code = `_pad(${a}, ${this.ints(node.input[1]!, node)})`;
          break;
        case "Conv": {
          const strides = tuple(intsAttribute(node, "strides"));
          const pads = tuple(intsAttribute(node, "pads"));
          code = `_conv(${a}, ${b}, ${inputs[2] ?? "None"}, ${strides}, ${pads})`;
          break;
        }
        case "MaxPool":
        case "AveragePool": {
          const kernel = tuple(intsAttribute(node, "kernel_shape"));
          const strides = tuple(intsAttribute(node, "strides"));
          code = `_pool(${a}, ${kernel}, ${strides}, ${op === "MaxPool" ? '"max"' : '"mean"'})`;
          break;
        }
        default:
          throw new Error(`jax export: no JAX form for the ONNX op ${op}`);
      }
    const id = this.identifier(output, "");
    this.values.set(output, { code: id });
    this.body.push(`    ${id} = ${code}`);
  }
}

/** ONNX's semantics where jax.numpy's differ, as small functions of the module. */
const HELPERS = `def _reshape(x, shape):
    """ONNX's Reshape: 0 keeps the input's size on that axis, -1 is inferred."""
    return jnp.reshape(x, tuple(x.shape[i] if n == 0 else n for i, n in enumerate(shape)))


def _expand(x, shape):
    """ONNX's Expand: broadcasting both ways."""
    return jnp.broadcast_to(x, np.broadcast_shapes(jnp.shape(x), tuple(shape)))


def _slice(x, starts, ends, axes, steps=None):
    index = [slice(None)] * x.ndim
    for k, axis in enumerate(axes):
        index[axis] = slice(starts[k], ends[k], 1 if steps is None else steps[k])
    return x[tuple(index)]


def _pad(x, pads):
    """ONNX's Pad (zeros): pads lists every axis's before-counts, then its after-counts."""
    return jnp.pad(x, [(pads[i], pads[i + x.ndim]) for i in range(x.ndim)])


def _conv(x, w, b, strides, pads):
    """ONNX's Conv: x NCHW, w OIHW, pads (top, left, bottom, right)."""
    y = jax.lax.conv_general_dilated(
        x, w, strides, [(pads[0], pads[2]), (pads[1], pads[3])],
        dimension_numbers=("NCHW", "OIHW", "NCHW"),
        precision=jax.lax.Precision.HIGHEST,
    )
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def _pool(x, kernel, strides, kind):
    """ONNX's MaxPool and AveragePool on NCHW, valid windows only."""
    window, step = (1, 1) + tuple(kernel), (1, 1) + tuple(strides)
    if kind == "max":
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, window, step, "VALID")
    total = jax.lax.reduce_window(x, DTYPE(0), jax.lax.add, window, step, "VALID")
    return total / DTYPE(kernel[0] * kernel[1])
`;

const LOADER = `def load_params(folder=HERE):
    """The arrays of apply's graph, by name, from weights.safetensors (read with numpy alone)."""
    with open(os.path.join(folder, "weights.safetensors"), "rb") as handle:
        data = handle.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length].decode("utf-8"))
    body = data[8 + length :]
    params = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}[info["dtype"]]
        begin, end = info["data_offsets"]
        params[name] = jnp.asarray(np.frombuffer(body[begin:end], dtype=dtype).reshape(info["shape"]))
    return params
`;

const MAIN = `if __name__ == "__main__":
    rows = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, ndmin=2).astype(DTYPE)
    outputs = np.asarray(jax.jit(apply)(load_params(), rows.reshape((-1,) + INPUT_SHAPE)), dtype=np.float64)
    for row in outputs.reshape(outputs.shape[0], -1):
        print(",".join(repr(float(v)) for v in row))
`;

function docstring(dtype: FloatDType, regression: boolean): string {
  return `"""A model trained with nonlin, exported with \`nonlin export --to jax\`.

    import model                      # this folder on sys.path (or run from it)
    params = model.load_params()      # {name: jax.Array}, from weights.safetensors
    y = model.apply(params, x)        # x: [rows, *INPUT_SHAPE] raw feature rows (${dtype})
    fast = jax.jit(model.apply)       # jit, grad and vmap take apply as any JAX function

${
  regression
    ? "The outputs are the targets in their own units."
    : "Classification: logits (jax.nn.softmax(y, axis=1) gives the class probabilities)."
}
The code is the graph \`nonlin export --to onnx\` writes, node by node (one layer mapping for
both), so params are that graph's arrays: the task's scaling, the weights, and what nonlin
folds for inference (a KAN's coefficients with their masks and scales, a conv kernel as OIHW).
Needs jax and numpy only. Run as a script, \`python3 model.py rows.csv\` prints the outputs of
each row of a CSV of feature values (a header line, then numbers in spec.json's featureNames
order).
"""`;
}

/**
 * The JAX module and arrays of `spec`'s layers with the arrays of `state`; refuses what the graph
 * refuses (OnnxExportError: a layer without a mapping, a missing array).
 */
export function modelToJax(
  spec: Pick<CheckpointSpec, "layers" | "inputShape" | "dtype">,
  state: HostState,
  options: OnnxExportOptions & { classification?: boolean } = {},
): JaxModel {
  const { graph, input, output, outputShape } = modelGraph(spec, state, options, "jax");
  const writer = new JaxWriter(spec.dtype);
  writer.input(input);
  for (const tensor of graph.initializers) writer.initializer(tensor);
  const marks = new Map(graph.marks.map(({ at, label }) => [at, label]));
  graph.nodes.forEach((node, index) => {
    const label = marks.get(index);
    if (label !== undefined) writer.body.push(`    # ${label}`);
    writer.node(node);
  });
  const code = [
    docstring(spec.dtype, !options.classification),
    "",
    "import json",
    "import os",
    "import struct",
    "import sys",
    "",
    "import jax",
    "import jax.numpy as jnp",
    "import numpy as np",
    "",
    ...(spec.dtype === "float64"
      ? [
          "# a float64 model: JAX computes in float32 unless 64-bit types are on (a global setting)",
          'jax.config.update("jax_enable_x64", True)',
          "",
        ]
      : []),
    "HERE = os.path.dirname(os.path.abspath(__file__))",
    `DTYPE = np.${spec.dtype}`,
    `INPUT_SHAPE = ${tuple(spec.inputShape)}`,
    `OUTPUT_SHAPE = ${tuple(outputShape)}`,
    "",
    ...writer.constants,
    "",
    "",
    HELPERS,
    "",
    LOADER,
    "",
    "def apply(params, x):",
    '    """The model on x [rows, *INPUT_SHAPE]: [rows, *OUTPUT_SHAPE]."""',
    ...writer.body,
    `    return ${writer.value(output).code}`,
    "",
    "",
    MAIN,
  ].join("\n");
  return { code, arrays: writer.arrays, outputShape };
}
