/**
 * Zero-cost proxies and Kendall's τ. Kernel moments of relu and tanh against closed forms and an
 * independent Simpson integration written here; the Monte Carlo path (for activations with
 * statistics) against the quadrature on relu and against the exact χ = (W − 1)/W of x − mean(x);
 * gradient SNR and the feature spectrum finite and deterministic; the identity's hidden features
 * (an affine map of 2-D inputs) have effective rank ≤ 2, tanh's more; the spectrum helpers against
 * hand values; τ-b against hand examples (scipy's documented example with ties) and a brute-force
 * count over ordered pairs.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { Rng } from "../src/data/rng.js";
import { startEngine } from "../src/engine/index.js";
import { parseActivation } from "../src/expr/parse.js";
import {
  centredSingularValues,
  featureSpectrum,
  gradientSignalToNoise,
  kernelProxies,
  spectrumOf,
  symmetricEigenvalues,
  zeroCostProxies,
} from "../src/search/proxies.js";
import { kendallTau } from "../src/search/rank-correlation.js";
import { activationOf, findZooEntry } from "../src/zoo/index.js";

const act = (nameOrText: string) => {
  const entry = findZooEntry(nameOrText);
  return entry ? activationOf(entry) : parseActivation(nameOrText);
};

/** E[g(z)], z ~ N(0, 1), composite Simpson on [−12, 12] with 24000 intervals. */
function simpsonGaussian(g: (z: number) => number): number {
  const n = 24000;
  const h = 24 / n;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const z = -12 + i * h;
    const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
    sum += w * g(z) * Math.exp(-0.5 * z * z);
  }
  return (sum * h) / 3 / Math.sqrt(2 * Math.PI);
}

before(async () => {
  await startEngine();
});

describe("kernel proxies", () => {
  test("relu: E[φ] = 1/√(2π), E[φ²] = 1/2, χ = E[step²] = 1/2, χ₁ = 1 (critical)", () => {
    const k = kernelProxies(act("relu"));
    assert.ok(Math.abs(k.mean - 1 / Math.sqrt(2 * Math.PI)) < 1e-6, `${k.mean}`);
    assert.ok(Math.abs(k.meanSquare - 0.5) < 1e-6, `${k.meanSquare}`);
    assert.ok(Math.abs(k.chi - 0.5) < 1e-6, `${k.chi}`);
    assert.ok(Math.abs(k.chiAtUnitFixedPoint - 1) < 1e-5);
  });

  test("tanh: E[tanh²] and E[(1 − tanh²)²] against Simpson integration", () => {
    const k = kernelProxies(act("tanh"));
    const meanSquare = simpsonGaussian((z) => Math.tanh(z) ** 2);
    const chi = simpsonGaussian((z) => (1 - Math.tanh(z) ** 2) ** 2);
    assert.ok(Math.abs(k.meanSquare - meanSquare) < 1e-6, `${k.meanSquare} vs ${meanSquare}`);
    assert.ok(Math.abs(k.chi - chi) < 1e-6, `${k.chi} vs ${chi}`);
    assert.ok(Math.abs(k.mean) < 1e-9);
    // χ₁ > 1: tanh at σ_w² = 1/E[tanh²] is on the chaotic side
    assert.ok(k.chiAtUnitFixedPoint > 1.1);
  });

  test("Monte Carlo (the path for statistics) agrees with quadrature and with exact χ", () => {
    const mc = kernelProxies(act("relu"), { monteCarlo: true });
    assert.ok(Math.abs(mc.meanSquare - 0.5) < 0.03 * 0.5, `${mc.meanSquare}`);
    assert.ok(Math.abs(mc.chi - 0.5) < 0.03 * 0.5, `${mc.chi}`);
    // x − mean(x) over W = 64 features: J = I − 11ᵀ/W, ‖Jᵀu‖²/W has mean (W − 1)/W,
    // and E[(z − z̄)²] = (W − 1)/W as well
    const centred = kernelProxies(parseActivation("x - mean(x)"));
    assert.ok(Math.abs(centred.chi - 63 / 64) < 0.02, `${centred.chi}`);
    assert.ok(Math.abs(centred.meanSquare - 63 / 64) < 0.03, `${centred.meanSquare}`);
    assert.deepEqual(kernelProxies(parseActivation("x - mean(x)")), centred);
  });
});

describe("gradient signal-to-noise and feature spectrum", () => {
  test("gradient SNR is finite, deterministic and 0 for a network with dead hidden units", () => {
    const relu = gradientSignalToNoise(act("relu"));
    assert.ok(Number.isFinite(relu) && relu > 0);
    assert.equal(gradientSignalToNoise(act("relu")), relu);
    const tanh = gradientSignalToNoise(act("tanh"));
    assert.ok(Number.isFinite(tanh) && tanh !== relu);
    // 0·x: only the head's bias has a gradient, and its mean over the 8 batches (which
    // partition the balanced training set) is 0
    assert.ok(gradientSignalToNoise(parseActivation("0 * x")) < 1e-3);
    assert.throws(
      () => gradientSignalToNoise(act("relu"), { batches: 9 }),
      /need 288 training rows/,
    );
  });

  test("identity features have rank ≤ 2 (2-D inputs); tanh's are richer; deterministic", () => {
    const identity = featureSpectrum(parseActivation("0*x+x"));
    assert.equal(identity.layers.length, 2);
    for (const layer of identity.layers) {
      assert.equal(layer.singularValues.length, 32);
      assert.ok(
        layer.singularValues.slice(2).every((s) => s === 0),
        `${layer.singularValues}`,
      );
      assert.ok(layer.effectiveRank <= 2 + 1e-12 && layer.effectiveRank > 1);
    }
    const tanh = featureSpectrum(act("tanh"));
    assert.ok(tanh.effectiveRank > identity.effectiveRank + 0.5, `${tanh.effectiveRank}`);
    assert.deepEqual(featureSpectrum(act("tanh")), tanh);
    const all = zeroCostProxies(act("silu"));
    for (const [name, value] of Object.entries(all.values))
      assert.ok(Number.isFinite(value), `${name} = ${value}`);
    for (const seconds of Object.values(all.seconds)) assert.ok(seconds >= 0);
  });

  test("spectrum helpers against hand values", () => {
    assert.deepEqual(
      symmetricEigenvalues(Float64Array.from([2, 1, 1, 2]), 2)
        .map((v) => Math.round(v * 1e12) / 1e12)
        .sort(),
      [1, 3],
    );
    // [[4, 1, 0], [1, 4, 1], [0, 1, 4]]: eigenvalues 4 − √2, 4, 4 + √2
    const eig = symmetricEigenvalues(Float64Array.from([4, 1, 0, 1, 4, 1, 0, 1, 4]), 3).sort(
      (a, b) => a - b,
    );
    [4 - Math.SQRT2, 4, 4 + Math.SQRT2].forEach((want, i) =>
      assert.ok(Math.abs((eig[i] as number) - want) < 1e-12),
    );
    // columns (1, −1, 1, −1) and (2, 2, −2, −2) are centred and orthogonal: σ = 2 and 4
    const sv = centredSingularValues(Float64Array.from([1, 2, -1, 2, 1, -2, -1, -2]), 4, 2);
    assert.ok(Math.abs((sv[0] as number) - 4) < 1e-12 && Math.abs((sv[1] as number) - 2) < 1e-12);
    assert.ok(Math.abs(spectrumOf([1, 1]).effectiveRank - 2) < 1e-12);
    assert.ok(Math.abs(spectrumOf([1, 1]).entropy - Math.LN2) < 1e-15);
    assert.equal(spectrumOf([3, 0, 0]).effectiveRank, 1);
    assert.ok(Math.abs(spectrumOf([2, 2, 2, 2]).effectiveRank - 4) < 1e-12);
    assert.equal(spectrumOf([0, 0]).effectiveRank, 0);
  });
});

describe("kendallTau (τ-b)", () => {
  test("hand examples, with and without ties", () => {
    assert.equal(kendallTau([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]), 1);
    assert.equal(kendallTau([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]), -1);
    // one discordant pair of six: (5 − 1)/6
    assert.ok(Math.abs(kendallTau([1, 2, 3, 4], [1, 3, 2, 4]) - 4 / 6) < 1e-15);
    // scipy.stats.kendalltau's documented example: τ = −0.47140452079103173
    assert.ok(
      Math.abs(kendallTau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]) - -0.47140452079103173) < 1e-15,
    );
    // ties: a = [1, 1, 2], b = [1, 2, 3]: n_c = 2, n_d = 0, n₀ = 3, n₁ = 1, n₂ = 0 → 2/√6
    assert.ok(Math.abs(kendallTau([1, 1, 2], [1, 2, 3]) - 2 / Math.sqrt(6)) < 1e-15);
    assert.ok(Number.isNaN(kendallTau([3, 3, 3], [1, 2, 3])));
    assert.throws(() => kendallTau([1, 2], [1]), /different lengths/);
    assert.throws(() => kendallTau([1, NaN], [1, 2]), /NaN/);
  });

  test("equals a brute-force count over ordered pairs on random lists with ties", () => {
    const rng = new Rng(17);
    for (let trial = 0; trial < 20; trial++) {
      const n = 5 + rng.integerBelow(40);
      const a = Array.from({ length: n }, () => rng.integerBelow(6));
      const b = Array.from({ length: n }, () => rng.integerBelow(6));
      let numerator = 0;
      let untiedA = 0;
      let untiedB = 0;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          if (i === j) continue;
          const sa = Math.sign(a[i]! - a[j]!);
          const sb = Math.sign(b[i]! - b[j]!);
          numerator += sa * sb;
          untiedA += sa * sa;
          untiedB += sb * sb;
        }
      const want = numerator / Math.sqrt(untiedA * untiedB);
      assert.ok(Math.abs(kendallTau(a, b) - want) < 1e-12, `n = ${n}`);
    }
  });
});
