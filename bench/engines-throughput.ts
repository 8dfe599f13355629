/**
 * Issue 14's speed benchmark: training samples/s of three models on nonlin's two engines and in a
 * hand-written plain PyTorch script (bench/plain_torch.py) — float32, Adam (lr 1e-3),
 * cross-entropy, batch 128, one unmeasured epoch then one measured shuffled epoch, the same rows:
 *
 * - MLP 784-256-256-10 on MNIST (dense layers, ReLU);
 * - CNN conv32-pool-conv64-pool-dense128-10 on Fashion-MNIST (3×3 "same" convolutions with ReLU,
 *   2×2 max pools, a ReLU dense layer; bench/cnn-throughput.ts's);
 * - B-spline KAN [784, 64, 10], grid 5, order 3, on MNIST (plain: an efficient-kan-style KANLinear).
 *
 * Each measurement is one fresh process; the three run alternately (the order reversed every other
 * repeat), `--repeat` times each; medians are printed with the ratios issue 14 sets targets for:
 * torch engine / plain script (≥ 0.9x: the protocol's overhead ≤ 10%) and torch engine / jax
 * engine on the CNN (≥ 5x). "CPU" is samples per CPU-second of the processes that train (the
 * torch engine: the Node process and its Python child), which a busy machine disturbs less.
 *
 *   node --import tsx bench/engines-throughput.ts [--models mlp,cnn,kan] [--repeat 3]
 *       [--rows-mlp 10240] [--rows-cnn 2560] [--rows-kan 5120] [--python /usr/bin/python3]
 *       [--device cpu]
 *
 * Threads: the plain script runs with the environment and the thread settings the torch engine's
 * child gets (python/nonlin_torch/__main__.py: OPENBLAS_NUM_THREADS, torch's own thread count).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadTask } from "../src/data/node/load-task.js";
import type { Task } from "../src/data/task.js";
import { startEngine } from "../src/engine/index.js";
import { TorchEngine } from "../src/exec/torch-engine.js";
import type { LayerSpec } from "../src/nn/definition.js";
import { gradientPhaseSchema } from "../src/train/fit-spec.js";
import { jaxEngine } from "../src/train/jax-engine.js";
import { rowsOf } from "../src/train/run-fit.js";
import type { TrialEngine } from "../src/train/trial-engine.js";

type ModelName = "mlp" | "cnn" | "kan";
type Runner = "torch" | "jax" | "plain";

const MODELS: Record<ModelName, { task: string; inputShape: number[]; layers: LayerSpec[] }> = {
  mlp: {
    task: "image/mnist",
    inputShape: [784],
    layers: [
      { type: "dense", units: 256, activation: "relu" },
      { type: "dense", units: 256, activation: "relu" },
      { type: "dense", units: 10 },
    ],
  },
  cnn: {
    task: "image/fashion-mnist",
    inputShape: [28, 28, 1],
    layers: [
      { type: "conv2d", filters: 32, kernel: 3, padding: "same", activation: "relu" },
      { type: "maxpool2d", pool_size: 2 },
      { type: "conv2d", filters: 64, kernel: 3, padding: "same", activation: "relu" },
      { type: "maxpool2d", pool_size: 2 },
      { type: "flatten" },
      { type: "dense", units: 128, activation: "relu" },
      { type: "dense", units: 10 },
    ],
  },
  kan: {
    task: "image/mnist",
    inputShape: [784],
    layers: [
      { type: "kan", units: 64, grid_size: 5 },
      { type: "kan", units: 10, grid_size: 5 },
    ],
  },
};
const BATCH = 128;
const RUNNERS: Runner[] = ["torch", "jax", "plain"];

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at > 0 && at + 1 < process.argv.length ? (process.argv[at + 1] as string) : fallback;
}
const PYTHON = option("--python", "/usr/bin/python3");
const DEVICE = option("--device", "cpu");
const rowsFor = (model: ModelName) =>
  Number(option(`--rows-${model}`, { mlp: "10240", cnn: "2560", kan: "5120" }[model]));

interface Measurement {
  samplesPerSecond: number;
  samplesPerCpuSecond: number;
  /** Mean training loss of each epoch, the unmeasured one first. */
  losses: number[];
}

const taskOf = (model: ModelName): Task =>
  loadTask({
    type: "catalog",
    name: MODELS[model].task,
    train: rowsFor(model),
    val: 100,
    test: 100,
  });

/** CPU seconds (user + system) of a process, from /proc (Linux). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** One measurement of an engine in this process. */
async function measureEngine(runner: "torch" | "jax", model: ModelName): Promise<Measurement> {
  await startEngine("wasm"); // initialState draws the initial parameters with jax-js on both
  const torch =
    runner === "torch" ? new TorchEngine({ python: PYTHON, device: DEVICE }) : undefined;
  const engine: TrialEngine = torch ?? jaxEngine;
  const task = taskOf(model);
  const train = rowsOf(task, task.train);
  const phase = gradientPhaseSchema.parse({
    kind: "gradient",
    optimizer: { name: "adam", lr: 1e-3 },
    epochs: 2,
    batch_size: BATCH,
  });
  const wall: number[] = [];
  const cpu: number[] = [];
  const losses: number[] = [];
  const cpuNow = () => {
    const c = process.cpuUsage();
    const child = torch?.childPid;
    return (c.user + c.system) / 1e6 + (child ? cpuSecondsOf(child) : 0);
  };
  if (torch) await torch.start();
  const trained = await engine.train(
    {
      layers: MODELS[model].layers,
      inputShape: MODELS[model].inputShape,
      dtype: "float32",
      loss: "cross_entropy",
      phase,
      train,
      seed: 0,
    },
    (outcome) => {
      wall.push(performance.now() / 1000);
      cpu.push(cpuNow());
      losses.push(outcome.trainLoss);
    },
  );
  trained.release();
  torch?.close();
  return {
    samplesPerSecond: train.rows / ((wall[1] as number) - (wall[0] as number)),
    samplesPerCpuSecond: train.rows / ((cpu[1] as number) - (cpu[0] as number)),
    losses,
  };
}

/** The plain script on the same rows, in a fresh Python process. */
function measurePlain(model: ModelName, dir: string): Measurement {
  const task = taskOf(model);
  const x = new Float32Array(task.train.x);
  const y = new Int32Array(task.train.rows);
  for (let r = 0; r < task.train.rows; r++) y[r] = task.train.y[r] as number;
  const xPath = join(dir, `${model}.x.f32`);
  const yPath = join(dir, `${model}.y.i32`);
  writeFileSync(xPath, new Uint8Array(x.buffer));
  writeFileSync(yPath, new Uint8Array(y.buffer));
  const run = spawnSync(
    PYTHON,
    [
      join(import.meta.dirname, "plain_torch.py"),
      "--model",
      model,
      "--x",
      xPath,
      "--y",
      yPath,
      "--rows",
      String(task.train.rows),
      "--batch",
      String(BATCH),
    ],
    { encoding: "utf8" },
  );
  if (run.status !== 0) throw new Error(`plain_torch.py --model ${model}: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1) as string) as Measurement;
}

function measureInChild(runner: "torch" | "jax", model: ModelName): Measurement {
  const child = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      join(import.meta.dirname, "engines-throughput.ts"),
      ...process.argv.slice(2),
      "--worker",
      runner,
      model,
    ],
    { cwd: resolve(import.meta.dirname, ".."), encoding: "utf8", maxBuffer: 1 << 26 },
  );
  if (child.status !== 0) throw new Error(`${runner} ${model}: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1) as string) as Measurement;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1] as number;

const workerAt = process.argv.indexOf("--worker");
if (workerAt > 0) {
  const [runner, model] = process.argv.slice(workerAt + 1, workerAt + 3) as [
    "torch" | "jax",
    ModelName,
  ];
  console.log(JSON.stringify(await measureEngine(runner, model)));
  process.exit(0);
}

const models = option("--models", "mlp,cnn,kan").split(",") as ModelName[];
for (const model of models)
  if (!(model in MODELS)) throw new Error(`--models: mlp, cnn or kan, got ${model}`);
const repeat = Number(option("--repeat", "3"));
const dir = mkdtempSync(join(tmpdir(), "nonlin-engines-"));
console.log(
  `engines: torch (nonlin's, ${DEVICE}, through TorchEngine.train), jax (nonlin's, wasm, 1 thread), ` +
    `plain (bench/plain_torch.py); float32, Adam, batch ${BATCH}, one measured epoch after one unmeasured; ` +
    `${availableParallelism()} cores, load average ${load()} at the start`,
);
try {
  for (const model of models) {
    console.log(`${model} (${MODELS[model].task}, ${rowsFor(model)} rows):`);
    const results = new Map<Runner, Measurement[]>(RUNNERS.map((r) => [r, []]));
    for (let r = 0; r < repeat; r++)
      for (const runner of r % 2 === 0 ? RUNNERS : [...RUNNERS].reverse()) {
        const m = runner === "plain" ? measurePlain(model, dir) : measureInChild(runner, model);
        results.get(runner)!.push(m);
        console.log(
          `  ${runner.padEnd(5)} ${m.samplesPerSecond.toFixed(0).padStart(7)} samples/s ` +
            `(${m.samplesPerCpuSecond.toFixed(0)} per CPU-s), losses ${m.losses.map((l) => l.toFixed(4)).join(" ")} (load ${load()})`,
        );
      }
    const wall = (runner: Runner) => median(results.get(runner)!.map((m) => m.samplesPerSecond));
    const cpu = (runner: Runner) => median(results.get(runner)!.map((m) => m.samplesPerCpuSecond));
    console.log(
      `  medians of ${repeat}: torch ${wall("torch").toFixed(0)}, jax ${wall("jax").toFixed(0)}, plain ${wall("plain").toFixed(0)} samples/s ` +
        `(per CPU-s: ${cpu("torch").toFixed(0)}, ${cpu("jax").toFixed(0)}, ${cpu("plain").toFixed(0)}); ` +
        `torch/plain ${(wall("torch") / wall("plain")).toFixed(2)}x (target ≥ 0.9x; per CPU-s ${(cpu("torch") / cpu("plain")).toFixed(2)}x), ` +
        `torch/jax ${(wall("torch") / wall("jax")).toFixed(2)}x${model === "cnn" ? " (target ≥ 5x)" : ""} (load ${load()})`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
