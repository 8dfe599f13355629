import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { keyFromSeed, startEngine } from "../src/engine/index.js";
import { DenseLayer } from "../src/nn/dense.js";
import { paramCount } from "../src/nn/layer.js";
import type { Values } from "./support/layer-check.js";
import { checkLayerAgainstReference, fixedValues } from "./support/layer-check.js";

/** Plain reference: y = f(x·W + b) row by row. */
function denseReference(n: number, m: number, f: (z: number, p: Values, j: number) => number) {
  return (p: Values, _b: Values, x: Float64Array): Float64Array => {
    const batch = x.length / n;
    const y = new Float64Array(batch * m);
    for (let s = 0; s < batch; s++)
      for (let j = 0; j < m; j++) {
        let z = p.b ? (p.b[j] as number) : 0;
        for (let i = 0; i < n; i++) z += (x[s * n + i] as number) * (p.w![i * m + j] as number);
        y[s * m + j] = f(z, p, j);
      }
    return y;
  };
}

describe("dense layer", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("matches a plain reference with tanh, values and gradients (float64)", () => {
    const layer = new DenseLayer(
      { type: "dense", units: 3, activation: "tanh", bias: true, init: "lecun_normal" },
      [4],
      "float64",
    );
    const state = layer.init(keyFromSeed(1));
    checkLayerAgainstReference(
      layer,
      state,
      denseReference(4, 3, Math.tanh),
      fixedValues(5 * 4, 3),
    );
  });

  it("trains a per-neuron PReLU slope as a layer parameter", () => {
    const layer = new DenseLayer(
      {
        type: "dense",
        units: 2,
        activation: "max(x, 0) + a*min(x, 0) where a = 0.25 per_neuron",
        bias: false,
        init: "glorot_uniform",
      },
      [3],
      "float64",
    );
    const state = layer.init(keyFromSeed(2));
    assert.deepEqual(Object.keys(state.params).sort(), ["act.a", "w"]);
    const prelu = (z: number, p: Values, j: number): number =>
      z > 0 ? z : (p["act.a"]![j] as number) * z;
    checkLayerAgainstReference(layer, state, denseReference(3, 2, prelu), fixedValues(4 * 3, 5));
  });

  it("an activation that does not read x gives every row its value (values and gradients)", () => {
    // a per-neuron parameter alone, and a constant: before, the batch axis was lost (one row
    // for the whole batch; a scalar that the next matmul refused)
    const perNeuron = new DenseLayer(
      {
        type: "dense",
        units: 3,
        activation: "k where k = 0.5 per_neuron",
        bias: true,
        init: "lecun_normal",
      },
      [2],
      "float64",
    );
    checkLayerAgainstReference(
      perNeuron,
      perNeuron.init(keyFromSeed(3)),
      denseReference(2, 3, (_z, p, j) => p["act.k"]![j] as number),
      fixedValues(4 * 2, 6),
    );
    const constant = new DenseLayer(
      { type: "dense", units: 2, activation: "2 + exp(1)", bias: true, init: "lecun_normal" },
      [2],
      "float64",
    );
    checkLayerAgainstReference(
      constant,
      constant.init(keyFromSeed(4)),
      denseReference(2, 2, () => 2 + Math.exp(1)),
      fixedValues(3 * 2, 7),
    );
  });

  it("counts parameters and FLOPs by hand", () => {
    const layer = new DenseLayer(
      { type: "dense", units: 7, activation: "relu", bias: true, init: "he_normal" },
      [5],
      "float32",
    );
    assert.equal(paramCount(layer), 5 * 7 + 7);
    // 35 multiply-adds, 7 bias adds, 7 relus
    assert.equal(layer.flops().forward, 2 * 35 + 7 + 7);
  });
});
