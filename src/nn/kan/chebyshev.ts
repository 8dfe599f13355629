/**
 * Chebyshev KAN (SS-Santos 2024; reference code SynodicMonth/ChebyKAN):
 *   y_j = Σ_i Σ_{d=0..D} c_{i,d,j} · T_d(tanh(x_i)) [+ b_j],
 * tanh squashing x into T_d's domain [−1, 1]. T_d by the recurrence T_0 = 1, T_1 = t,
 * T_{d+1} = 2t·T_d − T_{d−1} (the reference uses cos(d·acos t), equal on [−1, 1], with costlier
 * ops and an unbounded gradient at t = ±1).
 */
import { numpy as np } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../../engine/dtype.js";
import { toJaxDType } from "../../engine/dtype.js";
import type { Key } from "../../engine/random.js";
import { normalSample } from "../../engine/random.js";
import { defineLayer } from "../definition.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "../layer.js";
import { flopsFromForward } from "../layer.js";
import { basisMatmul, flatInputCount, unitsField } from "./basis-common.js";

export const chebyshevKanSchema = z
  .object({
    type: z.literal("kan_chebyshev"),
    units: unitsField,
    degree: z.number().int().positive().default(4),
    bias: z.boolean().default(false),
  })
  .strict();
export type ChebyshevKanSpec = z.infer<typeof chebyshevKanSchema>;

/** T_0..T_degree of t [B, n] (consumed), stacked as [B, n, degree + 1]. */
export function chebyshevBasis(t: np.Array, degree: number): np.Array {
  const terms: np.Array[] = [np.onesLike(t.ref), t.ref];
  if (degree >= 2) {
    const twoT = t.ref.mul(2);
    for (let d = 2; d <= degree; d++) {
      const previous = terms[d - 1] as np.Array;
      const beforePrevious = terms[d - 2] as np.Array;
      terms.push(twoT.ref.mul(previous.ref).sub(beforePrevious.ref));
    }
    twoT.dispose();
  }
  t.dispose();
  return np.stack(terms.slice(0, degree + 1), 2);
}

export class ChebyshevKanLayer implements Layer {
  readonly kind = "kan_chebyshev";
  readonly outputShape: readonly number[];
  private readonly inputs: number;

  constructor(
    readonly spec: ChebyshevKanSpec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    this.inputs = flatInputCount(this.kind, inputShape);
    this.outputShape = [spec.units];
  }

  /** c ~ N(0, σ²) with σ = 1/(n·(D+1)), the reference's nn.init.normal_(std=1/(n·(D+1))). */
  init(key: Key): LayerState {
    const n = this.inputs;
    const { units, degree } = this.spec;
    const state: LayerState = {
      params: {
        coeffs: normalSample(key, [n, degree + 1, units], this.dtype).mul(1 / (n * (degree + 1))),
      },
      buffers: {},
    };
    if (this.spec.bias) state.params.bias = np.zeros([units], { dtype: toJaxDType(this.dtype) });
    return state;
  }

  apply(state: LayerState, x: np.Array): np.Array {
    const { coeffs, bias } = state.params;
    let y = basisMatmul(chebyshevBasis(np.tanh(x), this.spec.degree), coeffs as np.Array);
    if (bias) y = y.add(bias.ref);
    return y;
  }

  paramShapes(): ShapeRecord {
    const { units, degree } = this.spec;
    return {
      coeffs: [this.inputs, degree + 1, units],
      ...(this.spec.bias ? { bias: [units] } : {}),
    };
  }

  /**
   * forward = n (tanh) + [D ≥ 2] (n (2t) + 2n(D − 1) (multiply, subtract per new term))
   *         + 2n(D+1)m (matmul) + [bias] m.   T_0 = 1 and T_1 = t cost nothing.
   */
  flops(): FlopCount {
    const n = this.inputs;
    const { units: m, degree: d } = this.spec;
    const recurrence = d >= 2 ? n + 2 * n * (d - 1) : 0;
    return flopsFromForward(n + recurrence + 2 * n * (d + 1) * m + (this.spec.bias ? m : 0));
  }
}

export const chebyshevKanDefinition = defineLayer<ChebyshevKanSpec>({
  type: "kan_chebyshev",
  summary: "Chebyshev KAN: Σ c·T_d(tanh x) per edge (SS-Santos 2024); inputs [n] → [units]",
  schema: chebyshevKanSchema,
  build: (spec, inputShape, dtype) => new ChebyshevKanLayer(spec, inputShape, dtype),
});
