/** Dense layer: y = f(x·W + b), with f any activation (zoo name or expression). */
import { numpy as np } from "@jax-js/jax";
import type { FloatDType } from "../engine/dtype.js";
import { toJaxDType } from "../engine/dtype.js";
import type { Key } from "../engine/random.js";
import { ActivationApplier } from "./activation.js";
import type { WeightInit } from "./init.js";
import { initWeight } from "./init.js";
import type { FlopCount, Layer, LayerState } from "./layer.js";
import { flatInputCount } from "./layer.js";

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

  init(key: Key): LayerState {
    const fans = { fanIn: this.inputs, fanOut: this.spec.units };
    const w = initWeight(key, this.spec.init, [this.inputs, this.spec.units], fans, this.dtype);
    const state: LayerState = { params: { w }, buffers: {} };
    if (this.spec.bias)
      state.params.b = np.zeros([this.spec.units], { dtype: toJaxDType(this.dtype) });
    this.activation.initInto(state);
    return state;
  }

  apply(state: LayerState, x: np.Array): np.Array {
    const { w, b } = state.params;
    let z = np.matmul(x, (w as np.Array).ref);
    if (b) z = z.add(b.ref);
    return this.activation.apply(state, z);
  }

  paramCount(): number {
    return (
      this.inputs * this.spec.units +
      (this.spec.bias ? this.spec.units : 0) +
      this.activation.paramCount()
    );
  }

  flops(): FlopCount {
    const forward =
      2 * this.inputs * this.spec.units +
      (this.spec.bias ? this.spec.units : 0) +
      this.activation.flops().forward;
    return { forward, backward: 2 * forward };
  }
}
