import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { csvTask } from "../src/data/csv.js";
import type { CsvTaskOptions } from "../src/data/csv.js";
import { loadTask } from "../src/data/node/load-task.js";
import { TABULAR_TASKS, smallTabularDir } from "../src/data/node/tabular.js";
import { parseTaskSpec } from "../src/data/task-spec.js";
import type { Task, TaskSplit } from "../src/data/task.js";
import { DataError } from "../src/data/task.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const FIXTURES = join(ROOT, "test", "fixtures", "data");
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

const column = (split: TaskSplit, columns: number, j: number): number[] =>
  Array.from({ length: split.rows }, (_, r) => split.x[r * columns + j] as number);
const rowOf = (split: TaskSplit, columns: number, r: number): number[] =>
  Array.from(split.x.subarray(r * columns, (r + 1) * columns));
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const populationStd = (values: number[]): number => {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
};
const splits = (task: Task): TaskSplit[] => [task.train, task.val, task.test];

const entry = (name: string) => {
  const found = TABULAR_TASKS.find((e) => e.name === name);
  assert.ok(found, `no catalog entry ${name}`);
  return found;
};

/** Label counts read straight from a raw data file (the last field of every data line). */
function rawLabelCounts(text: string, skipHeader: boolean): Map<string, number> {
  const counts = new Map<string, number>();
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  for (const line of skipHeader ? lines.slice(1) : lines) {
    const label = line.split(",").pop() as string;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return counts;
}

describe("tabular catalog entries", () => {
  const DATA = join(ROOT, "data", "small-tabular");
  const EXPECTED = [
    { name: "tabular/iris", rows: 150, features: 4, counts: [50, 50, 50] },
    { name: "tabular/wine", rows: 178, features: 13, counts: [59, 71, 48] },
    { name: "tabular/breast-cancer", rows: 569, features: 30, counts: [212, 357] },
  ];

  it("lists iris, wine, breast cancer and digits as tabular classification tasks", () => {
    assert.deepEqual(
      TABULAR_TASKS.map((e) => [e.name, e.inputShape, e.outputs]),
      [
        ["tabular/iris", [4], 3],
        ["tabular/wine", [13], 3],
        ["tabular/breast-cancer", [30], 2],
        ["tabular/digits", [64], 10],
      ],
    );
    for (const e of TABULAR_TASKS) {
      assert.equal(e.family, "tabular");
      assert.equal(e.kind, "classification");
      assert.equal(e.metric, "accuracy");
    }
  });

  it("finds data/small-tabular from src/data and from dist/src/data, and fails clearly elsewhere", () => {
    assert.equal(smallTabularDir(), join(ROOT, "data", "small-tabular"));
    assert.equal(
      smallTabularDir(join(ROOT, "dist", "src", "data")),
      join(ROOT, "data", "small-tabular"),
    );
    const elsewhere = mkdtempSync(join(tmpdir(), "nonlin-nodata-"));
    assert.match(
      errorOf(() => smallTabularDir(elsewhere)).message,
      /data\/small-tabular not found in any folder above/,
    );
  });

  it("iris, wine, breast cancer: row, feature and class counts; 15 % val and test", () => {
    for (const { name, rows, features, counts } of EXPECTED) {
      const task = entry(name).make({ seed: 0 });
      assert.equal(task.name, name);
      assert.equal(task.inputs, features);
      assert.equal(task.featureNames.length, features);
      assert.equal(task.classes, counts.length);
      const total = task.train.rows + task.val.rows + task.test.rows;
      assert.equal(total, rows, name);
      assert.equal(task.val.rows, Math.round(0.15 * rows));
      assert.equal(task.test.rows, Math.round(0.15 * rows));
      const labels = splits(task).flatMap((s) => Array.from(s.y));
      assert.deepEqual(
        counts.map((_, k) => labels.filter((label) => label === k).length),
        counts,
        name,
      );
    }
    assert.deepEqual(entry("tabular/iris").make({ seed: 0 }).classNames, [
      "setosa",
      "versicolor",
      "virginica",
    ]);
    assert.deepEqual(entry("tabular/breast-cancer").make({ seed: 0 }).classNames, [
      "malignant",
      "benign",
    ]);
  });

  it("digits: 1797 rows of 64 pixels, each label as often as in the raw file", () => {
    const raw = gunzipSync(readFileSync(join(DATA, "digits.csv.gz"))).toString("utf8");
    const counts = rawLabelCounts(raw, false);
    const task = entry("tabular/digits").make({ seed: 0 });
    assert.equal(task.inputs, 64);
    assert.equal(task.classes, 10);
    assert.deepEqual(task.classNames, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    assert.equal(task.train.rows + task.val.rows + task.test.rows, 1797);
    const labels = splits(task).flatMap((s) => Array.from(s.y));
    for (let digit = 0; digit < 10; digit++) {
      assert.equal(
        labels.filter((label) => label === digit).length,
        counts.get(String(digit)),
        `digit ${digit}`,
      );
    }
    // Every stored row, unscaled, is a row of the file with its label (a multiset match).
    const scaling = task.featureScaling;
    assert.ok(scaling, "scaling");
    const remaining = new Map<string, number>();
    for (const line of raw.split("\n").filter((l) => l.trim() !== "")) {
      remaining.set(line.trim(), (remaining.get(line.trim()) ?? 0) + 1);
    }
    for (const split of splits(task)) {
      for (let r = 0; r < split.rows; r++) {
        const pixels = rowOf(split, 64, r).map((v, j) =>
          Math.round(v * (scaling.scale[j] as number) + (scaling.shift[j] as number)),
        );
        const key = [...pixels, split.y[r]].join(",");
        const left = remaining.get(key);
        assert.ok(left, `row ${key} is not in digits.csv.gz`);
        remaining.set(key, left - 1);
      }
    }
  });

  it("checks the raw files' class counts the entries report against the files themselves", () => {
    for (const [file, counts] of [
      ["iris.csv", [50, 50, 50]],
      ["wine_data.csv", [59, 71, 48]],
      ["breast_cancer.csv", [212, 357]],
    ] as const) {
      const raw = rawLabelCounts(readFileSync(join(DATA, file), "utf8"), true);
      assert.deepEqual(
        counts.map((_, k) => raw.get(String(k))),
        [...counts],
        file,
      );
    }
  });

  it("standardises with the training split: train mean 0 and sd 1, val and test only roughly", () => {
    for (const e of TABULAR_TASKS) {
      const task = e.make({ seed: 3 });
      const n = task.inputs;
      let valOff = 0;
      for (let j = 0; j < n; j++) {
        const train = column(task.train, n, j);
        assert.ok(Math.abs(mean(train)) < 1e-9, `${e.name} x${j + 1} train mean ${mean(train)}`);
        const sd = populationStd(train);
        // A constant training column (digits' border pixels) is only shifted, so it is all 0.
        assert.ok(Math.abs(sd - 1) < 1e-9 || sd === 0, `${e.name} x${j + 1} train sd ${sd}`);
        valOff = Math.max(valOff, Math.abs(mean(column(task.val, n, j))));
        valOff = Math.max(valOff, Math.abs(mean(column(task.test, n, j))));
      }
      assert.ok(valOff > 1e-3, `${e.name}: val/test look standardised on their own`);
    }
  });

  it("splits by request.seed: the same seed gives the same split, another a different one", () => {
    const wine = entry("tabular/wine");
    const [a, b, c] = [wine.make({ seed: 7 }), wine.make({ seed: 7 }), wine.make({ seed: 8 })];
    assert.deepEqual(Array.from(a.train.x), Array.from(b.train.x));
    assert.deepEqual(Array.from(a.test.y), Array.from(b.test.y));
    assert.notDeepEqual(Array.from(a.test.x), Array.from(c.test.x));
  });

  it("caps training rows at request.train (a seeded subset), keeping val and test", () => {
    const iris = entry("tabular/iris");
    const full = iris.make({ seed: 2 });
    const capped = iris.make({ seed: 2, train: 40 });
    assert.deepEqual([capped.train.rows, capped.val.rows, capped.test.rows], [40, 23, 23]);
    const raw = (task: Task, split: TaskSplit) => {
      const s = task.featureScaling;
      assert.ok(s, "s");
      return Array.from({ length: split.rows }, (_, r) =>
        rowOf(split, 4, r)
          .map((v, j) => (v * (s.scale[j] as number) + (s.shift[j] as number)).toFixed(6))
          .join(","),
      );
    };
    assert.deepEqual(raw(capped, capped.test), raw(full, full.test));
    assert.deepEqual(raw(capped, capped.val), raw(full, full.val));
    const fullTrain = new Set(raw(full, full.train));
    assert.ok(
      raw(capped, capped.train).every((row) => fullTrain.has(row)),
      "raw(capped, capped.train).every((row) => fullTrain.has(row))",
    );
    // Scaling is fitted on the 40 rows actually used.
    for (let j = 0; j < 4; j++) {
      assert.ok(
        Math.abs(mean(column(capped.train, 4, j))) < 1e-12,
        "Math.abs(mean(column(capped.train, 4, j))) < 1e-12",
      );
    }
    // A cap above the training rows keeps them all.
    assert.equal(iris.make({ seed: 2, train: 1000 }).train.rows, full.train.rows);
    // Another seed picks another subset.
    assert.notDeepEqual(
      raw(capped, capped.train),
      raw(iris.make({ seed: 3, train: 40 }), iris.make({ seed: 3, train: 40 }).train),
    );
  });

  it("takes request.val and request.test as row counts, and rejects bad ones naming the field", () => {
    const iris = entry("tabular/iris");
    const task = iris.make({ seed: 0, val: 30, test: 20 });
    assert.deepEqual([task.train.rows, task.val.rows, task.test.rows], [100, 30, 20]);
    assert.match(errorOf(() => iris.make({ seed: 0, val: 150 })).message, /^val: /);
    assert.match(errorOf(() => iris.make({ seed: 0, test: -2 })).message, /^test: /);
    assert.match(errorOf(() => iris.make({ seed: 0, train: 0 })).message, /^train: /);
    assert.match(errorOf(() => iris.make({ seed: 0, val: 80, test: 80 })).message, /^split: /);
  });
});

const CSV: CsvTaskOptions = {
  header: "names",
  delimiter: ",",
  split: { val: 0, test: 0, seed: 0 },
  normalize: "none",
  normalize_target: "none",
};
const csv = (text: string, source: string, options: Partial<CsvTaskOptions> = {}): Task =>
  csvTask(text, source, { ...CSV, ...options });

/** Stored rows keyed by the value of one column (unique in the fixture). */
function rowsBy(task: Task, keyColumn: number): Map<number, { x: number[]; y: number }> {
  const map = new Map<number, { x: number[]; y: number }>();
  for (const split of splits(task)) {
    for (let r = 0; r < split.rows; r++) {
      const x = rowOf(split, task.inputs, r);
      map.set(x[keyColumn] as number, { x, y: split.y[r] as number });
    }
  }
  return map;
}

describe("CSV categorical columns", () => {
  const text = fixture("categorical.csv");

  it("one-hot encodes a text column (categories sorted) and a listed number-coded column", () => {
    const task = csv(text, "categorical.csv", { classification: true, categorical: ["size"] });
    assert.deepEqual(task.featureNames, [
      "colour=blue",
      "colour=green",
      "colour=red",
      "size=1",
      "size=2",
      "size=3",
      "weight",
    ]);
    assert.equal(task.inputs, 7);
    assert.deepEqual(task.classNames, ["no", "yes"]);
    // Hand-encoded rows of the fixture, keyed by weight (column 6).
    const expected = new Map([
      [1.5, { x: [0, 0, 1, 0, 0, 1, 1.5], y: 1 }],
      [2.0, { x: [1, 0, 0, 1, 0, 0, 2.0], y: 0 }],
      [0.5, { x: [0, 0, 1, 0, 1, 0, 0.5], y: 0 }],
      [1.0, { x: [0, 1, 0, 0, 0, 1, 1.0], y: 1 }],
      [3.0, { x: [1, 0, 0, 1, 0, 0, 3.0], y: 1 }],
    ]);
    assert.deepEqual(rowsBy(task, 6), expected);
  });

  it("keeps a number-coded column numeric unless listed", () => {
    const task = csv(text, "categorical.csv", { classification: true });
    assert.deepEqual(task.featureNames, [
      "colour=blue",
      "colour=green",
      "colour=red",
      "size",
      "weight",
    ]);
    assert.deepEqual(rowsBy(task, 4).get(0.5)?.x, [0, 0, 1, 2, 0.5]);
  });

  it("leaves one-hot columns 0/1 when standardising, and scales the numeric ones on train", () => {
    const task = csv(text, "categorical.csv", {
      classification: true,
      normalize: "standard",
      split: { val: 0.2, test: 0.2, seed: 1 },
    });
    const scaling = task.featureScaling;
    assert.ok(scaling, "scaling");
    assert.deepEqual(scaling.shift.slice(0, 3), [0, 0, 0]);
    assert.deepEqual(scaling.scale.slice(0, 3), [1, 1, 1]);
    for (const split of splits(task)) {
      for (let r = 0; r < split.rows; r++) {
        const dummies = rowOf(split, 5, r).slice(0, 3);
        assert.ok(
          dummies.every((v) => v === 0 || v === 1),
          "dummies.every((v) => v === 0 || v === 1)",
        );
        assert.equal(
          dummies.reduce<number>((a, b) => a + b, 0),
          1,
        );
      }
    }
    assert.ok(
      Math.abs(mean(column(task.train, 5, 4))) < 1e-12,
      "Math.abs(mean(column(task.train, 5, 4))) < 1e-12",
    );
    assert.ok(
      Math.abs(populationStd(column(task.train, 5, 4)) - 1) < 1e-12,
      "Math.abs(populationStd(column(task.train, 5, 4)) - 1) < 1e-12",
    );
  });

  it("rejects a categorical list naming a target or an unknown column, and a text column of ids", () => {
    assert.match(
      errorOf(() => csv(text, "c.csv", { classification: true, categorical: ["label"] })).message,
      /^categorical: 'label' is not a feature column/,
    );
    assert.match(
      errorOf(() => csv(text, "c.csv", { categorical: ["shape"] })).message,
      /^categorical: no column 'shape'/,
    );
    const ids =
      "name,v,y\n" + Array.from({ length: 60 }, (_, i) => `n${i},${i},${i % 2}`).join("\n");
    assert.match(
      errorOf(() => csv(ids, "ids.csv", { classification: true })).message,
      /^ids\.csv, column 'name': text with 60 distinct values/,
    );
    assert.equal(csv(ids, "ids.csv", { classification: true, categorical: ["name"] }).inputs, 61);
  });
});

describe("CSV missing values", () => {
  const text = fixture("missing.csv");

  it("by default, names the file, the first cell's line and column, how many, and the way out", () => {
    assert.equal(
      errorOf(() => csv(text, "missing.csv", { classification: true })).message,
      "missing.csv line 3, column 'b': missing value 'NA'; 4 missing values in 4 rows, by column: " +
        "'b' 2 (lines 3, 7), 'a' 1 (line 4), 'colour' 1 (line 5). Missing cells are empty, ?, NA, " +
        "N/A, NaN, nan; set missing: drop or missing: impute_mean to accept them",
    );
    assert.equal(
      errorOf(() => csv("a,y\n1,0\nN/A,1\n", "one.csv", { classification: true })).message,
      "one.csv line 3, column 'a': missing value 'N/A'",
    );
    // Past five lines of a column, the list ends with "…".
    const many =
      "a,y\n" + Array.from({ length: 8 }, (_, i) => `${i % 2 ? "?" : i},${i % 2}`).join("\n");
    assert.match(
      errorOf(() => csv(many, "many.csv", { classification: true })).message,
      /4 missing values in 4 rows, by column: 'a' 4 \(lines 3, 5, 7, 9\)/,
    );
    const seven =
      "a,y\n" + Array.from({ length: 9 }, (_, i) => `${i < 7 ? "" : i},${i % 2}`).join("\n");
    assert.match(
      errorOf(() => csv(seven, "s.csv", { classification: true })).message,
      /'a' 7 \(lines 2, 3, 4, 5, 6, …\)/,
    );
  });

  it("drop: leaves out every row with a missing cell, before the split", () => {
    const task = csv(text, "missing.csv", { classification: true, missing: "drop" });
    assert.equal(task.train.rows, 4);
    assert.deepEqual(task.featureNames, ["a", "b", "colour=blue", "colour=red"]);
    assert.deepEqual(
      rowsBy(task, 0),
      new Map([
        [1, { x: [1, 10, 0, 1], y: 0 }],
        [5, { x: [5, 50, 1, 0], y: 0 }],
        [7, { x: [7, 70, 1, 0], y: 0 }],
        [8, { x: [8, 80, 0, 1], y: 1 }],
      ]),
    );
    assert.match(task.source, /4 rows \(4 with missing values dropped\)/);
    const label = csv("a,y\n1,0\n2,?\n3,1\n4,0\n", "l.csv", {
      classification: true,
      missing: "drop",
    });
    assert.deepEqual(Array.from(label.train.x).sort(), [1, 3, 4]);
    assert.match(
      errorOf(() => csv("a,y\n,0\n?,1\n", "all.csv", { missing: "drop" })).message,
      /^all\.csv: every row has a missing value/,
    );
  });

  it("impute_mean: a missing number takes its column's train mean, a missing category the train frequencies", () => {
    const task = csv(text, "missing.csv", { classification: true, missing: "impute_mean" });
    assert.equal(task.train.rows, 8);
    const byB = new Map<number, number[]>();
    for (let r = 0; r < 8; r++) byB.set(r, rowOf(task.train, 4, r));
    const rows = [...byB.values()];
    const find = (a: number) => rows.find((row) => Math.abs((row[0] as number) - a) < 1e-12);
    const meanA = (1 + 2 + 4 + 5 + 6 + 7 + 8) / 7;
    const meanB = (10 + 30 + 40 + 50 + 70 + 80) / 6;
    assert.deepEqual(find(meanA), [meanA, 30, 0, 1]);
    assert.deepEqual(find(2), [2, meanB, 1, 0]);
    assert.deepEqual(find(4), [4, 40, 3 / 7, 4 / 7]);
    assert.deepEqual(find(6), [6, meanB, 0, 1]);
    assert.deepEqual(find(8), [8, 80, 0, 1]);
    assert.match(task.source, /4 missing values imputed with train means/);
  });

  it("impute_mean uses the train split's means only, and never imputes a target", () => {
    // 60 rows; b is missing in every 7th row; b = id² elsewhere, so val/test rows pull the mean.
    const lines = Array.from({ length: 60 }, (_, i) => `${i},${i % 7 === 3 ? "" : i * i},${i % 2}`);
    const text60 = `id,b,y\n${lines.join("\n")}\n`;
    const options: Partial<CsvTaskOptions> = {
      classification: true,
      missing: "impute_mean",
      split: { val: 0.25, test: 0.25, seed: 5 },
    };
    const task = csv(text60, "sixty.csv", options);
    const trainIds = column(task.train, 2, 0);
    const present = trainIds.filter((id) => id % 7 !== 3);
    const trainMean = mean(present.map((id) => id * id));
    const allMean = mean(
      Array.from({ length: 60 }, (_, i) => i)
        .filter((i) => i % 7 !== 3)
        .map((i) => i * i),
    );
    assert.ok(Math.abs(trainMean - allMean) > 1, "the fixture must tell the two means apart");
    let imputed = 0;
    for (const split of splits(task)) {
      for (let r = 0; r < split.rows; r++) {
        const [id, b] = rowOf(split, 2, r) as [number, number];
        if (id % 7 === 3) {
          assert.ok(Math.abs(b - trainMean) < 1e-9, `row ${id}: ${b} vs train mean ${trainMean}`);
          imputed++;
        } else {
          assert.equal(b, id * id);
        }
      }
    }
    assert.equal(imputed, 9);
    assert.ok(
      column(task.val, 2, 0).some((id) => id % 7 === 3),
      "a val row was imputed",
    );
    assert.match(
      errorOf(() => csv("a,y\n1,0\n2,NA\n3,1\n", "t.csv", { missing: "impute_mean" })).message,
      /^t\.csv line 3, column 'y': missing value 'NA' in a target \(1 in all\); targets are never imputed/,
    );
    assert.match(
      errorOf(() =>
        csv("a,b,y\n1,,0\n2,?,1\n3,,0\n4,NA,1\n", "e.csv", {
          classification: true,
          missing: "impute_mean",
        }),
      ).message,
      /^e\.csv, column 'b': missing: impute_mean needs a value in at least one training row$/,
    );
  });
});

describe("CSV standardisation uses the training split only", () => {
  it("changing val and test rows changes neither the statistics nor the training rows", () => {
    const rows = Array.from({ length: 40 }, (_, i) => [i, Math.sin(i) * 3 + 2, i % 2]);
    const toText = (table: number[][]) => `id,v,y\n${table.map((r) => r.join(",")).join("\n")}\n`;
    const options: Partial<CsvTaskOptions> = {
      classification: true,
      normalize: "standard",
      split: { val: 0.25, test: 0.25, seed: 11 },
    };
    const raw = csv(toText(rows), "d.csv", { ...options, normalize: "none" });
    const trainIds = new Set(column(raw.train, 2, 0));
    assert.equal(trainIds.size, 20);
    // The expected statistics, from the raw training rows (population sd).
    const trainV = rows.filter(([id]) => trainIds.has(id as number)).map(([, v]) => v as number);
    const task = csv(toText(rows), "d.csv", options);
    assert.ok(task.featureScaling, "task.featureScaling");
    assert.ok(
      Math.abs((task.featureScaling.shift[1] as number) - mean(trainV)) < 1e-12,
      "Math.abs((task.featureScaling.shift[1] as number) - mean(trainV)) < 1e-12",
    );
    assert.ok(
      Math.abs((task.featureScaling.scale[1] as number) - populationStd(trainV)) < 1e-12,
      "Math.abs((task.featureScaling.scale[1] as number) - populationStd(trainV)) < 1e-12",
    );
    // Replace v in every val/test row by a huge value: nothing about train may change.
    const poisoned = rows.map(([id, v, y]) => [id, trainIds.has(id as number) ? v : 1e6, y]);
    const other = csv(toText(poisoned as number[][]), "d.csv", options);
    assert.deepEqual(other.featureScaling, task.featureScaling);
    assert.deepEqual(Array.from(other.train.x), Array.from(task.train.x));
    assert.ok(
      column(other.test, 2, 1).every((v) => v > 1e4),
      "test rows keep their own values",
    );
    // And the train split is standardised exactly, val and test only roughly.
    assert.ok(
      Math.abs(mean(column(task.train, 2, 1))) < 1e-12,
      "Math.abs(mean(column(task.train, 2, 1))) < 1e-12",
    );
    assert.ok(
      Math.abs(populationStd(column(task.train, 2, 1)) - 1) < 1e-12,
      "Math.abs(populationStd(column(task.train, 2, 1)) - 1) < 1e-12",
    );
    assert.ok(
      Math.abs(mean(column(task.val, 2, 1))) > 1e-6,
      "Math.abs(mean(column(task.val, 2, 1))) > 1e-6",
    );
  });
});

describe("CSV task spec options", () => {
  it("accepts categorical, missing and max_train, and leaves them out when not given", () => {
    const spec = parseTaskSpec({
      type: "csv",
      path: "d.csv",
      categorical: ["size"],
      missing: "impute_mean",
      max_train: 100,
    });
    assert.ok(spec.type === "csv");
    assert.deepEqual(spec.categorical, ["size"]);
    assert.equal(spec.missing, "impute_mean");
    assert.equal(spec.max_train, 100);
    const plain = parseTaskSpec({ type: "csv", path: "d.csv" });
    assert.ok(!("missing" in plain) && !("categorical" in plain) && !("max_train" in plain));
  });

  it("names the field of a bad option", () => {
    const message = (extra: object) =>
      errorOf(() => parseTaskSpec({ type: "csv", path: "d.csv", ...extra })).message;
    assert.match(message({ missing: "zero" }), /^task\.missing: /);
    assert.match(message({ categorical: "size" }), /^task\.categorical: /);
    assert.match(message({ categorical: [] }), /^task\.categorical: /);
    assert.match(message({ max_train: 0 }), /^task\.max_train: /);
  });

  it("loads a file with missing values through a spec with missing: drop", () => {
    const folder = mkdtempSync(join(tmpdir(), "nonlin-missing-"));
    writeFileSync(join(folder, "m.csv"), fixture("missing.csv"));
    const task = loadTask(
      { type: "csv", path: "m.csv", classification: true, missing: "drop", max_train: 2 },
      folder,
    );
    assert.deepEqual([task.train.rows, task.val.rows, task.test.rows], [2, 1, 1]);
    assert.match(
      errorOf(() => loadTask({ type: "csv", path: "m.csv", classification: true }, folder)).message,
      /^m\.csv line 3, column 'b': missing value 'NA'; 4 missing values/,
    );
  });
});
