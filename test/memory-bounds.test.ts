/**
 * Bounded evaluation and the training-step memory check (src/train/memory.ts, forward.ts): a split
 * scored in evaluation batches gives the outputs and mean loss of the one-pass evaluation (to
 * 1e-6 relative), a split that fits in one batch is one pass (bit for bit), and a training step
 * wasm's 4 GiB cannot hold is refused before training, naming the layer and a batch that fits.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parseBenchConfig } from "../src/bench/config.js";
import { planBench } from "../src/bench/plan.js";
import { InputError } from "../src/base/errors.js";
import type { Task } from "../src/data/task.js";
import { startEngine } from "../src/engine/device.js";
import { keyFromSeed } from "../src/engine/random.js";
import type { LayerSpec } from "../src/nn/model.js";
import { disposeState, Model } from "../src/nn/model.js";
import {
  compiledForward,
  eagerForward,
  evaluationSlices,
  outputsInBatches,
  outputsInBatchesSync,
} from "../src/train/forward.js";
import { fitConfigSchema } from "../src/train/fit-spec.js";
import { splitLoss } from "../src/train/gradient-fit.js";
import { jaxEngine } from "../src/train/jax-engine.js";
import { runFit } from "../src/train/run-fit.js";
import type { Rows } from "../src/train/gradient-fit.js";
import {
  clearMemoryEstimates,
  EVALUATION_BYTES,
  TrainingMemoryError,
  evaluationRows,
  memoryEstimate,
  trainingStepFit,
  trainingStepRefusal,
} from "../src/train/memory.js";

before(() => startEngine("wasm"));

const CNN: LayerSpec[] = [
  { type: "conv2d", filters: 32, kernel: 3, padding: "same", activation: "relu" },
  { type: "maxpool2d" },
  { type: "conv2d", filters: 64, kernel: 3, padding: "same", activation: "relu" },
  { type: "maxpool2d" },
  { type: "flatten" },
  { type: "dense", units: 128, activation: "relu" },
  { type: "dense", units: 10 },
] as LayerSpec[];

const SMALL_CNN: LayerSpec[] = [
  { type: "conv2d", filters: 4, kernel: 3, padding: "same", activation: "relu" },
  { type: "maxpool2d" },
  { type: "flatten" },
  { type: "dense", units: 3 },
] as LayerSpec[];

const MLP: LayerSpec[] = [
  { type: "dense", units: 16, activation: "tanh" },
  { type: "dense", units: 2 },
] as LayerSpec[];

/** Deterministic rows: x in [-1, 1], one-hot (classes) or smooth (regression) targets. */
function rowsFor(rows: number, width: number, outputs: number, oneHot: boolean): Rows {
  const x = Float64Array.from({ length: rows * width }, (_, i) => Math.sin(i * 0.7) * 0.9);
  const y = new Float64Array(rows * outputs);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < outputs; o++)
      y[r * outputs + o] = oneHot ? (r % outputs === o ? 1 : 0) : Math.cos(r * 0.3 + o);
  return { x, y, rows };
}

function assertClose(actual: Float64Array, expected: Float64Array, rel: number): void {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  expected.forEach((e, i) => {
    worst = Math.max(worst, Math.abs((actual[i] as number) - e) / Math.max(1e-6, Math.abs(e)));
  });
  assert.ok(worst <= rel, `worst relative difference ${worst} > ${rel}`);
}

describe("evaluation in batches", () => {
  it("splits a split into batches of at most batchRows rows, one slice when it fits", () => {
    assert.deepEqual(evaluationSlices(10, 10), [[0, 10]]);
    assert.deepEqual(evaluationSlices(10, 100), [[0, 10]]);
    assert.deepEqual(evaluationSlices(10, 4), [
      [0, 4],
      [4, 4],
      [8, 2],
    ]);
    assert.deepEqual(evaluationSlices(0, 4), [[0, 0]]);
  });

  for (const [name, layers, shape, dtype] of [
    ["CNN, float32, jitted", SMALL_CNN, [8, 8, 1], "float32"],
    ["MLP, float64, op by op", MLP, [5], "float64"],
  ] as const) {
    it(`${name}: outputs and mean losses in batches equal the one-pass evaluation`, async () => {
      const model = new Model(layers, shape, dtype);
      const state = model.init(keyFromSeed(3));
      const outputs = model.outputShape[0] as number;
      const width = (shape as readonly number[]).reduce((a, b) => a * b, 1);
      const rows = rowsFor(50, width, outputs, true);
      for (const loss of ["mse", "cross_entropy"] as const) {
        const forward =
          dtype === "float32" ? compiledForward(model, loss) : eagerForward(model, loss);
        const whole = outputsInBatchesSync(forward, model, state, rows.x, rows.rows, Infinity);
        for (const batchRows of [7, 16, 49]) {
          const batched = outputsInBatchesSync(forward, model, state, rows.x, rows.rows, batchRows);
          assertClose(batched, whole, 1e-6);
          const viaAsync = await outputsInBatches(
            forward,
            model,
            state,
            rows.x,
            rows.rows,
            undefined,
            batchRows,
          );
          assert.deepEqual(viaAsync, batched);
          const one = await splitLoss(model, state, rows, loss, forward, Infinity);
          const many = await splitLoss(model, state, rows, loss, forward, batchRows);
          assert.ok(Number.isFinite(one) && one > 0);
          assert.ok(Math.abs(many - one) <= 1e-6 * Math.abs(one), `${loss}: ${many} vs ${one}`);
        }
        // a split that fits in one batch is the one pass, bit for bit
        assert.deepEqual(outputsInBatchesSync(forward, model, state, rows.x, rows.rows, 50), whole);
        assert.equal(
          await splitLoss(model, state, rows, loss, forward, 50),
          await splitLoss(model, state, rows, loss, forward, Infinity),
        );
        forward.dispose();
      }
      disposeState(state);
    });
  }

  it("sizes the evaluation batch from the forward pass's bytes per row", () => {
    const cnn = new Model(CNN, [28, 28, 1], "float32");
    const estimate = memoryEstimate(cnn);
    // the conv layers (patches) hold the largest shares; at least every layer's output counts
    const largest = estimate.layers.reduce((a, b) => (b.bytesPerRow > a.bytesPerRow ? b : a));
    assert.equal(largest.kind, "conv2d");
    const outputs = (28 * 28 * 32 + 14 * 14 * 32 + 14 * 14 * 64 + 7 * 7 * 64) * 4;
    // measured: the jitted forward pass grew wasm memory by about 0.7 MB a row
    assert.ok(
      estimate.forwardBytesPerRow > outputs && estimate.forwardBytesPerRow < 1.2e6,
      `${estimate.forwardBytesPerRow}`,
    );
    const rows = evaluationRows(cnn);
    assert.equal(rows, Math.floor(EVALUATION_BYTES / estimate.forwardBytesPerRow));
    assert.ok(rows > 100 && rows < 1000, `${rows}`);
    // a small MLP scores tens of thousands of rows in one pass (the quick checks' splits)
    assert.ok(evaluationRows(new Model(MLP, [5], "float32")) > 100_000);
    // batch statistics: one pass, whatever the split
    const evonorm = new Model(
      [
        { type: "dense", units: 4 },
        { type: "evonorm_b0" },
        { type: "dense", units: 2 },
      ] as LayerSpec[],
      [3],
      "float32",
    );
    assert.equal(evaluationRows(evonorm), Infinity);
  });
});

describe("the memory estimate", () => {
  for (const [name, layers, shape] of [
    ["CNN", SMALL_CNN, [8, 8, 1]],
    [
      "KAN",
      [
        { type: "kan", units: 6 },
        { type: "kan", units: 2 },
      ],
      [5],
    ],
    [
      "Chebyshev KAN",
      [
        { type: "kan_chebyshev", units: 4 },
        { type: "dense", units: 2 },
      ],
      [3],
    ],
  ] as const) {
    it(`${name}: shapes traced from init give the estimate a drawn state gives`, () => {
      const drawn = new Model(layers as unknown as LayerSpec[], shape, "float32");
      const state = drawn.init(keyFromSeed(1));
      clearMemoryEstimates();
      const fromState = memoryEstimate(drawn, state);
      disposeState(state);
      clearMemoryEstimates();
      const traced = memoryEstimate(new Model(layers as unknown as LayerSpec[], shape, "float32"));
      assert.deepEqual(traced, fromState);
      assert.ok(traced.layers.every((l) => (l.kind === "flatten") === (l.bytesPerRow === 0)));
    });
  }
});

describe("training steps that cannot fit wasm's 4 GiB", () => {
  it("refuses the CNN at a huge batch, naming the layer and a batch size that fits", () => {
    const cnn = new Model(CNN, [28, 28, 1], "float32");
    const message = trainingStepRefusal(cnn, 100_000, "training.batch_size");
    assert.ok(message, "refused");
    assert.match(message, /^training\.batch_size: a training step at batch 100000 needs about/);
    assert.match(message, /the largest share is layers\[[02]\] \(conv2d, \d+ KiB a row/);
    const fit = trainingStepFit(cnn, 100_000);
    assert.match(message, new RegExp(`a batch size of at most ${fit.maxBatch} would fit$`));
    // measured: a step at batch 512 grew wasm memory by 1.46 GiB
    assert.ok(fit.maxBatch >= 256 && fit.maxBatch < 4096, `${fit.maxBatch}`);
    assert.equal(trainingStepFit(cnn, fit.maxBatch).fits, true);
    assert.equal(trainingStepFit(cnn, fit.maxBatch + 1).fits, false);
  });

  it("passes the CNN at batch 128 and an MLP at a full batch of 60,000", () => {
    assert.equal(trainingStepRefusal(new Model(CNN, [28, 28, 1], "float32"), 128, "b"), undefined);
    const mlp = new Model(
      [
        { type: "dense", units: 256, activation: "relu" },
        { type: "dense", units: 256, activation: "relu" },
        { type: "dense", units: 10 },
      ] as LayerSpec[],
      [784],
      "float32",
    );
    assert.equal(trainingStepRefusal(mlp, 60_000, "b"), undefined);
  });
});

/** An image task of `rows` training rows (values only matter for the shapes here). */
function imageTask(rows: number): Task {
  const split = (n: number) => ({
    x: Float64Array.from({ length: n * 784 }, (_, i) => (i % 13) / 13),
    y: Float64Array.from({ length: n }, (_, i) => i % 10),
    rows: n,
  });
  return {
    name: "test/images",
    inputs: 784,
    inputShape: [28, 28, 1],
    outputs: 1,
    kind: "classification",
    classes: 10,
    train: split(rows),
    val: split(0),
    test: split(10),
    featureNames: [],
    targetNames: ["class"],
    source: "test",
  };
}

describe("refused before training", () => {
  it("fit: a full-batch CNN phase over 3,000 rows exits 2 naming the phase, layer and batch", async () => {
    const config = fitConfigSchema.parse({
      task: { type: "catalog", name: "image/fashion-mnist" },
      model: { dtype: "float32", seed: 1, layers: CNN },
      phases: [
        { kind: "gradient", epochs: 1, batch_size: 32, optimizer: { name: "adam", lr: 1e-3 } },
        { kind: "gradient", epochs: 1, batch_size: 0, optimizer: { name: "adam", lr: 1e-3 } },
      ],
    });
    let epochs = 0;
    await assert.rejects(
      runFit(jaxEngine, config, imageTask(3000), { onProgress: () => epochs++ }),
      (error: Error) => {
        assert.ok(error instanceof TrainingMemoryError && error instanceof InputError);
        assert.equal((error as InputError).exitCode, 2);
        assert.match(error.message, /^phases\[1\]\.batch_size: a training step at batch 3000/);
        assert.match(error.message, /layers\[[02]\] \(conv2d/);
        assert.match(error.message, /a batch size of at most \d+ would fit$/);
        return true;
      },
    );
    assert.equal(epochs, 0, "nothing trained, not even the phase that fits");
  });

  it("bench: the plan refuses the CNN at batch 4,096 before any trial, and not at 128", () => {
    const config = (batch: number) =>
      parseBenchConfig({
        tasks: [{ name: "image/fashion-mnist", train: 55000 }],
        candidates: [{ name: "cnn", model: CNN }],
        fairness: { mode: "none" },
        training: { optimizer: { name: "adam", lr: 1e-3 }, epochs: 1, batch_size: batch },
      });
    assert.throws(
      () => planBench(config(4096)),
      (error: Error) => {
        assert.equal(error.name, "BenchConfigError");
        assert.match(
          error.message,
          /^training\.batch_size \(candidate 'cnn' on image\/fashion-mnist\): a training step at batch 4096 needs about [\d.]+ GiB/,
        );
        assert.match(error.message, /a batch size of at most \d+ would fit$/);
        return true;
      },
    );
    assert.equal(planBench(config(128)).cells[0]![0]!.layers.length, CNN.length);
    // the torch engine is not bound by wasm's memory
    assert.doesNotThrow(() => planBench(parseBenchConfig({ ...config(4096), engine: "torch" })));
  });
});
