import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { startEngine } from "../src/engine/index.js";
import type { LayerSpec } from "../src/nn/definition.js";
import { initialState } from "../src/train/jax-engine.js";
import {
  hasLearnableActivationParams,
  learnedActivationParams,
} from "../src/train/learned-activations.js";
import type { HostArray, HostState } from "../src/train/trial-engine.js";

const scalar = (value: number): HostArray => ({ shape: [], values: Float64Array.of(value) });
const vector = (...values: number[]): HostArray => ({
  shape: [values.length],
  values: Float64Array.from(values),
});
const empty = () => ({ params: {}, buffers: {} });

describe("learned activation parameters from a spec and a state", () => {
  it("reads a scalar β and a per-channel slope with their layer, sharing and initial value", () => {
    const layers: LayerSpec[] = [
      { type: "dense", units: 3, activation: "swish" },
      { type: "dense", units: 3, activation: "a * x + b where a = 2 per_channel, b = 0.5 fixed" },
      { type: "dense", units: 1 },
    ];
    const state: HostState = [
      { params: { w: vector(1, 2), "act.beta": scalar(1.75) }, buffers: {} },
      { params: { "act.a": vector(1, 2, 4) }, buffers: { "act.b": scalar(0.5) } },
      empty(),
    ];
    const learned = learnedActivationParams(layers, state);
    assert.deepEqual(
      learned.map((p) => [p.name, p.layer, p.layerType, p.field, p.parameter, p.sharing]),
      [
        ["layers[0].act.beta", 0, "dense", "activation", "beta", "scalar"],
        ["layers[1].act.a", 1, "dense", "activation", "a", "per_channel"],
      ],
    );
    const [beta, a] = learned as [(typeof learned)[0], (typeof learned)[0]];
    assert.equal(beta.initial, 1);
    assert.deepEqual(beta.shape, []);
    assert.deepEqual([beta.mean, beta.min, beta.max, beta.values], [1.75, 1.75, 1.75, [1.75]]);
    assert.equal(beta.activation, "x * sigmoid(beta * x) where beta = 1");
    assert.equal(a.initial, 2);
    assert.deepEqual(a.shape, [3]);
    assert.deepEqual([a.mean, a.min, a.max, a.values], [7 / 3, 1, 4, [1, 2, 4]]);
    // a fixed parameter (b) is a buffer, not learned, and is not reported
    assert.ok(!learned.some((p) => p.parameter === "b"));
  });

  it("finds kan_af's basis and head copies, kan_selectable's zoo space and conv_kan's inner function", () => {
    const layers: LayerSpec[] = [
      { type: "kan_af", units: 2, function: "crrelu", head: "attention" },
      { type: "kan_selectable", units: 2, spaces: ["bspline", "swish"] },
      { type: "conv_kan", filters: 2, kernel: 2, inner: { type: "kan_af", function: "swish" } },
    ];
    const state: HostState = [
      { params: { "basis_act.eps": scalar(0.02), "head_act.eps": scalar(-0.03) }, buffers: {} },
      { params: { alpha: vector(0, 0), "swish.act.beta": scalar(0.9) }, buffers: {} },
      { params: { "basis_act.beta": scalar(1.1), w: vector(1, 1) }, buffers: {} },
    ];
    const learned = learnedActivationParams(layers, state);
    assert.deepEqual(
      learned.map((p) => [p.name, p.field, p.initial, p.mean]),
      [
        ["layers[0].basis_act.eps", "function", 0.01, 0.02],
        ["layers[0].head_act.eps", "function", 0.01, -0.03],
        ["layers[1].swish.act.beta", "spaces[1]", 1, 0.9],
        ["layers[2].basis_act.beta", "inner.function", 1, 1.1],
      ],
    );
  });

  it("tells whether a spec has any learnable activation parameter", () => {
    assert.equal(
      hasLearnableActivationParams([{ type: "dense", units: 2, activation: "relu" }]),
      false,
    );
    assert.equal(
      hasLearnableActivationParams([{ type: "dense", units: 2, activation: "squareplus" }]),
      false,
      "squareplus's b is fixed",
    );
    assert.equal(
      hasLearnableActivationParams([
        { type: "dense", units: 2 },
        { type: "activation", fn: "crrelu" },
      ]),
      true,
    );
  });

  it("refuses a state of another length than the spec", () => {
    assert.throws(
      () => learnedActivationParams([{ type: "dense", units: 1 }], []),
      /a state of 0 layers for a spec of 1/,
    );
  });
});

describe("learned activation parameters of real layers' initial states", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("are exactly the layers' act.* parameters, every value at its declared initial value", () => {
    const layers: LayerSpec[] = [
      {
        type: "conv2d",
        filters: 2,
        kernel: 3,
        activation: "x * sigmoid(beta * x) where beta = 1.5 per_channel",
      },
      { type: "reshape", shape: [2 * 2 * 2] },
      { type: "kan_af", units: 3, function: "swish", head: "attention" },
      { type: "kan_selectable", units: 3, spaces: ["rbf", "crrelu"] },
      { type: "quadratic", units: 2, activation: "a * x where a = 0.25 per_neuron" },
      { type: "activation", fn: "crrelu" },
    ];
    const state = initialState(layers, [4, 4, 1], "float64", 7);
    const learned = learnedActivationParams(layers, state);
    const actParams = state.flatMap((layer, i) =>
      Object.keys(layer.params)
        .filter((name) => /act\./.test(name))
        .map((name) => `layers[${i}].${name}`),
    );
    assert.deepEqual(learned.map((p) => p.name).sort(), actParams.sort());
    assert.equal(learned.length, 6);
    for (const p of learned) {
      assert.ok(
        p.values.every((v) => v === p.initial),
        `${p.name}: ${p.values.join(", ")}`,
      );
      assert.equal(
        p.values.length,
        p.shape.reduce((a, b) => a * b, 1),
        p.name,
      );
    }
    const byName = new Map(learned.map((p) => [p.name, p]));
    assert.deepEqual(byName.get("layers[0].act.beta")?.shape, [2]);
    assert.equal(byName.get("layers[0].act.beta")?.sharing, "per_channel");
    assert.deepEqual(byName.get("layers[4].act.a")?.shape, [2]);
    assert.equal(byName.get("layers[4].act.a")?.sharing, "per_neuron");
  });

  it("finds conv_kan's inner layer's function parameters in conv_kan's state", () => {
    const layers: LayerSpec[] = [
      { type: "conv_kan", filters: 2, kernel: 2, inner: { type: "kan_af", function: "swish" } },
    ];
    const state = initialState(layers, [3, 3, 1], "float32", 1);
    const learned = learnedActivationParams(layers, state);
    assert.deepEqual(
      learned.map((p) => [p.name, p.field, p.values]),
      [["layers[0].basis_act.beta", "inner.function", [1]]],
    );
  });
});
