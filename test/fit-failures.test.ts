/**
 * `nonlin fit` when things go wrong: a training that diverges is marked failed (exit 1) and keeps
 * the last finite checkpoint; bad input (a layer, an activation, a formula, a CSV, a model that
 * does not fit the task) exits 2 before anything is written: no store, no run, no --out folder.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startEngine, takeValues } from "../src/engine/index.js";
import { openStore } from "../src/store/index.js";
import { decodeWeights } from "../src/train/checkpoint.js";

const fit = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "fit", ...args], {
    encoding: "utf8",
  });

/** A spec file in a fresh folder, with the store and --out paths beside it (not yet made). */
function specIn(text: string): { dir: string; spec: string; store: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), "nonlin-fit-fail-"));
  const spec = join(dir, "spec.yaml");
  writeFileSync(spec, text);
  return { dir, spec, store: join(dir, "runs.db"), out: join(dir, "out") };
}

const TASK = "task: {type: formula, formula: sin(x1), train: 64, val: 16, test: 32}\n";

describe("nonlin fit: divergence", { timeout: 120_000 }, () => {
  it("marks a diverging fit failed, exits 1 and writes no NaN checkpoint", () => {
    const { spec, store, out } = specIn(
      `${TASK}model:\n  dtype: float64\n  layers:\n    - {type: dense, units: 4, activation: "exp(exp(exp(10*x)))"}\n    - {type: dense, units: 1}\nphases: [{kind: gradient, epochs: 3}]\n`,
    );
    const run = fit(spec, "--store", store, "--out", out, "--json");
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /error: phase 1 gradient diverged \(train loss NaN/);
    assert.match(run.stderr, /no checkpoint was written to /);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
    assert.equal(run.stdout, "");
    assert.equal(existsSync(join(out, "weights.safetensors")), false);
    const opened = openStore(store, { mustExist: true });
    try {
      const [recorded] = opened.listRuns();
      assert.equal(recorded?.status, "failed");
      assert.ok(
        opened
          .listEvents(recorded.id)
          .some((e) => e.level === "error" && /diverged/.test(e.message)),
      );
      // marked as bench marks a diverged trial: the phase's row says so, with no metrics
      const [phase] = opened.listFitPhases(recorded.id);
      assert.deepEqual(
        [phase?.phase, phase?.diverged, phase?.testMetric, phase?.task],
        [0, true, null, "sin(x1)"],
      );
      assert.equal(recorded.headline, "diverged in phase 1 (gradient)");
    } finally {
      opened.close();
    }
  });

  it("keeps the checkpoint of the last finite phase when a later phase diverges", async () => {
    const { spec, store, out } = specIn(
      `${TASK}model:\n  dtype: float64\n  layers:\n    - {type: dense, units: 4, activation: tanh}\n    - {type: dense, units: 1}\nphases:\n  - {kind: gradient, epochs: 2}\n  - {kind: gradient, epochs: 5, optimizer: {name: sgd, lr: 1e300}}\n`,
    );
    const run = fit(spec, "--store", store, "--out", out);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout + run.stderr, /phase 1 gradient .* train rmse \d/, "phase 1 was fine");
    assert.match(run.stderr, /error: phase 2 gradient diverged/);
    // phase 2 checkpoints after every epoch (a tenth of 5, at least 1) while its weights are
    // finite: after its first epoch they still are, after its second they are not
    assert.match(run.stderr, /keeps the checkpoint after epoch 1 of phase 2/);
    const checkpoint = JSON.parse(readFileSync(join(out, "checkpoint.json"), "utf8")) as {
      phasesDone: number;
      inPhase?: { epochs: number };
    };
    assert.equal(checkpoint.phasesDone, 1);
    assert.equal(checkpoint.inPhase?.epochs, 1);
    await startEngine("wasm");
    const state = decodeWeights(
      new Uint8Array(readFileSync(join(out, "weights.safetensors"))),
      2,
      "float64",
    );
    for (const layer of state)
      for (const array of Object.values(layer.params))
        assert.ok(takeValues(array).every(Number.isFinite));
    const opened = openStore(store, { mustExist: true });
    try {
      assert.equal(opened.listRuns()[0]?.status, "failed");
    } finally {
      opened.close();
    }
  });
});

describe("nonlin fit: bad input writes nothing", { timeout: 120_000 }, () => {
  const dense = (activation: string) =>
    `model: {layers: [{type: dense, units: 4, activation: "${activation}"}, {type: dense, units: 1}]}\n`;
  const cases: [string, string, RegExp][] = [
    [
      "an unknown layer type",
      `${TASK}model: {layers: [{type: densest, units: 1}]}\n`,
      /spec\.yaml: model\.layers\[0\]/,
    ],
    [
      "an activation that does not parse",
      `${TASK}${dense("foo(x)")}`,
      /spec\.yaml: model\.layers\[0\]: activation: .*unknown function 'foo'/,
    ],
    [
      "a last layer that does not fit the task",
      `${TASK}model: {layers: [{type: dense, units: 3}]}\n`,
      /spec\.yaml: model\.layers: the last layer gives \[3\] but the task needs 1 outputs/,
    ],
    [
      "a formula that does not parse",
      `task: {type: formula, formula: "x1 +"}\n${dense("tanh")}`,
      /column 5/,
    ],
    [
      "a CSV file that is not there",
      `task: {type: csv, path: nope.csv}\n${dense("tanh")}`,
      /nope\.csv/,
    ],
  ];
  for (const [what, text, message] of cases)
    it(`exits 2 for ${what}, with no store, run or --out folder`, () => {
      const { spec, store, out } = specIn(text);
      const run = fit(spec, "--store", store, "--out", out);
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
      assert.equal(existsSync(store), false, "no store made");
      assert.equal(existsSync(out), false, "no --out folder made");
    });

  it("exits 2 for a bad CSV cell and records nothing in an existing store", () => {
    const { dir, spec, store, out } = specIn(
      `task: {type: csv, path: data.csv, target: y}\n${dense("tanh")}`,
    );
    writeFileSync(join(dir, "data.csv"), `x,y\n${"1,2\n".repeat(20)}oops,3\n`);
    const good = specIn(`${TASK}${dense("tanh")}phases: [{kind: gradient, epochs: 1}]\n`);
    assert.equal(fit(good.spec, "--store", store).status, 0);
    const run = fit(spec, "--store", store, "--out", out);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /data\.csv/);
    assert.equal(existsSync(out), false, "no --out folder made");
    const opened = openStore(store, { mustExist: true });
    try {
      assert.deepEqual(
        opened.listRuns().map((r) => r.status),
        ["done"],
        "only the good run",
      );
    } finally {
      opened.close();
    }
  });
});
