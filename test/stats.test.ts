import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  averageRanks,
  chiSquareCdf,
  chiSquareSurvival,
  friedman,
  holm,
  holmFloor,
  improvementOverRandom,
  logGamma,
  nemenyiCriticalDifference,
  nemenyiQ,
  normalCdf,
  normalQuantile,
  pairsForHolm,
  parameterEfficiency,
  regularizedGammaP,
  regularizedGammaQ,
  regularizedIncompleteBeta,
  rocAucMacro,
  signedRankNullCounts,
  smallestTwoSidedP,
  studentizedRangeCdf,
  studentizedRangeQuantile,
  studentTCdf,
  studentTQuantile,
  summarize,
  wilcoxonSignedRank,
} from "../src/bench/stats.js";

function close(actual: number, expected: number, tolerance: number, what = ""): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what} expected ${expected} ± ${tolerance}, got ${actual} (off by ${Math.abs(actual - expected)})`,
  );
}

/** mulberry32: a small fixed pseudo-random generator, so the "random" data never change. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws by Box–Muller from the fixed generator. */
function normals(seed: number, count: number): number[] {
  const uniform = generator(seed);
  const out: number[] = [];
  while (out.length < count) {
    const u = uniform() || 1e-12;
    const v = uniform();
    out.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return out;
}

describe("special functions", () => {
  it("log-gamma matches factorials and Γ(1/2) = √π", () => {
    close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-14);
    close(logGamma(1), 0, 1e-14);
    close(logGamma(5), Math.log(24), 1e-13);
    close(logGamma(10), Math.log(362880), 1e-13);
    close(logGamma(0.1), Math.log(9.513507698668732), 1e-13); // Γ(0.1), reflection branch
    close(logGamma(100), 359.1342053695754, 1e-10); // scipy.special.gammaln(100)
  });

  it("regularized incomplete beta matches closed forms", () => {
    for (const x of [0, 0.01, 0.2, 0.5, 0.77, 0.999, 1]) {
      close(regularizedIncompleteBeta(x, 3.5, 1), x ** 3.5, 1e-13, `I_x(3.5,1) at ${x}`);
      close(regularizedIncompleteBeta(x, 1, 2.5), 1 - (1 - x) ** 2.5, 1e-13, `I_x(1,2.5) at ${x}`);
      close(regularizedIncompleteBeta(x, 2, 2), 3 * x * x - 2 * x ** 3, 1e-13, `I_x(2,2) at ${x}`);
    }
    assert.throws(() => regularizedIncompleteBeta(0.5, 0, 1), /a, b > 0/);
  });

  it("regularized incomplete gamma matches closed forms on both branches", () => {
    for (const x of [0, 0.3, 1.5, 4, 20, 60]) {
      close(regularizedGammaP(1, x), 1 - Math.exp(-x), 1e-14, `P(1,${x})`);
      close(regularizedGammaQ(1, x), Math.exp(-x), 1e-14 * Math.max(1, Math.exp(-x)), `Q(1,${x})`);
      // P(3, x) = 1 − e^{−x}(1 + x + x²/2)
      close(regularizedGammaP(3, x), 1 - Math.exp(-x) * (1 + x + (x * x) / 2), 1e-14, `P(3,${x})`);
    }
  });

  it("normal CDF and quantile agree with known values and invert each other", () => {
    close(normalCdf(0), 0.5, 1e-16);
    close(normalCdf(1.96), 0.9750021048517795, 1e-14); // scipy.stats.norm.cdf(1.96)
    close(normalCdf(-3), 0.0013498980316300946, 1e-16);
    close(normalQuantile(0.975), 1.959963984540054, 1e-12);
    close(normalQuantile(0.025), -1.959963984540054, 1e-12);
    for (const p of [1e-10, 0.001, 0.2, 0.5, 0.8, 0.999])
      close(normalCdf(normalQuantile(p)), p, 1e-12 * Math.max(p, 1e-3));
  });

  it("Student t quantiles match the printed table to 1e-3 and scipy to 1e-9", () => {
    const table: [number, number, number][] = [
      // [df, printed table t_{0.975}, scipy.stats.t.ppf(0.975, df)]
      [1, 12.7062, 12.706204736174694],
      [2, 4.3027, 4.302652729749462],
      [4, 2.7764, 2.7764451051977934],
      [9, 2.2622, 2.262157162798205],
      [29, 2.0452, 2.045229642132703],
      [Infinity, 1.96, 1.959963984540054],
    ];
    for (const [df, printed, precise] of table) {
      const q = studentTQuantile(0.975, df);
      close(q, printed, 1e-3, `t_0.975(${df})`);
      close(q, precise, 1e-9, `t_0.975(${df})`);
      close(studentTQuantile(0.025, df), -precise, 1e-9, `t_0.025(${df})`);
    }
  });

  it("Student t CDF matches the closed forms for df = 1 (Cauchy) and df = 2, and scipy", () => {
    for (const t of [-30, -2, -0.4, 0, 0.7, 3, 100]) {
      close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-13, `Cauchy at ${t}`);
      close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-13, `df=2 at ${t}`);
    }
    close(studentTCdf(2, 3), 0.9303370157205785, 1e-12); // scipy.stats.t.cdf(2, 3)
    close(studentTCdf(-1.5, 7.5), 0.08724028529323204, 1e-12); // non-integer df
    close(studentTCdf(0.3, 200), 0.617755634905336, 1e-12);
    close(studentTQuantile(1e-12, 1), -1 / Math.tan(Math.PI * 1e-12), 1e-3 * 3e11); // far tail
  });

  it("chi-square CDF matches closed forms and chi2.cdf(3.841, 1) = 0.95", () => {
    close(chiSquareCdf(3.841, 1), 0.95, 1e-4);
    close(chiSquareCdf(3.841458820694124, 1), 0.95, 1e-13);
    for (const x of [0.1, 1, 5, 12, 40]) {
      close(chiSquareCdf(x, 2), 1 - Math.exp(-x / 2), 1e-14, `k=2 at ${x}`);
      close(chiSquareCdf(x, 4), 1 - Math.exp(-x / 2) * (1 + x / 2), 1e-14, `k=4 at ${x}`);
      close(
        chiSquareSurvival(x, 2),
        Math.exp(-x / 2),
        1e-15 + 1e-12 * Math.exp(-x / 2),
        `sf k=2 at ${x}`,
      );
    }
    close(chiSquareCdf(10.5, 7), 0.8380355069205718, 1e-12); // scipy.stats.chi2.cdf(10.5, 7)
    assert.equal(chiSquareCdf(-1, 3), 0);
  });

  it("studentized range: k = 2 is the range of two normals, k ≤ 20 matches scipy", () => {
    // R = |Z1 − Z2| ~ √2 |N(0,1)|, so P(R ≤ q) = 2Φ(q/√2) − 1.
    for (const q of [0.5, 1.5, 2.77, 4])
      close(studentizedRangeCdf(q, 2), 2 * normalCdf(q / Math.SQRT2) - 1, 1e-9, `q=${q}`);
    // scipy.stats.studentized_range.ppf(0.95, k, inf) / √2
    const scipy: Record<number, number> = {
      3: 2.343700586378409,
      10: 3.163683577053373,
      11: 3.2186536073291525,
      15: 3.391230283765257,
      20: 3.5437991315177815,
    };
    for (const [k, value] of Object.entries(scipy)) {
      close(studentizedRangeQuantile(0.95, Number(k)) / Math.SQRT2, value, 1e-7, `k=${k}`);
    }
  });
});

describe("summarize", () => {
  it("gives mean, sample sd and the t interval for a hand example", () => {
    const s = summarize([1, 2, 3, 4, 5]);
    assert.equal(s.n, 5);
    close(s.mean, 3, 1e-15);
    close(s.sd, Math.sqrt(10 / 4), 1e-15); // Σ(x − 3)² = 10, divided by n − 1 = 4
    const half = (2.7764 * Math.sqrt(2.5)) / Math.sqrt(5);
    close(s.ci95[0], 3 - half, 1e-4);
    close(s.ci95[1], 3 + half, 1e-4);
  });

  it("uses t(1) = 12.7062 for two values", () => {
    const s = summarize([1, 3]);
    close(s.sd, Math.SQRT2, 1e-15);
    close(s.ci95[0], 2 - 12.7062, 1e-3);
    close(s.ci95[1], 2 + 12.7062, 1e-3);
  });

  it("collapses to [mean, mean] with sd 0 for one value, and rejects empty or non-finite input", () => {
    assert.deepEqual(summarize([0.8]), { n: 1, mean: 0.8, sd: 0, ci95: [0.8, 0.8] });
    assert.throws(() => summarize([]), /at least one value/);
    assert.throws(() => summarize([1, NaN]), /finite/);
    assert.throws(() => summarize([1, Infinity]), /finite/);
  });
});

/**
 * Brute-force reference: mid-ranks by counting, then every one of the 2^n sign assignments.
 * Returns W+ and the exact (conditional) p-values of the three alternatives.
 */
function bruteForceSignedRank(differences: number[]) {
  const d = differences.filter((x) => x !== 0);
  const abs = d.map(Math.abs);
  const ranks = abs.map((v) => {
    let less = 0;
    let equal = 0;
    for (const w of abs) {
      if (w < v) less++;
      else if (w === v) equal++;
    }
    return less + (equal + 1) / 2;
  });
  let observed = 0;
  d.forEach((x, i) => {
    if (x > 0) observed += ranks[i] as number;
  });
  let atLeast = 0;
  let atMost = 0;
  const total = 2 ** d.length;
  for (let mask = 0; mask < total; mask++) {
    let w = 0;
    for (let i = 0; i < d.length; i++) if (mask & (1 << i)) w += ranks[i] as number;
    if (w >= observed - 1e-9) atLeast++;
    if (w <= observed + 1e-9) atMost++;
  }
  const greater = atLeast / total;
  const less = atMost / total;
  return { statistic: observed, greater, less, twoSided: Math.min(1, 2 * Math.min(greater, less)) };
}

describe("Wilcoxon signed-rank test", () => {
  it("reproduces scipy's documented example: W+ = 40, exact two-sided p = 0.0390625", () => {
    const a = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
    const b = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
    const r = wilcoxonSignedRank(a, b, "two-sided");
    assert.deepEqual(r, { statistic: 40, n: 9, pValue: 0.0390625, method: "exact" });
    // Only sign patterns with W+ ≤ 5 or ≥ 40 are as extreme: 10 + 10 of 512.
    assert.equal(r.pValue, 20 / 512);
  });

  it("reproduces Darwin's corn data example (scipy docs): two-sided 0.041259765625, greater 0.0206298828125", () => {
    const d = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];
    const zeros = d.map(() => 0);
    const two = wilcoxonSignedRank(d, zeros, "two-sided");
    assert.equal(two.statistic, 96);
    assert.equal(two.pValue, 0.041259765625);
    assert.equal(wilcoxonSignedRank(d, zeros, "greater").pValue, 0.0206298828125);
    // scipy.stats.wilcoxon(d, alternative=..., method="approx", correction=True)
    close(
      wilcoxonSignedRank(d, zeros, "greater", { method: "normal" }).pValue,
      0.021886161881520587,
      1e-12,
    );
    close(
      wilcoxonSignedRank(d, zeros, "two-sided", { method: "normal" }).pValue,
      0.043772323763041174,
      1e-12,
    );
  });

  it("exact p-values equal brute-force enumeration of all 2^n sign patterns (n ≤ 12)", () => {
    const uniform = generator(7);
    for (let n = 1; n <= 12; n++) {
      for (let trial = 0; trial < 4; trial++) {
        // Distinct magnitudes (no ties) with a random sign and a random shift of the middle.
        const shift = uniform() - 0.5;
        const differences = Array.from(
          { length: n },
          (_, i) => (i + 1 + uniform() * 0.5) * (uniform() < 0.5 + shift ? 1 : -1),
        );
        const zeros = differences.map(() => 0);
        const expected = bruteForceSignedRank(differences);
        for (const [alternative, p] of [
          ["two-sided", expected.twoSided],
          ["greater", expected.greater],
          ["less", expected.less],
        ] as const) {
          const r = wilcoxonSignedRank(differences, zeros, alternative);
          assert.equal(r.method, "exact");
          assert.equal(r.n, n);
          assert.equal(r.statistic, expected.statistic);
          close(r.pValue, p, 1e-15, `n=${n} ${alternative}`);
        }
      }
    }
  });

  it("the null distribution counts sum to 2^n and are symmetric", () => {
    for (const n of [1, 5, 25]) {
      const counts = Array.from(signedRankNullCounts(n));
      assert.equal(
        counts.reduce((s, c) => s + c, 0),
        2 ** n,
      );
      assert.deepEqual(counts, [...counts].reverse());
    }
    assert.deepEqual(Array.from(signedRankNullCounts(3)), [1, 1, 1, 2, 1, 1, 1]); // subsets of {1,2,3}
  });

  it("drops zero differences and ranks ties with mid-ranks (normal approximation, matches scipy)", () => {
    const d = [1.5, -1.5, 2, 3, 3, -3, 4, 0, 5, 5, -0.5, 6];
    const zeros = d.map(() => 0);
    const expected = bruteForceSignedRank(d);
    // scipy.stats.wilcoxon(d, zero_method="wilcox", method="approx", correction=True)
    const scipy = {
      "two-sided": 0.04026318538235368,
      greater: 0.02013159269117684,
      less: 0.9838312706663525,
    };
    for (const alternative of ["two-sided", "greater", "less"] as const) {
      const r = wilcoxonSignedRank(d, zeros, alternative);
      assert.equal(r.method, "normal");
      assert.equal(r.n, 11);
      assert.equal(r.statistic, 56.5);
      assert.equal(r.statistic, expected.statistic);
      close(r.pValue, scipy[alternative], 1e-12, alternative);
    }
    // The normal approximation is close to the exact conditional (tied) distribution.
    close(wilcoxonSignedRank(d, zeros, "greater").pValue, expected.greater, 0.01);
  });

  it("normal approximation stays within 0.01 of the exact p-value at n = 25", () => {
    const uniform = generator(3);
    for (let trial = 0; trial < 12; trial++) {
      const bias = 0.2 + (trial / 11) * 0.6;
      const differences = Array.from(
        { length: 25 },
        (_, i) => (i + 1) * (uniform() < bias ? 1 : -1),
      );
      const zeros = differences.map(() => 0);
      for (const alternative of ["two-sided", "greater", "less"] as const) {
        const exact = wilcoxonSignedRank(differences, zeros, alternative);
        const normal = wilcoxonSignedRank(differences, zeros, alternative, { method: "normal" });
        assert.equal(exact.method, "exact");
        assert.equal(normal.method, "normal");
        close(normal.pValue, exact.pValue, 0.01, `trial ${trial} ${alternative}`);
      }
    }
  });

  it("switches to the normal approximation above n = 25 and for ties", () => {
    const d26 = Array.from({ length: 26 }, (_, i) => i + 1);
    assert.equal(
      wilcoxonSignedRank(
        d26,
        d26.map(() => 0),
      ).method,
      "normal",
    );
    assert.equal(wilcoxonSignedRank([1, 1, 2], [0, 0, 0]).method, "normal");
    assert.throws(
      () => wilcoxonSignedRank([1, 1, 2], [0, 0, 0], "two-sided", { method: "exact" }),
      /no ties/,
    );
  });

  it("gives p = 1 with no non-zero differences and rejects unpaired or NaN input", () => {
    assert.deepEqual(wilcoxonSignedRank([1, 2], [1, 2]), {
      statistic: 0,
      n: 0,
      pValue: 1,
      method: "exact",
    });
    assert.deepEqual(wilcoxonSignedRank([], []), {
      statistic: 0,
      n: 0,
      pValue: 1,
      method: "exact",
    });
    assert.throws(() => wilcoxonSignedRank([1, 2], [1]), /paired/);
    assert.throws(() => wilcoxonSignedRank([1, NaN], [1, 2]), /NaN/);
  });

  it("finds a planted difference of 0.5 over 10 seeds (p < 0.01) and none between equal distributions (p > 0.05)", () => {
    const base = normals(11, 10).map((z) => 0.8 + 0.05 * z);
    const noise = normals(12, 10).map((z) => 0.02 * z);
    const better = base.map((v, i) => v + 0.5 + (noise[i] as number));
    const planted = wilcoxonSignedRank(better, base, "two-sided");
    assert.ok(planted.pValue < 0.01, `planted p = ${planted.pValue}`);
    assert.ok(wilcoxonSignedRank(better, base, "greater").pValue < 0.01);
    assert.ok(wilcoxonSignedRank(better, base, "less").pValue > 0.99);

    const other = normals(13, 10).map((z) => 0.8 + 0.05 * z);
    const same = wilcoxonSignedRank(other, base, "two-sided");
    assert.ok(same.pValue > 0.05, `same-distribution p = ${same.pValue}`);
  });
});

describe("Holm adjustment", () => {
  it("adjusts a hand example, keeps the order and caps at 1", () => {
    // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → running max 0.06.
    const adjusted = holm([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((p, i) => close(adjusted[i] as number, p, 1e-15));
    assert.deepEqual(holm([0.5, 0.6]), [1, 1]);
    assert.deepEqual(holm([0.02, 0.02, 0.5]), [0.06, 0.06, 0.5]);
    assert.deepEqual(holm([0.3]), [0.3]);
    assert.deepEqual(holm([]), []);
    assert.throws(() => holm([0.1, 1.2]), /\[0, 1\]/);
  });
});

describe("Holm floor", () => {
  it("is the smallest p wilcoxonSignedRank gives, times the number of comparisons", () => {
    for (let n = 1; n <= 30; n++) {
      const zeros = new Array<number>(n).fill(0);
      // every difference of one sign, sizes distinct (no ties) or all equal (one tie group)
      const distinct = wilcoxonSignedRank(
        Array.from({ length: n }, (_, i) => i + 1),
        zeros,
      ).pValue;
      const equal = wilcoxonSignedRank(new Array<number>(n).fill(1), zeros).pValue;
      const smallest = smallestTwoSidedP(n);
      close(smallest.untied, distinct, 1e-15, `untied n = ${n}`);
      close(smallest.tied, Math.min(distinct, equal), 1e-15, `tied n = ${n}`);
      if (n <= 25) close(smallest.untied, 2 / 2 ** n, 1e-15, `2/2^${n}`);
    }
    // 6 seeds, 4 challengers: 4 · 2/2^6 = 0.125, what holm gives the best case
    assert.equal(holmFloor(6, 4).untied, 0.125);
    assert.deepEqual(holm(new Array<number>(4).fill(2 / 64)), [0.125, 0.125, 0.125, 0.125]);
    assert.equal(holmFloor(3, 4).untied, 1);
    // 8 seeds are the fewest that let 4 challengers reach p < 0.05 (4 · 2/256 = 0.031)
    assert.equal(pairsForHolm(4), 8);
    assert.ok(holmFloor(7, 4).untied >= 0.05 && holmFloor(8, 4).untied < 0.05);
    assert.equal(pairsForHolm(1), 6);
  });
});

// Demšar (2006), Table 6: AUC of C4.5, C4.5+m, C4.5+cf, C4.5+m+cf on 14 data sets.
const DEMSAR_AUC = [
  [0.763, 0.768, 0.771, 0.798],
  [0.599, 0.591, 0.59, 0.569],
  [0.954, 0.971, 0.968, 0.967],
  [0.628, 0.661, 0.654, 0.657],
  [0.882, 0.888, 0.886, 0.898],
  [0.936, 0.931, 0.916, 0.931],
  [0.661, 0.668, 0.609, 0.685],
  [0.583, 0.583, 0.563, 0.625],
  [0.775, 0.838, 0.866, 0.875],
  [1, 1, 1, 1],
  [0.94, 0.962, 0.965, 0.962],
  [0.619, 0.666, 0.614, 0.669],
  [0.972, 0.981, 0.975, 0.975],
  [0.957, 0.978, 0.946, 0.97],
];
// The same table ranked by hand, row by row (1 = highest AUC, ties share the mean rank).
const DEMSAR_RANKS_BY_HAND = [
  [4, 3, 2, 1],
  [1, 2, 3, 4],
  [4, 1, 2, 3],
  [4, 1, 3, 2],
  [4, 2, 3, 1],
  [1, 2.5, 4, 2.5],
  [3, 2, 4, 1],
  [2.5, 2.5, 4, 1],
  [4, 3, 2, 1],
  [2.5, 2.5, 2.5, 2.5],
  [4, 2.5, 1, 2.5],
  [3, 2, 4, 1],
  [4, 1, 2.5, 2.5],
  [3, 1, 4, 2],
];

describe("ranks, Friedman and Nemenyi", () => {
  it("averages ranks with ties by hand", () => {
    // Task 1: 0.9 best; 0.8 and 0.8 tie for ranks 2–3 → 2.5. Task 2: all tie → 2 each.
    // Task 3 (lower is better would flip): 0.1 < 0.5 < 0.7 with higher better → ranks 3, 2, 1.
    const scores = [
      [0.9, 0.8, 0.8],
      [0.5, 0.5, 0.5],
      [0.1, 0.5, 0.7],
    ];
    const higher = averageRanks(scores, true);
    [(1 + 2 + 3) / 3, (2.5 + 2 + 2) / 3, (2.5 + 2 + 1) / 3].forEach((r, i) =>
      close(higher[i] as number, r, 1e-15),
    );
    const lower = averageRanks(scores, false);
    [(3 + 2 + 1) / 3, (1.5 + 2 + 2) / 3, (1.5 + 2 + 3) / 3].forEach((r, i) =>
      close(lower[i] as number, r, 1e-15),
    );
    assert.deepEqual(averageRanks([[0, Infinity, -Infinity]], true), [2, 1, 3]);
    assert.throws(() => averageRanks([[1, 2], [1]], true), /task 1 has 1 scores/);
    assert.throws(() => averageRanks([], true), /at least one task/);
    assert.throws(() => averageRanks([[1, NaN]], true), /NaN/);
  });

  it("ranks Demšar's Table 6 as done by hand", () => {
    const expected = [0, 1, 2, 3].map(
      (j) => DEMSAR_RANKS_BY_HAND.reduce((s, row) => s + (row[j] as number), 0) / 14,
    );
    // 44/14, 28/14, 41/14, 27/14. (The paper prints 2.893 and 1.964 for the last two, which
    // its own table does not give; two independent transcriptions of the table agree with ours.)
    assert.deepEqual(
      expected.map((r) => r * 14),
      [44, 28, 41, 27],
    );
    const ranks = averageRanks(DEMSAR_AUC, true);
    expected.forEach((r, j) => close(ranks[j] as number, r, 1e-12));
  });

  it("computes the Friedman statistic of Demšar's example by hand, with and without tie correction", () => {
    const R = [44 / 14, 28 / 14, 41 / 14, 27 / 14];
    const N = 14;
    const k = 4;
    const plain =
      ((12 * N) / (k * (k + 1))) * (R.reduce((s, r) => s + r * r, 0) - (k * (k + 1) ** 2) / 4);
    // Ties: four pairs (rows 6, 8, 11, 13) and one group of four (row 10): Σ(t³ − t) = 4·6 + 60.
    const correction = 1 - (4 * 6 + 60) / (N * (k ** 3 - k));
    const uncorrected = friedman(DEMSAR_AUC, true, { tieCorrection: false });
    close(uncorrected.statistic, plain, 1e-12);
    close(uncorrected.statistic, 9.857142857142824, 1e-9);
    assert.equal(uncorrected.df, 3);
    const corrected = friedman(DEMSAR_AUC, true);
    close(corrected.statistic, plain / correction, 1e-12);
    close(corrected.statistic, 10.952380952380956, 1e-9); // scipy.stats.friedmanchisquare
    close(corrected.pValue, 0.011986176325417788, 1e-12); // scipy's p-value
    // χ² with 3 df: survival = 2(1 − Φ(√x)) + √(2x/π)·e^{−x/2}
    const x = uncorrected.statistic;
    close(
      uncorrected.pValue,
      2 * (1 - normalCdf(Math.sqrt(x))) + Math.sqrt((2 * x) / Math.PI) * Math.exp(-x / 2),
      1e-12,
    );
    // The direction of "better" does not change the statistic.
    close(friedman(DEMSAR_AUC, false).statistic, corrected.statistic, 1e-12);
  });

  it("Friedman on a hand example without ties, and degenerate tables", () => {
    // 3 tasks, candidate A always best, C always worst: R = (1, 2, 3), χ² = 12·3/(3·4)·(14 − 12) = 6.
    const r = friedman(
      [
        [0.9, 0.8, 0.7],
        [0.6, 0.5, 0.4],
        [0.99, 0.98, 0.97],
      ],
      true,
    );
    close(r.statistic, 6, 1e-12);
    assert.equal(r.df, 2);
    close(r.pValue, Math.exp(-3), 1e-14); // χ²(2) survival = e^{−x/2}
    assert.deepEqual(
      friedman(
        [
          [1, 1],
          [2, 2],
        ],
        true,
      ),
      { statistic: 0, df: 1, pValue: 1 },
    );
    assert.throws(() => friedman([[1, 2]], true), /at least 2 tasks/);
    assert.throws(() => friedman([[1], [2]], true), /at least 2 candidates/);
  });

  it("Nemenyi critical difference from Demšar's Table 5 by hand", () => {
    close(nemenyiCriticalDifference(4, 10), 2.569 * Math.sqrt((4 * 5) / (6 * 10)), 1e-12);
    close(nemenyiCriticalDifference(4, 14), 1.25, 5e-3); // Demšar's worked example: CD = 1.25
    close(nemenyiCriticalDifference(4, 14, 0.1), 1.12, 5e-3); // and 1.12 at α = 0.10
    close(nemenyiCriticalDifference(2, 5), 1.96 * Math.sqrt((2 * 3) / (6 * 5)), 1e-12);
    close(nemenyiCriticalDifference(10, 20), 3.164 * Math.sqrt((10 * 11) / (6 * 20)), 1e-12);
    assert.throws(() => nemenyiCriticalDifference(1, 10), /k ≥ 2/);
    assert.throws(() => nemenyiCriticalDifference(3, 0), /tasks ≥ 1/);
    assert.throws(() => nemenyiCriticalDifference(3, 5, 1.5), /alpha/);
  });

  it("computed q_α agrees with Demšar's table for k ≤ 10 and extends it beyond", () => {
    const table05 = [1.96, 2.343, 2.569, 2.728, 2.85, 2.949, 3.031, 3.102, 3.164];
    const table10 = [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.78, 2.855, 2.92];
    for (let k = 2; k <= 10; k++) {
      assert.equal(nemenyiQ(k), table05[k - 2]);
      close(
        studentizedRangeQuantile(0.95, k) / Math.SQRT2,
        table05[k - 2] as number,
        1e-3,
        `α=0.05 k=${k}`,
      );
      close(
        studentizedRangeQuantile(0.9, k) / Math.SQRT2,
        table10[k - 2] as number,
        1e-3,
        `α=0.10 k=${k}`,
      );
    }
    // Beyond the table: q/√2 from scipy.stats.studentized_range.ppf(0.95, k, inf) / √2.
    close(nemenyiQ(12), 3.268003924466142, 1e-7);
    close(
      nemenyiCriticalDifference(12, 8),
      3.268003924466142 * Math.sqrt((12 * 13) / (6 * 8)),
      1e-6,
    );
    // Printed studentized range tables (df = ∞, α = 0.05) give q = 5.01 for k = 20.
    close(nemenyiQ(20) * Math.SQRT2, 5.01, 0.006);
  });
});

/** Brute-force AUC: over every positive/negative pair, 1 if the positive scores higher, ½ if equal. */
function bruteForceAuc(column: number[], positive: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  column.forEach((sp, i) => {
    if (!positive[i]) return;
    column.forEach((sn, j) => {
      if (positive[j]) return;
      pairs++;
      if (sp > sn) wins += 1;
      else if (sp === sn) wins += 0.5;
    });
  });
  return wins / pairs;
}

function bruteForceMacroAuc(probabilities: number[][], labels: number[], classes: number): number {
  const aucs: number[] = [];
  for (let c = classes === 2 ? 1 : 0; c < classes; c++) {
    const positive = labels.map((y) => y === c);
    if (!positive.includes(true) || !positive.includes(false)) continue;
    aucs.push(
      bruteForceAuc(
        probabilities.map((row) => row[c] as number),
        positive,
      ),
    );
  }
  return aucs.reduce((s, a) => s + a, 0) / aucs.length;
}

describe("macro one-vs-rest ROC AUC", () => {
  it("equals a brute-force pair count with tied scores", () => {
    const uniform = generator(21);
    const rows = 80;
    const classes = 4;
    // Coarse scores (multiples of 0.1) make many ties within each column.
    const table = Array.from({ length: rows }, () =>
      Array.from({ length: classes }, () => Math.round(uniform() * 10) / 10),
    );
    const labels = Array.from({ length: rows }, () => Math.floor(uniform() * classes));
    const auc = rocAucMacro(Float64Array.from(table.flat()), labels, classes, {
      scores: "probabilities",
    });
    close(auc, bruteForceMacroAuc(table, labels, classes), 1e-12);
  });

  it("ranks logits by their softmax probability (auto-detected) and probabilities as given", () => {
    const z = normals(5, 50 * 3);
    const labels = Array.from({ length: 50 }, (_, r) => r % 3);
    const logits = Array.from({ length: 50 }, (_, r) =>
      [0, 1, 2].map((c) => (z[r * 3 + c] as number) + (c === labels[r] ? 0.7 : 0)),
    );
    const softmax = logits.map((row) => {
      const e = row.map(Math.exp);
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
    const expected = bruteForceMacroAuc(softmax, labels, 3);
    close(rocAucMacro(Float64Array.from(logits.flat()), labels, 3), expected, 1e-12);
    close(rocAucMacro(Float64Array.from(softmax.flat()), labels, 3), expected, 1e-12);
    // Ranking raw logit columns is a different (wrong) quantity in the multiclass case.
    const rawColumns = bruteForceMacroAuc(logits, labels, 3);
    assert.ok(Math.abs(rawColumns - expected) > 1e-6, "this example must tell the two apart");
  });

  it("is 1 for perfect separation, 0 when reversed, and uses class 1 in the binary case", () => {
    const labels = [0, 1, 2, 0, 1, 2];
    const perfect = labels.flatMap((y) => [0, 1, 2].map((c) => (c === y ? 0.8 : 0.1)));
    assert.equal(rocAucMacro(Float64Array.from(perfect), labels, 3), 1);
    const reversed = labels.flatMap((y) => [0, 1, 2].map((c) => (c === y ? 0.1 : 0.45)));
    assert.equal(rocAucMacro(Float64Array.from(reversed), labels, 3), 0);

    const binaryLabels = [0, 0, 1, 1, 1];
    const p1 = [0.1, 0.6, 0.4, 0.6, 0.9]; // pairs: (0.4 vs 0.1 win, vs 0.6 loss), (0.6: win, tie), (0.9: 2 wins)
    const binary = p1.flatMap((p) => [1 - p, p]);
    close(
      rocAucMacro(Float64Array.from(binary), binaryLabels, 2),
      (1 + 0 + 1 + 0.5 + 2) / 6,
      1e-15,
    );
  });

  it("skips classes absent from the labels and rejects bad input", () => {
    const labels = [0, 1, 0, 1];
    const table = [
      [0.7, 0.2, 0.1],
      [0.3, 0.5, 0.2],
      [0.4, 0.4, 0.2],
      [0.6, 0.3, 0.1],
    ];
    const auc = rocAucMacro(Float64Array.from(table.flat()), labels, 3);
    const class0 = bruteForceAuc(
      table.map((r) => r[0] as number),
      labels.map((y) => y === 0),
    );
    const class1 = bruteForceAuc(
      table.map((r) => r[1] as number),
      labels.map((y) => y === 1),
    );
    close(auc, (class0 + class1) / 2, 1e-15);
    assert.throws(() => rocAucMacro(new Float64Array(6), [0, 0, 0], 2), /two different classes/);
    assert.throws(() => rocAucMacro(new Float64Array(5), [0, 1, 0], 2), /rows × classes/);
    assert.throws(() => rocAucMacro(new Float64Array(6), [0, 2, 0], 2), /label 2/);
    assert.throws(() => rocAucMacro(Float64Array.from([0, 1, NaN, 1]), [0, 1], 2), /not finite/);
    assert.throws(() => rocAucMacro(new Float64Array(3), [0, 1, 0], 1), /classes ≥ 2/);
  });
});

describe("relative scores", () => {
  it("improvement over the pool mean is positive when better, for both directions", () => {
    close(improvementOverRandom(0.9, 0.8, true), 12.5, 1e-12); // 100·(0.9 − 0.8)/0.8
    close(improvementOverRandom(0.7, 0.8, true), -12.5, 1e-12);
    close(improvementOverRandom(0.08, 0.1, false), 20, 1e-12); // 100·(0.1 − 0.08)/0.1
    close(improvementOverRandom(0.12, 0.1, false), -20, 1e-12);
    close(improvementOverRandom(-1, -2, true), 50, 1e-12); // |m_r| keeps "positive = better"
    assert.throws(() => improvementOverRandom(0.5, 0, true), /pool mean is 0/);
    assert.throws(() => improvementOverRandom(NaN, 0.5, true), /finite/);
  });

  it("parameter efficiency is AUC per decade of parameters", () => {
    close(parameterEfficiency(0.9, 1000), 0.3, 1e-15);
    close(parameterEfficiency(0.75, 10 ** 5), 0.15, 1e-15);
    assert.throws(() => parameterEfficiency(0.9, 1), /params > 1/);
    assert.throws(() => parameterEfficiency(0.9, 0), /params > 1/);
    assert.throws(() => parameterEfficiency(NaN, 100), /finite auc/);
  });
});
