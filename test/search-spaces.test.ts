/**
 * Search spaces and candidates. For each expression space: 200 seeded samples parse back from
 * their printed text to the same canonical hash, and the canonical text is a fixed point; the
 * number of distinct hashes is reported (and must be high); mutation changes the hash in at
 * least 90% of cases; the same seed gives the same samples, mutants and children; every sample,
 * mutant and child respects the space's bounds (depth and size measured here, independently).
 * The core-unit primitives are checked one by one against plain-TypeScript formulas of the
 * Swish paper's table, and x·σ(βx) and ReLU are built from them.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { Rng } from "../src/data/rng.js";
import { arrayFrom, keyFromSeed, startEngine, takeValues } from "../src/engine/index.js";
import type { Activation, Expr } from "../src/expr/ast.js";
import { buildActivationFn, initParams } from "../src/expr/compile.js";
import { canonicalText, structuralHash } from "../src/expr/hash.js";
import { parseActivation } from "../src/expr/parse.js";
import { printActivation } from "../src/expr/print.js";
import { canonicalActivation } from "../src/expr/simplify.js";
import { Model } from "../src/nn/model.js";
import {
  CandidatePool,
  crossCandidates,
  makeCandidate,
  mutateCandidate,
  sampleDistinct,
} from "../src/search/candidate.js";
import type { CoreBinary, CoreUnary } from "../src/search/spaces/core-units.js";
import {
  buildCoreUnits,
  CORE_BINARY,
  CORE_UNARY,
  CoreUnitSpace,
  coreUnitGenomeOf,
} from "../src/search/spaces/core-units.js";
import { EVONORM_B0_GRAPH, EVONORM_S0_GRAPH, GraphSpace } from "../src/search/spaces/graphs.js";
import {
  DEFAULT_KAN_UNIVERSE,
  KanBasisSpace,
  kanBasisKey,
  kanBasisLayer,
} from "../src/search/spaces/kan-basis.js";
import { TreeSpace } from "../src/search/spaces/trees.js";
import type { SearchSpace } from "../src/search/types.js";

// ---- independent measures -------------------------------------------------------------------

function children(e: Expr): Expr[] {
  if (e.kind === "call") return [...e.args];
  if (e.kind === "pow") return [e.base];
  if (e.kind === "stat") return [e.arg];
  return [];
}
const depthOf = (e: Expr): number => 1 + Math.max(0, ...children(e).map(depthOf));
const sizeOf = (e: Expr): number => 1 + children(e).reduce((s, c) => s + sizeOf(c), 0);
const nodes = (e: Expr): Expr[] => [e, ...children(e).flatMap(nodes)];
const usesX = (e: Expr): boolean => nodes(e).some((n) => n.kind === "input");

const SAMPLES = 200;

interface SpaceRun {
  samples: Activation[];
  mutants: Activation[];
  children: Activation[];
}

function run(space: SearchSpace, seed: number): SpaceRun {
  const rng = new Rng(seed);
  const samples = Array.from({ length: SAMPLES }, () => space.sample(rng));
  const mutants = samples.map((a) => space.mutate(a, rng));
  const kids = samples.map((a, i) =>
    space.crossover ? space.crossover(a, samples[(i + 1) % SAMPLES] as Activation, rng) : a,
  );
  return { samples, mutants, children: kids };
}

const texts = (r: SpaceRun): string[] =>
  [...r.samples, ...r.mutants, ...r.children].map(printActivation);

function checkCommon(
  space: SearchSpace,
  minDistinct: number,
  t: { diagnostic(message: string): void },
): SpaceRun {
  const r = run(space, 11);
  const hashes = new Set<string>();
  for (const a of [...r.samples, ...r.mutants, ...r.children]) {
    const candidate = makeCandidate(a, "test");
    // printed text parses back to the same function
    assert.equal(structuralHash(parseActivation(printActivation(a))), candidate.hash);
    // the canonical text is a fixed point of parse + canonicalise
    assert.equal(canonicalText(parseActivation(candidate.text)), candidate.text);
    assert.ok(usesX(canonicalActivation(a).expr), `does not use x: ${candidate.text}`);
  }
  for (const a of r.samples) hashes.add(structuralHash(a));
  const changed = r.samples.filter(
    (a, i) => structuralHash(a) !== structuralHash(r.mutants[i] as Activation),
  ).length;
  t.diagnostic(
    `${space.name}: ${hashes.size} distinct hashes in ${SAMPLES} samples; mutation changed ${changed}/${SAMPLES}`,
  );
  assert.ok(hashes.size >= minDistinct, `${space.name}: only ${hashes.size} distinct samples`);
  assert.ok(changed >= 0.9 * SAMPLES, `${space.name}: mutation changed only ${changed}`);
  // determinism: the same seed gives the same texts, another seed different ones
  assert.deepEqual(texts(run(space, 11)), texts(r));
  assert.notDeepEqual(texts(run(space, 12)).slice(0, SAMPLES), texts(r).slice(0, SAMPLES));
  return r;
}

before(async () => {
  await startEngine();
});

// ---- core units -----------------------------------------------------------------------------

const SAFE = 1e-7;
/** The paper's unary table with our initial β values (βx: 1, x + β: 0, β: 1). */
const UNARY_REF: Record<CoreUnary, (z: number) => number> = {
  x: (z) => z,
  neg: (z) => -z,
  abs: (z) => Math.abs(z),
  square: (z) => z * z,
  cube: (z) => z * z * z,
  sqrt: (z) => Math.sqrt(Math.max(z, SAFE)),
  scale: (z) => 1 * z,
  shift: (z) => z + 0,
  log: (z) => Math.log(Math.max(Math.abs(z), SAFE)),
  exp: Math.exp,
  sin: Math.sin,
  cos: Math.cos,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  atan: Math.atan,
  sinc: (z) => Math.sin(z) / z,
  relu: (z) => Math.max(z, 0),
  min0: (z) => Math.min(z, 0),
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  softplus: (z) => Math.log(1 + Math.exp(z)),
  gaussian: (z) => Math.exp(-z * z),
  erf: (z) => {
    // Abramowitz & Stegun 7.1.26 is too coarse; integrate 2/√π e^{-t²} on [0, z] (Simpson)
    const n = 2000;
    const h = z / n;
    let s = 1 + Math.exp(-z * z);
    for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
    return ((s * h) / 3) * (2 / Math.sqrt(Math.PI));
  },
  const: () => 1,
};
/** The paper's binary table (exp(−β(a−b)²), exp(−β|a−b|): β = 1; blend β = 0.5). */
const BINARY_REF: Record<CoreBinary, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  mul: (a, b) => a * b,
  sub: (a, b) => a - b,
  div: (a, b) => a / (b >= 0 ? Math.max(b, SAFE) : Math.min(b, -SAFE)),
  max: Math.max,
  min: Math.min,
  sigmoid_gate: (a, b) => b / (1 + Math.exp(-a)),
  gauss_diff: (a, b) => Math.exp(-((a - b) ** 2)),
  laplace_diff: (a, b) => Math.exp(-Math.abs(a - b)),
  blend: (a, b) => 0.5 * a + 0.5 * b,
};

const POINTS = [-1.7, -0.3, 0.4, 2.2];

function valuesOf(activation: Activation, xs: number[]): number[] {
  const fn = buildActivationFn(activation, "float64");
  return [
    ...takeValues(
      fn(arrayFrom(xs, [xs.length, 1], "float64"), initParams(activation, [1], "float64")),
    ),
  ];
}

function assertClose(got: number[], want: number[], label: string): void {
  got.forEach((g, i) => {
    const w = want[i] as number;
    assert.ok(Math.abs(g - w) <= 1e-5 * (1 + Math.abs(w)), `${label}: got ${g}, want ${w}`);
  });
}

describe("core-unit space (Swish search)", () => {
  test("has the paper's 25 unary and 10 binary functions, each computing its formula", () => {
    assert.equal(CORE_UNARY.length, 25);
    assert.equal(CORE_BINARY.length, 10);
    for (const u of CORE_UNARY) {
      // u(x) + β with β = 1: every unary, including the constant
      const a = buildCoreUnits({
        units: [{ binary: "add", left: u, right: "const", rightInput: 0 }],
      });
      assertClose(
        valuesOf(a, POINTS),
        POINTS.map((x) => UNARY_REF[u](x) + 1),
        `unary ${u}`,
      );
    }
    for (const b of CORE_BINARY) {
      const a = buildCoreUnits({
        units: [{ binary: b, left: "x", right: "square", rightInput: 0 }],
      });
      assertClose(
        valuesOf(a, POINTS),
        POINTS.map((x) => BINARY_REF[b](x, x * x)),
        `binary ${b}`,
      );
    }
  });

  test("x·σ(βx) (Swish) and ReLU are members, built from core units", () => {
    const swish = buildCoreUnits({
      units: [{ binary: "sigmoid_gate", left: "scale", right: "x", rightInput: 0 }],
    });
    assert.equal(
      canonicalText(swish),
      canonicalText(parseActivation("sigmoid(b1 * x) * x where b1 = 1")),
    );
    assert.deepEqual(swish.params, { b1: { init: 1, learnable: true, sharing: "scalar" } });
    const relu = buildCoreUnits({
      units: [{ binary: "mul", left: "relu", right: "const", rightInput: 0 }],
    });
    const grid = [-3, -1, -0.5, 0, 0.5, 1, 3];
    assertClose(
      valuesOf(relu, grid),
      grid.map((x) => Math.max(x, 0)),
      "relu",
    );
    assertClose(
      valuesOf(swish, grid),
      grid.map((x) => x / (1 + Math.exp(-x))),
      "swish",
    );
  });

  test("two units: the second reads the first unit's output and x", () => {
    // unit 1: x + x², unit 2: tanh(unit 1) · x
    const a = buildCoreUnits({
      units: [
        { binary: "add", left: "x", right: "square", rightInput: 0 },
        { binary: "mul", left: "tanh", right: "x", rightInput: 0 },
      ],
    });
    assertClose(
      valuesOf(a, POINTS),
      POINTS.map((x) => Math.tanh(x + x * x) * x),
      "two units",
    );
    assert.throws(
      () => buildCoreUnits({ units: [{ binary: "add", left: "x", right: "x", rightInput: 1 }] }),
      /units\[0\]\.rightInput/,
    );
    assert.throws(() => buildCoreUnits({ units: [] }), /at least one unit/);
  });

  test("200 samples: round trip, diversity, mutation, determinism, at most maxUnits units", (t) => {
    const space = new CoreUnitSpace({ maxUnits: 2 });
    const r = checkCommon(space, 180, t);
    for (const a of [...r.samples, ...r.mutants, ...r.children]) {
      const genome = coreUnitGenomeOf(a);
      assert.ok(genome, "every activation the space makes carries its genome");
      assert.ok(genome.units.length >= 1 && genome.units.length <= 2);
      assert.equal(structuralHash(buildCoreUnits(genome)), structuralHash(a));
    }
    // both unit counts occur
    const counts = new Set(r.samples.map((a) => coreUnitGenomeOf(a)?.units.length));
    assert.deepEqual([...counts].sort(), [1, 2]);
  });

  test("a parent it did not make (parsed text) is varied by point mutation", () => {
    const space = new CoreUnitSpace();
    const rng = new Rng(5);
    const parent = parseActivation("x * sigmoid(x)");
    let changed = 0;
    for (let i = 0; i < 50; i++) {
      const child = space.mutate(parent, rng);
      assert.equal(sizeOf(child.expr), sizeOf(parent.expr));
      if (structuralHash(child) !== structuralHash(parent)) changed++;
    }
    assert.ok(changed >= 45, `changed ${changed}/50`);
  });
});

// ---- free trees -----------------------------------------------------------------------------

const TREE_OPS = new Set([
  "neg",
  "abs",
  "exp",
  "log",
  "sqrt",
  "sin",
  "cos",
  "tanh",
  "atan",
  "asinh",
  "sigmoid",
  "erf",
  "softplus",
  "relu",
  "gaussian",
  "sinc",
  "add",
  "mul",
  "div",
  "max",
  "min",
]);

describe("free expression trees (genetic programming)", () => {
  test("200 samples: round trip, diversity, mutation, determinism, depth ≤ 5 and size ≤ 15", (t) => {
    const space = new TreeSpace({ maxDepth: 5, maxSize: 15 });
    const r = checkCommon(space, 140, t);
    for (const a of [...r.samples, ...r.mutants, ...r.children]) {
      assert.ok(depthOf(a.expr) <= 5, `depth ${depthOf(a.expr)}: ${printActivation(a)}`);
      assert.ok(sizeOf(a.expr) <= 15, `size ${sizeOf(a.expr)}: ${printActivation(a)}`);
      for (const n of nodes(a.expr)) {
        if (n.kind === "call") assert.ok(TREE_OPS.has(n.op), `op ${n.op}`);
        if (n.kind === "pow") assert.ok([2, 3].includes(n.exponent));
        assert.notEqual(n.kind, "stat");
      }
      // learnable constants are named c1, c2, … in order, each declared
      const names = Object.keys(a.params);
      assert.deepEqual(
        names,
        names.map((_, i) => `c${i + 1}`),
      );
    }
    const withParams = r.samples.filter((a) => Object.keys(a.params).length > 0).length;
    assert.ok(withParams > 20, `only ${withParams} samples have learnable constants`);
  });

  test("tighter bounds hold too (depth 3, size 6)", () => {
    const space = new TreeSpace({ maxDepth: 3, maxSize: 6 });
    const r = run(space, 3);
    for (const a of [...r.samples, ...r.mutants, ...r.children]) {
      assert.ok(depthOf(a.expr) <= 3 && sizeOf(a.expr) <= 6, printActivation(a));
    }
    assert.throws(() => new TreeSpace({ maxDepth: 1 }), /maxDepth/);
  });
});

// ---- EvoNorm graphs -------------------------------------------------------------------------

describe("EvoNorm-style graphs", () => {
  test("200 samples: round trip, diversity, mutation, determinism, a live statistic, γ·G + β", (t) => {
    const space = new GraphSpace({ maxDepth: 5, maxSize: 16 });
    const r = checkCommon(space, 160, t);
    for (const a of [...r.samples, ...r.mutants, ...r.children]) {
      const e = a.expr;
      // the affine wrapper: add(mul(G, gamma), beta), per-channel
      assert.ok(e.kind === "call" && e.op === "add", printActivation(a));
      const [product, beta] = e.args as [Expr, Expr];
      assert.deepEqual(beta, { kind: "param", name: "beta" });
      assert.ok(product.kind === "call" && product.op === "mul");
      const graph = product.args[0] as Expr;
      assert.deepEqual(product.args[1], { kind: "param", name: "gamma" });
      assert.ok(depthOf(graph) <= 5 && sizeOf(graph) <= 16, printActivation(a));
      // not pointwise: some statistic of an x-dependent argument survives canonicalisation
      const canonical = canonicalActivation(a).expr;
      assert.ok(
        nodes(canonical).some((n) => n.kind === "stat" && usesX(n.arg)),
        `no live statistic: ${printActivation(a)}`,
      );
      for (const spec of Object.values(a.params)) assert.equal(spec.sharing, "channel");
    }
    const axes = new Set(
      r.samples.flatMap((a) => nodes(a.expr).flatMap((n) => (n.kind === "stat" ? [n.axis] : []))),
    );
    assert.deepEqual([...axes].sort(), ["batch", "feature", "instance"]);
  });

  test("EvoNorm-B0 and S0 (instance axis for the group) are in the space and build as layers", () => {
    const space = new GraphSpace();
    for (const text of [EVONORM_B0_GRAPH, EVONORM_S0_GRAPH]) {
      assert.ok(space.containsGraph(parseActivation(text)), text);
      const candidate = space.fromGraphText(text);
      assert.equal(canonicalText(space.graphOf(candidate)), canonicalText(parseActivation(text)));
      // usable as the activation of a dense layer: B0 on a batch of 4 rows
      const model = new Model(
        [{ type: "dense", units: 3, activation: printActivation(candidate) }],
        [2],
        "float64",
      );
      assert.equal(model.paramCount(), 2 * 3 + 3 + 3 * (1 + 2)); // W, b, and v1, gamma, beta per channel
    }
    // B0 on a [4, 3] batch against the formula: x / max(σ_batch, v·x + σ_instance)·γ + β
    const x = [0.5, -1, 2, 1.5, 0.25, -0.75, -2, 1, 0.5, 0.1, -0.3, 1.2];
    const std = (values: number[]): number => {
      const m = values.reduce((s, v) => s + v, 0) / values.length;
      const v = values.reduce((s, u) => s + (u - m) ** 2, 0) / values.length;
      return Math.sqrt(Math.max(v, 1e-7));
    };
    const want = x.map((value, i) => {
      const [r, c] = [Math.floor(i / 3), i % 3];
      const column = [0, 1, 2, 3].map((k) => x[k * 3 + c] as number);
      const row = [0, 1, 2].map((k) => x[r * 3 + k] as number);
      return value / Math.max(std(column), value + std(row));
    });
    const b0 = space.fromGraphText(EVONORM_B0_GRAPH);
    const got = takeValues(
      buildActivationFn(b0, "float64")(
        arrayFrom(x, [4, 3], "float64"),
        initParams(b0, [3], "float64"),
      ),
    );
    assertClose([...got], want, "EvoNorm-B0");
    // as the normalisation-activation layer of a small conv net (channels last)
    for (const text of [EVONORM_B0_GRAPH, EVONORM_S0_GRAPH]) {
      const convNet = new Model(
        [
          { type: "conv2d", filters: 4, kernel: 3 },
          { type: "activation", fn: printActivation(space.fromGraphText(text)) },
          { type: "flatten" },
          { type: "dense", units: 2 },
        ],
        [6, 6, 1],
        "float32",
      );
      const images = Array.from({ length: 2 * 36 }, (_, i) => Math.sin(i));
      const out = convNet.apply(
        convNet.init(keyFromSeed(0)),
        arrayFrom(images, [2, 6, 6, 1], "float32"),
      );
      assert.deepEqual(out.shape, [2, 2]);
      assert.ok(takeValues(out).every(Number.isFinite), text);
    }
    assert.ok(!space.containsGraph(parseActivation("tanh(x)")), "pointwise graphs are not members");
    assert.ok(!space.containsGraph(parseActivation("x / std(v1) where v1 = 1 per_channel")));
  });
});

// ---- S-KAN basis choice ---------------------------------------------------------------------

describe("S-KAN basis space", () => {
  test("subsets of the universe, mutation always changes the set, layers build", () => {
    const space = new KanBasisSpace({ maxSpaces: 3 });
    const rng = new Rng(9);
    const keys = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const c = space.sample(rng);
      assert.ok(c.spaces.length >= 1 && c.spaces.length <= 3);
      assert.equal(new Set(c.spaces).size, c.spaces.length);
      const order = c.spaces.map((s) => DEFAULT_KAN_UNIVERSE.indexOf(s));
      assert.ok(order.every((o, k) => o >= 0 && (k === 0 || o > (order[k - 1] as number))));
      keys.add(kanBasisKey(c));
      const m = space.mutate(c, rng);
      assert.notEqual(kanBasisKey(m), kanBasisKey(c));
      assert.ok(m.spaces.length >= 1 && m.spaces.length <= 3);
      const child = space.crossover(c, m, rng);
      assert.ok(child.spaces.every((s) => c.spaces.includes(s) || m.spaces.includes(s)));
    }
    // 9 spaces, sets of 1–3: 9 + 36 + 84 = 129 possible
    // expected about 86 distinct (coupon collecting: 9 + 36·(1 − (35/36)^67) + 84·(1 − (83/84)^67))
    assert.ok(keys.size >= 75, `${keys.size} distinct sets`);
    const again = new KanBasisSpace({ maxSpaces: 3 });
    const a = new Rng(4);
    const b = new Rng(4);
    for (let i = 0; i < 20; i++) assert.deepEqual(space.sample(a), again.sample(b));
    const layer = kanBasisLayer({ spaces: ["rbf", "silu"] }, { units: 3 });
    assert.deepEqual(layer, { units: 3, type: "kan_selectable", spaces: ["rbf", "silu"] });
    const model = new Model([layer], [2], "float32");
    assert.equal(model.layers[0]?.kind, "kan_selectable");
    assert.throws(() => new KanBasisSpace({ universe: ["rbf", "ash"] }), /pointwise/);
    assert.throws(() => new KanBasisSpace({ universe: ["rbf", "nope"] }), /unknown space 'nope'/);
  });
});

// ---- candidates and the pool ----------------------------------------------------------------

describe("candidates", () => {
  test("equal functions written differently share one hash; the pool keeps one and caches", () => {
    const a = makeCandidate(parseActivation("x * sigmoid(x)"), "a");
    const b = makeCandidate(parseActivation("sigmoid(x) * x"), "b");
    assert.equal(a.hash, b.hash);
    assert.equal(a.text, b.text);
    assert.equal(a.hash, structuralHash(parseActivation("x*sigmoid(x)")));
    const pool = new CandidatePool<number>();
    assert.equal(pool.offer(a), true);
    assert.equal(pool.offer(b), false);
    assert.equal(pool.duplicates, 1);
    assert.equal(pool.get(a.hash)?.origin, "a");
    let computed = 0;
    const value = (): number => ++computed * 10;
    assert.equal(pool.evaluate(b, value), 10);
    assert.equal(pool.evaluate(a, value), 10);
    assert.equal(computed, 1);
    const c = makeCandidate(parseActivation("tanh(x)"), "c");
    assert.equal(pool.evaluate(c, value), 20);
    assert.equal(pool.size, 2);
    assert.equal(pool.resultOf(c.hash), 20);
  });

  test("sampleDistinct, mutateCandidate and crossCandidates record origins", () => {
    const space = new TreeSpace();
    const pool = new CandidatePool();
    const rng = new Rng(2);
    const fresh = sampleDistinct(space, rng, pool, 30);
    assert.equal(fresh.length, 30);
    assert.equal(new Set(fresh.map((c) => c.hash)).size, 30);
    assert.equal(pool.size, 30);
    const mutant = mutateCandidate(space, fresh[0]!, rng);
    assert.equal(mutant.origin, `mutation of ${fresh[0]!.hash}`);
    const child = crossCandidates(space, fresh[0]!, fresh[1]!, rng);
    assert.equal(child.origin, `crossover of ${fresh[0]!.hash} × ${fresh[1]!.hash}`);
    // the candidate keeps the space's own activation object (the core-unit genome survives)
    const core = new CoreUnitSpace();
    const candidate = makeCandidate(core.sample(rng), "core");
    assert.ok(coreUnitGenomeOf(candidate.activation));
  });
});
