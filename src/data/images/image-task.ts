/**
 * Turns a fixed image data set (bytes, as the files store them) into a Task: a seeded subset of
 * the training images for train and validation, a capped test set, and pixels scaled to [0, 1].
 */
import type { CatalogEntry, TaskRequest } from "../catalog-entry.js";
import { Rng } from "../rng.js";
import type { Task, TaskSplit } from "../task.js";
import { DataError } from "../task.js";
import type { ImageSetInfo } from "./image-sets.js";
import { imageMetadata } from "./image-sets.js";

/** Images with their labels: `pixels` holds `count` images of `shape` each, row-major bytes. */
export interface ImageSet {
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

/** A data set with its official (or documented fixed) train/test division. */
export interface ImageDataSet {
  /** The pool that train and validation rows are drawn from. */
  readonly train: ImageSet;
  readonly test: ImageSet;
  /** [channels, height, width]; pixels of one image are stored channel by channel (CHW). */
  readonly shape: readonly [number, number, number];
  readonly classNames: readonly string[];
}

export interface ImageTaskInfo {
  readonly name: string;
  /** One line for reports: where the bytes came from and how they were scaled. */
  readonly source: string;
  /** Validation rows carved out of the training pool when the request names none. */
  readonly defaultVal: number;
}

/**
 * The seed of the test subset when `request.test` caps the test set: fixed, so every seed of a
 * comparison is scored on the same test images (as it is with the full test set).
 */
const TEST_SUBSET_SEED = 0x7e57;

/** Checks labels lie in 0..classes−1 and sizes agree; `file` names the source in errors. */
export function checkImageSet(
  set: ImageSet,
  pixelsPerImage: number,
  classes: number,
  file: string,
): ImageSet {
  if (set.labels.length !== set.count || set.pixels.length !== set.count * pixelsPerImage) {
    throw new DataError(
      `${file}: ${set.count} images need ${set.count} labels and ${set.count * pixelsPerImage} ` +
        `pixel bytes, got ${set.labels.length} and ${set.pixels.length}`,
    );
  }
  const labels = set.labels;
  for (let i = 0; i < labels.length; i++) {
    if ((labels[i] as number) >= classes) {
      throw new DataError(`${file}: image ${i} has label ${labels[i]}, expected 0..${classes - 1}`);
    }
  }
  return set;
}

/**
 * The first `k` entries of a uniformly random permutation of 0..n−1 (a Fisher–Yates shuffle
 * stopped after k steps; Knuth, TAOCP vol. 2, Algorithm 3.4.2P).
 */
export function sampleWithoutReplacement(n: number, k: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.integerBelow(n - i);
    const chosen = order[j] as number;
    order[j] = order[i] as number;
    order[i] = chosen;
  }
  return order.slice(0, k);
}

/** pixel byte → value in [0, 1]; a table so each value is the correctly rounded v / 255. */
const UNIT_SCALE = Float64Array.from({ length: 256 }, (_, v) => v / 255);

/** The images `indices` of `set` as a row-major Float64Array in [0, 1], with their labels. */
/**
 * Rows of a split in the layout the layers use: channels last (HWC), as conv2d expects. The
 * files store each image channel by channel (CHW); for one channel the two are the same bytes.
 */
export function imageRows(
  set: ImageSet,
  shape: readonly [number, number, number],
  indices: ArrayLike<number>,
): TaskSplit {
  const [channels, height, width] = shape;
  const plane = height * width;
  const pixelsPerImage = channels * plane;
  const rows = indices.length;
  const x = new Float64Array(rows * pixelsPerImage);
  const y = new Float64Array(rows);
  const pixels = set.pixels;
  for (let r = 0; r < rows; r++) {
    const image = indices[r] as number;
    const from = image * pixelsPerImage;
    const to = r * pixelsPerImage;
    for (let c = 0; c < channels; c++)
      for (let p = 0; p < plane; p++)
        x[to + p * channels + c] = UNIT_SCALE[pixels[from + c * plane + p] as number] as number;
    y[r] = set.labels[image] as number;
  }
  return { x, y, rows };
}

function requestCount(
  value: number | undefined,
  fallback: number,
  field: string,
  task: string,
  minimum: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < minimum) {
    throw new DataError(`${task}: ${field} must be an integer ≥ ${minimum}, got ${String(value)}`);
  }
  return value;
}

/**
 * Splits and scales an image data set. Validation rows come first from a permutation of the
 * training pool seeded by `request.seed`, training rows next, so the validation set of a seed
 * does not change with `request.train`. `train` and `test` are caps (more than the data has
 * means all of it); a capped test set is a fixed subset, the same for every seed, in file order.
 */
export function imageTask(data: ImageDataSet, request: TaskRequest, info: ImageTaskInfo): Task {
  const [channels, height, width] = data.shape;
  const pixelsPerImage = channels * height * width;
  const pool = data.train.count;
  const val = requestCount(request.val, info.defaultVal, "val", info.name, 0);
  if (val >= pool) {
    throw new DataError(
      `${info.name}: val ${val} leaves no training rows (the training pool has ${pool} images)`,
    );
  }
  const train = Math.min(
    requestCount(request.train, pool - val, "train", info.name, 1),
    pool - val,
  );
  const test = Math.min(
    requestCount(request.test, data.test.count, "test", info.name, 0),
    data.test.count,
  );
  const { seed } = request;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new DataError(`${info.name}: seed must be an integer in [0, 2^32), got ${seed}`);
  }
  const order = sampleWithoutReplacement(pool, val + train, new Rng(seed));
  let testIndices: ArrayLike<number>;
  if (test === data.test.count) {
    testIndices = Int32Array.from({ length: test }, (_, i) => i);
  } else {
    testIndices = sampleWithoutReplacement(data.test.count, test, new Rng(TEST_SUBSET_SEED)).sort();
  }
  const featureNames: string[] = [];
  for (let yy = 0; yy < height; yy++) {
    for (let xx = 0; xx < width; xx++) {
      for (let c = 0; c < channels; c++) featureNames.push(`c${c}_y${yy}_x${xx}`);
    }
  }
  return {
    name: info.name,
    inputs: pixelsPerImage,
    inputShape: [height, width, channels],
    outputs: 1,
    kind: "classification",
    classes: data.classNames.length,
    classNames: [...data.classNames],
    train: imageRows(data.train, data.shape, order.subarray(val)),
    val: imageRows(data.train, data.shape, order.subarray(0, val)),
    test: imageRows(data.test, data.shape, testIndices),
    featureNames,
    targetNames: ["label"],
    source: info.source,
  };
}

/**
 * The catalog entry of an image data set (its metadata: imageMetadata), the data loaded (and
 * kept) on the first `make`; 5000 validation rows carved out by default.
 */
export function imageEntry(
  info: ImageSetInfo & { source: string; load: () => ImageDataSet },
): CatalogEntry {
  return {
    ...imageMetadata(info),
    make: (request: TaskRequest): Task =>
      imageTask(info.load(), request, { name: info.name, source: info.source, defaultVal: 5000 }),
  };
}
