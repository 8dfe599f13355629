import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { numpy as np } from "@jax-js/jax";
import { valueAndGrad } from "@jax-js/jax";
import {
  arrayFrom,
  disposeTree,
  keyFromSeed,
  startEngine,
  takeValues,
} from "../src/engine/index.js";
import { matmul2d } from "../src/nn/dense.js";
import type { KanLayer } from "../src/nn/kan/bspline.js";
import { basisAt, designMatrix } from "../src/nn/kan/bspline-scalar.js";
import { knotsFromSamples, readSplines, regrid } from "../src/nn/kan/kan-ops.js";
import { leastSquares } from "../src/numeric/least-squares.js";
import { kanScores } from "../src/nn/kan/prune.js";
import type { LayerSpec, ModelState } from "../src/nn/model.js";
import { disposeState, Model, splitState } from "../src/nn/model.js";
import { fitLbfgs } from "../src/train/fit-lbfgs.js";
import { FlatLayout } from "../src/train/flat.js";
import { PlainKanObjective } from "../src/train/kan-fast/kan-objective.js";
import { LocalBasis } from "../src/nn/kan/plain/local-basis.js";
import { pykanRegularizer } from "../src/train/kan-fast/penalty.js";
import type { KanPenalty } from "../src/train/objective.js";
import { makeFlatObjective, PYKAN_PENALTY } from "../src/train/objective.js";
import { fixedValues } from "./support/layer-check.js";

/** The textbook Cox–de Boor recursion, one function at a time (0/0 taken as 0). */
function coxDeBoor(t: number[], c: number, p: number, x: number): number {
  if (p === 0) return t[c]! <= x && x < t[c + 1]! ? 1 : 0;
  const left = t[c + p]! - t[c]!;
  const right = t[c + p + 1]! - t[c + 1]!;
  return (
    (left === 0 ? 0 : ((x - t[c]!) / left) * coxDeBoor(t, c, p - 1, x)) +
    (right === 0 ? 0 : ((t[c + p + 1]! - x) / right) * coxDeBoor(t, c + 1, p - 1, x))
  );
}

const relativeGap = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return worst / scale;
};

/** Uneven knots per input (the second with a repeated interior knot), order 3, 3 cells. */
const UNEVEN = [
  [-3.1, -2.2, -1.6, -1, -0.35, 0.1, 1, 1.7, 2.5, 3.2],
  [-2.9, -2.1, -1.4, -0.9, -0.2, -0.2, 1.1, 1.9, 2.4, 3],
];

interface Setup {
  model: Model;
  layout: FlatLayout;
  buffers: ModelState[number]["buffers"][];
  flat: Float64Array;
  x: Float64Array;
  y: Float64Array;
  rows: number;
}

/** A float64 KAN on uneven first-layer knots with params moved off their init. */
function setup(specs: LayerSpec[], rows: number, masked: boolean): Setup {
  const model = new Model(specs, [2], "float64");
  const state = model.init(keyFromSeed(7));
  const first = state[0]!.buffers;
  first.knots!.dispose();
  first.knots = arrayFrom(UNEVEN.flat(), [2, 10], "float64");
  if (masked) {
    const m = (specs[0] as unknown as { units: number }).units;
    first.mask!.dispose();
    first.mask = arrayFrom(
      Array.from({ length: 2 * m }, (_, e) => (e === 1 ? 0 : 1)),
      [2, m],
      "float64",
    );
  }
  const { params, buffers } = splitState(state);
  const layout = new FlatLayout(params);
  const flat = layout.flatten(params).map((v, i) => v + 0.4 * fixedValues(layout.size, 5)[i]!);
  disposeTree(params);
  const x = fixedValues(rows * 2, 3, 1.25); // some points outside [-1, 1], a few past the knots
  x[0] = 3.5;
  x[3] = -0.2; // on the repeated knot
  const y = Float64Array.from({ length: rows }, (_, r) =>
    Math.exp(Math.sin(Math.PI * x[2 * r]!) + x[2 * r + 1]! ** 2),
  );
  return { model, layout, buffers, flat, x, y, rows };
}

/** The jax-js objective of objective.ts, jitted (as training runs it) or op by op. */
async function jaxEvaluation(s: Setup, penalty: KanPenalty, compile = true) {
  const xs = arrayFrom(s.x, [s.rows, 2], "float64");
  const ys = arrayFrom(s.y, [s.rows, s.y.length / s.rows], "float64");
  const objective = makeFlatObjective(s.model, s.layout, s.buffers, xs, ys, "mse", penalty, {
    compile,
  });
  const result = await objective(s.flat);
  objective.dispose();
  xs.dispose();
  ys.dispose();
  return result;
}

const plainObjective = (s: Setup, penalty: KanPenalty) =>
  new PlainKanObjective(s.model, s.layout, s.buffers, s.x, s.y, penalty);

describe("plain-TypeScript KAN objective (src/train/kan-fast)", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("local basis: values equal the textbook Cox–de Boor recursion, slopes its central differences", () => {
    for (const order of [0, 1, 2, 3]) {
      const knots = UNEVEN.flatMap((t) => t.slice(0, t.length - 3 + order));
      const perInput = knots.length / 2;
      const basis = new LocalBasis(Float64Array.from(knots), 2, order);
      const count = perInput - 1 - order;
      const values = new Float64Array(order + 1);
      const slopes = new Float64Array(order + 1);
      const points = [...fixedValues(200, 9, 3.3), -0.35, -0.2, 1, -3.1, 3.05, 3.2, 1e-9];
      for (const x of points)
        for (let i = 0; i < 2; i++) {
          const t = knots.slice(i * perInput, (i + 1) * perInput);
          const c0 = basis.evaluate(x, i, values, 0, slopes);
          for (let c = 0; c < count; c++) {
            const expected = coxDeBoor(t, c, order, x);
            const got = c >= c0 && c <= c0 + order ? values[c - c0]! : 0;
            assert.ok(
              Math.abs(got - expected) < 1e-14,
              `order ${order} B_${c}(${x}) ${got} vs ${expected}`,
            );
            const h = 1e-6;
            const nearKnot = t.some((k) => Math.abs(k - x) < 2 * h);
            if (order > 0 && !nearKnot) {
              const fd = (coxDeBoor(t, c, order, x + h) - coxDeBoor(t, c, order, x - h)) / (2 * h);
              const slope = c >= c0 && c <= c0 + order ? slopes[c - c0]! : 0;
              assert.ok(
                Math.abs(slope - fd) < 1e-6,
                `order ${order} B'_${c}(${x}) ${slope} vs ${fd}`,
              );
            }
          }
        }
    }
  });

  it("pykan regulariser: value by direct formula, gradient by central differences", () => {
    const n = 3;
    const m = 4;
    const v = fixedValues(n * m, 4).map((a) => Math.abs(a) + 0.05);
    const direct = (w: Float64Array): number => {
      let l1 = 0;
      let hOut = 0;
      let hIn = 0;
      for (const a of w) l1 += a;
      for (let j = 0; j < m; j++) {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += w[i * m + j]!;
        for (let i = 0; i < n; i++) {
          const p = w[i * m + j]! / (sum + 1);
          hOut -= (p * Math.log2(p + 1e-4)) / m;
        }
      }
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < m; j++) sum += w[i * m + j]!;
        for (let j = 0; j < m; j++) {
          const p = w[i * m + j]! / (sum + 1);
          hIn -= (p * Math.log2(p + 1e-4)) / n;
        }
      }
      return 1.5 * l1 + 2 * (hOut + hIn);
    };
    const { value, grad } = pykanRegularizer(v, n, m, { l1: 1.5, entropy: 2 });
    assert.ok(Math.abs(value - direct(v)) < 1e-12 * Math.abs(value), `${value} vs ${direct(v)}`);
    const h = 1e-6;
    v.forEach((_, e) => {
      const up = Float64Array.from(v);
      const down = Float64Array.from(v);
      up[e]! += h;
      down[e]! -= h;
      const fd = (direct(up) - direct(down)) / (2 * h);
      assert.ok(Math.abs(grad[e]! - fd) < 1e-7, `d/dv${e}: ${grad[e]} vs ${fd}`);
    });
  });

  const identity: LayerSpec[] = [
    { type: "kan", units: 3, base: "identity" },
    { type: "kan", units: 2, base: "identity", grid_size: 5, order: 2, train_scale_base: false },
  ];
  const cases: [string, boolean, KanPenalty][] = [
    ["λ = 0, one edge masked", true, { ...PYKAN_PENALTY, lambda: 0 }],
    ["the L1 penalty (λ = 0.01, no entropy)", false, { lambda: 0.01, l1: 1, entropy: 0 }],
  ];
  for (const [name, masked, penalty] of cases)
    it(`equals the op-by-op jax-js objective to 1e-10 without transcendentals (identity base; ${name})`, async (t) => {
      const s = setup(identity, 150, masked);
      const target = s.y;
      s.y = Float64Array.from(
        { length: s.rows * 2 },
        (_, e) => target[e >> 1]! * (e % 2 ? 1 : -0.3),
      );
      // jitted, jax-js rounds number literals (mean's 1/N, 0.1, λ) to float32: ~3e-8 apart
      const jitted = await jaxEvaluation(s, penalty);
      const jax = await jaxEvaluation(s, penalty, false);
      const plain = plainObjective(s, penalty).evaluate(s.flat);
      t.diagnostic(
        `jitted jax-js vs op by op: loss ${(Math.abs(jitted.loss - jax.loss) / jax.loss).toExponential(1)}, gradient ${relativeGap(jitted.grad, jax.grad).toExponential(1)}`,
      );
      assert.ok(
        Math.abs(plain.loss - jax.loss) <= 1e-10 * Math.abs(jax.loss),
        `loss ${plain.loss} vs ${jax.loss}`,
      );
      const gap = relativeGap(plain.grad, jax.grad);
      t.diagnostic(`plain vs op by op: gradient ${gap.toExponential(1)}`);
      assert.ok(gap <= 1e-10, `gradient relative gap ${gap}`);
    });

  const helloKan: LayerSpec[] = [
    { type: "kan", units: 5 },
    { type: "kan", units: 1 },
  ];
  it("equals the jax-js objective to 1e-6 on hello KAN's model (SiLU, pykan penalty; jax-js's float64 exp/log are ~1e-7 accurate)", async (t) => {
    const s = setup(helloKan, 300, false);
    const penalty = { ...PYKAN_PENALTY, lambda: 1e-3 };
    const jax = await jaxEvaluation(s, penalty);
    const plain = plainObjective(s, penalty).evaluate(s.flat);
    const lossGap = Math.abs(plain.loss - jax.loss) / Math.abs(jax.loss);
    const gap = relativeGap(plain.grad, jax.grad);
    t.diagnostic(
      `relative gaps: loss ${lossGap.toExponential(1)}, gradient ${gap.toExponential(1)}`,
    );
    assert.ok(lossGap <= 1e-6, `loss ${plain.loss} vs ${jax.loss}`);
    assert.ok(gap <= 1e-6, `gradient relative gap ${gap}`);
  });

  it("gradient equals central differences of its own loss (SiLU, pykan penalty, fixed scale_base, masked edge, order 2)", () => {
    const specs: LayerSpec[] = [
      { type: "kan", units: 4, train_scale_base: false },
      { type: "kan", units: 1, grid_size: 4, order: 2 },
    ];
    for (const masked of [false, true]) {
      const s = setup(specs, 120, masked);
      const objective = plainObjective(s, { ...PYKAN_PENALTY, lambda: 0.01 });
      const { grad } = objective.evaluate(s.flat);
      const h = 1e-6;
      const fd = s.flat.map((_, e) => {
        const up = Float64Array.from(s.flat);
        const down = Float64Array.from(s.flat);
        up[e]! += h;
        down[e]! -= h;
        return (objective.evaluate(up).loss - objective.evaluate(down).loss) / (2 * h);
      });
      const gap = relativeGap(grad, fd);
      assert.ok(
        gap < 1e-6,
        `masked ${masked}: gradient vs finite differences, relative gap ${gap}`,
      );
    }
  });

  it("fitLbfgs: 'auto' runs the plain path on hello KAN's model and ends where the jax-js path ends", async () => {
    const s = setup(helloKan, 200, false);
    const run = async (evaluator: "auto" | "jax", used: string[]): Promise<number> => {
      const model = s.model;
      const state: ModelState = s.layout
        .toArrays(s.flat, "float64")
        .map((params, l) => ({ params, buffers: borrow(s.buffers[l]!) }));
      const xs = arrayFrom(s.x, [s.rows, 2], "float64");
      const ys = arrayFrom(s.y, [s.rows, 1], "float64");
      let loss = 0;
      const result = await fitLbfgs(
        model,
        state,
        xs,
        ys,
        { steps: 3, evaluator, penalty: { ...PYKAN_PENALTY, lambda: 1e-3 }, updateGrid: false },
        (r) => {
          loss = r.loss;
          used.push(r.evaluator);
        },
      );
      disposeTree(result.state.map((l) => l.params));
      disposeTree(result.state.map((l) => l.buffers));
      xs.dispose();
      ys.dispose();
      return loss;
    };
    const usedPlain: string[] = [];
    const usedJax: string[] = [];
    const plain = await run("auto", usedPlain);
    const jax = await run("jax", usedJax);
    assert.deepEqual(new Set(usedPlain), new Set(["plain"]));
    assert.deepEqual(new Set(usedJax), new Set(["jax"]));
    assert.ok(Math.abs(plain - jax) < 1e-4 * jax, `loss after 3 steps: plain ${plain}, jax ${jax}`);
  });
});

function borrow(record: Record<string, np.Array>): Record<string, np.Array> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v.ref]));
}

describe("matmul2d (src/nn/dense.ts): the split that keeps jax-js on its vectorised kernel", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("equals x·w in values and gradients when columns and reduction are split (7 × 9, forced)", () => {
    const [rows, k, n] = [5, 7, 9];
    const xv = fixedValues(rows * k, 11);
    const wv = fixedValues(k * n, 12);
    const cv = fixedValues(rows * n, 13); // loss = Σ c ⊙ (x·w): d/dx = c·wᵀ, d/dw = xᵀ·c
    const product = (x: np.Array, w: np.Array) => matmul2d(x, w, 0);
    const [value, grads] = valueAndGrad((p: { x: np.Array; w: np.Array }) =>
      product(p.x, p.w)
        .mul(arrayFrom(cv, [rows, n], "float64"))
        .sum(),
    )({ x: arrayFrom(xv, [rows, k], "float64"), w: arrayFrom(wv, [k, n], "float64") });
    const out = takeValues(
      product(arrayFrom(xv, [rows, k], "float64"), arrayFrom(wv, [k, n], "float64")),
    );
    let loss = 0;
    const dx = new Float64Array(rows * k);
    const dw = new Float64Array(k * n);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let i = 0; i < k; i++) {
          sum += xv[r * k + i]! * wv[i * n + j]!;
          dx[r * k + i]! += cv[r * n + j]! * wv[i * n + j]!;
          dw[i * n + j]! += xv[r * k + i]! * cv[r * n + j]!;
        }
        assert.ok(
          Math.abs(out[r * n + j]! - sum) < 1e-14,
          `y[${r}, ${j}] ${out[r * n + j]} vs ${sum}`,
        );
        loss += cv[r * n + j]! * sum;
      }
    assert.ok(Math.abs(takeValues(value)[0]! - loss) < 1e-13);
    assert.ok(relativeGap(takeValues(grads.x), dx) < 1e-14, "d/dx");
    assert.ok(relativeGap(takeValues(grads.w), dw) < 1e-14, "d/dw");
  });
});

describe("grid update and pruning scores in plain float64 (kan-ops.ts, prune.ts)", () => {
  before(async () => {
    await startEngine("wasm");
  });

  /** A [2, 3] (then [3, 1]) KAN on uneven knots, coefficients moved off their init. */
  function twoLayer(base: string): { model: Model; state: ModelState } {
    const spec = (units: number): LayerSpec =>
      ({ type: "kan", units, grid_size: 3, order: 3, base }) as unknown as LayerSpec;
    const model = new Model([spec(3), spec(1)], [2], "float64");
    const state = model.init(keyFromSeed(11));
    const first = state[0]!;
    first.buffers.knots!.dispose();
    first.buffers.knots = arrayFrom(UNEVEN.flat(), [2, 10], "float64");
    const coef = takeValues(first.params.coef!);
    first.params.coef = arrayFrom(
      coef.map((v, i) => v + 0.3 * fixedValues(coef.length, 9)[i]!),
      [coef.length / 3, 3],
      "float64",
    );
    return { model, state };
  }

  it("regrid: knots and coefficients bit-identical to the full scalar Cox–de Boor refit (uneven, repeated knots, points outside)", () => {
    const { model, state } = twoLayer("silu");
    const layer = model.layers[0] as KanLayer;
    const samples = fixedValues(2 * 200, 4, 1.6);
    samples[0] = 3.6; // past the last knot
    samples[3] = -0.2; // on the repeated knot
    // reference: the previous implementation, every basis function at every point
    const order = 3;
    const old = readSplines(layer, state[0]!);
    const expectKnots: number[] = [];
    const expectCoef: number[] = [];
    for (let i = 0; i < 2; i++) {
      const xs = Float64Array.from({ length: 200 }, (_, r) => samples[r * 2 + i]!).sort();
      const targets = new Float64Array(200 * 3);
      xs.forEach((x, r) => {
        const basis = basisAt(x, old.knots[i]!, order);
        for (let c = 0; c < basis.length; c++) {
          if (basis[c] === 0) continue;
          for (let j = 0; j < 3; j++) targets[r * 3 + j]! += basis[c]! * old.coef[i]![c * 3 + j]!;
        }
      });
      const knots = knotsFromSamples(xs, 5, order, layer.spec.grid_eps);
      expectKnots.push(...knots);
      expectCoef.push(...leastSquares(designMatrix(xs, knots, order), targets, 200, 8, 3));
    }
    const result = regrid(layer, state[0]!, samples, 5);
    assert.deepEqual(Array.from(takeValues(result.state.buffers.knots!.ref)), expectKnots);
    assert.deepEqual(Array.from(takeValues(result.state.params.coef!.ref)), expectCoef);
    disposeState([result.state]);
    disposeState(state.slice(1));
  });

  for (const [base, tolerance] of [
    ["identity", 1e-10],
    ["silu", 1e-6], // jax-js's float64 exp is ~1e-7 accurate
  ] as const)
    it(`pruning scores: plain equal the jitted jax-js ones to ${tolerance} (${base} base, masked edge)`, () => {
      const { model, state } = twoLayer(base);
      const mask = state[0]!.buffers;
      mask.mask!.dispose();
      mask.mask = arrayFrom([1, 0, 1, 1, 1, 1], [2, 3], "float64");
      const x = arrayFrom(fixedValues(2 * 300, 6, 1.4), [300, 2], "float64");
      const plain = kanScores(model, state, x);
      const jax = kanScores(model, state, x, "jax");
      for (let l = 0; l < 2; l++) {
        assert.ok(relativeGap(plain.edges[l]!, jax.edges[l]!) < tolerance, `edges[${l}]`);
        assert.ok(relativeGap(plain.nodes[l]!, jax.nodes[l]!) < tolerance, `nodes[${l}]`);
      }
      assert.equal(plain.edges[0]![1], 0); // the masked edge
      x.dispose();
      disposeState(state);
    });
});
