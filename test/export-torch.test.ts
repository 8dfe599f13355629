/**
 * `nonlin export --to torch` as a user runs it: four small models trained with `fit --out` (an
 * MLP with scaled regression targets, a CNN, a B-spline KAN, a model with a learnable
 * activation), exported, loaded by Debian's python3-torch (/usr/bin/python3) from the exported
 * folder alone, and run on new rows: the outputs must be nonlin's (`predict`) to 1e-5 in float32.
 * The state_dict must be in PyTorch's layouts (nn.Linear's weight [out, in], nn.Conv2d's
 * [out, in, kh, kw]). The same trained models go through `--to onnx` (onnxruntime-node) and
 * `--to jax` (model.py run by JAX, scripts/jax-python.sh) to the same predictions.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as ort from "onnxruntime-node";
import { exportTorch } from "../src/cli/export.js";
import { arrayFrom, startEngine, takeValues } from "../src/engine/index.js";
import { Model } from "../src/nn/model.js";
import { csvText } from "../src/store/csv.js";
import type { CheckpointSpec } from "../src/train/checkpoint.js";
import { decodeHostWeights } from "../src/train/checkpoint.js";
import { stateFromHost } from "../src/train/host-state.js";
import { initialState } from "../src/train/jax-engine.js";
import { LAYER_DEFINITIONS } from "../src/nn/registry.js";
import { jaxPython } from "./support/jax-python.js";
import { LAYER_CASES } from "./support/layer-cases.js";

const PYTHON = "/usr/bin/python3";
const dir = mkdtempSync(join(tmpdir(), "nonlin-export-"));
const STORE = join(dir, "runs.db");
const cli = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args, "--store", STORE], {
    encoding: "utf8",
  });
const json = <T>(args: string[]): T => {
  const run = cli([...args, "--json"]);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as T;
};

/** Deterministic numbers in [−1, 1) (no RNG state shared between cases). */
const wave = (i: number): number => Math.sin(i * 12.9898) * 0.999;

interface Case {
  name: string;
  /** The fit config (YAML), the task's CSV beside it when it has one. */
  spec: string;
  csv?: { header: string[]; rows: (string | number)[][] };
  /** New rows to predict: a header naming the features, then raw values. */
  rows: { header: string[]; rows: number[][] };
}

const imageRows = Array.from({ length: 90 }, (_, i) => {
  const pixels = Array.from({ length: 16 }, (_, k) => 0.1 * wave(i * 16 + k));
  const bright = i % 16;
  pixels[bright] = 1;
  return [...pixels, bright < 8 ? "top" : "bottom"];
});
const PIXELS = Array.from({ length: 16 }, (_, k) => `p${k}`);
const regressionRows = Array.from({ length: 100 }, (_, i) => {
  const a = 3 * wave(i) + 5;
  const b = 2 * wave(i + 1000);
  return [a, b, 2 * a - b * b + 40];
});

const CASES: Case[] = [
  {
    name: "an MLP (dense + relu) with standardised regression targets",
    spec: `task: { type: csv, path: data.csv, target: y, normalize_target: standard }
model:
  dtype: float32
  seed: 3
  layers: [{ type: dense, units: 16, activation: relu }, { type: dense, units: 8, activation: tanh }, { type: dense, units: 1 }]
phases: [{ kind: gradient, epochs: 5, batch_size: 16 }]
`,
    csv: { header: ["a", "b", "y"], rows: regressionRows },
    rows: {
      header: ["a", "b"],
      rows: Array.from({ length: 7 }, (_, i) => [4 * wave(i + 7) + 5, 3 * wave(i + 77)]),
    },
  },
  {
    name: "a CNN (conv2d with a per-channel PReLU, max-pool, flatten, dense) on 4x4 images",
    spec: `task: { type: csv, path: data.csv, target: label, classification: true }
model:
  dtype: float32
  seed: 4
  input_shape: [4, 4, 1]
  layers:
    - { type: conv2d, filters: 3, kernel: 3, padding: same, activation: "max(x, 0) + a * min(x, 0) where a = 0.25 per_channel" }
    - { type: maxpool2d, pool_size: 2 }
    - { type: conv2d, filters: 2, kernel: 2, stride: 1, padding: valid, activation: tanh }
    - { type: flatten }
    - { type: dense, units: 2 }
phases: [{ kind: gradient, epochs: 5, batch_size: 16 }]
`,
    csv: { header: [...PIXELS, "label"], rows: imageRows },
    rows: {
      header: PIXELS,
      rows: Array.from({ length: 6 }, (_, i) => PIXELS.map((_, k) => wave(500 + i * 16 + k))),
    },
  },
  {
    name: "a B-spline KAN [2, 3, 1] on a formula task",
    spec: `task: { type: formula, formula: "sin(pi*x1) + x2^2", train: 200, val: 50, test: 50, seed: 1 }
model:
  dtype: float32
  seed: 5
  layers: [{ type: kan, units: 3, grid_size: 5 }, { type: kan, units: 1, grid_size: 5 }]
phases: [{ kind: gradient, epochs: 5, batch_size: 32 }]
`,
    rows: {
      header: ["x1", "x2"],
      // inside the grid and beyond it (the base function and extrapolated splines)
      rows: [...Array.from({ length: 6 }, (_, i) => [wave(i + 9), wave(i + 99)]), [1.7, -2.2]],
    },
  },
  {
    name: "a model with a learnable activation (swish with a per-neuron beta) on iris",
    spec: `task: { type: csv, path: ${join(process.cwd(), "test/fixtures/data/iris.csv")}, header: sklearn }
model:
  dtype: float32
  seed: 6
  layers:
    - { type: dense, units: 8, activation: "x * sigmoid(beta * x) where beta = 1 per_neuron" }
    - { type: activation, fn: "x * sigmoid(gamma * x) where gamma = 0.5" }
    - { type: dense, units: 3 }
phases: [{ kind: gradient, epochs: 10, batch_size: 16 }]
`,
    rows: {
      header: ["x1", "x2", "x3", "x4"],
      rows: [
        [5.1, 3.5, 1.4, 0.2],
        [6.3, 2.5, 5.0, 1.9],
        [5.9, 3.0, 4.2, 1.5],
        [7.7, 2.6, 6.9, 2.3],
      ],
    },
  },
];

interface Prediction {
  kind: string;
  outputs: number[][];
  values?: number[][];
}

/** Runs the exported folder's model.py on a rows file, from another working folder. */
function runExported(folder: string, rowsFile: string, python = PYTHON): number[][] {
  const run = spawnSync(python, [join(folder, "model.py"), rowsFile], {
    encoding: "utf8",
    cwd: tmpdir(),
    env: { ...process.env, PYTHONPATH: "", OPENBLAS_NUM_THREADS: "1" },
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout
    .trim()
    .split("\n")
    .map((line) => line.split(",").map(Number));
}

describe("export --to torch", () => {
  const folders: string[] = [];
  const predictions: Prediction[] = [];

  CASES.forEach((c, index) => {
    it(`${c.name}: PyTorch reproduces nonlin's predictions to 1e-5`, (t) => {
      const caseDir = join(dir, `case${index}`);
      spawnSync("mkdir", ["-p", caseDir]);
      writeFileSync(join(caseDir, "spec.yaml"), c.spec);
      if (c.csv) writeFileSync(join(caseDir, "data.csv"), csvText(c.csv.header, c.csv.rows));
      const rowsFile = join(caseDir, "rows.csv");
      writeFileSync(rowsFile, csvText(c.rows.header, c.rows.rows));
      const out = join(caseDir, "run");
      const fit = json<{ run: string }>(["fit", join(caseDir, "spec.yaml"), "--out", out]);
      const predicted = json<Prediction>(["predict", fit.run, rowsFile]);
      predictions[index] = predicted;
      const folder = join(caseDir, "torch");
      json(["export", fit.run, "--to", "torch", "--out", folder]);
      folders.push(folder);
      const exported = runExported(folder, rowsFile);
      // regression: the exported model gives the targets in their units, as predict's values
      const expected = predicted.kind === "regression" ? predicted.values! : predicted.outputs;
      assert.equal(exported.length, expected.length);
      let worst = 0;
      exported.forEach((row, r) => {
        assert.equal(row.length, expected[r]!.length);
        row.forEach((v, k) => {
          const e = expected[r]![k]!;
          worst = Math.max(worst, Math.abs(v - e) / Math.max(1, Math.abs(e)));
        });
      });
      t.diagnostic(`largest difference ${worst.toExponential(2)}`);
      assert.ok(worst <= 1e-5, `largest difference ${worst}`);
      // the outputs are not all alike (a constant model would pass any comparison)
      assert.ok(new Set(expected.map((row) => row[0]!.toFixed(6))).size > 1);
    });
  });

  it("the state_dict is in PyTorch's layouts: nn.Linear [out, in], nn.Conv2d [out, in, kh, kw]", () => {
    for (const [index, layer, key] of [
      [0, 0, "weight"],
      [1, 0, "weight"],
      [1, 4, "weight"],
    ] as const) {
      const folder = folders[index]!;
      assert.ok(folder, "the export cases ran first");
      const script = `import json, sys
sys.path.insert(0, ${JSON.stringify(folder)})
import model
net = model.load()
state = net.state_dict()
print(json.dumps({k: {"shape": list(v.shape), "values": v.flatten().tolist()} for k, v in state.items()}))`;
      const run = spawnSync(PYTHON, ["-c", script], { encoding: "utf8" });
      assert.equal(run.status, 0, run.stderr);
      const state = JSON.parse(run.stdout) as Record<string, { shape: number[]; values: number[] }>;
      const checkpoint = join(folder, "..", "run");
      const spec = JSON.parse(
        readFileSync(join(checkpoint, "checkpoint.json"), "utf8"),
      ) as CheckpointSpec;
      const host = decodeHostWeights(
        new Uint8Array(readFileSync(join(checkpoint, "weights.safetensors"))),
        spec.layers.length,
      );
      const w = host[layer]!.params.w!;
      const torch = state[`layers.${layer}.${key}`]!;
      if (w.shape.length === 2) {
        const [inputs, outputs] = w.shape as [number, number];
        assert.deepEqual(torch.shape, [outputs, inputs]);
        for (let o = 0; o < outputs; o++)
          for (let i = 0; i < inputs; i++)
            assert.equal(torch.values[o * inputs + i], w.values[i * outputs + o]);
      } else {
        const [kh, kw, cin, cout] = w.shape as [number, number, number, number];
        assert.deepEqual(torch.shape, [cout, cin, kh, kw]);
        for (let o = 0; o < cout; o++)
          for (let i = 0; i < cin; i++)
            for (let h = 0; h < kh; h++)
              for (let x = 0; x < kw; x++)
                assert.equal(
                  torch.values[((o * cin + i) * kh + h) * kw + x],
                  w.values[((h * kw + x) * cin + i) * cout + o],
                );
      }
      assert.ok(`layers.${layer}.bias` in state, "bias under PyTorch's name");
    }
  });

  it("every layer type exports: one-layer float64 models give the engine's outputs in PyTorch", async (t) => {
    await startEngine("wasm");
    assert.deepEqual(
      LAYER_DEFINITIONS.map((d) => d.type).filter((type) => !LAYER_CASES[type]),
      [],
    );
    const rows = 5;
    const expected: Record<string, { outputs: number[]; exact: boolean }> = {};
    const inputs: Record<string, { folder: string; x: number[]; shape: number[] }> = {};
    for (const [type, { spec, inputShape, exact }] of Object.entries(LAYER_CASES)) {
      const layers = [spec];
      const state = initialState(layers, inputShape, "float64", 11);
      // every learnable array moved off its initial value (zeros and ones hide a transposition)
      state.forEach((layer) =>
        Object.values(layer.params).forEach((array) =>
          array.values.forEach((v, i) => (array.values[i] = v + 0.1 * wave(i + 31))),
        ),
      );
      const width = inputShape.reduce((p, n) => p * n, 1);
      const x = Array.from({ length: rows * width }, (_, i) => 1.5 * wave(i + 7 * width));
      const model = new Model(layers, inputShape, "float64");
      const y = takeValues(
        model.apply(
          stateFromHost(state, "float64"),
          arrayFrom(Float64Array.from(x), [rows, ...inputShape], "float64"),
        ),
      );
      const folder = join(dir, `type-${type}`);
      const spec64: CheckpointSpec = {
        format: "nonlin-checkpoint-1",
        dtype: "float64",
        inputShape,
        layers,
        phasesDone: 0,
        configHash: "",
      };
      exportTorch({ dir: folder, spec: spec64, state }, folder);
      expected[type] = { outputs: [...y], exact };
      inputs[type] = { folder, x, shape: [rows, ...inputShape] };
    }
    const inputFile = join(dir, "every-type.json");
    writeFileSync(inputFile, JSON.stringify(inputs));
    const script = `import json, sys, importlib
import torch
cases = json.load(open(sys.argv[1]))
out = {}
for name, case in cases.items():
    sys.path.insert(0, case["folder"])
    for module in [m for m in sys.modules if m == "model" or m.startswith("nonlin_torch")]:
        del sys.modules[module]
    model = importlib.import_module("model")
    net = model.load()
    with torch.no_grad():
        y = net(torch.tensor(case["x"], dtype=torch.float64).reshape(case["shape"]))
    out[name] = y.flatten().tolist()
    sys.path.remove(case["folder"])
print(json.dumps(out))`;
    const run = spawnSync(PYTHON, ["-c", script, inputFile], {
      encoding: "utf8",
      cwd: tmpdir(),
      env: { ...process.env, OPENBLAS_NUM_THREADS: "1" },
    });
    assert.equal(run.status, 0, run.stderr);
    const got = JSON.parse(run.stdout) as Record<string, number[]>;
    const failures: string[] = [];
    for (const [type, { outputs, exact }] of Object.entries(expected)) {
      const bound = exact ? 1e-9 : 2e-5;
      const actual = got[type]!;
      let worst = actual.length === outputs.length ? 0 : Infinity;
      outputs.forEach((e, i) => {
        worst = Math.max(worst, Math.abs(actual[i]! - e) / Math.max(1, Math.abs(e)));
      });
      if (!(worst <= bound)) failures.push(`${type}: ${worst} > ${bound}`);
      else t.diagnostic(`${type}: ${worst.toExponential(1)}`);
    }
    assert.deepEqual(failures, []);
  });

  it("--to onnx writes model.onnx, which onnxruntime runs on raw rows to nonlin's outputs (1e-5)", async (t) => {
    for (const index of [0, 1, 3]) {
      const caseDir = join(dir, `case${index}`);
      const predicted = predictions[index];
      assert.ok(predicted, "the export cases ran first");
      const folder = join(caseDir, "onnx");
      const result = json<{ files: string[] }>([
        "export",
        join(caseDir, "run"),
        "--to",
        "onnx",
        "--out",
        folder,
      ]);
      assert.deepEqual(result.files, ["model.onnx"]);
      const session = await ort.InferenceSession.create(readFileSync(join(folder, "model.onnx")));
      const rows = CASES[index]!.rows.rows;
      const shape = JSON.parse(readFileSync(join(caseDir, "run", "checkpoint.json"), "utf8"))
        .inputShape as number[];
      const input = new ort.Tensor("float32", Float32Array.from(rows.flat()), [
        rows.length,
        ...shape,
      ]);
      const output = (await session.run({ [session.inputNames[0]!]: input }))[
        session.outputNames[0]!
      ] as ort.Tensor;
      await session.release();
      // logits; regression targets in their own units (the targets' scaling ends the graph)
      const expected = (
        predicted.kind === "regression" ? predicted.values! : predicted.outputs
      ).flat();
      const got = [...(output.data as Float32Array)];
      assert.equal(got.length, expected.length);
      const worst = Math.max(
        ...got.map((v, i) => Math.abs(v - expected[i]!) / Math.max(1, Math.abs(expected[i]!))),
      );
      t.diagnostic(
        `${CASES[index]!.name.split(" (")[0]}: largest difference ${worst.toExponential(2)}`,
      );
      assert.ok(worst <= 1e-5, `case ${index}: ${worst}`);
    }
  });

  it("--to jax writes model.py, which JAX runs on raw rows to nonlin's predictions (1e-5)", (t) => {
    const jax = jaxPython();
    if (jax.skip !== undefined) return t.skip(jax.skip);
    CASES.forEach((c, index) => {
      const caseDir = join(dir, `case${index}`);
      const predicted = predictions[index];
      assert.ok(predicted, "the export cases ran first");
      const folder = join(caseDir, "jax");
      const result = json<{ files: string[] }>([
        "export",
        join(caseDir, "run"),
        "--to",
        "jax",
        "--out",
        folder,
      ]);
      assert.deepEqual(result.files, ["model.py", "spec.json", "weights.safetensors"]);
      const exported = runExported(folder, join(caseDir, "rows.csv"), jax.python);
      const expected = predicted.kind === "regression" ? predicted.values! : predicted.outputs;
      assert.equal(exported.length, expected.length);
      let worst = 0;
      exported.forEach((row, r) =>
        row.forEach((v, k) => {
          const e = expected[r]![k]!;
          worst = Math.max(worst, Math.abs(v - e) / Math.max(1, Math.abs(e)));
        }),
      );
      t.diagnostic(`${c.name.split(" (")[0]}: largest difference ${worst.toExponential(2)}`);
      assert.ok(worst <= 1e-5, `case ${index}: ${worst}`);
    });
  });

  describe("bad input: exit 2, nothing written", () => {
    const refused = (args: string[], pattern: RegExp) => {
      const out = join(dir, `never-${Math.random().toString(36).slice(2)}`);
      const run = cli([...args, "--out", out]);
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, pattern);
      assert.equal(existsSync(out), false);
    };
    it("an unknown target", () =>
      refused(
        ["export", join(dir, "case0", "run"), "--to", "tflite"],
        /--to: unknown export target 'tflite'/,
      ));
    it("an unknown run", () =>
      refused(["export", "r-19990101", "--to", "torch"], /no run 'r-19990101'/));
    it("a folder without a checkpoint", () =>
      refused(["export", dir, "--to", "torch"], /no checkpoint\.json here/));
  });
});
