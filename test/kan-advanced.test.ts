import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { keyFromSeed, startEngine, takeValues } from "../src/engine/index.js";
import { normalSample } from "../src/engine/random.js";
import { erf } from "../src/expr/erf.js";
import { ADVANCED_KAN_LAYERS } from "../src/nn/kan/advanced-layers.js";
import type { DaruanKanSpec } from "../src/nn/kan/daruan.js";
import { DaruanKanLayer } from "../src/nn/kan/daruan.js";
import type { RationalKanSpec } from "../src/nn/kan/rational.js";
import { RationalKanLayer } from "../src/nn/kan/rational.js";
import type { SelectableKanSpec } from "../src/nn/kan/selectable.js";
import { SelectableKanLayer } from "../src/nn/kan/selectable.js";
import type { Layer, LayerState } from "../src/nn/layer.js";
import { LayerSpecError, paramCount } from "../src/nn/layer.js";
import { loadTask } from "../src/data/node/load-task.js";
import { fitConfigSchema } from "../src/train/fit-spec.js";
import { jaxEngine } from "../src/train/jax-engine.js";
import { runFit } from "../src/train/run-fit.js";
import type { Values } from "./support/layer-check.js";
import {
  assertClose,
  checkLayerAgainstReference,
  fixedValues,
  layerOutput,
  stateWith,
  valuesOf,
} from "./support/layer-check.js";

const definition = (type: string) => {
  const found = ADVANCED_KAN_LAYERS.find((d) => d.type === type);
  assert.ok(found, `no definition for ${type}`);
  return found;
};

function buildFromYaml(type: string, fields: Record<string, unknown>, inputShape: number[]): Layer {
  const def = definition(type);
  return def.build(def.schema.parse({ type, ...fields }), inputShape, "float64");
}

/** Every param of `state` shifted by `scale`·fixed noise (a generic point, not the init). */
function perturbed(state: LayerState, scale: number, seed: number): Values {
  const values = valuesOf(state.params);
  let s = seed;
  for (const name of Object.keys(values).sort()) {
    const v = values[name] as Float64Array;
    const noise = fixedValues(v.length, s++, scale);
    values[name] = v.map((x, i) => x + (noise[i] as number));
  }
  return values;
}

const silu = (x: number): number => x / (1 + Math.exp(-x));
const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));

// ---------------------------------------------------------------------------------------------
// kan_rational
// ---------------------------------------------------------------------------------------------

/** y = φ_g(i)(x_i)·W + b with φ = P/(1 + |B|), written out term by term. */
function rationalReference(n: number, units: number, groups: number, m: number, d: number) {
  return (p: Values, _b: Values, x: Float64Array): Float64Array => {
    const batch = x.length / n;
    const y = new Float64Array(batch * units);
    for (let s = 0; s < batch; s++) {
      const phi = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const g = Math.floor(i / (n / groups));
        const xi = x[s * n + i] as number;
        let num = 0;
        for (let j = 0; j <= m; j++) num += (p.numerator![g * (m + 1) + j] as number) * xi ** j;
        let den = 0;
        for (let j = 1; j <= d; j++) den += (p.denominator![g * d + j - 1] as number) * xi ** j;
        phi[i] = num / (1 + Math.abs(den));
      }
      for (let j = 0; j < units; j++) {
        let sum = p.b ? (p.b[j] as number) : 0;
        for (let i = 0; i < n; i++) sum += (phi[i] as number) * (p.w![i * units + j] as number);
        y[s * units + j] = sum;
      }
    }
    return y;
  };
}

const rationalSpec = (fields: Partial<RationalKanSpec>): RationalKanSpec => ({
  type: "kan_rational",
  units: 3,
  numerator: 5,
  denominator: 4,
  groups: 2,
  init_fn: "gelu",
  bias: true,
  ...fields,
});

/** max |P/(1+|B|) − f| on a 0.001 grid of [-3, 3], from the fitted coefficients. */
function maxFitError(layer: RationalKanLayer, f: (x: number) => number): number {
  const { numerator: a, denominator: b } = layer.fit;
  let worst = 0;
  for (let k = 0; k <= 6000; k++) {
    const x = -3 + k / 1000;
    const num = a.reduce((sum, c, j) => sum + c * x ** j, 0);
    const den = b.reduce((sum, c, j) => sum + c * x ** (j + 1), 0);
    worst = Math.max(worst, Math.abs(num / (1 + Math.abs(den)) - f(x)));
  }
  return worst;
}

describe("kan_rational (GR-KAN)", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("fits identity, GELU and SiLU on [-3, 3] (max errors reported)", (t) => {
    const errors: Record<string, number> = {};
    for (const [name, f, bound] of [
      ["identity", (x: number) => x, 1e-12],
      ["gelu", gelu, 2e-3],
      ["silu", silu, 1e-5],
      ["swish", silu, 1e-5],
      ["tanh", Math.tanh, 1e-5],
    ] as const) {
      const layer = new RationalKanLayer(rationalSpec({ init_fn: name }), [4], "float64");
      const error = maxFitError(layer, f);
      errors[name] = error;
      assert.ok(error < bound, `${name}: max fit error ${error} ≥ ${bound}`);
      // the layer's own report agrees with this independent measurement
      assert.ok(
        Math.abs(layer.fit.maxError - error) < 1e-6,
        `${name}: reported ${layer.fit.maxError}`,
      );
    }
    t.diagnostic(
      `max |φ − f| on [-3,3]: ${Object.entries(errors)
        .map(([name, e]) => `${name} ${e.toExponential(2)}`)
        .join(", ")}`,
    );
  });

  it("matches a plain reference, values and gradients at rel 1e-8 (float64)", () => {
    const layer = new RationalKanLayer(rationalSpec({ units: 3, groups: 2 }), [6], "float64");
    const state = layer.init(keyFromSeed(1));
    // move every group to its own coefficients so group sharing is really tested
    const generic = stateWith(state, perturbed(state, 0.05, 11), "float64");
    checkLayerAgainstReference(
      layer,
      generic,
      rationalReference(6, 3, 2, 5, 4),
      fixedValues(5 * 6, 3, 2),
      { rel: 1e-8, abs: 1e-10 },
    );
  });

  it("is exact with a pure numerator (denominator 0) and other degrees", () => {
    const layer = new RationalKanLayer(
      rationalSpec({ numerator: 3, denominator: 0, groups: 4, units: 2, bias: false }),
      [4],
      "float64",
    );
    const state = layer.init(keyFromSeed(2));
    assert.deepEqual(Object.keys(state.params).sort(), ["numerator", "w"]);
    checkLayerAgainstReference(
      layer,
      stateWith(state, perturbed(state, 0.1, 21), "float64"),
      rationalReference(4, 2, 4, 3, 0),
      fixedValues(3 * 4, 5, 2),
      { rel: 1e-8, abs: 1e-10 },
    );
  });

  it("starts as the identity exactly with init_fn identity", () => {
    const layer = new RationalKanLayer(
      rationalSpec({ init_fn: "identity", units: 2 }),
      [4],
      "float64",
    );
    const state = layer.init(keyFromSeed(3));
    const p = valuesOf(state.params);
    const x = fixedValues(3 * 4, 7, 3);
    const y = layerOutput(layer, state, x);
    const expected = new Float64Array(3 * 2);
    for (let s = 0; s < 3; s++)
      for (let j = 0; j < 2; j++)
        for (let i = 0; i < 4; i++)
          expected[s * 2 + j]! += (x[s * 4 + i] as number) * (p.w![i * 2 + j] as number);
    assertClose(y, expected, "identity-initialised output", { rel: 1e-12, abs: 1e-14 });
  });

  it("initialises W to preserve variance: E[y²] ≈ 1 for x ~ N(0, 1)", () => {
    const n = 64;
    const layer = new RationalKanLayer(rationalSpec({ units: 64, groups: 8 }), [n], "float64");
    // E[φ²] by an independent quadrature (trapezoid on [-10, 10]) of the fitted rational
    const { numerator: a, denominator: b } = layer.fit;
    let moment = 0;
    for (let k = 0; k <= 20000; k++) {
      const x = -10 + k / 1000;
      const num = a.reduce((sum, c, j) => sum + c * x ** j, 0);
      const den = b.reduce((sum, c, j) => sum + c * x ** (j + 1), 0);
      const weight = k === 0 || k === 20000 ? 0.5 : 1;
      moment += (weight * (num / (1 + Math.abs(den))) ** 2 * Math.exp(-0.5 * x * x)) / 1000;
    }
    moment /= Math.sqrt(2 * Math.PI);
    // both are quadratures of an integrand with kinks (where B changes sign): agree to ~1e-8
    assert.ok(
      Math.abs(layer.secondMoment - moment) < 1e-7,
      `E[φ²] ${layer.secondMoment} vs ${moment}`,
    );
    assert.ok(Math.abs(layer.weightStd * Math.sqrt(n * moment) - 1) < 1e-6);
    const state = layer.init(keyFromSeed(4));
    const w = valuesOf(state.params).w as Float64Array;
    const wStd = Math.sqrt(w.reduce((sum, v) => sum + v * v, 0) / w.length);
    assert.ok(Math.abs(wStd / layer.weightStd - 1) < 0.05, `std(W) ${wStd} vs ${layer.weightStd}`);
    const x = takeValues(normalSample(keyFromSeed(5), [512, n], "float64"));
    const y = layerOutput(layer, state, x);
    const second = y.reduce((sum, v) => sum + v * v, 0) / y.length;
    assert.ok(Math.abs(second - 1) < 0.15, `E[y²] = ${second}`);
  });

  it("counts parameters and FLOPs by hand", () => {
    const layer = new RationalKanLayer(
      rationalSpec({ units: 4, groups: 8, numerator: 5, denominator: 4 }),
      [16],
      "float32",
    );
    // 8 groups × (6 + 4) coefficients, W 16×4, bias 4
    assert.equal(paramCount(layer), 8 * 10 + 16 * 4 + 4);
    // per channel: P 5 multiply-adds (10), B 3 multiply-adds + 1 multiply (7), |B|, 1+, ÷ (3)
    // = 20; matmul 2·16·4 = 128; bias 4
    assert.equal(layer.flops().forward, 16 * 20 + 128 + 4);
  });

  it("rejects bad specs naming the field", () => {
    assert.throws(
      () => new RationalKanLayer(rationalSpec({ groups: 3 }), [8], "float64"),
      (e: Error) =>
        e instanceof LayerSpecError &&
        /^groups: 3 groups do not divide the input width 8/.test(e.message),
    );
    assert.throws(
      () => new RationalKanLayer(rationalSpec({ init_fn: "no_such_fn(x" }), [8], "float64"),
      (e: Error) => e instanceof LayerSpecError && /^init_fn:/.test(e.message),
    );
    const parsed = definition("kan_rational").schema.safeParse({
      type: "kan_rational",
      units: 2,
      groups: 0,
    });
    assert.ok(!parsed.success && parsed.error.issues[0]?.path.includes("groups"));
    const unknown = definition("kan_rational").schema.safeParse({
      type: "kan_rational",
      units: 2,
      grups: 2,
    });
    assert.ok(!unknown.success && JSON.stringify(unknown.error.issues).includes("grups"));
  });
});

// ---------------------------------------------------------------------------------------------
// kan_selectable
// ---------------------------------------------------------------------------------------------

/** Cox–de Boor on one point, straight from the definition. */
function bsplines(x: number, knots: number[], order: number): number[] {
  let basis: number[] = knots
    .slice(0, -1)
    .map((t, i) => (t <= x && x < (knots[i + 1] as number) ? 1 : 0));
  for (let p = 1; p <= order; p++)
    basis = basis.slice(0, -1).map((_, i) => {
      const ti = knots[i] as number;
      const left = ((x - ti) / ((knots[i + p] as number) - ti)) * (basis[i] as number);
      const right =
        (((knots[i + p + 1] as number) - x) /
          ((knots[i + p + 1] as number) - (knots[i + 1] as number))) *
        (basis[i + 1] as number);
      return left + right;
    });
  return basis;
}

/** The features of one input under each space, as the docs define them. */
function spaceFeatures(space: string, x: number): number[] {
  switch (space) {
    case "bspline": {
      const h = 2 / 5;
      const knots = Array.from({ length: 5 + 2 * 3 + 1 }, (_, i) => -1 + (i - 3) * h);
      return bsplines(x, knots, 3);
    }
    case "rbf": {
      const h = 2 / 7;
      return Array.from({ length: 8 }, (_, k) => Math.exp(-(((x - (-1 + k * h)) / h) ** 2)));
    }
    case "fourier":
      return [1, 2, 3, 4]
        .map((k) => Math.cos(k * x))
        .concat([1, 2, 3, 4].map((k) => Math.sin(k * x)));
    case "polynomial":
      return [x, x * x, x * x * x];
    case "silu":
      return [silu(x)];
    case "tanh":
      return [Math.tanh(x)];
  }
  throw new Error(space);
}

/** Σ_i φ^{(s)}_ij(x_i) for node column `column` of a coefficient matrix with `columns` columns. */
function edgeSum(
  space: string,
  coef: Float64Array,
  columns: number,
  column: number,
  x: number[],
): number {
  let sum = 0;
  x.forEach((xi, i) => {
    const features = spaceFeatures(space, xi);
    features.forEach((e, k) => {
      sum += e * (coef[(i * features.length + k) * columns + column] as number);
    });
  });
  return sum;
}

function softReference(n: number, units: number, spaces: string[], temperature: number) {
  return (p: Values, _b: Values, x: Float64Array): Float64Array => {
    const batch = x.length / n;
    const y = new Float64Array(batch * units);
    for (let s = 0; s < batch; s++) {
      const xs = Array.from(x.subarray(s * n, (s + 1) * n));
      for (let j = 0; j < units; j++) {
        const logits = spaces.map(
          (_, k) => (p.alpha![j * spaces.length + k] as number) / temperature,
        );
        const top = Math.max(...logits);
        const exps = logits.map((l) => Math.exp(l - top));
        const total = exps.reduce((a, b) => a + b, 0);
        y[s * units + j] = spaces.reduce(
          (sum, space, k) =>
            sum +
            ((exps[k] as number) / total) *
              edgeSum(space, p[`${space}.coef`] as Float64Array, units, j, xs),
          0,
        );
      }
    }
    return y;
  };
}

/** Hard form: node j uses only its chosen space; each space's columns are its nodes in order. */
function hardReference(n: number, choices: string[]) {
  return (p: Values, _b: Values, x: Float64Array): Float64Array => {
    const batch = x.length / n;
    const units = choices.length;
    const y = new Float64Array(batch * units);
    for (let s = 0; s < batch; s++) {
      const xs = Array.from(x.subarray(s * n, (s + 1) * n));
      choices.forEach((space, j) => {
        const nodes = choices.flatMap((c, k) => (c === space ? [k] : []));
        y[s * units + j] = edgeSum(
          space,
          p[`${space}.coef`] as Float64Array,
          nodes.length,
          nodes.indexOf(j),
          xs,
        );
      });
    }
    return y;
  };
}

const DEFAULTS = ["bspline", "rbf", "fourier", "polynomial", "silu"];

describe("kan_selectable (S-KAN)", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("matches a plain reference, soft selection over all default spaces (float64)", () => {
    const layer = buildFromYaml(
      "kan_selectable",
      { units: 2, temperature: 0.7 },
      [3],
    ) as SelectableKanLayer;
    assert.deepEqual(layer.spec.spaces, DEFAULTS);
    const state = layer.init(keyFromSeed(7));
    const alpha = valuesOf(state.params).alpha as Float64Array;
    assert.ok(
      alpha.every((v) => v === 0),
      "α starts at 0: every space equally weighted",
    );
    const generic = stateWith(state, perturbed(state, 0.8, 31), "float64");
    checkLayerAgainstReference(
      layer,
      generic,
      softReference(3, 2, DEFAULTS, 0.7),
      fixedValues(4 * 3, 9),
    );
  });

  it("hardens: select() keeps the argmax space per node, and matches soft with one-hot α", () => {
    const spaces = ["bspline", "fourier", "tanh", "polynomial"];
    const spec: SelectableKanSpec = selectableSpec({ units: 4, spaces });
    const layer = new SelectableKanLayer(spec, [3], "float64");
    const state = layer.init(keyFromSeed(8));
    const values = perturbed(state, 0.3, 41);
    // node 0 → fourier, node 1 → tanh, node 2 → fourier, node 3 → bspline; polynomial unused
    const winners = [1, 2, 1, 0];
    values.alpha = Float64Array.from({ length: 16 }, (_, k) =>
      k % 4 === winners[Math.floor(k / 4)] ? 2 : 0.1 * (k % 3),
    );
    const soft = stateWith(state, values, "float64");
    const selection = layer.select(soft);
    assert.deepEqual(selection.choices, ["fourier", "tanh", "fourier", "bspline"]);
    assert.deepEqual(selection.spec.spaces, ["bspline", "fourier", "tanh"]);
    assert.deepEqual(selection.spec.selected, selection.choices);
    const hard = new SelectableKanLayer(selection.spec, [3], "float64");
    assert.deepEqual(Object.keys(selection.state.params).sort(), [
      "bspline.coef",
      "fourier.coef",
      "tanh.coef",
    ]);
    // hand count: bspline 3·8 rows × 1 node, fourier 3·8 × 2, tanh 3·1 × 1
    assert.equal(paramCount(hard), 24 * 1 + 24 * 2 + 3 * 1);
    const x = fixedValues(5 * 3, 13);
    checkLayerAgainstReference(hard, selection.state, hardReference(3, selection.choices), x);
    // the soft layer with α one-hot (softmax of ±1000 is exactly 0/1) computes the same outputs
    values.alpha = Float64Array.from({ length: 16 }, (_, k) =>
      k % 4 === winners[Math.floor(k / 4)] ? 1000 : -1000,
    );
    assertClose(
      layerOutput(hard, selection.state, x),
      layerOutput(layer, stateWith(state, values, "float64"), x),
      "hard vs one-hot soft",
      { rel: 1e-12, abs: 1e-12 },
    );
  });

  it("counts parameters and FLOPs by hand (default spaces, n = 3, units = 2)", () => {
    const layer = buildFromYaml("kan_selectable", { units: 2 }, [3]);
    // rows per input: bspline 5+3 = 8, rbf 8, fourier 2·4 = 8, polynomial 3, silu 1 → 28
    assert.equal(paramCount(layer), 3 * 28 * 2 + 2 * 5);
    // bspline per input: 12 knots, 11 intervals: 3·11 + 6·(10 + 9 + 8) = 195
    // rbf 5 per centre · 8 = 40; fourier 3 per frequency · 4 = 12; polynomial 2; silu 2 (×, σ)
    const features = 3 * (195 + 40 + 12 + 2 + 2);
    const matmuls = 2 * 3 * 28 * 2;
    const mixing = (2 * 5 - 1) * 2;
    assert.equal(layer.flops().forward, features + matmuls + mixing);
  });

  it("rejects bad specs naming the field", () => {
    const rejects = (fields: Partial<SelectableKanSpec>, pattern: RegExp): void =>
      assert.throws(
        () => new SelectableKanLayer(selectableSpec(fields), [3], "float64"),
        (e: Error) => e instanceof LayerSpecError && pattern.test(e.message),
      );
    rejects({ spaces: ["bspline", "wavelet"] }, /^spaces\[1\]: unknown space 'wavelet'/);
    rejects({ spaces: ["rbf", "rbf"] }, /^spaces\[1\]: 'rbf' is listed twice/);
    rejects({ units: 2, spaces: ["rbf", "silu"], selected: ["rbf"] }, /^selected: has 1 entries/);
    rejects(
      { units: 2, spaces: ["rbf", "silu"], selected: ["rbf", "fourier"] },
      /^selected\[1\]: 'fourier'/,
    );
    const parsed = definition("kan_selectable").schema.safeParse({
      type: "kan_selectable",
      units: 2,
      temperature: 0,
    });
    assert.ok(!parsed.success && parsed.error.issues[0]?.path.includes("temperature"));
  });
});

function selectableSpec(fields: Partial<SelectableKanSpec>): SelectableKanSpec {
  return definition("kan_selectable").schema.parse({
    type: "kan_selectable",
    units: 2,
    ...fields,
  }) as SelectableKanSpec;
}

// ---------------------------------------------------------------------------------------------
// kan_daruan
// ---------------------------------------------------------------------------------------------

type C = [number, number];
type M2 = [[C, C], [C, C]];
const cmul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const cadd = (a: C, b: C): C => [a[0] + b[0], a[1] + b[1]];
const ry = (t: number): M2 => [
  [
    [Math.cos(t / 2), 0],
    [-Math.sin(t / 2), 0],
  ],
  [
    [Math.sin(t / 2), 0],
    [Math.cos(t / 2), 0],
  ],
];
const rz = (g: number): M2 => [
  [
    [Math.cos(g / 2), -Math.sin(g / 2)],
    [0, 0],
  ],
  [
    [0, 0],
    [Math.cos(g / 2), Math.sin(g / 2)],
  ],
];
const applyGate = (m: M2, v: [C, C]): [C, C] => [
  cadd(cmul(m[0][0], v[0]), cmul(m[0][1], v[1])),
  cadd(cmul(m[1][0], v[0]), cmul(m[1][1], v[1])),
];

/** ⟨Z⟩ of R_y(θ_L) R_z(w_L x + φ_L) ⋯ R_y(θ_1) R_z(w_1 x + φ_1) R_y(θ_0)|0⟩, by 2×2 matrices. */
function circuitZ(x: number, theta: number[], w: number[], phi: number[]): number {
  let psi: [C, C] = [
    [1, 0],
    [0, 0],
  ];
  psi = applyGate(ry(theta[0] as number), psi);
  for (let l = 1; l < theta.length; l++) {
    psi = applyGate(rz((w[l - 1] as number) * x + (phi[l - 1] as number)), psi);
    psi = applyGate(ry(theta[l] as number), psi);
  }
  const [a, b] = psi;
  return a[0] ** 2 + a[1] ** 2 - b[0] ** 2 - b[1] ** 2;
}

function daruanReference(n: number, units: number, layers: number) {
  return (p: Values, _b: Values, x: Float64Array): Float64Array => {
    const batch = x.length / n;
    const y = new Float64Array(batch * units);
    const at = (a: Float64Array, l: number, i: number, j: number): number =>
      a[(l * n + i) * units + j] as number;
    for (let s = 0; s < batch; s++)
      for (let j = 0; j < units; j++) {
        let sum = p.b ? (p.b[j] as number) : 0;
        for (let i = 0; i < n; i++) {
          const theta = Array.from({ length: layers + 1 }, (_, l) => at(p.theta!, l, i, j));
          const w = Array.from({ length: layers }, (_, l) => at(p.w!, l, i, j));
          const phi = Array.from({ length: layers }, (_, l) => at(p.phi!, l, i, j));
          sum += (p.c![i * units + j] as number) * circuitZ(x[s * n + i] as number, theta, w, phi);
        }
        y[s * units + j] = sum;
      }
    return y;
  };
}

const daruanSpec = (fields: Partial<DaruanKanSpec>): DaruanKanSpec => ({
  type: "kan_daruan",
  units: 2,
  layers: 3,
  frequency_init: "ones",
  bias: true,
  ...fields,
});

/** |DFT| of N samples of one period, frequencies 0..N/2. */
function spectrum(values: Float64Array): number[] {
  const count = values.length;
  return Array.from({ length: count / 2 + 1 }, (_, f) => {
    let re = 0;
    let im = 0;
    values.forEach((v, k) => {
      re += v * Math.cos((2 * Math.PI * f * k) / count);
      im -= v * Math.sin((2 * Math.PI * f * k) / count);
    });
    return Math.hypot(re, im) / count;
  });
}

describe("kan_daruan (QKAN)", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("matches explicit 2×2 complex-matrix circuits, values and gradients (float64)", () => {
    const layer = new DaruanKanLayer(daruanSpec({ units: 2, layers: 3 }), [3], "float64");
    const state = layer.init(keyFromSeed(10));
    const generic = stateWith(state, perturbed(state, 0.7, 51), "float64");
    checkLayerAgainstReference(layer, generic, daruanReference(3, 2, 3), fixedValues(4 * 3, 17, 2));
  });

  it("has frequencies up to L·w with L re-uploads (w = 1), and none above", (t) => {
    const samples = 64;
    const x = Float64Array.from({ length: samples }, (_, k) => (2 * Math.PI * k) / samples);
    const tops: string[] = [];
    for (const layers of [1, 2, 3, 4]) {
      const layer = new DaruanKanLayer(daruanSpec({ units: 1, layers }), [1], "float64");
      const state = layer.init(keyFromSeed(20 + layers));
      const values = perturbed(state, 0.5, 61);
      values.w = new Float64Array(layers).fill(1);
      // angles away from 0 and π, where the top frequency's coefficient would vanish
      values.theta = Float64Array.from({ length: layers + 1 }, (_, l) => 0.7 + 0.45 * l);
      // the exact circuit (2×2 matrices, Math.cos): above L only rounding noise is left; the
      // layer (jax-js float64 cos/sin, ~1e-8 accurate) leaks at that level
      const exact = spectrum(daruanReference(1, 1, layers)(values, {}, x));
      const mags = spectrum(layerOutput(layer, stateWith(state, values, "float64"), x));
      for (const [label, m, floor] of [
        ["exact", exact, 1e-12],
        ["layer", mags, 1e-6],
      ] as const) {
        const peak = Math.max(...m);
        assert.ok(
          (m[layers] as number) > 1e-3 * peak,
          `${label} L=${layers}: frequency ${layers} is ${m[layers]}`,
        );
        for (let f = layers + 1; f < m.length; f++)
          assert.ok(
            (m[f] as number) < floor * peak,
            `${label} L=${layers}: frequency ${f} is ${m[f]}`,
          );
      }
      tops.push(`L=${layers}: |c_${layers}| = ${(mags[layers] as number).toExponential(2)}`);
    }
    t.diagnostic(tops.join("; "));
  });

  it("reaches frequency (3^L − 1)/2 with ternary weights: 13 for L = 3, none above", () => {
    const samples = 64;
    const x = Float64Array.from({ length: samples }, (_, k) => (2 * Math.PI * k) / samples);
    const layer = new DaruanKanLayer(
      daruanSpec({ units: 1, layers: 3, frequency_init: "ternary" }),
      [1],
      "float64",
    );
    const state = layer.init(keyFromSeed(30));
    assert.deepEqual(Array.from(valuesOf(state.params).w as Float64Array), [1, 3, 9]);
    const values = perturbed(state, 0.5, 71);
    values.w = Float64Array.from([1, 3, 9]);
    const mags = spectrum(layerOutput(layer, stateWith(state, values, "float64"), x));
    const peak = Math.max(...mags);
    const present = mags.flatMap((m, f) => (m > 1e-6 * peak ? [f] : []));
    assert.equal(Math.max(...present), 13);
    assert.ok(present.length >= 10, `frequencies present: ${present.join(", ")}`);
  });

  it("counts parameters and FLOPs by hand", () => {
    const layer = new DaruanKanLayer(daruanSpec({ units: 3, layers: 3 }), [4], "float32");
    // per edge: θ_0..θ_3 (4) + w_1..w_3 (3) + φ_1..φ_3 (3) + c (1) = 11; 12 edges; 3 biases
    assert.equal(paramCount(layer), 12 * 11 + 3);
    // per edge: upload 1 (12) + 2 uploads × 22 + ⟨Z⟩ (7) + c·⟨Z⟩ summed (2) = 65
    assert.equal(layer.flops().forward, 12 * 65 + 3);
  });

  it("rejects bad specs naming the field", () => {
    const parsed = definition("kan_daruan").schema.safeParse({
      type: "kan_daruan",
      units: 2,
      layers: 0,
    });
    assert.ok(!parsed.success && parsed.error.issues[0]?.path.includes("layers"));
    const init = definition("kan_daruan").schema.safeParse({
      type: "kan_daruan",
      units: 2,
      frequency_init: "cubic",
    });
    assert.ok(!init.success && init.error.issues[0]?.path.includes("frequency_init"));
    assert.throws(() => new DaruanKanLayer(daruanSpec({}), [2, 3], "float64"), LayerSpecError);
  });
});

describe("advanced KAN definitions", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("lists the three layers with their defaults", () => {
    assert.deepEqual(
      ADVANCED_KAN_LAYERS.map((d) => d.type),
      ["kan_rational", "kan_selectable", "kan_daruan"],
    );
    assert.deepEqual(definition("kan_rational").schema.parse({ type: "kan_rational", units: 4 }), {
      type: "kan_rational",
      units: 4,
      numerator: 5,
      denominator: 4,
      groups: 8,
      init_fn: "gelu",
      bias: true,
    });
    assert.deepEqual(definition("kan_daruan").schema.parse({ type: "kan_daruan", units: 4 }), {
      type: "kan_daruan",
      units: 4,
      layers: 3,
      frequency_init: "ones",
      bias: true,
    });
  });

  it("initialises deterministically from the key", () => {
    for (const layer of [
      buildFromYaml("kan_rational", { units: 3 }, [8]),
      buildFromYaml("kan_selectable", { units: 3 }, [2]),
      buildFromYaml("kan_daruan", { units: 3 }, [2]),
    ]) {
      const first = valuesOf(layer.init(keyFromSeed(42)).params);
      const again = valuesOf(layer.init(keyFromSeed(42)).params);
      const other = valuesOf(layer.init(keyFromSeed(43)).params);
      for (const name of Object.keys(first))
        assert.deepEqual(
          Array.from(again[name]!),
          Array.from(first[name]!),
          `${layer.kind} ${name}`,
        );
      const differs = Object.keys(first).some((name) =>
        first[name]!.some((v, i) => v !== other[name]![i]),
      );
      assert.ok(differs, `${layer.kind}: another seed gives other values`);
    }
  });
});

describe("kan_selectable, hard form, nodes out of space order", () => {
  before(async () => {
    await startEngine("wasm");
  });

  // its node reordering was a gather, whose gradient jax-js cannot compile inside jit ("routine
  // primitive scatter input is not imm"): a gradient phase failed at its first step
  it("trains with the jitted step, and the training loss falls", async () => {
    const config = fitConfigSchema.parse({
      task: { type: "formula", formula: "sin(x1) + x2^2", train: 200, val: 50, test: 50, seed: 0 },
      model: {
        seed: 1,
        layers: [
          {
            type: "kan_selectable",
            units: 3,
            spaces: ["fourier", "rbf"],
            selected: ["fourier", "rbf", "fourier"],
          },
          { type: "dense", units: 1 },
        ],
      },
      phases: [
        { kind: "gradient", optimizer: { name: "adam", lr: 0.01 }, epochs: 5, batch_size: 32 },
      ],
    });
    const losses: number[] = [];
    const { results } = await runFit(jaxEngine, config, loadTask(config.task), {
      onProgress: (progress) => losses.push(progress.loss),
    });
    assert.equal(results.length, 1);
    assert.ok(losses.length >= 2 && losses.every(Number.isFinite), `losses ${losses.join(", ")}`);
    assert.ok(losses.at(-1)! < losses[0]!, `losses ${losses.join(", ")}`);
    assert.ok(results[0]!.train.rmse! < 1, `train rmse ${results[0]!.train.rmse}`);
  });
});
