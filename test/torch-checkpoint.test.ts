/**
 * Checkpoints inside a gradient phase on the torch engine (src/exec/torch-engine.ts with
 * python/nonlin_torch): `TrainingRequest.checkpoints` hands the progress out every N epochs and
 * on a stop (TrainingStopped, as on the jax engine), and `resume` goes on from a progress to the
 * uninterrupted training's curve, selected epoch and parameters — bit for bit on torch (float64,
 * CPU). A progress is in the jax engine's format (optimiser arrays by the jax optimiser's leaf
 * paths), so a jax progress resumes on torch and a torch progress on jax, to the parity bound of
 * test/torch-parity.test.ts (1e-6 on a float64 curve). Real torch (Debian's python3-torch).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startEngine } from "../src/engine/index.js";
import { TorchEngine } from "../src/exec/torch-engine.js";
import { gradientPhaseSchema } from "../src/train/fit-spec.js";
import { jaxEngine } from "../src/train/jax-engine.js";
import type {
  EpochOutcome,
  HostState,
  TrainingProgress,
  TrainingRequest,
  TrialEngine,
} from "../src/train/trial-engine.js";
import { TrainingStopped } from "../src/train/trial-engine.js";
import { fixedValues } from "./support/layer-check.js";

const torch = new TorchEngine();

before(async () => {
  await startEngine("wasm");
  await torch.start();
});
after(() => torch.close());

function split(rows: number, seed: number) {
  const x = fixedValues(rows * 3, seed, 2);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) y[r] = Math.sin(x[r * 3]!) + x[r * 3 + 1]! * x[r * 3 + 2]!;
  return { x, y, rows };
}

// Adam with a schedule (moments, β powers and the schedule's position must come back) and SGD
// with momentum and clipping; patience with a validation split, so the selected epoch and the
// count since it must come back too
const OPTIMIZERS = [
  { name: "adam", lr: 1e-1, schedule: { name: "cosine", decay_steps: 300 } },
  { name: "sgd", lr: 5e-2, momentum: 0.9, clip_norm: 1 },
];

function request(optimizer: object, epochs = 40, patience = 4): TrainingRequest {
  return {
    layers: [
      { type: "dense", units: 12, activation: "tanh" },
      { type: "dense", units: 1 },
    ],
    inputShape: [3],
    dtype: "float64",
    loss: "mse",
    phase: gradientPhaseSchema.parse({
      kind: "gradient",
      optimizer,
      epochs,
      batch_size: 16,
      patience,
    }),
    train: split(120, 1),
    val: split(40, 2),
    seed: 5,
  };
}

interface Trained {
  curve: EpochOutcome[];
  state: HostState;
  predictions: Float64Array;
}

async function trainWhole(engine: TrialEngine, req: TrainingRequest): Promise<Trained> {
  const curve: EpochOutcome[] = [];
  const model = await engine.train(req, (outcome) => curve.push(outcome));
  const state = await model.state();
  const predictions = await model.predict(req.val!.x, req.val!.rows);
  model.release();
  return { curve, state, predictions };
}

/** Trains with checkpoints every `every` epochs, asking to stop once `stopAfter` epochs are seen. */
async function trainStopped(
  engine: TrialEngine,
  req: TrainingRequest,
  every: number,
  stopAfter: number,
): Promise<{ saved: TrainingProgress[]; curve: EpochOutcome[]; stoppedAt: number }> {
  const saved: TrainingProgress[] = [];
  const curve: EpochOutcome[] = [];
  let stoppedAt = -1;
  await assert.rejects(
    engine.train(
      {
        ...req,
        checkpoints: {
          every,
          stopRequested: () => curve.length >= stopAfter,
          save: async (progress) => {
            saved.push(progress);
          },
        },
      },
      (outcome) => curve.push(outcome),
    ),
    (error: unknown) => {
      assert.ok(error instanceof TrainingStopped, String(error));
      stoppedAt = error.epochs;
      return true;
    },
  );
  return { saved, curve, stoppedAt };
}

const values = (state: HostState): number[][] =>
  state.flatMap((layer) =>
    [...Object.entries(layer.params), ...Object.entries(layer.buffers)]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, array]) => Array.from(array.values)),
  );

function relativeError(actual: Float64Array, expected: Float64Array): number {
  assert.equal(actual.length, expected.length, "lengths");
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!) / Math.max(scale, 1e-300);
    worst = Math.max(worst, Number.isNaN(error) ? Infinity : error);
  }
  return worst;
}

describe("torch engine: checkpoints inside a gradient phase", { timeout: 600_000 }, () => {
  for (const optimizer of OPTIMIZERS)
    it(`stopped and resumed equals uninterrupted, bit for bit (${optimizer.name}, float64)`, async (t) => {
      const req = request(optimizer);
      const whole = await trainWhole(torch, req);
      // patience ends it early, after the stop below: the selected epoch and the count since it
      // must come back with the resume
      assert.ok(whole.curve.length > 12 && whole.curve.length < 40, `${whole.curve.length} epochs`);

      const { saved, curve, stoppedAt } = await trainStopped(torch, req, 3, 6);
      // the stop reaches the child between epochs: after the epoch it was in, or a later one
      // where Node read the epochs late (a loaded machine); before the end either way
      assert.ok(stoppedAt >= 6 && stoppedAt < whole.curve.length, `stopped after ${stoppedAt}`);
      t.diagnostic(`stop asked after epoch 6, stopped after ${stoppedAt} of ${whole.curve.length}`);
      assert.equal(curve.length, stoppedAt);
      const last = saved.at(-1)!;
      assert.equal(last.epochs, stoppedAt, "the stop's progress is the last saved");
      // every 3 epochs before it, then the stop's (once, where it falls on a multiple of 3)
      const multiples = Array.from({ length: Math.ceil(stoppedAt / 3) - 1 }, (_, i) => 3 * (i + 1));
      assert.deepEqual(
        saved.map((p) => p.epochs),
        [...multiples, stoppedAt],
      );
      assert.equal(last.steps, stoppedAt * 8, "120 rows in batches of 16: 8 steps an epoch");
      assert.ok(last.best, "a validation split: the selected epoch travels");
      assert.deepEqual(
        curve.map((c) => c.trainLoss),
        whole.curve.slice(0, stoppedAt).map((c) => c.trainLoss),
      );

      const rest: EpochOutcome[] = [];
      const model = await torch.train({ ...req, resume: last }, (outcome) => rest.push(outcome));
      // the same epochs, losses, selected epoch and parameters as if it never stopped
      assert.deepEqual(rest, whole.curve.slice(stoppedAt));
      assert.deepEqual(values(await model.state()), values(whole.state));
      assert.deepEqual(await model.predict(req.val!.x, req.val!.rows), whole.predictions);
      model.release();
    });

  it("hands out no progress after the phase's last epoch, and ignores a stop asked during it", async () => {
    const req = request(OPTIMIZERS[0]!, 4, 0);
    const saved: TrainingProgress[] = [];
    const curve: EpochOutcome[] = [];
    const model = await torch.train(
      {
        ...req,
        checkpoints: {
          every: 2,
          stopRequested: () => curve.length >= 4,
          save: async (progress) => {
            saved.push(progress);
          },
        },
      },
      (outcome) => curve.push(outcome),
    );
    assert.deepEqual(
      saved.map((p) => p.epochs),
      [2],
    );
    assert.equal(curve.length, 4);
    model.release();
  });

  it("fails with a save's error, stopping the training, and the child serves the next request", async () => {
    const req = request(OPTIMIZERS[0]!, 400, 0);
    const curve: EpochOutcome[] = [];
    await assert.rejects(
      torch.train(
        {
          ...req,
          checkpoints: {
            every: 2,
            save: async () => {
              throw new Error("disk full");
            },
          },
        },
        (outcome) => curve.push(outcome),
      ),
      /disk full/,
    );
    // the stop went out after the failed save at epoch 2: the child ended long before epoch 400
    assert.ok(curve.length >= 2 && curve.length < 400, `${curve.length} epochs`);
    const model = await torch.train(request(OPTIMIZERS[0]!, 2, 0));
    model.release();
  });

  it("keys the optimiser's arrays by the jax optimiser's leaf paths", async () => {
    const req = request(OPTIMIZERS[0]!, 6, 0);
    const [jaxRun, torchRun] = [
      await trainStopped(jaxEngine, req, 0, 2),
      await trainStopped(torch, req, 0, 2),
    ];
    const keys = (p: TrainingProgress) =>
      Object.entries(p.optimizer)
        .map(([path, a]) => `${path}:[${a.shape.join(",")}]`)
        .sort();
    assert.deepEqual(keys(torchRun.saved.at(-1)!), keys(jaxRun.saved.at(-1)!));
    assert.ok(keys(jaxRun.saved[0]!).includes("0/mu/0/w:[3,12]"));
    assert.ok(keys(jaxRun.saved[0]!).includes("0/b1Power:[]"));
  });

  for (const [from, to] of [
    ["jax", "torch"],
    ["torch", "jax"],
  ] as const)
    for (const optimizer of OPTIMIZERS)
      it(`a ${from} progress resumes on ${to} to ${from}'s curve within 1e-6 (${optimizer.name})`, async (t) => {
        const engines = { jax: jaxEngine, torch } as const;
        const req = request(optimizer, 16, 0);
        const whole = await trainWhole(engines[from], req);
        const { saved, stoppedAt } = await trainStopped(engines[from], req, 0, 6);
        const rest: EpochOutcome[] = [];
        const model = await engines[to].train(
          { ...req, resume: saved.at(-1)!, valOutputsEachEpoch: false },
          (outcome) => rest.push(outcome),
        );
        const expected = whole.curve.slice(stoppedAt);
        assert.equal(rest.length, expected.length);
        let worst = 0;
        for (const [i, point] of expected.entries()) {
          const other = rest[i]!;
          assert.equal(other.epoch, point.epoch);
          for (const [what, a, b] of [
            ["trainLoss", other.trainLoss, point.trainLoss],
            ["valLoss", other.valLoss!, point.valLoss!],
          ] as const) {
            const error = Math.abs(a - b) / Math.abs(b);
            worst = Math.max(worst, error);
            assert.ok(error <= 1e-6, `epoch ${point.epoch} ${what}: ${a} vs ${b}`);
          }
        }
        const predictions = await model.predict(req.val!.x, req.val!.rows);
        const predictionError = relativeError(predictions, whole.predictions);
        assert.ok(predictionError <= 1e-6, "selected predictions");
        t.diagnostic(
          `resumed after epoch ${stoppedAt}: losses within ${worst.toExponential(1)}, predictions ${predictionError.toExponential(1)}`,
        );
        model.release();
      });
});
