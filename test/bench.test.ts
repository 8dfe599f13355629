/**
 * The fair-comparison protocol end to end: planted differences are detected and absent ones are
 * not, candidate order changes nothing, bad configs are refused before training, a killed run
 * resumes without losing or changing finished trials.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { stringify } from "yaml";
import type { BenchConfigInput } from "../src/bench/config.js";
import { parseBenchConfig } from "../src/bench/config.js";
import { planBench } from "../src/bench/plan.js";
import { PRESET_NAMES, presetConfig } from "../src/bench/presets.js";
import type { BenchResults } from "../src/bench/results.js";
import { runBench } from "../src/bench/run.js";
import { trialSeed } from "../src/bench/seeds.js";
import { familyVerdicts, summarizeTask } from "../src/bench/summary.js";
import { jaxEngine } from "../src/train/jax-engine.js";
import { catalogEntry } from "../src/data/node/catalog.js";
import { startEngine } from "../src/engine/index.js";
import { openStore } from "../src/store/index.js";
import { killWhenDone } from "./support/kill-when-done.js";

const makeTaskOf = (plan: ReturnType<typeof planBench>) => (t: number, seed: number) =>
  catalogEntry(plan.tasks[t]!.entry.name).make({ ...plan.tasks[t]!.request, seed });

function run(input: BenchConfigInput): Promise<BenchResults> {
  const plan = planBench(parseBenchConfig(input));
  return runBench(jaxEngine, plan, makeTaskOf(plan));
}

const SMALL: Partial<BenchConfigInput> = {
  rows: { train: 200, val: 100, test: 200 },
  training: { optimizer: { name: "adam", lr: 1e-2 }, epochs: 12, batch_size: 50, patience: 0 },
  network: { depth: 1, width: 8 },
  fairness: { mode: "none" },
};

before(async () => {
  await startEngine("wasm");
});

describe("bench statistics on real trials", () => {
  it("detects a planted difference: an MLP against the same MLP whose hidden layer outputs 0", async () => {
    // `0*x` zeroes every hidden unit, so that network can only learn a constant: worse by construction
    const results = await run({
      ...SMALL,
      tasks: ["relu-kan/sin-pi-x"],
      candidates: [
        { name: "tanh", activation: "tanh" },
        { name: "dead", activation: "0*x" },
      ],
      baseline: "dead",
      seeds: 6,
    });
    const tanh = results.summaries.find((s) => s.candidate === "tanh")!;
    const dead = results.summaries.find((s) => s.candidate === "dead")!;
    assert.ok(tanh.mean < dead.mean, `tanh ${tanh.mean} vs dead ${dead.mean}`);
    assert.equal(tanh.n, 6);
    // six paired seeds, all in favour: the exact two-sided p is 2/2^6
    assert.ok(Math.abs(tanh.vsBaseline!.pValue - 2 / 64) < 1e-12, `p ${tanh.vsBaseline!.pValue}`);
    assert.equal(tanh.vsBaseline!.better, true);
    assert.equal(tanh.vsBaseline!.significant, true);
    assert.ok(tanh.ci95[1] < dead.ci95[0], "the confidence intervals separate");
  });

  it("finds no difference between two networks that differ only in their random draws", async () => {
    // an identity layer in front changes how the init key is split, not what can be learnt
    const model = (extra: boolean) => [
      ...(extra ? [{ type: "activation", fn: "x" }] : []),
      { type: "dense", units: 8, activation: "tanh" },
      { type: "dense", units: "outputs" },
    ];
    const results = await run({
      ...SMALL,
      tasks: ["relu-kan/sin-pi-x"],
      candidates: [
        { name: "a", model: model(false) },
        { name: "b", model: model(true) },
      ],
      seeds: 8,
    });
    const b = results.summaries.find((s) => s.candidate === "b")!;
    assert.ok(b.vsBaseline!.pValue > 0.05, `p ${b.vsBaseline!.pValue}`);
    assert.equal(b.vsBaseline!.significant, false);
  });

  it("gives the same result for every trial whatever the order of candidates and tasks", async () => {
    const candidates = [
      { name: "relu", activation: "relu" },
      { name: "tanh", activation: "tanh" },
      { name: "kan", layer: { type: "kan_chebyshev", degree: 3 } },
    ];
    const tasks = ["relu-kan/sin-pi-x", "toy/xy"];
    const base = { ...SMALL, seeds: 2, fairness: { mode: "params" as const, budget: 60 } };
    const first = await run({ ...base, tasks, candidates });
    const second = await run({
      ...base,
      tasks: [...tasks].reverse(),
      candidates: [candidates[2]!, candidates[0]!, candidates[1]!],
      baseline: "relu",
    });
    assert.equal(first.trials.length, 12);
    for (const trial of first.trials) {
      const twin = second.trials.find(
        (t) =>
          t.task === trial.task &&
          t.candidate === trial.candidate &&
          t.seedIndex === trial.seedIndex,
      )!;
      assert.equal(twin.seed, trial.seed);
      assert.equal(twin.width, trial.width);
      assert.equal(
        twin.test.metric,
        trial.test.metric,
        `${trial.task} ${trial.candidate} ${trial.seedIndex}`,
      );
      assert.deepEqual(
        twin.curve.map((p) => p.trainLoss),
        trial.curve.map((p) => p.trainLoss),
      );
    }
  });

  it("sizes every candidate to the parameter budget and reports the realised counts", () => {
    const plan = planBench(
      parseBenchConfig({
        ...SMALL,
        tasks: ["toy/xy"],
        candidates: [{ activation: "relu" }, { layer: { type: "kan", grid_size: 5 } }],
        fairness: { mode: "params", budget: 300 },
      }),
    );
    const [mlp, kan] = plan.cells[0]!;
    // MLP 2→w→1: 2w + w + w + 1 = 4w + 1 ≤ 300 → w = 74 (75 would need 301)
    assert.equal(mlp!.width, 74);
    assert.equal(mlp!.params, 297);
    // pykan KAN edge: G + k coefficients + scale_base + scale_sp = 10; [2, w, 1]: 3w edges → 30w ≤ 300
    assert.equal(kan!.width, 10);
    assert.equal(kan!.params, 300);
  });

  it("plans every preset, full and quick (names exist, budgets feasible)", () => {
    for (const name of PRESET_NAMES)
      for (const quick of [false, true]) {
        const plan = planBench(parseBenchConfig(presetConfig(name, quick)));
        assert.ok(plan.tasks.length >= 3 && plan.candidates.length >= 4, `${name} ${quick}`);
      }
  });

  it("matched training time: no epoch starts after the budget is spent", async () => {
    const results = await run({
      ...SMALL,
      tasks: ["toy/xy"],
      candidates: [{ activation: "tanh" }],
      seeds: 1,
      fairness: { mode: "time", budget: 0.5 },
      training: { epochs: 100000, batch_size: 50, patience: 0 },
    });
    const [trial] = results.trials;
    assert.ok(trial!.epochs > 1 && trial!.epochs < 100000, `epochs ${trial!.epochs}`);
    const trainingSeconds = trial!.epochs * trial!.secondsPerEpoch;
    assert.ok(trainingSeconds >= 0.5, `trained ${trainingSeconds} s`);
    assert.ok(
      trainingSeconds < 0.5 + 5 * trial!.secondsPerEpoch + 0.5,
      `trained ${trainingSeconds} s`,
    );
  });

  it("derives seeds from the task and seed index only", () => {
    assert.equal(trialSeed(0, "toy/xy", 3), trialSeed(0, "toy/xy", 3));
    assert.notEqual(trialSeed(0, "toy/xy", 3), trialSeed(0, "toy/xy", 4));
    assert.notEqual(trialSeed(0, "toy/xy", 3), trialSeed(1, "toy/xy", 3));
    assert.notEqual(trialSeed(0, "toy/xy", 3), trialSeed(0, "relu-kan/sin-pi-x", 3));
  });
});

describe("KAN-vs-MLP verdicts", () => {
  it("compares the best KAN-family candidate with the best MLP per task and decides by majority", () => {
    const task = (
      name: string,
      family: "function-fitting" | "tabular",
      metric: "rmse" | "accuracy",
    ) => ({
      name,
      family,
      kind: metric === "rmse" ? ("regression" as const) : ("classification" as const),
      metric,
      inputShape: [2],
      outputs: 1,
      description: "",
      rows: { train: 1, val: 1, test: 1 },
    });
    const tasks = [
      task("f1", "function-fitting", "rmse"),
      task("f2", "function-fitting", "rmse"),
      task("t1", "tabular", "accuracy"),
    ];
    const candidates = [
      { name: "mlp", kind: "activation" as const, group: "mlp", description: "" },
      { name: "kan-a", kind: "layer" as const, group: "kan", description: "" },
      { name: "kan-b", kind: "layer" as const, group: "kan", description: "" },
    ];
    // test metric per (task, candidate) for seeds 0..5: KAN-b best on f1 and f2 (lower rmse), MLP best on t1
    const metric: Record<string, number[]> = {
      "f1 mlp": [0.5, 0.6, 0.55, 0.52, 0.58, 0.61],
      "f1 kan-a": [0.7, 0.8, 0.75, 0.72, 0.78, 0.81],
      "f1 kan-b": [0.1, 0.2, 0.15, 0.12, 0.18, 0.21],
      "f2 mlp": [0.3, 0.31, 0.32, 0.33, 0.34, 0.35],
      "f2 kan-a": [0.31, 0.3, 0.33, 0.32, 0.35, 0.34],
      "f2 kan-b": [0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
      "t1 mlp": [0.9, 0.91, 0.92, 0.9, 0.93, 0.94],
      "t1 kan-a": [0.8, 0.81, 0.82, 0.8, 0.83, 0.84],
      "t1 kan-b": [0.85, 0.86, 0.87, 0.85, 0.88, 0.89],
    };
    const trials = Object.entries(metric).flatMap(([key, values]) => {
      const [taskName, candidate] = key.split(" ") as [string, string];
      return values.map((value, seedIndex) => ({
        task: taskName,
        candidate,
        seedIndex,
        test: { metric: value },
      }));
    }) as unknown as BenchResults["trials"];
    const summaries = tasks.flatMap((t) => summarizeTask(t, candidates, trials, "mlp"));
    const verdicts = familyVerdicts(tasks, candidates, summaries, trials, "matched parameters")!;
    const fitting = verdicts.find((v) => v.family === "function-fitting")!;
    // f1: kan-b 0.16 < mlp 0.56 (KAN wins, all 6 seeds: p = 2/64); f2: kan-a 0.325 = mlp 0.325: a tie
    assert.equal(fitting.kanWins, 1);
    assert.equal(fitting.mlpWins, 0);
    assert.match(fitting.text, /the KAN family beat MLPs at matched parameters/);
    assert.match(fitting.text, /1 of 2 difference\(s\) significant/);
    const tabular = verdicts.find((v) => v.family === "tabular")!;
    assert.equal(tabular.mlpWins, 1);
    assert.match(tabular.text, /MLPs beat the KAN family/);
    assert.doesNotMatch(tabular.text, /no difference can be significant/);
  });
});

describe("nonlin bench command", () => {
  const storeDir = mkdtempSync(join(tmpdir(), "nonlin-bench-store-"));
  const main = join(import.meta.dirname, "../src/cli/main.ts");
  const cli = (args: string[], store = join(storeDir, "runs.db")) =>
    spawnSync(
      process.execPath,
      ["--import", "tsx", main, ...args, "--store", store, "--workers", "1"],
      {
        encoding: "utf8",
        timeout: 120_000,
      },
    );
  const writeConfig = (dir: string, config: object): string => {
    const path = join(dir, "bench.yaml");
    writeFileSync(path, stringify(config));
    return path;
  };
  const valid = {
    tasks: ["toy/xy"],
    candidates: [{ activation: "relu" }, { activation: "tanh" }],
    seeds: 2,
    fairness: { mode: "params", budget: 100 },
    rows: { train: 100, val: 50, test: 100 },
    training: { epochs: 3, batch_size: 50 },
  };

  for (const [label, change, message] of [
    ["an unknown task", { tasks: ["toy/nope"] }, /tasks\[0\]: unknown task 'toy\/nope'/],
    [
      "an unknown activation",
      { candidates: [{ activation: "relu" }, { activation: "frobnicate" }] },
      /candidates\[1\]\.activation: .*frobnicate/,
    ],
    [
      "a budget no width can meet",
      { fairness: { mode: "params", budget: 3 } },
      /fairness\.budget: no width meets 3 parameters for candidate 'relu' on toy\/xy \(width 1 already needs 5\)/,
    ],
    ["an unknown field", { epochs: 3 }, /epochs: unknown field/],
  ] as const) {
    it(`exits 2 on ${label}, naming it, before any training or output`, () => {
      const dir = mkdtempSync(join(tmpdir(), "nonlin-bench-"));
      const out = join(dir, "out");
      const store = join(dir, "runs.db");
      const result = cli(["bench", writeConfig(dir, { ...valid, ...change }), "--out", out], store);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
      assert.equal(existsSync(out), false, "no output folder");
      assert.equal(existsSync(store), false, "no store");
    });
  }

  it("exits 2 on a store path in a missing folder and on a store that is not SQLite", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-bench-"));
    const config = writeConfig(dir, valid);
    const missing = cli(["bench", config], join(dir, "nope", "runs.db"));
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /directory .*nope does not exist/);
    const notSqlite = join(dir, "text.db");
    writeFileSync(notSqlite, "just some text, long enough to be read as a header of a file\n");
    const garbage = cli(["bench", config], notSqlite);
    assert.equal(garbage.status, 2, garbage.stderr);
    assert.match(garbage.stderr, /text\.db/);
    assert.equal(
      readFileSync(notSqlite, "utf8").startsWith("just some text"),
      true,
      "file untouched",
    );
  });

  it("kill -9 midway, then --resume: finished trials are kept and never retrained", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-bench-"));
    const store = join(dir, "runs.db");
    const config = writeConfig(dir, {
      ...valid,
      seeds: 3,
      rows: { train: 400, val: 100, test: 100 },
      training: { epochs: 40, batch_size: 40 },
    });
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        main,
        "bench",
        config,
        "--store",
        store,
        "--workers",
        "1",
        "--out",
        join(dir, "a"),
      ],
      { stdio: "ignore" },
    );
    const runId = await killWhenDone(child, store, 2);
    assert.ok(runId, "two trials were recorded before the kill");
    const before = openStore(store, { mustExist: true });
    const doneBefore = before.listTrials(runId).filter((t) => t.status === "done");
    const total = before.listTrials(runId).length;
    before.close();
    assert.equal(total, 6);
    assert.ok(
      doneBefore.length >= 2 && doneBefore.length < 6,
      `${doneBefore.length} done at the kill`,
    );

    const resumed = cli(
      ["bench", config, "--resume", runId, "--json", "--out", join(dir, "b")],
      store,
    );
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(
      resumed.stderr,
      new RegExp(`resuming ${runId}: ${doneBefore.length} trial\\(s\\) already done`),
    );
    const results = JSON.parse(resumed.stdout) as BenchResults;
    assert.equal(results.trials.length, 6);
    const after = openStore(store, { mustExist: true });
    try {
      const trials = after.listTrials(runId);
      assert.ok(trials.every((t) => t.status === "done"));
      for (const early of doneBefore) {
        const now = trials.find((t) => t.trialId === early.trialId)!;
        // trained once: same attempt count and the same finishing time as before the kill
        assert.equal(now.attempts, 1);
        assert.equal(now.finished, early.finished);
      }
      assert.equal(after.getRun(runId)?.status, "done");
      // a second resume finds nothing to do
      const again = cli(
        ["bench", config, "--resume", runId, "--json", "--out", join(dir, "c")],
        store,
      );
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stderr, /6 trial\(s\) already done/);
      assert.match(again.stderr, /0 to run/);
    } finally {
      after.close();
    }
    // a resume with another config is refused
    const other = writeConfig(dir, { ...valid, seeds: 4 });
    const refused = cli(["bench", other, "--resume", runId], store);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /--resume: run .* was started with another config/);
  });

  it("writes results.json, report.md and report.html and records them in the store", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-bench-"));
    const store = join(dir, "runs.db");
    const out = join(dir, "out");
    const result = cli(["bench", writeConfig(dir, valid), "--out", out, "--json"], store);
    assert.equal(result.status, 0, result.stderr);
    const results = JSON.parse(result.stdout) as BenchResults & { run: string };
    assert.equal(results.trials.length, 4);
    const onDisk = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as BenchResults;
    assert.deepEqual(onDisk.summaries, results.summaries);
    const view = openStore(store, { mustExist: true });
    try {
      assert.deepEqual(
        view
          .listArtifacts(results.run)
          .map((a) => a.kind)
          .sort(),
        ["report-html", "report-md", "results"],
      );
      assert.equal(view.finishedTrials(results.run).size, 4);
    } finally {
      view.close();
    }
  });
});
