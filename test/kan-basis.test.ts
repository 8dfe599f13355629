/**
 * Basis-function KAN layers (FastKAN, ReLU-KAN, Chebyshev, Fourier, AF-KAN) against plain
 * TypeScript references written from the papers' formulas: values and gradients (finite
 * differences of the reference), parameter and FLOP counts by hand, spec validation.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { FloatDType } from "../src/engine/dtype.js";
import { keyFromSeed, startEngine, takeValues } from "../src/engine/index.js";
import type { LayerDefinition } from "../src/nn/definition.js";
import { afKanDefinition } from "../src/nn/kan/af-kan.js";
import { BASIS_KAN_LAYERS } from "../src/nn/kan/basis-layers.js";
import { chebyshevKanDefinition } from "../src/nn/kan/chebyshev.js";
import { fastKanDefinition } from "../src/nn/kan/fastkan.js";
import { fourierKanDefinition } from "../src/nn/kan/fourier.js";
import { reluKanDefinition } from "../src/nn/kan/relu-kan.js";
import type { Layer, LayerState } from "../src/nn/layer.js";
import { LayerSpecError, paramCount } from "../src/nn/layer.js";
import type { Reference, Values } from "./support/layer-check.js";
import {
  checkLayerAgainstReference,
  fixedValues,
  layerOutput,
  stateWith,
  valuesOf,
} from "./support/layer-check.js";

type Spec = Record<string, unknown> & { type: string };

function build(
  definition: LayerDefinition,
  spec: Spec,
  inputs: number,
  dtype: FloatDType = "float64",
): Layer {
  return definition.build(definition.schema.parse(spec), [inputs], dtype);
}

/** A fresh state with every parameter moved off its initial value (so gains ≠ 1, biases ≠ 0). */
function perturbedState(layer: Layer, seed: number, scale = 0.2): LayerState {
  const state = layer.init(keyFromSeed(seed));
  const values = valuesOf(state.params);
  let noiseSeed = seed * 31;
  for (const v of Object.values(values)) {
    const noise = fixedValues(v.length, ++noiseSeed, scale);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) + (noise[i] as number);
  }
  const next = stateWith(state, values, layer.dtype);
  for (const array of Object.values(state.params)) array.dispose();
  return next;
}

const at = (values: Values, name: string, index: number): number => {
  const array = values[name];
  if (!array) throw new Error(`reference: no parameter '${name}'`);
  return array[index] as number;
};
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const silu = (z: number): number => z * sigmoid(z);

/** Row-by-row driver: `sample(p, x_s)` gives one output row. */
function perSample(n: number, sample: (p: Values, xs: number[]) => number[]): Reference {
  return (p, _buffers, x) => {
    const rows: number[] = [];
    for (let s = 0; s < x.length / n; s++)
      rows.push(...sample(p, Array.from(x.subarray(s * n, s * n + n))));
    return Float64Array.from(rows);
  };
}

/** (v − mean)/sqrt(var + eps), biased variance. */
function standardise(values: number[], eps: number): number[] {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return values.map((v) => (v - mean) / Math.sqrt(variance + eps));
}

describe("basis KAN layers", () => {
  before(async () => {
    await startEngine("wasm");
  });

  describe("kan_fastkan", () => {
    /** FastKAN: Gaussian RBFs on LayerNorm(x), centres linspace(low, high, G), plus silu(x)·W_b. */
    function reference(
      n: number,
      m: number,
      grid: number,
      [low, high]: [number, number],
      { layerNorm, base, bias }: { layerNorm: boolean; base: boolean; bias: boolean },
    ): Reference {
      const h = (high - low) / (grid - 1);
      return perSample(n, (p, xs) => {
        const normed = layerNorm
          ? standardise(xs, 1e-5).map((v, i) => v * at(p, "ln_gain", i) + at(p, "ln_bias", i))
          : xs;
        return Array.from({ length: m }, (_, j) => {
          let y = bias ? at(p, "bias", j) : 0;
          for (let i = 0; i < n; i++) {
            for (let g = 0; g < grid; g++) {
              const centre = low + g * h;
              const r = ((normed[i] as number) - centre) / h;
              y += at(p, "spline_w", (i * grid + g) * m + j) * Math.exp(-r * r);
            }
            if (base) y += silu(xs[i] as number) * at(p, "base_w", i * m + j);
          }
          return y;
        });
      });
    }

    it("matches the reference with LayerNorm and the base branch (values, gradients)", () => {
      const spec = { type: "kan_fastkan", units: 2, grid_size: 4 };
      const layer = build(fastKanDefinition, spec, 3);
      const ref = reference(3, 2, 4, [-2, 2], { layerNorm: true, base: true, bias: true });
      checkLayerAgainstReference(layer, perturbedState(layer, 1), ref, fixedValues(4 * 3, 2, 1.5));
    });

    it("matches the reference without LayerNorm, base or bias, on another range", () => {
      const spec = {
        type: "kan_fastkan",
        units: 3,
        grid_size: 5,
        grid_range: [-1, 3],
        layer_norm: false,
        base: false,
        bias: false,
      };
      const layer = build(fastKanDefinition, spec, 2);
      const state = perturbedState(layer, 2);
      assert.deepEqual(Object.keys(state.params), ["spline_w"]);
      const ref = reference(2, 3, 5, [-1, 3], { layerNorm: false, base: false, bias: false });
      checkLayerAgainstReference(layer, state, ref, fixedValues(3 * 2, 3, 2));
    });

    it("layer_norm auto: on over several inputs, off over one (where it would be 0)", () => {
      const spec = { type: "kan_fastkan", units: 2, grid_size: 4, layer_norm: "auto" };
      // over 3 inputs: LayerNorm gain + shift 2·3 on top of spline 24, base 6, bias 2
      assert.equal(paramCount(build(fastKanDefinition, spec, 3)), 24 + 6 + 6 + 2);
      // over 1 input: spline 1·4·2, base 1·2, bias 2, no LayerNorm
      assert.equal(paramCount(build(fastKanDefinition, spec, 1)), 8 + 2 + 2);
      assert.throws(
        () => build(fastKanDefinition, { ...spec, layer_norm: true }, 1),
        /layer_norm over a single input is always 0/,
      );
    });

    it("counts parameters and FLOPs by hand", () => {
      const layer = build(fastKanDefinition, { type: "kan_fastkan", units: 2, grid_size: 4 }, 3);
      // spline 3·4·2, base 3·2, LayerNorm gain + shift 2·3, bias 2
      assert.equal(paramCount(layer), 24 + 6 + 6 + 2);
      // LayerNorm 7·3+3 = 24; RBF 4 ops × 12 = 48; spline matmul 2·12·2 = 48;
      // base: silu 2·3 + matmul 2·3·2 + add 2 = 20; bias 2
      assert.equal(layer.flops().forward, 24 + 48 + 48 + 20 + 2);
      assert.equal(layer.flops().backward, 2 * 142);
    });

    it("starts spline weights with standard deviation init_scale", () => {
      const layer = build(fastKanDefinition, { type: "kan_fastkan", units: 50, grid_size: 8 }, 20);
      const state = layer.init(keyFromSeed(9));
      const w = takeValues(state.params.spline_w!.ref);
      const rms = Math.sqrt(w.reduce((a, b) => a + b * b, 0) / w.length);
      assert.ok(Math.abs(rms - 0.1) < 0.01, `rms ${rms}`);
      const base = takeValues(state.params.base_w!.ref);
      assert.ok(base.every((v) => Math.abs(v) <= 1 / Math.sqrt(20)));
    });

    it("rejects LayerNorm over one input", () => {
      assert.throws(
        () => build(fastKanDefinition, { type: "kan_fastkan", units: 2 }, 1),
        (e: unknown) => e instanceof LayerSpecError && /layer_norm/.test(e.message),
      );
    });
  });

  describe("kan_relu", () => {
    /** ReLU-KAN: R_c(x) = [ReLU(e_c − x)·ReLU(x − s_c)]²·16/((k+1)h)⁴ per input, then Σ R·W. */
    function reference(
      n: number,
      m: number,
      grid: number,
      order: number,
      [low, high]: [number, number],
      trainGrid: boolean,
    ): Reference {
      const h = (high - low) / grid;
      const count = grid + order;
      const scale = 16 / ((order + 1) * h) ** 4;
      return perSample(n, (p, xs) =>
        Array.from({ length: m }, (_, j) => {
          let y = at(p, "bias", j);
          for (let i = 0; i < n; i++)
            for (let c = 0; c < count; c++) {
              const s = trainGrid ? at(p, "starts", i * count + c) : low + (c - order) * h;
              const e = trainGrid ? at(p, "ends", i * count + c) : s + (order + 1) * h;
              const x = xs[i] as number;
              const r = Math.max(e - x, 0) * Math.max(x - s, 0);
              y += r * r * scale * at(p, "w", (i * count + c) * m + j);
            }
          return y;
        }),
      );
    }

    it("handles three inputs (values, gradients; polynomial, so tight tolerances)", () => {
      const spec = { type: "kan_relu", units: 2, grid_size: 4, order: 2, grid_range: [-1, 1] };
      const layer = build(reluKanDefinition, spec, 3);
      const ref = reference(3, 2, 4, 2, [-1, 1], false);
      checkLayerAgainstReference(layer, perturbedState(layer, 3), ref, fixedValues(5 * 3, 4), {
        rel: 1e-7,
        abs: 1e-9,
      });
    });

    it("each output depends on each input through that input's own weights only", () => {
      // With W zero except for input 2, changing inputs 0 and 1 must not move the output.
      const layer = build(reluKanDefinition, { type: "kan_relu", units: 1, grid_size: 3 }, 3);
      const state = layer.init(keyFromSeed(4));
      const w = valuesOf(state.params);
      const count = 3 + 3;
      for (let r = 0; r < 2 * count; r++) (w.w as Float64Array)[r] = 0;
      const masked = stateWith(state, w, "float64");
      const a = layerOutput(layer, masked, Float64Array.from([0.1, 0.7, 0.4]));
      const b = layerOutput(layer, masked, Float64Array.from([0.9, 0.2, 0.4]));
      assert.equal(a[0], b[0]);
      const c = layerOutput(layer, masked, Float64Array.from([0.1, 0.7, 0.45]));
      assert.notEqual(a[0], c[0]);
    });

    it("trains per-input start and end points with train_grid", () => {
      const spec = { type: "kan_relu", units: 2, grid_size: 3, order: 1, train_grid: true };
      const layer = build(reluKanDefinition, spec, 3);
      const state = perturbedState(layer, 5, 0.05);
      assert.deepEqual(Object.keys(state.params).sort(), ["bias", "ends", "starts", "w"]);
      const ref = reference(3, 2, 3, 1, [0, 1], true);
      const x = fixedValues(4 * 3, 6).map((v) => 0.5 + 0.5 * v);
      checkLayerAgainstReference(layer, state, ref, x, { rel: 1e-7, abs: 1e-9 });
    });

    it("counts parameters and FLOPs by hand", () => {
      const spec = { type: "kan_relu", units: 2, grid_size: 4, order: 2 };
      const layer = build(reluKanDefinition, spec, 3);
      // W 3·(4+2)·2, bias 2
      assert.equal(paramCount(layer), 36 + 2);
      const trained = build(reluKanDefinition, { ...spec, train_grid: true }, 3);
      assert.equal(paramCount(trained), 38 + 2 * 3 * 6);
      // 18 basis values × 7 ops = 126; matmul 2·18·2 = 72; bias 2
      assert.equal(layer.flops().forward, 126 + 72 + 2);
    });
  });

  describe("kan_chebyshev", () => {
    /** Σ_i Σ_d c_{i,d,j}·T_d(tanh x_i) with T_d(t) = cos(d·acos t) (not the recurrence). */
    function reference(n: number, m: number, degree: number, bias: boolean): Reference {
      return perSample(n, (p, xs) =>
        Array.from({ length: m }, (_, j) => {
          let y = bias ? at(p, "bias", j) : 0;
          for (let i = 0; i < n; i++) {
            const theta = Math.acos(Math.tanh(xs[i] as number));
            for (let d = 0; d <= degree; d++)
              y += Math.cos(d * theta) * at(p, "coeffs", (i * (degree + 1) + d) * m + j);
          }
          return y;
        }),
      );
    }

    it("matches cos(d·acos(tanh x)) (values, gradients)", () => {
      const layer = build(chebyshevKanDefinition, { type: "kan_chebyshev", units: 2 }, 3);
      const state = perturbedState(layer, 7);
      assert.deepEqual(Object.keys(state.params), ["coeffs"]);
      checkLayerAgainstReference(layer, state, reference(3, 2, 4, false), fixedValues(4 * 3, 8, 2));
    });

    it("matches with degree 1 and a bias", () => {
      const spec = { type: "kan_chebyshev", units: 3, degree: 1, bias: true };
      const layer = build(chebyshevKanDefinition, spec, 2);
      const ref = reference(2, 3, 1, true);
      checkLayerAgainstReference(layer, perturbedState(layer, 8), ref, fixedValues(3 * 2, 9));
    });

    it("counts parameters and FLOPs by hand; init std 1/(n(D+1))", () => {
      const layer = build(chebyshevKanDefinition, { type: "kan_chebyshev", units: 2 }, 3);
      assert.equal(paramCount(layer), 3 * 5 * 2);
      // tanh 3; 2t 3; T_2..T_4: 3 terms × (multiply, subtract) × 3 inputs = 18; matmul 2·15·2 = 60
      assert.equal(layer.flops().forward, 3 + 3 + 18 + 60);
      const wide = build(chebyshevKanDefinition, { type: "kan_chebyshev", units: 100 }, 10);
      const c = takeValues(wide.init(keyFromSeed(3)).params.coeffs!);
      const rms = Math.sqrt(c.reduce((a, b) => a + b * b, 0) / c.length);
      assert.ok(Math.abs(rms - 1 / 50) < 0.002, `rms ${rms}`);
    });
  });

  describe("kan_fourier", () => {
    function reference(n: number, m: number, count: number, bias: boolean): Reference {
      return perSample(n, (p, xs) =>
        Array.from({ length: m }, (_, j) => {
          let y = bias ? at(p, "bias", j) : 0;
          for (let i = 0; i < n; i++)
            for (let k = 1; k <= count; k++) {
              const index = (i * count + (k - 1)) * m + j;
              const x = xs[i] as number;
              y += at(p, "cos_coeffs", index) * Math.cos(k * x);
              y += at(p, "sin_coeffs", index) * Math.sin(k * x);
            }
          return y;
        }),
      );
    }

    it("matches Σ a cos(kx) + b sin(kx) + bias (values, gradients)", () => {
      const layer = build(
        fourierKanDefinition,
        { type: "kan_fourier", units: 2, frequencies: 3 },
        3,
      );
      const ref = reference(3, 2, 3, true);
      checkLayerAgainstReference(layer, perturbedState(layer, 10), ref, fixedValues(4 * 3, 11, 3));
    });

    it("matches without a bias", () => {
      const spec = { type: "kan_fourier", units: 1, frequencies: 2, bias: false };
      const layer = build(fourierKanDefinition, spec, 4);
      checkLayerAgainstReference(
        layer,
        perturbedState(layer, 12),
        reference(4, 1, 2, false),
        fixedValues(3 * 4, 13),
      );
    });

    it("initialises frequency k with std 1/(√n·k²) (smooth) or 1/(√n·√K)", () => {
      const rmsOf = (smooth: boolean, k: number): number => {
        const spec = { type: "kan_fourier", units: 400, frequencies: 3, smooth_init: smooth };
        const layer = build(fourierKanDefinition, spec, 4);
        const state = layer.init(keyFromSeed(14));
        const a = takeValues(state.params.cos_coeffs!.ref); // [4, 3, 400]
        let sum = 0;
        for (let i = 0; i < 4; i++)
          for (let j = 0; j < 400; j++) sum += (a[(i * 3 + (k - 1)) * 400 + j] as number) ** 2;
        return Math.sqrt(sum / 1600);
      };
      for (const k of [1, 2, 3]) {
        const smooth = rmsOf(true, k);
        assert.ok(Math.abs(smooth / (1 / (2 * k * k)) - 1) < 0.08, `k=${k} smooth rms ${smooth}`);
        const flat = rmsOf(false, k);
        assert.ok(Math.abs(flat / (1 / (2 * Math.sqrt(3))) - 1) < 0.08, `k=${k} rms ${flat}`);
      }
    });

    it("counts parameters and FLOPs by hand", () => {
      const layer = build(
        fourierKanDefinition,
        { type: "kan_fourier", units: 2, frequencies: 3 },
        3,
      );
      assert.equal(paramCount(layer), 2 * 3 * 3 * 2 + 2);
      // k·x 9, cos 9, sin 9, two matmuls 2·(2·9·2) = 72, sum of the two 2, bias 2
      assert.equal(layer.flops().forward, 27 + 72 + 2 + 2);
    });
  });

  describe("kan_af", () => {
    type Fn = (z: number) => number;
    interface AfOptions {
      n: number;
      m: number;
      grid: number;
      order: number;
      range: [number, number];
      combine: string;
      norm: "layer" | "minmax" | "none";
      head: "linear" | "attention";
      bias: boolean;
      trainGrid: boolean;
      /** The function for the basis and for the head, given the parameters. */
      basisFn: (p: Values) => Fn;
      headFn: (p: Values) => Fn;
    }

    const COMBINE: Record<string, (u: number, v: number) => number> = {
      quad1: (u, v) => (u * v) ** 2,
      quad2: (u, v) => u * v + u * u + v * v,
      sum: (u, v) => u + v,
      prod: (u, v) => u * v,
      sum_prod: (u, v) => u + v + u * v,
      cubic1: (u, v) => (u + v) * (u * u + v * v),
      cubic2: (u, v) => (u * v) ** 3,
    };

    function reference(o: AfOptions): Reference {
      const count = o.grid + o.order;
      const h = (o.range[1] - o.range[0]) / o.grid;
      return perSample(o.n, (p, xs) => {
        const f = o.basisFn(p);
        let basis: number[] = [];
        for (let i = 0; i < o.n; i++)
          for (let c = 0; c < count; c++) {
            const s = o.trainGrid ? at(p, "starts", c) : o.range[0] + (c - o.order) * h;
            const e = o.trainGrid ? at(p, "ends", c) : s + (o.order + 1) * h;
            const x = xs[i] as number;
            basis.push(
              (COMBINE[o.combine] as (u: number, v: number) => number)(f(x - s), f(e - x)),
            );
          }
        if (o.norm === "layer") basis = standardise(basis, 1e-5);
        if (o.norm === "minmax") {
          const low = Math.min(...basis);
          const high = Math.max(...basis);
          basis = basis.map((b) => (b - low) / (high - low + 1e-7));
        }
        const bias = (j: number): number => (o.bias ? at(p, "bias", j) : 0);
        if (o.head === "linear")
          return Array.from({ length: o.m }, (_, j) => {
            let y = bias(j);
            for (let r = 0; r < o.n * count; r++)
              y += (basis[r] as number) * at(p, "w", r * o.m + j);
            return y;
          });
        const tau = Math.max(at(p, "temperature", 0), 1);
        const scores: number[] = [];
        const sums: number[] = [];
        for (let i = 0; i < o.n; i++) {
          let score = at(p, "attn_b", 0);
          let sum = 0;
          for (let c = 0; c < count; c++) {
            score += (basis[i * count + c] as number) * at(p, "attn_w", c);
            sum += basis[i * count + c] as number;
          }
          scores.push(score / tau);
          sums.push(sum);
        }
        const exps = scores.map(Math.exp);
        const total = exps.reduce((a, b) => a + b, 0);
        const attended = sums.map((sum, i) => ((exps[i] as number) / total) * sum);
        const g = o.headFn(p);
        const activated = standardise(attended, 1e-5).map((v, i) =>
          g(v * at(p, "ln_gain", i) + at(p, "ln_bias", i)),
        );
        return Array.from({ length: o.m }, (_, j) => {
          let y = bias(j);
          for (let i = 0; i < o.n; i++) y += (activated[i] as number) * at(p, "w", i * o.m + j);
          return y;
        });
      });
    }

    const base: AfOptions = {
      n: 3,
      m: 2,
      grid: 3,
      order: 2,
      range: [0, 1],
      combine: "quad1",
      norm: "layer",
      head: "linear",
      bias: true,
      trainGrid: false,
      basisFn: () => silu,
      headFn: () => silu,
    };
    const inputs = (seed: number, batch = 4): Float64Array =>
      fixedValues(batch * 3, seed).map((v) => 0.5 + 0.7 * v);

    it("defaults: silu, quad1, LayerNorm over the basis, linear head (values, gradients)", () => {
      const layer = build(afKanDefinition, { type: "kan_af", units: 2, grid_size: 3, order: 2 }, 3);
      checkLayerAgainstReference(layer, perturbedState(layer, 20), reference(base), inputs(21));
    });

    it("every combination matches (silu, no normalisation)", () => {
      for (const combine of Object.keys(COMBINE)) {
        const spec = { type: "kan_af", units: 2, grid_size: 3, order: 2, combine, norm: "none" };
        const layer = build(afKanDefinition, spec, 3);
        const ref = reference({ ...base, combine, norm: "none" });
        checkLayerAgainstReference(layer, perturbedState(layer, 22), ref, inputs(23, 2));
      }
    });

    it("relu, quad2, per-sample min-max normalisation, trained shared grid", () => {
      const spec = {
        type: "kan_af",
        units: 2,
        grid_size: 3,
        order: 2,
        function: "relu",
        combine: "quad2",
        norm: "minmax",
        train_grid: true,
      };
      const layer = build(afKanDefinition, spec, 3);
      const state = perturbedState(layer, 24, 0.05);
      const ref = reference({
        ...base,
        combine: "quad2",
        norm: "minmax",
        trainGrid: true,
        basisFn: () => (z) => Math.max(z, 0),
      });
      // relu and quad2 are polynomial pieces: tight tolerance
      checkLayerAgainstReference(layer, state, ref, inputs(25), { rel: 1e-7, abs: 1e-9 });
    });

    it("attention head with tanh and cubic1 (values, gradients)", () => {
      const spec = {
        type: "kan_af",
        units: 2,
        grid_size: 3,
        order: 2,
        function: "tanh",
        combine: "cubic1",
        norm: "none",
        head: "attention",
      };
      const layer = build(afKanDefinition, spec, 3);
      const state = perturbedState(layer, 26);
      assert.deepEqual(Object.keys(state.params).sort(), [
        "attn_b",
        "attn_w",
        "bias",
        "ln_bias",
        "ln_gain",
        "temperature",
        "w",
      ]);
      const ref = reference({
        ...base,
        combine: "cubic1",
        norm: "none",
        head: "attention",
        basisFn: () => Math.tanh,
        headFn: () => Math.tanh,
      });
      checkLayerAgainstReference(layer, state, ref, inputs(27));
    });

    it("attention head: a temperature below 1 acts as 1 (an expression as the function)", () => {
      // A polynomial function keeps jax-js's float64 tanh (≈1e-7 relative) out: the sharper
      // softmax at τ = 1 and the LayerNorm over 3 values amplify it past the 1e-4 tolerance.
      const poly = (z: number): number => z + 0.1 * z * z - 0.05 * z * z * z;
      const spec = {
        type: "kan_af",
        units: 2,
        grid_size: 3,
        order: 2,
        function: "x + 0.1*x^2 - 0.05*x^3",
        combine: "cubic1",
        norm: "none",
        head: "attention",
      };
      const layer = build(afKanDefinition, spec, 3);
      const cold = valuesOf(perturbedState(layer, 26).params);
      (cold.temperature as Float64Array)[0] = 0.5;
      const state = stateWith(layer.init(keyFromSeed(1)), cold, "float64");
      const ref = reference({
        ...base,
        combine: "cubic1",
        norm: "none",
        head: "attention",
        basisFn: () => poly,
        headFn: () => poly,
      });
      checkLayerAgainstReference(layer, state, ref, inputs(28));
    });

    it("a function with a learnable parameter gets one copy for the basis, one for the head", () => {
      const spec = {
        type: "kan_af",
        units: 2,
        grid_size: 3,
        order: 2,
        function: "swish",
        combine: "sum",
        head: "attention",
      };
      const layer = build(afKanDefinition, spec, 3);
      const state = perturbedState(layer, 28);
      assert.ok("basis_act.beta" in state.params && "head_act.beta" in state.params);
      const swish =
        (name: string) =>
        (p: Values): Fn =>
        (z) =>
          z * sigmoid(at(p, name, 0) * z);
      const ref = reference({
        ...base,
        combine: "sum",
        head: "attention",
        basisFn: swish("basis_act.beta"),
        headFn: swish("head_act.beta"),
      });
      checkLayerAgainstReference(layer, state, ref, inputs(29));
      // attention: v 5, β 1, τ 1, LayerNorm 2·3, W 3·2, bias 2, two swish betas
      assert.equal(paramCount(layer), 5 + 1 + 1 + 6 + 6 + 2 + 2);
    });

    it("counts parameters and FLOPs by hand", () => {
      const linear = build(
        afKanDefinition,
        { type: "kan_af", units: 2, grid_size: 3, order: 2 },
        3,
      );
      // W 3·5·2, bias 2
      assert.equal(paramCount(linear), 30 + 2);
      // basis 15 × (2 subtractions + 2 silu × 2 ops + quad1 2) = 120; LayerNorm 5·15+3 = 78;
      // matmul 2·15·2 = 60; bias 2
      assert.equal(linear.flops().forward, 120 + 78 + 60 + 2);
      const spec = {
        type: "kan_af",
        units: 2,
        grid_size: 3,
        order: 2,
        function: "tanh",
        combine: "cubic1",
        norm: "none",
        head: "attention",
      };
      const attention = build(afKanDefinition, spec, 3);
      assert.equal(paramCount(attention), 5 + 1 + 1 + 6 + 6 + 2);
      // basis 15 × (2 + 2 tanh + cubic1 5) = 135; head: score 2·15 + 3, clamp 1, /τ 3,
      // softmax 5·3−2, Σ_c 3·4, ·α 3, LayerNorm 7·3+3, tanh 3, matmul 2·3·2 = 104; bias 2
      assert.equal(attention.flops().forward, 135 + (33 + 1 + 3 + 13 + 12 + 3 + 24 + 3 + 12) + 2);
      const minmax = build(
        afKanDefinition,
        { type: "kan_af", units: 2, norm: "minmax", function: "relu" },
        3,
      );
      // G+k = 8, N = 24: basis 24 × (2 + 2 + 2) = 144; min-max 4·24 = 96; matmul 2·24·2 = 96; bias 2
      assert.equal(minmax.flops().forward, 144 + 96 + 96 + 2);
    });

    it("rejects a bad function, a non-pointwise one, and attention over one input", () => {
      const fail = (spec: Spec, inputs: number, pattern: RegExp): void =>
        assert.throws(
          () => build(afKanDefinition, spec, inputs),
          (e: unknown) => e instanceof LayerSpecError && pattern.test(e.message),
        );
      fail({ type: "kan_af", units: 2, function: "x +* 2" }, 3, /^function:/);
      fail({ type: "kan_af", units: 2, function: "x - mean(x)" }, 3, /function.*pointwise/);
      fail({ type: "kan_af", units: 2, head: "attention" }, 1, /head/);
    });
  });

  describe("all basis layers", () => {
    const minimal: Record<string, Spec> = {
      kan_fastkan: { type: "kan_fastkan", units: 3 },
      kan_relu: { type: "kan_relu", units: 3 },
      kan_chebyshev: { type: "kan_chebyshev", units: 3 },
      kan_fourier: { type: "kan_fourier", units: 3 },
      kan_af: { type: "kan_af", units: 3 },
    };

    it("are all exported, in order", () => {
      assert.deepEqual(
        BASIS_KAN_LAYERS.map((d) => d.type),
        ["kan_fastkan", "kan_relu", "kan_chebyshev", "kan_fourier", "kan_af"],
      );
    });

    it("fill in the documented defaults", () => {
      const parse = (d: LayerDefinition, type: string): unknown =>
        d.schema.parse({ type, units: 3 });
      assert.deepEqual(parse(fastKanDefinition, "kan_fastkan"), {
        type: "kan_fastkan",
        units: 3,
        grid_size: 8,
        grid_range: [-2, 2],
        layer_norm: true,
        base: true,
        bias: true,
        init_scale: 0.1,
      });
      assert.deepEqual(parse(reluKanDefinition, "kan_relu"), {
        type: "kan_relu",
        units: 3,
        grid_size: 5,
        order: 3,
        grid_range: [0, 1],
        bias: true,
        train_grid: false,
      });
      assert.deepEqual(parse(chebyshevKanDefinition, "kan_chebyshev"), {
        type: "kan_chebyshev",
        units: 3,
        degree: 4,
        bias: false,
      });
      assert.deepEqual(parse(fourierKanDefinition, "kan_fourier"), {
        type: "kan_fourier",
        units: 3,
        frequencies: 5,
        smooth_init: true,
        bias: true,
      });
      assert.deepEqual(parse(afKanDefinition, "kan_af"), {
        type: "kan_af",
        units: 3,
        grid_size: 5,
        order: 3,
        grid_range: [0, 1],
        function: "silu",
        combine: "quad1",
        norm: "layer",
        head: "linear",
        bias: true,
        train_grid: false,
      });
    });

    it("reject bad specs, naming the field", () => {
      const issueOf = (d: LayerDefinition, spec: Spec): { path: string; message: string } => {
        const result = d.schema.safeParse(spec);
        assert.equal(result.success, false, `accepted ${JSON.stringify(spec)}`);
        const issue = result.error!.issues[0]!;
        return { path: issue.path.join("."), message: issue.message };
      };
      for (const d of BASIS_KAN_LAYERS) {
        assert.equal(issueOf(d, { type: d.type, units: 0 }).path, "units", d.type);
        assert.equal(issueOf(d, { type: d.type, units: 2.5 }).path, "units", d.type);
        assert.match(issueOf(d, { type: d.type, units: 2, gridsize: 4 }).message, /gridsize/);
      }
      assert.equal(
        issueOf(fastKanDefinition, { type: "kan_fastkan", units: 2, grid_size: 0 }).path,
        "grid_size",
      );
      assert.equal(
        issueOf(fastKanDefinition, { type: "kan_fastkan", units: 2, grid_size: 1 }).path,
        "grid_size",
      );
      assert.equal(
        issueOf(reluKanDefinition, { type: "kan_relu", units: 2, grid_size: 0 }).path,
        "grid_size",
      );
      assert.equal(
        issueOf(reluKanDefinition, { type: "kan_relu", units: 2, order: -1 }).path,
        "order",
      );
      const range = issueOf(reluKanDefinition, { type: "kan_relu", units: 2, grid_range: [1, 0] });
      assert.equal(range.path, "grid_range");
      assert.match(range.message, /grid_range/);
      assert.equal(
        issueOf(chebyshevKanDefinition, { type: "kan_chebyshev", units: 2, degree: 0 }).path,
        "degree",
      );
      assert.equal(
        issueOf(fourierKanDefinition, { type: "kan_fourier", units: 2, frequencies: 0 }).path,
        "frequencies",
      );
      assert.equal(
        issueOf(afKanDefinition, { type: "kan_af", units: 2, combine: "max" }).path,
        "combine",
      );
      assert.equal(
        issueOf(afKanDefinition, { type: "kan_af", units: 2, norm: "batch" }).path,
        "norm",
      );
      assert.equal(
        issueOf(afKanDefinition, { type: "kan_af", units: 2, head: "self" }).path,
        "head",
      );
      assert.equal(issueOf(afKanDefinition, { type: "kan_fourier", units: 2 }).path, "type");
    });

    it("reject inputs that are not flat, naming the layer", () => {
      for (const d of BASIS_KAN_LAYERS)
        assert.throws(
          () => d.build(d.schema.parse(minimal[d.type]), [2, 3], "float64"),
          (e: unknown) => e instanceof LayerSpecError && e.message.startsWith(d.type),
        );
    });

    it("initialise deterministically from the key, and run in float32", () => {
      for (const d of BASIS_KAN_LAYERS) {
        const layer = build(d, minimal[d.type] as Spec, 4, "float32");
        const first = valuesOf(layer.init(keyFromSeed(5)).params);
        const again = valuesOf(layer.init(keyFromSeed(5)).params);
        const other = valuesOf(layer.init(keyFromSeed(6)).params);
        assert.deepEqual(first, again, d.type);
        assert.notDeepEqual(first, other, d.type);
        const state = layer.init(keyFromSeed(7));
        const y = layerOutput(layer, state, fixedValues(6 * 4, 8));
        assert.equal(y.length, 6 * 3, d.type);
        assert.ok(y.every(Number.isFinite), d.type);
      }
    });
  });
});
