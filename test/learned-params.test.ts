import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { summarizeLearned } from "../src/bench/learned-summary.js";
import type { BenchResults, TrialResult } from "../src/bench/results.js";
import { learnedShapes } from "../src/report/bench-learned.js";
import { learnedShapeSvg } from "../src/report/learned-shape.js";
import { openStore } from "../src/store/index.js";
import type { LearnedActivationParam } from "../src/train/learned-activations.js";
import { decodeSafetensors } from "../src/train/safetensors.js";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

const nonlin = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
  });

describe("nonlin fit: learned activation parameters", { timeout: 120_000 }, () => {
  it("prints and gives in --json the values the checkpoint holds", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-learned-fit-"));
    const spec = join(dir, "fit.json");
    writeFileSync(
      spec,
      JSON.stringify({
        task: { type: "formula", formula: "sin(x1) * x2", train: 200, val: 50, test: 100, seed: 0 },
        model: {
          dtype: "float32",
          seed: 3,
          layers: [
            { type: "dense", units: 8, activation: "x * sigmoid(beta * x) where beta = 1.5" },
            { type: "dense", units: 4, activation: "a * x where a = 1 per_channel" },
            { type: "dense", units: 1 },
          ],
        },
        phases: [{ kind: "gradient", epochs: 4, batch_size: 50 }],
      }),
    );
    const out = join(dir, "out");
    const run = nonlin("fit", spec, "--store", join(dir, "runs.db"), "--out", out, "--json");
    assert.equal(run.status, 0, run.stderr);
    const { learned } = JSON.parse(run.stdout) as { learned: LearnedActivationParam[] };
    const { tensors } = decodeSafetensors(readFileSync(join(out, "weights.safetensors")));
    const beta = tensors["layers.0.params.act.beta"]!;
    const slopes = tensors["layers.1.params.act.a"]!;
    assert.deepEqual(
      learned.map((p) => [p.name, p.sharing, p.initial]),
      [
        ["layers[0].act.beta", "scalar", 1.5],
        ["layers[1].act.a", "per_channel", 1],
      ],
    );
    const [b, a] = learned as [LearnedActivationParam, LearnedActivationParam];
    assert.deepEqual(b.values, [beta.data[0]]);
    assert.equal(b.mean, beta.data[0]);
    assert.notEqual(b.mean, 1.5, "β moved in training");
    assert.deepEqual(a.values, Array.from(slopes.data));
    assert.deepEqual(a.shape, [4]);
    const slopeValues = Array.from(slopes.data);
    assert.equal(a.min, Math.min(...slopeValues));
    assert.equal(a.max, Math.max(...slopeValues));
    assert.ok(Math.abs(a.mean - slopeValues.reduce((s, v) => s + v, 0) / 4) < 1e-15);
    // the human lines (stderr under --json) show the same numbers
    assert.ok(
      run.stderr.includes(
        `layers[0].act.beta (dense activation, scalar): 1.50000 → ${beta.data[0]!.toPrecision(6)}`,
      ),
      run.stderr,
    );
    assert.match(
      run.stderr,
      /layers\[1\]\.act\.a \(dense activation, per_channel \[4\]\): 1\.00000 → mean /,
    );
    // results.json of --out carries them too
    const saved = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as {
      learned: LearnedActivationParam[];
    };
    assert.deepEqual(saved.learned, learned);
  });
});

describe("nonlin bench: learned activation parameters", { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "nonlin-learned-bench-"));
  const store = join(dir, "runs.db");
  const out = join(dir, "out");
  let run: string;
  let results: BenchResults;

  before(() => {
    const config = join(dir, "bench.json");
    writeFileSync(
      config,
      JSON.stringify({
        name: "learned",
        tasks: ["toy/xy"],
        candidates: [
          { activation: "swish" },
          { activation: "relu" },
          { activation: "x * sigmoid(beta * x) where beta = 1.5 per_channel" },
        ],
        seeds: 2,
        rows: { train: 60, val: 20, test: 20 },
        training: { epochs: 3, batch_size: 20 },
        network: { width: 4 },
        fairness: { mode: "none" },
      }),
    );
    const bench = nonlin(
      "bench",
      config,
      "--workers",
      "1",
      "--store",
      store,
      "--out",
      out,
      "--json",
    );
    assert.equal(bench.status, 0, bench.stderr);
    run = (JSON.parse(bench.stdout) as { run: string }).run;
    results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as BenchResults;
  });

  it("stores each trial's learned values and summarises them as mean ± sd over seeds", () => {
    const opened = openStore(store);
    let stored: TrialResult[];
    try {
      stored = [...opened.finishedTrials(run).values()];
    } finally {
      opened.close();
    }
    assert.equal(stored.length, 6);
    const learnedOf = (candidate: string): LearnedActivationParam[] =>
      stored
        .filter((t) => t.candidate === candidate)
        .sort((a, b) => a.seedIndex - b.seedIndex)
        .flatMap((t) => t.learned ?? []);
    assert.equal(learnedOf("relu").length, 0);
    for (const candidate of ["swish", "x * sigmoid(beta * x) where beta = 1.5 per_channel"]) {
      const perSeed = learnedOf(candidate);
      assert.equal(perSeed.length, 2, candidate);
      assert.ok(perSeed.every((p) => p.name === "layers[0].act.beta"));
      // per channel: a trial's value is the mean of its channels
      for (const p of perSeed)
        assert.ok(Math.abs(p.mean - p.values.reduce((s, v) => s + v, 0) / p.values.length) < 1e-12);
      const [x1, x2] = perSeed.map((p) => p.mean) as [number, number];
      const mean = (x1 + x2) / 2;
      const sd = Math.abs(x1 - x2) / Math.SQRT2; // sample sd of two values
      const summary = results.summaries.find((s) => s.candidate === candidate)!;
      assert.equal(summary.learned?.length, 1);
      const [learned] = summary.learned!;
      assert.equal(learned!.n, 2);
      assert.ok(Math.abs(learned!.mean - mean) < 1e-12, `${learned!.mean} vs ${mean}`);
      assert.ok(Math.abs(learned!.sd - sd) < 1e-12, `${learned!.sd} vs ${sd}`);
      assert.equal(learned!.min, Math.min(...perSeed.flatMap((p) => p.values)));
      assert.equal(learned!.max, Math.max(...perSeed.flatMap((p) => p.values)));
      assert.ok(sd > 0, "the two seeds learned different values");
      // results.json's trials are the store's
      const written = results.trials
        .filter((t) => t.candidate === candidate)
        .sort((a, b) => a.seedIndex - b.seedIndex)
        .flatMap((t) => t.learned ?? []);
      assert.deepEqual(written, perSeed);
    }
    assert.equal(results.summaries.find((s) => s.candidate === "relu")!.learned, undefined);
    assert.deepEqual(
      results.summaries.find((s) => s.candidate === "swish")!.learned!.map((p) => p.initial),
      [1],
    );
  });

  it("report.md and report.html show the table and the same learned-shape plots", () => {
    const markdown = readFileSync(join(out, "report.md"), "utf8");
    const html = readFileSync(join(out, "report.html"), "utf8");
    const swish = results.summaries.find((s) => s.candidate === "swish")!.learned![0]!;
    const fmt = (v: number) => v.toPrecision(4);
    assert.ok(
      markdown.includes(
        `| toy/xy | swish | layers[0].act.beta | scalar | 1.000 | ${fmt(swish.mean)} ± ${fmt(swish.sd)} |`,
      ),
      markdown,
    );
    const images = [...markdown.matchAll(/!\[[^\]]*\]\(data:image\/svg\+xml;base64,([^)]+)\)/g)];
    assert.equal(images.length, 2, "one plot per candidate with a learned parameter");
    const svgs = images.map(([, data]) => Buffer.from(data!, "base64").toString("utf8"));
    const section = html.slice(html.indexOf('<section id="learned">'));
    for (const svg of svgs) assert.ok(section.includes(svg), "the HTML page has the same plot");
    // initial (dashed) and the learned line: two curves, the legend names the learned β
    assert.equal(svgs[0]!.match(/<polyline\b/g)?.length, 2);
    assert.ok(svgs[0]!.includes(`learned layers[0]: beta = ${swish.mean.toPrecision(4)}`));
    assert.ok(svgs[0]!.includes("initial: beta = 1.000"));
  });

  it("renders the learned section in headless Chromium", () => {
    assert.ok(
      existsSync(CHROMIUM),
      `headless Chromium is required for this test but ${CHROMIUM} does not exist: ` +
        `install the Debian package 'chromium' (CI does) or set CHROMIUM to its path`,
    );
    const dom = execFileSync(
      CHROMIUM,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        `--user-data-dir=${join(dir, "profile")}`,
        "--dump-dom",
        `file://${join(out, "report.html")}`,
      ],
      { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "ignore"] },
    );
    const section = /<section id="learned">([\s\S]*?)<\/section>/.exec(dom)?.[1] ?? "";
    assert.equal(section.match(/<svg\b/g)?.length, 2);
    assert.equal(section.match(/<table[^>]*data-sortable="ready"/g)?.length, 1);
    assert.equal(section.match(/<tr\b/g)?.length, 1 + 2);
  });
});

describe("learned activation parameters: jax and torch agree", { timeout: 300_000 }, () => {
  // 1e-6 relative: the engines' float64 bound where transcendental functions are involved
  // (jax-js's float64 sigmoid and exp are accurate to about 1e-7; test/torch-parity.test.ts)
  it("a learnable Swish β and a per-channel CRReLU ε per trial, and their summaries, to 1e-6", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-learned-engines-"));
    const config = join(dir, "bench.json");
    writeFileSync(
      config,
      JSON.stringify({
        name: "learned-engines",
        tasks: ["toy/xy"],
        candidates: [
          { activation: "swish" },
          { activation: "relu(x) + eps * x * exp(-x^2 / 2) where eps = 0.3 per_channel" },
        ],
        seeds: 2,
        dtype: "float64",
        rows: { train: 60, val: 20, test: 20 },
        training: { epochs: 3, batch_size: 20 },
        network: { width: 4 },
        fairness: { mode: "none" },
      }),
    );
    const [jax, torch] = ["jax", "torch"].map((engine) => {
      const out = join(dir, engine);
      const bench = nonlin(
        "bench",
        config,
        "--engine",
        engine,
        "--workers",
        "1",
        "--store",
        join(dir, "runs.db"),
        "--out",
        out,
      );
      assert.equal(bench.status, 0, bench.stderr);
      return JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as BenchResults;
    }) as [BenchResults, BenchResults];
    assert.equal(torch.machine.engine, "torch");
    const key = (t: TrialResult) => `${t.candidate}#${t.seedIndex}`;
    const torchTrials = new Map(torch.trials.map((t) => [key(t), t]));
    let largest = 0;
    const close = (a: number, b: number, what: string) => {
      largest = Math.max(largest, Math.abs(a - b));
      assert.ok(
        Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a)),
        `${what}: jax ${a}, torch ${b}`,
      );
    };
    for (const trial of jax.trials) {
      const other = torchTrials.get(key(trial))!;
      const [mine, theirs] = [trial.learned!, other.learned!];
      assert.equal(mine.length, 1, key(trial));
      assert.deepEqual(
        theirs.map((p) => [p.name, p.shape]),
        mine.map((p) => [p.name, p.shape]),
      );
      assert.notEqual(mine[0]!.mean, mine[0]!.initial, `${key(trial)}: the parameter moved`);
      mine[0]!.values.forEach((v, i) => close(v, theirs[0]!.values[i]!, `${key(trial)}[${i}]`));
    }
    for (const summary of jax.summaries) {
      const other = torch.summaries.find((s) => s.candidate === summary.candidate)!;
      close(summary.learned![0]!.mean, other.learned![0]!.mean, `${summary.candidate} mean`);
      close(summary.learned![0]!.sd, other.learned![0]!.sd, `${summary.candidate} sd`);
    }
    t.diagnostic(
      `largest |jax − torch| of a learned value or statistic: ${largest.toExponential(2)}`,
    );
  });
});

describe("learned parameters over seeds (hand-built trials)", () => {
  const param = (name: string, values: number[], parameter = "beta"): LearnedActivationParam => ({
    name,
    layer: Number(/^layers\[(\d+)\]/.exec(name)![1]),
    layerType: "kan_af",
    field: "function",
    activation: "x * sigmoid(beta * x) where beta = 1",
    parameter,
    sharing: values.length === 1 ? "scalar" : "per_channel",
    initial: 1,
    shape: values.length === 1 ? [] : [values.length],
    mean: values.reduce((s, v) => s + v, 0) / values.length,
    min: Math.min(...values),
    max: Math.max(...values),
    values,
  });
  const trial = (seedIndex: number, learned: LearnedActivationParam[]) =>
    ({ task: "t", candidate: "c", seedIndex, learned }) as unknown as TrialResult;

  it("leaves a diverged seed's non-finite value out of mean ± sd, and n says so", () => {
    const summary = summarizeLearned([
      trial(0, [param("layers[0].basis_act.beta", [1, 3])]),
      trial(1, [param("layers[0].basis_act.beta", [NaN, 1])]),
      trial(2, [param("layers[0].basis_act.beta", [4, 6])]),
    ])!;
    assert.equal(summary.length, 1);
    const [s] = summary as [NonNullable<ReturnType<typeof summarizeLearned>>[0]];
    assert.deepEqual([s.n, s.mean], [2, 3.5]);
    assert.ok(Math.abs(s.sd - Math.SQRT2 * 1.5) < 1e-15, `sd ${s.sd}`);
    assert.deepEqual([s.min, s.max], [1, 6]);
    assert.equal(summarizeLearned([trial(0, [])]), undefined);
  });

  it("draws kan_af's basis and head copies as two lines of one activation", () => {
    const learned = summarizeLearned([
      trial(0, [param("layers[2].basis_act.beta", [0.5]), param("layers[2].head_act.beta", [2])]),
    ]);
    const results = {
      summaries: [{ task: "t", candidate: "c", learned }],
    } as unknown as BenchResults;
    const [shape, ...others] = learnedShapes(results);
    assert.equal(others.length, 0);
    assert.deepEqual(shape!.lines, [
      { label: "layers[2].basis", values: { beta: 0.5 } },
      { label: "layers[2].head", values: { beta: 2 } },
    ]);
    // the plot: the initial line and one per copy, each at its own β
    const svg = learnedShapeSvg(shape!);
    assert.equal(svg.match(/<polyline\b/g)?.length, 3);
    assert.ok(svg.includes("learned layers[2].basis: beta = 0.5000"));
    assert.ok(svg.includes("learned layers[2].head: beta = 2.000"));
  });
});
