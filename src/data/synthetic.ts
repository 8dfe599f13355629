/**
 * Synthetic 2-D classification tasks: moons, circles, spirals, XOR and Gaussian blobs, in the
 * manner of scikit-learn's make_moons / make_circles / make_blobs (Pedregosa et al. 2011), drawn
 * from the project's seeded generator (src/data/rng.ts) so the same seed gives the same points.
 *
 * Every point is a clean point of its class's shape plus N(0, noise²) added to each coordinate.
 * Two deliberate departures from scikit-learn, both so a task is one fixed distribution:
 * - positions along a curve are drawn uniformly at random, not on a linspace grid (with a grid and
 *   noise 0, the test split would repeat the training points exactly);
 * - blob centres are fixed (evenly spaced on a circle), not drawn per seed, so every seed of a
 *   benchmark poses a problem of the same difficulty.
 * Formulas and defaults: docs/tasks-classification.md.
 */
import type { CatalogEntry, TaskRequest } from "./catalog-entry.js";
import { Rng } from "./rng.js";
import type { Task, TaskSplit } from "./task.js";
import { DataError } from "./task.js";

/** A family of 2-D points: `point(k, rng)` draws one clean (noise-free) point of class k. */
export interface Shape2D {
  readonly kind: string;
  readonly classNames: readonly string[];
  /** The formula in one line, for reports. */
  readonly formula: string;
  point(classIndex: number, rng: Rng): [number, number];
}

/**
 * make_moons: class 0 is the upper half circle (cos t, sin t), class 1 the lower one shifted,
 * (1 − cos t, 0.5 − sin t), with t uniform on [0, π].
 */
export function moonsShape(): Shape2D {
  return {
    kind: "moons",
    classNames: ["upper moon", "lower moon"],
    formula: "class 0: (cos t, sin t), class 1: (1 − cos t, 0.5 − sin t), t ~ U[0, π]",
    point(k, rng) {
      const t = Math.PI * rng.uniform();
      return k === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    },
  };
}

export interface CirclesOptions {
  /** Radius of the inner circle relative to the outer one (radius 1), in (0, 1). */
  readonly factor: number;
}

/** make_circles: class 0 on the unit circle, class 1 on the circle of radius `factor`. */
export function circlesShape(options: CirclesOptions): Shape2D {
  const { factor } = options;
  if (!(factor > 0 && factor < 1)) {
    throw new DataError(`factor: must be in (0, 1), got ${factor}`);
  }
  return {
    kind: "circles",
    classNames: ["outer circle", "inner circle"],
    formula: `class 0: (cos t, sin t), class 1: ${factor}·(cos t, sin t), t ~ U[0, 2π)`,
    point(k, rng) {
      const t = 2 * Math.PI * rng.uniform();
      const radius = k === 0 ? 1 : factor;
      return [radius * Math.cos(t), radius * Math.sin(t)];
    },
  };
}

export interface SpiralsOptions {
  /** Number of arms (= classes), at least 2. */
  readonly arms: number;
  /** Full turns of each arm between the centre and radius 1. */
  readonly turns: number;
}

/**
 * Interleaved Archimedean spirals (the two-spirals problem of Lang & Witbrock 1988): arm k is
 * s·(cos θ, sin θ) with θ = 2π·turns·s + 2πk/arms and s uniform on [0, 1).
 */
export function spiralsShape(options: SpiralsOptions): Shape2D {
  const { arms, turns } = options;
  if (!Number.isInteger(arms) || arms < 2) {
    throw new DataError(`arms: must be an integer of at least 2, got ${arms}`);
  }
  if (!(turns > 0 && Number.isFinite(turns))) {
    throw new DataError(`turns: must be a positive number, got ${turns}`);
  }
  return {
    kind: "spirals",
    classNames: Array.from({ length: arms }, (_, k) => `arm ${k + 1}`),
    formula: `arm k: s·(cos θ, sin θ), θ = 2π·${turns}·s + 2πk/${arms}, s ~ U[0, 1)`,
    point(k, rng) {
      const s = rng.uniform();
      const angle = 2 * Math.PI * turns * s + (2 * Math.PI * k) / arms;
      return [s * Math.cos(angle), s * Math.sin(angle)];
    },
  };
}

/**
 * XOR: four unit squares around the origin; class 0 where x1 and x2 have the same sign
 * (quadrants I and III), class 1 where they differ. Each point picks one of its class's two
 * quadrants with probability 1/2, then |x1|, |x2| ~ U[0, 1).
 */
export function xorShape(): Shape2D {
  return {
    kind: "xor",
    classNames: ["same sign", "opposite sign"],
    formula: "class 0: x1·x2 > 0, class 1: x1·x2 < 0, |x1|, |x2| ~ U[0, 1)",
    point(k, rng) {
      const sign = rng.uniform() < 0.5 ? 1 : -1;
      const a = rng.uniform();
      const b = rng.uniform();
      return [sign * a, (k === 0 ? sign : -sign) * b];
    },
  };
}

export interface BlobsOptions {
  /** Number of centres (= classes), at least 2. */
  readonly centres: number;
  /** Distance of every centre from the origin. */
  readonly radius: number;
}

/**
 * Gaussian blobs (make_blobs with fixed centres): class k sits at
 * radius·(cos 2πk/K, sin 2πk/K); the task's noise is the blobs' standard deviation.
 */
export function blobsShape(options: BlobsOptions): Shape2D {
  const { centres, radius } = options;
  if (!Number.isInteger(centres) || centres < 2) {
    throw new DataError(`centres: must be an integer of at least 2, got ${centres}`);
  }
  if (!(radius > 0 && Number.isFinite(radius))) {
    throw new DataError(`radius: must be a positive number, got ${radius}`);
  }
  const points = Array.from({ length: centres }, (_, k): [number, number] => {
    const angle = (2 * Math.PI * k) / centres;
    return [radius * Math.cos(angle), radius * Math.sin(angle)];
  });
  return {
    kind: "blobs",
    classNames: Array.from({ length: centres }, (_, k) => `blob ${k + 1}`),
    formula: `class k: ${radius}·(cos 2πk/${centres}, sin 2πk/${centres}) + N(0, noise²)`,
    point(k) {
      const [x, y] = points[k] as [number, number];
      return [x, y];
    },
  };
}

export interface SyntheticTaskOptions {
  readonly name?: string;
  readonly train: number;
  readonly val: number;
  readonly test: number;
  readonly seed: number;
  /** Standard deviation of the Gaussian noise added to each coordinate of every point. */
  readonly noise: number;
}

/** Each split draws from its own stream of the seed, so one split's size never moves another. */
const STREAM = { train: 0, val: 1, test: 2 } as const;

/**
 * As make_blobs: class k gets ⌊n/K⌋ rows, plus one for k < n mod K; the labels are shuffled
 * (Fisher–Yates) so classes interleave, then each row draws its point.
 */
function sampleSplit(shape: Shape2D, rows: number, rng: Rng, noise: number): TaskSplit {
  const classes = shape.classNames.length;
  const labels = Array.from({ length: rows }, (_, r) => r % classes);
  for (let i = rows - 1; i > 0; i--) {
    const j = rng.integerBelow(i + 1);
    [labels[i], labels[j]] = [labels[j] as number, labels[i] as number];
  }
  const x = new Float64Array(rows * 2);
  const y = new Float64Array(rows);
  labels.forEach((k, r) => {
    const [a, b] = shape.point(k, rng);
    // The normals are drawn even when noise is 0, so a noisy task is its clean task plus noise.
    x[2 * r] = a + noise * rng.normal();
    x[2 * r + 1] = b + noise * rng.normal();
    y[r] = k;
  });
  return { x, y, rows };
}

function checkCount(value: number, field: string, least: number): void {
  if (!Number.isInteger(value) || value < least) {
    throw new DataError(`${field}: must be an integer of at least ${least}, got ${value}`);
  }
}

/** A classification task of 2-D points from `shape`. */
export function syntheticTask(shape: Shape2D, options: SyntheticTaskOptions): Task {
  checkCount(options.train, "train", 1);
  checkCount(options.val, "val", 0);
  checkCount(options.test, "test", 0);
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
    throw new DataError(`seed: must be an integer in [0, 2^32), got ${options.seed}`);
  }
  if (!(options.noise >= 0 && Number.isFinite(options.noise))) {
    throw new DataError(`noise: must be a number ≥ 0, got ${options.noise}`);
  }
  const split = (which: keyof typeof STREAM, rows: number) =>
    sampleSplit(shape, rows, new Rng(options.seed, STREAM[which]), options.noise);
  const classes = shape.classNames.length;
  return {
    name: options.name ?? `synthetic/${shape.kind}`,
    inputs: 2,
    outputs: 1,
    kind: "classification",
    classes,
    classNames: [...shape.classNames],
    train: split("train", options.train),
    val: split("val", options.val),
    test: split("test", options.test),
    featureNames: ["x1", "x2"],
    targetNames: ["class"],
    source:
      `synthetic ${shape.kind}: ${shape.formula}; noise ${options.noise}, seed ${options.seed}, ` +
      `${options.train} / ${options.val} / ${options.test} points`,
  };
}

/** Catalog defaults shared by every synthetic task (pykan's 1000 / 1000 plus 200 val). */
export const SYNTHETIC_ROWS = { train: 1000, val: 200, test: 1000 } as const;

/** Defaults of the catalog entries. */
export const SYNTHETIC_DEFAULTS = {
  moons: { noise: 0.1 },
  circles: { noise: 0.05, factor: 0.5 },
  spirals: { noise: 0.05, arms: 2, turns: 1.5 },
  xor: { noise: 0.1 },
  blobs: { noise: 0.4, centres: 3, radius: 1 },
} as const;

function entry(shape: Shape2D, defaultNoise: number, description: string): CatalogEntry {
  const name = `synthetic/${shape.kind}`;
  return {
    name,
    family: "synthetic-2d",
    kind: "classification",
    metric: "accuracy",
    inputShape: [2],
    outputs: shape.classNames.length,
    description: `${description} (noise ${defaultNoise})`,
    make: (request: TaskRequest) =>
      syntheticTask(shape, {
        name,
        train: request.train ?? SYNTHETIC_ROWS.train,
        val: request.val ?? SYNTHETIC_ROWS.val,
        test: request.test ?? SYNTHETIC_ROWS.test,
        seed: request.seed,
        noise: request.noise ?? defaultNoise,
      }),
  };
}

const D = SYNTHETIC_DEFAULTS;

export const SYNTHETIC_TASKS: readonly CatalogEntry[] = [
  entry(moonsShape(), D.moons.noise, "two interleaved half circles (make_moons)"),
  entry(
    circlesShape({ factor: D.circles.factor }),
    D.circles.noise,
    `two concentric circles, radii 1 and ${D.circles.factor} (make_circles)`,
  ),
  entry(
    spiralsShape({ arms: D.spirals.arms, turns: D.spirals.turns }),
    D.spirals.noise,
    `${D.spirals.arms} interleaved spiral arms of ${D.spirals.turns} turns`,
  ),
  entry(xorShape(), D.xor.noise, "XOR of the signs of x1 and x2 on [−1, 1]²"),
  entry(
    blobsShape({ centres: D.blobs.centres, radius: D.blobs.radius }),
    D.blobs.noise,
    `${D.blobs.centres} Gaussian blobs, centres evenly spaced on a circle of radius ${D.blobs.radius}`,
  ),
];
