/**
 * Whole-model export to ONNX (src/train/export-onnx.ts): every exported model is run through
 * onnxruntime-node and compared with nonlin's own forward pass (jax-js) on the same weights and
 * inputs — float32 to 1e-5 (|a − b| ≤ 1e-5·max(1, |b|)), float64 to FLOAT64_TOLERANCE.
 *
 * One exception, checked as such: a model whose activations take jax-js's log agrees with nonlin
 * to LOG_TOLERANCE (test/support/graph-cases.ts says why); that the ONNX side is the exact one is
 * checked against nonlin's plain float64 evaluator (src/expr/evaluate.ts, JavaScript's Math). The
 * cases and helpers are shared with the JAX export's test (test/export-jax.test.ts).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as ort from "onnxruntime-node";
import { startEngine } from "../src/engine/device.js";
import { isPointwise } from "../src/expr/ast.js";
import { initialParamValues, scalarFunction } from "../src/expr/evaluate.js";
import type { LayerSpec } from "../src/nn/model.js";
import { disposeState } from "../src/nn/model.js";
import { activationOf, ZOO } from "../src/zoo/index.js";
import type { GradientPhase } from "../src/train/fit-spec.js";
import { gradientPhaseSchema } from "../src/train/fit-spec.js";
import { decodeWeights, encodeHostWeights } from "../src/train/checkpoint.js";
import { hostStateOf } from "../src/train/host-state.js";
import { initialState, jaxEngine } from "../src/train/jax-engine.js";
import type { HostState } from "../src/train/trial-engine.js";
import {
  modelToOnnx,
  ONNX_LAYER_TYPES,
  ONNX_OPSET,
  onnxMappingOf,
  OnnxExportError,
} from "../src/train/export-onnx.js";
import { LAYER_DEFINITIONS } from "../src/nn/registry.js";
import type { Case } from "./support/graph-cases.js";
import {
  CNN_LAYERS,
  EXPRESSIONS,
  KAN_LAYERS,
  LAYER_GRAPH_CASES,
  MLP_LAYERS,
  nonlinOutputs,
  perturbed,
  toleranceOf,
  uniform,
  worstError,
} from "./support/graph-cases.js";

before(() => startEngine("wasm"));

async function onnxOutputs(
  bytes: Uint8Array,
  c: Case,
  x: Float64Array,
  rows: number,
): Promise<Float64Array> {
  const session = await ort.InferenceSession.create(bytes);
  const dtype = c.dtype ?? "float32";
  const data = dtype === "float64" ? Float64Array.from(x) : Float32Array.from(x);
  const input = new ort.Tensor(dtype, data, [rows, ...c.inputShape]);
  const result = await session.run({ [session.inputNames[0] as string]: input });
  const output = result[session.outputNames[0] as string] as ort.Tensor;
  await session.release();
  return Float64Array.from(output.data as Float32Array);
}

/** Exports `c` with `state`, runs both, asserts agreement; gives the worst error. */
async function checkExport(
  c: Case,
  state: HostState,
  x: Float64Array,
  rows: number,
): Promise<number> {
  const dtype = c.dtype ?? "float32";
  const bytes = modelToOnnx({ layers: c.layers, inputShape: c.inputShape, dtype }, state);
  const nonlin = nonlinOutputs(c, state, x, rows);
  assert.ok(nonlin.every(Number.isFinite), "nonlin's outputs are finite");
  const onnx = await onnxOutputs(bytes, c, x, rows);
  const worst = worstError(onnx, nonlin);
  const tolerance = toleranceOf(c);
  assert.ok(worst <= tolerance, `worst relative error ${worst} > ${tolerance}`);
  return worst;
}

/** A random model of `c` (seeded init, every param perturbed) checked on random inputs. */
async function checkRandomModel(c: Case, seed: number, low = -2, high = 2): Promise<number> {
  const state = perturbed(initialState(c.layers, c.inputShape, c.dtype ?? "float32", seed), seed);
  const rows = 37;
  const width = c.inputShape.reduce((a, b) => a * b, 1);
  return checkExport(c, state, uniform(rows * width, seed + 7, low, high), rows);
}

describe("ONNX export: the models the issue names", () => {
  it("an MLP (float32 and float64)", async () => {
    const layers = MLP_LAYERS;
    await checkRandomModel({ layers, inputShape: [5] }, 1);
    await checkRandomModel({ layers, inputShape: [5], dtype: "float64" }, 2);
  });

  it("a CNN: conv (valid and same, strided), both pools, flatten, dense", async () => {
    await checkRandomModel({ layers: CNN_LAYERS, inputShape: [10, 9, 2] }, 3, 0, 1);
  });

  it("a B-spline KAN, with knots off the uniform grid, a masked edge and another base", async () => {
    const layers = KAN_LAYERS;
    const c: Case = { layers, inputShape: [3] };
    const state = perturbed(initialState(layers, c.inputShape, "float32", 4), 4);
    // a grid update leaves per-input knots that are not uniform; one pruned edge
    const knots = state[0]!.buffers.knots!;
    const m = knots.shape[1] as number;
    knots.values = knots.values.map((v, j) => v + 0.04 * Math.sin(j) * (j % m > 0 ? 1 : 0));
    for (let i = 0; i < knots.shape[0]!; i++)
      for (let k = 1; k < m; k++)
        assert.ok(knots.values[i * m + k]! > knots.values[i * m + k - 1]!, "knots stay sorted");
    state[0]!.buffers.mask!.values[1] = 0;
    const rows = 41;
    // inside and outside the grid, and exactly on knots (half-open intervals)
    const x = uniform(rows * 3, 9, -1.6, 1.6);
    x.set([knots.values[4]!, knots.values[m + 5]!, knots.values[2 * m + 6]!], 0);
    await checkExport(c, state, x, rows);
  });

  it("a model with a learnable activation, trained a few epochs", async () => {
    const layers: LayerSpec[] = [
      {
        type: "dense",
        units: 8,
        activation: "a * x * sigmoid(b * x) + c where a = 1 per_channel, b = 1.5, c = 0 per_neuron",
      },
      { type: "activation", fn: "x + d * sin(x) where d = 0.2" },
      { type: "dense", units: 1 },
    ];
    const rows = 64;
    const x = uniform(rows * 2, 11, -1, 1);
    const y = Float64Array.from(
      { length: rows },
      (_, r) => Math.sin(3 * x[2 * r]!) * x[2 * r + 1]!,
    );
    const phase: GradientPhase = gradientPhaseSchema.parse({
      kind: "gradient",
      epochs: 5,
      batch_size: 16,
      optimizer: { name: "adam", lr: 0.05 },
    });
    const trained = await jaxEngine.train({
      layers,
      inputShape: [2],
      dtype: "float32",
      loss: "mse",
      phase,
      train: { x, y, rows },
      seed: 5,
    });
    const state = await trained.state();
    trained.release();
    const start = initialState(layers, [2], "float32", 5);
    assert.notDeepEqual(state[0]!.params["act.a"], start[0]!.params["act.a"], "training moved a");
    assert.notDeepEqual(state[1]!.params["act.d"], start[1]!.params["act.d"], "training moved d");
    await checkExport({ layers, inputShape: [2] }, state, x, rows);
  });
});

describe("ONNX export: other layers", () => {
  const cases = LAYER_GRAPH_CASES;
  for (const [name, c] of cases)
    it(name, async () => {
      await checkRandomModel(c, 21, -1.5, 1.5);
    });
  for (const [name, c] of cases)
    it(`${name}, float64`, async () => {
      await checkRandomModel({ ...c, dtype: "float64" }, 22, -1.5, 1.5);
    });

  it("a float64 CNN with a KAN head", async () => {
    await checkRandomModel(
      {
        layers: [
          { type: "conv2d", filters: 3, kernel: 2, activation: "softplus" },
          { type: "maxpool2d" },
          { type: "flatten" },
          { type: "kan", units: 2, grid_size: 4 },
        ],
        inputShape: [5, 5, 1],
        dtype: "float64",
      },
      8,
      0,
      1,
    );
  });
});

describe("ONNX export: expressions", () => {
  for (const [name, text] of Object.entries(EXPRESSIONS))
    it(`${name} inside a dense model`, async () => {
      const layers: LayerSpec[] = [
        { type: "dense", units: 6, activation: text },
        { type: "dense", units: 2 },
      ];
      // inputs that reach sinc's Taylor branch, the safe log/sqrt/division clamps and erf's tail
      await checkRandomModel({ layers, inputShape: [3] }, 31, -3, 3);
    });

  it("erf's and atan's float64 recipes and every other primitive on float64", async () => {
    const text = EXPRESSIONS.allOps!;
    const layers: LayerSpec[] = [
      { type: "dense", units: 6, activation: text },
      { type: "dense", units: 2 },
    ];
    await checkRandomModel({ layers, inputShape: [3], dtype: "float64" }, 32, -4, 4);
  });
});

describe("ONNX export: every zoo activation inside a dense model", () => {
  for (const entry of ZOO)
    it(entry.name, async () => {
      const layers: LayerSpec[] = [
        { type: "dense", units: 6, activation: entry.name },
        { type: "dense", units: 2 },
      ];
      await checkRandomModel({ layers, inputShape: [3] }, 41, -3, 3);
    });
});

describe("ONNX export: every pointwise zoo activation against the plain float64 evaluator", () => {
  // the exported values themselves, against src/expr/evaluate.ts (JavaScript's Math): float64
  // models to 1e-9 (atan through its float64 recipe: onnxruntime has no double Atan)
  const rows = 401;
  const x = Float64Array.from({ length: rows }, (_, i) => -6 + (12 * i) / (rows - 1));
  for (const entry of ZOO.filter((e) => isPointwise(activationOf(e).expr)))
    it(entry.name, async () => {
      const activation = activationOf(entry);
      const c: Case = {
        layers: [{ type: "activation", fn: entry.name }],
        inputShape: [1],
        dtype: "float64",
      };
      const state = initialState(c.layers, c.inputShape, "float64", 1);
      const onnx = await onnxOutputs(modelToOnnx({ ...c, dtype: "float64" }, state), c, x, rows);
      const exact = scalarFunction(activation.expr, initialParamValues(activation));
      const worst = worstError(onnx, x.map(exact));
      assert.ok(worst <= 1e-9, `worst relative error ${worst}`);
    });

  it("atan's float64 recipe is Math.atan to 1e-15 over every range it folds (0, tiny, ±1, huge, ±∞)", async () => {
    const points = [0, 1e-300, 1e-12, 0.1, Math.tan(Math.PI / 16), 0.5, 0.999999, 1, 1.0000001]
      .flatMap((v) => [v, 2 - v, 1 / (v || 1e-300), 37 * v])
      .flatMap((v) => [v, -v]);
    points.push(Infinity, -Infinity, 1e300, ...uniform(200, 5, -50, 50));
    const c: Case = {
      layers: [{ type: "activation", fn: "atan(x)" }],
      inputShape: [1],
      dtype: "float64",
    };
    const state = initialState(c.layers, c.inputShape, "float64", 1);
    const xs = Float64Array.from(points);
    const onnx = await onnxOutputs(
      modelToOnnx({ ...c, dtype: "float64" }, state),
      c,
      xs,
      xs.length,
    );
    xs.forEach((v, i) => {
      const want = Math.atan(v);
      const error = Math.abs(onnx[i]! - want) / Math.max(Math.abs(want), Number.MIN_VALUE);
      assert.ok(error <= 1e-15, `atan(${v}): ${onnx[i]} vs ${want}`);
    });
  });
});

describe("ONNX export: the file", () => {
  it("declares opset 17, a symbolic batch and the model's shapes; weights round-trip safetensors", async () => {
    const layers: LayerSpec[] = [
      { type: "dense", units: 4, activation: "relu" },
      { type: "dense", units: 2 },
    ];
    const c: Case = { layers, inputShape: [3] };
    const state = perturbed(initialState(layers, [3], "float32", 6), 6);
    // through a checkpoint's weights file, as `nonlin export` reads them
    const decoded = decodeWeights(encodeHostWeights(state, "float32"), 2, "float32");
    const host = hostStateOf(decoded);
    disposeState(decoded);
    const bytes = modelToOnnx({ layers, inputShape: [3], dtype: "float32" }, host);
    const session = await ort.InferenceSession.create(bytes);
    assert.deepEqual(session.inputNames, ["input"]);
    assert.deepEqual(session.outputNames, ["output"]);
    await session.release();
    assert.equal(ONNX_OPSET, 17);
    for (const rows of [1, 5]) {
      const x = uniform(rows * 3, rows);
      await checkExport(c, host, x, rows);
    }
  });

  it("puts the input scaling in the graph: raw rows in, the same outputs", async () => {
    const layers: LayerSpec[] = [
      { type: "dense", units: 4, activation: "tanh" },
      { type: "dense", units: 1 },
    ];
    const c: Case = { layers, inputShape: [2] };
    const state = perturbed(initialState(layers, [2], "float32", 7), 7);
    const scaling = { kind: "standard" as const, shift: [10, -3], scale: [4, 0.5] };
    const rows = 9;
    const raw = uniform(rows * 2, 3, -5, 15);
    const stored = raw.map((v, i) => (v - scaling.shift[i % 2]!) / scaling.scale[i % 2]!);
    const bytes = modelToOnnx({ layers, inputShape: [2], dtype: "float32" }, state, {
      inputScaling: scaling,
    });
    const worst = worstError(
      await onnxOutputs(bytes, c, raw, rows),
      nonlinOutputs(c, state, stored, rows),
    );
    assert.ok(worst <= 1e-5, `worst relative error ${worst}`);
    assert.throws(
      () =>
        modelToOnnx({ layers, inputShape: [2], dtype: "float32" }, state, {
          inputScaling: { ...scaling, shift: [1, 2, 3] },
        }),
      /inputScaling\.shift: 3 values for inputs of shape \[2\]/,
    );
  });
});

describe("ONNX export: what has no mapping", () => {
  it("every registered layer type has a mapping", () => {
    const missing = LAYER_DEFINITIONS.map((d) => d.type).filter(
      (t) => !ONNX_LAYER_TYPES.includes(t),
    );
    assert.deepEqual(missing, []);
  });

  it("a layer type without one is named with the layer's index", () => {
    assert.throws(
      () => onnxMappingOf("layers[3]", "kan_future"),
      (error: unknown) =>
        error instanceof OnnxExportError &&
        error.exitCode === 2 &&
        /^layers\[3\] \(kan_future\): no ONNX mapping for this layer type \(mapped: dense, /.test(
          error.message,
        ),
    );
  });

  it("names a conv_kan's inner layer in its errors", () => {
    const layers: LayerSpec[] = [
      { type: "conv_kan", filters: 2, kernel: 2, inner: { type: "dense", activation: "atan(x)" } },
    ];
    const state = initialState(layers, [3, 3, 1], "float64", 1);
    delete state[0]!.params.w;
    assert.throws(
      () => modelToOnnx({ layers, inputShape: [3, 3, 1], dtype: "float64" }, state),
      /^OnnxExportError: layers\[0\] \(conv_kan\)\.inner \(dense\): the weights have no array 'w'/,
    );
  });

  it("names a missing array, an array of the wrong shape and a layer count that does not match", () => {
    const layers: LayerSpec[] = [{ type: "dense", units: 2 }];
    const state = initialState(layers, [3], "float32", 1);
    delete state[0]!.params.b;
    assert.throws(
      () => modelToOnnx({ layers, inputShape: [3], dtype: "float32" }, state),
      /layers\[0\] \(dense\): the weights have no array 'b'/,
    );
    assert.throws(
      () => modelToOnnx({ layers, inputShape: [3], dtype: "float32" }, []),
      /the weights hold 0 layers, the spec 1/,
    );
    const reshaped = initialState(layers, [3], "float32", 1);
    reshaped[0]!.params.w = { shape: [2, 3], values: reshaped[0]!.params.w!.values };
    assert.throws(
      () => modelToOnnx({ layers, inputShape: [3], dtype: "float32" }, reshaped),
      /layers\[0\] \(dense\): array 'w' has shape \[2, 3\] and 6 values; the spec gives it shape \[3, 2\]/,
    );
  });
});
