/**
 * Training throughput of a small CNN on the default engine (jax-js wasm): conv32-pool-conv64-pool-
 * dense128-10 (3×3 "same" convolutions with ReLU, 2×2 max pools, a ReLU dense layer) on
 * Fashion-MNIST rows [28, 28, 1], float32, Adam, batch 128, cross-entropy — samples per second of
 * shuffled training epochs through the trial-engine seam (`jaxEngine.train`, as bench and fit
 * train). Each measurement is one fresh process: an unmeasured epoch first (jit traces and
 * compiles the step), then `--epochs` measured epochs over `--rows` training rows.
 *
 * Issue 15's target: ≥ 1.5x the 215 samples/s measured before it (DESIGN.md, measured facts).
 *
 *   node --import tsx bench/cnn-throughput.ts [--rows 2560] [--epochs 1] [--threads 1]
 *   node --import tsx bench/cnn-throughput.ts --reference DIR [--repeat 3] [--threads 1,2]
 *
 * `--reference DIR`: another checkout, built (`npx tsc -p tsconfig.json` there: its dist/ is
 * imported), e.g. the previous commit in a git worktree. This tree and the reference run
 * alternately, `--repeat` times each, every run in a fresh process; the medians and their ratio
 * this / reference are printed. `--threads` takes a list: each count is one configuration of this
 * tree (1 = jax-js's wasm on one thread; N ≥ 2 = its worker pool of N threads, issue 15's
 * `--threads`, installed the way the CLI does before jax-js loads); the reference runs as it
 * runs (one thread, if it has no pool). Wall-clock samples/s is the figure; "CPU" is samples per
 * CPU-second of the process (all its threads), which a busy machine disturbs less; on a machine
 * shared with other work the best run of each configuration is printed too (the run that waited
 * least for a core).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join, resolve } from "node:path";

const TODAY = 215;
const TARGET = 1.5;
const LAYERS = [
  { type: "conv2d", filters: 32, kernel: 3, padding: "same", activation: "relu" },
  { type: "maxpool2d", pool_size: 2 },
  { type: "conv2d", filters: 64, kernel: 3, padding: "same", activation: "relu" },
  { type: "maxpool2d", pool_size: 2 },
  { type: "flatten" },
  { type: "dense", units: 128, activation: "relu" },
  { type: "dense", units: 10 },
];

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at > 0 && at + 1 < process.argv.length ? (process.argv[at + 1] as string) : fallback;
}

const ROWS = Number(option("--rows", "2560"));
const EPOCHS = Number(option("--epochs", "1"));
const BATCH = 128;

interface Measurement {
  samplesPerSecond: number;
  samplesPerCpuSecond: number;
  /** Mean training loss of each epoch, the unmeasured one first. */
  losses: number[];
  threads: number;
}

/** One measurement in this process, with the modules of the checkout at `root`. */
async function measure(root: string, compiled: boolean, threads: number): Promise<Measurement> {
  const load = async <T>(path: string): Promise<T> =>
    (await import(
      compiled ? join(root, "dist", "src", `${path}.js`) : join(root, "src", `${path}.ts`)
    )) as T;
  if (threads > 1) {
    // the CLI's preload: the Worker shim must be there before jax-js is first imported
    process.env.NONLIN_THREADS = String(threads);
    await load("exec/threads-preload");
  }
  const { startEngine } = await load<{ startEngine: (device: string) => Promise<unknown> }>(
    "engine/index",
  );
  await startEngine("wasm");
  if (threads > 1) {
    const { setThreadSetting } = await load<{ setThreadSetting: (n: number) => void }>(
      "engine/threads",
    );
    setThreadSetting(threads);
  }
  const { loadTask } = await load<{
    loadTask: (spec: unknown) => { inputShape: number[]; train: unknown };
  }>("data/node/load-task");
  const { rowsOf } = await load<{ rowsOf: (task: unknown, split: unknown) => { rows: number } }>(
    "train/run-fit",
  );
  const { gradientPhaseSchema } = await load<{
    gradientPhaseSchema: { parse: (value: unknown) => unknown };
  }>("train/fit-spec");
  const { jaxEngine } = await load<{
    jaxEngine: {
      train: (
        request: unknown,
        onEpoch: (outcome: { trainLoss: number }) => void,
      ) => Promise<{ release(): void }>;
    };
  }>("train/jax-engine");
  const task = loadTask({
    type: "catalog",
    name: "image/fashion-mnist",
    train: ROWS,
    val: 100,
    test: 100,
  });
  const train = rowsOf(task, task.train);
  const phase = gradientPhaseSchema.parse({
    kind: "gradient",
    optimizer: { name: "adam" },
    epochs: 1 + EPOCHS,
    batch_size: BATCH,
  });
  const wall: number[] = [];
  const cpu: number[] = [];
  const losses: number[] = [];
  const cpuNow = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1e6;
  };
  const trained = await jaxEngine.train(
    {
      layers: LAYERS,
      inputShape: task.inputShape,
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
  const samples = train.rows * EPOCHS;
  return {
    samplesPerSecond: samples / ((wall.at(-1) as number) - (wall[0] as number)),
    samplesPerCpuSecond: samples / ((cpu.at(-1) as number) - (cpu[0] as number)),
    losses,
    threads,
  };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1] as number;
const describe = (m: Measurement) =>
  `${m.samplesPerSecond.toFixed(1)} samples/s (${m.samplesPerCpuSecond.toFixed(1)} per CPU-s), ` +
  `losses ${m.losses.map((l) => l.toFixed(6)).join(" ")}`;

const workerAt = process.argv.indexOf("--worker");
const referenceAt = process.argv.indexOf("--reference");
const threadList = option("--threads", "1")
  .split(",")
  .map((t) => Number(t));
if (threadList.some((t) => !Number.isInteger(t) || t < 1))
  throw new Error(`--threads: expected positive integers, got ${option("--threads", "1")}`);

if (workerAt > 0) {
  // a child: --worker DIR src|dist THREADS; prints one JSON line
  const [root, kind, threads] = process.argv.slice(workerAt + 1, workerAt + 4);
  const m = await measure(root as string, kind === "dist", Number(threads));
  console.log(JSON.stringify(m));
  process.exit(0);
} else if (referenceAt < 0) {
  console.log(
    `CNN conv32-pool-conv64-pool-dense128-10, Fashion-MNIST ${ROWS} rows, batch ${BATCH}, float32, Adam; ` +
      `${availableParallelism()} cores, load average ${load()}`,
  );
  for (const threads of threadList) {
    // the pool is sized when jax-js loads: each thread count in its own process
    const child = runChild(resolve(import.meta.dirname, ".."), "src", threads);
    console.log(
      `threads ${threads}: ${describe(child)}; today ${TODAY} samples/s: ${(child.samplesPerSecond / TODAY).toFixed(2)}x`,
    );
  }
} else {
  const reference = resolve(process.argv[referenceAt + 1] as string);
  if (!existsSync(join(reference, "dist", "src", "train", "jax-engine.js")))
    throw new Error(`--reference ${reference}: no dist/ there; run npx tsc -p tsconfig.json in it`);
  const repeat = Number(option("--repeat", "3"));
  const here = resolve(import.meta.dirname, "..");
  const configs = [
    { label: "reference", root: reference, kind: "dist", threads: 1 },
    ...threadList.map((threads) => ({
      label: `this, threads ${threads}`,
      root: here,
      kind: "src",
      threads,
    })),
  ];
  console.log(
    `CNN conv32-pool-conv64-pool-dense128-10, Fashion-MNIST ${ROWS} rows (${EPOCHS} measured epoch(s) after one unmeasured), ` +
      `batch ${BATCH}, float32, Adam; ${availableParallelism()} cores; load average ${load()} at the start`,
  );
  const results = new Map<string, Measurement[]>(configs.map((c) => [c.label, []]));
  for (let r = 0; r < repeat; r++)
    for (const config of r % 2 === 0 ? configs : [...configs].reverse()) {
      const m = runChild(config.root, config.kind, config.threads);
      results.get(config.label)!.push(m);
      console.log(`  ${config.label}: ${describe(m)} (load ${load()})`);
    }
  const best = (runs: Measurement[]) => Math.max(...runs.map((m) => m.samplesPerSecond));
  const baseBest = best(results.get("reference")!);
  const base = median(results.get("reference")!.map((m) => m.samplesPerSecond));
  const baseCpu = median(results.get("reference")!.map((m) => m.samplesPerCpuSecond));
  console.log(`medians of ${repeat} (load average ${load()} at the end):`);
  for (const config of configs) {
    const runs = results.get(config.label)!;
    const wall = median(runs.map((m) => m.samplesPerSecond));
    const cpu = median(runs.map((m) => m.samplesPerCpuSecond));
    console.log(
      `  ${config.label.padEnd(18)} ${wall.toFixed(1).padStart(7)} samples/s = ${(wall / base).toFixed(2)}x the reference, ` +
        `${(wall / TODAY).toFixed(2)}x today's ${TODAY} (target ${TARGET}x); ` +
        `${cpu.toFixed(1)} per CPU-s = ${(cpu / baseCpu).toFixed(2)}x; ` +
        `best run ${best(runs).toFixed(1)} samples/s = ${(best(runs) / baseBest).toFixed(2)}x the reference's best`,
    );
  }
}

function runChild(root: string, kind: string, threads: number): Measurement {
  const child = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      join(import.meta.dirname, "cnn-throughput.ts"),
      "--rows",
      String(ROWS),
      "--epochs",
      String(EPOCHS),
      "--worker",
      root,
      kind,
      String(threads),
    ],
    { cwd: resolve(import.meta.dirname, ".."), encoding: "utf8", maxBuffer: 1 << 26 },
  );
  if (child.status !== 0) throw new Error(`${root} (${kind}, threads ${threads}): ${child.stderr}`);
  const line = child.stdout.trim().split("\n").at(-1) as string;
  return JSON.parse(line) as Measurement;
}
