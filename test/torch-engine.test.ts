/**
 * The Node side of the torch engine (src/exec/torch-engine.ts, python.ts, torch-protocol.ts):
 * frames of protocol v2 both ways, Python's NaN and Infinity in headers, layer specs with their
 * activations resolved, Python discovery, --device for torch, and a child that speaks another
 * protocol or dies (fake Pythons: shell scripts in a temporary folder).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { EXIT_BAD_INPUT, EXIT_FAILURE } from "../src/base/errors.js";
import { startEngine } from "../src/engine/index.js";
import { findPython, PythonNotFoundError } from "../src/exec/python.js";
import {
  engineLayers,
  parseTorchDevice,
  TorchEngine,
  TorchInputError,
  TorchRunError,
} from "../src/exec/torch-engine.js";
import type { Message } from "../src/exec/torch-protocol.js";
import { encodeMessage, MessageReader } from "../src/exec/torch-protocol.js";
import { gradientPhaseSchema } from "../src/train/fit-spec.js";
import { parseBenchConfig } from "../src/bench/config.js";
import { planBench } from "../src/bench/plan.js";
import { engineName, withEngine } from "../src/cli/engine-choice.js";
import { affinityKey, jobsOf } from "../src/exec/job.js";
import { runTrial } from "../src/bench/trial.js";
import { formulaTask } from "../src/data/formula.js";
import { jaxEngine } from "../src/train/jax-engine.js";
import type { TrainedModel, TrialEngine } from "../src/train/trial-engine.js";

const TRIAL_ID_BEFORE_ENGINES = "498f051cebd3e0071e23cb8510991873";

const read = (bytes: Buffer, chunk: number): Message[] => {
  const messages: Message[] = [];
  const reader = new MessageReader((m) => messages.push(m));
  for (let i = 0; i < bytes.length; i += chunk) reader.push(bytes.subarray(i, i + chunk));
  return messages;
};

describe("protocol v2 frames", () => {
  it("round-trips headers and f64 arrays, whole or a byte at a time", () => {
    const x = new Float64Array([1.5, -2, 1e-300, Math.PI, 0, 7]);
    const bytes = Buffer.concat([
      encodeMessage({ type: "data", key: "k" }, [{ name: "x", shape: [2, 3], values: x }]),
      encodeMessage({ type: "hello", protocol: 1 }),
    ]);
    for (const chunk of [bytes.length, 1, 5]) {
      const [data, hello] = read(bytes, chunk);
      assert.deepEqual(data!.header, { type: "data", key: "k" });
      assert.deepEqual(data!.arrays[0]!.shape, [2, 3]);
      assert.deepEqual(Array.from(data!.arrays[0]!.values), Array.from(x));
      assert.deepEqual(hello!.header, { type: "hello", protocol: 1 });
      assert.deepEqual(hello!.arrays, []);
    }
  });

  it("reads f32 and i32 arrays and Python's NaN and Infinity, leaving them alone in strings", () => {
    const header = Buffer.from(
      '{"type": "epoch", "trainLoss": NaN, "valLoss": -Infinity, "note": "NaN \\" Infinity", ' +
        '"arrays": [{"name": "a", "dtype": "f32", "shape": [2]}, {"name": "b", "dtype": "i32", "shape": []}]}',
    );
    const body = Buffer.alloc(12);
    body.writeFloatLE(0.5, 0);
    body.writeFloatLE(-3, 4);
    body.writeInt32LE(-7, 8);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length, 0);
    const [message] = read(Buffer.concat([length, header, body]), 3);
    assert.ok(Number.isNaN(message!.header.trainLoss));
    assert.equal(message!.header.valLoss, -Infinity);
    assert.equal(message!.header.note, 'NaN " Infinity');
    assert.deepEqual(Array.from(message!.arrays[0]!.values), [0.5, -3]);
    assert.deepEqual(Array.from(message!.arrays[1]!.values), [-7]);
  });
});

describe("layer specs for the child", () => {
  it("fills defaults and replaces activation texts with resolved activations", () => {
    const [dense, activation] = engineLayers([
      { type: "dense", units: 3 },
      { type: "activation", fn: "x * sigmoid(beta * x) where beta = 1 learnable" },
    ]) as [Record<string, unknown>, Record<string, unknown>];
    assert.deepEqual(dense.activation, { expr: { kind: "input" }, params: {} });
    assert.equal(dense.bias, true);
    const fn = activation.fn as { expr: { kind: string }; params: Record<string, unknown> };
    assert.equal(fn.expr.kind, "call");
    assert.deepEqual(fn.params.beta, { init: 1, learnable: true, sharing: "scalar" });
  });
});

describe("engine: in configs", () => {
  it("leaves a jax config, its hash and its trial ids as they were; torch is part of them", () => {
    const config = parseBenchConfig({
      tasks: ["toy/xy"],
      candidates: [{ activation: "tanh" }],
      fairness: { mode: "none" },
    });
    assert.equal(JSON.stringify(config).includes("engine"), false);
    const jax = withEngine(parseBenchConfig({ ...config, engine: "jax" }), "jax");
    assert.equal(JSON.stringify(jax), JSON.stringify(config));
    const torch = withEngine(config, "torch");
    assert.equal(torch.engine, "torch");
    const ids = (c: typeof config) => jobsOf(planBench(c)).map((job) => [job.id, affinityKey(job)]);
    assert.deepEqual(ids(jax), ids(config));
    // the trial id of this job before engines existed (commit 3d944eb)
    assert.equal(ids(config)[0]![0], TRIAL_ID_BEFORE_ENGINES);
    assert.notEqual(ids(torch)[0]![0], ids(config)[0]![0]);
    assert.equal(engineName(undefined, "torch"), "torch");
    assert.equal(engineName("jax", "torch"), "jax");
  });
});

describe("devices and Python", () => {
  it("takes cpu, cuda and cuda:N for torch and refuses jax's devices (exit 2)", () => {
    for (const device of ["cpu", "cuda", "cuda:1"]) assert.equal(parseTorchDevice(device), device);
    for (const device of ["wasm", "gpu", "cuda:x"])
      assert.throws(
        () => parseTorchDevice(device),
        (error: unknown) =>
          error instanceof TorchInputError &&
          error.exitCode === EXIT_BAD_INPUT &&
          error.message.includes(`--device ${device}`),
      );
  });

  it("finds the first candidate that imports torch and numpy, and names the install command", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-python-"));
    const without = join(dir, "without-torch");
    writeFileSync(
      without,
      "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n",
    );
    chmodSync(without, 0o755);
    const env = { PATH: process.env.PATH };
    assert.equal(findPython(undefined, env, [without, "/usr/bin/python3"]), "/usr/bin/python3");
    assert.throws(
      () => findPython(undefined, env, [without, join(dir, "absent")]),
      (error: unknown) =>
        error instanceof PythonNotFoundError &&
        error.exitCode === EXIT_BAD_INPUT &&
        /No module named 'torch'/.test(error.message) &&
        /ENOENT/.test(error.message) &&
        error.message.includes("apt install python3-torch python3-numpy") &&
        error.message.includes("pip install torch numpy"),
    );
    assert.throws(
      () => findPython(without, env),
      (error: unknown) =>
        error instanceof PythonNotFoundError && error.message.startsWith(`--python ${without}`),
    );
    assert.throws(
      () => findPython(undefined, { ...env, NONLIN_PYTHON: without }),
      (error: unknown) =>
        error instanceof PythonNotFoundError &&
        error.message.startsWith(`NONLIN_PYTHON ${without}`),
    );
  });
});

/** A fake Python: `-c` (the import probe) succeeds; `-m nonlin_torch` runs `script` with python3. */
function fakePython(script: string): string {
  const dir = mkdtempSync(join(tmpdir(), "nonlin-fake-python-"));
  writeFileSync(join(dir, "child.py"), script);
  const path = join(dir, "python");
  writeFileSync(
    path,
    `#!/bin/sh\n[ "$1" = "-c" ] && exit 0\nexec /usr/bin/python3 ${join(dir, "child.py")}\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

/** Python that answers hello (with `protocol`) and then, for `requests` more requests, dies. */
const HELLO_THEN_DIE = (protocol: number) => `
import json, struct, sys
def read():
    prefix = sys.stdin.buffer.read(4)
    if len(prefix) < 4:
        sys.exit(0)
    n = struct.unpack("<I", prefix)[0]
    header = json.loads(sys.stdin.buffer.read(n))
    for entry in header.get("arrays", []):
        size = 8
        for d in entry["shape"]:
            size *= d
        sys.stdin.buffer.read(size)
    return header
def write(header):
    body = json.dumps(header).encode()
    sys.stdout.buffer.write(struct.pack("<I", len(body)) + body)
    sys.stdout.buffer.flush()
hello = read()
write({"type": "hello", "id": hello["id"], "protocol": ${protocol}, "python": "3", "torch": "t", "numpy": "n", "devices": ["cpu"]})
read()
print("fake child: dying on purpose", file=sys.stderr)
sys.exit(3)
`;

const REQUEST = {
  layers: [{ type: "dense", units: 1 }],
  inputShape: [1],
  dtype: "float64" as const,
  loss: "mse" as const,
  phase: gradientPhaseSchema.parse({ kind: "gradient", epochs: 1 }),
  train: { x: new Float64Array([1, 2]), y: new Float64Array([3, 4]), rows: 2 },
  seed: 0,
};

describe("the child process", { timeout: 60_000 }, () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("refuses a child of another protocol version, naming both (exit 2)", async () => {
    const engine = new TorchEngine({ python: fakePython(HELLO_THEN_DIE(1)) });
    await assert.rejects(
      engine.start(),
      (error: unknown) =>
        error instanceof TorchInputError &&
        /speaks protocol 1, this nonlin speaks protocol 2/.test(error.message),
    );
    engine.close();
  });

  it("fails the request in flight when the child dies (exit 1, retried), then starts a new child", async () => {
    const engine = new TorchEngine({ python: fakePython(HELLO_THEN_DIE(2)) });
    for (let attempt = 0; attempt < 2; attempt++) {
      await engine.start();
      await assert.rejects(
        engine.train(REQUEST),
        (error: unknown) =>
          error instanceof TorchRunError &&
          error.exitCode === EXIT_FAILURE &&
          /exited \(code 3\)/.test(error.message) &&
          /dying on purpose/.test(error.message),
      );
    }
    engine.close();
  });

  it("refuses a CUDA device the child does not have (exit 2)", async () => {
    const engine = new TorchEngine({ device: "cuda:7", python: "/usr/bin/python3" });
    await assert.rejects(
      engine.start(),
      (error: unknown) =>
        error instanceof TorchInputError && /--device cuda:7: not available/.test(error.message),
    );
    engine.close();
  });

  it("leaves no child behind when the process exits", () => {
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `import { TorchEngine } from "./src/exec/torch-engine.ts";
         const engine = new TorchEngine();
         await engine.start();
         console.log(engine.childPid);`,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    assert.equal(run.status, 0, run.stderr);
    const pid = Number(run.stdout.trim());
    assert.ok(pid > 0, run.stdout);
    const deadline = Date.now() + 10_000;
    let alive = true;
    while (alive && Date.now() < deadline) {
      try {
        process.kill(pid, 0);
        spawnSync("sleep", ["0.1"]);
      } catch {
        alive = false;
      }
    }
    assert.equal(alive, false, `the child ${pid} outlived its parent`);
  });
});

/** A kB field of /proc/PID/status, in bytes. */
function statusBytes(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1]) * 1024;
}

describe("cost figures: peak memory", { timeout: 120_000 }, () => {
  before(async () => {
    await startEngine("wasm");
  });

  const task = formulaTask({
    formula: "x1 * x2",
    box: [-1, 1],
    train: 20_000,
    val: 100,
    test: 100,
    seed: 1,
    noise: 0,
  });
  const config = parseBenchConfig({
    name: "cost",
    tasks: ["toy/xy"],
    candidates: [{ activation: "relu" }],
    seeds: 1,
    fairness: { mode: "none" },
    network: { depth: 1, width: 4 },
    training: { optimizer: { name: "adam" }, epochs: 1, batch_size: 256, patience: 0 },
    dtype: "float32",
  });
  const cell = {
    task: 0,
    candidate: 0,
    width: 4,
    layers: [
      { type: "dense", units: 4, activation: "relu" },
      { type: "dense", units: 1 },
    ],
    params: 17,
    flops: 0,
    trainFlops: 0,
  };
  /** Trains on `engine` and keeps each trained model's own peak figure. */
  const keeping = (engine: TrialEngine, kept: TrainedModel[]): TrialEngine => ({
    name: engine.name,
    train: async (request, onEpoch) => {
      const trained = await engine.train(request, onEpoch);
      kept.push(trained);
      return trained;
    },
  });

  it("a torch trial reports its Python process's peak resident memory, a jax trial its own process's growth", async () => {
    const torch = new TorchEngine({ python: "/usr/bin/python3" });
    try {
      const kept: TrainedModel[] = [];
      const result = await runTrial(keeping(torch, kept), config, cell, task, 0, 3, {
        task: "xy",
        candidate: "relu",
      });
      const reported = kept[0]!.peakMemoryBytes!;
      assert.equal(result.peakMemoryBytes, reported);
      // the training split alone, as the child holds it (float64 arrays), is below that peak
      assert.ok(reported >= task.train.x.byteLength + task.train.y.byteLength, String(reported));
      // the child's own high-water mark: reset at the training's start, read at its end
      const trained = await torch.train({
        layers: cell.layers,
        inputShape: [2],
        dtype: "float32",
        loss: "mse",
        phase: gradientPhaseSchema.parse({ kind: "gradient", epochs: 1 }),
        train: { x: task.train.x, y: task.train.y, rows: task.train.rows },
        seed: 0,
      });
      const hwm = statusBytes(torch.childPid!, "VmHWM");
      assert.ok(
        Math.abs(trained.peakMemoryBytes! - hwm) <= 0.05 * hwm,
        `${trained.peakMemoryBytes} vs VmHWM ${hwm}`,
      );
      trained.release();
    } finally {
      torch.close();
    }
    const jaxKept: TrainedModel[] = [];
    let rss = 1000;
    const jax = await runTrial(
      keeping(jaxEngine, jaxKept),
      config,
      cell,
      task,
      0,
      3,
      {
        task: "xy",
        candidate: "relu",
      },
      { memory: () => (rss += 100) },
    );
    assert.equal(jaxKept[0]!.peakMemoryBytes, undefined);
    assert.equal(jax.peakMemoryBytes, 100); // the growth the hook saw: start 1100, one epoch 1200
  });
});

function nonlin(...args: string[]): { code: number; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
  });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

describe("nonlin bench --engine", { timeout: 300_000 }, () => {
  const config = (dir: string): string => {
    const path = join(dir, "bench.json");
    writeFileSync(
      path,
      JSON.stringify({
        tasks: ["toy/xy"],
        candidates: [{ activation: "tanh" }],
        seeds: 1,
        rows: { train: 40, val: 20, test: 20 },
        training: { epochs: 2, batch_size: 20 },
        network: { width: 4 },
        fairness: { mode: "none" },
      }),
    );
    return path;
  };

  it("exits 2 before any run for a CUDA device torch does not have, or a Python without torch", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-engine-"));
    const store = join(dir, "runs.db");
    const cuda = nonlin(
      "bench",
      config(dir),
      "--engine",
      "torch",
      "--device",
      "cuda:3",
      "--store",
      store,
    );
    assert.equal(cuda.code, 2, cuda.stderr);
    assert.match(cuda.stderr, /--device cuda:3: not available/);
    const python = nonlin(
      "bench",
      config(dir),
      "--engine",
      "torch",
      "--python",
      "/bin/false",
      "--store",
      store,
    );
    assert.equal(python.code, 2, python.stderr);
    assert.match(
      python.stderr,
      /--python \/bin\/false cannot run the torch engine .*apt install python3-torch python3-numpy/,
    );
    const wasm = nonlin(
      "bench",
      config(dir),
      "--engine",
      "torch",
      "--device",
      "wasm",
      "--store",
      store,
    );
    assert.equal(wasm.code, 2, wasm.stderr);
    assert.match(wasm.stderr, /--device wasm: the torch engine runs on cpu, cuda or cuda:N/);
    const engine = nonlin("bench", config(dir), "--engine", "onnx", "--store", store);
    assert.equal(engine.code, 2, engine.stderr);
    assert.match(engine.stderr, /--engine: expected jax or torch, got 'onnx'/);
    const search = nonlin(
      "search",
      "--preset",
      "quick",
      "--engine",
      "torch",
      "--device",
      "cuda:3",
      "--store",
      store,
    );
    assert.equal(search.code, 2, search.stderr);
    assert.match(search.stderr, /--device cuda:3: not available/);
    assert.equal(existsSync(store), false);
  });

  it("refuses to resume a run with another engine, naming both", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-engine-"));
    const store = join(dir, "runs.db");
    const first = nonlin(
      "bench",
      config(dir),
      "--workers",
      "1",
      "--store",
      store,
      "--out",
      join(dir, "a"),
      "--json",
    );
    assert.equal(first.code, 0, first.stderr);
    const { run } = JSON.parse(first.stdout) as { run: string };
    const again = nonlin(
      "bench",
      config(dir),
      "--engine",
      "torch",
      "--resume",
      run,
      "--store",
      store,
    );
    assert.equal(again.code, 2, again.stderr);
    assert.match(
      again.stderr,
      new RegExp(`run ${run} trains on the jax engine, this command asks for torch`),
    );
    const torchRun = nonlin(
      "bench",
      config(dir),
      "--engine",
      "torch",
      "--workers",
      "1",
      "--store",
      store,
      "--out",
      join(dir, "b"),
      "--json",
    );
    assert.equal(torchRun.code, 0, torchRun.stderr);
    const torchId = (JSON.parse(torchRun.stdout) as { run: string }).run;
    const back = nonlin("bench", config(dir), "--resume", torchId, "--store", store);
    assert.equal(back.code, 2, back.stderr);
    assert.match(
      back.stderr,
      new RegExp(
        `run ${torchId} trains on the torch engine, this command asks for jax; one run uses one engine \\(resume it with --engine torch\\)`,
      ),
    );
    const resumed = nonlin(
      "bench",
      config(dir),
      "--engine",
      "torch",
      "--resume",
      torchId,
      "--store",
      store,
    );
    assert.equal(resumed.code, 0, resumed.stderr);
  });
});

describe("nonlin fit --engine torch", { timeout: 300_000 }, () => {
  it("refuses an L-BFGS phase, naming it and --engine jax (exit 2, nothing recorded)", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-fit-"));
    const store = join(dir, "runs.db");
    const run = nonlin("fit", "examples/hello-kan.yaml", "--engine", "torch", "--store", store);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /a lbfgs phase runs on the jax engine only; --engine jax runs it/);
    assert.equal(existsSync(store), false);
  });

  it("trains gradient phases to jax's metrics and records the engine", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-fit-"));
    const spec = join(dir, "fit.json");
    writeFileSync(
      spec,
      JSON.stringify({
        task: { type: "formula", formula: "sin(x1) * x2", train: 200, val: 50, test: 100, seed: 0 },
        model: {
          dtype: "float64",
          seed: 3,
          layers: [
            { type: "dense", units: 8, activation: "gelu" },
            { type: "dense", units: 1 },
          ],
        },
        phases: [
          { kind: "gradient", epochs: 5, batch_size: 50 },
          { kind: "gradient", optimizer: { name: "sgd", lr: 0.05 }, epochs: 3, batch_size: 0 },
        ],
      }),
    );
    const results = ["jax", "torch"].map((engine) => {
      const run = nonlin(
        "fit",
        spec,
        "--engine",
        engine,
        "--store",
        join(dir, "runs.db"),
        "--json",
      );
      assert.equal(run.code, 0, run.stderr);
      return JSON.parse(run.stdout) as {
        engine?: { engine: string; device: string };
        phases: { test: { rmse: number } }[];
      };
    });
    const [jax, torch] = results as [(typeof results)[0], (typeof results)[0]];
    assert.equal(jax.engine, undefined);
    assert.equal(torch.engine?.engine, "torch");
    assert.equal(torch.engine?.device, "cpu");
    assert.equal(torch.phases.length, 2);
    for (const [i, phase] of torch.phases.entries()) {
      const expected = jax.phases[i]!.test.rmse;
      assert.ok(
        Math.abs(phase.test.rmse - expected) <= 1e-6 * expected,
        `phase ${i}: ${phase.test.rmse} vs ${expected}`,
      );
    }
  });
});
