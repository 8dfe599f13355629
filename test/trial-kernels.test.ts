/**
 * Trials share what they compile (src/train/trial-kernels.ts): a trial run with kernels another
 * seed compiled must be bit for bit the trial run with its own fresh compile — for every layer
 * type a bench can train, so no layer bakes per-initialisation state into a trace.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { BenchConfigInput } from "../src/bench/config.js";
import { parseBenchConfig } from "../src/bench/config.js";
import { planBench } from "../src/bench/plan.js";
import type { TrialResult } from "../src/bench/results.js";
import { shareTrialKernels, trialKernelCounts } from "../src/train/trial-kernels.js";
import { startEngine } from "../src/engine/device.js";
import { executeTrialJob, jobsOf } from "../src/exec/job.js";

const VECTOR: BenchConfigInput = {
  name: "kernels",
  tasks: ["toy/xy", "synthetic/spirals"],
  candidates: [
    { activation: "relu" },
    { name: "param-act", activation: "x * sigmoid(b1 * x) where b1 = 1.5" },
    ...[
      "kan",
      "kan_relu",
      "kan_chebyshev",
      "kan_fourier",
      "kan_af",
      "kan_selectable",
      "kan_daruan",
      "quadratic",
    ].map((type) => ({ name: type, layer: { type } })),
    // FastKAN's layer norm needs more than one input (toy/xy has two; a hidden layer, more)
    { name: "kan_fastkan", layer: { type: "kan_fastkan", layer_norm: false } },
    // KAT's default 8 groups need a width divisible by 8; toy/xy has 2 inputs
    { name: "kan_rational", layer: { type: "kan_rational", groups: 1 } },
  ],
  seeds: 2,
  seed: 5,
  fairness: { mode: "params", budget: 200 },
  training: { optimizer: { name: "adam", lr: 1e-2 }, epochs: 3, batch_size: 20 },
  rows: { train: 40, val: 20, test: 20 },
};

const IMAGE: BenchConfigInput = {
  name: "kernels-image",
  tasks: [{ name: "image/mnist", train: 40, val: 20, test: 20 }],
  candidates: [
    {
      name: "conv",
      model: [
        { type: "conv2d", filters: 2, kernel: 3 },
        { type: "evonorm_s0", groups: 1 },
        { type: "maxpool2d", pool_size: 2 },
        { type: "flatten" },
        { type: "dense", units: "outputs" },
      ],
    },
    {
      name: "conv-kan",
      model: [
        { type: "conv_kan", filters: 2, kernel: 3, inner: { type: "kan", grid_size: 3 } },
        { type: "evonorm_b0" },
        { type: "avgpool2d", pool_size: 2 },
        { type: "flatten" },
        { type: "dense", units: "outputs" },
      ],
    },
  ],
  seeds: 2,
  seed: 5,
  fairness: { mode: "none" },
  training: { optimizer: { name: "adam", lr: 1e-2 }, epochs: 2, batch_size: 20 },
};

/** Everything a trial reports except its timings and memory. */
const deterministic = (t: TrialResult) => ({
  ...t,
  secondsPerEpoch: 0,
  throughput: 0,
  peakMemoryBytes: 0,
});

async function runAll(input: BenchConfigInput, share: boolean): Promise<TrialResult[]> {
  shareTrialKernels(share);
  const jobs = jobsOf(planBench(parseBenchConfig(input)));
  // each cell's seed 1 first, so its seed 0 runs on kernels a different initialisation compiled
  const order = [...jobs].sort(
    (a, b) => a.task - b.task || a.candidate - b.candidate || b.seedIndex - a.seedIndex,
  );
  const results = new Map<string, TrialResult>();
  for (const job of order) results.set(job.id, await executeTrialJob(job));
  return jobs.map((job) => results.get(job.id)!);
}

describe("trials sharing compiled kernels", () => {
  before(() => startEngine("wasm"));
  after(() => shareTrialKernels(true));

  for (const [name, input] of [
    ["vector tasks, every vector layer type", VECTOR],
    ["an image task, conv and conv-KAN nets with EvoNorm", IMAGE],
  ] as const) {
    it(`gives bit-identical trials to fresh compiles: ${name}`, async () => {
      const fresh = await runAll(input, false);
      const before = trialKernelCounts();
      const shared = await runAll(input, true);
      const after = trialKernelCounts();
      // half the trials (seed 0 of each cell) ran on kernels seed 1 compiled
      assert.equal(after.hits - before.hits, shared.length / 2);
      assert.equal(after.compiles - before.compiles, shared.length / 2);
      shared.forEach((trial, i) => {
        assert.deepEqual(
          deterministic(trial),
          deterministic(fresh[i]!),
          `${trial.task} · ${trial.candidate} · seed ${trial.seedIndex}`,
        );
      });
    });
  }
});
