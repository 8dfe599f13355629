import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { jit, numpy as np } from "@jax-js/jax";
import { arrayFrom, keyFromSeed, startEngine, takeValues } from "../src/engine/index.js";
import type { EvoNormB0Spec, EvoNormS0Spec } from "../src/nn/evonorm.js";
import { EvoNormB0Layer, EvoNormS0Layer } from "../src/nn/evonorm.js";
import { LayerSpecError, paramCount } from "../src/nn/layer.js";
import { QUADRATIC_AND_NORM_LAYERS } from "../src/nn/norm-layers.js";
import type { Values } from "./support/layer-check.js";
import { checkLayerAgainstReference, fixedValues, stateWith } from "./support/layer-check.js";

const EPSILON = 1e-5;
const b0 = (): EvoNormB0Spec => ({ type: "evonorm_b0", epsilon: EPSILON });
const s0 = (groups: number): EvoNormS0Spec => ({ type: "evonorm_s0", groups, epsilon: EPSILON });

/** Population variance of the listed values (two passes). */
function variance(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
}

/** Index of x[b, s, c] in a row-major [B, S, C] array (S = all spatial positions). */
const at = (b: number, s: number, c: number, S: number, C: number): number => (b * S + s) * C + c;

/**
 * B0 by its formula: x / max(√(var_batch+ε), v·x + √(var_instance+ε))·γ + β. `flat`: a [C] sample,
 * whose instance variance runs over its C features.
 */
function b0Reference(S: number, C: number, flat: boolean) {
  return (p: Values, _b: Values, x: Float64Array): Float64Array => {
    const B = x.length / (S * C);
    const y = new Float64Array(x.length);
    for (let c = 0; c < C; c++) {
      const batchValues: number[] = [];
      for (let b = 0; b < B; b++)
        for (let s = 0; s < S; s++) batchValues.push(x[at(b, s, c, S, C)]!);
      const batchStd = Math.sqrt(variance(batchValues) + EPSILON);
      for (let b = 0; b < B; b++) {
        const instance: number[] = [];
        if (flat) for (let k = 0; k < C; k++) instance.push(x[at(b, 0, k, S, C)]!);
        else for (let s = 0; s < S; s++) instance.push(x[at(b, s, c, S, C)]!);
        const instanceStd = Math.sqrt(variance(instance) + EPSILON);
        for (let s = 0; s < S; s++) {
          const i = at(b, s, c, S, C);
          const denominator = Math.max(batchStd, p.v![c]! * x[i]! + instanceStd);
          y[i] = (x[i]! / denominator) * p.gamma![c]! + p.beta![c]!;
        }
      }
    }
    return y;
  };
}

/** S0 by its formula: x·σ(v·x) / √(var_group+ε)·γ + β, groups of C/G consecutive channels. */
function s0Reference(S: number, C: number, G: number) {
  return (p: Values, _b: Values, x: Float64Array): Float64Array => {
    const B = x.length / (S * C);
    const P = C / G;
    const y = new Float64Array(x.length);
    for (let b = 0; b < B; b++)
      for (let g = 0; g < G; g++) {
        const members: number[] = [];
        for (let s = 0; s < S; s++)
          for (let c = g * P; c < (g + 1) * P; c++) members.push(x[at(b, s, c, S, C)]!);
        const groupStd = Math.sqrt(variance(members) + EPSILON);
        for (let s = 0; s < S; s++)
          for (let c = g * P; c < (g + 1) * P; c++) {
            const i = at(b, s, c, S, C);
            const gate = 1 / (1 + Math.exp(-p.v![c]! * x[i]!));
            y[i] = ((x[i]! * gate) / groupStd) * p.gamma![c]! + p.beta![c]!;
          }
      }
    return y;
  };
}

/** γ, β, v away from their 1, 0, 1 init so that each shows in the output. */
function channelParams(C: number, seed: number): Values {
  return {
    gamma: fixedValues(C, seed, 0.5).map((v) => 1 + v),
    beta: fixedValues(C, seed + 1, 0.5),
    v: fixedValues(C, seed + 2, 0.5).map((v) => 1 + v),
  };
}

describe("evonorm_b0", () => {
  before(async () => {
    await startEngine("wasm");
  });

  /** Fraction of elements where the instance side v·x + √(var_i+ε) wins the max, and the
   * smallest gap between the two sides (finite differences must not cross the kink). */
  function branchesOf(S: number, C: number, flat: boolean, p: Values, x: Float64Array) {
    const B = x.length / (S * C);
    let instanceWins = 0;
    let gap = Infinity;
    for (let c = 0; c < C; c++) {
      const column: number[] = [];
      for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) column.push(x[at(b, s, c, S, C)]!);
      const batchStd = Math.sqrt(variance(column) + EPSILON);
      for (let b = 0; b < B; b++) {
        const instance: number[] = [];
        if (flat) for (let k = 0; k < C; k++) instance.push(x[at(b, 0, k, S, C)]!);
        else for (let s = 0; s < S; s++) instance.push(x[at(b, s, c, S, C)]!);
        const instanceStd = Math.sqrt(variance(instance) + EPSILON);
        for (let s = 0; s < S; s++) {
          const side = p.v![c]! * x[at(b, s, c, S, C)]! + instanceStd;
          if (side > batchStd) instanceWins++;
          gap = Math.min(gap, Math.abs(side - batchStd));
        }
      }
    }
    return { instanceShare: instanceWins / x.length, gap };
  }

  for (const [label, shape, seed] of [
    ["flat [B, C] inputs", [6], 21],
    ["image [B, H, W, C] inputs", [3, 2, 4], 31],
  ] as const) {
    it(`matches a plain reference on ${label}, values and gradients (float64)`, () => {
      const flat = shape.length === 1;
      const C = shape[shape.length - 1]!;
      const S = shape.reduce((a, b) => a * b, 1) / C;
      const layer = new EvoNormB0Layer(b0(), shape, "float64");
      const params = channelParams(C, seed);
      const x = fixedValues(4 * S * C, seed + 5, 1.5);
      // both sides of the max occur, none within 1e-3 of the other
      const { instanceShare, gap } = branchesOf(S, C, flat, params, x);
      assert.ok(instanceShare > 0.2 && instanceShare < 0.8, `instance side share ${instanceShare}`);
      assert.ok(gap > 1e-3, `closest gap ${gap}`);
      const state = stateWith(layer.init(keyFromSeed(1)), params, "float64");
      // + − × ÷ √ only: float64 is exact, so the tolerance is that of finite differences
      checkLayerAgainstReference(layer, state, b0Reference(S, C, flat), x, {
        rel: 1e-7,
        abs: 1e-9,
      });
    });
  }

  it("initialises γ = 1, β = 0, v = 1 per channel", () => {
    const layer = new EvoNormB0Layer(b0(), [2, 2, 5], "float32");
    const state = layer.init(keyFromSeed(1));
    assert.deepEqual(Array.from(takeValues(state.params.gamma!)), [1, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(takeValues(state.params.beta!)), [0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(takeValues(state.params.v!)), [1, 1, 1, 1, 1]);
  });

  it("counts parameters and FLOPs by hand", () => {
    const image = new EvoNormB0Layer(b0(), [4, 4, 8], "float32");
    assert.equal(paramCount(image), 3 * 8);
    // N = 128 elements, S = 16 positions, C = 8 channels; a √(var+ε) over m values costs 4m + 4.
    // batch std (per channel over the 16 positions of this sample): 8·(4·16 + 4) = 544
    // instance std (per channel over 16 positions): 544; v·x, +, max, ÷, ·γ + β: 6·128 = 768
    assert.equal(image.flops().forward, 544 + 544 + 768);
    const flat = new EvoNormB0Layer(b0(), [6], "float32");
    // batch std 6·(4·1 + 4) = 48, instance std over the 6 features 4·6 + 4 = 28, 6·6 = 36
    assert.equal(flat.flops().forward, 48 + 28 + 36);
    assert.equal(flat.flops().backward, 2 * flat.flops().forward);
  });

  it("uses the statistics of the batch it is given, also under jit", () => {
    const layer = new EvoNormB0Layer(b0(), [3], "float32");
    const state = layer.init(keyFromSeed(1));
    const apply = jit((x: np.Array) => layer.apply(state, x));
    const rows = [0.5, -1, 2, 1.5, 0, -0.5];
    const pair = takeValues(apply(arrayFrom(rows, [2, 3], "float32")));
    const expected = b0Reference(1, 3, true)(
      {
        gamma: Float64Array.of(1, 1, 1),
        beta: Float64Array.of(0, 0, 0),
        v: Float64Array.of(1, 1, 1),
      },
      {},
      Float64Array.from(rows),
    );
    pair.forEach((y, i) => assert.ok(Math.abs(y - expected[i]!) < 1e-5, `${y} vs ${expected[i]}`));
    // the first row alone (batch variance 0) gives a different output than inside the pair
    const alone = takeValues(apply(arrayFrom(rows.slice(0, 3), [1, 3], "float32")));
    assert.ok(Math.abs(alone[1]! - pair[1]!) > 1e-3, `${alone[1]} vs ${pair[1]}`);
    apply.dispose();
  });
});

describe("evonorm_s0", () => {
  before(async () => {
    await startEngine("wasm");
  });

  for (const [label, shape, groups, seed] of [
    ["flat [B, C] inputs, 2 groups", [6], 2, 41],
    ["image [B, H, W, C] inputs, 2 groups", [3, 2, 4], 2, 51],
    ["image inputs, one group per channel", [2, 2, 3], 3, 61],
  ] as const) {
    it(`matches a plain reference on ${label}, values and gradients (float64)`, () => {
      const C = shape[shape.length - 1]!;
      const S = shape.reduce((a, b) => a * b, 1) / C;
      const layer = new EvoNormS0Layer(s0(groups), shape, "float64");
      const state = stateWith(layer.init(keyFromSeed(1)), channelParams(C, seed), "float64");
      // σ is float32-accurate in jax-js float64: the default 1e-4 relative tolerance
      checkLayerAgainstReference(
        layer,
        state,
        s0Reference(S, C, groups),
        fixedValues(3 * S * C, seed + 5, 1.5),
      );
    });
  }

  it("counts parameters and FLOPs by hand", () => {
    const layer = new EvoNormS0Layer(s0(2), [4, 4, 8], "float32");
    assert.equal(paramCount(layer), 3 * 8);
    const state = layer.init(keyFromSeed(1));
    assert.equal(
      Object.values(state.params).reduce((sum, a) => sum + a.size, 0),
      24,
    );
    // 2 groups of 64 values: 2·(4·64 + 4) = 520; v·x, σ, ·x, ÷, ·γ + β: 6·128 = 768
    assert.equal(layer.flops().forward, 520 + 768);
  });
});

describe("evonorm specs", () => {
  const b0Definition = QUADRATIC_AND_NORM_LAYERS.find((d) => d.type === "evonorm_b0")!;
  const s0Definition = QUADRATIC_AND_NORM_LAYERS.find((d) => d.type === "evonorm_s0")!;
  const fieldOf = (schema: typeof b0Definition.schema, input: unknown): string => {
    const result = schema.safeParse(input);
    assert.equal(result.success, false, JSON.stringify(input));
    return result.error!.issues[0]!.path.join(".");
  };

  it("fills defaults: groups 8, epsilon 1e-5", () => {
    assert.deepEqual(s0Definition.schema.parse({ type: "evonorm_s0" }), {
      type: "evonorm_s0",
      groups: 8,
      epsilon: 1e-5,
    });
    assert.deepEqual(b0Definition.schema.parse({ type: "evonorm_b0" }), {
      type: "evonorm_b0",
      epsilon: 1e-5,
    });
  });

  it("rejects bad specs, naming the field", () => {
    assert.equal(fieldOf(s0Definition.schema, { type: "evonorm_s0", groups: 0 }), "groups");
    assert.equal(fieldOf(s0Definition.schema, { type: "evonorm_s0", groups: 1.5 }), "groups");
    assert.equal(fieldOf(b0Definition.schema, { type: "evonorm_b0", epsilon: 0 }), "epsilon");
    assert.match(
      JSON.stringify(
        b0Definition.schema.safeParse({ type: "evonorm_b0", groups: 2 }).error?.issues,
      ),
      /groups/,
    );
    const defaults = s0Definition.schema.parse({ type: "evonorm_s0" });
    assert.throws(
      () => s0Definition.build(defaults, [4, 4, 12], "float32"),
      (e: unknown) =>
        e instanceof LayerSpecError &&
        e.message ===
          "groups: must be a positive integer dividing the 12 channels of input shape [4, 4, 12], got 8",
    );
    assert.ok(s0Definition.build(defaults, [4, 4, 16], "float32") instanceof EvoNormS0Layer);
    assert.throws(
      () => new EvoNormB0Layer({ type: "evonorm_b0", epsilon: -1 }, [4], "float32"),
      /^LayerSpecError: epsilon: /,
    );
    assert.throws(
      () => new EvoNormB0Layer(b0(), [], "float32"),
      /needs inputs \[\.\.\., channels\]/,
    );
  });
});
