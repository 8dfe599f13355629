/**
 * Images in `nonlin fit`: the task's input shape reaches the model (a conv net trains on the
 * image catalog, through runFit and the command line, and --resume rebuilds it), and
 * `model.input_shape` gives flat CSV rows an image shape — refused, naming the field, when it does
 * not hold a row.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { loadTask } from "../src/data/node/load-task.js";
import { startEngine } from "../src/engine/index.js";
import { fitConfigSchema } from "../src/train/fit-spec.js";
import { jaxEngine } from "../src/train/jax-engine.js";
import { buildModel, runFit } from "../src/train/run-fit.js";

const storeDir = mkdtempSync(join(tmpdir(), "nonlin-fit-images-store-"));
const STORE = join(storeDir, "runs.db");
const CLI = ["--import", "tsx", "src/cli/main.ts"];
const cli = (args: string[]) =>
  spawnSync(process.execPath, [...CLI, ...args, "--store", STORE], { encoding: "utf8" });

const SMALL_CNN = [
  { type: "conv2d", filters: 4, kernel: 3, activation: "relu" },
  { type: "maxpool2d" },
  { type: "flatten" },
  { type: "dense", units: 10 },
];

/** 6×6 one-channel images of one bar, horizontal (class 0) or vertical (class 1), plus noise;
 * columns p0..p35 in row-major (HWC) order. */
function barsCsv(rows: number): string {
  let seed = 12345;
  const uniform = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const lines = [[...Array.from({ length: 36 }, (_, k) => `p${k}`), "label"].join(",")];
  for (let r = 0; r < rows; r++) {
    const label = r % 2;
    const at = Math.floor(uniform() * 6);
    const pixels = Array.from({ length: 36 }, (_, k) => {
      const [i, j] = [Math.floor(k / 6), k % 6];
      const bar = label === 0 ? i === at : j === at;
      return ((bar ? 1 : 0) + 0.3 * uniform()).toFixed(4);
    });
    lines.push([...pixels, String(label)].join(","));
  }
  return `${lines.join("\n")}\n`;
}

describe("images in fit", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("a conv net trains on image/mnist with the task's [28, 28, 1] rows (gradient, then L-BFGS)", async () => {
    const config = fitConfigSchema.parse({
      task: { type: "catalog", name: "image/mnist", train: 256, val: 64, test: 64 },
      model: { seed: 1, layers: SMALL_CNN },
      phases: [
        { kind: "gradient", optimizer: { name: "adam", lr: 0.01 }, epochs: 3, batch_size: 64 },
        { kind: "lbfgs", steps: 2 },
      ],
    });
    const task = loadTask(config.task);
    assert.deepEqual(buildModel(config, task).inputShape, [28, 28, 1]);
    const { model, results } = await runFit(jaxEngine, config, task);
    assert.deepEqual(model.inputShape, [28, 28, 1]);
    assert.equal(results.length, 2);
    // values a sample: the image, conv 26·26·4, pool 13·13·4, flatten, 10 logits
    assert.deepEqual(results[0]!.widths, [784, 2704, 676, 676, 10]);
    assert.equal(results[0]!.params, 3 * 3 * 4 + 4 + 676 * 10 + 10);
    const first = results[0]!;
    assert.ok(first.train.accuracy! >= 0.6, `train accuracy ${first.train.accuracy}`);
    assert.ok(first.val!.accuracy! >= 0.4, `val accuracy ${first.val!.accuracy}`);
    assert.ok(results[1]!.train.loss < first.train.loss, "L-BFGS lowers the training loss");
  });

  it("model.input_shape gives flat CSV rows an image shape for conv2d", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-fit-images-"));
    writeFileSync(join(dir, "bars.csv"), barsCsv(240));
    const config = fitConfigSchema.parse({
      task: {
        type: "csv",
        path: join(dir, "bars.csv"),
        target: "label",
        classification: true,
        normalize: "none",
      },
      model: {
        seed: 2,
        input_shape: [6, 6, 1],
        layers: [
          { type: "conv2d", filters: 4, kernel: 3, activation: "relu" },
          { type: "flatten" },
          { type: "dense", units: 2 },
        ],
      },
      phases: [
        { kind: "gradient", optimizer: { name: "adam", lr: 0.02 }, epochs: 30, batch_size: 32 },
      ],
    });
    const task = loadTask(config.task);
    assert.equal(task.inputs, 36);
    assert.equal(task.inputShape, undefined);
    const { model, results } = await runFit(jaxEngine, config, task);
    assert.deepEqual(model.inputShape, [6, 6, 1]);
    assert.deepEqual(results[0]!.widths, [36, 64, 64, 2]);
    assert.ok(results[0]!.val!.accuracy! >= 0.9, `val accuracy ${results[0]!.val!.accuracy}`);
  });

  it("refuses a model.input_shape that does not hold a row: exit 2 naming the field", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-fit-images-"));
    writeFileSync(join(dir, "bars.csv"), barsCsv(40));
    const path = join(dir, "bad.yaml");
    const spec = (shape: string): string =>
      `task: {type: csv, path: bars.csv, target: label, classification: true}\nmodel:\n  input_shape: ${shape}\n  layers: [{type: conv2d, filters: 2, kernel: 3}, {type: flatten}, {type: dense, units: 2}]\n`;
    writeFileSync(path, spec("[6, 6, 2]"));
    const wrong = cli(["fit", path]);
    assert.equal(wrong.status, 2, wrong.stderr);
    assert.match(
      wrong.stderr,
      /bad\.yaml: model\.input_shape: \[6, 6, 2\] holds 72 values but a row of task \S+ has 36/,
    );
    assert.doesNotMatch(wrong.stderr, /\n\s+at /, "no stack trace");
    writeFileSync(path, spec("[0, 36]"));
    const zero = cli(["fit", path]);
    assert.equal(zero.status, 2, zero.stderr);
    assert.match(zero.stderr, /bad\.yaml: model\.input_shape\[0\]: /);
  });

  it("nonlin fit trains a conv net on image/mnist, checkpoints its input shape and resumes", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-fit-images-"));
    const path = join(dir, "cnn.yaml");
    writeFileSync(
      path,
      `task: {type: catalog, name: image/mnist, train: 64, val: 16, test: 32}\nmodel:\n  layers: ${JSON.stringify(SMALL_CNN)}\nphases: [{kind: gradient, epochs: 1, batch_size: 32}]\n`,
    );
    const out = join(dir, "out");
    const first = JSON.parse(
      execFileSync(
        process.execPath,
        [...CLI, "fit", path, "--out", out, "--json", "--store", STORE],
        {
          encoding: "utf8",
        },
      ),
    ) as { phases: { widths: number[]; test: { accuracy: number } }[] };
    assert.equal(first.phases.length, 1);
    assert.deepEqual(first.phases[0]!.widths, [784, 2704, 676, 676, 10]);
    assert.ok(first.phases[0]!.test.accuracy >= 0 && first.phases[0]!.test.accuracy <= 1);
    const checkpoint = JSON.parse(readFileSync(join(out, "checkpoint.json"), "utf8"));
    assert.deepEqual(checkpoint.inputShape, [28, 28, 1]);
    const resumed = cli(["fit", path, "--resume", out, "--json"]);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming after phase 1 of 1/);
  });
});
