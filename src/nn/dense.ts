/** Dense layer: y = f(x·W + b), with f any activation (zoo name or expression). */
import { numpy as np } from "@jax-js/jax";
import type { FloatDType } from "../engine/dtype.js";
import { toJaxDType } from "../engine/dtype.js";
import type { Key } from "../engine/random.js";
import { ActivationApplier } from "./activation.js";
import type { WeightInit } from "./init.js";
import { initWeight } from "./init.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "./layer.js";
import { flatInputCount } from "./layer.js";

/** Below this many multiply-adds a matmul is not split (the extra kernels would cost more). */
export const SPLIT_MIN_WORK = 1 << 16;

/**
 * x·w for 2-D x [rows, k] and w [k, n] (both consumed), arranged for jax-js's fast kernel: jax-js
 * 0.1.25 on wasm vectorises a matmul only when the output width n and the reduction length k are
 * multiples of 4, and otherwise runs a scalar loop 3–30x slower (bench/micro-matmul.ts:
 * [100, 1000]·[1000, 9990] takes 4.4 s, its first 9988 columns 0.16 s). So n is split into a
 * multiple-of-4 block and the rest (outputs concatenated), and k likewise (partial products
 * summed). The same products; only the order of the additions across the k split differs.
 */
export function matmul2d(x: np.Array, w: np.Array, minWork = SPLIT_MIN_WORK): np.Array {
  const [rows, k] = x.shape as [number, number];
  const n = w.shape[1] as number;
  if (rows * k * n < minWork) return np.matmul(x, w);
  const mainK = k - (k % 4);
  if (mainK !== k && mainK > 0)
    return splitColumns(x.ref.slice([], [0, mainK]), w.ref.slice([0, mainK])).add(
      splitColumns(x.slice([], [mainK, k]), w.slice([mainK, k])),
    );
  return splitColumns(x, w);
}

function splitColumns(x: np.Array, w: np.Array): np.Array {
  const n = w.shape[1] as number;
  const main = n - (n % 4);
  if (main === n || main === 0) return np.matmul(x, w);
  return np.concatenate(
    [np.matmul(x.ref, w.ref.slice([], [0, main])), np.matmul(x, w.slice([], [main, n]))],
    1,
  );
}

export interface DenseSpec {
  type: "dense";
  units: number;
  activation: string;
  bias: boolean;
  init: WeightInit;
}

export class DenseLayer implements Layer {
  readonly kind = "dense";
  readonly outputShape: readonly number[];
  readonly activation: ActivationApplier;
  private readonly inputs: number;

  constructor(
    readonly spec: DenseSpec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    this.inputs = flatInputCount(this.kind, inputShape);
    this.outputShape = [spec.units];
    this.activation = new ActivationApplier(spec.activation, this.outputShape, dtype);
  }

  paramShapes(): ShapeRecord {
    return {
      w: [this.inputs, this.spec.units],
      ...(this.spec.bias ? { b: [this.spec.units] } : {}),
      ...this.activation.paramShapes(),
    };
  }

  init(key: Key): LayerState {
    const shapes = this.paramShapes();
    const fans = { fanIn: this.inputs, fanOut: this.spec.units };
    const w = initWeight(key, this.spec.init, shapes.w as number[], fans, this.dtype);
    const state: LayerState = { params: { w }, buffers: {} };
    if (shapes.b) state.params.b = np.zeros(shapes.b, { dtype: toJaxDType(this.dtype) });
    this.activation.initInto(state);
    return state;
  }

  apply(state: LayerState, x: np.Array): np.Array {
    const { w, b } = state.params;
    let z = matmul2d(x, (w as np.Array).ref);
    if (b) z = z.add(b.ref);
    return this.activation.apply(state, z);
  }

  flops(): FlopCount {
    const forward =
      2 * this.inputs * this.spec.units +
      (this.spec.bias ? this.spec.units : 0) +
      this.activation.flops().forward;
    return { forward, backward: 2 * forward };
  }
}
