/**
 * `nonlin search` end to end on a tiny config: the report and store, kill -9 and resume (the same
 * search, no finished candidate retrained), bad configs refused before any work, and the held-out
 * headline's statistics on planted data.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import type { BenchResults, TrialResult } from "../src/bench/results.js";
import { parseSearchConfig } from "../src/search/config.js";
import type { HeldoutCandidate } from "../src/search/heldout.js";
import { heldoutHeadline, zooNameOf } from "../src/search/heldout.js";
import type { SearchResults } from "../src/search/results.js";
import { openStore } from "../src/store/index.js";
import { killWhenDone } from "./support/kill-when-done.js";

const main = join(import.meta.dirname, "../src/cli/main.ts");
const cli = (args: string[], store: string) =>
  spawnSync(
    process.execPath,
    ["--import", "tsx", main, "search", ...args, "--store", store, "--workers", "1"],
    {
      encoding: "utf8",
      timeout: 300_000,
    },
  );

const TINY = {
  name: "tiny",
  budget: 3,
  population: 2,
  sample: 2,
  fitness: {
    tasks: ["relu-kan/sin-pi-x"],
    seeds: 1,
    params: 100,
    training: { epochs: 4, batch_size: 50 },
    rows: { train: 100, val: 50, test: 50 },
  },
  heldout: {
    tasks: ["toy/xy"],
    top_k: 2,
    seeds: 2,
    baselines: ["relu", "silu"],
    eafo: ["relu"],
    rows: { train: 100, val: 50, test: 100 },
  },
};

function writeConfig(dir: string, config: object): string {
  const path = join(dir, "search.yaml");
  writeFileSync(path, stringify(config));
  return path;
}

describe("nonlin search", () => {
  it("runs a search, evaluates the top candidates on held-out tasks and records it all", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-search-"));
    const store = join(dir, "runs.db");
    const out = join(dir, "out");
    const result = cli([writeConfig(dir, TINY), "--json", "--out", out], store);
    assert.equal(result.status, 0, result.stderr);
    const results = JSON.parse(result.stdout) as SearchResults;
    assert.equal(results.outcome.ranking.length, 3, "three candidates trained");
    assert.ok(results.outcome.evaluated.length >= 3);
    assert.match(
      results.headline.text,
      /beat ReLU on the held-out tasks|beats ReLU on the held-out tasks/,
    );
    // baselines, two found candidates and the EAFO variant of ReLU (CRReLU's form)
    assert.deepEqual(
      results.heldoutCandidates.map((c) => c.role),
      ["baseline", "baseline", "found", "found", "eafo"],
    );
    assert.equal(zooNameOf(results.heldoutCandidates[4]!.activation), "crrelu");
    // held-out: 5 candidates × 1 task × 2 seeds
    assert.equal(results.heldout.trials.length, 10);
    for (const file of ["results.json", "report.md", "report.html", "heldout.html"])
      assert.ok(existsSync(join(out, file)), file);
    assert.match(readFileSync(join(out, "report.html"), "utf8"), /id="headline"/);
    const view = openStore(store, { mustExist: true });
    try {
      assert.equal(view.getRun(results.run)?.status, "done");
      // reference 1 + 3 candidates × 1 trial + 10 held-out trials
      assert.equal(view.trialCounts(results.run).done, 14);
    } finally {
      view.close();
    }
  });

  it("kill -9 midway, then --resume: the same search, no finished trial trained twice", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-search-"));
    const config = writeConfig(dir, { ...TINY, budget: 4 });
    // the uninterrupted search, for comparison
    const whole = cli([config, "--json", "--out", join(dir, "whole")], join(dir, "whole.db"));
    assert.equal(whole.status, 0, whole.stderr);
    const expected = JSON.parse(whole.stdout) as SearchResults;

    const store = join(dir, "runs.db");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        main,
        "search",
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
    const runId = await killWhenDone(child, store, 3);
    assert.ok(runId, "the search got going before the kill");
    const before = openStore(store, { mustExist: true });
    const doneBefore = before.listTrials(runId).filter((t) => t.status === "done");
    before.close();

    const resumed = cli([config, "--resume", runId, "--json", "--out", join(dir, "b")], store);
    assert.equal(resumed.status, 0, resumed.stderr);
    const results = JSON.parse(resumed.stdout) as SearchResults;
    // the same search: the same candidates in the same order with the same fitness
    assert.deepEqual(
      results.outcome.evaluated.map((e) => [e.hash, e.fitness]),
      expected.outcome.evaluated.map((e) => [e.hash, e.fitness]),
    );
    assert.equal(results.headline.text, expected.headline.text);
    const after = openStore(store, { mustExist: true });
    try {
      const trials = after.listTrials(runId);
      for (const early of doneBefore) {
        const now = trials.find((t) => t.trialId === early.trialId)!;
        assert.equal(now.attempts, 1, `${now.candidate} trained once`);
        assert.equal(now.finished, early.finished);
      }
      assert.ok(trials.every((t) => t.status === "done"));
    } finally {
      after.close();
    }
  });

  it("with `parallel` candidates in flight, the same search on 1 worker and on a pool of 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-search-"));
    const config = writeConfig(dir, { ...TINY, budget: 4, parallel: 2 });
    const run = (workers: string) => {
      const result = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          main,
          "search",
          config,
          "--json",
          "--workers",
          workers,
          "--store",
          join(dir, `w${workers}.db`),
          "--out",
          join(dir, `w${workers}`),
        ],
        { encoding: "utf8", timeout: 300_000 },
      );
      assert.equal(result.status, 0, result.stderr);
      return JSON.parse(result.stdout) as SearchResults;
    };
    const one = run("1");
    const two = run("2");
    assert.equal(one.outcome.ranking.length, 4, "the budget is spent exactly");
    assert.deepEqual(
      two.outcome.evaluated.map((e) => [e.hash, e.fitness]),
      one.outcome.evaluated.map((e) => [e.hash, e.fitness]),
    );
    assert.equal(two.headline.text, one.headline.text);
  });

  it("searches EvoNorm-style graphs as the normalisation-activation layer of a small conv net", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-search-"));
    const config = writeConfig(dir, {
      name: "tiny-graphs",
      space: "graphs",
      budget: 2,
      population: 2,
      sample: 2,
      rejection: { quality: false },
      fitness: {
        tasks: [{ name: "image/mnist", train: 200, val: 100, test: 100 }],
        architectures: [{ kind: "conv", filters: 4 }],
        seeds: 1,
        training: { epochs: 2, batch_size: 50 },
      },
      heldout: {
        tasks: [{ name: "image/fashion-mnist", train: 200, val: 100, test: 100 }],
        top_k: 1,
        seeds: 2,
        baselines: ["relu"],
      },
    });
    const result = cli([config, "--json", "--out", join(dir, "out")], join(dir, "runs.db"));
    assert.equal(result.status, 0, result.stderr);
    const results = JSON.parse(result.stdout) as SearchResults;
    assert.equal(results.outcome.ranking.length, 2);
    // the graphs use batch or instance statistics: not pointwise activations
    assert.ok(results.outcome.ranking.every((c) => /\b(mean|var|std|rms|amax)\(/.test(c.text)));
    // held-out: ReLU and found-1 in the conv net on Fashion-MNIST, 2 seeds each
    assert.equal(results.heldout.trials.length, 4);
    const relu = results.heldout.trials.find((t) => t.candidate === "relu")!;
    // conv2d 1→4 channels 3×3: 4·9 + 4 = 40; pool 26×26 → 13×13; dense 13·13·4 → 10: 6760 + 10
    assert.equal(relu.params, 40 + 6770);
  });

  it("searches KAN basis sets as selectable KAN layers, held out beside MLP and KAN baselines", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-search-"));
    const universe = ["bspline", "fourier", "polynomial", "silu"];
    const config = writeConfig(dir, {
      ...TINY,
      name: "tiny-basis",
      space: "kan_basis",
      start_from: ["fourier+bspline"],
      kan_basis: { universe, max_spaces: 2, layer: { grid_size: 4 } },
      heldout: { ...TINY.heldout, eafo: [] },
    });
    const store = join(dir, "runs.db");
    const result = cli([config, "--json", "--out", join(dir, "out")], store);
    assert.equal(result.status, 0, result.stderr);
    const results = JSON.parse(result.stdout) as SearchResults;
    const { evaluated } = results.outcome;
    assert.equal(results.outcome.ranking.length, 3);
    // the start set comes first, in the universe's order; every set is new and of 1–2 spaces
    assert.equal(evaluated[0]!.text, "bspline+fourier");
    assert.equal(new Set(evaluated.map((e) => e.text)).size, evaluated.length);
    for (const e of evaluated) {
      assert.equal(e.kind, "kan_basis");
      const spaces = e.text.split("+");
      assert.ok(spaces.length >= 1 && spaces.length <= 2, e.text);
      assert.ok(
        spaces.every((name) => universe.includes(name)),
        e.text,
      );
      assert.equal(e.complexity, spaces.length);
      // no rejection stage or proxy judges a basis set
      assert.equal(e.proxies, undefined);
      assert.equal(e.seconds.screening, 0);
    }
    assert.deepEqual(
      results.heldoutCandidates.map((c) => [c.name, c.role, c.kind ?? "activation"]),
      [
        ["relu", "baseline", "activation"],
        ["silu", "baseline", "activation"],
        ["kan[bspline]", "baseline", "kan_basis"],
        ["kan[bspline+fourier+polynomial+silu]", "baseline", "kan_basis"],
        ["found-1", "found", "kan_basis"],
        ["found-2", "found", "kan_basis"],
      ],
    );
    assert.match(results.headline.text, /the ReLU MLP/);
    assert.match(results.headline.text, /Against kan\[bspline\] \(KAN over \{bspline\}\)/);
    const html = readFileSync(join(dir, "out", "report.html"), "utf8");
    assert.match(html, /found-1: layer spec/);

    // the held-out trials of found-1 are exactly a `nonlin bench` of its selectable KAN layer at
    // the same parameter budget (same per-trial seeds, so the same metrics to the last bit)
    const found = results.heldoutCandidates.find((c) => c.name === "found-1")!;
    const bench = {
      name: "check",
      tasks: ["toy/xy"],
      candidates: [
        {
          name: "found-1",
          layer: { grid_size: 4, type: "kan_selectable", spaces: found.activation.split("+") },
        },
      ],
      seeds: 2,
      fairness: { mode: "params", budget: 100 },
      network: { depth: 1, width: 16 },
      training: { ...results.config.fitness.training },
      rows: { train: 100, val: 50, test: 100 },
    };
    const benchFile = join(dir, "bench.yaml");
    writeFileSync(benchFile, stringify(bench));
    const direct = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        main,
        "bench",
        benchFile,
        "--json",
        "--workers",
        "1",
        "--store",
        join(dir, "b.db"),
        "--out",
        join(dir, "bench"),
      ],
      { encoding: "utf8", timeout: 300_000 },
    );
    assert.equal(direct.status, 0, direct.stderr);
    const benchResults = JSON.parse(direct.stdout) as BenchResults;
    const searched = results.heldout.trials.filter((t) => t.candidate === "found-1");
    assert.equal(searched.length, 2);
    for (const trial of searched) {
      const twin = benchResults.trials.find((t) => t.seedIndex === trial.seedIndex)!;
      assert.equal(trial.params, twin.params);
      assert.ok(trial.params <= 100, `params ${trial.params} within the budget`);
      assert.equal(trial.test.metric, twin.test.metric);
    }
  });

  it("refuses a bad kan_basis config, naming the field", () => {
    const base = { ...TINY, space: "kan_basis" };
    const cases: [object, RegExp][] = [
      [
        { kan_basis: { universe: ["bspline", "splines"] } },
        /kan_basis\.universe: unknown space 'splines'/,
      ],
      [
        { kan_basis: { layer: { spaces: ["rbf"] } } },
        /kan_basis\.layer\.spaces: set by the search/,
      ],
      [{ kan_basis: { layer: { grid_size: 0 } } }, /kan_basis\.layer\.grid_size: /],
      [
        { kan_basis: { baselines: [["bspline", "nope"]] } },
        /kan_basis\.baselines\[0\]: unknown space 'nope'/,
      ],
      [{ start_from: ["bspline+nope"] }, /start_from\[0\]: .*unknown: nope/],
      [
        { fitness: { ...TINY.fitness, architectures: [{ kind: "conv" }] } },
        /fitness\.architectures\[0\]\.kind: a conv net takes an activation/,
      ],
    ];
    for (const [change, message] of cases)
      assert.throws(() => parseSearchConfig({ ...base, ...change }), message);
    // through the CLI: exit 2, the field named, no store written
    const dir = mkdtempSync(join(tmpdir(), "nonlin-search-"));
    const store = join(dir, "runs.db");
    const bad = cli(
      [writeConfig(dir, { ...base, kan_basis: { universe: ["bspline", "splines"] } })],
      store,
    );
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /kan_basis\.universe: unknown space 'splines'/);
    assert.equal(existsSync(store), false);
  });

  it("exits 2 on an unknown held-out task or a bad field, before any work", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-search-"));
    const store = join(dir, "runs.db");
    const bad = cli(
      [writeConfig(dir, { ...TINY, heldout: { ...TINY.heldout, tasks: ["toy/nope"] } })],
      store,
    );
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /tasks\[0\]: unknown task 'toy\/nope'/);
    const field = cli([writeConfig(dir, { ...TINY, budgte: 3 })], store);
    assert.equal(field.status, 2);
    assert.match(field.stderr, /budgte: unknown field/);
    const parallel = cli([writeConfig(dir, TINY), "--parallel", "0"], store);
    assert.equal(parallel.status, 2);
    assert.match(parallel.stderr, /--parallel: expected a positive integer, got '0'/);
    assert.equal(existsSync(store), false, "no store written");
  });
});

describe("held-out headline", () => {
  const trial = (candidate: string, task: string, seedIndex: number, metric: number) =>
    ({ candidate, task, seedIndex, test: { metric } }) as unknown as TrialResult;
  const results = (trials: TrialResult[]) =>
    ({
      tasks: [
        { name: "a", metric: "rmse" },
        { name: "b", metric: "accuracy" },
      ],
      trials,
    }) as unknown as BenchResults;
  const candidates: HeldoutCandidate[] = [
    { name: "relu", activation: "relu", role: "baseline", zooName: "relu" },
    { name: "found-1", activation: "x*tanh(x)+x", role: "found" },
    { name: "found-2", activation: "x*sigmoid(x)", role: "found", zooName: "silu" },
  ];

  it("names a discovered activation that is better on every pair, and never a zoo entry", () => {
    const trials: TrialResult[] = [];
    for (let s = 0; s < 6; s++) {
      trials.push(trial("relu", "a", s, 0.2 + 0.01 * s), trial("relu", "b", s, 0.8));
      // found-1: lower rmse and higher accuracy on all 12 pairs; found-2 (a zoo entry) even better
      trials.push(
        trial("found-1", "a", s, 0.1 + 0.01 * s),
        trial("found-1", "b", s, 0.85 + 0.001 * s),
      );
      trials.push(trial("found-2", "a", s, 0.05), trial("found-2", "b", s, 0.9));
    }
    const headline = heldoutHeadline(results(trials), candidates);
    const found1 = headline.verdicts.find((v) => v.candidate === "found-1")!;
    assert.equal(found1.pairs, 12);
    // 12 pairs all in favour: exact two-sided p = 2/2^12; Holm over 2 comparisons doubles it
    assert.ok(Math.abs(found1.pValue - 2 / 4096) < 1e-12);
    assert.ok(Math.abs(found1.pHolm - 4 / 4096) < 1e-12);
    assert.equal(headline.winner, "found-1");
    assert.match(headline.text, /^found-1 = x\*tanh\(x\)\+x \(not in the zoo\) beats ReLU/);
  });

  it("says plainly when no discovered activation beats ReLU", () => {
    const trials: TrialResult[] = [];
    for (let s = 0; s < 6; s++) {
      trials.push(trial("relu", "a", s, 0.2), trial("relu", "b", s, 0.8));
      trials.push(trial("found-1", "a", s, s % 2 ? 0.19 : 0.21), trial("found-1", "b", s, 0.8));
      trials.push(trial("found-2", "a", s, 0.3), trial("found-2", "b", s, 0.7));
    }
    const headline = heldoutHeadline(results(trials), candidates);
    assert.equal(headline.winner, undefined);
    assert.match(headline.text, /^None of the 2 discovered activation\(s\) beat ReLU/);
    assert.doesNotMatch(headline.text, /No candidate could have/, "12 pairs can reach p < 0.05");
  });

  it("says when too few task×seed pairs were pooled for any candidate to beat ReLU", () => {
    // one seed on each of 2 tasks: 2 pairs, 2 comparisons; the floor 2 · 2/2^2 = 1
    const trials: TrialResult[] = [];
    for (const [task, base, better] of [
      ["a", 0.2, 0.1],
      ["b", 0.8, 0.9],
    ] as const)
      trials.push(
        trial("relu", task, 0, base),
        trial("found-1", task, 0, better),
        trial("found-2", task, 0, better),
      );
    const headline = heldoutHeadline(results(trials), candidates);
    assert.equal(headline.winner, undefined);
    // 7 pairs are the fewest for 2 comparisons (2 · 2/128 < 0.05): 4 seeds on 2 tasks
    assert.match(
      headline.text,
      /^None of the 2 discovered activation\(s\) beat ReLU .*\. No candidate could have: with 2 task×seed pairs and 2 comparisons with ReLU, the smallest Holm-adjusted p is 2 × 2\/2\^2 = 1 \(≥ 0\.05\); run at least 4 held-out seeds \(heldout\.seeds\) on 2 task\(s\)\.$/,
    );
  });
});
