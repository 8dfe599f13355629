import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { fitEdgeFunction, rankEdgeFits } from "../src/analysis/edge-fit.js";
import {
  DEFAULT_EDGE_LIBRARY,
  edgeFunctionOf,
  EdgeLibraryError,
} from "../src/analysis/edge-library.js";
import { arrayFrom, keyFromSeed, startEngine, takeValues } from "../src/engine/index.js";
import { compileProgram, ColumnEvaluator } from "../src/expr/evaluate.js";
import { parseExpr } from "../src/expr/parse.js";
import { printExpr } from "../src/expr/print.js";
import { srEdgeFallback } from "../src/cli/kan-symbolic.js";
import { formulaUnavailable, kanFormula } from "../src/nn/kan/formula.js";
import type { KanLayer } from "../src/nn/kan/bspline.js";
import { SYMBOLIC_AFFINE } from "../src/nn/kan/symbolic-edges.js";
import type { LayerSpec } from "../src/nn/model.js";
import { Model } from "../src/nn/model.js";
import { fixSymbolicEdges, KanSymbolicError } from "../src/train/kan-symbolic.js";
import { LayerSpecError } from "../src/nn/layer.js";

const xs = Float64Array.from({ length: 1000 }, (_, i) => -1 + (2 * i) / 999);
const byName = (name: string) => DEFAULT_EDGE_LIBRARY.find((f) => f.name === name)!;

describe("edge fit: c·f(a·x + b) + d", () => {
  it("recovers sin's a, b, c, d to 1e-6 (the sign and period fold counted: sin(u) = sin(π − u))", () => {
    const fit = fitEdgeFunction(
      byName("sin"),
      xs,
      xs.map((v) => 1.5 * Math.sin(2 * v + 0.3) - 0.2),
    );
    // c·sin(a·x + b) has the same curve for (a, b, c), (−a, π − b, c), (a, b + π, −c), …: fold
    // to a > 0, c > 0, b in (−π, π]
    let { a, b, c } = fit;
    if (a < 0) [a, b] = [-a, Math.PI - b];
    if (c < 0) [b, c] = [b + Math.PI, -c];
    b = b - 2 * Math.PI * Math.round(b / (2 * Math.PI));
    assert.ok(Math.abs(a - 2) < 1e-6 && Math.abs(b - 0.3) < 1e-6, `a ${a} b ${b}`);
    assert.ok(Math.abs(c - 1.5) < 1e-6 && Math.abs(fit.d + 0.2) < 1e-6, `c ${c} d ${fit.d}`);
    assert.ok(fit.r2 > 1 - 1e-12);
  });

  it("recovers exp's a, c, d (b is fixed at 0: c·e^b is one constant)", () => {
    const fit = fitEdgeFunction(
      byName("exp"),
      xs,
      xs.map((v) => 0.7 * Math.exp(1.3 * v) + 0.1),
    );
    assert.equal(fit.b, 0);
    for (const [got, want] of [
      [fit.a, 1.3],
      [fit.c, 0.7],
      [fit.d, 0.1],
    ] as const)
      assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);
  });

  it("recovers x²'s b, c, d (a is fixed at 1: (a·x + b)² = a²·(x + b/a)²)", () => {
    const fit = fitEdgeFunction(
      byName("x^2"),
      xs,
      xs.map((v) => 2 * (v + 0.3) ** 2 - 1),
    );
    assert.equal(fit.a, 1);
    for (const [got, want] of [
      [fit.b, 0.3],
      [fit.c, 2],
      [fit.d, -1],
    ] as const)
      assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);
  });

  it("recovers the gaussian's a, b, c, d up to the sign of (a, b)", () => {
    const fit = fitEdgeFunction(
      byName("gaussian"),
      xs,
      xs.map((v) => 0.5 * Math.exp(-((1.5 * v - 0.4) ** 2)) + 0.2),
    );
    const sign = Math.sign(fit.a);
    for (const [got, want] of [
      [sign * fit.a, 1.5],
      [sign * fit.b, -0.4],
      [fit.c, 0.5],
      [fit.d, 0.2],
    ] as const)
      assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);
  });

  it("ranks the generating function first by pykan's score", () => {
    const ranked = rankEdgeFits(
      DEFAULT_EDGE_LIBRARY,
      xs,
      xs.map((v) => Math.sin(Math.PI * v)),
    );
    assert.equal(ranked[0]!.name, "sin");
    // score = 0.8·complexity + 0.2·log2(1 + 1e-5 − R²)
    assert.ok(Math.abs(ranked[0]!.score - (0.8 * 2 + 0.2 * Math.log2(1e-5))) < 1e-6);
  });

  it("takes a library name, else an expression of x, else refuses the entry naming it", () => {
    assert.equal(edgeFunctionOf("sin").complexity, 2);
    const user = edgeFunctionOf("x*sigmoid(x)");
    assert.equal(user.a, "free");
    assert.equal(user.complexity, 4); // mul, x, sigmoid, x
    assert.throws(
      () => edgeFunctionOf("sine("),
      (error: unknown) =>
        error instanceof EdgeLibraryError &&
        /'sine\(' is neither a library name .* nor an expression of x/.test(error.message),
    );
  });
});

describe("a KAN with fixed edges", () => {
  before(async () => {
    await startEngine("wasm");
  });

  const specs: LayerSpec[] = [
    {
      type: "kan",
      units: 2,
      grid_size: 3,
      symbolic: [
        { input: 0, unit: 0, expr: "sin(x)" },
        { input: 1, unit: 0, expr: "x^2" },
        { input: 0, unit: 1, expr: "x" },
        { input: 1, unit: 1, expr: "gaussian(x)" },
      ],
    },
    {
      type: "kan",
      units: 1,
      grid_size: 3,
      symbolic: [
        { input: 0, unit: 0, expr: "exp(x)" },
        { input: 1, unit: 0, expr: "tanh(x)" },
      ],
    },
  ] as LayerSpec[];
  const affine = [
    [3.1, 0.2, 0.9, -0.1, 1.2, -0.3, 0.8, 0.05, 0.7, 0.1, 1.1, 0.2, 1.3, -0.2, 0.6, 0.3],
    [0.5, 0.1, 1.4, -0.2, 2.0, 0.4, -0.7, 0.1],
  ];

  it("reads out to a formula equal to the network's outputs (1e-10, float64)", () => {
    const model = new Model(specs, [2], "float64");
    const state = model.init(keyFromSeed(3));
    model.layers.forEach((_, l) => {
      state[l]!.params[SYMBOLIC_AFFINE]!.dispose();
      state[l]!.params[SYMBOLIC_AFFINE] = arrayFrom(
        affine[l]!,
        [affine[l]!.length / 4, 4],
        "float64",
      );
    });
    const rows = 200;
    const input = Float64Array.from({ length: rows * 2 }, (_, i) => Math.sin(1.7 * i) * 0.9);
    const jaxNetwork = takeValues(model.apply(state, arrayFrom(input, [rows, 2], "float64")));
    // the network in plain float64: every spline edge is masked, so each layer is its fixed edges
    let h = input;
    model.layers.forEach((layer, l) => {
      const kan = layer as KanLayer;
      const out = new Float64Array((h.length / kan.inputs) * kan.units);
      kan.symbolic.addPlainOutputs(h, takeValues(kan.array(state[l]!, SYMBOLIC_AFFINE)), out);
      h = out;
    });
    const network = h;
    assert.equal(formulaUnavailable(model, state), undefined);
    const [formula] = kanFormula(model, state, ["x1", "x2"]);
    const columns = [0, 1].map((c) =>
      Float64Array.from({ length: rows }, (_, r) => input[r * 2 + c]!),
    );
    const program = compileProgram(formula!, {
      variables: new Map([
        ["x1", 0],
        ["x2", 1],
      ]),
    });
    const values = new ColumnEvaluator(columns).run(program);
    for (let r = 0; r < rows; r++)
      assert.ok(
        Math.abs(values[r]! - network[r]!) < 1e-10 * (1 + Math.abs(network[r]!)),
        `row ${r}: formula ${values[r]} network ${network[r]} (${printExpr(formula!)})`,
      );
    // jax-js's float64 exp and sin are accurate to ~1e-7 (kan-fast/kan-objective.ts), so the
    // jitted forward pass matches to that
    for (let r = 0; r < rows; r++)
      assert.ok(Math.abs(jaxNetwork[r]! - network[r]!) < 1e-6 * (1 + Math.abs(network[r]!)));
  });

  it("names a fixed edge outside the layer", () => {
    assert.throws(
      () =>
        new Model(
          [{ type: "kan", units: 1, symbolic: [{ input: 2, unit: 0, expr: "x" }] }] as LayerSpec[],
          [2],
          "float64",
        ),
      (error: unknown) =>
        error instanceof LayerSpecError &&
        /symbolic\[0\]\.input: 2 is not an input/.test(error.message),
    );
  });

  it("has no formula while an active edge is a spline", () => {
    const model = new Model([{ type: "kan", units: 1 }] as LayerSpec[], [2], "float64");
    const state = model.init(keyFromSeed(1));
    assert.match(formulaUnavailable(model, state) ?? "", /edge 0→0 is still a spline/);
  });

  it("an edge no library function explains goes to the fallback and is fixed to its expression", () => {
    const model = new Model([{ type: "kan", units: 1 }] as LayerSpec[], [1], "float64");
    const state = model.init(keyFromSeed(4));
    const x = arrayFrom(xs, [1000, 1], "float64");
    const seen: number[] = [];
    const fixed = fixSymbolicEdges(model, state, x, {
      library: [DEFAULT_EDGE_LIBRARY.find((f) => f.name === "0")!],
      r2Threshold: 0.5,
      auto: true,
      lock: [],
      fit: { aRange: [-10, 10], bRange: [-10, 10], gridPoints: 11, simplicityWeight: 0.8 },
      fallback: (samples) => {
        seen.push(samples.x.length, samples.layer, samples.input, samples.unit);
        return { expr: parseExpr("sin(3*x)"), r2: 0.75 };
      },
    });
    x.dispose();
    assert.deepEqual(seen, [1000, 0, 0, 0]);
    assert.equal(fixed.fixed.length, 1);
    assert.equal(fixed.fixed[0]!.source, "sr");
    assert.equal((fixed.model.layers[0] as KanLayer).symbolic.edges[0]?.expr, "sin(3 * x)");
  });

  it("the CLI's fallback (nonlin's symbolic regression) recovers a cubic edge", () => {
    const x = xs.filter((_, i) => i % 4 === 0);
    const y = x.map((v) => 0.5 * v ** 3 - v);
    const found = srEdgeFallback({ layer: 0, input: 0, unit: 0, x, y }, 20000);
    assert.ok(found && found.r2 > 1 - 1e-9, `r2 ${found?.r2}`);
    const program = compileProgram(found.expr, { input: 0 });
    const values = new ColumnEvaluator([x]).run(program);
    x.forEach((_, r) => assert.ok(Math.abs(values[r]! - y[r]!) < 1e-6));
  });

  it("a lock naming an edge that does not exist is refused, naming the lock and the edge", () => {
    const model = new Model([{ type: "kan", units: 1 }] as LayerSpec[], [2], "float64");
    const state = model.init(keyFromSeed(1));
    const x = arrayFrom(xs.slice(0, 200), [100, 2], "float64");
    assert.throws(
      () =>
        fixSymbolicEdges(
          model,
          state,
          x,
          {
            library: DEFAULT_EDGE_LIBRARY,
            r2Threshold: 0.9,
            auto: true,
            lock: [{ layer: 0, input: 5, unit: 0, function: "sin" }],
            fit: { aRange: [-10, 10], bRange: [-10, 10], gridPoints: 21, simplicityWeight: 0.8 },
          },
          "phases[1]",
        ),
      (error: unknown) =>
        error instanceof KanSymbolicError &&
        /phases\[1\]\.lock\[0\]: edge 0\.5\.0 does not exist/.test(error.message),
    );
    x.dispose();
  });
});
