/**
 * Quadratic neuron layer (Fan et al., "On Expressivity and Trainability of Quadratic Networks"):
 *   y_j = f((x·w_r_j + b_r_j)·(x·w_g_j + b_g_j) + (x⊙x)·w_b_j + c_j)
 * with f any activation (zoo name or expression). Three 2-D matmuls (the only fast matmul on wasm).
 *
 * ReLinear (the paper's training scheme): the neuron starts linear (w_g = 0, b_g = 1, w_b = 0,
 * c = 0, so y = f(x·w_r + b_r)) and the quadratic parameters learn at a smaller rate, because
 * unconstrained quadratic terms make deep networks blow up (degree 2^depth). The rate multipliers
 * are exposed as `updateScales`; optimisers multiply each parameter's update by its scale.
 */
import { numpy as np } from "@jax-js/jax";
import type { FloatDType } from "../engine/dtype.js";
import { toJaxDType } from "../engine/dtype.js";
import type { Key } from "../engine/random.js";
import { splitKey } from "../engine/random.js";
import { ActivationApplier } from "./activation.js";
import type { WeightInit } from "./init.js";
import { initWeight } from "./init.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "./layer.js";
import { LayerSpecError } from "./layer.js";

export const QUADRATIC_INITS = ["relinear", "naive"] as const;
export type QuadraticInit = (typeof QUADRATIC_INITS)[number];

export interface QuadraticSpec {
  type: "quadratic";
  units: number;
  activation: string;
  /** "relinear": start as a linear neuron; "naive": W_r, W_g, W_b all random, biases 0. */
  init: QuadraticInit;
  /** Initialiser of W_r (and, for "naive", of W_g and W_b). */
  weight_init: WeightInit;
  /** Learning-rate multiplier of w_g, b_g, w_b, c; unset: 0.1 for relinear, 1 for naive. */
  quadratic_lr_scale?: number | undefined;
}

/** Parameters of the quadratic part, whose updates ReLinear shrinks. */
export const QUADRATIC_PARAM_NAMES = ["w_g", "b_g", "w_b", "c"] as const;

/** The paper's ReLinear uses a smaller rate for the quadratic terms; 0.1 is our default. */
export const RELINEAR_DEFAULT_LR_SCALE = 0.1;

export class QuadraticLayer implements Layer {
  readonly kind = "quadratic";
  readonly outputShape: readonly number[];
  readonly activation: ActivationApplier;
  /**
   * Learning-rate multiplier per parameter name (absent names: 1). Optimisers that honour it
   * multiply that parameter's update by the scale.
   */
  readonly updateScales: Readonly<Record<string, number>>;
  private readonly inputs: number;

  constructor(
    readonly spec: QuadraticSpec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    if (inputShape.length !== 1)
      throw new LayerSpecError(
        `quadratic needs flat inputs, got shape [${inputShape.join(", ")}]: add a flatten layer`,
      );
    if (!Number.isInteger(spec.units) || spec.units < 1)
      throw new LayerSpecError(`units: must be a positive integer, got ${spec.units}`);
    if (!(QUADRATIC_INITS as readonly string[]).includes(spec.init))
      throw new LayerSpecError(
        `init: must be one of ${QUADRATIC_INITS.join(", ")}, got '${spec.init}'`,
      );
    const scale =
      spec.quadratic_lr_scale ?? (spec.init === "relinear" ? RELINEAR_DEFAULT_LR_SCALE : 1);
    if (!Number.isFinite(scale) || scale < 0)
      throw new LayerSpecError(
        `quadratic_lr_scale: must be a finite number >= 0, got ${spec.quadratic_lr_scale}`,
      );
    this.inputs = inputShape[0] as number;
    this.outputShape = [spec.units];
    this.activation = new ActivationApplier(spec.activation, this.outputShape, dtype);
    this.updateScales = Object.fromEntries(QUADRATIC_PARAM_NAMES.map((name) => [name, scale]));
  }

  /** Three weight matrices [n, units] (w_r, w_g, w_b) and three vectors [units] (b_r, b_g, c). */
  paramShapes(): ShapeRecord {
    const [n, units] = [this.inputs, this.spec.units];
    return {
      w_r: [n, units],
      b_r: [units],
      w_g: [n, units],
      b_g: [units],
      w_b: [n, units],
      c: [units],
      ...this.activation.paramShapes(),
    };
  }

  init(key: Key): LayerState {
    const [n, units] = [this.inputs, this.spec.units];
    const shapes = this.paramShapes() as Record<
      "w_r" | "b_r" | "w_g" | "b_g" | "w_b" | "c",
      number[]
    >;
    const fans = { fanIn: n, fanOut: units };
    const [keyR, keyG, keyB] = splitKey(key, 3) as [Key, Key, Key];
    const weight = (k: Key, shape: number[]): np.Array =>
      initWeight(k, this.spec.weight_init, shape, fans, this.dtype);
    const zeros = (shape: number[]): np.Array => np.zeros(shape, { dtype: toJaxDType(this.dtype) });
    const relinear = this.spec.init === "relinear";
    if (relinear) {
      keyG.dispose();
      keyB.dispose();
    }
    const state: LayerState = {
      params: {
        w_r: weight(keyR, shapes.w_r),
        b_r: zeros(shapes.b_r),
        w_g: relinear ? zeros(shapes.w_g) : weight(keyG, shapes.w_g),
        b_g: np.full(shapes.b_g, relinear ? 1 : 0, { dtype: toJaxDType(this.dtype) }),
        w_b: relinear ? zeros(shapes.w_b) : weight(keyB, shapes.w_b),
        c: zeros(shapes.c),
      },
      buffers: {},
    };
    this.activation.initInto(state);
    return state;
  }

  apply(state: LayerState, x: np.Array): np.Array {
    const p = state.params as Record<"w_r" | "b_r" | "w_g" | "b_g" | "w_b" | "c", np.Array>;
    const square = x.ref.mul(x.ref);
    const linear = np.matmul(x.ref, p.w_r.ref).add(p.b_r.ref);
    const gate = np.matmul(x, p.w_g.ref).add(p.b_g.ref);
    const power = np.matmul(square, p.w_b.ref);
    const z = linear.mul(gate).add(power).add(p.c.ref);
    return this.activation.apply(state, z);
  }

  /** 3 matmuls (2 FLOPs per multiply-add), x⊙x, b_r and b_g adds, the product, + power, + c. */
  flops(): FlopCount {
    const [n, units] = [this.inputs, this.spec.units];
    const forward = 6 * n * units + n + 5 * units + this.activation.flops().forward;
    return { forward, backward: 2 * forward };
  }
}
