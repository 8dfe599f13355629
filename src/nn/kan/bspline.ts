/**
 * KAN layer with B-spline edges (Liu et al. 2024, pykan's KANLayer): every edge i→j carries
 *   φ_ij(x) = mask_ij · (scale_base_ij · b(x) + scale_sp_ij · Σ_c coef_ijc · B_c(x)),
 * b = SiLU by default, B_c the B-splines of `order` on a grid of `grid_size` cells per input
 * (extended by `order` cells each side); y_j = Σ_i φ_ij(x_i). Evaluated as one 2-D matmul of the
 * basis [batch, n·K] with the effective coefficients [n·K, m] plus one for the base branch.
 *
 * Grid update, grid extension, pruning and edge read-out live in kan-ops.ts; they replace the
 * layer's knots, coefficients and mask while keeping its curves.
 */
import { jit, numpy as np } from "@jax-js/jax";
import type { JsTree } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../../engine/dtype.js";
import { arrayFrom } from "../../engine/dtype.js";
import type { Key } from "../../engine/random.js";
import { splitKey, uniformSample } from "../../engine/random.js";
import { takeValues } from "../../engine/ownership.js";
import { ActivationApplier } from "../activation.js";
import { matmul2d } from "../dense.js";
import { defineLayer } from "../definition.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "../layer.js";
import { flatInputCount, LayerSpecError } from "../layer.js";
import {
  bsplineValueAndSlope,
  bsplineValues,
  uniformKnots,
  withInputGradient,
} from "./bspline-basis.js";
import { designMatrix } from "./bspline-scalar.js";
import { leastSquares } from "../../numeric/least-squares.js";
import { SYMBOLIC_AFFINE, SymbolicEdges, symbolicEdgeSchema } from "./symbolic-edges.js";

export const kanSpecSchema = z
  .object({
    type: z.literal("kan"),
    units: z.number().int().positive(),
    grid_size: z.number().int().positive().default(3),
    order: z.number().int().min(0).max(7).default(3),
    grid_range: z
      .tuple([z.number(), z.number()])
      .refine(([low, high]) => low < high, "grid_range must be [low, high] with low < high")
      .default([-1, 1]),
    /** Grid update mixes uniform (1) and sample-percentile (0) knots, as pykan's grid_eps. */
    grid_eps: z.number().min(0).max(1).default(0.02),
    /** The base branch b(x): a zoo name or expression without learnable parameters. */
    base: z.string().default("silu"),
    noise_scale: z.number().min(0).default(0.3),
    scale_base_mu: z.number().default(0),
    scale_base_sigma: z.number().min(0).default(1),
    scale_sp: z.number().default(1),
    train_scale_base: z.boolean().default(true),
    train_scale_sp: z.boolean().default(true),
    /** Fixed (symbolic) edges: c·f(a·x + b) + d in place of the spline (symbolic-edges.ts). */
    symbolic: z.array(symbolicEdgeSchema).optional(),
  })
  .strict();
export type KanSpec = z.infer<typeof kanSpecSchema>;

/** What the no-gradient pass hands to the differentiated one: basis values and slopes. */
export type KanPrepared = np.Array[];

/**
 * Jitted forms of the layer's methods for calls on concrete arrays (grid updates, pruning and
 * metrics run them outside any trace): op by op, jax-js builds and hashes a kernel per primitive,
 * ~30–70 ms for hello KAN's two layers on 1000 points, vs ~1.5 ms jitted
 * (bench/micro-kan-apply.ts); even a single call (pruning) is no slower with the compile. Shared
 * by every layer of one spec, input shape and dtype (a grid update rebuilds the layer).
 */
const compiledMethods = new Map<string, (...args: never[]) => unknown>();

/** True when no argument is a tracer (we are not inside jit, grad or vmap). */
const concrete = (state: LayerState, ...arrays: (np.Array | np.Array[])[]): boolean =>
  [...Object.values(state.params), ...Object.values(state.buffers), ...arrays.flat()].every(
    (leaf) => leaf instanceof np.Array,
  );

/** New references to a state's arrays, keys sorted: jit's cache is keyed by the tree's structure,
 * and states built by init, a grid update or a checkpoint list their arrays in different orders. */
const borrowState = (state: LayerState): LayerState => {
  const sorted = (record: LayerState["params"]): LayerState["params"] =>
    Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((name) => [name, (record[name] as np.Array).ref]),
    );
  return { params: sorted(state.params), buffers: sorted(state.buffers) };
};

export class KanLayer implements Layer {
  readonly kind = "kan";
  readonly outputShape: readonly number[];
  readonly inputs: number;
  readonly units: number;
  /** Basis functions per input: grid_size + order. */
  readonly basisCount: number;
  private readonly base: ActivationApplier;
  /** The fixed edges (none unless the spec lists some). */
  readonly symbolic: SymbolicEdges;

  constructor(
    readonly spec: KanSpec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    this.inputs = flatInputCount(this.kind, inputShape);
    this.units = spec.units;
    this.outputShape = [spec.units];
    this.basisCount = spec.grid_size + spec.order;
    this.base = new ActivationApplier(spec.base, inputShape, dtype, "base");
    if (Object.keys(this.base.activation.params).length > 0)
      throw new LayerSpecError("base: the base function of a kan layer takes no parameters");
    this.symbolic = new SymbolicEdges(spec.symbolic, this.inputs, this.units, dtype);
  }

  /** Knots per input: grid_size + 2·order + 1. */
  get knotCount(): number {
    return this.spec.grid_size + 2 * this.spec.order + 1;
  }

  /** coef [n·K, m]; scale_base and scale_sp [n, m] each where they train (else buffers). */
  paramShapes(): ShapeRecord {
    const { inputs: n, units: m, basisCount: count } = this;
    return {
      coef: [n * count, m],
      ...(this.spec.train_scale_base ? { scale_base: [n, m] } : {}),
      ...(this.spec.train_scale_sp ? { scale_sp: [n, m] } : {}),
      ...(this.symbolic.count > 0 ? { [SYMBOLIC_AFFINE]: [this.symbolic.count, 4] } : {}),
    };
  }

  init(key: Key): LayerState {
    const { spec, inputs: n, units: m, basisCount: count } = this;
    const [noiseKey, baseKey] = splitKey(key, 2) as [Key, Key];
    const [low, high] = spec.grid_range;
    const knots = uniformKnots(low, high, spec.grid_size, spec.order);
    // pykan: the spline starts as a least-squares fit to uniform noise of size noise_scale/G at
    // the G+1 grid points (a small random curve); the base scale is mu ± sigma, over √n.
    // drawn in float32 (what uniformSample draws for every dtype) and widened on the host: the
    // same numbers as a float64 draw, on devices without float64 (WebGPU) too
    const noise = Float64Array.from(
      takeValues(uniformSample(noiseKey, [spec.grid_size + 1, n * m], -0.5, 0.5, "float32")),
    ).map((v) => (v * spec.noise_scale) / spec.grid_size);
    const points = knots.slice(spec.order, spec.order + spec.grid_size + 1);
    const design = designMatrix(points, knots, spec.order);
    const fitted = leastSquares(design, noise, points.length, count, n * m, 1e-8);
    const coef = new Float64Array(n * count * m);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < count; c++)
        for (let j = 0; j < m; j++)
          coef[(i * count + c) * m + j] = fitted[c * n * m + i * m + j] as number;
    const scaleBase = uniformSample(baseKey, [n, m], -1, 1, this.dtype)
      .mul(spec.scale_base_sigma / Math.sqrt(n))
      .add(spec.scale_base_mu / Math.sqrt(n));
    const scaleSp = np.full([n, m], spec.scale_sp / Math.sqrt(n), { dtype: scaleBase.dtype });
    const state: LayerState = {
      params: { coef: arrayFrom(coef, [n * count, m], this.dtype) },
      buffers: {
        knots: arrayFrom(
          Array.from({ length: n }, () => knots).flat(),
          [n, this.knotCount],
          this.dtype,
        ),
        // a fixed edge's spline branch is off from the start
        mask: arrayFrom(
          Array.from({ length: n * m }, (_, e) =>
            this.symbolic.has(Math.floor(e / m), e % m) ? 0 : 1,
          ),
          [n, m],
          this.dtype,
        ),
      },
    };
    if (this.symbolic.count > 0)
      state.params[SYMBOLIC_AFFINE] = arrayFrom(
        this.symbolic.edges.flatMap(() => [1, 0, 1, 0]),
        [this.symbolic.count, 4],
        this.dtype,
      );
    (spec.train_scale_base ? state.params : state.buffers).scale_base = scaleBase;
    (spec.train_scale_sp ? state.params : state.buffers).scale_sp = scaleSp;
    return state;
  }

  apply(state: LayerState, x: np.Array): np.Array {
    if (concrete(state, x))
      return this.compiled("apply", (s: LayerState, input: np.Array) => this.applyValues(s, input))(
        borrowState(state),
        x,
      );
    return this.applyPrepared(state, x, this.prepare(state, x.ref));
  }

  /** The layer's values with no gradient path through the basis (a smaller program to compile:
   * for concrete inputs, where no gradient is taken). Consumes x. */
  private applyValues(state: LayerState, x: np.Array): np.Array {
    const batch = x.shape[0] as number;
    const { inputs: n, basisCount: count } = this;
    const basis = bsplineValues(x.ref, this.array(state, "knots"), this.spec.order);
    const spline = matmul2d(basis.reshape([batch, n * count]), this.effectiveCoef(state));
    return this.withSymbolic(state, x, spline);
  }

  /** spline + the base branch + the fixed edges' outputs. Consumes x and spline. */
  private withSymbolic(state: LayerState, x: np.Array, spline: np.Array): np.Array {
    const fixed = this.symbolic.outputs(state, x);
    const base = matmul2d(this.base.apply(state, x), this.maskedScale(state, "scale_base"));
    const sum = spline.add(base);
    return fixed ? sum.add(fixed) : sum;
  }

  /** Basis values and slopes at x, with no gradient: the costly part, run outside autodiff
   * (see bspline-basis.ts). Consumes x. */
  prepare(state: LayerState, x: np.Array): KanPrepared {
    if (concrete(state, x))
      return this.compiled("prepare", (s: LayerState, input: np.Array) =>
        this.prepareTraced(s, input),
      )(borrowState(state), x);
    return this.prepareTraced(state, x);
  }

  private prepareTraced(state: LayerState, x: np.Array): KanPrepared {
    return bsplineValueAndSlope(x, this.array(state, "knots"), this.spec.order);
  }

  /** The method `name`, jitted, from the cache shared by layers like this one. */
  private compiled<F extends (...args: never[]) => JsTree<np.Array>>(name: string, method: F): F {
    const key = JSON.stringify([name, this.spec, this.inputShape, this.dtype]);
    let compiled = compiledMethods.get(key);
    if (!compiled) {
      compiled = jit(method as never) as unknown as F;
      compiledMethods.set(key, compiled);
    }
    return compiled as F;
  }

  /** The layer on precomputed basis values (exact value and gradient). Consumes x and prepared. */
  applyPrepared(state: LayerState, x: np.Array, prepared: KanPrepared): np.Array {
    if (concrete(state, x, prepared))
      return this.compiled("applyPrepared", (s: LayerState, input: np.Array, p: KanPrepared) =>
        this.applyPreparedTraced(s, input, p),
      )(borrowState(state), x, prepared);
    return this.applyPreparedTraced(state, x, prepared);
  }

  private applyPreparedTraced(state: LayerState, x: np.Array, prepared: KanPrepared): np.Array {
    const batch = x.shape[0] as number;
    const { inputs: n, basisCount: count } = this;
    const basis = withInputGradient(
      x.ref,
      prepared[0] as np.Array,
      prepared[1] as np.Array,
    ).reshape([batch, n * count]);
    const spline = matmul2d(basis, this.effectiveCoef(state));
    return this.withSymbolic(state, x, spline);
  }

  /**
   * Per-edge outputs' spread over the batch, as pykan measures it: std_b φ_ij(x_bi) [n, m] and
   * std_b x_bi [n]. Consumes x and prepared. Used by the sparsity penalty and by pruning.
   */
  edgeSpread(
    state: LayerState,
    x: np.Array,
    prepared: KanPrepared,
  ): { edges: np.Array; inputs: np.Array } {
    if (concrete(state, x, prepared))
      return this.compiled("edgeSpread", (s: LayerState, input: np.Array, p: KanPrepared) =>
        this.edgeSpreadTraced(s, input, p),
      )(borrowState(state), x, prepared);
    return this.edgeSpreadTraced(state, x, prepared);
  }

  private edgeSpreadTraced(
    state: LayerState,
    x: np.Array,
    prepared: KanPrepared,
  ): { edges: np.Array; inputs: np.Array } {
    const batch = x.shape[0] as number;
    const { inputs: n, basisCount: count, units: m } = this;
    const basis = withInputGradient(x.ref, prepared[0] as np.Array, prepared[1] as np.Array);
    const scaleBase = this.maskedScale(state, "scale_base");
    const baseValues = this.base.apply(state, x.ref);
    const coef = this.effectiveCoef(state).reshape([n, count, m]);
    const rows: np.Array[] = [];
    for (let i = 0; i < n; i++) {
      const spline = np.matmul(
        basis.ref.slice([], i).reshape([batch, count]),
        coef.ref.slice(i).reshape([count, m]),
      );
      const learned = spline.add(
        baseValues.ref.slice([], [i, i + 1]).mul(scaleBase.ref.slice([i, i + 1]).reshape([1, m])),
      );
      const fixed = this.symbolic.outputs(state, x, i);
      const edge = fixed ? learned.add(fixed) : learned;
      rows.push(sampleStd(edge).reshape([1, m]));
    }
    basis.dispose();
    coef.dispose();
    scaleBase.dispose();
    baseValues.dispose();
    return { edges: np.concatenate(rows, 0), inputs: sampleStd(x) };
  }

  /** coef · scale_sp · mask, [n·K, m]. */
  effectiveCoef(state: LayerState): np.Array {
    const { inputs: n, basisCount: count, units: m } = this;
    const scale = this.maskedScale(state, "scale_sp").reshape([n, 1, m]);
    return this.array(state, "coef")
      .reshape([n, count, m])
      .mul(scale)
      .reshape([n * count, m]);
  }

  private maskedScale(state: LayerState, name: "scale_base" | "scale_sp"): np.Array {
    return this.array(state, name).mul(this.array(state, "mask"));
  }

  /** A borrowed reference to a param or buffer. */
  array(state: LayerState, name: string): np.Array {
    const value = state.params[name] ?? state.buffers[name];
    if (!value) throw new Error(`kan layer: missing array '${name}'`);
    return value.ref;
  }

  /**
   * Per sample: the basis (Cox–de Boor: 2 compares + 1 multiply per knot interval at order 0,
   * then 6 operations per function per order) on each input, the spline and base matmuls
   * (2·n·K·m and 2·n·m), the base function on each input, and the fixed edges (their masked
   * splines are still computed).
   */
  flops(): FlopCount {
    const { inputs: n, units: m, basisCount: count } = this;
    const order = this.spec.order;
    const intervals = this.knotCount - 1;
    let basis = 3 * intervals;
    for (let p = 1; p <= order; p++) basis += 6 * (intervals - p);
    const forward =
      n * basis +
      2 * n * count * m +
      2 * n * m +
      m +
      this.base.flops().forward +
      this.symbolic.forwardFlops();
    return { forward, backward: 2 * forward };
  }
}

/** Standard deviation over the batch (axis 0), unbiased as torch.std. Consumes v. */
export function sampleStd(v: np.Array): np.Array {
  const batch = v.shape[0] as number;
  const centred = v.ref.sub(np.mean(v, [0], { keepdims: true }));
  return np.sqrt(
    np
      .square(centred)
      .sum([0])
      .div(Math.max(batch - 1, 1)),
  );
}

export const KAN_DEFINITION = defineLayer({
  type: "kan",
  summary: "KAN layer with B-spline edges plus a SiLU base (pykan)",
  schema: kanSpecSchema,
  build: (spec, inputShape, dtype) => new KanLayer(spec, inputShape, dtype),
});
