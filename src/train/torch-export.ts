/**
 * A checkpoint as a PyTorch state_dict: every array under `layers.<i>.<key>`, in PyTorch's own
 * layout where PyTorch has the module (nn.Linear's weight [out, in], nn.Conv2d's [out, in, kh, kw]),
 * else in nonlin's (the KAN family has no PyTorch module to match). The layout table travels in the
 * exported spec.json, so the Python loader (python/nonlin_torch/export.py) applies it as data and
 * this file is the one place that decides it.
 */
import type { Scaling } from "../data/normalize.js";
import type { FloatDType } from "../engine/dtype.js";
import type { SafeTensor } from "./safetensors.js";
import type { HostArray, HostState } from "./trial-engine.js";

/** Where one nonlin array sits in the state_dict: its key in the layer, stored = a.permute(p). */
export interface TorchArrayLayout {
  key: string;
  permutation: number[];
}

/** Arrays stored in PyTorch's layouts, by layer type; every other array keeps nonlin's. */
const TORCH_LAYOUTS: Readonly<Record<string, Readonly<Record<string, TorchArrayLayout>>>> = {
  // nn.Linear: weight [out, in], bias [out]
  dense: { w: { key: "weight", permutation: [1, 0] }, b: { key: "bias", permutation: [0] } },
  // nn.Conv2d: weight [out, in, kh, kw] from nonlin's HWIO [kh, kw, in, out]
  conv2d: {
    w: { key: "weight", permutation: [3, 2, 0, 1] },
    b: { key: "bias", permutation: [0] },
  },
  // the three weight matrices of a quadratic neuron, each as nn.Linear keeps one
  quadratic: {
    w_r: { key: "w_r", permutation: [1, 0] },
    w_g: { key: "w_g", permutation: [1, 0] },
    w_b: { key: "w_b", permutation: [1, 0] },
  },
};

/** Layers whose arrays live in a submodule of the torch layer (conv_kan's inner layer). */
const SUBMODULE: Readonly<Record<string, string>> = { conv_kan: "inner." };

/** The state_dict name of a layer's array. */
export const stateDictKey = (type: string, layer: number, key: string): string =>
  `layers.${layer}.${SUBMODULE[type] ?? ""}${key}`;

/** Per layer, the layout of every array it has (torch refuses '.' in names: `act.a` → `act__a`). */
export function torchLayouts(
  types: readonly string[],
  state: HostState,
): Record<string, TorchArrayLayout>[] {
  return state.map((layer, i) => {
    const table = TORCH_LAYOUTS[types[i] as string] ?? {};
    const arrays = { ...layer.params, ...layer.buffers };
    return Object.fromEntries(
      Object.entries(arrays).map(([name, array]) => [
        name,
        table[name] ?? {
          key: name.replaceAll(".", "__"),
          permutation: array.shape.map((_, axis) => axis),
        },
      ]),
    );
  });
}

/** A row-major array with its axes permuted: out axis k is the input's axis permutation[k]. */
export function permuteAxes(array: HostArray, permutation: readonly number[]): HostArray {
  const { shape, values } = array;
  const outShape = permutation.map((axis) => shape[axis] as number);
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((p, n) => p * n, 1));
  const out = new Float64Array(values.length);
  const index = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let source = 0;
    index.forEach((at, k) => (source += at * (strides[permutation[k] as number] as number)));
    out[o] = values[source] as number;
    for (let k = outShape.length - 1; k >= 0; k--) {
      if (++index[k]! < (outShape[k] as number)) break;
      index[k] = 0;
    }
  }
  return { shape: outShape, values: out };
}

/**
 * The state_dict tensors: `layers.<i>.<key>` (stateDictKey) in the checkpoint's dtype, and the task's scaling as
 * float64 buffers `input_shift`, `input_scale` (`target_…` for scaled regression targets).
 */
export function torchStateDict(
  types: readonly string[],
  state: HostState,
  layouts: readonly Record<string, TorchArrayLayout>[],
  dtype: FloatDType,
  scaling: { input?: Scaling; target?: Scaling } = {},
): Record<string, SafeTensor> {
  const tensors: Record<string, SafeTensor> = {};
  for (const [prefix, given] of Object.entries(scaling))
    if (given)
      for (const part of ["shift", "scale"] as const)
        tensors[`${prefix}_${part}`] = {
          dtype: "F64",
          shape: [given[part].length],
          data: Float64Array.from(given[part]),
        };
  state.forEach((layer, i) => {
    for (const [name, array] of Object.entries({ ...layer.params, ...layer.buffers })) {
      const layout = layouts[i]![name]!;
      const { shape, values } = permuteAxes(array, layout.permutation);
      tensors[stateDictKey(types[i] as string, i, layout.key)] =
        dtype === "float64"
          ? { dtype: "F64", shape, data: values }
          : { dtype: "F32", shape, data: Float32Array.from(values) };
    }
  });
  return tensors;
}
