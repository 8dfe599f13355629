/**
 * FourierKAN (Xu et al. 2024; GistNoesis/FourierKAN): each edge a truncated Fourier series,
 *   y_j = Σ_i Σ_{k=1..K} a_{i,k,j}·cos(k·x_i) + b_{i,k,j}·sin(k·x_i) + bias_j.
 * Initialisation as the reference: a, b ~ N(0, 1)/(√n · ν_k) with ν_k = k² under smooth_init
 * (high frequencies damped so each edge starts smooth) and ν_k = √K otherwise (unit output
 * variance for unit-variance inputs). The reference defaults smooth_initialization to false;
 * here smooth_init defaults to true.
 */
import { numpy as np } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../../engine/dtype.js";
import { arrayFrom, toJaxDType } from "../../engine/dtype.js";
import type { Key } from "../../engine/random.js";
import { normalSample, splitKey } from "../../engine/random.js";
import { defineLayer } from "../definition.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "../layer.js";
import { flopsFromForward } from "../layer.js";
import { basisMatmul, flatInputCount, unitsField } from "./basis-common.js";
import { FOURIER_BASIS_FLOPS, fourierBasis } from "./fourier-basis.js";

export const fourierKanSchema = z
  .object({
    type: z.literal("kan_fourier"),
    units: unitsField,
    frequencies: z.number().int().positive().default(5),
    smooth_init: z.boolean().default(true),
    bias: z.boolean().default(true),
  })
  .strict();
export type FourierKanSpec = z.infer<typeof fourierKanSchema>;

/** The init scale of frequency k (1-based): 1/(√n·k²) smooth, 1/(√n·√K) otherwise. */
export function fourierInitScale(
  n: number,
  k: number,
  frequencies: number,
  smooth: boolean,
): number {
  return 1 / (Math.sqrt(n) * (smooth ? k * k : Math.sqrt(frequencies)));
}

export class FourierKanLayer implements Layer {
  readonly kind = "kan_fourier";
  readonly outputShape: readonly number[];
  private readonly inputs: number;

  constructor(
    readonly spec: FourierKanSpec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    this.inputs = flatInputCount(this.kind, inputShape);
    this.outputShape = [spec.units];
  }

  init(key: Key): LayerState {
    const n = this.inputs;
    const { units, frequencies: count, smooth_init: smooth } = this.spec;
    // scale[i, k, j] depends on k only
    const scale: number[] = [];
    for (let i = 0; i < n; i++)
      for (let k = 1; k <= count; k++)
        for (let j = 0; j < units; j++) scale.push(fourierInitScale(n, k, count, smooth));
    const shape = [n, count, units];
    const [cosKey, sinKey] = splitKey(key, 2) as [Key, Key];
    const scales = arrayFrom(scale, shape, this.dtype);
    const state: LayerState = {
      params: {
        cos_coeffs: normalSample(cosKey, shape, this.dtype).mul(scales.ref),
        sin_coeffs: normalSample(sinKey, shape, this.dtype).mul(scales),
      },
      buffers: {},
    };
    if (this.spec.bias) state.params.bias = np.zeros([units], { dtype: toJaxDType(this.dtype) });
    return state;
  }

  apply(state: LayerState, x: np.Array): np.Array {
    const { cos_coeffs, sin_coeffs, bias } = state.params;
    const basis = fourierBasis(x, this.spec.frequencies, this.dtype);
    let y = basisMatmul(basis.cos, cos_coeffs as np.Array).add(
      basisMatmul(basis.sin, sin_coeffs as np.Array),
    );
    if (bias) y = y.add(bias.ref);
    return y;
  }

  paramShapes(): ShapeRecord {
    const { units, frequencies } = this.spec;
    const coefficients = [this.inputs, frequencies, units];
    return {
      cos_coeffs: coefficients,
      sin_coeffs: [...coefficients],
      ...(this.spec.bias ? { bias: [units] } : {}),
    };
  }

  /**
   * forward = nK (k·x) + 2nK (cos, sin) + 2·2nKm (two matmuls) + m (their sum) + [bias] m.
   */
  flops(): FlopCount {
    const nk = this.inputs * this.spec.frequencies;
    const m = this.spec.units;
    return flopsFromForward(FOURIER_BASIS_FLOPS * nk + 4 * nk * m + m + (this.spec.bias ? m : 0));
  }
}

export const fourierKanDefinition = defineLayer<FourierKanSpec>({
  type: "kan_fourier",
  summary: "FourierKAN: Σ a·cos(kx) + b·sin(kx) per edge (Xu et al. 2024); inputs [n] → [units]",
  schema: fourierKanSchema,
  build: (spec, inputShape, dtype) => new FourierKanLayer(spec, inputShape, dtype),
});
