/**
 * Child process of test/webgpu.test.ts: trains a small MLP and a small conv net through the jax
 * engine on the device named by argv[2] (wasm or webgpu) and prints the curves and predictions as
 * JSON, with the adapter's description.
 */
const device = process.argv[2] === "webgpu" ? "webgpu" : "wasm";
const { startEngine } = await import("../../src/engine/index.js");
const { jaxEngine } = await import("../../src/train/jax-engine.js");
const { parseLayerSpec } = await import("../../src/nn/registry.js");
const { gradientPhaseSchema } = await import("../../src/train/fit-spec.js");
await startEngine(device);
const adapter =
  device === "webgpu"
    ? await (
        globalThis as unknown as {
          navigator: { gpu: { requestAdapter(): Promise<{ info?: { description?: string } }> } };
        }
      ).navigator.gpu.requestAdapter()
    : undefined;

let seed = 11;
const uniform = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const rowsOf = (rows: number, width: number, classes: number) => {
  const x = Float64Array.from({ length: rows * width }, uniform);
  const y = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) y[r * classes + (r % classes)] = 1;
  return { x, y, rows };
};

async function run(layers: unknown[], inputShape: number[]) {
  const width = inputShape.reduce((a, b) => a * b, 1);
  const train = rowsOf(48, width, 3);
  const val = rowsOf(16, width, 3);
  const curve: number[] = [];
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
      train,
      val,
      seed: 5,
    },
    (o) => curve.push(o.trainLoss, o.valLoss ?? NaN),
  );
  const predictions = Array.from(await trained.predict(val.x, val.rows));
  trained.release();
  return { curve, predictions };
}

const mlp = await run(
  [
    { type: "dense", units: 16, activation: "tanh" },
    { type: "dense", units: 3 },
  ],
  [6],
);
const conv = await run(
  [
    { type: "conv2d", filters: 4, kernel: 3, activation: "relu" },
    { type: "maxpool2d" },
    { type: "flatten" },
    { type: "dense", units: 3 },
  ],
  [6, 6, 1],
);
process.stdout.write(JSON.stringify({ adapter: adapter?.info?.description ?? null, mlp, conv }));
