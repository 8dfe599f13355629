/**
 * Child process of test/threads.test.ts: trains a small conv net and a small MLP through the jax
 * engine with the thread setting of NONLIN_THREADS (installed by the preload, before jax-js is
 * imported, as the CLI does) and prints the curves, validation outputs and predictions as JSON,
 * with the number of pool threads the shim started and whether the conv net used them.
 */
import { settingFromEnv } from "../../src/exec/threads-preload.js";
import { WebWorkerShim } from "../../src/exec/web-worker-shim.js";

const { poolThreads, setThreadSetting, startEngine, threadsInUse } =
  await import("../../src/engine/index.js");
const { jaxEngine } = await import("../../src/train/jax-engine.js");
const { parseLayerSpec } = await import("../../src/nn/registry.js");
const { gradientPhaseSchema } = await import("../../src/train/fit-spec.js");

await startEngine("wasm");
setThreadSetting(settingFromEnv(process.env));

let seed = 7;
const uniform = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const rowsOf = (rows: number, width: number, classes: number) => {
  const x = Float64Array.from({ length: rows * width }, uniform);
  const y = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) y[r * classes + (r % classes)] = 1;
  return { x, y, rows };
};

async function run(layers: unknown[], inputShape: number[], train: number) {
  const width = inputShape.reduce((a, b) => a * b, 1);
  const trainRows = rowsOf(train, width, 3);
  const val = rowsOf(24, width, 3);
  const curve: unknown[] = [];
  const trained = await jaxEngine.train(
    {
      layers: layers.map((l, i) => parseLayerSpec(l, `layers[${i}]`)),
      inputShape,
      dtype: "float32",
      loss: "cross_entropy",
      phase: gradientPhaseSchema.parse({
        kind: "gradient",
        optimizer: { name: "adam", lr: 1e-2 },
        epochs: 3,
        batch_size: 16,
      }),
      train: trainRows,
      val,
      seed: 5,
      valOutputsEachEpoch: true,
    },
    (o) => curve.push({ ...o, valOutputs: Array.from(o.valOutputs ?? []) }),
  );
  const usedThreads = threadsInUse();
  const predictions = Array.from(await trained.predict(val.x, val.rows));
  trained.release();
  return { curve, predictions, usedThreads };
}

const conv = await run(
  [
    { type: "conv2d", filters: 4, kernel: 3, activation: "relu" },
    { type: "maxpool2d" },
    { type: "flatten" },
    { type: "dense", units: 3 },
  ],
  [8, 8, 1],
  64,
);
const mlp = await run(
  [
    { type: "dense", units: 32, activation: "tanh" },
    { type: "dense", units: 3 },
  ],
  [12],
  64,
);
process.stdout.write(
  JSON.stringify({ pool: poolThreads(), started: WebWorkerShim.liveThreads(), conv, mlp }),
);
