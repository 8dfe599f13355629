/**
 * Rejection protocols. Known-bad expressions are rejected at the right stage with the right code
 * (exp(exp(x)) explosive, 0·x + 1 constant, step(x) zero gradient, a NaN, super-cubic growth);
 * known-good ones (relu, silu, gelu, tanh, and ash with statistics) pass the static and stability
 * stages. Decision recorded here: log(x) passes — the language's safe log|x| is finite on the
 * grid and its gradients stay within bounds. The static measures of relu are checked against
 * hand counts, the stability stage's gradient norm against a plain-TypeScript backward pass of
 * the same MLP, the quality run rejects 0·x (whose validation loss must be ln 2: a constant
 * predictor on balanced classes) and accepts silu, and the summary's counts and saved seconds are
 * recomputed by hand.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { keyFromSeed, startEngine, takeValues } from "../src/engine/index.js";
import { parseActivation } from "../src/expr/parse.js";
import { Model } from "../src/nn/model.js";
import { defaultProbeTask, probeLayers } from "../src/search/probes.js";
import { QualityRun } from "../src/search/screening/quality-check.js";
import type { ScreeningRecord } from "../src/search/screening/screener.js";
import { Screener } from "../src/search/screening/screener.js";
import { perturbedGradientNorms, stabilityCheck } from "../src/search/screening/stability-check.js";
import { staticCheck } from "../src/search/screening/static-check.js";
import { summarizeScreening } from "../src/search/screening/summary.js";
import { activationOf, findZooEntry } from "../src/zoo/index.js";

const act = (nameOrText: string) => {
  const entry = findZooEntry(nameOrText);
  return entry ? activationOf(entry) : parseActivation(nameOrText);
};

before(async () => {
  await startEngine();
});

describe("static checks", () => {
  test("known-bad expressions are rejected with the right reason", () => {
    const cases: [string, string][] = [
      ["exp(exp(x))", "explosive"],
      ["0*x+1", "constant"],
      ["1e-5 * x + 1", "constant"],
      ["step(x)", "zero-gradient"],
      ["sign(x)", "zero-gradient"],
      ["sin(exp(exp(exp(x))))", "non-finite"],
      ["exp(x)", "explosive"],
      ["x^4", "explosive"],
      ["1 / x", "explosive"],
    ];
    for (const [text, code] of cases) {
      const r = staticCheck(parseActivation(text));
      assert.equal(r.passed, false, text);
      assert.equal(r.stage, "static");
      assert.equal(r.code, code, `${text}: ${r.reason}`);
      assert.ok(r.reason.startsWith(`${code}: `), r.reason);
      assert.ok(r.seconds >= 0);
    }
  });

  test("known-good expressions, log(x), x³ and a context-dependent one pass", () => {
    for (const name of [
      "relu",
      "silu",
      "gelu",
      "tanh",
      "log(x)",
      "x^3",
      "ash",
      "x / std(x, batch)",
    ])
      assert.equal(
        staticCheck(act(name)).passed,
        true,
        `${name}: ${staticCheck(act(name)).reason}`,
      );
  });

  test("relu's measures match hand counts on the grid of 1201 points", () => {
    const m = staticCheck(act("relu")).measures;
    assert.equal(m.valueMax, 6);
    assert.equal(m.range, 6);
    assert.equal(m.slopeMax, 1);
    // slope 0 at x ≤ 0: the points −6, −5.99, …, 0 (step(0) = 0)
    assert.equal(m.flatFraction, 601 / 1201);
    // M(6) = 6, M(3) = 3
    assert.ok(Math.abs((m.growth as number) - 1) < 1e-12);
    // x³: growth exactly 3, below the 3.5 threshold
    assert.ok(Math.abs((staticCheck(act("x^3")).measures.growth as number) - 3) < 1e-9);
  });
});

/** Gradient norm of the mean cross-entropy of the probe MLP (ReLU, 2 × 16), by hand. */
function referenceGradientNorm(): number {
  const task = defaultProbeTask();
  const model = new Model(probeLayers(act("relu"), task, 16, 2), [2], "float64");
  const state = model.init(keyFromSeed(0));
  const W = state.map((s) => [...takeValues(s.params.w!)]);
  const B = state.map((s) => [...takeValues(s.params.b!)]);
  const rows = 64;
  const dims = [2, 16, 16, 2];
  const grads = dims.slice(1).map((n, l) => ({
    w: new Array<number>((dims[l] as number) * n).fill(0),
    b: new Array<number>(n).fill(0),
  }));
  for (let r = 0; r < rows; r++) {
    const acts: number[][] = [[task.train.x[2 * r] as number, task.train.x[2 * r + 1] as number]];
    const pre: number[][] = [];
    for (let l = 0; l < 3; l++) {
      const input = acts[l] as number[];
      const n = dims[l + 1] as number;
      const z = Array.from({ length: n }, (_, j) =>
        input.reduce((s, v, i) => s + v * (W[l]![i * n + j] as number), B[l]![j] as number),
      );
      pre.push(z);
      acts.push(l < 2 ? z.map((v) => Math.max(v, 0)) : z);
    }
    const logits = acts[3] as number[];
    const max = Math.max(...logits);
    const e = logits.map((v) => Math.exp(v - max));
    const total = e.reduce((s, v) => s + v, 0);
    const label = task.train.y[r] as number;
    let delta = e.map((v, k) => (v / total - (k === label ? 1 : 0)) / rows);
    for (let l = 2; l >= 0; l--) {
      const input = acts[l] as number[];
      const n = dims[l + 1] as number;
      delta.forEach((d, j) => {
        grads[l]!.b[j]! += d;
        input.forEach((v, i) => (grads[l]!.w[i * n + j]! += v * d));
      });
      if (l > 0)
        delta = input.map((_, i) =>
          (pre[l - 1]![i] as number) > 0
            ? delta.reduce((s, d, j) => s + d * (W[l]![i * n + j] as number), 0)
            : 0,
        );
    }
  }
  return Math.sqrt(grads.reduce((s, g) => s + [...g.w, ...g.b].reduce((t, v) => t + v * v, 0), 0));
}

describe("stability check", () => {
  test("the base gradient norm matches a plain-TypeScript backward pass", () => {
    const norms = perturbedGradientNorms(act("relu"), { dtype: "float64", perturbations: 2 });
    assert.equal(norms.length, 1 + 2 + 1);
    const want = referenceGradientNorm();
    assert.ok(Math.abs((norms[0] as number) - want) <= 1e-6 * want, `${norms[0]} vs ${want}`);
    // zero-size perturbations give the base norm back
    const still = perturbedGradientNorms(act("relu"), {
      dtype: "float64",
      perturbations: 2,
      relativeSize: 0,
    });
    for (const n of still) assert.ok(Math.abs(n - want) <= 1e-6 * want);
  });

  test("known-good expressions and log(x) pass; explosive and unstable ones are rejected", () => {
    for (const name of ["relu", "silu", "gelu", "tanh", "log(x)", "ash"]) {
      const r = stabilityCheck(act(name));
      assert.equal(r.passed, true, `${name}: ${r.reason}`);
      assert.ok((r.measures.ratio as number) < 20, `${name}: ratio ${r.measures.ratio}`);
    }
    const cases: [string, string][] = [
      ["exp(exp(x))", "gradient-non-finite"],
      ["x^5", "gradient-explodes"],
      ["1 / x", "gradient-unstable"],
    ];
    for (const [text, code] of cases) {
      const r = stabilityCheck(parseActivation(text));
      assert.equal(r.passed, false, text);
      assert.equal(r.stage, "stability");
      assert.equal(r.code, code, `${text}: ${r.reason}`);
    }
  });
});

describe("quality run and the pipeline", () => {
  const quality = new QualityRun();

  test("rejects 0·x (a constant predictor: val loss ln 2) and accepts silu", async () => {
    const zero = await quality.check(parseActivation("0 * x"));
    assert.equal(zero.passed, false);
    assert.equal(zero.stage, "quality");
    assert.equal(zero.code, "worse-than-baseline");
    assert.ok(Math.abs((zero.measures.valLoss as number) - Math.log(2)) < 2e-3, zero.reason);
    const baseline = zero.measures.baselineValLoss as number;
    assert.ok(baseline < 0.3, `relu's val loss ${baseline}`);
    const silu = await quality.check(act("silu"));
    assert.equal(silu.passed, true, silu.reason);
    assert.ok((silu.measures.valLoss as number) <= 1.5 * baseline + 1e-3);
    // the baseline was trained once
    assert.equal(await quality.baselineResult(), await quality.baselineResult());
    assert.equal(silu.measures.baselineValLoss, baseline);
  });

  test("the screener stops at the first failure; the summary counts and saved time add up", async () => {
    const screener = new Screener({ quality });
    const records: ScreeningRecord[] = [
      await screener.screen(parseActivation("exp(exp(x))")),
      await screener.screen(parseActivation("step(x)")),
      await screener.screen(act("relu")),
      await screener.screen(parseActivation("30 * x^3")),
    ];
    assert.deepEqual(
      records.map((r) => [r.passed, r.rejectedAt, r.stages.map((s) => s.stage)]),
      [
        [false, "static", ["static"]],
        [false, "static", ["static"]],
        [true, undefined, ["static", "stability", "quality"]],
        [false, "stability", ["static", "stability"]],
      ],
    );
    const summary = summarizeScreening(records, 10);
    assert.equal(summary.candidates, 4);
    assert.equal(summary.passed, 1);
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(summary.perStage).map(([k, v]) => [k, [v.ran, v.rejected]]),
      ),
      { static: [4, 2], stability: [2, 1], quality: [1, 0] },
    );
    assert.deepEqual(summary.perStage.static?.codes, { explosive: 1, "zero-gradient": 1 });
    const seconds = (i: number, stage: number): number => records[i]!.stages[stage]!.seconds;
    const stabilityMean = (seconds(2, 1) + seconds(3, 1)) / 2;
    const qualityMean = seconds(2, 2);
    // two static rejections skip stability and quality, one stability rejection skips quality
    const saved = 2 * (stabilityMean + qualityMean) + qualityMean + 3 * 10;
    assert.ok(Math.abs(summary.savedSeconds - saved) < 1e-9);
  });
});
