import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { TestContext } from "node:test";
import { jit, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import { arrayFrom, keyFromSeed, splitKey, startEngine, takeValues } from "../src/engine/index.js";
import type { ArrayRecord } from "../src/nn/layer.js";
import { LayerSpecError, paramCount } from "../src/nn/layer.js";
import { QUADRATIC_AND_NORM_LAYERS } from "../src/nn/norm-layers.js";
import type { QuadraticSpec } from "../src/nn/quadratic.js";
import { QuadraticLayer } from "../src/nn/quadratic.js";
import type { Values } from "./support/layer-check.js";
import {
  assertClose,
  checkLayerAgainstReference,
  fixedValues,
  layerGradients,
  layerOutput,
  referenceGradients,
  stateWith,
  valuesOf,
} from "./support/layer-check.js";

const spec = (fields: Partial<QuadraticSpec>): QuadraticSpec => ({
  type: "quadratic",
  units: 3,
  activation: "relu",
  init: "relinear",
  weight_init: "he_normal",
  ...fields,
});

/** Plain reference, sample by sample: f((x·w_r+b_r)(x·w_g+b_g) + Σ x_i²·w_b + c). */
function quadraticReference(n: number, m: number, f: (z: number) => number) {
  return (p: Values, _b: Values, x: Float64Array): Float64Array => {
    const batch = x.length / n;
    const y = new Float64Array(batch * m);
    for (let s = 0; s < batch; s++)
      for (let j = 0; j < m; j++) {
        let r = p.b_r![j] as number;
        let g = p.b_g![j] as number;
        let q = p.c![j] as number;
        for (let i = 0; i < n; i++) {
          const xi = x[s * n + i] as number;
          r += xi * (p.w_r![i * m + j] as number);
          g += xi * (p.w_g![i * m + j] as number);
          q += xi * xi * (p.w_b![i * m + j] as number);
        }
        y[s * m + j] = f(r * g + q);
      }
    return y;
  };
}

/** Every parameter set to fixed non-trivial values (the inits leave several at 0 or 1). */
function randomParams(names: string[], layer: QuadraticLayer, seed: number): Values {
  const state = layer.init(keyFromSeed(seed));
  const values = valuesOf(state.params);
  names.forEach((name, k) => {
    values[name] = fixedValues((values[name] as Float64Array).length, seed + 10 * k + 1, 0.8);
  });
  return values;
}

const PARAM_NAMES = ["w_r", "b_r", "w_g", "b_g", "w_b", "c"];

describe("quadratic layer", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("matches a plain reference with identity activation to 1e-8, values and gradients (float64)", () => {
    const layer = new QuadraticLayer(spec({ units: 3, activation: "identity" }), [4], "float64");
    const state = layer.init(keyFromSeed(1));
    const perturbed = stateWith(state, randomParams(PARAM_NAMES, layer, 3), "float64");
    const reference = quadraticReference(4, 3, (z) => z);
    const x = fixedValues(5 * 4, 7, 1.5);
    const params = valuesOf(perturbed.params);
    const tight = { rel: 1e-8, abs: 1e-10 };
    assertClose(layerOutput(layer, perturbed, x), reference(params, {}, x), "output", tight);
    // The loss is a polynomial of degree ≤ 2 in every single variable, so central differences
    // are exact up to rounding: a wide step keeps that rounding near 1e-12.
    const r = fixedValues(5 * 3, 99);
    const got = layerGradients(layer, perturbed, x, r);
    const want = referenceGradients(reference, params, {}, x, r, 1e-2);
    assertClose(got.input, want.input, "d/dx", tight);
    for (const name of PARAM_NAMES)
      assertClose(got.params[name]!, want.params[name]!, `d/d${name}`, tight);
  });

  it("matches a plain reference with relu and a per-neuron PReLU slope (float64)", () => {
    const relu = new QuadraticLayer(spec({ units: 3 }), [2], "float64");
    const reluState = stateWith(
      relu.init(keyFromSeed(4)),
      randomParams(PARAM_NAMES, relu, 5),
      "float64",
    );
    checkLayerAgainstReference(
      relu,
      reluState,
      quadraticReference(2, 3, (z) => Math.max(z, 0)),
      fixedValues(6 * 2, 11),
      { rel: 1e-7, abs: 1e-9 },
    );
    const prelu = new QuadraticLayer(
      spec({ units: 2, activation: "max(x, 0) + a*min(x, 0) where a = 0.25 per_neuron" }),
      [3],
      "float64",
    );
    const state = prelu.init(keyFromSeed(6));
    assert.deepEqual(Object.keys(state.params).sort(), ["act.a", ...PARAM_NAMES].sort());
    const perturbed = stateWith(state, randomParams(PARAM_NAMES, prelu, 8), "float64");
    const inner = quadraticReference(3, 2, (z) => z);
    const reference = (p: Values, b: Values, x: Float64Array): Float64Array =>
      inner(p, b, x).map((z, k) => (z > 0 ? z : (p["act.a"]![k % 2] as number) * z));
    checkLayerAgainstReference(prelu, perturbed, reference, fixedValues(4 * 3, 13), {
      rel: 1e-7,
      abs: 1e-9,
    });
  });

  it("starts linear under ReLinear (w_g = 0, b_g = 1, w_b = 0, c = 0, b_r = 0) and random under naive", () => {
    const relinear = new QuadraticLayer(spec({ units: 40 }), [50], "float64");
    const values = valuesOf(relinear.init(keyFromSeed(2)).params);
    assert.ok(values.w_g!.every((v) => v === 0) && values.w_b!.every((v) => v === 0));
    assert.ok(values.b_g!.every((v) => v === 1) && values.c!.every((v) => v === 0));
    assert.ok(values.b_r!.every((v) => v === 0));
    const std = (a: Float64Array): number => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    // he_normal: standard deviation √(2/50) = 0.2; 2000 samples give it within a few percent
    assert.ok(Math.abs(std(values.w_r!) - 0.2) < 0.01, `w_r std ${std(values.w_r!)}`);
    assert.deepEqual(relinear.updateScales, { w_g: 0.1, b_g: 0.1, w_b: 0.1, c: 0.1 });

    const naive = new QuadraticLayer(spec({ units: 40, init: "naive" }), [50], "float64");
    const random = valuesOf(naive.init(keyFromSeed(2)).params);
    for (const name of ["w_r", "w_g", "w_b"])
      assert.ok(Math.abs(std(random[name]!) - 0.2) < 0.01, `${name} std ${std(random[name]!)}`);
    assert.notDeepEqual(random.w_g, random.w_r);
    for (const name of ["b_r", "b_g", "c"])
      assert.ok(
        random[name]!.every((v) => v === 0),
        name,
      );
    assert.deepEqual(naive.updateScales, { w_g: 1, b_g: 1, w_b: 1, c: 1 });
    const custom = new QuadraticLayer(spec({ quadratic_lr_scale: 0.02 }), [2], "float32");
    assert.deepEqual(custom.updateScales, { w_g: 0.02, b_g: 0.02, w_b: 0.02, c: 0.02 });
  });

  it("counts parameters and FLOPs by hand", () => {
    const layer = new QuadraticLayer(spec({ units: 7 }), [5], "float32");
    // w_r, w_g, w_b: 5×7 each; b_r, b_g, c: 7 each
    assert.equal(paramCount(layer), 3 * 35 + 3 * 7);
    // three matmuls of 35 multiply-adds, x⊙x (5), + b_r, + b_g, product, + power, + c (7 each), relu (7)
    assert.equal(layer.flops().forward, 3 * 2 * 35 + 5 + 5 * 7 + 7);
    assert.equal(layer.flops().backward, 2 * layer.flops().forward);
    const prelu = new QuadraticLayer(
      spec({ units: 7, activation: "max(x, 0) + a*min(x, 0) where a = 0.25 per_neuron" }),
      [5],
      "float32",
    );
    assert.equal(paramCount(prelu), 3 * 35 + 3 * 7 + 7);
  });

  it("rejects bad specs, naming the field", () => {
    const definition = QUADRATIC_AND_NORM_LAYERS.find((d) => d.type === "quadratic")!;
    const fieldOf = (input: unknown): string => {
      const result = definition.schema.safeParse(input);
      assert.equal(result.success, false, JSON.stringify(input));
      return String(result.error!.issues[0]!.path.join("."));
    };
    assert.equal(fieldOf({ type: "quadratic", units: 0 }), "units");
    assert.equal(fieldOf({ type: "quadratic", units: 2.5 }), "units");
    assert.equal(fieldOf({ type: "quadratic", units: 3, init: "relu" }), "init");
    assert.equal(fieldOf({ type: "quadratic", units: 3, weight_init: "big" }), "weight_init");
    assert.equal(
      fieldOf({ type: "quadratic", units: 3, quadratic_lr_scale: -1 }),
      "quadratic_lr_scale",
    );
    const unknown = definition.schema.safeParse({ type: "quadratic", units: 3, grid: 2 });
    assert.match(JSON.stringify(unknown.error?.issues), /grid/);

    const parsed = definition.schema.parse({ type: "quadratic", units: 4 });
    assert.deepEqual(parsed, {
      type: "quadratic",
      units: 4,
      activation: "relu",
      init: "relinear",
      weight_init: "he_normal",
    });
    const layer = definition.build(parsed, [3], "float32") as QuadraticLayer;
    assert.deepEqual(layer.outputShape, [4]);
    assert.throws(() => definition.build(parsed, [2, 3], "float32"), /flat inputs.*\[2, 3\]/);
    assert.throws(
      () => new QuadraticLayer(spec({ activation: "nosuchfn(x)" }), [3], "float32"),
      (e: unknown) => e instanceof LayerSpecError && /^activation: /.test(e.message),
    );
    assert.throws(
      () => new QuadraticLayer(spec({ quadratic_lr_scale: -0.5 }), [3], "float32"),
      /quadratic_lr_scale: must be a finite number >= 0/,
    );
    assert.throws(
      () => new QuadraticLayer(spec({ units: 0 }), [3], "float32"),
      /units: must be a positive integer, got 0/,
    );
  });

  it("ReLinear trains a deep quadratic network that the naive init cannot (float32, Adam)", (t) => {
    const relinear = trainQuadraticNetwork("relinear", 1e-2);
    const naive = trainQuadraticNetwork("naive", 1e-2);
    report(t, "relinear", relinear);
    report(t, "naive", naive);
    t.diagnostic(`target variance (loss of the best constant) ${TASK.variance.toPrecision(4)}`);

    assert.ok(relinear.losses.every(Number.isFinite), "ReLinear produced a NaN/inf loss");
    assert.ok(
      Math.max(...relinear.losses) <= relinear.losses[0]!,
      "ReLinear's loss rose above its initial value",
    );
    assert.ok(relinear.final < 0.01 * TASK.variance, `ReLinear final loss ${relinear.final}`);
    assert.ok(relinear.final < 0.01 * relinear.losses[0]!, "ReLinear did not cut its loss 100x");

    // The naive network stalls: its loss is not even halved, and it stays far worse than a constant.
    const stalled = naive.final > 0.5 * naive.losses[0]!;
    const diverged = !Number.isFinite(naive.final);
    assert.ok(stalled || diverged, `naive loss ${naive.losses[0]} -> ${naive.final}`);
    assert.ok(diverged || naive.final > TASK.variance, "naive beat a constant predictor");
  });

  it("ReLinear's smaller quadratic rate keeps a fast Adam run from collapsing (float32)", (t) => {
    // Same network, data and seed, ReLinear init, Adam at 5e-2: only the quadratic rate differs.
    const shrunk = trainQuadraticNetwork("relinear", 5e-2, 0.1);
    const unshrunk = trainQuadraticNetwork("relinear", 5e-2, 1);
    report(t, "relinear, quadratic_lr_scale 0.1", shrunk);
    report(t, "relinear, quadratic_lr_scale 1", unshrunk);
    assert.ok(shrunk.losses.every(Number.isFinite));
    assert.ok(shrunk.final < 0.05 * TASK.variance, `scale 0.1 final loss ${shrunk.final}`);
    // without the shrink the network ends near the best constant's loss
    assert.ok(
      !Number.isFinite(unshrunk.final) || unshrunk.final > 0.5 * TASK.variance,
      `scale 1 final loss ${unshrunk.final}`,
    );
  });
});

/** Regression of sin(πa)·cos(πb) on 256 points of [−1, 1]² from a fixed LCG. */
const TASK = (() => {
  const inputs = fixedValues(256 * 2, 7);
  const targets = new Float64Array(256);
  for (let s = 0; s < 256; s++)
    targets[s] = Math.sin(Math.PI * inputs[2 * s]!) * Math.cos(Math.PI * inputs[2 * s + 1]!);
  const mean = targets.reduce((a, b) => a + b, 0) / 256;
  const variance = targets.reduce((a, b) => a + (b - mean) ** 2, 0) / 256;
  return { inputs, targets, variance };
})();

const STEPS = 200;

interface TrainingRun {
  losses: number[];
  final: number;
  seconds: number;
}

function report(t: TestContext, name: string, run: TrainingRun): void {
  const at = [0, 50, 100, 150, STEPS - 1].map((i) => `${i}: ${run.losses[i]!.toPrecision(3)}`);
  t.diagnostic(
    `${name}: loss ${at.join(", ")}; final ${run.final.toPrecision(3)} (${run.seconds.toFixed(1)} s)`,
  );
}

/**
 * 2 → 16 → 16 → 16 → 16 → 1 quadratic neurons (relu hidden, identity out), MSE, seed 1, plain
 * Adam (β 0.9, 0.999) at one learning rate with each parameter's rate multiplied by its layer's
 * `updateScales`. The same network, data, seed and rate for both inits.
 */
function trainQuadraticNetwork(
  init: "relinear" | "naive",
  learningRate: number,
  quadraticLrScale?: number,
): TrainingRun {
  const sizes = [2, 16, 16, 16, 16, 1];
  const layers = sizes.slice(1).map(
    (units, i) =>
      new QuadraticLayer(
        spec({
          units,
          init,
          activation: i === sizes.length - 2 ? "identity" : "relu",
          quadratic_lr_scale: quadraticLrScale,
        }),
        [sizes[i]!],
        "float32",
      ),
  );
  const keys = splitKey(keyFromSeed(1), layers.length);
  let params: ArrayRecord[] = layers.map((layer, i) => layer.init(keys[i]!).params);
  const zerosOf = (p: ArrayRecord[]): ArrayRecord[] =>
    p.map((r) => Object.fromEntries(Object.entries(r).map(([k, a]) => [k, np.zerosLike(a.ref)])));
  let first = zerosOf(params);
  let second = zerosOf(params);
  const x = arrayFrom(TASK.inputs, [256, 2], "float32");
  const y = arrayFrom(TASK.targets, [256, 1], "float32");

  type Step = [ArrayRecord[], ArrayRecord[], ArrayRecord[], np.Array];
  const step = jit(
    (
      p: ArrayRecord[],
      m: ArrayRecord[],
      v: ArrayRecord[],
      correction: np.Array,
      xb: np.Array,
      yb: np.Array,
    ): Step => {
      const lossOf = (q: ArrayRecord[]): np.Array => {
        let h = xb.ref;
        layers.forEach((layer, i) => {
          h = layer.apply({ params: q[i]!, buffers: {} }, h);
        });
        return np.square(h.sub(yb.ref)).mean();
      };
      const [loss, grads] = valueAndGrad(lossOf)(tree.ref(p) as ArrayRecord[]);
      xb.dispose();
      yb.dispose();
      // correction = [1 − β1^t, 1 − β2^t] (Adam's bias corrections)
      const c1 = correction.ref.slice(0);
      const c2 = correction.slice(1);
      const next: Step = [[], [], [], loss];
      layers.forEach((layer, i) => {
        const [pi, mi, vi] = [{} as ArrayRecord, {} as ArrayRecord, {} as ArrayRecord];
        for (const name of Object.keys(p[i]!)) {
          const g = grads[i]![name]!;
          mi[name] = m[i]![name]!.mul(0.9).add(g.ref.mul(0.1));
          vi[name] = v[i]![name]!.mul(0.999).add(g.ref.mul(g).mul(0.001));
          const rate = learningRate * (layer.updateScales[name] ?? 1);
          const direction = mi[name]!.ref.div(c1.ref).div(
            np.sqrt(vi[name]!.ref.div(c2.ref)).add(1e-8),
          );
          pi[name] = p[i]![name]!.sub(direction.mul(rate));
        }
        next[0].push(pi);
        next[1].push(mi);
        next[2].push(vi);
      });
      c1.dispose();
      c2.dispose();
      return next;
    },
  );

  const started = performance.now();
  const losses: number[] = [];
  for (let t = 1; t <= STEPS; t++) {
    const correction = arrayFrom([1 - 0.9 ** t, 1 - 0.999 ** t], [2], "float32");
    const [p, m, v, loss] = step(params, first, second, correction, x.ref, y.ref);
    [params, first, second] = [p, m, v];
    // read every step: jax-js is lazy, and an unread chain of steps runs far slower
    losses.push(takeValues(loss)[0]!);
  }
  const seconds = (performance.now() - started) / 1000;
  tree.dispose([params, first, second]);
  x.dispose();
  y.dispose();
  step.dispose();
  return { losses, final: losses[losses.length - 1]!, seconds };
}
