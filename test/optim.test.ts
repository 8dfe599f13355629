import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { blockUntilReady, jit, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import type { FloatDType } from "../src/engine/dtype.js";
import { arrayFrom } from "../src/engine/dtype.js";
import { startEngine } from "../src/engine/index.js";
import { takeScalar, takeValues } from "../src/engine/ownership.js";
import type { GradientTransform, OptState, Schedule } from "../src/train/optim/index.js";
import {
  adam,
  adamw,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  constant,
  cosineDecay,
  exponentialDecay,
  leafPaths,
  makeOptimizer,
  parseOptimizerSpec,
  scaleLeaves,
  sgd,
  stepDecay,
  warmupCosine,
} from "../src/train/optim/index.js";
import { fixedValues } from "./support/layer-check.js";

/** The test's parameter tree: two leaves, w [2, 3] and b [3], as flat row-major values. */
interface Leaves {
  w: Float64Array;
  b: Float64Array;
}
type Params = { w: np.Array; b: np.Array };
const SHAPES = { w: [2, 3], b: [3] };
const NAMES = ["w", "b"] as const;

function toTree(values: Leaves, dtype: FloatDType = "float64"): Params {
  return { w: arrayFrom(values.w, SHAPES.w, dtype), b: arrayFrom(values.b, SHAPES.b, dtype) };
}

/** Reads a tree's values, consuming it. */
function takeTree(params: Params): Leaves {
  return { w: takeValues(params.w), b: takeValues(params.b) };
}

const start: Leaves = { w: fixedValues(6, 11), b: fixedValues(3, 12) };
/** A different gradient every step, deterministic. */
const gradSequence = (steps: number, scale = 1): Leaves[] =>
  Array.from({ length: steps }, (_, t) => ({
    w: fixedValues(6, 100 + t, scale),
    b: fixedValues(3, 200 + t, scale),
  }));

/**
 * Runs a transform for grads.length steps from `from`, one update per step, returning the params
 * after every step. The step function consumes all its arguments (so it can run under jit).
 */
function runTransform(
  transform: GradientTransform,
  from: Leaves,
  grads: Leaves[],
  useJit = false,
): Leaves[] {
  const trainStep = (params: Params, state: OptState, g: Params, step: np.Array) => {
    const [updates, next] = transform.update(g, state, params, step);
    step.dispose();
    return [applyUpdates(params, updates), next] as [Params, OptState];
  };
  const run = useJit ? jit(trainStep) : trainStep;
  let params = toTree(from);
  let state = transform.init(params);
  const history: Leaves[] = [];
  grads.forEach((g, t) => {
    [params, state] = run(params, state, toTree(g), np.array(t, { dtype: np.float64 }));
    history.push({ w: takeValues(params.w.ref), b: takeValues(params.b.ref) });
  });
  tree.dispose([params, state]);
  if (useJit) (run as typeof run & { dispose(): void }).dispose();
  return history;
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    assert.ok(
      Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)),
      `${what}[${i}]: got ${a}, expected ${e} (tolerance ${tol})`,
    );
  }
}

function assertHistories(actual: Leaves[], expected: Leaves[], tol: number, label: string) {
  assert.equal(actual.length, expected.length);
  actual.forEach((params, t) => {
    for (const name of NAMES)
      assertClose(params[name], expected[t]![name], tol, `${label} step ${t + 1} ${name}`);
  });
}

// ---- Independent references: the published update rules, element by element. ----

interface ReferenceOptions {
  lr: (t: number) => number;
  /** Global-norm clipping of the raw gradient: g ← g·c/‖g‖ when ‖g‖ > c. */
  clip?: number;
  /** Coupled L2: g ← g + λp (PyTorch's SGD/Adam weight_decay). */
  l2?: number;
}

function clipped(g: Leaves, clip: number | undefined): Leaves {
  if (clip === undefined) return g;
  let sum = 0;
  for (const name of NAMES) for (const v of g[name]) sum += v * v;
  const norm = Math.sqrt(sum);
  if (norm <= clip) return g;
  return { w: g.w.map((v) => (v * clip) / norm), b: g.b.map((v) => (v * clip) / norm) };
}

/** PyTorch SGD: v ← μv + g; p ← p − lr·(nesterov ? g + μv : v). */
function sgdReference(
  from: Leaves,
  grads: Leaves[],
  o: ReferenceOptions & { momentum: number; nesterov: boolean },
): Leaves[] {
  const p = { w: Float64Array.from(from.w), b: Float64Array.from(from.b) };
  const v = { w: new Float64Array(6), b: new Float64Array(3) };
  return grads.map((raw, t) => {
    const g = clipped(raw, o.clip);
    for (const name of NAMES)
      for (let i = 0; i < p[name].length; i++) {
        const gi = g[name][i]! + (o.l2 ?? 0) * p[name][i]!;
        v[name][i] = o.momentum * v[name][i]! + gi;
        const direction = o.nesterov ? gi + o.momentum * v[name][i]! : v[name][i]!;
        p[name][i] = p[name][i]! - o.lr(t) * direction;
      }
    return { w: Float64Array.from(p.w), b: Float64Array.from(p.b) };
  });
}

/**
 * Adam (Kingma & Ba, Algorithm 1) with bias correction; AdamW decays first as PyTorch does:
 * p ← p·(1 − lr·λ), then p ← p − lr·m̂/(√v̂ + ε).
 */
function adamReference(
  from: Leaves,
  grads: Leaves[],
  o: ReferenceOptions & {
    b1: number;
    b2: number;
    eps: number;
    decoupled?: number;
    multiplier?: Leaves;
  },
): Leaves[] {
  const p = { w: Float64Array.from(from.w), b: Float64Array.from(from.b) };
  const m = { w: new Float64Array(6), b: new Float64Array(3) };
  const v = { w: new Float64Array(6), b: new Float64Array(3) };
  return grads.map((raw, index) => {
    const t = index + 1;
    const g = clipped(raw, o.clip);
    for (const name of NAMES)
      for (let i = 0; i < p[name].length; i++) {
        const lr = o.lr(index) * (o.multiplier ? o.multiplier[name][i]! : 1);
        const gi = g[name][i]! + (o.l2 ?? 0) * p[name][i]!;
        m[name][i] = o.b1 * m[name][i]! + (1 - o.b1) * gi;
        v[name][i] = o.b2 * v[name][i]! + (1 - o.b2) * gi * gi;
        const mHat = m[name][i]! / (1 - Math.pow(o.b1, t));
        const vHat = v[name][i]! / (1 - Math.pow(o.b2, t));
        if (o.decoupled !== undefined) p[name][i] = p[name][i]! * (1 - lr * o.decoupled);
        p[name][i] = p[name][i]! - (lr * mHat) / (Math.sqrt(vHat) + o.eps);
      }
    return { w: Float64Array.from(p.w), b: Float64Array.from(p.b) };
  });
}

const fixed = (lr: number) => () => lr;

describe("optimisers against their published update rules (float64, 1e-12)", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("sgd: plain, heavy-ball momentum and Nesterov, eager and jitted", () => {
    const grads = gradSequence(5);
    const configs = [
      { momentum: 0, nesterov: false },
      { momentum: 0.9, nesterov: false },
      { momentum: 0.8, nesterov: true },
    ];
    for (const { momentum, nesterov } of configs) {
      const expected = sgdReference(start, grads, { lr: fixed(0.05), momentum, nesterov });
      for (const useJit of [false, true]) {
        const actual = runTransform(sgd({ lr: 0.05, momentum, nesterov }), start, grads, useJit);
        assertHistories(
          actual,
          expected,
          1e-12,
          `sgd μ=${momentum} nesterov=${nesterov} jit=${useJit}`,
        );
      }
    }
  });

  it("adam matches Kingma & Ba with bias correction over 6 steps", () => {
    const grads = gradSequence(6);
    const o = { lr: fixed(0.01), b1: 0.9, b2: 0.999, eps: 1e-8 };
    const expected = adamReference(start, grads, o);
    assertHistories(runTransform(adam({ lr: 0.01 }), start, grads), expected, 1e-12, "adam");
    // Tiny gradients make ε matter: the reference and the transform must agree there too.
    const small = gradSequence(6, 1e-7);
    const o2 = { lr: fixed(0.02), b1: 0.5, b2: 0.75, eps: 1e-6 };
    const actual = runTransform(adam({ lr: 0.02, b1: 0.5, b2: 0.75, eps: 1e-6 }), start, small);
    assertHistories(actual, adamReference(start, small, o2), 1e-12, "adam small grads");
  });

  it("adamw matches decoupled weight decay (Loshchilov & Hutter), eager and jitted", () => {
    const grads = gradSequence(6);
    const o = { lr: fixed(0.03), b1: 0.8, b2: 0.99, eps: 1e-8, decoupled: 0.1 };
    const expected = adamReference(start, grads, o);
    const make = () => adamw({ lr: 0.03, b1: 0.8, b2: 0.99, weightDecay: 0.1 });
    assertHistories(runTransform(make(), start, grads), expected, 1e-12, "adamw eager");
    assertHistories(runTransform(make(), start, grads, true), expected, 1e-12, "adamw jit");
    // Decay really acts: without it the trajectory differs.
    const plain = adamReference(start, grads, { ...o, decoupled: undefined });
    assert.ok(Math.abs(plain[5]!.w[0]! - expected[5]!.w[0]!) > 1e-4);
  });

  it("makeOptimizer: adam + clip_norm + coupled L2 + step schedule, sgd + Nesterov + L2", () => {
    const grads = gradSequence(6, 3); // norms above the clip threshold
    const adamSpec = parseOptimizerSpec({
      name: "adam",
      lr: 0.05,
      betas: [0.85, 0.995],
      eps: 1e-7,
      weight_decay: 0.02,
      clip_norm: 1.5,
      schedule: { name: "step", boundaries: [2, 4], scales: [0.5, 0.25] },
    });
    const lr = (t: number) => 0.05 * (t >= 2 ? 0.5 : 1) * (t >= 4 ? 0.25 : 1);
    const expected = adamReference(start, grads, {
      lr,
      b1: 0.85,
      b2: 0.995,
      eps: 1e-7,
      clip: 1.5,
      l2: 0.02,
    });
    assertHistories(
      runTransform(makeOptimizer(adamSpec), start, grads),
      expected,
      1e-12,
      "adam spec",
    );

    const sgdSpec = parseOptimizerSpec({
      name: "sgd",
      lr: 0.1,
      momentum: 0.7,
      nesterov: true,
      weight_decay: 0.05,
    });
    const expectedSgd = sgdReference(start, grads, {
      lr: fixed(0.1),
      momentum: 0.7,
      nesterov: true,
      l2: 0.05,
    });
    assertHistories(
      runTransform(makeOptimizer(sgdSpec), start, grads, true),
      expectedSgd,
      1e-12,
      "sgd spec",
    );
  });

  it("makeOptimizer: adamw with per-leaf learning-rate multipliers (a tree and a function)", () => {
    const grads = gradSequence(4);
    const spec = parseOptimizerSpec({ name: "adamw", lr: 0.02, weight_decay: 0.1 });
    const multiplier: Leaves = {
      w: new Float64Array(6).fill(0.25),
      b: new Float64Array(3).fill(1),
    };
    const expected = adamReference(start, grads, {
      lr: fixed(0.02),
      b1: 0.9,
      b2: 0.999,
      eps: 1e-8,
      decoupled: 0.1,
      multiplier,
    });
    const byTree = makeOptimizer(spec, { w: 0.25, b: 1 });
    assertHistories(runTransform(byTree, start, grads), expected, 1e-12, "multipliers tree");
    const byPath = makeOptimizer(spec, (path) => (path === "w" ? 0.25 : 1));
    assertHistories(runTransform(byPath, start, grads, true), expected, 1e-12, "multipliers fn");
  });
});

describe("ownership", () => {
  before(async () => {
    await startEngine("wasm");
  });

  /** jax-js arrays live in WebAssembly memory (Node's `external`), which grows on a leak. */
  const externalBytes = (): number => process.memoryUsage().external;

  it("update borrows params and step; eager steps leak no leaf-sized arrays", async () => {
    const spec = parseOptimizerSpec({
      name: "adamw",
      clip_norm: 1,
      schedule: { name: "warmup_cosine", warmup_steps: 5, decay_steps: 50 },
    });
    for (const optimizer of [
      makeOptimizer(spec, { w: 0.5, b: 1 }),
      sgd({ lr: 0.1, momentum: 0.9 }),
      sgd({ lr: cosineDecay(0.1, 20), momentum: 0.9, nesterov: true }),
    ]) {
      const big = (seed: number): Params => ({
        w: arrayFrom(fixedValues(64 * 64, seed), [64, 64], "float64"),
        b: arrayFrom(fixedValues(64, seed + 1), [64], "float64"),
      });
      let params = big(1);
      let state = optimizer.init(params);
      const gradient = big(3);
      let warmBytes = 0;
      for (let t = 0; t < 220; t++) {
        const step = np.array(t, { dtype: np.float64 });
        const [updates, next] = optimizer.update(tree.ref(gradient), state, params, step);
        assert.equal(step.refCount, 1, "step is borrowed");
        assert.equal(params.w.refCount, 1, "params are borrowed");
        step.dispose();
        params = applyUpdates(params, updates);
        state = next;
        // jax-js is lazy: an unrealised array keeps its inputs alive, so realise everything.
        await blockUntilReady([params, state]);
        if (t === 20) warmBytes = externalBytes();
      }
      const grown = externalBytes() - warmBytes;
      assert.ok(grown < 256 * 1024, `memory grew by ${grown} bytes over 200 steps`);
      tree.dispose([params, state, gradient]);
    }
  });
});

describe("clipping, per-leaf scaling and schedules", () => {
  before(async () => {
    await startEngine("wasm");
  });

  const clipOnce = (maxNorm: number, g: Leaves): Leaves => {
    const transform = clipByGlobalNorm(maxNorm);
    const params = toTree(start);
    const step = np.array(0, { dtype: np.float64 });
    const [updates, state] = transform.update(toTree(g), transform.init(params), params, step);
    tree.dispose([params, state, step]);
    return takeTree(updates as Params);
  };

  it("clipByGlobalNorm rescales to the threshold above it and is the identity below it", () => {
    // ‖g‖ over both leaves: √(3² + 4² + 12²) = 13.
    const g: Leaves = {
      w: Float64Array.from([3, 0, 0, 0, 0, 0]),
      b: Float64Array.from([0, 4, 12]),
    };
    const above = clipOnce(6.5, g);
    assertClose(above.w, [1.5, 0, 0, 0, 0, 0], 1e-15, "clipped w");
    assertClose(above.b, [0, 2, 6], 1e-15, "clipped b");
    const below = clipOnce(13.5, g);
    assert.deepEqual(Array.from(below.w), Array.from(g.w));
    assert.deepEqual(Array.from(below.b), Array.from(g.b));
    const zero = clipOnce(1, { w: new Float64Array(6), b: new Float64Array(3) });
    assert.deepEqual([...zero.w, ...zero.b], new Array(9).fill(0));
    assert.throws(() => clipByGlobalNorm(0), /max norm must be > 0/);
  });

  it("scaleLeaves multiplies each leaf by its multiplier and names mismatched paths", () => {
    const g: Leaves = { w: fixedValues(6, 3), b: fixedValues(3, 4) };
    const apply = (transform: GradientTransform): Leaves => {
      const params = toTree(start);
      const step = np.array(0, { dtype: np.float64 });
      const [updates, state] = transform.update(toTree(g), transform.init(params), params, step);
      tree.dispose([params, state, step]);
      return takeTree(updates as Params);
    };
    const scaled = apply(scaleLeaves({ w: 0.1, b: -3 }));
    assertClose(
      scaled.w,
      g.w.map((v) => v * 0.1),
      0,
      "w·0.1",
    );
    assertClose(
      scaled.b,
      g.b.map((v) => v * -3),
      0,
      "b·(−3)",
    );
    const byPath = apply(scaleLeaves((path) => (path === "b" ? 0.5 : 1)));
    assertClose(byPath.w, g.w, 0, "w·1");
    assertClose(
      byPath.b,
      g.b.map((v) => v * 0.5),
      0,
      "b·0.5",
    );

    const params = toTree(start);
    assert.throws(() => scaleLeaves({ w: 1 }).init(params), /missing b/);
    assert.throws(() => scaleLeaves({ w: 1, b: 1, c: 2 }).init(params), /no parameter at c/);
    tree.dispose(params);
    assert.deepEqual(leafPaths({ layers: [{ w: 1, "act.a": 2 }, { b: 3 }] }), [
      "layers/0/w",
      "layers/0/act.a",
      "layers/1/b",
    ]);
  });

  const valueAt = (schedule: Schedule, t: number, dtype = np.float64): number =>
    takeScalar(schedule(np.array(t, { dtype })));

  it("schedules match their closed forms", () => {
    for (const t of [0, 7]) assert.equal(valueAt(constant(0.3), t), 0.3);

    const cosine = cosineDecay(0.1, 10, 0.2);
    for (const t of [0, 3, 7, 10, 15]) {
      const expected = 0.1 * (0.8 * 0.5 * (1 + Math.cos((Math.PI * Math.min(t, 10)) / 10)) + 0.2);
      assertClose([valueAt(cosine, t)], [expected], 1e-7, `cosine(${t})`);
    }

    const smooth = exponentialDecay(0.1, 0.5, 4);
    const stairs = exponentialDecay(0.1, 0.5, 4, true);
    for (const t of [0, 2, 4, 9]) {
      assertClose([valueAt(smooth, t)], [0.1 * Math.pow(0.5, t / 4)], 1e-7, `exponential(${t})`);
      assertClose(
        [valueAt(stairs, t)],
        [0.1 * Math.pow(0.5, Math.floor(t / 4))],
        1e-7,
        `staircase(${t})`,
      );
    }

    const steps = stepDecay(1, [3, 6], [0.5, 0.1]);
    const expectedSteps = [1, 1, 1, 0.5, 0.5, 0.5, 0.5 * 0.1, 0.5 * 0.1];
    expectedSteps.forEach((expected, t) => assert.equal(valueAt(steps, t), expected, `step(${t})`));
    assert.equal(valueAt(stepDecay(2, [1, 2], 0.5), 5), 0.5);

    const warm = warmupCosine({
      init: 0.01,
      peak: 0.1,
      warmupSteps: 4,
      decaySteps: 12,
      end: 0.001,
    });
    for (const t of [0, 1, 2, 3])
      assertClose([valueAt(warm, t)], [0.01 + (0.09 * t) / 4], 1e-15, `warm-up(${t})`);
    for (const t of [4, 6, 8, 12, 20]) {
      const progress = Math.min(t - 4, 8) / 8;
      const expected = 0.001 + 0.099 * 0.5 * (1 + Math.cos(Math.PI * progress));
      assertClose([valueAt(warm, t)], [expected], 1e-7, `warmup_cosine(${t})`);
    }
  });

  it("schedules trace under jit and accept integer steps", () => {
    const warm = warmupCosine({ peak: 0.1, warmupSteps: 4, decaySteps: 12 });
    const traced = jit(warm);
    // Fused kernels evaluate cos differently from eager ops: agreement to cos's ~1e-7 only.
    for (const t of [2, 9])
      assertClose(
        [takeScalar(traced(np.array(t, { dtype: np.float64 })))],
        [valueAt(warm, t)],
        1e-7,
        `jit(${t})`,
      );
    assertClose(
      [takeScalar(traced(np.array(2, { dtype: np.float64 })))],
      [0.05],
      1e-15,
      "jit warm-up",
    );
    traced.dispose();
    const integerStep = stepDecay(1, [3], 0.5)(np.array(5, { dtype: np.int32 }));
    assert.equal(integerStep.dtype, np.float32);
    assert.equal(takeScalar(integerStep), 0.5);
  });
});

describe("a jitted train step", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("chain(clip, adam) with warm-up cosine fits a linear regression", () => {
    const rows = 32;
    const x = fixedValues(rows * 3, 21);
    const trueW = [1.5, -2, 0.5];
    const y = Array.from(
      { length: rows },
      (_, r) => 0.3 + trueW.reduce((s, w, j) => s + w * x[r * 3 + j]!, 0),
    );
    const inputs = arrayFrom(x, [rows, 3], "float32");
    const targets = arrayFrom(y, [rows, 1], "float32");
    const optimizer = chain(
      clipByGlobalNorm(1),
      adam({ lr: warmupCosine({ peak: 0.2, warmupSteps: 10, decaySteps: 150 }) }),
    );
    type Linear = { w: np.Array; b: np.Array };
    const lossOf = (p: Linear, xs: np.Array, ys: np.Array): np.Array =>
      np.square(np.matmul(xs, p.w).add(p.b).sub(ys)).mean();
    const trainStep = jit(
      (params: Linear, state: OptState, xs: np.Array, ys: np.Array, step: np.Array) => {
        const [loss, grads] = valueAndGrad(lossOf)(tree.ref(params), xs, ys);
        const [updates, next] = optimizer.update(grads, state, params, step);
        step.dispose();
        return [applyUpdates(params, updates), next, loss] as [Linear, OptState, np.Array];
      },
    );
    let params: Linear = {
      w: np.zeros([3, 1], { dtype: np.float32 }),
      b: np.zeros([1], { dtype: np.float32 }),
    };
    let state: OptState = optimizer.init(params);
    const losses: number[] = [];
    for (let t = 0; t < 150; t++) {
      const [nextParams, nextState, loss] = trainStep(
        params,
        state,
        inputs.ref,
        targets.ref,
        np.array(t, { dtype: np.int32 }),
      );
      params = nextParams;
      state = nextState;
      losses.push(takeScalar(loss));
    }
    const fitted = takeValues(params.w.ref);
    tree.dispose([params, state, inputs, targets]);
    trainStep.dispose();
    assert.ok(losses[0]! > 1, `initial loss ${losses[0]}`);
    assert.ok(losses.at(-1)! < 1e-3 * losses[0]!, `loss ${losses[0]} → ${losses.at(-1)}`);
    assertClose(fitted, trueW, 0.05, "fitted w");
  });
});

describe("optimizer spec (zod)", () => {
  it("fills defaults per optimiser", () => {
    assert.deepEqual(parseOptimizerSpec({ name: "adamw" }), {
      name: "adamw",
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weight_decay: 1e-2,
      schedule: { name: "constant" },
    });
    assert.deepEqual(
      parseOptimizerSpec({ name: "sgd", schedule: { name: "cosine", decay_steps: 100 } }),
      {
        name: "sgd",
        lr: 1e-2,
        momentum: 0,
        nesterov: false,
        weight_decay: 0,
        schedule: { name: "cosine", decay_steps: 100, alpha: 0 },
      },
    );
  });

  it("rejects bad fields, naming them", () => {
    const cases: [unknown, RegExp][] = [
      [{ name: "adam", lr: -1 }, /optimizer\.lr: Too small/],
      [{ name: "adagrad" }, /optimizer\.name: .*'sgd' \| 'adam' \| 'adamw'/],
      [{ name: "adam", momentum: 0.9 }, /Unrecognized key: "momentum"/],
      [{ name: "adamw", betas: [0.9, 1] }, /optimizer\.betas\.1:/],
      [{ name: "sgd", nesterov: true }, /optimizer\.nesterov: nesterov needs momentum > 0/],
      [{ name: "sgd", clip_norm: 0 }, /optimizer\.clip_norm:/],
      [{ name: "adam", schedule: { name: "cosine" } }, /optimizer\.schedule\.decay_steps:/],
      [{ name: "adam", schedule: { name: "linear" } }, /optimizer\.schedule\.name:/],
      [
        { name: "adam", schedule: { name: "warmup_cosine", warmup_steps: 10, decay_steps: 10 } },
        /optimizer\.schedule\.decay_steps: decay_steps must exceed warmup_steps/,
      ],
      [
        { name: "adam", schedule: { name: "step", boundaries: [5, 9], scales: [0.1] } },
        /optimizer\.schedule\.scales: scales must have one entry per boundary/,
      ],
    ];
    for (const [input, message] of cases)
      assert.throws(() => parseOptimizerSpec(input), message, JSON.stringify(input));
  });
});
