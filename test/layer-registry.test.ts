/**
 * Every registered layer type, checked in one place: registering a layer type without a case
 * here fails, so a new layer is covered by registering it. Each case checks the output shape,
 * init's parameter arrays against the declared paramShapes and a count by hand, the FLOPs against
 * a count by hand, and the gradients (float64) against central finite differences of the layer
 * itself. Values against plain-TypeScript references stay in each layer's own test file.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { arrayFrom, keyFromSeed, startEngine } from "../src/engine/index.js";
import type { LayerSpec } from "../src/nn/definition.js";
import type { Layer, LayerState } from "../src/nn/layer.js";
import { paramCount, product } from "../src/nn/layer.js";
import { Model } from "../src/nn/model.js";
import { LAYER_DEFINITIONS } from "../src/nn/registry.js";
import type { Values } from "./support/layer-check.js";
import {
  fixedValues,
  layerGradients,
  layerOutput,
  stateWith,
  valuesOf,
} from "./support/layer-check.js";

interface LayerCase {
  spec: LayerSpec;
  inputShape: number[];
  outputShape: number[];
  /** Trainable scalars, counted by hand. */
  params: number;
  /** Forward FLOPs per sample, counted by hand from the layer's documented formula. */
  forwardFlops: number;
}

const PRELU_PER_CHANNEL = "relu(x) + a * min(x, 0) where a = 0.25 per_channel";

/** At least one case per registered type; prelu (4 operations: relu, min, ·a, +) and silu (2:
 * σ, ·) exercise an activation's own parameters and FLOPs inside a layer. */
const CASES: Record<string, LayerCase[]> = {
  dense: [
    // 2·4·3 multiply-adds + 3 bias + 3 tanh
    {
      spec: { type: "dense", units: 3, activation: "tanh" },
      inputShape: [4],
      outputShape: [3],
      params: 4 * 3 + 3,
      forwardFlops: 30,
    },
    // 2·4·3 + 4·3 (prelu on 3 outputs); a slope per channel
    {
      spec: { type: "dense", units: 3, bias: false, activation: PRELU_PER_CHANNEL },
      inputShape: [4],
      outputShape: [3],
      params: 4 * 3 + 3,
      forwardFlops: 36,
    },
  ],
  // prelu on 6 values; one shared slope
  activation: [
    {
      spec: { type: "activation", fn: "prelu" },
      inputShape: [2, 3],
      outputShape: [2, 3],
      params: 1,
      forwardFlops: 24,
    },
  ],
  // 10 knots, 9 intervals: basis 3·9 + 6·(8 + 7 + 6) = 153 per input (459); spline matmul
  // 2·3·6·2 = 72, base matmul 2·3·2 = 12, their sum 2, silu 2·3 = 6
  kan: [
    {
      spec: { type: "kan", units: 2, grid_size: 3 },
      inputShape: [3],
      outputShape: [2],
      params: 3 * 2 * (6 + 2),
      forwardFlops: 551,
    },
    // fixed edges (symbolic-edges.ts): (a, b, c, d) per edge; a·x + b, f, c·f + d and the add:
    // 5 + 1 for sin, 5 + 2 for x² (a square counts 2, activation.ts's convention)
    {
      spec: {
        type: "kan",
        units: 2,
        grid_size: 3,
        symbolic: [
          { input: 0, unit: 1, expr: "sin(x)" },
          { input: 2, unit: 0, expr: "x^2" },
        ],
      },
      inputShape: [3],
      outputShape: [2],
      params: 3 * 2 * (6 + 2) + 2 * 4,
      forwardFlops: 551 + 6 + 7,
    },
  ],
  // LayerNorm 7·3 + 3 = 24, RBF 4·3·3 = 36, spline matmul 2·3·3·2 = 36, base 2·3 + 2·3·2 + 2 = 20, bias 2
  kan_fastkan: [
    {
      spec: { type: "kan_fastkan", units: 2, grid_size: 3 },
      inputShape: [3],
      outputShape: [2],
      params: 18 + 6 + 6 + 2,
      forwardFlops: 118,
    },
  ],
  // 15 basis values: 7·15 + 2·15·2 + 2 bias
  kan_relu: [
    {
      spec: { type: "kan_relu", units: 2, grid_size: 3, order: 2, train_grid: true },
      inputShape: [3],
      outputShape: [2],
      params: 30 + 2 + 2 * 15,
      forwardFlops: 167,
    },
  ],
  // tanh 3, recurrence 3 + 2·3·2 = 15, matmul 2·3·4·2 = 48, bias 2
  kan_chebyshev: [
    {
      spec: { type: "kan_chebyshev", units: 2, degree: 3, bias: true },
      inputShape: [3],
      outputShape: [2],
      params: 24 + 2,
      forwardFlops: 68,
    },
  ],
  // nK = 9: k·x 9, cos and sin 18, two matmuls 4·9·2 = 72, their sum 2, bias 2
  kan_fourier: [
    {
      spec: { type: "kan_fourier", units: 2, frequencies: 3 },
      inputShape: [3],
      outputShape: [2],
      params: 2 * 18 + 2,
      forwardFlops: 103,
    },
  ],
  kan_af: [
    // N = 9 basis values: 9·(2 + 2·2 silu + 2 quad1) = 72, LayerNorm 5·9 + 3 = 48, head 2·9·2 = 36, bias 2
    {
      spec: { type: "kan_af", units: 2, grid_size: 2, order: 1 },
      inputShape: [3],
      outputShape: [2],
      params: 18 + 2,
      forwardFlops: 158,
    },
    // basis 9·(2 + 2·4 prelu + 3 sum_prod) = 117, minmax 4·9 = 36, attention head
    // 3·9 + 14·3 + 2 + 4·3 + 2·3·2 = 95, bias 2; params v 3, β, τ, gain 3, shift 3, W 6, bias 2,
    // starts 3, ends 3, two prelu slopes
    {
      spec: {
        type: "kan_af",
        units: 2,
        grid_size: 2,
        order: 1,
        head: "attention",
        norm: "minmax",
        combine: "sum_prod",
        function: "prelu",
        train_grid: true,
      },
      inputShape: [3],
      outputShape: [2],
      params: 3 + 1 + 1 + 3 + 3 + 6 + 2 + 3 + 3 + 2,
      forwardFlops: 250,
    },
  ],
  // per channel: P 2·3, B 2·2 − 1, |B|, 1+, ÷ → 12 (×4); matmul 2·4·2 = 16; bias 2
  kan_rational: [
    {
      spec: { type: "kan_rational", units: 2, groups: 2, numerator: 3, denominator: 2 },
      inputShape: [4],
      outputShape: [2],
      params: 2 * (4 + 2) + 8 + 2,
      forwardFlops: 66,
    },
  ],
  kan_selectable: [
    // rows per input: bspline 3 + 2 = 5, rbf 3, fourier 4, polynomial 2, prelu 1 (15); features:
    // bspline (8 knots, 7 intervals) 3·(3·7 + 6·(6 + 5)) = 261, rbf 3·5·3 = 45, fourier 3·3·2 = 18,
    // polynomial 3·1 = 3, prelu 4·3 = 12; matmuls 2·3·15·2 = 180; mixing (2·5 − 1)·2 = 18
    {
      spec: {
        type: "kan_selectable",
        units: 2,
        spaces: ["bspline", "rbf", "fourier", "polynomial", "prelu"],
        grid_size: 3,
        spline_order: 2,
        rbf_centers: 3,
        fourier_frequencies: 2,
        polynomial_degree: 2,
      },
      inputShape: [3],
      outputShape: [2],
      params: 2 * 5 + 3 * 15 * 2 + 1,
      forwardFlops: 537,
    },
    // hard: rbf for node 1 (2·5·3 + 2·2·3·1), fourier for nodes 0 and 2 (2·3·2 + 2·2·4·2)
    {
      spec: {
        type: "kan_selectable",
        units: 3,
        spaces: ["rbf", "fourier", "polynomial"],
        selected: ["fourier", "rbf", "fourier"],
        rbf_centers: 3,
        fourier_frequencies: 2,
      },
      inputShape: [2],
      outputShape: [3],
      params: 2 * 3 * 1 + 2 * 4 * 2,
      forwardFlops: 86,
    },
  ],
  // 6 edges × (12 + 22 + 9) + 2 bias; per edge θ 3, w 2, φ 2, c 1
  kan_daruan: [
    {
      spec: { type: "kan_daruan", units: 2, layers: 2 },
      inputShape: [3],
      outputShape: [2],
      params: 6 * 8 + 2,
      forwardFlops: 260,
    },
  ],
  // 3 matmuls 6·4·3, x⊙x 4, five adds/products per unit 5·3, prelu 4·3
  quadratic: [
    {
      spec: { type: "quadratic", units: 3, activation: "prelu" },
      inputShape: [4],
      outputShape: [3],
      params: 3 * 12 + 3 * 3 + 1,
      forwardFlops: 103,
    },
  ],
  // N = 18, C = 2: batch std 2·(4·9 + 4), instance std 2·(4·9 + 4), 6·18
  evonorm_b0: [
    {
      spec: { type: "evonorm_b0" },
      inputShape: [3, 3, 2],
      outputShape: [3, 3, 2],
      params: 3 * 2,
      forwardFlops: 268,
    },
  ],
  // group std 2·(4·2 + 4), 6·4
  evonorm_s0: [
    {
      spec: { type: "evonorm_s0", groups: 2 },
      inputShape: [4],
      outputShape: [4],
      params: 3 * 4,
      forwardFlops: 48,
    },
  ],
  // "same": 9 positions × (2·8·2 multiply-adds + 2 bias + 2 tanh)
  conv2d: [
    {
      spec: { type: "conv2d", filters: 2, kernel: 2, padding: "same", activation: "tanh" },
      inputShape: [3, 3, 2],
      outputShape: [3, 3, 2],
      params: 2 * 2 * 2 * 2 + 2,
      forwardFlops: 324,
    },
  ],
  // 8 outputs × 3 comparisons
  maxpool2d: [
    {
      spec: { type: "maxpool2d", pool_size: 2 },
      inputShape: [4, 4, 2],
      outputShape: [2, 2, 2],
      params: 0,
      forwardFlops: 24,
    },
  ],
  // 8 outputs × (3 adds + 1 multiply)
  avgpool2d: [
    {
      spec: { type: "avgpool2d", pool_size: 2, stride: 1 },
      inputShape: [3, 3, 2],
      outputShape: [2, 2, 2],
      params: 0,
      forwardFlops: 32,
    },
  ],
  flatten: [
    {
      spec: { type: "flatten" },
      inputShape: [2, 2, 3],
      outputShape: [12],
      params: 0,
      forwardFlops: 0,
    },
  ],
  // 4 windows × Chebyshev on 4 inputs (tanh 4, recurrence 4 + 2·4, matmul 2·4·3·2 = 48)
  conv_kan: [
    {
      spec: {
        type: "conv_kan",
        filters: 2,
        kernel: 2,
        inner: { type: "kan_chebyshev", degree: 2 },
      },
      inputShape: [3, 3, 1],
      outputShape: [2, 2, 2],
      params: 4 * 3 * 2,
      forwardFlops: 256,
    },
  ],
  // moves no numbers; -1 takes what the other sizes leave (12 / 3 = 4)
  reshape: [
    {
      spec: { type: "reshape", shape: [2, 3, 2] },
      inputShape: [12],
      outputShape: [2, 3, 2],
      params: 0,
      forwardFlops: 0,
    },
    {
      spec: { type: "reshape", shape: [-1, 3] },
      inputShape: [2, 2, 3],
      outputShape: [4, 3],
      params: 0,
      forwardFlops: 0,
    },
  ],
};

const BATCH = 3;
/** Finite-difference step: jax-js's transcendentals are float32-accurate even in float64, so a
 * smaller step drowns the difference in their rounding. */
const STEP = 1e-3;
/** Relative to Σ|g_i·d_i| (so cancellation in the dot product hides nothing). */
const TOLERANCE = 1e-3;
/** Relative to Σ|y·r|: that rounding over 2·STEP (measured ≲ 1e-5 on these cases). */
const ROUNDING_FLOOR = 1e-4;

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
};

/** Moves one named array (a param or "input") by `step`·direction. */
function shifted(values: Values, name: string, direction: Float64Array, step: number): Values {
  const moved = Float64Array.from(
    values[name] as Float64Array,
    (v, i) => v + step * (direction[i] as number),
  );
  return { ...values, [name]: moved };
}

/**
 * For each param array and the input, a directional derivative of Σ y·r along a fixed
 * direction: jax-js's gradient dotted with it against (f(+h) − f(−h))/2h.
 */
function checkGradients(layer: Layer, state: LayerState, x: Float64Array): void {
  const r = fixedValues(BATCH * product(layer.outputShape), 99);
  const grads = layerGradients(layer, state, x, r);
  const objective = (values: Values): number => {
    const moved = stateWith(state, values, layer.dtype);
    const y = layerOutput(layer, moved, values.input as Float64Array);
    for (const array of Object.values(moved.params)) array.dispose();
    return dot(y, r);
  };
  const magnitude = layerOutput(layer, state, x).reduce(
    (sum, y, i) => sum + Math.abs(y * (r[i] as number)),
    0,
  );
  const point: Values = { ...valuesOf(state.params), input: x };
  const analytic: Values = { ...grads.params, input: grads.input };
  Object.keys(point).forEach((name, index) => {
    const g = analytic[name] as Float64Array;
    const direction = fixedValues(g.length, 1000 + index);
    const scale = g.reduce((sum, gi, i) => sum + Math.abs(gi * (direction[i] as number)), 0);
    const numeric =
      (objective(shifted(point, name, direction, STEP)) -
        objective(shifted(point, name, direction, -STEP))) /
      (2 * STEP);
    const error = Math.abs(numeric - dot(g, direction));
    assert.ok(
      error <= TOLERANCE * scale + ROUNDING_FLOOR * magnitude,
      `d/d${name}: autodiff ${dot(g, direction)}, finite differences ${numeric} (error ${error}, scale ${scale})`,
    );
  });
}

/** init's params moved off their initial values (zeros, ones, ties) to a generic point. */
function genericState(layer: Layer, seed: number): LayerState {
  const state = layer.init(keyFromSeed(seed));
  const values = valuesOf(state.params);
  Object.keys(values).forEach((name, i) => {
    const noise = fixedValues((values[name] as Float64Array).length, seed * 100 + i, 0.1);
    values[name] = (values[name] as Float64Array).map((v, j) => v + (noise[j] as number));
  });
  const moved = stateWith(state, values, layer.dtype);
  for (const array of Object.values(state.params)) array.dispose();
  return moved;
}

describe("every registered layer type", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("has a case here, and every case names a registered type", () => {
    const registered = LAYER_DEFINITIONS.map((definition) => definition.type);
    const missing = registered.filter((type) => !(CASES[type]?.length ?? 0));
    assert.deepEqual(
      missing,
      [],
      `register a layer → add its case to CASES: ${missing.join(", ")}`,
    );
    assert.deepEqual(
      Object.keys(CASES).filter((type) => !registered.includes(type)),
      [],
    );
  });

  for (const { type } of LAYER_DEFINITIONS)
    (CASES[type] ?? []).forEach((c, index) =>
      describe(`${type} (case ${index})`, () => {
        const build = (): Layer => new Model([c.spec], c.inputShape, "float64").layers[0] as Layer;
        const input = (): Float64Array => fixedValues(BATCH * product(c.inputShape), 7 + index);

        it("maps a batch to the output shape", () => {
          const layer = build();
          assert.deepEqual(layer.outputShape, c.outputShape);
          const state = layer.init(keyFromSeed(1));
          const y = layer.apply(state, arrayFrom(input(), [BATCH, ...c.inputShape], "float64"));
          assert.deepEqual(y.shape, [BATCH, ...c.outputShape]);
          y.dispose();
        });

        it("initialises exactly the declared parameter shapes, counted by hand", () => {
          const layer = build();
          const state = layer.init(keyFromSeed(2));
          const shapes = Object.fromEntries(
            Object.entries(state.params).map(([name, array]) => [name, array.shape]),
          );
          assert.deepEqual(shapes, layer.paramShapes());
          const stored = Object.values(state.params).reduce((sum, array) => sum + array.size, 0);
          assert.equal(paramCount(layer), stored);
          assert.equal(paramCount(layer), c.params);
        });

        it("counts FLOPs by hand", () => {
          assert.deepEqual(build().flops(), {
            forward: c.forwardFlops,
            backward: 2 * c.forwardFlops,
          });
        });

        it("has gradients that match finite differences (float64)", () => {
          const layer = build();
          checkGradients(layer, genericState(layer, 3 + index), input());
        });
      }),
    );
});
