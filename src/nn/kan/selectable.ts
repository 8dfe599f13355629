/**
 * S-KAN layer (Activation Space Selectable KAN, Yang et al. 2024). The abstract says only that
 * S-KAN "employs an adaptive strategy to choose the possible activation mode for data at each
 * feedforward KAN node" among several activation spaces; it gives no formula. Our choice, a
 * differentiable relaxation (as in DARTS-style architecture search) that can be hardened:
 *
 *   soft:  y_j = Σ_s softmax(α_j / τ)_s · Σ_i φ^{(s)}_ij(x_i),   α [units, S] learnable,
 *   hard:  y_j = Σ_i φ^{(s_j)}_ij(x_i),   s_j = argmax_s α_js   (after `select()`),
 *
 * where each space s gives every edge a learnable function φ^{(s)}_ij = Σ_k c^{(s)}_ijk·e_k(x):
 *   bspline     e_k = B-splines of `spline_order` on `grid_size` uniform cells of `grid_range`
 *   rbf         e_k = exp(−((x − μ_k)/h)²), `rbf_centers` centres μ_k spread over `grid_range`,
 *               h their spacing (FastKAN's Gaussian basis)
 *   fourier     e = cos(kx), sin(kx), k = 1..`fourier_frequencies` (Fourier KAN)
 *   polynomial  e_k = x^k, k = 1..`polynomial_degree` (no x⁰: n constants per node would only
 *               duplicate one another)
 *   a zoo name  e = f(x), one weight per edge: w_ij·f(x_i) (silu, tanh, relu, …)
 * Each space is one 2-D matmul of its features [batch, n·K_s] with its coefficients [n·K_s, m].
 * In the hard form a space only holds the columns of the nodes that chose it; the outputs are
 * concatenated and put back in node order (a product with a one-hot matrix: see apply).
 */
import { nn, numpy as np } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../../engine/dtype.js";
import { arrayFrom } from "../../engine/dtype.js";
import { takeValues } from "../../engine/ownership.js";
import type { Key } from "../../engine/random.js";
import { normalSample, splitKey } from "../../engine/random.js";
import { findZooEntry } from "../../zoo/index.js";
import { ActivationApplier } from "../activation.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "../layer.js";
import { LayerSpecError } from "../layer.js";
import { bsplineBasis, uniformKnots } from "./bspline-basis.js";
import { FOURIER_BASIS_FLOPS, fourierBasis } from "./fourier-basis.js";
import { gaussianBasis, gaussianBasisFlops, gaussianCentres } from "./rbf-basis.js";

export const BASIS_SPACES = ["bspline", "rbf", "fourier", "polynomial"] as const;
export const DEFAULT_SPACES = ["bspline", "rbf", "fourier", "polynomial", "silu"];

export const selectableKanSchema = z
  .object({
    type: z.literal("kan_selectable"),
    units: z.number().int().positive(),
    /** Candidate activation spaces: bspline, rbf, fourier, polynomial, or activation zoo names. */
    spaces: z.array(z.string()).min(1).default(DEFAULT_SPACES),
    /** τ in softmax(α/τ): lower values sharpen the selection. */
    temperature: z.number().positive().default(1),
    grid_size: z.number().int().positive().default(5),
    spline_order: z.number().int().min(0).max(7).default(3),
    grid_range: z
      .tuple([z.number(), z.number()])
      .refine(([low, high]) => low < high, "grid_range must be [low, high] with low < high")
      .default([-1, 1]),
    rbf_centers: z.number().int().min(2).default(8),
    fourier_frequencies: z.number().int().positive().default(4),
    polynomial_degree: z.number().int().positive().default(3),
    /** Hard selection, one space per output node (written by `select()`); absent = soft. */
    selected: z.array(z.string()).optional(),
  })
  .strict();
export type SelectableKanSpec = z.infer<typeof selectableKanSchema>;

/** One activation space: how it turns x [batch, n] into edge features [batch, n·rows]. */
interface Space {
  readonly name: string;
  /** Features per input channel, K_s. */
  readonly rows: number;
  /** Consumes x, borrows the state. */
  features(state: LayerState, x: np.Array): np.Array;
  /** Per sample, for all n inputs. */
  featureFlops(): number;
  /** Adds the space's buffers (and an activation's own parameters) to a state. */
  initExtras(state: LayerState): void;
  /** Shapes of the parameters initExtras adds. */
  extraParamShapes(): ShapeRecord;
}

const coefName = (space: string): string => `${space}.coef`;

export class SelectableKanLayer implements Layer {
  readonly kind = "kan_selectable";
  readonly outputShape: readonly number[];
  readonly inputs: number;
  readonly units: number;
  /** Every listed space, in spec order. */
  readonly spaces: readonly Space[];
  /** Hard selection: for each space in use, the nodes that chose it (ascending). */
  readonly nodesOf: ReadonlyMap<string, readonly number[]> | undefined;

  constructor(
    readonly spec: SelectableKanSpec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    if (inputShape.length !== 1)
      throw new LayerSpecError(
        `kan_selectable needs flat inputs, got shape [${inputShape.join(", ")}]: add a flatten layer`,
      );
    this.inputs = inputShape[0] as number;
    this.units = spec.units;
    this.outputShape = [spec.units];
    const seen = new Set<string>();
    this.spaces = spec.spaces.map((name, index) => {
      if (seen.has(name)) throw new LayerSpecError(`spaces[${index}]: '${name}' is listed twice`);
      seen.add(name);
      return this.buildSpace(name, index);
    });
    if (spec.selected) {
      if (spec.selected.length !== spec.units)
        throw new LayerSpecError(
          `selected: has ${spec.selected.length} entries, one per output node needs ${spec.units}`,
        );
      const nodes = new Map<string, number[]>();
      spec.selected.forEach((name, j) => {
        if (!seen.has(name))
          throw new LayerSpecError(
            `selected[${j}]: '${name}' is not one of spaces (${spec.spaces.join(", ")})`,
          );
        nodes.set(name, [...(nodes.get(name) ?? []), j]);
      });
      this.nodesOf = nodes;
    }
  }

  get isHard(): boolean {
    return this.nodesOf !== undefined;
  }

  /** Spaces that carry parameters: all in soft form, the chosen ones in hard form. */
  get activeSpaces(): Space[] {
    return this.spaces.filter((space) => !this.nodesOf || this.nodesOf.has(space.name));
  }

  /** Output columns of a space's coefficients. */
  private columnsOf(space: Space): number {
    return this.nodesOf ? (this.nodesOf.get(space.name)?.length ?? 0) : this.units;
  }

  private buildSpace(name: string, index: number): Space {
    const n = this.inputs;
    const { spec, dtype } = this;
    const [low, high] = spec.grid_range;
    const lifted = (x: np.Array): np.Array => x.reshape([x.shape[0] as number, n, 1]);
    const flat = (features: np.Array): np.Array =>
      features.reshape([features.shape[0] as number, n * (features.shape[2] as number)]);
    const noExtras = {
      initExtras: (): void => undefined,
      extraParamShapes: (): ShapeRecord => ({}),
    };
    switch (name) {
      case "bspline": {
        const order = spec.spline_order;
        const knots = uniformKnots(low, high, spec.grid_size, order);
        const intervals = knots.length - 1;
        return {
          name,
          rows: spec.grid_size + order,
          features: (state, x) =>
            flat(bsplineBasis(x, state.buffers["bspline.knots"] as np.Array, order)),
          // the kan layer's convention: order 0 is 2 compares + 1 multiply per knot interval,
          // each Cox–de Boor step 6 operations per function
          featureFlops: () => {
            let perInput = 3 * intervals;
            for (let p = 1; p <= order; p++) perInput += 6 * (intervals - p);
            return n * perInput;
          },
          initExtras: (state) => {
            state.buffers["bspline.knots"] = arrayFrom(
              Array.from({ length: n }, () => knots).flat(),
              [n, knots.length],
              dtype,
            );
          },
          extraParamShapes: () => ({}),
        };
      }
      case "rbf": {
        const count = spec.rbf_centers;
        const { centres, width } = gaussianCentres(spec.grid_range, count);
        return {
          name,
          rows: count,
          features: (_state, x) => flat(gaussianBasis(x, centres, width, "offset", dtype)),
          featureFlops: () => n * gaussianBasisFlops("offset") * count,
          ...noExtras,
        };
      }
      case "fourier": {
        const count = spec.fourier_frequencies;
        return {
          name,
          rows: 2 * count,
          features: (_state, x) => {
            const { cos, sin } = fourierBasis(x, count, dtype);
            return flat(np.concatenate([cos, sin], 2));
          },
          featureFlops: () => n * FOURIER_BASIS_FLOPS * count,
          ...noExtras,
        };
      }
      case "polynomial": {
        const degree = spec.polynomial_degree;
        return {
          name,
          rows: degree,
          features: (_state, x) => {
            const base = lifted(x);
            const powers = [base.ref];
            for (let k = 2; k <= degree; k++)
              powers.push((powers[k - 2] as np.Array).ref.mul(base.ref));
            base.dispose();
            return flat(np.concatenate(powers, 2));
          },
          // x^k = x^{k−1}·x
          featureFlops: () => n * (degree - 1),
          ...noExtras,
        };
      }
    }
    const field = `spaces[${index}]`;
    if (!findZooEntry(name))
      throw new LayerSpecError(
        `${field}: unknown space '${name}': use ${BASIS_SPACES.join(", ")} or an activation zoo name (silu, tanh, relu, …)`,
      );
    const applier = new ActivationApplier(name, [n], dtype, field);
    if (!applier.isPointwise)
      throw new LayerSpecError(
        `${field}: '${name}' depends on other units; a space must be pointwise`,
      );
    // the activation's own parameters live under "<space>.act.<param>"
    const prefix = `${name}.`;
    const view = (state: LayerState): LayerState => {
      const strip = (record: LayerState["params"]): LayerState["params"] =>
        Object.fromEntries(
          Object.entries(record)
            .filter(([key]) => key.startsWith(prefix + "act."))
            .map(([key, value]) => [key.slice(prefix.length), value]),
        );
      return { params: strip(state.params), buffers: strip(state.buffers) };
    };
    return {
      name,
      rows: 1,
      features: (state, x) => applier.apply(view(state), x),
      featureFlops: () => applier.flops().forward,
      initExtras: (state) => {
        const own: LayerState = { params: {}, buffers: {} };
        applier.initInto(own);
        for (const [key, value] of Object.entries(own.params)) state.params[prefix + key] = value;
        for (const [key, value] of Object.entries(own.buffers)) state.buffers[prefix + key] = value;
      },
      extraParamShapes: () =>
        Object.fromEntries(
          Object.entries(applier.paramShapes()).map(([key, shape]) => [prefix + key, shape]),
        ),
    };
  }

  /**
   * α = 0 (every space equally likely); coefficients N(0, 1/(n·K_s)), LeCun's scale over the
   * n·K_s features of the space's matmul.
   */
  init(key: Key): LayerState {
    const active = this.activeSpaces;
    const keys = splitKey(key, active.length);
    const state: LayerState = { params: {}, buffers: {} };
    if (!this.isHard)
      state.params.alpha = arrayFrom(
        new Float64Array(this.units * this.spaces.length),
        [this.units, this.spaces.length],
        this.dtype,
      );
    active.forEach((space, s) => {
      const rows = this.inputs * space.rows;
      state.params[coefName(space.name)] = normalSample(
        keys[s] as Key,
        [rows, this.columnsOf(space)],
        this.dtype,
      ).mul(1 / Math.sqrt(rows));
      space.initExtras(state);
    });
    return state;
  }

  apply(state: LayerState, x: np.Array): np.Array {
    const outputs = this.activeSpaces.map((space) =>
      np.matmul(space.features(state, x.ref), (state.params[coefName(space.name)] as np.Array).ref),
    );
    x.dispose();
    if (this.nodesOf) {
      const joined = outputs.length === 1 ? (outputs[0] as np.Array) : np.concatenate(outputs, 1);
      // column c of `joined` belongs to node order[c]; gather them back into node order
      const order = this.activeSpaces.flatMap((space) => this.nodesOf?.get(space.name) ?? []);
      if (order.every((node, c) => node === c)) return joined;
      // a product with the one-hot matrix P[c, node] = 1, not a gather: jax-js cannot
      // differentiate a gather by constant indices inside jit (its gradient, a scatter, fails
      // "routine primitive scatter input is not imm"); each output is one value times 1 plus
      // zeros, so the values are the gathered ones exactly
      const permutation = new Float64Array(this.units * this.units);
      order.forEach((node, c) => (permutation[c * this.units + node] = 1));
      return np.matmul(joined, arrayFrom(permutation, [this.units, this.units], this.dtype));
    }
    const weights = nn.softmax(
      (state.params.alpha as np.Array).ref.mul(1 / this.spec.temperature),
      -1,
    );
    let y: np.Array | undefined;
    outputs.forEach((out, s) => {
      const term = out.mul(weights.ref.slice([], s));
      y = y ? y.add(term) : term;
    });
    weights.dispose();
    return y as np.Array;
  }

  /**
   * Hard selection: each node keeps its most likely space (argmax of α_j, first on ties). Returns
   * the choices, the hard spec (only the chosen spaces, in spec order, plus `selected`) and a new
   * state holding only the chosen columns of the chosen spaces. Borrows `state`.
   */
  select(state: LayerState): { choices: string[]; spec: SelectableKanSpec; state: LayerState } {
    if (this.isHard) throw new LayerSpecError("selected: this layer's spaces are already selected");
    const alpha = takeValues((state.params.alpha as np.Array).ref);
    const count = this.spaces.length;
    const choices = Array.from({ length: this.units }, (_, j) => {
      let best = 0;
      for (let s = 1; s < count; s++)
        if ((alpha[j * count + s] as number) > (alpha[j * count + best] as number)) best = s;
      return (this.spaces[best] as Space).name;
    });
    const used = this.spec.spaces.filter((name) => choices.includes(name));
    const spec: SelectableKanSpec = { ...this.spec, spaces: used, selected: choices };
    const next: LayerState = { params: {}, buffers: {} };
    for (const name of used) {
      const nodes = choices.flatMap((choice, j) => (choice === name ? [j] : []));
      const coef = (state.params[coefName(name)] as np.Array).ref;
      next.params[coefName(name)] = np.take(coef, np.array(Int32Array.from(nodes)), 1);
      for (const record of ["params", "buffers"] as const)
        for (const [key, value] of Object.entries(state[record]))
          if (key.startsWith(`${name}.`) && key !== coefName(name)) next[record][key] = value.ref;
    }
    return { choices, spec, state: next };
  }

  /** α [units, S] in soft form; per active space its coefficients [n·K_s, m_s] and extras. */
  paramShapes(): ShapeRecord {
    const shapes: ShapeRecord = this.isHard ? {} : { alpha: [this.units, this.spaces.length] };
    for (const space of this.activeSpaces)
      Object.assign(shapes, {
        [coefName(space.name)]: [this.inputs * space.rows, this.columnsOf(space)],
        ...space.extraParamShapes(),
      });
    return shapes;
  }

  /**
   * Per sample: each active space's features (see each space) plus its matmul 2·n·K_s·m_s
   * (m_s = units soft, the nodes that chose it hard); soft mixing S·m multiplies and (S−1)·m
   * adds. softmax(α/τ) runs once per batch, not per sample, so it is not counted; the hard
   * reordering moves values (done as a one-hot product only for jax-js, see apply) and is not counted.
   */
  flops(): FlopCount {
    const spaces = this.activeSpaces;
    let forward = spaces.reduce(
      (sum, space) =>
        sum + space.featureFlops() + 2 * this.inputs * space.rows * this.columnsOf(space),
      0,
    );
    if (!this.isHard) forward += (2 * spaces.length - 1) * this.units;
    return { forward, backward: 2 * forward };
  }
}
