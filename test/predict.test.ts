/**
 * `nonlin predict` and `nonlin evaluate` as a user runs them: models trained with `fit --out`,
 * predictions on CSV files compared with nonlin's own forward pass on the task's split (the
 * task's scaling applied by the loader, not by predict), metrics compared with fit's test metrics
 * on the same rows, and bad input refused with exit 2 and nothing written.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { csvText } from "../src/store/csv.js";
import { loadTask } from "../src/data/node/load-task.js";
import { shuffledSplit } from "../src/data/split.js";
import { startEngine, takeValues, arrayFrom } from "../src/engine/index.js";
import { Model } from "../src/nn/model.js";
import type { CheckpointSpec } from "../src/train/checkpoint.js";
import { decodeWeights } from "../src/train/checkpoint.js";
import { openStore } from "../src/store/index.js";
import { readFitConfig } from "../src/cli/fit.js";

const dir = mkdtempSync(join(tmpdir(), "nonlin-predict-"));
const STORE = join(dir, "runs.db");
const cli = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args, "--store", STORE], {
    encoding: "utf8",
  });
const json = (args: string[]): Record<string, unknown> => {
  const run = cli([...args, "--json"]);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, unknown>;
};

/** The model's outputs on a split of its task computed without predict: loadTask's scaled rows. */
async function forwardOnSplit(
  out: string,
  specPath: string,
  split: "test" | "train",
): Promise<{ outputs: number[][]; spec: CheckpointSpec }> {
  const spec = JSON.parse(readFileSync(join(out, "checkpoint.json"), "utf8")) as CheckpointSpec;
  const state = decodeWeights(
    new Uint8Array(readFileSync(join(out, "weights.safetensors"))),
    spec.layers.length,
    spec.dtype,
  );
  const { config } = readFitConfig(specPath);
  const task = loadTask(config.task, dir)[split];
  const model = new Model(spec.layers, spec.inputShape, spec.dtype);
  const y = takeValues(
    model.apply(state, arrayFrom(task.x, [task.rows, ...spec.inputShape], spec.dtype)),
  );
  const width = y.length / task.rows;
  return {
    spec,
    outputs: Array.from({ length: task.rows }, (_, r) => [
      ...y.subarray(r * width, (r + 1) * width),
    ]),
  };
}

function assertClose(actual: number[][], expected: number[][], tolerance: number): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((row, r) =>
    row.forEach((v, k) =>
      assert.ok(
        Math.abs(v - expected[r]![k]!) <= tolerance * Math.max(1, Math.abs(expected[r]![k]!)),
        `row ${r} output ${k}: ${v} vs ${expected[r]![k]}`,
      ),
    ),
  );
}

// a regression table with a text column (one-hot) and scaled targets
const COLOURS = ["blue", "green", "red"];
const regressionRows = Array.from({ length: 120 }, (_, i) => {
  const a = Math.sin(i * 1.7) * 3 + 5;
  const b = Math.cos(i * 0.9) * 2;
  const colour = COLOURS[i % 3]!;
  return [a, b, colour, 2 * a - b + 10 * (i % 3) + 0.1 * Math.sin(i * 7.3)] as const;
});
const REGRESSION_HEADER = ["a", "b", "colour", "y"];

describe("predict and evaluate", () => {
  const iris = join(dir, "iris.yaml");
  const irisOut = join(dir, "iris-run");
  const reg = join(dir, "reg.yaml");
  const regOut = join(dir, "reg-run");
  const regCsv = join(dir, "reg.csv");
  let irisFit: { run: string; phases: { test: { loss: number; accuracy: number } }[] };
  let regFit: { run: string; phases: { test: { loss: number; rmse: number } }[] };

  before(async () => {
    await startEngine("wasm");
    writeFileSync(
      iris,
      `task: { type: csv, path: ${join(process.cwd(), "test/fixtures/data/iris.csv")}, header: sklearn }
model:
  dtype: float32
  seed: 1
  layers:
    - { type: dense, units: 8, activation: "x * sigmoid(beta * x) where beta = 1" }
    - { type: dense, units: 3 }
phases: [{ kind: gradient, epochs: 20, batch_size: 16 }]
`,
    );
    writeFileSync(regCsv, csvText(REGRESSION_HEADER, regressionRows));
    writeFileSync(
      reg,
      `task: { type: csv, path: reg.csv, target: y, normalize_target: standard }
model:
  dtype: float32
  seed: 2
  layers: [{ type: dense, units: 16, activation: tanh }, { type: dense, units: 1 }]
phases: [{ kind: gradient, epochs: 30, batch_size: 16 }]
`,
    );
    irisFit = json(["fit", iris, "--out", irisOut]) as typeof irisFit;
    regFit = json(["fit", reg, "--out", regOut]) as typeof regFit;
  });

  it("predicts the task's test rows as nonlin's forward pass on loadTask's scaled rows does", async () => {
    // the raw test rows of the file, picked by the task's own seeded split
    const lines = readFileSync("test/fixtures/data/iris.csv", "utf8").trim().split("\n").slice(1);
    const { test } = shuffledSplit(lines.length, { val: 0.15, test: 0.15, seed: 0 });
    const file = join(dir, "iris-test.csv");
    writeFileSync(file, ["x1,x2,x3,x4,target", ...test.map((i) => lines[i])].join("\n"));
    const predicted = json(["predict", irisOut, file]);
    const reference = await forwardOnSplit(irisOut, iris, "test");
    assert.equal(predicted.rows, test.length);
    // the same float32 model on the same float32 inputs
    assertClose(predicted.outputs as number[][], reference.outputs, 1e-6);
    const probabilities = predicted.probabilities as number[][];
    const classNames = predicted.classNames as string[];
    assert.deepEqual(classNames, ["setosa", "versicolor", "virginica"]);
    probabilities.forEach((row, r) => {
      assert.ok(Math.abs(row.reduce((s, p) => s + p, 0) - 1) < 1e-12);
      const logits = reference.outputs[r]!;
      const best = logits.indexOf(Math.max(...logits));
      assert.equal((predicted.classes as string[])[r], classNames[best]);
      // softmax: p_k / p_0 = exp(logit_k − logit_0)
      assert.ok(Math.abs(row[1]! / row[0]! - Math.exp(logits[1]! - logits[0]!)) < 1e-4);
    });
  });

  it("evaluates the test rows to fit's own test metrics, by folder and by run id", () => {
    const text = readFileSync("test/fixtures/data/iris.csv", "utf8").trim().split("\n");
    const lines = text.slice(1);
    const { test } = shuffledSplit(lines.length, { val: 0.15, test: 0.15, seed: 0 });
    // the file's own sklearn header form, as the task read it
    const file = join(dir, "iris-test-sklearn.csv");
    writeFileSync(
      file,
      [`${test.length},4,setosa,versicolor,virginica`, ...test.map((i) => lines[i])].join("\n"),
    );
    const expected = irisFit.phases[0]!.test;
    for (const subject of [irisOut, irisFit.run, irisFit.run.slice(0, -2)]) {
      const result = json(["evaluate", subject, file]) as {
        rows: number;
        metrics: { loss: number; accuracy: number };
      };
      assert.equal(result.rows, test.length);
      assert.equal(result.metrics.accuracy, expected.accuracy);
      assert.ok(Math.abs(result.metrics.loss - expected.loss) < 1e-9, `${result.metrics.loss}`);
    }
  });

  it("regression: one-hot text columns, targets back in their units; evaluate matches fit and the raw RMSE", async () => {
    const { test } = shuffledSplit(regressionRows.length, { val: 0.15, test: 0.15, seed: 0 });
    const file = join(dir, "reg-test.csv");
    // columns in another order, and an extra one: found by name
    writeFileSync(
      file,
      csvText(
        ["colour", "note", "y", "b", "a"],
        test.map((i) => {
          const [a, b, colour, y] = regressionRows[i]!;
          return [colour, "x", y, b, a];
        }),
      ),
    );
    const predicted = json(["predict", regOut, file]) as {
      values: number[][];
      outputs: number[][];
    };
    const reference = await forwardOnSplit(regOut, reg, "test");
    assertClose(predicted.outputs, reference.outputs, 1e-6);
    const scaling = reference.spec.targetScaling!;
    assert.equal(scaling.kind, "standard");
    predicted.values.forEach((row, r) =>
      assert.ok(
        Math.abs(row[0]! - (reference.outputs[r]![0]! * scaling.scale[0]! + scaling.shift[0]!)) <
          1e-9,
      ),
    );
    const evaluated = json(["evaluate", regOut, file]) as {
      metrics: { loss: number; rmse: number };
      rmseInTargetUnits: number[];
    };
    const expected = regFit.phases[0]!.test;
    assert.ok(Math.abs(evaluated.metrics.rmse - expected.rmse) < 1e-9 * Math.max(1, expected.rmse));
    const raw = Math.sqrt(
      predicted.values.reduce((s, row, r) => s + (row[0]! - regressionRows[test[r]!]![3]) ** 2, 0) /
        test.length,
    );
    assert.ok(Math.abs(evaluated.rmseInTargetUnits[0]! - raw) < 1e-9 * raw);
    // scaled RMSE × the target's scale = the RMSE in its units
    assert.ok(Math.abs(evaluated.metrics.rmse * scaling.scale[0]! - raw) < 1e-6 * raw);
  });

  it("--out writes the predictions as CSV: the class, then each class's probability", () => {
    const out = join(dir, "predictions.csv");
    const run = cli(["predict", irisOut, "test/fixtures/data/iris.csv", "--out", out]);
    assert.equal(run.status, 0, run.stderr);
    const lines = readFileSync(out, "utf8").trim().split("\r\n");
    assert.equal(
      lines[0],
      "predicted_target,probability_setosa,probability_versicolor,probability_virginica",
    );
    assert.equal(lines.length, 151);
    const first = lines[1]!.split(",");
    assert.ok(["setosa", "versicolor", "virginica"].includes(first[0]!));
    assert.ok(Math.abs(first.slice(1).reduce((s, p) => s + Number(p), 0) - 1) < 1e-12);
  });

  it("missing: impute_mean: a new row's missing cells take the train split's means, as the task's own rows did", async () => {
    // every tenth row loses its 'a', another its colour ('?', the UCI convention)
    const rows = regressionRows.map((row, i) =>
      i % 10 === 3
        ? ["", row[1], row[2], row[3]]
        : i % 10 === 7
          ? [row[0], row[1], "?", row[3]]
          : [...row],
    );
    const csv = join(dir, "gaps.csv");
    writeFileSync(csv, csvText(REGRESSION_HEADER, rows));
    const spec = join(dir, "gaps.yaml");
    writeFileSync(
      spec,
      `task: { type: csv, path: gaps.csv, target: y, missing: impute_mean }
model:
  dtype: float64
  seed: 3
  layers: [{ type: dense, units: 8, activation: tanh }, { type: dense, units: 1 }]
phases: [{ kind: gradient, epochs: 5, batch_size: 16 }]
`,
    );
    const out = join(dir, "gaps-run");
    json(["fit", spec, "--out", out]);
    const checkpoint = JSON.parse(
      readFileSync(join(out, "checkpoint.json"), "utf8"),
    ) as CheckpointSpec;
    // the means of the task's training rows, worked out here from the file and the seeded split
    const { train } = shuffledSplit(rows.length, { val: 0.15, test: 0.15, seed: 0 });
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const known = train.map((i) => rows[i]!).filter((row) => row[2] !== "?");
    const expected = [
      mean(
        train
          .map((i) => rows[i]![0])
          .filter((a) => a !== "")
          .map(Number),
      ),
      mean(train.map((i) => Number(rows[i]![1]))),
      ...COLOURS.map((c) => known.filter((row) => row[2] === c).length / known.length),
    ];
    const means = checkpoint.task!.rows.imputeMeans!;
    assert.equal(means.length, expected.length);
    means.forEach((m, j) => assert.ok(Math.abs(m - expected[j]!) < 1e-12, `column ${j}: ${m}`));

    const file = join(dir, "gaps-new.csv");
    writeFileSync(file, "a,b,colour\n,1.5,red\n" + `${means[0]},1.5,red\n` + "4,-1,NA\n");
    const predicted = json(["predict", out, file]) as { values: number[][] };
    assert.equal(predicted.values[0]![0], predicted.values[1]![0], "missing a = its mean");
    // a missing category: each of its one-hot columns takes its share, through the model by hand
    const state = decodeWeights(
      new Uint8Array(readFileSync(join(out, "weights.safetensors"))),
      checkpoint.layers.length,
      "float64",
    );
    const raw = [4, -1, ...means.slice(2)];
    const { shift, scale } = checkpoint.inputScaling!;
    const scaled = Float64Array.from(raw, (v, j) => (v - shift[j]!) / scale[j]!);
    const model = new Model(checkpoint.layers, checkpoint.inputShape, "float64");
    const y = takeValues(model.apply(state, arrayFrom(scaled, [1, raw.length], "float64")))[0]!;
    const { shift: yShift, scale: yScale } = checkpoint.targetScaling ?? { shift: [0], scale: [1] };
    const value = y * yScale[0]! + yShift[0]!;
    assert.ok(
      Math.abs(predicted.values[2]![0]! - value) < 1e-9,
      `${predicted.values[2]![0]} vs ${value}`,
    );
  });

  describe("bad input: exit 2, a message naming the file, line or column, nothing written", () => {
    const refused = (args: string[], pattern: RegExp) => {
      const out = join(dir, `never-${Math.random().toString(36).slice(2)}.csv`);
      const run = cli([...args, "--out", out]);
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, pattern);
      assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
      assert.equal(existsSync(out), false);
    };
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };

    it("a missing feature column", () =>
      refused(
        ["predict", irisOut, file("no-x3.csv", "x1,x2,x4\n1,2,3\n")],
        /no-x3\.csv: no feature column 'x3' \(the file's columns: x1, x2, x4\)/,
      ));
    it("a row with another number of fields", () =>
      refused(
        ["predict", irisOut, file("ragged.csv", "x1,x2,x3,x4\n1,2,3,4\n1,2,3\n")],
        /ragged\.csv line 3: 3 fields, expected 4/,
      ));
    it("an empty cell, where the task was not read with missing: impute_mean", () =>
      refused(
        ["predict", regOut, file("gap.csv", "a,b,colour\n1,2,red\n,2,red\n")],
        /gap\.csv line 3, column 'a': empty value/,
      ));
    it("a cell that is not a number", () =>
      refused(
        ["predict", irisOut, file("text.csv", "x1,x2,x3,x4\n1,2,3,4\n1,two,3,4\n")],
        /text\.csv line 3, column 'x2': 'two' is not a number/,
      ));
    it("a category the model never saw", () =>
      refused(
        ["predict", regOut, file("colour.csv", "a,b,colour\n1,2,purple\n")],
        /colour\.csv line 2, column 'colour': 'purple' is not a category the model was trained on \(blue, green, red\)/,
      ));
    it("evaluate without the target column, or with an unknown class", () => {
      const rows = "x1,x2,x3,x4\n1,2,3,4\n";
      const run = cli(["evaluate", irisOut, file("unlabelled.csv", rows)]);
      assert.equal(run.status, 2);
      assert.match(run.stderr, /no target column 'target'/);
      const bad = cli(["evaluate", irisOut, file("class.csv", "x1,x2,x3,x4,target\n1,2,3,4,7\n")]);
      assert.equal(bad.status, 2);
      assert.match(
        bad.stderr,
        /class\.csv line 2, column 'target': '7' is not one of the model's classes \(0, 1, 2\)/,
      );
    });
    it("a missing data file", () =>
      refused(["predict", irisOut, join(dir, "nothing.csv")], /nothing\.csv: no such file/));
    it("an unknown run", () =>
      refused(["predict", "r-19990101", "test/fixtures/data/iris.csv"], /no run 'r-19990101'/));
    it("a bench run: its trials keep no weights", () => {
      const store = openStore(STORE);
      const id = store.createRun({
        command: "bench",
        config: {},
        configHash: "x",
        machine: { cpus: 1, platform: "linux", node: process.version, device: "wasm" },
      });
      store.close();
      refused(
        ["predict", id, "test/fixtures/data/iris.csv"],
        /is a bench run: its trials keep no weights/,
      );
    });
    it("a checkpoint written before checkpoints kept their task", () => {
      const old = join(dir, "old-checkpoint");
      cpSync(irisOut, old, { recursive: true });
      const spec = JSON.parse(readFileSync(join(old, "checkpoint.json"), "utf8")) as CheckpointSpec;
      delete spec.task;
      writeFileSync(join(old, "checkpoint.json"), JSON.stringify(spec));
      refused(
        ["predict", old, "test/fixtures/data/iris.csv"],
        /does not record its task's columns and scaling \(it was written by an older nonlin\)/,
      );
    });
    it("a fit run without --out", () => {
      const run = json(["fit", iris]) as { run: string };
      refused(["predict", run.run, "test/fixtures/data/iris.csv"], /kept no checkpoint/);
    });
  });
});
