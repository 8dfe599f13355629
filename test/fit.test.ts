import { createHash } from "node:crypto";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { numpy as np } from "@jax-js/jax";
import { loadTask } from "../src/data/node/load-task.js";
import {
  arrayFrom,
  keyFromSeed,
  normalSample,
  startEngine,
  takeValues,
} from "../src/engine/index.js";
import { Model } from "../src/nn/model.js";
import { decodeWeights, encodeWeights } from "../src/train/checkpoint.js";
import { fitConfigSchema } from "../src/train/fit-spec.js";
import { jaxEngine } from "../src/train/jax-engine.js";
import { runFit } from "../src/train/run-fit.js";
import { readFitConfig } from "../src/cli/fit.js";
import { openStore } from "../src/store/index.js";

// every CLI run records into a store of its own, never into the repository's folder
const storeDir = mkdtempSync(join(tmpdir(), "nonlin-fit-store-"));
const STORE = join(storeDir, "runs.db");
const cli = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args, "--store", STORE], {
    encoding: "utf8",
  });

describe("training", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("hello KAN (pykan's workload) reaches test RMSE ≤ 1e-3 with the shipped example", async (t) => {
    const { config } = readFitConfig("examples/hello-kan.yaml");
    const task = loadTask(config.task, "examples");
    const { results } = await runFit(jaxEngine, config, task);
    const rmse = results.map((r) => r.test!.rmse!);
    t.diagnostic(`test RMSE by phase: ${rmse.map((v) => v.toExponential(2)).join(" → ")}`);
    t.diagnostic(`widths after pruning: [${results[1]!.widths.join(", ")}]`);
    assert.ok(rmse[0]! < 3e-2, "phase 1 near pykan's 2.0e-2");
    assert.ok(rmse[4]! <= 1e-3, `final test RMSE ${rmse[4]}`);
    assert.ok(results[1]!.widths[1]! < 5, "pruning removed hidden nodes");
  });

  it("grid extension 3 → 10 → 20 on KAN [2, 1, 1] lowers the test RMSE at each step", async (t) => {
    const config = fitConfigSchema.parse({
      task: { type: "formula", formula: "exp(sin(pi*x1) + x2^2)", train: 1000, val: 0, test: 1000 },
      model: {
        dtype: "float64",
        seed: 0,
        layers: [
          { type: "kan", units: 1, grid_size: 3 },
          { type: "kan", units: 1, grid_size: 3 },
        ],
      },
      phases: [
        { kind: "lbfgs", steps: 15 },
        { kind: "refine", grid_size: 10 },
        { kind: "lbfgs", steps: 15 },
        { kind: "refine", grid_size: 20 },
        { kind: "lbfgs", steps: 15 },
      ],
    });
    const { results } = await runFit(jaxEngine, config, loadTask(config.task));
    const rmse = [results[0]!, results[2]!, results[4]!].map((r) => r.test!.rmse!);
    t.diagnostic(`test RMSE at grids 3, 10, 20: ${rmse.map((v) => v.toExponential(2)).join(", ")}`);
    assert.ok(rmse[1]! < rmse[0]! && rmse[2]! < rmse[1]!, rmse.join(" → "));
  });

  it("a 10-layer SELU MLP with LeCun-normal init keeps activations near mean 0, variance 1; ReLU does not", (t) => {
    const measure = (activation: string): { mean: number; variance: number }[] => {
      const layers = Array.from({ length: 10 }, () => ({
        type: "dense",
        units: 256,
        activation,
        init: "lecun_normal",
      }));
      const model = new Model(layers, [256], "float32");
      const state = model.init(keyFromSeed(5));
      const inputs = model.layerInputs(state, normalSample(keyFromSeed(6), [2000, 256], "float32"));
      return inputs.slice(1).map((h) => {
        const v = takeValues(h);
        const mean = v.reduce((a, b) => a + b, 0) / v.length;
        return { mean, variance: v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length };
      });
    };
    const selu = measure("selu");
    const relu = measure("relu");
    t.diagnostic(
      `SELU layer 10: mean ${selu[9]!.mean.toFixed(3)}, var ${selu[9]!.variance.toFixed(3)}`,
    );
    t.diagnostic(
      `ReLU layer 10: mean ${relu[9]!.mean.toFixed(4)}, var ${relu[9]!.variance.toExponential(2)}`,
    );
    for (const [i, s] of selu.entries()) {
      assert.ok(Math.abs(s.mean) < 0.1, `SELU layer ${i + 1} mean ${s.mean}`);
      assert.ok(Math.abs(s.variance - 1) < 0.1, `SELU layer ${i + 1} variance ${s.variance}`);
    }
    assert.ok(Math.abs(relu[9]!.variance - 1) > 0.5, `ReLU variance ${relu[9]!.variance}`);
  });

  it("trains an MLP with Adam on iris and selects on validation only", async () => {
    const config = fitConfigSchema.parse({
      task: { type: "csv", path: "test/fixtures/data/iris.csv", header: "sklearn" },
      model: {
        layers: [
          { type: "dense", units: 16, activation: "gelu" },
          { type: "dense", units: 3 },
        ],
      },
      phases: [
        { kind: "gradient", optimizer: { name: "adam", lr: 0.02 }, epochs: 40, batch_size: 32 },
      ],
    });
    const { results } = await runFit(jaxEngine, config, loadTask(config.task));
    assert.ok(results[0]!.val!.accuracy! > 0.85, `val accuracy ${results[0]!.val!.accuracy}`);
  });

  it("saves weights to safetensors and loads them back exactly", () => {
    const model = new Model(
      [
        { type: "kan", units: 3 },
        { type: "dense", units: 2 },
      ],
      [2],
      "float64",
    );
    const state = model.init(keyFromSeed(8));
    const copy = decodeWeights(encodeWeights(state, "float64"), 2, "float64");
    const x = arrayFrom(fixedInputs(), [5, 2], "float64");
    assert.deepEqual(takeValues(model.apply(copy, x.ref)), takeValues(model.apply(state, x)));
    np.zeros([1]).dispose();
  });
});

function fixedInputs(): Float64Array {
  return Float64Array.from({ length: 10 }, (_, i) => Math.sin(i) * 0.9);
}

describe("nonlin fit (command line)", () => {
  it("names the field of a bad spec and exits with 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-fit-"));
    const path = join(dir, "bad.yaml");
    writeFileSync(
      path,
      "task: {type: formula, formula: x1}\nmodel:\n  layers:\n    - {type: kan, units: 1, grid_size: -3}\n",
    );
    const result = cli(["fit", path]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /layers\[0\]\.grid_size/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    writeFileSync(
      path,
      "task: {type: formula, formula: x1}\nmodel: {layers: [{type: dense, units: 1}]}\nphases: [{kind: lbfgs, stepz: 3}]\n",
    );
    const second = cli(["fit", path]);
    assert.equal(second.status, 2);
    assert.match(second.stderr, /phases\[0\]/);
  });

  it("writes checkpoints, then --resume continues after the finished phases", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-fit-"));
    const path = join(dir, "run.yaml");
    writeFileSync(
      path,
      "task: {type: formula, formula: sin(x1), train: 64, val: 16, test: 32}\nmodel: {dtype: float64, layers: [{type: kan, units: 1}]}\nphases:\n  - {kind: lbfgs, steps: 2}\n  - {kind: refine, grid_size: 6}\n",
    );
    const out = join(dir, "out");
    const first = execFileSync(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "fit", path, "--out", out, "--json", "--store", STORE],
      { encoding: "utf8" },
    );
    const results = JSON.parse(first) as { phases: { widths: number[] }[] };
    assert.equal(results.phases.length, 2);
    const checkpoint = JSON.parse(readFileSync(join(out, "checkpoint.json"), "utf8"));
    assert.equal(checkpoint.phasesDone, 2);
    assert.equal(checkpoint.layers[0].grid_size, 6);
    const resumed = cli(["fit", path, "--resume", out, "--json"]);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming after phase 2 of 2/);
    assert.equal(JSON.parse(resumed.stdout).phases.length, 0);
    // both runs are in the store, done, the first with its three files and their hashes
    const store = openStore(STORE, { mustExist: true });
    try {
      const runId = (results as unknown as { run: string }).run;
      assert.equal(store.getRun(runId)?.status, "done");
      assert.equal(store.getRun(runId)?.command, "fit");
      const artifacts = store.listArtifacts(runId);
      assert.deepEqual(artifacts.map((a) => a.kind).sort(), ["checkpoint", "results", "weights"]);
      const weights = artifacts.find((a) => a.kind === "weights")!;
      assert.equal(
        weights.sha256,
        createHash("sha256")
          .update(readFileSync(join(out, "weights.safetensors")))
          .digest("hex"),
      );
      assert.ok(store.listEvents(runId).some((e) => /phase 2 refine/.test(e.message)));
    } finally {
      store.close();
    }
  });
});

describe("a task without test rows", () => {
  it("fits and reports train and validation metrics, no test metrics (it crashed before)", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-fit-notest-"));
    const spec = join(dir, "spec.yaml");
    writeFileSync(
      spec,
      [
        "task: { type: formula, formula: sin(x1) + x2^2, train: 100, val: 20, test: 0, seed: 0 }",
        "model: { seed: 1, layers: [{ type: dense, units: 8, activation: tanh }, { type: dense, units: 1 }] }",
        "phases: [{ kind: gradient, epochs: 2, batch_size: 32 }]",
      ].join("\n"),
    );
    const run = cli(["fit", spec, "--json"]);
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout) as {
      phases: { train: unknown; val: unknown; test?: unknown }[];
    };
    const last = out.phases.at(-1)!;
    assert.ok(last.train && last.val);
    assert.equal(last.test, undefined);
    assert.match(run.stderr, /train rmse [0-9.e+-]+ {2}val rmse [0-9.e+-]+ {2}test -/);
  });
});
