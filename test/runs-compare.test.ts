/**
 * `runs ls` names each run (its config file or preset), its engine and a headline; `runs compare`
 * puts two real runs side by side on the tasks they share. Checked against the trials the store
 * holds, recomputed here by hand.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { stringify } from "yaml";
import type { RunComparison, RunListing } from "../src/store/index.js";
import { openStore } from "../src/store/index.js";

const main = join(import.meta.dirname, "../src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "nonlin-runs-compare-"));
const store = join(dir, "runs.db");
const cli = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", main, ...args, "--store", store], {
    encoding: "utf8",
    timeout: 300_000,
  });

const bench = (name: string, candidates: string[]) => {
  const path = join(dir, name);
  writeFileSync(
    path,
    stringify({
      tasks: ["toy/xy"],
      candidates: candidates.map((activation) => ({ activation })),
      seeds: 2,
      fairness: { mode: "params", budget: 60 },
      rows: { train: 200, val: 50, test: 50 },
      training: { epochs: 6, batch_size: 50 },
    }),
  );
  return path;
};

/** 97.5% quantile of Student's t with 1 degree of freedom: tan(π(0.975 − 1/2)) = 12.7062… */
const T_975_DF1 = Math.tan(Math.PI * 0.475);

let runA = "";
let runB = "";
let fitRun = "";

describe("runs ls and runs compare on real runs", { timeout: 900_000 }, () => {
  before(() => {
    for (const [file, candidates] of [
      ["a.yaml", ["relu", "tanh"]],
      ["b.yaml", ["relu", "silu"]],
    ] as const) {
      const run = cli([
        "bench",
        bench(file, [...candidates]),
        "--out",
        join(dir, `out-${file}`),
        "--workers",
        "1",
      ]);
      assert.equal(run.status, 0, run.stderr);
    }
    const spec = join(dir, "line.yaml");
    writeFileSync(
      spec,
      "task: {type: formula, formula: 2*x1 - x2, train: 64, val: 16, test: 32}\nmodel: {layers: [{type: dense, units: 1}]}\nphases: [{kind: gradient, epochs: 5, optimizer: {name: adam, lr: 0.05}}]\n",
    );
    const fit = cli(["fit", spec, "--json"]);
    assert.equal(fit.status, 0, fit.stderr);
    fitRun = (JSON.parse(fit.stdout) as { run: string }).run;
    const view = openStore(store, { mustExist: true, readonly: true });
    try {
      const benches = view.listRuns().filter((r) => r.command === "bench");
      runB = benches[0]!.id; // newest first
      runA = benches[1]!.id;
    } finally {
      view.close();
    }
  });

  it("runs ls gives each run's name, engine and headline (text and --json)", () => {
    const listed = cli(["runs", "ls", "--json"]);
    assert.equal(listed.status, 0, listed.stderr);
    const runs = JSON.parse(listed.stdout) as RunListing[];
    const byId = new Map(runs.map((r) => [r.id, r]));
    const view = openStore(store, { mustExist: true, readonly: true });
    try {
      // bench: the best candidate of the task and its mean test rmse, from the stored trials
      const trials = view.listTrials(runA).filter((t) => t.status === "done");
      const means = new Map<string, number>();
      for (const candidate of ["relu", "tanh"]) {
        const values = trials.filter((t) => t.candidate === candidate).map((t) => t.testMetric!);
        assert.equal(values.length, 2);
        means.set(candidate, (values[0]! + values[1]!) / 2);
      }
      const best = [...means].sort((x, y) => x[1] - y[1])[0]!;
      const a = byId.get(runA)!;
      assert.equal(a.name, "a.yaml");
      assert.equal(a.engine, "jax/wasm");
      assert.equal(a.headline, `best ${best[0]}: test rmse ${best[1].toPrecision(4)} on toy/xy`);
      // fit: the last phase's test rmse, as the fit printed it
      const fit = byId.get(fitRun)!;
      const phases = view.listFitPhases(fitRun);
      assert.equal(fit.name, "line.yaml");
      assert.equal(fit.engine, "jax/wasm");
      assert.equal(
        fit.headline,
        `test rmse ${phases[0]!.testMetric!.toExponential(3)} after 1 phase(s)`,
      );
    } finally {
      view.close();
    }
    // the fit's phases and curve travel with its export
    const exported = cli(["runs", "export", fitRun]);
    assert.equal(exported.status, 0, exported.stderr);
    const json = JSON.parse(exported.stdout) as { fitPhases: unknown[]; fitEpochs: unknown[] };
    const again = openStore(store, { mustExist: true, readonly: true });
    try {
      assert.deepEqual(json.fitPhases, again.listFitPhases(fitRun));
      assert.equal(json.fitEpochs.length, 5);
    } finally {
      again.close();
    }
    const text = cli(["runs", "ls"]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout + text.stderr, /NAME\s+ENGINE\s+STATUS.*HEADLINE/);
    assert.match(
      text.stdout + text.stderr,
      new RegExp(`${fitRun}\\s+fit\\s+line\\.yaml\\s+jax/wasm\\s+done`),
    );
  });

  it("runs compare puts two bench runs side by side with 95% intervals", () => {
    const compared = cli(["runs", "compare", runA, runB, "--json"]);
    assert.equal(compared.status, 0, compared.stderr);
    const c = JSON.parse(compared.stdout) as RunComparison;
    assert.equal(c.a.id, runA);
    assert.equal(c.b.id, runB);
    assert.deepEqual(
      c.tasks.map((t) => [t.task, t.metric]),
      [["toy/xy", "rmse"]],
    );
    const rows = new Map(c.tasks[0]!.rows.map((r) => [r.candidate, r]));
    assert.deepEqual([...rows.keys()].sort(), ["relu", "silu", "tanh"]);
    assert.equal(rows.get("tanh")!.b, null, "tanh is only in A");
    assert.equal(rows.get("silu")!.a, null, "silu is only in B");
    const view = openStore(store, { mustExist: true, readonly: true });
    try {
      const values = view
        .listTrials(runA)
        .filter((t) => t.candidate === "relu")
        .map((t) => t.testMetric!);
      const mean = (values[0]! + values[1]!) / 2;
      // n = 2: sd = |x1 − x2|/√2, so the half-width is t·|x1 − x2|/2
      const half = (T_975_DF1 * Math.abs(values[0]! - values[1]!)) / 2;
      const relu = rows.get("relu")!;
      assert.equal(relu.a!.n, 2);
      assert.ok(Math.abs(relu.a!.mean - mean) <= 1e-12 * Math.abs(mean));
      assert.ok(Math.abs(relu.a!.ci95! - half) <= 1e-6 * half, `${relu.a!.ci95} vs ${half}`);
      // the same trials (task, candidate, seed) in both runs train alike: the same numbers
      assert.deepEqual(relu.b, relu.a);
    } finally {
      view.close();
    }
    const text = cli(["runs", "compare", runA, runB]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /toy\/xy — test rmse, mean ± 95% CI over seeds, lower is better/);
    assert.match(text.stdout, /relu\s+\S+ ± \S+ \(n=2\)\s+\S+ ± \S+ \(n=2\)\s+0\.00/);
  });

  it("a fit and a bench share no task: each is listed as its own", () => {
    const compared = cli(["runs", "compare", fitRun, runA, "--json"]);
    assert.equal(compared.status, 0, compared.stderr);
    const c = JSON.parse(compared.stdout) as RunComparison;
    assert.deepEqual(c.tasks, []);
    assert.deepEqual(c.onlyA, ["2*x1 - x2"]);
    assert.deepEqual(c.onlyB, ["toy/xy"]);
  });

  it("names an unknown run, and a run with nothing to compare, with exit 2", () => {
    const unknown = cli(["runs", "compare", runA, "r-nope"]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no run 'r-nope'/);
    // a run of a command that records no per-task metrics (as an sr run without them)
    const writable = openStore(store, { mustExist: true });
    const other = writable.createRun({
      command: "sr",
      config: {},
      configHash: "0",
      machine: { cpus: 1, platform: "linux", node: "v0", device: "wasm" },
    });
    writable.finishRun(other, "done");
    writable.close();
    const nothing = cli(["runs", "compare", runA, other]);
    assert.equal(nothing.status, 2);
    assert.match(
      nothing.stderr,
      new RegExp(`run ${other} \\(sr\\) has no finished per-task test metrics`),
    );
    assert.doesNotMatch(nothing.stderr, /\n\s+at /, "no stack trace");
  });
});
