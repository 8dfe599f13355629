/**
 * AF-KAN (Ta et al. 2025, "AF-KAN: Activation Function-Based Kolmogorov-Arnold Networks"):
 * ReLU-KAN with ReLU replaced by any activation f and other combinations of the two halves,
 *   u = f(x_i − s_c), v = f(e_c − x_i),  B_{i,c} = combine(u, v),  s, e as in ReLU-KAN,
 * then a normalisation of the basis and a head:
 *   linear:    y = Σ_{i,c} B̂_{i,c}·W_{i,c,j} + b_j                       (n(G+k)m weights)
 *   attention: AF-KAN's "global_attn": score_i = Σ_c B̂_{i,c}·v_c + β,
 *              α = softmax_i(score / max(τ, 1)), z_i = α_i·Σ_c B̂_{i,c},
 *              y = f(LayerNorm(z)) @ W + b                                (n·m weights)
 * Combinations follow the reference code (hoangthangta/All-KAN, models/af_kan.py):
 *   quad1 (u·v)², quad2 u·v + u² + v², sum u + v, prod u·v, sum_prod u + v + u·v,
 *   cubic1 (u + v)(u² + v²), cubic2 (u·v)³.
 * Normalisation of the basis, over each sample's n·(G+k) values: "layer" (mean 0, variance 1, no
 * affine: the linear head absorbs it), "minmax" (the reference's func_norm, (B − min)/(max − min);
 * the reference takes min and max over the whole batch, which makes a sample's output depend on
 * its batch, so here they are per sample), or "none". With train_grid the start and end points
 * are learnable and shared by all inputs, as in the reference.
 */
import { lax, numpy as np } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../../engine/dtype.js";
import { arrayFrom, toJaxDType } from "../../engine/dtype.js";
import type { Key } from "../../engine/random.js";
import { splitKey } from "../../engine/random.js";
import { ActivationApplier } from "../activation.js";
import { defineLayer } from "../definition.js";
import { initWeight } from "../init.js";
import type { ArrayRecord, FlopCount, Layer, LayerState, ShapeRecord } from "../layer.js";
import { flopsFromForward, LayerSpecError } from "../layer.js";
import {
  basisMatmul,
  constantVector,
  fastRelu,
  flatInputCount,
  gridRangeField,
  layerNorm,
  layerNormFlops,
  normalizeLastAxis,
  unitsField,
} from "./basis-common.js";
import { reluKanPhases } from "./relu-kan.js";

export const AF_COMBINATIONS = [
  "quad1",
  "quad2",
  "sum",
  "prod",
  "sum_prod",
  "cubic1",
  "cubic2",
] as const;
export type AfCombination = (typeof AF_COMBINATIONS)[number];

/** FLOPs of each combination of u and v (multiplies and adds, as written in the header). */
const COMBINE_FLOPS: Record<AfCombination, number> = {
  quad1: 2,
  quad2: 5,
  sum: 1,
  prod: 1,
  sum_prod: 3,
  cubic1: 5,
  cubic2: 3,
};

export const AF_NORMS = ["layer", "minmax", "none"] as const;
export const AF_HEADS = ["linear", "attention"] as const;
export const NORM_EPS = 1e-5;
/** Keeps (B − min)/(max − min) finite when every basis value of a sample is equal. */
export const MINMAX_EPS = 1e-7;

export const afKanSchema = z
  .object({
    type: z.literal("kan_af"),
    units: unitsField,
    grid_size: z.number().int().positive().default(5),
    order: z.number().int().nonnegative().default(3),
    grid_range: gridRangeField([0, 1]),
    function: z.string().min(1).default("silu"),
    combine: z.enum(AF_COMBINATIONS).default("quad1"),
    norm: z.enum(AF_NORMS).default("layer"),
    head: z.enum(AF_HEADS).default("linear"),
    bias: z.boolean().default(true),
    train_grid: z.boolean().default(false),
  })
  .strict();
export type AfKanSpec = z.infer<typeof afKanSchema>;

/** combine(u, v) elementwise; consumes u and v. */
function combineHalves(kind: AfCombination, u: np.Array, v: np.Array): np.Array {
  switch (kind) {
    case "quad1":
      return np.square(u.mul(v));
    case "quad2":
      return u.ref.mul(v.ref).add(np.square(u)).add(np.square(v));
    case "sum":
      return u.add(v);
    case "prod":
      return u.mul(v);
    case "sum_prod":
      return u.ref.add(v.ref).add(u.mul(v));
    case "cubic1":
      return u.ref.add(v.ref).mul(np.square(u).add(np.square(v)));
    case "cubic2": {
      const p = u.mul(v);
      return p.ref.mul(p.ref).mul(p);
    }
  }
}

/**
 * An activation applied inside this layer under its own parameter prefix, so the basis and the
 * head can each carry the function's learnable parameters (ActivationApplier names them `act.*`).
 */
class PrefixedActivation {
  private static readonly APPLIER_PREFIX = "act.";
  readonly applier: ActivationApplier;
  private readonly plainRelu: boolean;

  constructor(
    private readonly prefix: string,
    source: string,
    sampleShape: readonly number[],
    dtype: FloatDType,
  ) {
    this.applier = new ActivationApplier(source, sampleShape, dtype, "function");
    if (!this.applier.isPointwise)
      throw new LayerSpecError(
        `function: '${source}' uses statistics over a feature axis; kan_af needs a pointwise function`,
      );
    const expr = this.applier.activation.expr;
    this.plainRelu = expr.kind === "call" && expr.op === "relu" && expr.args[0]?.kind === "input";
  }

  /** The applier's `act.<name>` as `<prefix><name>`. */
  private renamed(name: string): string {
    return this.prefix + name.slice(PrefixedActivation.APPLIER_PREFIX.length);
  }

  initInto(state: LayerState): void {
    const own: LayerState = { params: {}, buffers: {} };
    this.applier.initInto(own);
    const rename = (from: ArrayRecord, to: ArrayRecord): void => {
      for (const [name, value] of Object.entries(from)) to[this.renamed(name)] = value;
    };
    rename(own.params, state.params);
    rename(own.buffers, state.buffers);
  }

  paramShapes(): ShapeRecord {
    return Object.fromEntries(
      Object.entries(this.applier.paramShapes()).map(([name, shape]) => [
        this.renamed(name),
        shape,
      ]),
    );
  }

  /** Consumes x, borrows state. */
  apply(state: LayerState, x: np.Array): np.Array {
    if (this.plainRelu) return fastRelu(x);
    const view: LayerState = { params: {}, buffers: {} };
    const pick = (from: ArrayRecord, to: ArrayRecord): void => {
      for (const [name, value] of Object.entries(from))
        if (name.startsWith(this.prefix))
          to[PrefixedActivation.APPLIER_PREFIX + name.slice(this.prefix.length)] = value;
    };
    pick(state.params, view.params);
    pick(state.buffers, view.buffers);
    return this.applier.apply(view, x);
  }
}

export class AfKanLayer implements Layer {
  readonly kind = "kan_af";
  readonly outputShape: readonly number[];
  private readonly inputs: number;
  /** Number of basis functions per input, G + k. */
  private readonly count: number;
  private readonly basisFn: PrefixedActivation;
  private readonly headFn: PrefixedActivation | undefined;

  constructor(
    readonly spec: AfKanSpec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    this.inputs = flatInputCount(this.kind, inputShape);
    this.outputShape = [spec.units];
    this.count = spec.grid_size + spec.order;
    if (spec.norm === "layer" && this.inputs * this.count < 2)
      throw new LayerSpecError("norm: 'layer' over a single basis value is always 0");
    if (spec.head === "attention" && this.inputs < 2)
      throw new LayerSpecError(
        "head: 'attention' normalises over the inputs and needs at least 2 of them",
      );
    this.basisFn = new PrefixedActivation(
      "basis_act.",
      spec.function,
      [this.inputs, this.count],
      dtype,
    );
    if (spec.head === "attention")
      this.headFn = new PrefixedActivation("head_act.", spec.function, [this.inputs], dtype);
  }

  /**
   * Linear head: W torch_uniform with fan-in n(G+k). Attention head (as the reference): v
   * torch_uniform with fan-in G+k and β = 0 (its Linear(G+k, 1)), τ = √n, LayerNorm gain 1 and
   * shift 0, W torch_uniform with fan-in n. Bias 0.
   */
  init(key: Key): LayerState {
    const n = this.inputs;
    const k = this.count;
    const { units } = this.spec;
    const dtype = toJaxDType(this.dtype);
    const [weightKey, attentionKey] = splitKey(key, 2) as [Key, Key];
    const state: LayerState = { params: {}, buffers: {} };
    if (this.spec.head === "linear") {
      attentionKey.dispose();
      state.params.w = initWeight(
        weightKey,
        "torch_uniform",
        [n, k, units],
        { fanIn: n * k, fanOut: units },
        this.dtype,
      );
    } else {
      state.params.attn_w = initWeight(
        attentionKey,
        "torch_uniform",
        [k],
        { fanIn: k, fanOut: 1 },
        this.dtype,
      );
      state.params.attn_b = np.zeros([], { dtype });
      state.params.temperature = np.full([], Math.sqrt(n), { dtype });
      state.params.ln_gain = np.ones([n], { dtype });
      state.params.ln_bias = np.zeros([n], { dtype });
      state.params.w = initWeight(
        weightKey,
        "torch_uniform",
        [n, units],
        { fanIn: n, fanOut: units },
        this.dtype,
      );
    }
    if (this.spec.bias) state.params.bias = np.zeros([units], { dtype });
    if (this.spec.train_grid) {
      const { starts, ends } = this.phases();
      state.params.starts = arrayFrom(starts, [k], this.dtype);
      state.params.ends = arrayFrom(ends, [k], this.dtype);
    }
    this.basisFn.initInto(state);
    this.headFn?.initInto(state);
    return state;
  }

  private phases(): { starts: number[]; ends: number[] } {
    return reluKanPhases(this.spec.grid_size, this.spec.order, this.spec.grid_range);
  }

  /** The normalised basis [B, n, G+k]; consumes x. */
  private basis(state: LayerState, x: np.Array): np.Array {
    const { starts, ends } = state.params;
    const [batch, n] = x.shape as [number, number];
    const k = this.count;
    const phases = this.phases();
    const s = starts ? starts.ref : constantVector(phases.starts, this.dtype);
    const e = ends ? ends.ref : constantVector(phases.ends, this.dtype);
    const xs = x.reshape([batch, n, 1]);
    const u = this.basisFn.apply(state, xs.ref.sub(s));
    const v = this.basisFn.apply(state, e.sub(xs));
    const raw = combineHalves(this.spec.combine, u, v);
    switch (this.spec.norm) {
      case "none":
        return raw;
      case "layer":
        return normalizeLastAxis(raw.reshape([batch, n * k]), NORM_EPS).reshape([batch, n, k]);
      case "minmax": {
        const flat = raw.reshape([batch, n * k]);
        const low = np.min(flat.ref, -1, { keepdims: true });
        const range = np.max(flat.ref, -1, { keepdims: true }).sub(low.ref).add(MINMAX_EPS);
        return flat.sub(low).div(range).reshape([batch, n, k]);
      }
    }
  }

  apply(state: LayerState, x: np.Array): np.Array {
    const { w, bias } = state.params;
    const basis = this.basis(state, x);
    let y =
      this.spec.head === "linear" ? basisMatmul(basis, w as np.Array) : this.attend(state, basis);
    if (bias) y = y.add(bias.ref);
    return y;
  }

  /** AF-KAN's global attention head, without the bias; consumes the basis. */
  private attend(state: LayerState, basis: np.Array): np.Array {
    const { attn_w, attn_b, temperature, ln_gain, ln_bias, w } = state.params as Record<
      string,
      np.Array
    >;
    const [batch, n, k] = basis.shape as [number, number, number];
    const score = np
      .matmul(basis.ref.reshape([batch * n, k]), (attn_w as np.Array).ref.reshape([k, 1]))
      .reshape([batch, n])
      .add((attn_b as np.Array).ref)
      .div(np.maximum((temperature as np.Array).ref, 1));
    // softmax over the inputs; the shift by the maximum only guards exp, so no gradient flows
    // through it (softmax is shift-invariant)
    const shift = lax.stopGradient(np.max(score.ref, -1, { keepdims: true }));
    const unnormalised = np.exp(score.sub(shift));
    const attention = unnormalised.ref.div(np.sum(unnormalised, -1, { keepdims: true }));
    const attended = attention.mul(np.sum(basis, -1));
    const normed = layerNorm(attended, ln_gain as np.Array, ln_bias as np.Array, NORM_EPS);
    const activated = (this.headFn as PrefixedActivation).apply(state, normed);
    return np.matmul(activated, (w as np.Array).ref);
  }

  /** Linear head: W [n, G+k, m]. Attention head: v [G+k], β and τ scalars, LayerNorm gain and
   * shift [n], W [n, m]. */
  paramShapes(): ShapeRecord {
    const n = this.inputs;
    const k = this.count;
    const m = this.spec.units;
    const head: ShapeRecord =
      this.spec.head === "linear"
        ? { w: [n, k, m] }
        : { attn_w: [k], attn_b: [], temperature: [], ln_gain: [n], ln_bias: [n], w: [n, m] };
    return {
      ...head,
      ...(this.spec.bias ? { bias: [m] } : {}),
      ...(this.spec.train_grid ? { starts: [k], ends: [k] } : {}),
      ...this.basisFn.paramShapes(),
      ...this.headFn?.paramShapes(),
    };
  }

  /**
   * With N = n(G+k) basis values and f the function's op count per element (activation.ts):
   *   basis:  N·(2 + 2f + c)  (x − s, e − x, two f, combination c: COMBINE_FLOPS)
   *   norm:   layer 5N + 3 (layerNormFlops, no affine); minmax 4N (min N−1, max N−1, range 1,
   *           +eps 1, subtract N, divide N); none 0
   *   linear head:    2Nm
   *   attention head: score 2N + n (matmul with v, +β), clamp τ 1, /τ n, softmax 5n − 2 (max n−1,
   *                   subtract n, exp n, sum n−1, divide n), Σ_c n(G+k−1), ·α n,
   *                   LayerNorm 7n + 3, f·n, matmul 2nm  → 3N + 14n + 2 + f·n + 2nm
   *   bias:   m
   */
  flops(): FlopCount {
    const n = this.inputs;
    const values = n * this.count;
    const m = this.spec.units;
    const fOps = this.basisFn.applier.flops().forward / values;
    const basis = values * (2 + 2 * fOps + COMBINE_FLOPS[this.spec.combine]);
    const norm =
      this.spec.norm === "layer"
        ? layerNormFlops(values, false)
        : this.spec.norm === "minmax"
          ? 4 * values
          : 0;
    const head =
      this.spec.head === "linear" ? 2 * values * m : 3 * values + 14 * n + 2 + fOps * n + 2 * n * m;
    return flopsFromForward(basis + norm + head + (this.spec.bias ? m : 0));
  }
}

export const afKanDefinition = defineLayer<AfKanSpec>({
  type: "kan_af",
  summary:
    "AF-KAN: ReLU-KAN-style basis from any activation and combination, normalised, linear or attention head (Ta et al. 2025)",
  schema: afKanSchema,
  build: (spec, inputShape, dtype) => new AfKanLayer(spec, inputShape, dtype),
});
