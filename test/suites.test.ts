/**
 * The formula suites of the built-in catalog (src/data/suites): every target checked at
 * hand-picked points against values computed independently (mpmath at 40 digits, closed forms,
 * or Python evaluating FeynmanEquations.csv's own formula text), plus the sampling contract.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CatalogEntry } from "../src/data/catalog-entry.js";
import { formulaTask, sampledTask } from "../src/data/formula.js";
import { allKanCantor } from "../src/data/suites/all-kan.js";
import { besselJ0 } from "../src/data/suites/bessel.js";
import {
  ALL_KAN_TARGETS,
  FEYNMAN_TARGETS,
  FORMULA_SUITES,
  FORMULA_TARGETS,
  RELU_KAN_TARGETS,
  TOY_TARGETS,
} from "../src/data/suites/index.js";
import type { PointTarget } from "../src/data/suites/index.js";
import { DataError } from "../src/data/task.js";
import type { Task, TaskSplit } from "../src/data/task.js";

function errorOf(run: () => unknown): DataError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DataError, `expected DataError, got ${String(error)}`);
    return error;
  }
  assert.fail("no error was thrown");
}

const entry = (name: string): CatalogEntry => {
  const found = FORMULA_SUITES.find((e) => e.name === name);
  assert.ok(found, `no entry ${name}`);
  return found;
};
const target = (name: string): PointTarget => {
  const found = FORMULA_TARGETS.find((t) => t.name === name);
  assert.ok(found, `no target ${name}`);
  return found;
};

function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)),
    `${what}: got ${actual}, expected ${expected}`,
  );
}

const rowOf = (split: TaskSplit, d: number, r: number): number[] =>
  Array.from(split.x.subarray(r * d, (r + 1) * d));

describe("formula suites: the catalog entries", () => {
  it("has unique names with the family's prefix, regression ranked by RMSE", () => {
    const names = FORMULA_SUITES.map((e) => e.name);
    assert.equal(new Set(names).size, names.length);
    const prefixes: Record<string, string> = {
      toy: "function-fitting",
      "relu-kan": "function-fitting",
      fit: "function-fitting",
      feynman: "feynman",
    };
    for (const e of FORMULA_SUITES) {
      const prefix = e.name.split("/")[0] as string;
      assert.equal(e.family, prefixes[prefix], `${e.name}: family`);
      assert.match(e.name, /^[a-z-]+\/[A-Za-z0-9.-]+$/);
      assert.equal(e.kind, "regression");
      assert.equal(e.metric, "rmse");
      assert.equal(e.outputs, 1);
      assert.equal(typeof e.description, "string");
    }
  });

  it("has 5 KAN toys, 6 ReLU-KAN targets, 14 All-KAN targets and 100 Feynman equations", () => {
    assert.equal(TOY_TARGETS.length, 5);
    assert.equal(RELU_KAN_TARGETS.length, 6);
    assert.equal(ALL_KAN_TARGETS.length, 14);
    assert.equal(FEYNMAN_TARGETS.length, 100);
    assert.equal(FORMULA_SUITES.length, 125);
    assert.equal(FORMULA_SUITES.filter((e) => e.name.startsWith("feynman/")).length, 100);
  });

  it("describes each target by its formula and ranges", () => {
    assert.equal(
      entry("feynman/I.6.2").description,
      "f = exp(-(theta/sigma)**2/2)/(sqrt(2*pi)*sigma); sigma ∈ [1, 3], theta ∈ [1, 3]",
    );
    assert.equal(
      entry("toy/exp-mean-sin2-100d").description,
      "y = exp((1/100) * sum_{i=1..100} sin(pi*xi/2)^2); x1…x100 ∈ [-1, 1]",
    );
    assert.deepEqual(entry("toy/exp-mean-sin2-100d").inputShape, [100]);
    assert.deepEqual(entry("feynman/I.9.18").inputShape, [9]);
  });
});

describe("formula suites: Bessel J0", () => {
  it("matches tabulated values (mpmath, 40 digits) to 1e-14", () => {
    const table: [number, number][] = [
      [0, 1],
      [1, 0.7651976865579666],
      [5, -0.1775967713143383],
      [10, -0.2459357644513483],
      [18, -0.01335580572198411],
      [37.3, 0.04881195736326009],
      [100, 0.019985850304223122],
      [-7.5, 0.2663396578803784],
    ];
    for (const [x, expected] of table) {
      assert.ok(Math.abs(besselJ0(x) - expected) < 1e-14, `J0(${x}) = ${besselJ0(x)}`);
    }
  });

  it("vanishes at its first root 2.404825557695773", () => {
    assert.ok(Math.abs(besselJ0(2.404825557695773)) < 1e-15);
    assert.ok(Math.abs(target("toy/bessel-j0").f(2.404825557695773 / 20)) < 1e-15);
  });
});

/**
 * A value at a hand-picked point for every toy, ReLU-KAN and All-KAN target. Closed forms where
 * the point makes one (e.g. Takagi(1/3) = 2/3, Weierstrass at 1/5 and 1/3), else mpmath.
 */
const FITTING_VALUES: Record<string, [number[], number][]> = {
  "toy/bessel-j0": [
    [[0.05], 0.7651976865579666],
    [[-0.9], -0.01335580572198411],
  ],
  "toy/exp-sin": [
    [[0.5, 0], Math.E],
    [[0.3, -0.7], 3.665691500595026],
  ],
  "toy/xy": [[[0.3, -0.7], -0.21]],
  "toy/exp-mean-sin2-100d": [
    [Array.from({ length: 100 }, () => 1), Math.E],
    [Array.from({ length: 100 }, (_, i) => (i + 1) / 100 - 0.5), 1.19927390463138],
  ],
  "toy/exp-sin-sq-4d": [
    [[0.5, 0.5, 0.5, -0.5], Math.E],
    [[0.1, 0.2, 0.3, 0.4], 1.539981838406384],
  ],
  "relu-kan/sin-pi-x": [[[0.25], Math.SQRT1_2]],
  "relu-kan/quadratic": [[[0.3], 1.39]],
  "relu-kan/sin-5pi-x-plus-x": [
    [[0.3], -0.7],
    [[0.37], -0.0839904997395468],
  ],
  "relu-kan/sin-pi-sum-2d": [
    [[0.2, 0.3], 1],
    [[0.15, 0.6], Math.SQRT1_2],
  ],
  "relu-kan/exp-sin-2d": [
    [[0.5, 0.5], Math.exp(1.25)],
    [[0.15, 0.6], 2.256896184685334],
  ],
  "relu-kan/exp-sin-sq-4d": [
    [[0.5, 0.5, 0.5, 0.5], Math.exp(2)],
    [[0.1, 0.2, 0.3, 0.4], 2.3715440626215063],
  ],
  "fit/localized-oscillation": [[[0.3], -0.41008385533814673]],
  "fit/warped-oscillation": [[[0.3], -0.2796069361821922]],
  "fit/anisotropic-2d": [[[0.3, -0.7], 0.7133980207171762]],
  "fit/localized-interaction-3d": [[[0.3, -0.7, 0.2], 0.13050288431331092]],
  "fit/coupled-4d": [[[0.3, -0.7, 0.2, 0.9], 0.06442157352601924]],
  "fit/kink-oscillation": [[[0.3], 0.09270509831248423]],
  // cos(5^n π/5) = −1 for n ≥ 1; cos(5^n π 0.3) = 0 for n ≥ 1
  "fit/weierstrass-1d": [
    [[0], 2 * (1 - 0.5 ** 10)],
    [[0.2], Math.cos(Math.PI / 5) - (1 - 0.5 ** 9)],
    [[0.3], 0.5877852522924731],
  ],
  // Takagi(1/3) = 2/3 (the binary digits of 1/3 alternate), 20 terms: (2/3)(1 − 2^−20)
  "fit/takagi-1d": [
    [[1 / 3], (2 / 3) * (1 - 2 ** -20)],
    [[0.3], 0.6333328247070312],
  ],
  // 3/4 = 0.202020…₃ exactly (each step is exact in binary); 0.3's 20 digits by exact rationals
  "fit/cantor-1d": [
    [[0.75], (2 / 3) * (1 - 4 ** -10)],
    [[0.3], 209715 / 524288],
  ],
  // at 1/2 only odd n count, each sin((4k+1)π/2)/n² = 1/n²
  "fit/riemann-1d": [
    [[0.5], 1.2212031520286797],
    [[0.3], 0.799441354818684],
  ],
  // x2 = 0 and cos(3^n π/3) = −1 for n ≥ 1: 1/2 − (1/2 + 1/4 + 1/8 + 1/16)
  "fit/weierstrass-2d": [
    [[0, 0], 1.9375],
    [[1 / 3, 0], -0.4375],
    [[0.3, -0.7], -1.018775408183612],
  ],
  // sin(2^i π/4) is √2/2, 1, 0, 0, …; cos(2^i π/3) is 1/2, −1/2, −1/2, …
  "fit/fbm-2d": [
    [[0.25, 1 / 3], Math.SQRT2 / 4 - 0.25],
    [[0.3, -0.7], -0.5057605891168147],
  ],
  "fit/takagi-2d": [
    [[1 / 3, -1 / 3], (4 / 3) * (1 - 2 ** -20)],
    [[0.3, -0.7], 1.2666656494140625],
  ],
  // at (1/2, 1/2): (−1/4)² for n = 0, (1/4)²/4^n after: (1/12)(1 − 4^−12)
  "fit/kiesswetter-2d": [
    [[0.5, 0.5], (1 / 12) * (1 - 4 ** -12)],
    [[0.3, -0.7], 0.003333333134651184],
  ],
};

describe("formula suites: function-fitting targets", () => {
  it("every toy, ReLU-KAN and All-KAN target equals independently computed values", () => {
    const fitting = [...TOY_TARGETS, ...RELU_KAN_TARGETS, ...ALL_KAN_TARGETS];
    assert.deepEqual(fitting.map((t) => t.name).sort(), Object.keys(FITTING_VALUES).sort());
    for (const t of fitting) {
      for (const [point, expected] of FITTING_VALUES[t.name] ?? []) {
        assert.equal(point.length, t.variables.length, `${t.name}: point size`);
        assertClose(
          t.f(...point),
          expected,
          1e-11,
          `${t.name} at (${point.slice(0, 4).join(", ")})`,
        );
      }
    }
  });

  it("keeps All-KAN's Cantor variant, which jumps at x = 1/3", () => {
    assert.ok(allKanCantor(1 / 3 - 1e-9, 20) > 0.49);
    assert.ok(allKanCantor(1 / 3 + 1e-9, 20) < 0.01);
  });

  it("declares the papers' boxes: KAN toys on [-1, 1], ReLU-KAN on [0, 1], All-KAN 1-D on [0, 1]", () => {
    const boxes = (targets: readonly PointTarget[]): Set<string> =>
      new Set(targets.flatMap((t) => t.variables.map((v) => `${v.low},${v.high}`)));
    assert.deepEqual(boxes(TOY_TARGETS), new Set(["-1,1"]));
    assert.deepEqual(boxes(RELU_KAN_TARGETS), new Set(["0,1"]));
    for (const t of ALL_KAN_TARGETS) {
      const expected = t.variables.length === 1 ? "0,1" : "-1,1";
      assert.deepEqual(boxes([t]), new Set([expected]), t.name);
    }
  });
});

/** At variable j of n: low + (high − low)(0.15 + 0.7 frac(0.618… j)), distinct per variable. */
const spreadPoint = (t: PointTarget): number[] =>
  t.variables.map(
    (v, j) => v.low + (v.high - v.low) * (0.15 + 0.7 * ((j * 0.6180339887498949) % 1)),
  );

/** Python 3 evaluating each row's formula text of FeynmanEquations.csv at spreadPoint (math module). */
const CSV_AT_SPREAD_POINT: Record<string, number> = {
  "I.6.2a": 0.17136859204780736,
  "I.6.2": 0.07666017425628771,
  "I.6.2b": 0.2819835928251163,
  "I.8.14": 2.447289736913398,
  "I.9.18": 0.2380838053177473,
  "I.10.7": 1.679462594245443,
  "I.11.19": 20.3064493054152,
  "I.12.1": 5.328792269599529,
  "I.12.2": 0.01177202314436166,
  "I.12.4": 0.007478317473931412,
  "I.12.5": 5.328792269599529,
  "I.12.11": 8.474458794348484,
  "I.13.4": 25.70898552961131,
  "I.13.12": -2.985679994125242,
  "I.14.3": 12.048347829441699,
  "I.14.4": 8.873758453919907,
  "I.15.3x": 3.0387354482503253,
  "I.15.3t": 4.019482588643504,
  "I.15.1": 2.6579574596366897,
  "I.16.6": 1.418621852829369,
  "I.18.4": 3.4299207589623024,
  "I.18.12": 5.328713374492933,
  "I.18.14": -9.050835576446406,
  "I.24.6": 14.872428889475918,
  "I.25.13": 0.48040904401634515,
  "I.26.2": -0.028170882881851714,
  "I.27.6": 0.7669446082627699,
  "I.29.4": 0.37638456691902983,
  "I.29.16": 3.917521744885386,
  "I.30.3": 0.5503854479487894,
  "I.30.5": 0.13613087903699295,
  "I.32.5": 0.010477413458021476,
  "I.32.17": 2.123588535266089,
  "I.34.8": 3.0185122338143398,
  "I.34.1": 3.711234158626226,
  "I.34.14": 3.4161457577198555,
  "I.34.27": 0.8481036304166448,
  "I.37.4": 1.9910170145193735,
  "I.38.12": 0.36596916722426026,
  "I.39.1": 7.993188404399295,
  "I.39.11": 5.193253374759352,
  "I.39.22": 9.40729235231924,
  "I.40.1": 0.08161393268334823,
  "I.41.16": 0.3951756333662987,
  "I.43.16": 3.0185122338143398,
  "I.43.31": 12.048347829441699,
  "I.43.43": 4.054867393241051,
  "I.44.4": -3.757901006495392,
  "I.47.23": 1.5352002843928574,
  "I.48.2": 45.530347598711444,
  "I.50.26": 1.5752018484611399,
  "II.2.42": -2.3375448419527336,
  "II.3.24": 0.011478694637424756,
  "II.4.23": 0.016908403545572773,
  "II.6.11": -0.0012695874358884464,
  "II.6.15a": 0.15619804961796907,
  "II.6.15b": -0.001523385051016554,
  "II.8.7": 0.016232067403749866,
  "II.8.31": 8.873758453919907,
  "II.10.9": 0.147319983921937,
  "II.11.3": 0.0958033160627545,
  "II.11.17": 0.4775551815856124,
  "II.11.20": 1.1468408512798125,
  "II.11.27": 0.206935932455697,
  "II.11.28": 1.0900158372409707,
  "II.13.17": 0.0050798008075620205,
  "II.13.23": 1.679462594245443,
  "II.13.34": 2.6579574596366897,
  "II.15.4": 3.392771697135533,
  "II.15.5": 3.392771697135533,
  "II.21.32": 0.023311416773142673,
  "II.24.17": 2.4404470559718137,
  "II.27.16": 27.241198019175513,
  "II.27.18": 17.747516907839813,
  "II.34.2a": 0.3751027222620393,
  "II.34.2": 6.0241739147208495,
  "II.34.11": 1.5092561169071699,
  "II.34.29a": 0.18755136113101964,
  "II.34.29b": 79.59790640665152,
  "II.35.18": 0.3058886105180207,
  "II.35.21": 3.0306586658339736,
  "II.36.38": 0.8386751855946877,
  "II.37.1": 17.37714009904123,
  "II.38.3": 9.40729235231924,
  "II.38.14": 0.18473637976073737,
  "III.4.32": 10.14887664586131,
  "III.4.33": 8.607299128005678,
  "III.7.38": 29.616923827984174,
  "III.8.54": 0.15596993313002336,
  "III.9.52": 8.907674759878425,
  "III.10.19": 9.070212439339896,
  "III.12.43": 0.8481036304166448,
  "III.13.18": 126.33148824000111,
  "III.14.14": 1.9765457968855218,
  "III.15.12": 2.1819600831091934,
  "III.15.14": 0.001904337907178689,
  "III.15.27": 1.3350340323902397,
  "III.17.37": -1.7927716971355332,
  "III.19.51": -0.03538702261285739,
  "III.21.20": -3.0185122338143398,
};

describe("formula suites: AI Feynman", () => {
  it("equals Python's evaluation of the CSV formula for all 100 equations", () => {
    assert.equal(Object.keys(CSV_AT_SPREAD_POINT).length, 100);
    for (const t of FEYNMAN_TARGETS) {
      const id = t.name.slice("feynman/".length);
      const expected = CSV_AT_SPREAD_POINT[id];
      assert.ok(expected !== undefined, `${id} missing from the CSV table`);
      assertClose(t.f(...spreadPoint(t)), expected, 1e-12, t.name);
    }
  });

  it("takes exactly its declared variables (function arity)", () => {
    for (const t of FEYNMAN_TARGETS) assert.equal(t.f.length, t.variables.length, t.name);
  });

  it("matches equations written from the physics at hand-picked points (mpmath)", () => {
    const cases: [string, number[], number][] = [
      ["I.6.2a", [2], 0.05399096651318805],
      ["I.9.18", [1.5, 2, 1.25, 3.5, 1, 3, 2, 4, 1.5], 3.75 / 13.5],
      ["I.10.7", [2, 1.5, 4], 2.157439559882375],
      ["I.15.3x", [7, 1.5, 5, 1.2], 5.451081150953975],
      ["I.26.2", [0.5, 2], 0.47197776766338556],
      ["I.30.3", [2, 1.5, 3], 2.6059276269398417],
      ["I.41.16", [2, 3, 4, 1.5, 2.5], 0.2524671866985821],
      ["I.44.4", [2, 1.5, 3, 4, 1.5], -8.827463277105537],
      ["II.6.15a", [1.5, 2, 1.2, 2.5, 1.1, 2.2], 0.7686630266344338],
      ["II.11.27", [0.5, 0.8, 1.5, 1.2], 0.8307692307692308],
      ["II.24.17", [5, 1.5, 3], 3.1645676481754914],
      ["II.35.18", [2, 1.5, 2.5, 1.2, 2.8], 0.6997940921580817],
      ["III.9.52", [2, 1.5, 2.5, 1.2, 4, 1.5], 0.0011070103431123717],
      // on the diagonal omega = omega_0 the sinc² factor takes its limit 1: p·E·t/ħ
      ["III.9.52", [2, 1.5, 2.5, 1.2, 3, 3], 39.269908169872416],
      ["III.19.51", [2, 1.5, 3, 2.5, 1.2], -0.015625],
    ];
    for (const [id, point, expected] of cases) {
      assertClose(target(`feynman/${id}`).f(...point), expected, 1e-12, id);
    }
  });

  it("keeps the file's variable order and ranges", () => {
    const ranges = (id: string): string =>
      target(`feynman/${id}`)
        .variables.map((v) => `${v.name}:${v.low}:${v.high}`)
        .join(",");
    assert.equal(ranges("I.9.18"), "m1:1:2,m2:1:2,G:1:2,x1:3:4,x2:1:2,y1:3:4,y2:1:2,z1:3:4,z2:1:2");
    assert.equal(ranges("I.15.3x"), "x:5:10,u:1:2,c:3:20,t:1:2");
    assert.equal(ranges("I.18.12"), "r:1:5,F:1:5,theta:0:5");
    assert.equal(ranges("II.11.28"), "n:0:1,alpha:0:1");
    assert.equal(target("feynman/I.41.16").output, "L_rad");
  });

  it("gives finite targets at 200 sampled points of every equation, inside its ranges", () => {
    for (const t of FEYNMAN_TARGETS) {
      const task = entry(t.name).make({ seed: 5, train: 200, val: 0, test: 0 });
      const d = t.variables.length;
      assert.equal(task.train.rows, 200);
      assert.ok(task.train.y.every(Number.isFinite), t.name);
      for (let r = 0; r < 200; r++) {
        rowOf(task.train, d, r).forEach((value, j) => {
          const v = t.variables[j] as PointTarget["variables"][number];
          assert.ok(value >= v.low && value < v.high, `${t.name}: ${v.name} = ${value}`);
        });
      }
    }
  });
});

describe("formula suites: sampling", () => {
  const small = { train: 40, val: 10, test: 20 };

  it("samples every entry inside its box, y = f(x) on the clean test split", () => {
    for (const t of FORMULA_TARGETS) {
      const task = entry(t.name).make({ seed: 3, ...small });
      const d = t.variables.length;
      assert.equal(task.inputs, d);
      assert.deepEqual(
        task.featureNames,
        t.variables.map((v) => v.name),
      );
      assert.deepEqual(task.targetNames, [t.output]);
      for (const split of [task.train, task.val, task.test]) {
        for (let r = 0; r < split.rows; r++) {
          const row = rowOf(split, d, r);
          row.forEach((value, j) => {
            const v = t.variables[j] as PointTarget["variables"][number];
            assert.ok(value >= v.low && value < v.high, `${t.name}: ${v.name} = ${value}`);
          });
          assert.equal(split.y[r], t.f(...row), `${t.name} row ${r}`);
        }
      }
    }
  });

  it("honours requested sizes and uses each suite's defaults when left out", () => {
    const sizes = (task: Task): number[] => [task.train.rows, task.val.rows, task.test.rows];
    assert.deepEqual(sizes(entry("toy/exp-sin").make({ seed: 0, ...small })), [40, 10, 20]);
    assert.deepEqual(sizes(entry("toy/exp-sin").make({ seed: 0 })), [1000, 200, 1000]);
    assert.deepEqual(sizes(entry("relu-kan/quadratic").make({ seed: 0 })), [1000, 200, 100]);
    assert.deepEqual(sizes(entry("fit/takagi-1d").make({ seed: 0 })), [1000, 200, 1000]);
    assert.deepEqual(sizes(entry("feynman/I.6.2a").make({ seed: 0, val: 7 })), [1000, 7, 1000]);
    const task = entry("toy/exp-mean-sin2-100d").make({ seed: 0 });
    assert.equal(task.train.x.length, 1000 * 100);
  });

  it("gives identical data for the same seed, different data for another", () => {
    const a = entry("feynman/I.9.18").make({ seed: 11, ...small });
    const b = entry("feynman/I.9.18").make({ seed: 11, ...small });
    const c = entry("feynman/I.9.18").make({ seed: 12, ...small });
    for (const split of ["train", "val", "test"] as const) {
      assert.deepEqual(a[split].x, b[split].x);
      assert.deepEqual(a[split].y, b[split].y);
      assert.notDeepEqual(a[split].x, c[split].x);
    }
  });

  it("draws each split from its own stream: the test split ignores the training size", () => {
    const small1 = entry("fit/fbm-2d").make({ seed: 2, train: 10, val: 5, test: 30 });
    const large = entry("fit/fbm-2d").make({ seed: 2, train: 500, val: 5, test: 30 });
    assert.deepEqual(small1.test.x, large.test.x);
    assert.deepEqual(small1.train.x, large.train.x.subarray(0, small1.train.x.length));
  });

  it("adds Gaussian noise of the requested std to train and val only", () => {
    const noise = 0.05;
    const t = target("relu-kan/exp-sin-2d");
    const task = entry(t.name).make({ seed: 4, train: 4000, val: 1000, test: 500, noise });
    for (const split of [task.train, task.val]) {
      const residuals = Array.from({ length: split.rows }, (_, r) => {
        return (split.y[r] as number) - t.f(...rowOf(split, 2, r));
      });
      const mean = residuals.reduce((s, e) => s + e, 0) / residuals.length;
      const std = Math.sqrt(residuals.reduce((s, e) => s + (e - mean) ** 2, 0) / residuals.length);
      assert.ok(Math.abs(mean) < 4 * (noise / Math.sqrt(split.rows)), `mean ${mean}`);
      assert.ok(Math.abs(std / noise - 1) < 0.1, `std ${std}`);
    }
    for (let r = 0; r < task.test.rows; r++) {
      assert.equal(task.test.y[r], t.f(...rowOf(task.test, 2, r)));
    }
    assert.match(task.source, /noise 0\.05 on train and val/);
  });

  it("samples the same rows as the equivalent expression-language formula task", () => {
    const suite = entry("relu-kan/exp-sin-2d").make({ seed: 9, ...small });
    const typed = formulaTask({
      formula: "exp(sin(pi*x1) + x2^2)",
      box: [0, 1],
      seed: 9,
      noise: 0,
      ...small,
    });
    for (const split of ["train", "val", "test"] as const) {
      assert.deepEqual(suite[split].x, typed[split].x);
      suite[split].y.forEach((y, r) => assertClose(y, typed[split].y[r] as number, 1e-12, split));
    }
  });

  it("rejects bad requests, naming the field", () => {
    const e = entry("toy/xy");
    assert.match(errorOf(() => e.make({ seed: -1 })).message, /^seed: /);
    assert.match(errorOf(() => e.make({ seed: 1.5 })).message, /^seed: /);
    assert.match(errorOf(() => e.make({ seed: 0, train: 2.5 })).message, /^train: /);
    assert.match(errorOf(() => e.make({ seed: 0, test: -1 })).message, /^test: /);
    assert.match(errorOf(() => e.make({ seed: 0, noise: -0.1 })).message, /^noise: /);
  });

  it("sampledTask checks its names against the variables", () => {
    const targets = [
      { text: "x1", variables: 2, evaluate: (v: ArrayLike<number>) => v[0] as number },
    ];
    const base = {
      name: "t",
      targets,
      box: [0, 1] as const,
      train: 2,
      val: 1,
      test: 1,
      seed: 0,
      noise: 0,
    };
    assert.match(
      errorOf(() => sampledTask({ ...base, featureNames: ["a"] })).message,
      /^featureNames: 1 names for 2 variables/,
    );
    assert.match(errorOf(() => sampledTask({ ...base, targets: [] })).message, /^targets: /);
  });
});
