/**
 * The models both graph exports are checked on (ONNX in test/export-onnx.test.ts, JAX in
 * test/export-jax.test.ts): cases of every layer type and primitive, seeded inputs and weights
 * moved off their initial values, nonlin's own outputs to compare with, and the tolerances.
 *
 * jax-js's log on wasm is a 4-term series that errs by up to ~1.2e-5 at float32 and float64
 * alike (node_modules/@jax-js/jax, wasm_log), while onnxruntime's and XLA's are correctly rounded.
 * A model whose activations take a log (log, softplus, asinh and what is built on them) agrees
 * with nonlin to LOG_TOLERANCE.
 */
import assert from "node:assert/strict";
import type { FloatDType } from "../../src/engine/dtype.js";
import type { Activation } from "../../src/expr/ast.js";
import { someNode } from "../../src/expr/ast.js";
import type { LayerSpec } from "../../src/nn/model.js";
import { disposeState, Model } from "../../src/nn/model.js";
import { compiledForward, outputsInBatchesSync } from "../../src/train/forward.js";
import { stateFromHost } from "../../src/train/host-state.js";
import type { HostState } from "../../src/train/trial-engine.js";
import { resolveActivation } from "../../src/zoo/index.js";

export interface Case {
  layers: LayerSpec[];
  inputShape: number[];
  dtype?: FloatDType;
}

/** jax-js's float64 exp, sin, cos and tanh on wasm are approximations too (measured worst here:
 * 4.3e-7 relative, in DARUAN's sines and cosines), so float64 agreement is to 1e-6. */
export const FLOAT64_TOLERANCE = 1e-6;
/** Models whose activations take jax-js's log (1.2e-5 off, through one more dense layer). */
export const LOG_TOLERANCE = 5e-5;

/** Whether an activation takes jax-js's float32 log (see the file's note). */
export const takesLog = (activation: Activation): boolean =>
  someNode(
    activation.expr,
    (node) => node.kind === "call" && ["log", "softplus", "asinh"].includes(node.op),
  );

/** Whether an activation of the model takes a log. */
export function modelTakesLog(c: Case): boolean {
  return c.layers.some((layer) =>
    ["activation", "fn", "base", "function"].some(
      (field) =>
        typeof layer[field] === "string" &&
        takesLog(resolveActivation(layer[field] as string).activation),
    ),
  );
}

/** Seeded uniform numbers in [low, high) (mulberry32: independent of the code under test). */
export function uniform(count: number, seed: number, low = -1, high = 1): Float64Array {
  let a = seed >>> 0;
  return Float64Array.from({ length: count }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return low + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (high - low);
  });
}

/** Every param moved off its initial value (so zero-initialised biases and scales count too);
 * buffers (knots, masks, fixed parameters) kept. */
export function perturbed(state: HostState, seed: number, spread = 0.3): HostState {
  return state.map((layer, i) => ({
    buffers: layer.buffers,
    params: Object.fromEntries(
      Object.entries(layer.params).map(([name, array], k) => {
        const noise = uniform(array.values.length, seed * 1000 + i * 50 + k, -spread, spread);
        return [
          name,
          { shape: array.shape, values: array.values.map((v, j) => v + (noise[j] as number)) },
        ];
      }),
    ),
  }));
}

/** nonlin's own outputs (jax-js, op by op) for `rows` rows of x. */
export function nonlinOutputs(
  c: Case,
  state: HostState,
  x: Float64Array,
  rows: number,
): Float64Array {
  const model = new Model(c.layers, c.inputShape, c.dtype ?? "float32");
  const arrays = stateFromHost(state, model.dtype);
  // the pass nonlin predicts with (jitted for float32, as the jax engine's `predict`)
  const forward = compiledForward(model, "mse");
  const outputs = outputsInBatchesSync(forward, model, arrays, x, rows);
  forward.dispose();
  disposeState(arrays);
  return outputs;
}

/** The largest |got − nonlin| / max(1, |nonlin|). */
export function worstError(onnx: Float64Array, nonlin: Float64Array): number {
  assert.equal(onnx.length, nonlin.length, "output sizes differ");
  let worst = 0;
  nonlin.forEach((v, i) => {
    const error = Math.abs((onnx[i] as number) - v) / Math.max(1, Math.abs(v));
    worst = Number.isNaN(error) ? Infinity : Math.max(worst, error);
  });
  return worst;
}

/** The agreement a case's export must reach with nonlin. */
export function toleranceOf(c: Case): number {
  return modelTakesLog(c) ? LOG_TOLERANCE : c.dtype === "float64" ? FLOAT64_TOLERANCE : 1e-5;
}

/** The models the issue names: an MLP, a CNN (valid and same, strided, both pools), a B-spline KAN
 * (a tanh base and another grid range on its second layer). */
export const MLP_LAYERS: LayerSpec[] = [
  { type: "dense", units: 16, activation: "tanh" },
  { type: "dense", units: 12, activation: "gelu" },
  { type: "dense", units: 3 },
];
export const CNN_LAYERS: LayerSpec[] = [
  { type: "conv2d", filters: 4, kernel: 3, activation: "relu" },
  { type: "maxpool2d", pool_size: 2 },
  {
    type: "conv2d",
    filters: 5,
    kernel: [2, 3],
    stride: [1, 2],
    padding: "same",
    activation: "silu",
  },
  { type: "avgpool2d", pool_size: [2, 1], stride: 1 },
  { type: "flatten" },
  { type: "dense", units: 3 },
];
export const KAN_LAYERS: LayerSpec[] = [
  { type: "kan", units: 4, grid_size: 5, order: 3 },
  { type: "kan", units: 2, grid_size: 3, order: 2, base: "tanh", grid_range: [-2, 1] },
];

/** One case of each layer type beyond the MLP, CNN, KAN and learnable activation, with variants. */
export const LAYER_GRAPH_CASES: [string, Case][] = [
  [
    "quadratic",
    {
      layers: [
        { type: "quadratic", units: 5, init: "naive" },
        { type: "dense", units: 2 },
      ],
      inputShape: [4],
    },
  ],
  [
    "kan_chebyshev",
    { layers: [{ type: "kan_chebyshev", units: 3, degree: 5, bias: true }], inputShape: [4] },
  ],
  ["kan_fourier", { layers: [{ type: "kan_fourier", units: 3, frequencies: 4 }], inputShape: [4] }],
  ["kan_fastkan", { layers: [{ type: "kan_fastkan", units: 3 }], inputShape: [4] }],
  [
    "kan_fastkan without norm or base",
    {
      layers: [{ type: "kan_fastkan", units: 3, layer_norm: false, base: false }],
      inputShape: [1],
    },
  ],
  ["kan_relu", { layers: [{ type: "kan_relu", units: 3 }], inputShape: [4] }],
  [
    "kan_relu with a trained grid",
    { layers: [{ type: "kan_relu", units: 3, train_grid: true }], inputShape: [4] },
  ],
  ["kan_af (linear head, layer norm)", { layers: [{ type: "kan_af", units: 3 }], inputShape: [4] }],
  [
    "kan_af (minmax, cubic1, relu, a trained grid)",
    {
      layers: [
        {
          type: "kan_af",
          units: 2,
          norm: "minmax",
          combine: "cubic1",
          function: "relu",
          train_grid: true,
        },
      ],
      inputShape: [3],
    },
  ],
  [
    "kan_af (no norm, sum_prod)",
    {
      layers: [
        { type: "kan_af", units: 2, norm: "none", combine: "sum_prod", grid_size: 3, order: 2 },
      ],
      inputShape: [3],
    },
  ],
  [
    "kan_af (attention head, a learnable function)",
    {
      layers: [
        {
          type: "kan_af",
          units: 3,
          head: "attention",
          combine: "quad2",
          function: "x * sigmoid(b * x) where b = 1 per_channel",
        },
      ],
      inputShape: [4],
    },
  ],
  [
    "kan_selectable (soft, every default space)",
    { layers: [{ type: "kan_selectable", units: 3 }], inputShape: [3] },
  ],
  [
    "kan_selectable (soft, a learnable zoo space, low temperature)",
    {
      layers: [
        {
          type: "kan_selectable",
          units: 2,
          spaces: ["rbf", "prelu", "fourier"],
          temperature: 0.5,
        },
      ],
      inputShape: [3],
    },
  ],
  [
    "kan_selectable (selected, out of node order)",
    {
      layers: [
        {
          type: "kan_selectable",
          units: 4,
          spaces: ["bspline", "polynomial", "tanh", "rbf"],
          selected: ["tanh", "bspline", "tanh", "polynomial"],
        },
      ],
      inputShape: [3],
    },
  ],
  [
    "kan_selectable (selected, one space)",
    {
      layers: [
        {
          type: "kan_selectable",
          units: 2,
          spaces: ["fourier", "silu"],
          selected: ["silu", "silu"],
        },
      ],
      inputShape: [3],
    },
  ],
  ["kan_rational", { layers: [{ type: "kan_rational", units: 3, groups: 2 }], inputShape: [4] }],
  [
    "kan_rational without a denominator",
    {
      layers: [{ type: "kan_rational", units: 3, groups: 1, denominator: 0, bias: false }],
      inputShape: [4],
    },
  ],
  ["kan_daruan", { layers: [{ type: "kan_daruan", units: 3, layers: 3 }], inputShape: [4] }],
  [
    "kan_daruan with one upload",
    { layers: [{ type: "kan_daruan", units: 2, layers: 1 }], inputShape: [3] },
  ],
  [
    "kan with fixed (symbolic) edges: sin, a square, a constant 0, two on one unit",
    {
      layers: [
        {
          type: "kan",
          units: 3,
          grid_size: 4,
          symbolic: [
            { input: 0, unit: 1, expr: "sin(x)" },
            { input: 2, unit: 1, expr: "x^2" },
            { input: 1, unit: 0, expr: "0" },
          ],
        },
      ],
      inputShape: [3],
    },
  ],
  [
    "evonorm_b0 on flat inputs",
    { layers: [{ type: "dense", units: 6 }, { type: "evonorm_b0" }], inputShape: [4] },
  ],
  [
    "evonorm_b0 and evonorm_s0 on images",
    {
      layers: [
        { type: "conv2d", filters: 4, kernel: 2 },
        { type: "evonorm_b0" },
        { type: "evonorm_s0", groups: 2 },
        { type: "flatten" },
      ],
      inputShape: [4, 5, 2],
    },
  ],
  [
    "conv_kan with a B-spline inner layer",
    {
      layers: [
        {
          type: "conv_kan",
          filters: 3,
          kernel: 2,
          stride: 2,
          padding: "same",
          inner: { type: "kan", grid_size: 3 },
        },
        { type: "flatten" },
      ],
      inputShape: [5, 5, 2],
    },
  ],
  [
    "conv_kan with a Chebyshev inner layer",
    {
      layers: [
        {
          type: "conv_kan",
          filters: 2,
          kernel: [3, 2],
          inner: { type: "kan_chebyshev", degree: 3 },
        },
        { type: "flatten" },
      ],
      inputShape: [4, 5, 1],
    },
  ],
  [
    "reshape",
    {
      layers: [
        { type: "reshape", shape: [3, -1] },
        { type: "activation", fn: "x / rms(x)" },
        { type: "flatten" },
        { type: "dense", units: 2 },
      ],
      inputShape: [6],
    },
  ],
];

/** Activations exercising every primitive, statistics and parameter sharing. */
export const EXPRESSIONS: Record<string, string> = {
  allOps:
    "abs(x) + exp(-x) + sin(x) * cos(x) + tanh(x) + sinh(x / 3) - cosh(x / 4) + asinh(x) + atan(x)" +
    " + sigmoid(x) + erf(x) + softplus(x) + relu(x) + step(x) + sign(x) + gaussian(x) + sinc(x)" +
    " + stopgrad(x) + max(x, 0.5) + min(x, -0.5) + where(x - 1, x^2, -x) + log(x) + sqrt(x)" +
    " + 1 / x + x^-2 + x^3 + x^0 + surrogate(x, 2 * x)",
  statistics:
    "(x - mean(x)) / std(x) + amax(x) + var(x, instance) + rms(x, batch) + mean(x, batch)",
  sharing:
    "lambda * tanh(a1 * x) - b where lambda = 2 fixed per_neuron, a1 = 0.5 per_channel, b = 0.1",
};
