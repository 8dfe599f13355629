/**
 * FastKAN (Li 2024, "Kolmogorov-Arnold Networks are Radial Basis Function Networks"): B-splines
 * replaced by Gaussian radial basis functions after a LayerNorm,
 *   y = Σ_i Σ_g w_{i,g,j} · exp(−((LN(x)_i − c_g)/h)²) + Σ_i silu(x_i)·W_base_{i,j} + b_j,
 * centres c_g uniform on grid_range, h = (high − low)/(G − 1). As in the reference code
 * (ZiyaoLi/fast-kan) the base branch sees the raw x, not the normalised one.
 */
import { nn, numpy as np } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../../engine/dtype.js";
import { toJaxDType } from "../../engine/dtype.js";
import type { Key } from "../../engine/random.js";
import { normalSample, splitKey } from "../../engine/random.js";
import { defineLayer } from "../definition.js";
import { initWeight } from "../init.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "../layer.js";
import { flopsFromForward, LayerSpecError } from "../layer.js";
import {
  basisMatmul,
  flatInputCount,
  gridRangeField,
  layerNorm,
  layerNormFlops,
  unitsField,
} from "./basis-common.js";
import { gaussianBasis, gaussianBasisFlops, gaussianCentres } from "./rbf-basis.js";

export const LAYER_NORM_EPS = 1e-5;

export const fastKanSchema = z
  .object({
    type: z.literal("kan_fastkan"),
    units: unitsField,
    grid_size: z.number().int().min(2).default(8),
    grid_range: gridRangeField([-2, 2]),
    /** "auto": on when the layer has at least two inputs (over one input it is identically 0). */
    layer_norm: z.union([z.boolean(), z.literal("auto")]).default(true),
    base: z.boolean().default(true),
    bias: z.boolean().default(true),
    init_scale: z.number().positive().default(0.1),
  })
  .strict();
export type FastKanSpec = z.infer<typeof fastKanSchema>;

export class FastKanLayer implements Layer {
  readonly kind = "kan_fastkan";
  readonly outputShape: readonly number[];
  private readonly inputs: number;
  /** Whether this layer normalises its inputs (layer_norm resolved against the input count). */
  readonly layerNorm: boolean;

  constructor(
    readonly spec: FastKanSpec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    this.inputs = flatInputCount(this.kind, inputShape);
    this.layerNorm = spec.layer_norm === "auto" ? this.inputs > 1 : spec.layer_norm;
    if (this.layerNorm && this.inputs < 2)
      throw new LayerSpecError(
        "kan_fastkan: layer_norm over a single input is always 0; set layer_norm: false",
      );
    this.outputShape = [spec.units];
  }

  /** Spline weights N(0, init_scale²): FastKAN's trunc_normal_(std=0.1) cuts at ±2 in absolute
   * value, i.e. ±20σ, so it is a plain normal in practice. Base weights torch_uniform as
   * nn.Linear; the bias starts at 0 (nn.Linear draws it uniformly; 0 is the usual KAN choice). */
  init(key: Key): LayerState {
    const { units, grid_size: grid } = this.spec;
    const n = this.inputs;
    const [splineKey, baseKey] = splitKey(key, 2) as [Key, Key];
    const dtype = toJaxDType(this.dtype);
    const state: LayerState = {
      params: {
        spline_w: normalSample(splineKey, [n, grid, units], this.dtype).mul(this.spec.init_scale),
      },
      buffers: {},
    };
    if (this.spec.base)
      state.params.base_w = initWeight(
        baseKey,
        "torch_uniform",
        [n, units],
        { fanIn: n, fanOut: units },
        this.dtype,
      );
    else baseKey.dispose();
    if (this.layerNorm) {
      state.params.ln_gain = np.ones([n], { dtype });
      state.params.ln_bias = np.zeros([n], { dtype });
    }
    if (this.spec.bias) state.params.bias = np.zeros([units], { dtype });
    return state;
  }

  apply(state: LayerState, x: np.Array): np.Array {
    const { spline_w, base_w, ln_gain, ln_bias, bias } = state.params;
    const { centres, width } = gaussianCentres(this.spec.grid_range, this.spec.grid_size);
    let base: np.Array | undefined;
    if (base_w) base = np.matmul(x.ref.mul(nn.sigmoid(x.ref)), base_w.ref);
    const normed = this.layerNorm
      ? layerNorm(x, ln_gain as np.Array, ln_bias as np.Array, LAYER_NORM_EPS)
      : x;
    const basis = gaussianBasis(normed, centres, width, "square", this.dtype);
    let y = basisMatmul(basis, spline_w as np.Array);
    if (base) y = y.add(base);
    if (bias) y = y.add(bias.ref);
    return y;
  }

  paramShapes(): ShapeRecord {
    const n = this.inputs;
    const { units, grid_size: grid } = this.spec;
    return {
      spline_w: [n, grid, units],
      ...(this.spec.base ? { base_w: [n, units] } : {}),
      ...(this.layerNorm ? { ln_gain: [n], ln_bias: [n] } : {}),
      ...(this.spec.bias ? { bias: [units] } : {}),
    };
  }

  /**
   * forward = [layer_norm] 7n + 3 (layerNormFlops with gain and shift)
   *         + 4nG (gaussianBasisFlops: subtract centre, square, scale by −1/h², exp)
   *         + 2nGm (spline matmul)
   *         + [base] 2n (silu: sigmoid, multiply) + 2nm (matmul) + m (add to the spline part)
   *         + [bias] m
   */
  flops(): FlopCount {
    const n = this.inputs;
    const { units: m, grid_size: g } = this.spec;
    const forward =
      (this.layerNorm ? layerNormFlops(n, true) : 0) +
      gaussianBasisFlops("square") * n * g +
      2 * n * g * m +
      (this.spec.base ? 2 * n + 2 * n * m + m : 0) +
      (this.spec.bias ? m : 0);
    return flopsFromForward(forward);
  }
}

export const fastKanDefinition = defineLayer<FastKanSpec>({
  type: "kan_fastkan",
  summary:
    "FastKAN: Gaussian RBF basis on LayerNorm(x) + silu base branch (Li 2024); inputs [n] → [units]",
  schema: fastKanSchema,
  build: (spec, inputShape, dtype) => new FastKanLayer(spec, inputShape, dtype),
});
