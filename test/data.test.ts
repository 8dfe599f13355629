import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import {
  DataError,
  Rng,
  csvTask,
  formulaTask,
  parseCsv,
  parseTaskSpec,
  shuffledSplit,
  splitmix64,
} from "../src/data/index.js";
import type { CsvTaskOptions, FormulaTaskOptions, Task, TaskSplit } from "../src/data/index.js";
import { TASK_CATALOG } from "../src/data/catalog.js";
import { CATALOG_ENTRIES } from "../src/data/node/catalog.js";
import { loadTask } from "../src/data/node/load-task.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/data/", import.meta.url));
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), "utf8");

function errorOf(run: () => unknown): DataError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DataError, `expected DataError, got ${String(error)}`);
    return error;
  }
  assert.fail("no error was thrown");
}

const FORMULA_DEFAULTS: FormulaTaskOptions = {
  formula: "x",
  box: [-1, 1],
  train: 200,
  val: 50,
  test: 100,
  seed: 0,
  noise: 0,
};
const formula = (options: Partial<FormulaTaskOptions>): Task =>
  formulaTask({ ...FORMULA_DEFAULTS, ...options });

const CSV_DEFAULTS: CsvTaskOptions = {
  header: "names",
  delimiter: ",",
  split: { val: 0.15, test: 0.15, seed: 0 },
  normalize: "standard",
  normalize_target: "none",
};
const csv = (text: string, options: Partial<CsvTaskOptions>): Task =>
  csvTask(text, "data.csv", { ...CSV_DEFAULTS, ...options });

/** Column j of a split's x as plain numbers. */
const column = (split: TaskSplit, columns: number, j: number): number[] =>
  Array.from({ length: split.rows }, (_, r) => split.x[r * columns + j] as number);
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const populationStd = (values: number[]): number => {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
};
const closeRel = (actual: number, expected: number, rel: number, what: string): void =>
  assert.ok(
    Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );

describe("random generator", () => {
  // Values printed by the reference C code of https://prng.di.unimi.it/ (splitmix64.c,
  // xoshiro128starstar.c) compiled with gcc; the seeding rows use our seeding (state from two
  // splitmix64 outputs of seed | stream << 32, low word first) written in that C.
  it("splitmix64 from 0 gives the published sequence", () => {
    let state = 0n;
    const outputs: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      const [out, next] = splitmix64(state);
      outputs.push(out);
      state = next;
    }
    assert.deepEqual(outputs, [16294208416658607535n, 7960286522194355700n, 487617019471545679n]);
  });

  it("xoshiro128** from state (1, 2, 3, 4) matches the reference C", () => {
    const rng = Rng.fromState([1, 2, 3, 4]);
    const outputs = Array.from({ length: 6 }, () => rng.nextUint32());
    assert.deepEqual(outputs, [11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it("seeds and streams match the reference C seeding", () => {
    const firstFour = (seed: number, stream: number) => {
      const rng = new Rng(seed, stream);
      return Array.from({ length: 4 }, () => rng.nextUint32());
    };
    assert.deepEqual(firstFour(0, 0), [3737715805, 2584255861, 2876756834, 3286328325]);
    assert.deepEqual(firstFour(42, 0), [1776835114, 4165204688, 17111135, 2317295270]);
    assert.deepEqual(firstFour(7, 3), [3152172436, 1611524413, 3831727778, 4239604601]);
  });

  it("uniform() uses 53 bits of two outputs and stays in [0, 1)", () => {
    const a = new Rng(5);
    const b = new Rng(5);
    for (let i = 0; i < 1000; i++) {
      const u = a.uniform();
      const expected = ((b.nextUint32() >>> 5) * 2 ** 26 + (b.nextUint32() >>> 6)) / 2 ** 53;
      assert.equal(u, expected);
      assert.ok(u >= 0 && u < 1);
    }
  });

  it("normal() has mean ≈ 0 and variance ≈ 1 (4-sigma bounds on 20000 samples)", () => {
    const rng = new Rng(3);
    const samples = Array.from({ length: 20000 }, () => rng.normal());
    assert.ok(Math.abs(mean(samples)) < 4 / Math.sqrt(20000));
    assert.ok(Math.abs(populationStd(samples) ** 2 - 1) < 4 * Math.sqrt(2 / 20000));
  });

  it("rejects seeds outside [0, 2^32)", () => {
    assert.throws(() => new Rng(-1), /seed must be an integer/);
    assert.throws(() => new Rng(2 ** 32), /seed must be an integer/);
    assert.throws(() => new Rng(1.5), /seed must be an integer/);
  });
});

describe("formula tasks", () => {
  it("computes exp(sin(pi*x1) + x2^2) at every sampled point as Math does", () => {
    const task = formula({ formula: "exp(sin(pi*x1) + x2^2)" });
    assert.equal(task.inputs, 2);
    assert.equal(task.outputs, 1);
    assert.equal(task.kind, "regression");
    assert.deepEqual(task.featureNames, ["x1", "x2"]);
    assert.deepEqual(task.targetNames, ["y"]);
    for (const split of [task.train, task.val, task.test]) {
      for (let r = 0; r < split.rows; r++) {
        const x1 = split.x[2 * r] as number;
        const x2 = split.x[2 * r + 1] as number;
        const expected = Math.exp(Math.sin(Math.PI * x1) + x2 * x2);
        closeRel(split.y[r] as number, expected, 1e-14, `row ${r}`);
      }
    }
  });

  it("computes a formula with sqrt, log, division, tanh^3 and e as Math does", () => {
    const task = formula({
      formula: "sqrt(x1) * log(x2) / (x1 + x2) - tanh(x3)^3 + e",
      box: [0.5, 2],
    });
    const { x, y, rows } = task.train;
    for (let r = 0; r < rows; r++) {
      const [a, b, c] = [x[3 * r], x[3 * r + 1], x[3 * r + 2]] as [number, number, number];
      const expected = (Math.sqrt(a) * Math.log(b)) / (a + b) - Math.tanh(c) ** 3 + Math.E;
      closeRel(y[r] as number, expected, 1e-14, `row ${r}`);
    }
  });

  it("reads x as x1 in a formula of one variable", () => {
    const task = formula({ formula: "x^3 - 2*x" });
    assert.equal(task.inputs, 1);
    for (let r = 0; r < task.train.rows; r++) {
      const v = task.train.x[r] as number;
      closeRel(task.train.y[r] as number, v ** 3 - 2 * v, 1e-15, `row ${r}`);
    }
  });

  it("gives one output per formula of a list, sharing x1..xd", () => {
    const task = formula({ formula: ["x1 * x2", "x2 - x1"] });
    assert.equal(task.inputs, 2);
    assert.equal(task.outputs, 2);
    assert.deepEqual(task.targetNames, ["y1", "y2"]);
    for (let r = 0; r < task.test.rows; r++) {
      const [a, b] = [task.test.x[2 * r], task.test.x[2 * r + 1]] as [number, number];
      assert.equal(task.test.y[2 * r], a * b);
      assert.equal(task.test.y[2 * r + 1], b - a);
    }
  });

  it("lets variables exceed the highest index used (inputs the target ignores)", () => {
    const task = formula({ formula: "x1 + x3", variables: 4 });
    assert.equal(task.inputs, 4);
    for (let r = 0; r < task.train.rows; r++) {
      const row = task.train.x.subarray(4 * r, 4 * r + 4);
      assert.equal(task.train.y[r], (row[0] as number) + (row[2] as number));
    }
  });

  it("resamples bit-identically for the same seed and differently for another", () => {
    const spec = { formula: "sin(x1) * x2", seed: 11 };
    const [a, b, c] = [formula(spec), formula(spec), formula({ ...spec, seed: 12 })];
    for (const split of ["train", "val", "test"] as const) {
      assert.deepEqual(Buffer.from(a[split].x.buffer), Buffer.from(b[split].x.buffer));
      assert.deepEqual(Buffer.from(a[split].y.buffer), Buffer.from(b[split].y.buffer));
      assert.notDeepEqual(Array.from(a[split].x), Array.from(c[split].x));
    }
  });

  it("samples train, val and test independently: the test set does not depend on train size", () => {
    const small = formula({ formula: "x1 + x2", train: 10 });
    const large = formula({ formula: "x1 + x2", train: 500 });
    assert.deepEqual(Array.from(small.test.x), Array.from(large.test.x));
    assert.deepEqual(Array.from(small.val.x), Array.from(large.val.x));
    assert.deepEqual(Array.from(small.train.x), Array.from(large.train.x.subarray(0, 20)));
    assert.notDeepEqual(
      Array.from(small.train.x.subarray(0, 20)),
      Array.from(small.test.x.subarray(0, 20)),
    );
  });

  it("keeps every sample inside a per-variable box and covers it", () => {
    const box: [number, number][] = [
      [-3, -2],
      [0, 10],
      [5, 5.5],
    ];
    const task = formula({ formula: "x1 + x2 + x3", box, train: 3000 });
    box.forEach(([low, high], j) => {
      const values = column(task.train, 3, j);
      assert.ok(
        values.every((v) => v >= low && v <= high),
        `x${j + 1} leaves [${low}, ${high}]`,
      );
      assert.ok(Math.min(...values) < low + 0.01 * (high - low), `x${j + 1} never near ${low}`);
      assert.ok(Math.max(...values) > high - 0.01 * (high - low), `x${j + 1} never near ${high}`);
      // Uniform mean (low + high) / 2 with std (high − low)/√12/√n: 4-sigma bound.
      const sigma = (high - low) / Math.sqrt(12 * values.length);
      assert.ok(Math.abs(mean(values) - (low + high) / 2) < 4 * sigma, `x${j + 1} mean`);
    });
  });

  it("adds Gaussian noise of the given std to train and val only", () => {
    const clean = formula({ formula: "x1^2", train: 4000, val: 500 });
    const noisy = formula({ formula: "x1^2", train: 4000, val: 500, noise: 0.1 });
    assert.deepEqual(Array.from(noisy.train.x), Array.from(clean.train.x));
    const residuals = Array.from(noisy.train.y, (v, r) => v - (clean.train.y[r] as number));
    assert.ok(Math.abs(populationStd(residuals) - 0.1) < 0.005, `std ${populationStd(residuals)}`);
    assert.ok(Math.abs(mean(residuals)) < 4 * (0.1 / Math.sqrt(4000)));
    assert.notDeepEqual(Array.from(noisy.val.y), Array.from(clean.val.y));
    assert.deepEqual(Array.from(noisy.test.y), Array.from(clean.test.y));
  });

  it("rejects unknown names, naming them", () => {
    const error = errorOf(() => formula({ formula: "a * sin(x1) + b0 + pi" }));
    assert.match(error.message, /^formula: unknown names 'a', 'b0'/);
    assert.match(errorOf(() => formula({ formula: "x0 + x1" })).message, /unknown name 'x0'/);
    assert.match(
      errorOf(() => formula({ formula: ["x1", "y"] })).message,
      /^formula\[1\]: unknown name 'y'/,
    );
  });

  it("rejects x mixed with x1.., x with several variables, too few variables, statistics, bad syntax", () => {
    assert.match(errorOf(() => formula({ formula: "x + x2" })).message, /mixes x with x1/);
    assert.match(
      errorOf(() => formula({ formula: "sin(x)", variables: 2 })).message,
      /x stands for x1 only/,
    );
    assert.match(
      errorOf(() => formula({ formula: "x1 * x3", variables: 2 })).message,
      /^variables: 2, but the formula uses x3/,
    );
    assert.match(errorOf(() => formula({ formula: "x1 - mean(x1)" })).message, /statistics/);
    assert.match(
      errorOf(() => formula({ formula: "sin(x1" })).message,
      /^formula: line 1, column 7/,
    );
  });

  it("rejects a box that does not fit the variables, or is empty", () => {
    assert.match(
      errorOf(() => formula({ formula: "x1 + x2", box: [[0, 1]] })).message,
      /^box: 1 intervals for 2 variables/,
    );
    assert.match(
      errorOf(() => formula({ formula: "x1", box: [1, 1] })).message,
      /^box: low must be below high/,
    );
    assert.match(
      errorOf(() =>
        formula({
          formula: "x1 + x2",
          box: [
            [0, 1],
            [3, 2],
          ],
        }),
      ).message,
      /^box\[1\]: low must be below high/,
    );
  });

  it("rejects a formula that is not finite on the box, naming the point", () => {
    assert.match(
      errorOf(() => formula({ formula: "exp(1000 * x1)" })).message,
      /is Infinity at \(/,
    );
  });
});

describe("CSV parsing", () => {
  it("reads quoted fields with delimiters, quotes and line breaks inside, CRLF, BOM, blank lines", () => {
    const text = '\ufeffa,"b, c","say ""hi"""\r\n1,"two\r\nlines",3\r\n\r\n\n4,,"6"\n';
    const records = parseCsv(text, "t.csv");
    assert.deepEqual(
      records.map((r) => r.fields),
      [
        ["a", "b, c", 'say "hi"'],
        ["1", "two\r\nlines", "3"],
        ["4", "", "6"],
      ],
    );
    assert.deepEqual(
      records.map((r) => r.line),
      [1, 2, 6],
    );
  });

  it("reads the last record without a final line break and another delimiter", () => {
    assert.deepEqual(
      parseCsv("x;y\n1;2", "t.csv", ";").map((r) => r.fields),
      [
        ["x", "y"],
        ["1", "2"],
      ],
    );
  });

  it("names the file, line and character of malformed quoting", () => {
    assert.match(
      errorOf(() => parseCsv('a,b\n1,"2\n3,4\n', "t.csv")).message,
      /^t\.csv line 2: a quoted field is never closed/,
    );
    assert.match(
      errorOf(() => parseCsv('a,b\n1,2"x"\n', "t.csv")).message,
      /^t\.csv line 2, character 4: a quote inside an unquoted field/,
    );
    assert.match(
      errorOf(() => parseCsv('a,b\n1,"2"x\n', "t.csv")).message,
      /^t\.csv line 2, character 6: 'x' after a closing quote/,
    );
  });
});

describe("CSV tasks", () => {
  const iris = fixture("iris.csv");
  const irisRows = iris
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.split(",").map(Number));
  const irisTask = (options: Partial<CsvTaskOptions> = {}) =>
    csvTask(iris, "iris.csv", { ...CSV_DEFAULTS, header: "sklearn", ...options });

  it("reads iris (sklearn header): 150 rows, 4 features, 3 named classes, splits that add up", () => {
    const task = irisTask();
    assert.equal(task.name, "iris");
    assert.equal(task.kind, "classification");
    assert.equal(task.inputs, 4);
    assert.equal(task.outputs, 1);
    assert.equal(task.classes, 3);
    assert.deepEqual(task.classNames, ["setosa", "versicolor", "virginica"]);
    assert.deepEqual(task.featureNames, ["x1", "x2", "x3", "x4"]);
    assert.deepEqual(task.targetNames, ["target"]);
    // round(150 · 0.15) = 23 for val and for test, 104 for train.
    assert.deepEqual([task.train.rows, task.val.rows, task.test.rows], [104, 23, 23]);
    for (const split of [task.train, task.val, task.test]) {
      assert.equal(split.x.length, split.rows * 4);
      assert.equal(split.y.length, split.rows);
    }
    const labels = [task.train, task.val, task.test].flatMap((s) => Array.from(s.y));
    assert.deepEqual(
      [0, 1, 2].map((k) => labels.filter((label) => label === k).length),
      [50, 50, 50],
    );
  });

  it("standardises features with train statistics only", () => {
    const task = irisTask();
    for (let j = 0; j < 4; j++) {
      const train = column(task.train, 4, j);
      assert.ok(Math.abs(mean(train)) < 1e-12, `train mean of x${j + 1}: ${mean(train)}`);
      assert.ok(Math.abs(populationStd(train) - 1) < 1e-12, `train std of x${j + 1}`);
      for (const split of [task.val, task.test]) {
        assert.ok(Math.abs(mean(column(split, 4, j))) > 1e-6, "val/test are not re-centred");
      }
    }
    // The statistics are those of the raw train rows (same seed, no normalisation), and val/test
    // are transformed with them.
    const raw = irisTask({ normalize: "none" });
    const stats = [0, 1, 2, 3].map((j) => {
      const values = column(raw.train, 4, j);
      return { mean: mean(values), std: populationStd(values) };
    });
    for (const [name, split, rawSplit] of [
      ["val", task.val, raw.val],
      ["test", task.test, raw.test],
    ] as const) {
      for (let i = 0; i < split.x.length; i++) {
        const { mean: m, std } = stats[i % 4] as { mean: number; std: number };
        closeRel(
          split.x[i] as number,
          ((rawSplit.x[i] as number) - m) / std,
          1e-12,
          `${name} ${i}`,
        );
      }
    }
    // Undo the scaling: every split row is a row of the file, with its label.
    const scaling = task.featureScaling;
    assert.ok(scaling && scaling.kind === "standard");
    const seen = new Set<number>();
    for (const split of [task.train, task.val, task.test]) {
      for (let r = 0; r < split.rows; r++) {
        const original = [0, 1, 2, 3].map(
          (j) =>
            (split.x[4 * r + j] as number) * (scaling.scale[j] as number) +
            (scaling.shift[j] as number),
        );
        const match = irisRows.findIndex(
          (row, i) =>
            !seen.has(i) &&
            row.slice(0, 4).every((v, j) => Math.abs(v - (original[j] as number)) < 1e-9) &&
            row[4] === split.y[r],
        );
        assert.ok(match >= 0, `row ${original.join(",")} is not in iris.csv`);
        seen.add(match);
      }
    }
    assert.equal(seen.size, 150);
  });

  it("maps the train range onto [-1, 1] with minmax and keeps raw values with none", () => {
    const minmax = irisTask({ normalize: "minmax" });
    for (let j = 0; j < 4; j++) {
      const train = column(minmax.train, 4, j);
      // (x − mid) / half-range: exact up to one rounding of mid and half-range.
      assert.ok(Math.abs(Math.min(...train) + 1) < 1e-15, `min ${Math.min(...train)}`);
      assert.ok(Math.abs(Math.max(...train) - 1) < 1e-15, `max ${Math.max(...train)}`);
    }
    const raw = irisTask({ normalize: "none" });
    assert.equal(raw.featureScaling, undefined);
    const trainSum = Array.from(raw.train.x).reduce((a, b) => a + b, 0);
    const valSum = Array.from(raw.val.x).reduce((a, b) => a + b, 0);
    const testSum = Array.from(raw.test.x).reduce((a, b) => a + b, 0);
    const fileSum = irisRows.reduce(
      (sum, row) => sum + row.slice(0, 4).reduce((a, b) => a + b, 0),
      0,
    );
    closeRel(trainSum + valSum + testSum, fileSum, 1e-12, "sum of all raw features");
  });

  it("splits identically for the same seed and differently for another", () => {
    const [a, b, c] = [
      irisTask(),
      irisTask(),
      irisTask({ split: { val: 0.15, test: 0.15, seed: 1 } }),
    ];
    assert.deepEqual(Buffer.from(a.train.x.buffer), Buffer.from(b.train.x.buffer));
    assert.deepEqual(Buffer.from(a.test.y.buffer), Buffer.from(b.test.y.buffer));
    assert.notDeepEqual(Array.from(a.test.y), Array.from(c.test.y));
    const split = shuffledSplit(150, { val: 0.15, test: 0.15, seed: 0 });
    const all = [...split.train, ...split.val, ...split.test].sort((p, q) => p - q);
    assert.deepEqual(
      all,
      Array.from({ length: 150 }, (_, i) => i),
    );
  });

  it("reads named columns (quoted, CRLF, text labels sorted to 0..k-1) and skips blank lines", () => {
    const task = csv(fixture("flowers.csv"), {
      classification: true,
      target: "species",
      split: { val: 0, test: 0, seed: 0 },
      normalize: "none",
    });
    assert.deepEqual(task.featureNames, [
      "sepal length, cm",
      "sepal width",
      "petal length",
      "petal width",
    ]);
    assert.deepEqual(task.classNames, ["setosa", "versicolor", "virginica"]);
    assert.equal(task.train.rows, 9);
    const byFirstFeature = new Map<number, number>();
    for (let r = 0; r < 9; r++)
      byFirstFeature.set(task.train.x[4 * r] as number, task.train.y[r] as number);
    assert.equal(byFirstFeature.get(5.1), 0);
    assert.equal(byFirstFeature.get(4.7), 0); // the quoted "setosa"
    assert.equal(byFirstFeature.get(7.0), 1);
    assert.equal(byFirstFeature.get(7.1), 2);
  });

  it("sorts numeric labels numerically (2 < 10)", () => {
    const task = csv("a,label\n1,10\n2,2\n3,10\n4,2\n5,7\n", {
      classification: true,
      split: { val: 0, test: 0, seed: 0 },
      normalize: "none",
    });
    assert.deepEqual(task.classNames, ["2", "7", "10"]);
    const labelOf = new Map(
      Array.from({ length: 5 }, (_, r) => [task.train.x[r], task.train.y[r]]),
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((a) => labelOf.get(a)),
      [2, 0, 2, 0, 1],
    );
  });

  it("reads several regression targets, chosen features, and standardises targets on request", () => {
    const task = csv(fixture("regression.csv"), {
      target: ["sum", "product"],
      features: ["w", "u"],
      split: { val: 0.2, test: 0.2, seed: 3 },
      normalize: "none",
      normalize_target: "standard",
    });
    assert.deepEqual([task.inputs, task.outputs], [2, 2]);
    assert.deepEqual(task.featureNames, ["w", "u"]);
    assert.deepEqual(task.targetNames, ["sum", "product"]);
    assert.deepEqual([task.train.rows, task.val.rows, task.test.rows], [6, 2, 2]);
    const scaling = task.targetScaling;
    assert.ok(scaling);
    for (const split of [task.train, task.val, task.test]) {
      for (let r = 0; r < split.rows; r++) {
        const [w, u] = [split.x[2 * r], split.x[2 * r + 1]] as [number, number];
        const sum =
          (split.y[2 * r] as number) * (scaling.scale[0] as number) + (scaling.shift[0] as number);
        assert.ok(Math.abs(sum - (u + w + (sum - u - w))) < 1e-12);
      }
    }
    const trainSums = Array.from({ length: 6 }, (_, r) => task.train.y[2 * r] as number);
    assert.ok(Math.abs(mean(trainSums)) < 1e-12);
    assert.ok(Math.abs(populationStd(trainSums) - 1) < 1e-12);
  });

  it("names the file, line and column of a value that is not a number", () => {
    const error = errorOf(() =>
      csvTask(fixture("bad-cell.csv"), "bad-cell.csv", { ...CSV_DEFAULTS, classification: true }),
    );
    assert.equal(error.message, "bad-cell.csv line 4, column 'petal_width': 'abc' is not a number");
  });

  it("refuses a non-finite number (1e999, inf, -Infinity) in a feature or target, naming its cell", () => {
    const rows = "a,y\n1,1\n2,2\n3,3\n4,4\n";
    for (const [text, where, cell] of [
      [`${rows}1e999,5\n`, "line 6, column 'a'", "1e999"],
      [`${rows}5,-1e400\n`, "line 6, column 'y'", "-1e400"],
      [`a,y\n1,1\ninf,2\n3,3\n4,4\n`, "line 3, column 'a'", "inf"],
      [`${rows}5,-Infinity\n`, "line 6, column 'y'", "-Infinity"],
    ] as const) {
      assert.equal(
        errorOf(() => csv(text, {})).message,
        `data.csv ${where}: '${cell}' is not a finite number (a float64 is at most 1.8e308 in ` +
          "size); correct it, or empty it and set missing: drop to leave its row out",
      );
    }
    // the largest finite float64 is a number like any other
    const huge = csv(`${rows}1.7e308,5\n`, { normalize: "none" });
    assert.ok([huge.train, huge.val, huge.test].some((split) => split.x.includes(1.7e308)));
  });

  it("refuses too few rows to give every split with a fraction above 0 a row, saying how many it takes", () => {
    assert.equal(
      errorOf(() => csv("a,y\n1,2\n", {})).message,
      "data.csv: 1 row is too few for split val 0.15 / test 0.15 (they give 1 train, 0 " +
        "validation and 0 test rows); it takes at least 4 rows",
    );
    assert.equal(
      errorOf(() => csv("a,y\n1,2\n2,3\n3,4\n", { split: { val: 0, test: 0.1, seed: 0 } })).message,
      "data.csv: 3 rows are too few for split val 0 / test 0.1 (they give 3 train, 0 validation " +
        "and 0 test rows); it takes at least 5 rows",
    );
    assert.match(
      errorOf(() => csv("a,y\n1,2\n?,3\n3,4\n4,5\n", { missing: "drop" })).message,
      /^data\.csv: 3 rows are too few .* at least 4 rows \(after dropping 1 with missing values\)$/,
    );
    // the fewest rows it names are enough, and a split of fraction 0 may stay empty
    const four = csv("a,y\n1,2\n2,3\n3,4\n4,5\n", {});
    assert.deepEqual([four.train.rows, four.val.rows, four.test.rows], [2, 1, 1]);
    const one = csv("a,y\n1,2\n", { split: { val: 0, test: 0, seed: 0 } });
    assert.deepEqual([one.train.rows, one.val.rows, one.test.rows], [1, 0, 0]);
  });

  it("names the line with the wrong number of fields", () => {
    assert.equal(
      errorOf(() => csvTask(fixture("ragged.csv"), "ragged.csv", CSV_DEFAULTS)).message,
      "ragged.csv line 3: 2 fields, expected 3 (as in the header)",
    );
  });

  it("names a missing target or feature column and lists the columns", () => {
    assert.equal(
      errorOf(() => csv("a,b,y\n1,2,3\n", { target: "z" })).message,
      "target: no column 'z' in data.csv (its columns: a, b, y)",
    );
    assert.match(
      errorOf(() => csv("a,b,y\n1,2,3\n", { features: ["a", "q"] })).message,
      /^features: no column 'q'/,
    );
    assert.match(
      errorOf(() => csv("a,b,y\n1,2,3\n", { features: ["a", "y"] })).message,
      /^features: y also named as target/,
    );
  });

  it("rejects empty files, header-only files, empty cells and an sklearn header that miscounts", () => {
    assert.equal(
      errorOf(() => csvTask(fixture("empty.csv"), "empty.csv", CSV_DEFAULTS)).message,
      "empty.csv is empty",
    );
    assert.equal(
      errorOf(() => csvTask(fixture("header-only.csv"), "header-only.csv", CSV_DEFAULTS)).message,
      "header-only.csv has a header but no data rows",
    );
    assert.equal(
      errorOf(() => csv("a,y\n1,2\n,3\n", {})).message,
      "data.csv line 3, column 'a': empty value",
    );
    assert.match(
      errorOf(() => csv("3,1,no,yes\n1,0\n2,1\n", { header: "sklearn" })).message,
      /^data\.csv: the header says 3 rows, the file has 2/,
    );
    assert.match(
      errorOf(() => csv("2,1,no,yes\n1,0\n2,5\n", { header: "sklearn" })).message,
      /^data\.csv line 3, column 'target': label '5' is not one of the 2 classes/,
    );
    assert.match(
      errorOf(() => csv("a,y\n1,2\n2,2\n", { classification: true })).message,
      /one class only/,
    );
  });
});

describe("task specs", () => {
  it("fills formula defaults (pykan's 1000 train / 1000 test, plus 200 val)", () => {
    assert.deepEqual(parseTaskSpec({ type: "formula", formula: "x" }), {
      type: "formula",
      formula: "x",
      box: [-1, 1],
      train: 1000,
      val: 200,
      test: 1000,
      seed: 0,
      noise: 0,
    });
  });

  it("fills CSV defaults", () => {
    assert.deepEqual(parseTaskSpec({ type: "csv", path: "d.csv" }), {
      type: "csv",
      path: "d.csv",
      header: "names",
      delimiter: ",",
      split: { val: 0.15, test: 0.15, seed: 0 },
      normalize: "standard",
      normalize_target: "none",
    });
  });

  it("names the field of every bad entry", () => {
    const message = (spec: unknown) => errorOf(() => parseTaskSpec(spec)).message;
    assert.equal(message({ type: "table" }), 'task.type: must be "formula", "csv" or "catalog"');
    assert.equal(message({ type: "formula" }), "task.formula: required");
    assert.match(message({ type: "formula", formula: "x", train: 0 }), /^task\.train: /);
    assert.match(message({ type: "formula", formula: "x", seed: -1 }), /^task\.seed: /);
    assert.match(
      message({ type: "formula", formula: "x", box: [1] }),
      /^task\.box: expected \[low, high\]/,
    );
    assert.match(
      message({ type: "formula", formula: "x", trian: 3 }),
      /^task\.trian: unknown field \(fields: type, name, formula/,
    );
    assert.match(
      message({ type: "csv", path: "d.csv", split: { val: -0.1 } }),
      /^task\.split\.val: /,
    );
    assert.match(
      message({ type: "csv", path: "d.csv", split: { val: 0.5, test: 0.5 } }),
      /^task\.split: val \+ test must be below 1/,
    );
    assert.match(
      message({ type: "csv", path: "d.csv", normalize: "zscore" }),
      /^task\.normalize: /,
    );
  });

  it("loads a CSV relative to the spec's folder, and gunzips .gz files", () => {
    const task = loadTask({ type: "csv", path: "iris.csv", header: "sklearn" }, FIXTURES);
    assert.equal(task.train.rows + task.val.rows + task.test.rows, 150);
    const folder = mkdtempSync(join(tmpdir(), "nonlin-data-"));
    writeFileSync(join(folder, "iris.csv.gz"), gzipSync(fixture("iris.csv")));
    const zipped = loadTask({ type: "csv", path: "iris.csv.gz", header: "sklearn" }, folder);
    assert.equal(zipped.name, "iris");
    assert.deepEqual(Array.from(zipped.train.x), Array.from(task.train.x));
    assert.match(
      errorOf(() => loadTask({ type: "csv", path: "nope.csv" }, folder)).message,
      /^path: cannot read .*nope\.csv: no such file/,
    );
  });

  it("loads a formula task from a spec", () => {
    const task = loadTask({
      type: "formula",
      formula: "x1 * x2",
      train: 5,
      val: 0,
      test: 3,
      seed: 9,
    });
    assert.deepEqual([task.inputs, task.train.rows, task.val.rows, task.test.rows], [2, 5, 0, 3]);
    assert.equal(task.val.x.length, 0);
  });

  it("loads a catalog task by name with its own sizes, and names an unknown one", () => {
    const task = loadTask({ type: "catalog", name: "toy/xy", train: 7, val: 2, test: 3, seed: 4 });
    assert.deepEqual([task.inputs, task.train.rows, task.val.rows, task.test.rows], [2, 7, 2, 3]);
    // y = x1·x2 on every row, independently of the suite's code
    for (let r = 0; r < 7; r++)
      assert.equal(
        task.train.y[r],
        (task.train.x[2 * r] as number) * (task.train.x[2 * r + 1] as number),
      );
    const iris = loadTask({ type: "catalog", name: "tabular/iris" });
    assert.equal(iris.train.rows + iris.val.rows + iris.test.rows, 150);
    assert.match(
      errorOf(() => loadTask({ type: "catalog", name: "toy/nope" })).message,
      /^task\.name: unknown task 'toy\/nope' \(did you mean 'toy\//,
    );
    assert.match(
      errorOf(() => parseTaskSpec({ type: "catalog", name: "toy/xy", rows: 3 })).message,
      /^task\.rows: unknown field \(fields: type, name, seed/,
    );
  });
});

describe("task catalog", () => {
  const metadataOf = (entry: (typeof TASK_CATALOG)[number]) => [
    entry.name,
    entry.family,
    entry.kind,
    entry.metric,
    entry.inputShape.join("x"),
    entry.outputs,
    entry.description,
  ];

  it("has the same tasks, in the same order and with the same metadata, as its loaders", () => {
    assert.deepEqual(CATALOG_ENTRIES.map(metadataOf), TASK_CATALOG.map(metadataOf));
    assert.equal(new Set(TASK_CATALOG.map((entry) => entry.name)).size, TASK_CATALOG.length);
    assert.deepEqual(
      [...new Set(TASK_CATALOG.map((entry) => entry.family))],
      ["function-fitting", "feynman", "synthetic-2d", "tabular", "image"],
    );
  });
});
