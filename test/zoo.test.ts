/**
 * The activation zoo against independent references.
 *
 * Every entry is checked against a plain-TypeScript implementation written from its published
 * formula (REFERENCES below: nothing here is derived from the expression text or from src/):
 * values of the compiled float64 activation, gradients (w.r.t. the input and every parameter,
 * learnable or fixed) of the jax-js function against central finite differences of the
 * reference, parse → print → parse stability, and the exported TypeScript source.
 *
 * Tolerances. jax-js's wasm backend evaluates exp/log/sin/cos/tanh/... with roughly float32
 * accuracy even on float64 arrays (measured: absolute error up to ~4e-5 for exp near 5, ~1e-5
 * for log), so compiled values are compared with |got − want| ≤ 1e-4·(1 + |want|) and gradients
 * with 1e-3·(1 + |want|). The exported TypeScript is plain double arithmetic: 1e-9·(1 + |want|).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { grad, numpy as np } from "@jax-js/jax";
import { arrayFrom, startEngine, takeValues } from "../src/engine/index.js";
import type { Activation } from "../src/expr/ast.js";
import { exprEquals } from "../src/expr/ast.js";
import type { ParamArrays } from "../src/expr/compile.js";
import {
  buildActivationFn,
  compileActivation,
  initParams,
  paramShape,
} from "../src/expr/compile.js";
import { exportActivation } from "../src/expr/export/index.js";
import { canonicalText } from "../src/expr/hash.js";
import { parseActivation } from "../src/expr/parse.js";
import { printActivation } from "../src/expr/print.js";
import { canonicalActivation } from "../src/expr/simplify.js";
import { ZOO, activationOf } from "../src/zoo/index.js";

// ---- independent references --------------------------------------------------------------

type Params = Record<string, number>;
type Reference = (x: readonly number[], p: Params) => number[];
type Get = (name: string) => number;

/** A parameter getter that fails loudly on a name the entry does not declare. */
function getter(p: Params): Get {
  return (name) => {
    const value = p[name];
    if (value === undefined) throw new Error(`reference needs parameter '${name}'`);
    return value;
  };
}

/** A reference applied to each element on its own. */
function pointwise(f: (v: number, p: Get) => number): Reference {
  return (x, p) => {
    const get = getter(p);
    return x.map((v) => f(v, get));
  };
}

/** erf by its Maclaurin series 2/√π Σ (−1)ⁿ x^(2n+1) / (n!(2n+1)), summed until negligible. */
function erf(x: number): number {
  if (Math.abs(x) > 4) throw new RangeError(`reference erf is only used for |x| ≤ 4, got ${x}`);
  let power = x; // (−1)ⁿ x^(2n+1) / n!
  let sum = 0;
  for (let n = 0; n < 200; n++) {
    const term = power / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-18 && n > 5) break;
    power *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const relu = (v: number): number => Math.max(v, 0);
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const softplus = (v: number): number => Math.log(1 + Math.exp(v));
const mean = (v: readonly number[]): number => v.reduce((s, a) => s + a, 0) / v.length;
/** Population standard deviation, floored as the library specifies: √max(var, 1e-7). */
const std = (v: readonly number[]): number => {
  const m = mean(v);
  return Math.sqrt(Math.max(mean(v.map((a) => (a - m) ** 2)), 1e-7));
};
/** Root mean square, floored: √max(mean(v²), 1e-7). */
const rms = (v: readonly number[]): number => Math.sqrt(Math.max(mean(v.map((a) => a * a)), 1e-7));

const REFERENCES: Record<string, Reference> = {
  identity: pointwise((v) => v),
  relu: pointwise((v) => relu(v)),
  "leaky-relu": pointwise((v, p) => (v >= 0 ? v : p("slope") * v)),
  prelu: pointwise((v, p) => (v >= 0 ? v : p("a") * v)),
  relu6: pointwise((v) => Math.min(Math.max(v, 0), 6)),
  "clipped-relu": pointwise((v, p) => Math.min(Math.max(v, 0), p("t"))),
  hardtanh: pointwise((v) => Math.min(Math.max(v, -1), 1)),
  "hard-sigmoid": pointwise((v) => Math.min(Math.max(v + 3, 0), 6) / 6),
  "hard-swish": pointwise((v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6),

  elu: pointwise((v, p) => (v > 0 ? v : p("alpha") * (Math.exp(v) - 1))),
  selu: pointwise((v, p) => p("scale") * (v > 0 ? v : p("alpha") * (Math.exp(v) - 1))),
  celu: pointwise(
    (v, p) => Math.max(0, v) + Math.min(0, p("alpha") * (Math.exp(v / p("alpha")) - 1)),
  ),
  softplus: pointwise((v) => softplus(v)),
  "log-sigmoid": pointwise((v) => Math.log(sigmoid(v))),

  sigmoid: pointwise((v) => sigmoid(v)),
  tanh: pointwise((v) => Math.tanh(v)),
  softsign: pointwise((v) => v / (1 + Math.abs(v))),
  tanhshrink: pointwise((v) => v - Math.tanh(v)),
  gaussian: pointwise((v) => Math.exp(-v * v)),
  erf: pointwise((v) => erf(v)),

  gelu: pointwise((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
  "gelu-tanh": pointwise(
    (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
  ),
  silu: pointwise((v) => v * sigmoid(v)),
  swish: pointwise((v, p) => v * sigmoid(p("beta") * v)),
  mish: pointwise((v) => v * Math.tanh(softplus(v))),
  squareplus: pointwise((v, p) => (v + Math.sqrt(v * v + p("b"))) / 2),
  "bent-identity": pointwise((v) => (Math.sqrt(v * v + 1) - 1) / 2 + v),
  crrelu: pointwise((v, p) => relu(v) + p("eps") * v * Math.exp(-(v * v) / 2)),

  sine: pointwise((v, p) => Math.sin(p("omega0") * v)),
  snake: pointwise((v, p) => v + Math.sin(p("alpha") * v) ** 2 / p("alpha")),
  cosnet: pointwise((v, p) => Math.cos(p("omega") * v + p("phi"))),
  biper: pointwise((v, p) => Math.sign(Math.sin(p("omega") * v))),
  gcu: pointwise((v) => v * Math.cos(v)),
  sinc: pointwise((v) => Math.sin(v) / v),

  quadratic: pointwise((v) => v * v),
  polyrelu: pointwise(
    (v, p) => p("a0") + p("a1") * relu(v) + p("a2") * relu(v) ** 2 + p("a3") * relu(v) ** 3,
  ),
  polynorm: (x, params) => {
    const p = getter(params);
    const [r1, r2, r3] = [1, 2, 3].map((k) => rms(x.map((v) => v ** k))) as [
      number,
      number,
      number,
    ];
    return x.map(
      (v) => p("a0") + (p("a1") * v) / r1 + (p("a2") * v ** 2) / r2 + (p("a3") * v ** 3) / r3,
    );
  },
  "series-activation": pointwise(
    (v, p) =>
      p("a1") * relu(v + p("b1")) + p("a2") * relu(v + p("b2")) + p("a3") * relu(v + p("b3")),
  ),
  rational: pointwise((v, p) => {
    const numerator = [0, 1, 2, 3, 4, 5].reduce((s, k) => s + p(`p${k}`) * v ** k, 0);
    const denominator = [1, 2, 3, 4].reduce((s, k) => s + p(`q${k}`) * v ** k, 0);
    return numerator / (1 + Math.abs(denominator));
  }),

  ash: (x, params) => {
    const p = getter(params);
    const threshold = mean(x) + p("zk") * std(x);
    return x.map((v) => v * sigmoid(p("alpha") * (v - threshold)));
  },
};

/** What the gradient is checked against where it is not the derivative of the forward value. */
const GRADIENT_REFERENCES: Record<string, Reference> = {
  // BiPer's backward pass is by definition the surrogate's: the gradient of sin(ωx), not of the
  // square wave sign(sin(ωx)) (whose derivative is 0 almost everywhere).
  biper: pointwise((v, p) => Math.sin(p("omega") * v)),
};

const REQUIRED_NAMES = [
  "relu",
  "leaky-relu",
  "prelu",
  "elu",
  "selu",
  "celu",
  "gelu",
  "gelu-tanh",
  "silu",
  "swish",
  "mish",
  "softplus",
  "tanh",
  "sigmoid",
  "hard-swish",
  "hard-sigmoid",
  "sine",
  "snake",
  "gaussian",
  "crrelu",
  "ash",
  "polyrelu",
  "polynorm",
  "biper",
  "cosnet",
  "clipped-relu",
  "series-activation",
  "quadratic",
  "rational",
];

// ---- inputs ------------------------------------------------------------------------------

/** No point sits on a kink (0, ±1, ±3, 6) or within 0.05 of one at either parameter set. */
const POINTS = [-2.7, -1.3, -0.45, -0.1, 0.2, 0.65, 1.4, 2.9];
/** For entries that clip at −3, 3 or 6 (and a learnable threshold near 6): reach past them. */
const WIDE_POINTS = [-4.2, -2.7, -1.3, -0.45, 0.2, 1.4, 4.5, 7.3];
/** sin(30x) varies fast: keep 30x within ±9 so float32-accurate sin stays well inside tolerance. */
const SINE_POINTS = [-0.27, -0.13, -0.045, -0.01, 0.02, 0.065, 0.14, 0.29];
const POINTS_OF: Record<string, number[]> = {
  relu6: WIDE_POINTS,
  "clipped-relu": WIDE_POINTS,
  "hard-sigmoid": WIDE_POINTS,
  "hard-swish": WIDE_POINTS,
  sine: SINE_POINTS,
};
/** Weights of the loss L = Σ f(x)·r. */
const R = [0.8, -1.1, 0.35, 1.7, -0.6, 0.95, -1.45, 0.5];
const SAMPLE_SHAPE = [8];
const FD_STEP = 1e-6;

function pointsOf(name: string): number[] {
  return POINTS_OF[name] ?? POINTS;
}

function referenceOf(name: string): Reference {
  const reference = REFERENCES[name];
  if (!reference) throw new Error(`zoo entry '${name}' has no independent reference in this test`);
  return reference;
}

function initValues(activation: Activation): Params {
  return Object.fromEntries(Object.entries(activation.params).map(([n, spec]) => [n, spec.init]));
}

/** init + 0.37 + 0.11·i: distinct offsets, so swapped parameters do not go unnoticed. */
function perturbedValues(activation: Activation): Params {
  return Object.fromEntries(
    Object.entries(activation.params).map(([n, spec], i) => [n, spec.init + 0.37 + 0.11 * i]),
  );
}

function paramArrays(activation: Activation, values: Params): ParamArrays {
  const arrays: ParamArrays = {};
  for (const [name, spec] of Object.entries(activation.params)) {
    arrays[name] = np.full(paramShape(spec.sharing, SAMPLE_SHAPE), values[name] as number, {
      dtype: np.float64,
    });
  }
  return arrays;
}

function assertClose(
  got: ArrayLike<number>,
  want: readonly number[],
  relative: number,
  what: string,
): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i] as number, want[i] as number];
    assert.ok(Number.isFinite(w), `${what}[${i}]: reference is not finite (${w})`);
    assert.ok(
      Math.abs(g - w) <= relative * (1 + Math.abs(w)),
      `${what}[${i}]: got ${g}, want ${w} (difference ${g - w})`,
    );
  }
}

const dot = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((s, v, i) => s + v * (b[i] as number), 0);

/** Central finite differences of L = Σ f(x)·r w.r.t. each x_j and each parameter. */
function finiteDifferences(
  f: Reference,
  x: readonly number[],
  params: Params,
): { dx: number[]; dp: Params } {
  const loss = (xs: readonly number[], ps: Params): number => dot(f(xs, ps), R);
  const dx = x.map((_, j) => {
    const [plus, minus] = [[...x], [...x]];
    plus[j] = (x[j] as number) + FD_STEP;
    minus[j] = (x[j] as number) - FD_STEP;
    return (loss(plus, params) - loss(minus, params)) / (2 * FD_STEP);
  });
  const dp: Params = {};
  for (const [name, value] of Object.entries(params)) {
    const plus = loss(x, { ...params, [name]: value + FD_STEP });
    const minus = loss(x, { ...params, [name]: value - FD_STEP });
    dp[name] = (plus - minus) / (2 * FD_STEP);
  }
  return { dx, dp };
}

// ---- the tests ---------------------------------------------------------------------------

before(async () => {
  await startEngine("wasm");
});

describe("zoo inventory", () => {
  test("has at least 35 entries with unique names, each with a reference", () => {
    assert.ok(ZOO.length >= 35, `only ${ZOO.length} entries`);
    const names = ZOO.map((entry) => entry.name);
    assert.equal(new Set(names).size, names.length, "duplicate names");
    for (const name of names) assert.ok(REFERENCES[name], `no reference for '${name}'`);
  });

  test("includes every required name", () => {
    const names = new Set(ZOO.map((entry) => entry.name));
    for (const name of REQUIRED_NAMES) assert.ok(names.has(name), `missing '${name}'`);
  });
});

describe("zoo values match the references (compiled, float64)", () => {
  for (const entry of ZOO) {
    test(entry.name, () => {
      const reference = referenceOf(entry.name);
      const activation = activationOf(entry);
      const points = pointsOf(entry.name);
      const compiled = compileActivation(activation, "float64");
      const canonical = compileActivation(canonicalActivation(activation), "float64");
      try {
        const run = (fn: typeof compiled, params: ParamArrays): Float64Array =>
          takeValues(fn(arrayFrom(points, [1, 8], "float64"), params));
        const want = reference(points, initValues(activation));
        assertClose(
          run(compiled, initParams(activation, SAMPLE_SHAPE, "float64")),
          want,
          1e-4,
          "init",
        );
        const perturbed = perturbedValues(activation);
        const wantPerturbed = reference(points, perturbed);
        assertClose(
          run(compiled, paramArrays(activation, perturbed)),
          wantPerturbed,
          1e-4,
          "perturbed",
        );
        // The canonical form is a rewrite, so it must compute the same function.
        assertClose(
          run(canonical, paramArrays(activation, perturbed)),
          wantPerturbed,
          1e-4,
          "canonical form, perturbed",
        );
      } finally {
        compiled.dispose();
        canonical.dispose();
      }
    });
  }
});

describe("zoo gradients match finite differences of the references (jax-js grad, float64)", () => {
  for (const entry of ZOO) {
    test(entry.name, () => {
      const reference = GRADIENT_REFERENCES[entry.name] ?? referenceOf(entry.name);
      const activation = activationOf(entry);
      const points = pointsOf(entry.name);
      const fn = buildActivationFn(activation, "float64");
      const loss = (x: np.Array, params: ParamArrays): np.Array =>
        np.sum(fn(x, params).mul(arrayFrom(R, [1, 8], "float64")));
      const lossGrad = grad(loss, { argnums: [0, 1] });
      for (const [label, values] of [
        ["init", initValues(activation)],
        ["perturbed", perturbedValues(activation)],
      ] as const) {
        const [gx, gp] = lossGrad(
          arrayFrom(points, [1, 8], "float64"),
          paramArrays(activation, values),
        );
        const gotDx = takeValues(gx);
        const gotDp: Record<string, number> = {};
        for (const [name, g] of Object.entries(gp)) {
          // A shared parameter broadcast over the layer: d/d(value) is the sum over its copies.
          gotDp[name] = takeValues(g).reduce((s, v) => s + v, 0);
        }
        const { dx, dp } = finiteDifferences(reference, points, values);
        assertClose(gotDx, dx, 1e-3, `${label}: dL/dx`);
        assert.deepEqual(Object.keys(gotDp).sort(), Object.keys(dp).sort(), `${label}: parameters`);
        for (const name of Object.keys(dp)) {
          assertClose([gotDp[name] as number], [dp[name] as number], 1e-3, `${label}: dL/d${name}`);
        }
      }
    });
  }
});

describe("zoo text: parse → print → parse is stable", () => {
  for (const entry of ZOO) {
    test(entry.name, () => {
      const parsed = parseActivation(entry.text);
      const printed = printActivation(parsed);
      const reparsed = parseActivation(printed);
      assert.ok(exprEquals(reparsed.expr, parsed.expr), `reparsed expression differs: ${printed}`);
      assert.deepEqual(reparsed.params, parsed.params);
      assert.equal(printActivation(reparsed), printed);

      const canonical = canonicalText(parsed);
      assert.equal(canonicalText(parseActivation(canonical)), canonical);
    });
  }
});

describe("zoo export to TypeScript matches the references", () => {
  let dir = "";
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "nonlin-zoo-export-"));
  });
  after(() => {
    if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const entry of ZOO) {
    test(entry.name, async () => {
      const reference = referenceOf(entry.name);
      const activation = activationOf(entry);
      const points = pointsOf(entry.name);
      const fnName = `act_${entry.name.replace(/[^A-Za-z0-9]/g, "_")}`;
      const source = exportActivation(activation, "js", fnName);
      const file = path.join(dir, `${fnName}.ts`);
      fs.writeFileSync(file, source);
      const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      const exported = module[fnName] as (x: readonly number[], p?: Params) => number[];
      assert.equal(typeof exported, "function", `the export defines no function '${fnName}'`);
      assertClose(exported(points), reference(points, initValues(activation)), 1e-9, "defaults");
      const perturbed = perturbedValues(activation);
      assertClose(exported(points, perturbed), reference(points, perturbed), 1e-9, "perturbed");
    });
  }
});
