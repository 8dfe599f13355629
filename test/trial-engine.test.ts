/**
 * The trial-engine seam (src/train/trial-engine.ts): a trial asks its engine only to train, and
 * the trial protocol fixes what another engine needs to run the very same trial — the initial
 * parameters as host arrays (`initialState`) and every epoch's batch order (`batchOrder`).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parseBenchConfig } from "../src/bench/config.js";
import type { TrialResult } from "../src/bench/results.js";
import { runTrial } from "../src/bench/trial.js";
import { formulaTask } from "../src/data/formula.js";
import { spiralsShape, syntheticTask } from "../src/data/synthetic.js";
import type { Task } from "../src/data/task.js";
import { startEngine } from "../src/engine/device.js";
import { keyFromSeed } from "../src/engine/random.js";
import type { LayerSpec } from "../src/nn/model.js";
import { disposeState, Model } from "../src/nn/model.js";
import type { GradientPhase } from "../src/train/fit-spec.js";
import { fitConfigSchema } from "../src/train/fit-spec.js";
import { eagerForward } from "../src/train/forward.js";
import { fitGradient } from "../src/train/gradient-fit.js";
import { initialState, jaxEngine } from "../src/train/jax-engine.js";
import { metricsOf, rowsOf, runFit } from "../src/train/run-fit.js";
import { batchOrder } from "../src/train/shuffle.js";
import type { TrialEngine } from "../src/train/trial-engine.js";

before(() => startEngine("wasm"));

/** What a second engine is handed: the same request, with the initial state spelled out. */
const handedInitialState: TrialEngine = {
  name: "jax, handed its initial state",
  train: (request, onEpoch) =>
    jaxEngine.train(
      {
        ...request,
        initial: initialState(request.layers, request.inputShape, request.dtype, request.seed),
      },
      onEpoch,
    ),
};

/** Records the requests it is given, then trains on jax. */
function recording(requests: Parameters<TrialEngine["train"]>[0][]): TrialEngine {
  return {
    name: "recording",
    train: (request, onEpoch) => {
      requests.push(request);
      return jaxEngine.train(request, onEpoch);
    },
  };
}

const CONFIG = parseBenchConfig({
  name: "seam",
  tasks: ["toy/xy"],
  candidates: [{ activation: "x * sigmoid(b1 * x) where b1 = 1.5" }],
  seeds: 1,
  fairness: { mode: "none" },
  network: { depth: 1, width: 6 },
  training: { optimizer: { name: "adam", lr: 1e-2 }, epochs: 4, batch_size: 16, patience: 0 },
  dtype: "float64",
});

const TASKS: Task[] = [
  formulaTask({
    formula: "sin(pi*x1) * x2",
    box: [-1, 1],
    train: 64,
    val: 32,
    test: 32,
    seed: 3,
    noise: 0,
  }),
  syntheticTask(spiralsShape({ arms: 2, turns: 1 }), {
    train: 64,
    val: 32,
    test: 32,
    seed: 3,
    noise: 0.1,
  }),
];

function cellOf(task: Task): Parameters<typeof runTrial>[2] {
  const outputs = task.kind === "regression" ? task.outputs : (task.classes ?? 2);
  const layers: LayerSpec[] = [
    { type: "dense", units: 6, activation: CONFIG.candidates[0]!.activation as string },
    { type: "dense", units: outputs },
  ];
  const model = new Model(layers, [task.inputs], CONFIG.dtype);
  const flops = model.flops();
  return {
    task: 0,
    candidate: 0,
    width: 6,
    layers,
    params: model.paramCount(),
    flops: flops.forward,
    trainFlops: flops.forward + flops.backward,
  };
}

const SQUARE_MINUS = { formula: "x1^2 - x2", train: 60, val: 20, test: 20, seed: 2 };

const trialOn = (engine: TrialEngine, task: Task): Promise<TrialResult> =>
  runTrial(engine, CONFIG, cellOf(task), task, 0, 11, { task: task.name, candidate: "swish" });

const withoutTimings = ({ secondsPerEpoch, throughput, peakMemoryBytes, ...rest }: TrialResult) => {
  assert.ok(secondsPerEpoch > 0 && throughput > 0 && peakMemoryBytes >= 0);
  return rest;
};

describe("the trial-engine seam", () => {
  for (const task of TASKS)
    it(`runs the same ${task.kind} trial from the seed or from the initial state handed over`, async () => {
      const fromSeed = await trialOn(jaxEngine, task);
      const handed = await trialOn(handedInitialState, task);
      assert.deepStrictEqual(withoutTimings(handed), withoutTimings(fromSeed));
      assert.equal(fromSeed.curve.length, 4);
      assert.ok(fromSeed.curve.every((p) => Number.isFinite(p.valMetric)));
    });

  it("asks the engine for what the protocol fixes, and nothing about the test split", async () => {
    const requests: Parameters<TrialEngine["train"]>[0][] = [];
    const task = TASKS[1]!;
    await trialOn(recording(requests), task);
    assert.equal(requests.length, 1);
    const request = requests[0]!;
    assert.equal(request.seed, 11);
    assert.equal(request.loss, "cross_entropy");
    assert.equal(request.valOutputsEachEpoch, true);
    assert.deepEqual(request.inputShape, [2]);
    assert.equal(request.train.x, task.train.x);
    assert.equal(request.val!.x, task.val.x);
    // test rows never reach training
    assert.ok(!Object.values(request).some((v) => v === task.test.x));
  });

  it("defines each epoch's batch order from the seed and the epoch alone", () => {
    const order = batchOrder(50, 7, 3);
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(batchOrder(50, 7, 3), order);
    // the seed and the epoch are one stream: epoch e of seed s is epoch 0 of seed s + e
    assert.deepEqual(batchOrder(50, 10, 0), order);
    assert.notDeepEqual(batchOrder(50, 7, 4), order);
  });

  it("trains fit's gradient phase through the engine exactly as fitGradient does (float64)", async () => {
    const config = fitConfigSchema.parse({
      task: { type: "formula", ...SQUARE_MINUS },
      model: {
        dtype: "float64",
        seed: 4,
        layers: [
          { type: "kan", units: 3, grid_size: 3 },
          { type: "dense", units: 1 },
        ],
      },
      phases: [
        {
          kind: "gradient",
          epochs: 5,
          batch_size: 16,
          optimizer: { name: "adam", lr: 1e-2 },
        },
      ],
    });
    const task = formulaTask({ ...SQUARE_MINUS, box: [-1, 1], noise: 0 });
    const { model, state, results } = await runFit(jaxEngine, config, task);
    // the same phase by hand: fitGradient from the seed's initial state, op-by-op validation
    const direct = await fitGradient(
      model,
      model.init(keyFromSeed(config.model.seed)),
      rowsOf(task, task.train),
      rowsOf(task, task.val),
      config.phases[0] as GradientPhase,
      "mse",
      config.model.seed,
      undefined,
      { forward: eagerForward(model, "mse") },
    );
    assert.deepStrictEqual(results[0]!.test, await metricsOf(model, direct, task, task.test));
    assert.deepStrictEqual(results[0]!.val, await metricsOf(model, direct, task, task.val));
    disposeState(direct);
    disposeState(state);
  });
});
