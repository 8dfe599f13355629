/**
 * ReLU-KAN (Qiu et al. 2024, "ReLU-KAN: New Kolmogorov-Arnold Networks that Only Need Matrix
 * Addition, Dot Multiplication, and ReLU"): basis
 *   R_i(x) = [ReLU(e_i − x) · ReLU(x − s_i)]² · 16/(e_i − s_i)⁴,
 * s_i = low + (i − k)·h, e_i = s_i + (k + 1)·h, i = 0..G+k−1, h = (high − low)/G, then
 *   y_j = Σ_i Σ_c w_{i,c,j} · R_c(x_i) + b_j.
 * The reference code (quiqi/relu_kan) reshapes the [B, n, G+k] basis to [B, 1, G+k, n] before
 * its convolution, which scrambles inputs and basis functions when n > 1; here the basis is
 * flattened input-major and multiplied by W [n·(G+k), m] in one 2-D matmul.
 */
import { numpy as np } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../../engine/dtype.js";
import { arrayFrom, toJaxDType } from "../../engine/dtype.js";
import type { Key } from "../../engine/random.js";
import { defineLayer } from "../definition.js";
import { initWeight } from "../init.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "../layer.js";
import { flopsFromForward } from "../layer.js";
import {
  basisMatmul,
  constantVector,
  fastRelu,
  flatInputCount,
  gridRangeField,
  unitsField,
} from "./basis-common.js";

export const reluKanSchema = z
  .object({
    type: z.literal("kan_relu"),
    units: unitsField,
    grid_size: z.number().int().positive().default(5),
    order: z.number().int().nonnegative().default(3),
    grid_range: gridRangeField([0, 1]),
    bias: z.boolean().default(true),
    train_grid: z.boolean().default(false),
  })
  .strict();
export type ReluKanSpec = z.infer<typeof reluKanSchema>;

/** Start and end points of the G + k basis functions (ReLU-KAN's phase_low / phase_height). */
export function reluKanPhases(
  gridSize: number,
  order: number,
  [low, high]: readonly [number, number],
): { starts: number[]; ends: number[]; step: number } {
  const step = (high - low) / gridSize;
  const starts = Array.from({ length: gridSize + order }, (_, i) => low + (i - order) * step);
  return { starts, ends: starts.map((s) => s + (order + 1) * step), step };
}

export class ReluKanLayer implements Layer {
  readonly kind = "kan_relu";
  readonly outputShape: readonly number[];
  private readonly inputs: number;
  /** Number of basis functions per input, G + k. */
  private readonly count: number;

  constructor(
    readonly spec: ReluKanSpec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    this.inputs = flatInputCount(this.kind, inputShape);
    this.outputShape = [spec.units];
    this.count = spec.grid_size + spec.order;
  }

  /** W torch_uniform with fan-in n·(G+k) (the reference's Conv2d default); bias 0; with
   * train_grid, per-input start and end points (the reference's train_ab) start on the grid. */
  init(key: Key): LayerState {
    const n = this.inputs;
    const { units } = this.spec;
    const fanIn = n * this.count;
    const state: LayerState = {
      params: {
        w: initWeight(
          key,
          "torch_uniform",
          [n, this.count, units],
          { fanIn, fanOut: units },
          this.dtype,
        ),
      },
      buffers: {},
    };
    if (this.spec.bias) state.params.bias = np.zeros([units], { dtype: toJaxDType(this.dtype) });
    if (this.spec.train_grid) {
      const { starts, ends } = reluKanPhases(
        this.spec.grid_size,
        this.spec.order,
        this.spec.grid_range,
      );
      const tile = (row: number[]): number[] => Array.from({ length: n }, () => row).flat();
      state.params.starts = arrayFrom(tile(starts), [n, this.count], this.dtype);
      state.params.ends = arrayFrom(tile(ends), [n, this.count], this.dtype);
    }
    return state;
  }

  apply(state: LayerState, x: np.Array): np.Array {
    const { w, bias, starts, ends } = state.params;
    const [batch, n] = x.shape as [number, number];
    const phases = reluKanPhases(this.spec.grid_size, this.spec.order, this.spec.grid_range);
    const s = starts ? starts.ref : constantVector(phases.starts, this.dtype);
    const e = ends ? ends.ref : constantVector(phases.ends, this.dtype);
    // 16/((k+1)h)⁴ folded into each factor as its square root, 4/((k+1)h)²; as in the reference
    // code it stays fixed when the start and end points train.
    const width = (this.spec.order + 1) * phases.step;
    const xs = x.reshape([batch, n, 1]);
    const rising = fastRelu(xs.ref.sub(s));
    const falling = fastRelu(e.sub(xs));
    const basis = np.square(rising.mul(falling).mul(4 / (width * width)));
    let y = basisMatmul(basis, w as np.Array);
    if (bias) y = y.add(bias.ref);
    return y;
  }

  paramShapes(): ShapeRecord {
    const n = this.inputs;
    const { units } = this.spec;
    return {
      w: [n, this.count, units],
      ...(this.spec.bias ? { bias: [units] } : {}),
      ...(this.spec.train_grid ? { starts: [n, this.count], ends: [n, this.count] } : {}),
    };
  }

  /**
   * Per basis value (n·(G+k) of them): x − s 1, e − x 1, two ReLUs 1 each (max(a, 0) is one
   * operation, as activation.ts counts it, whatever its implementation), product 1, scale 1,
   * square 1 → 7. forward = 7n(G+k) + 2n(G+k)m + [bias] m.
   */
  flops(): FlopCount {
    const basisValues = this.inputs * this.count;
    const m = this.spec.units;
    return flopsFromForward(7 * basisValues + 2 * basisValues * m + (this.spec.bias ? m : 0));
  }
}

export const reluKanDefinition = defineLayer<ReluKanSpec>({
  type: "kan_relu",
  summary:
    "ReLU-KAN: basis [ReLU(e−x)·ReLU(x−s)]²·16/(e−s)⁴ (Qiu et al. 2024), any number of inputs; [n] → [units]",
  schema: reluKanSchema,
  build: (spec, inputShape, dtype) => new ReluKanLayer(spec, inputShape, dtype),
});
