import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CatalogEntry } from "../src/data/catalog-entry.js";
import {
  SYNTHETIC_TASKS,
  blobsShape,
  circlesShape,
  moonsShape,
  spiralsShape,
  syntheticTask,
  xorShape,
} from "../src/data/synthetic.js";
import type { Shape2D, SyntheticTaskOptions } from "../src/data/synthetic.js";
import type { Task, TaskSplit } from "../src/data/task.js";
import { DataError } from "../src/data/task.js";

const entry = (name: string): CatalogEntry => {
  const found = SYNTHETIC_TASKS.find((e) => e.name === name);
  assert.ok(found, `no catalog entry ${name}`);
  return found;
};

const OPTIONS: SyntheticTaskOptions = { train: 1000, val: 200, test: 1000, seed: 0, noise: 0 };
const make = (shape: Shape2D, options: Partial<SyntheticTaskOptions> = {}): Task =>
  syntheticTask(shape, { ...OPTIONS, ...options });

interface Point {
  x: number;
  y: number;
  k: number;
}
const points = (split: TaskSplit): Point[] =>
  Array.from({ length: split.rows }, (_, r) => ({
    x: split.x[2 * r] as number,
    y: split.x[2 * r + 1] as number,
    k: split.y[r] as number,
  }));
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const std = (values: number[]): number => {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
};
const countsOf = (split: TaskSplit, classes: number): number[] =>
  Array.from({ length: classes }, (_, k) => Array.from(split.y).filter((v) => v === k).length);

function errorOf(run: () => unknown): DataError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DataError, `expected DataError, got ${String(error)}`);
    return error;
  }
  assert.fail("no error was thrown");
}

describe("synthetic catalog entries", () => {
  it("lists moons, circles, spirals, xor and blobs as 2-D classification tasks ranked by accuracy", () => {
    assert.deepEqual(
      SYNTHETIC_TASKS.map((e) => [e.name, e.outputs]),
      [
        ["synthetic/moons", 2],
        ["synthetic/circles", 2],
        ["synthetic/spirals", 2],
        ["synthetic/xor", 2],
        ["synthetic/blobs", 3],
      ],
    );
    for (const e of SYNTHETIC_TASKS) {
      assert.equal(e.family, "synthetic-2d");
      assert.equal(e.kind, "classification");
      assert.equal(e.metric, "accuracy");
      assert.deepEqual(e.inputShape, [2]);
      assert.ok(e.description.length > 10, "e.description.length > 10");
    }
  });

  it("makes 1000 / 200 / 1000 points by default, the requested counts otherwise", () => {
    for (const e of SYNTHETIC_TASKS) {
      const task = e.make({ seed: 1 });
      assert.equal(task.name, e.name);
      assert.deepEqual([task.train.rows, task.val.rows, task.test.rows], [1000, 200, 1000]);
      assert.equal(task.inputs, 2);
      assert.equal(task.outputs, 1);
      assert.equal(task.classes, e.outputs);
      assert.equal(task.classNames?.length, e.outputs);
      for (const split of [task.train, task.val, task.test]) {
        assert.equal(split.x.length, 2 * split.rows);
        assert.equal(split.y.length, split.rows);
        assert.ok(split.x.every(Number.isFinite), "split.x.every(Number.isFinite)");
      }
      const small = e.make({ seed: 1, train: 30, val: 0, test: 7 });
      assert.deepEqual([small.train.rows, small.val.rows, small.test.rows], [30, 0, 7]);
    }
  });

  it("balances classes exactly: class k gets floor(n/K) rows, one more for k < n mod K", () => {
    for (const e of SYNTHETIC_TASKS) {
      const task = e.make({ seed: 4, train: 1001, val: 200, test: 7 });
      const K = e.outputs;
      for (const split of [task.train, task.val, task.test]) {
        const n = split.rows;
        const expected = Array.from(
          { length: K },
          (_, k) => Math.floor(n / K) + (k < n % K ? 1 : 0),
        );
        assert.deepEqual(countsOf(split, K), expected, `${e.name} ${n} rows`);
      }
    }
  });

  it("uses the documented default noise, and request.noise overrides it", () => {
    // Blob points are their centre plus noise, so the spread of each class is the noise.
    const blobs = entry("synthetic/blobs");
    const spread = (task: Task) =>
      std(
        points(task.train)
          .filter((p) => p.k === 0)
          .map((p) => p.x),
      );
    const byDefault = spread(blobs.make({ seed: 2, train: 6000 }));
    assert.ok(Math.abs(byDefault - 0.4) < 0.03, `default blob spread ${byDefault}`);
    const overridden = spread(blobs.make({ seed: 2, train: 6000, noise: 0.1 }));
    assert.ok(Math.abs(overridden - 0.1) < 0.008, `overridden spread ${overridden}`);
    // Moons: the default 0.1 is the distance of points from their clean arcs (checked below).
    const moons = entry("synthetic/moons").make({ seed: 3 });
    const clean = entry("synthetic/moons").make({ seed: 3, noise: 0 });
    const dx = Array.from(moons.train.x, (v, i) => v - (clean.train.x[i] as number));
    assert.ok(Math.abs(std(dx) - 0.1) < 0.006, `moons noise ${std(dx)}`);
  });

  it("gives bit-identical points for the same seed and different points for another", () => {
    for (const e of SYNTHETIC_TASKS) {
      const [a, b, c] = [e.make({ seed: 9 }), e.make({ seed: 9 }), e.make({ seed: 10 })];
      for (const split of ["train", "val", "test"] as const) {
        assert.deepEqual(Buffer.from(a[split].x.buffer), Buffer.from(b[split].x.buffer));
        assert.deepEqual(Buffer.from(a[split].y.buffer), Buffer.from(b[split].y.buffer));
        assert.notDeepEqual(Array.from(a[split].x), Array.from(c[split].x), `${e.name} ${split}`);
      }
      // Without noise too (the positions along the shape are random, not a grid).
      const [p, q] = [e.make({ seed: 9, noise: 0 }), e.make({ seed: 10, noise: 0 })];
      if (e.name !== "synthetic/blobs") {
        assert.notDeepEqual(Array.from(p.train.x), Array.from(q.train.x));
      }
    }
  });

  it("draws the splits independently: the test set does not depend on the train size", () => {
    const moons = entry("synthetic/moons");
    const small = moons.make({ seed: 5, train: 10 });
    const large = moons.make({ seed: 5, train: 500 });
    assert.deepEqual(Array.from(small.test.x), Array.from(large.test.x));
    assert.deepEqual(Array.from(small.val.y), Array.from(large.val.y));
    assert.notDeepEqual(
      Array.from(small.val.x.subarray(0, 20)),
      Array.from(small.test.x.subarray(0, 20)),
    );
  });

  it("rejects bad requests and shape options, naming the field", () => {
    const moons = entry("synthetic/moons");
    assert.match(errorOf(() => moons.make({ seed: 0, train: 0 })).message, /^train: /);
    assert.match(errorOf(() => moons.make({ seed: 0, val: 1.5 })).message, /^val: /);
    assert.match(errorOf(() => moons.make({ seed: 0, test: -1 })).message, /^test: /);
    assert.match(errorOf(() => moons.make({ seed: -1 })).message, /^seed: /);
    assert.match(errorOf(() => moons.make({ seed: 0, noise: -0.1 })).message, /^noise: /);
    assert.match(errorOf(() => circlesShape({ factor: 1 })).message, /^factor: /);
    assert.match(errorOf(() => spiralsShape({ arms: 1, turns: 1 })).message, /^arms: /);
    assert.match(errorOf(() => spiralsShape({ arms: 2, turns: 0 })).message, /^turns: /);
    assert.match(errorOf(() => blobsShape({ centres: 2.5, radius: 1 })).message, /^centres: /);
    assert.match(errorOf(() => blobsShape({ centres: 3, radius: -1 })).message, /^radius: /);
  });
});

describe("synthetic shapes without noise: exact geometry", () => {
  it("moons: class 0 on the upper unit half circle, class 1 on the lower one centred at (1, 0.5)", () => {
    const all = points(make(moonsShape()).train);
    for (const p of all) {
      if (p.k === 0) {
        assert.ok(
          Math.abs(Math.hypot(p.x, p.y) - 1) < 1e-12,
          `(${p.x}, ${p.y}) off the unit circle`,
        );
        assert.ok(p.y >= 0, "p.y >= 0");
      } else {
        assert.ok(
          Math.abs(Math.hypot(p.x - 1, p.y - 0.5) - 1) < 1e-12,
          "Math.abs(Math.hypot(p.x - 1, p.y - 0.5) - 1) < 1e-12",
        );
        assert.ok(p.y <= 0.5, "p.y <= 0.5");
      }
    }
    // The angle along each arc is uniform on [0, π]: each third holds a third of the points.
    const angles = all.map((p) =>
      p.k === 0 ? Math.atan2(p.y, p.x) : Math.atan2(0.5 - p.y, 1 - p.x),
    );
    assert.ok(
      angles.every((t) => t >= -1e-12 && t <= Math.PI + 1e-12),
      "angles.every((t) => t >= -1e-12 && t <= Math.PI + 1e-12)",
    );
    for (let third = 0; third < 3; third++) {
      const share =
        angles.filter((t) => t >= (third * Math.PI) / 3 && t < ((third + 1) * Math.PI) / 3).length /
        angles.length;
      // Binomial(1000, 1/3): sd 0.0149; 4-sigma bound.
      assert.ok(Math.abs(share - 1 / 3) < 0.06, `third ${third}: ${share}`);
    }
  });

  it("circles: radius 1 for class 0 and factor for class 1, angles spread round the circle", () => {
    const all = points(make(circlesShape({ factor: 0.3 })).train);
    for (const p of all) {
      const radius = Math.hypot(p.x, p.y);
      assert.ok(Math.abs(radius - (p.k === 0 ? 1 : 0.3)) < 1e-12, `radius ${radius} class ${p.k}`);
    }
    for (const quadrant of [
      [1, 1],
      [-1, 1],
      [-1, -1],
      [1, -1],
    ]) {
      const share =
        all.filter((p) => Math.sign(p.x) === quadrant[0] && Math.sign(p.y) === quadrant[1]).length /
        all.length;
      assert.ok(Math.abs(share - 0.25) < 0.06, `quadrant ${quadrant}: ${share}`);
    }
  });

  it("spirals: angle = 2π·turns·r + 2πk/arms (mod 2π) at radius r, for 2 and 3 arms", () => {
    for (const [arms, turns] of [
      [2, 1.5],
      [3, 0.75],
    ] as const) {
      const task = make(spiralsShape({ arms, turns }));
      assert.equal(task.classes, arms);
      for (const p of points(task.train)) {
        const r = Math.hypot(p.x, p.y);
        assert.ok(r < 1, "r < 1");
        if (r < 1e-9) continue;
        const expected = 2 * Math.PI * turns * r + (2 * Math.PI * p.k) / arms;
        const gap = Math.atan2(p.y, p.x) - expected;
        const wrapped = Math.abs(gap - 2 * Math.PI * Math.round(gap / (2 * Math.PI)));
        assert.ok(wrapped < 1e-9, `arm ${p.k} at r ${r}: angle off by ${wrapped}`);
      }
    }
  });

  it("xor: the label is whether x1 and x2 differ in sign; points fill the four unit squares", () => {
    const all = points(make(xorShape(), { train: 4000 }).train);
    for (const p of all) {
      assert.ok(Math.abs(p.x) < 1 && Math.abs(p.y) < 1, "Math.abs(p.x) < 1 && Math.abs(p.y) < 1");
      assert.ok(p.k === 0 ? p.x * p.y >= 0 : p.x * p.y <= 0, `(${p.x}, ${p.y}) class ${p.k}`);
    }
    for (const [sx, sy] of [
      [1, 1],
      [-1, 1],
      [-1, -1],
      [1, -1],
    ]) {
      const inside = all.filter((p) => Math.sign(p.x) === sx && Math.sign(p.y) === sy);
      // Binomial(4000, 1/4): sd 0.0068; 4-sigma bound. Inside a square, |x| is uniform: mean 1/2.
      assert.ok(Math.abs(inside.length / all.length - 0.25) < 0.028, `square ${sx},${sy}`);
      assert.ok(
        Math.abs(mean(inside.map((p) => Math.abs(p.x))) - 0.5) < 0.04,
        "Math.abs(mean(inside.map((p) => Math.abs(p.x))) - 0.5) < 0.04",
      );
    }
  });

  it("blobs: every point is its centre radius·(cos 2πk/K, sin 2πk/K)", () => {
    const task = make(blobsShape({ centres: 4, radius: 2 }));
    assert.equal(task.classes, 4);
    const centres = [
      [2, 0],
      [0, 2],
      [-2, 0],
      [0, -2],
    ];
    for (const p of points(task.train)) {
      const [cx, cy] = centres[p.k] as [number, number];
      assert.ok(Math.abs(p.x - cx) < 1e-15 && Math.abs(p.y - cy) < 1e-15, `class ${p.k}`);
    }
  });
});

describe("synthetic noise: Gaussian, added to each coordinate", () => {
  it("a noisy task is its clean task plus N(0, noise²) per coordinate, same labels", () => {
    for (const shape of [moonsShape(), spiralsShape({ arms: 2, turns: 1.5 }), xorShape()]) {
      const clean = make(shape, { train: 5000 });
      const noisy = make(shape, { train: 5000, noise: 0.2 });
      assert.deepEqual(Array.from(noisy.train.y), Array.from(clean.train.y));
      const dx = Array.from(noisy.train.x, (v, i) => v - (clean.train.x[i] as number));
      // 10000 differences: sd of the std estimate 0.2/√20000 ≈ 0.0014, of the mean 0.002.
      assert.ok(Math.abs(std(dx) - 0.2) < 0.006, `${shape.kind} std ${std(dx)}`);
      assert.ok(Math.abs(mean(dx)) < 0.008, `${shape.kind} mean ${mean(dx)}`);
    }
  });

  it("circles with noise: radii stay within 6 noise sds of their circle and spread by about the noise", () => {
    const noise = 0.05;
    const task = make(circlesShape({ factor: 0.5 }), { train: 4000, noise });
    const offsets = points(task.train).map((p) => Math.hypot(p.x, p.y) - (p.k === 0 ? 1 : 0.5));
    assert.ok(
      offsets.every((d) => Math.abs(d) < 6 * noise),
      `largest offset ${Math.max(...offsets.map(Math.abs))}`,
    );
    // The radial part of isotropic noise is N(0, noise²) to first order in noise / radius.
    assert.ok(Math.abs(std(offsets) - noise) < 0.005, `radial spread ${std(offsets)}`);
  });

  it("blobs with noise: each class's mean is its centre, its spread the noise", () => {
    const task = make(blobsShape({ centres: 3, radius: 1 }), { train: 6000, noise: 0.3 });
    for (let k = 0; k < 3; k++) {
      const own = points(task.train).filter((p) => p.k === k);
      const [cx, cy] = [Math.cos((2 * Math.PI * k) / 3), Math.sin((2 * Math.PI * k) / 3)];
      // 2000 points: sd of the mean 0.3/√2000 ≈ 0.0067; 4-sigma bound.
      assert.ok(
        Math.abs(mean(own.map((p) => p.x)) - cx) < 0.027,
        "Math.abs(mean(own.map((p) => p.x)) - cx) < 0.027",
      );
      assert.ok(
        Math.abs(mean(own.map((p) => p.y)) - cy) < 0.027,
        "Math.abs(mean(own.map((p) => p.y)) - cy) < 0.027",
      );
      assert.ok(
        Math.abs(std(own.map((p) => p.y)) - 0.3) < 0.02,
        "Math.abs(std(own.map((p) => p.y)) - 0.3) < 0.02",
      );
    }
  });
});
