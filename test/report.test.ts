import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type {
  BenchCandidateInfo,
  BenchResults,
  BenchTaskInfo,
  CandidateSummary,
  TrialResult,
} from "../src/bench/results.js";
import { measureProperties } from "../src/analysis/properties.js";
import { startEngine } from "../src/engine/index.js";
import { parseActivation } from "../src/expr/parse.js";
import { activationCurve } from "../src/report/activation-curve.js";
import { meanValidationCurves } from "../src/report/bench-format.js";
import { benchHtml, escapeHtml } from "../src/report/bench-html.js";
import { benchMarkdown, markdownText } from "../src/report/bench-markdown.js";
import type { ReportCell } from "../src/report/bench-report-model.js";
import { benchReportModel } from "../src/report/bench-report-model.js";
import { benchTable } from "../src/report/bench-table.js";
import { benchWarnings } from "../src/report/bench-warnings.js";
import { paretoFront } from "../src/report/pareto.js";
import { renderCurveSvg } from "../src/report/svg.js";
import { resolveActivation } from "../src/zoo/index.js";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ODD = 'a<b & "c"';

// ---------------------------------------------------------------------------------------------
// Fixture: 2 tasks × 3 candidates × 3 seeds, written out by hand.

const TASKS: BenchTaskInfo[] = [
  {
    name: "toy/sin-sum",
    family: "function-fitting",
    kind: "regression",
    metric: "rmse",
    inputShape: [2],
    outputs: 1,
    description: "y = sin(x0) + x1 on [-1, 1]^2",
    rows: { train: 1000, val: 200, test: 1000 },
  },
  {
    name: "tabular/iris",
    family: "tabular",
    kind: "classification",
    metric: "accuracy",
    inputShape: [4],
    outputs: 3,
    description: "Fisher's iris flowers",
    rows: { train: 90, val: 30, test: 30 },
  },
];

const CANDIDATES: BenchCandidateInfo[] = [
  {
    name: "relu",
    kind: "activation",
    group: "mlp",
    description: "ReLU MLP",
    expression: "relu(x)",
  },
  {
    name: ODD,
    kind: "activation",
    group: "mlp",
    description: "swish with β = 1.5 & a name full of markup",
    expression: "x * sigmoid(beta * x) where beta = 1.5",
  },
  { name: "kan", kind: "layer", group: "kan", description: "B-spline KAN" },
];

/** Test metric of each task × candidate over the 3 seeds. */
const METRICS: Record<string, Record<string, [number, number, number]>> = {
  "toy/sin-sum": { relu: [0.1, 0.12, 0.14], [ODD]: [0.05, 0.06, 0.07], kan: [0.2, 0.3, 0.4] },
  "tabular/iris": { relu: [0.9, 0.92, 0.94], [ODD]: [0.93, 0.95, 0.94], kan: [0.96, 0.97, 0.98] },
};
/** Means and sample standard deviations of METRICS, by hand, with the decimals that give each
 * task's smallest mean 4 significant digits. */
const EXPECTED: Record<string, Record<string, string>> = {
  "toy/sin-sum": {
    relu: "0.12000 ± 0.02000",
    [ODD]: "0.06000 ± 0.01000",
    kan: "0.30000 ± 0.10000",
  },
  "tabular/iris": { relu: "0.9200 ± 0.0200", [ODD]: "0.9400 ± 0.0100", kan: "0.9700 ± 0.0100" },
};
const PARAMS: Record<string, Record<string, number>> = {
  "toy/sin-sum": { relu: 1001, [ODD]: 1001, kan: 980 },
  "tabular/iris": { relu: 515, [ODD]: 515, kan: 12345 },
};
/** vs baseline: * on ODD and † on kan for the first task, * on kan only for the second. */
const VERSUS: Record<string, Record<string, CandidateSummary["vsBaseline"]>> = {
  "toy/sin-sum": {
    [ODD]: { pValue: 0.01, pHolm: 0.02, better: true, significant: true },
    kan: { pValue: 0.01, pHolm: 0.02, better: false, significant: true },
  },
  "tabular/iris": {
    [ODD]: { pValue: 0.2, pHolm: 0.4, better: true, significant: false },
    kan: { pValue: 0.01, pHolm: 0.03, better: true, significant: true },
  },
};

function trialOf(task: string, candidate: string, seedIndex: number): TrialResult {
  const metric = (METRICS[task] as Record<string, number[]>)[candidate]?.[seedIndex] as number;
  // kan stops after 3 epochs on seed 2 of the first task: curves of unequal length.
  const epochs = task === "toy/sin-sum" && candidate === "kan" && seedIndex === 2 ? 3 : 5;
  const curve = Array.from({ length: epochs }, (_, e) => ({
    epoch: e + 1,
    trainLoss: 1 / (e + 1),
    valLoss: 1.1 / (e + 1),
    valMetric: metric + (5 - (e + 1)) * 0.05 * (task === "toy/sin-sum" ? 1 : -0.5),
  }));
  return {
    task,
    candidate,
    seedIndex,
    seed: 1000 + seedIndex,
    width: 16,
    params: (PARAMS[task] as Record<string, number>)[candidate] as number,
    flops: 2000,
    trainFlops: 6000,
    epochs,
    selectedEpoch: epochs,
    secondsPerEpoch: 0.25 + seedIndex * 0.01,
    throughput: 4000,
    peakMemoryBytes: 3 * 1024 * 1024,
    curve,
    val: { loss: 0.1, metric },
    test: { loss: 0.1, metric, ...(task === "tabular/iris" ? { auc: 0.99 } : {}) },
    ...(candidate === "kan" && seedIndex === 1 && task === "tabular/iris"
      ? { diverged: true }
      : {}),
  };
}

function summaryOf(task: string, candidate: string): CandidateSummary {
  const values = (METRICS[task] as Record<string, number[]>)[candidate] as number[];
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
  const half = (4.303 * sd) / Math.sqrt(values.length);
  const versus = VERSUS[task]?.[candidate];
  return {
    task,
    candidate,
    n: values.length,
    mean,
    sd,
    ci95: [mean - half, mean + half],
    params: (PARAMS[task] as Record<string, number>)[candidate] as number,
    flops: 2000,
    secondsPerEpoch: 0.26,
    ...(versus ? { vsBaseline: versus } : {}),
    improvementOverRandom: 12.5,
    ...(task === "tabular/iris" ? { parameterEfficiency: 0.33 } : {}),
  };
}

function fixture(): BenchResults {
  return {
    version: 1,
    name: "report fixture",
    fairness: { mode: "params", budget: 1000 },
    baseline: "relu",
    seeds: 3,
    started: "2025-01-01T00:00:00Z",
    finished: "2025-01-01T00:10:00Z",
    machine: { cpus: 2, platform: "linux", node: "v20.0.0", device: "wasm" },
    tasks: TASKS,
    candidates: CANDIDATES,
    trials: TASKS.flatMap((t) =>
      CANDIDATES.flatMap((c) => [0, 1, 2].map((s) => trialOf(t.name, c.name, s))),
    ),
    summaries: TASKS.flatMap((t) => CANDIDATES.map((c) => summaryOf(t.name, c.name))),
    ranks: [
      { candidate: "relu", averageRank: 2.5 },
      { candidate: ODD, averageRank: 1.5 },
      { candidate: "kan", averageRank: 2 },
    ],
    criticalDifference: 2.343,
    friedmanP: 0.3679,
    verdicts: [
      {
        family: "function-fitting",
        text: "MLP better on 1 of 1 tasks (1 significant)",
        kanWins: 0,
        mlpWins: 1,
        tasks: 1,
      },
      {
        family: "tabular",
        text: "KAN family better on 1 of 1 tasks (1 significant)",
        kanWins: 1,
        mlpWins: 0,
        tasks: 1,
      },
    ],
  };
}

/** The lines of the table block that starts with the task's name. */
function blockOf(table: string, task: string): string[] {
  const blocks = table.split("\n\n");
  const block = blocks.find((b) => b.startsWith(task));
  assert.ok(block, `no block for ${task}`);
  return block.split("\n");
}

function rowOf(lines: readonly string[], candidate: string): string {
  const row = lines.find((line) => line.trimStart().startsWith(candidate));
  assert.ok(row, `no row for ${candidate}`);
  return row;
}

describe("bench terminal table", () => {
  it("shows each candidate's mean ± sd, the marks, aligned columns", () => {
    const table = benchTable(fixture());
    for (const task of TASKS) {
      const lines = blockOf(table, task.name);
      for (const candidate of CANDIDATES) {
        const row = rowOf(lines, candidate.name);
        assert.ok(
          row.includes((EXPECTED[task.name] as Record<string, string>)[candidate.name] as string),
          `${task.name} / ${candidate.name}: ${row}`,
        );
      }
      // Columns line up: ± (same decimals, right-aligned) and the end of the 95% CI column.
      const rows = CANDIDATES.map((c) => rowOf(lines, c.name));
      for (const sign of ["±", "]"]) {
        const at = rows.map((row) => row.indexOf(sign));
        assert.ok(
          at.every((s) => s === at[0] && s > 0),
          `${sign}\n${rows.join("\n")}`,
        );
      }
    }
    const first = blockOf(table, "toy/sin-sum");
    assert.match(rowOf(first, ODD), /± 0\.01000 +\* /);
    assert.match(rowOf(first, "kan"), /± 0\.10000 +† /);
    assert.doesNotMatch(rowOf(first, "relu"), /[*†]/);
    assert.match(rowOf(first, "relu"), /relu \(baseline\)/);
    const second = blockOf(table, "tabular/iris");
    assert.match(rowOf(second, "kan"), /\* /);
    assert.doesNotMatch(rowOf(second, ODD), /[*†]/);
    assert.match(rowOf(second, "kan"), /12,345/);
    assert.match(table, /critical difference 2\.343/);
    assert.match(table, /Friedman p = 0\.37/);
    assert.match(table, /tabular: KAN family better on 1 of 1 tasks/);
    // Ranks sorted best first.
    const ranks = blockOf(table, "Average rank");
    assert.ok(rowOf(ranks, ODD).endsWith("1.50"));
    assert.ok(ranks.indexOf(rowOf(ranks, ODD)) < ranks.indexOf(rowOf(ranks, "relu")));
  });

  it("uses ANSI colours only when asked", () => {
    assert.ok(!benchTable(fixture()).includes("\u001b["));
    assert.ok(!benchTable(fixture(), { color: false }).includes("\u001b["));
    const coloured = benchTable(fixture(), { color: true });
    assert.ok(coloured.includes("\u001b[32m*"));
    assert.ok(coloured.includes("\u001b[31m†"));
  });
});

describe("bench report.md", () => {
  const md = benchMarkdown(fixture());

  it("has every section", () => {
    for (const heading of [
      "# Benchmark: report fixture",
      "## Setup",
      "### Tasks",
      "### Candidates",
      "## Results",
      "### toy/sin-sum",
      "### tabular/iris",
      "## Ranks",
      "## Improvement over the average candidate",
      "## Parameter efficiency (classification)",
      "## Cost",
      "## KAN family vs MLP",
    ]) {
      assert.ok(md.split("\n").includes(heading), `missing heading ${heading}`);
    }
    assert.match(md, /matched parameter count: at most 1,000 parameters per model/);
    assert.match(md, /Seeds: 3/);
    assert.match(md, /Baseline: relu/);
    assert.match(md, /Machine: 2 CPU\(s\), linux, Node v20\.0\.0, device wasm/);
    assert.match(md, /same splits/);
    assert.match(md, /shuffled mini-batches/);
    assert.match(md, /validation split only/);
    assert.match(md, /test split is evaluated once/);
    assert.match(md, /Critical difference \(Nemenyi, α = 0\.05\): 2\.343/);
    assert.match(md, /Friedman test over tasks: p = 0\.37/);
    assert.match(md, /\+12\.5%/);
    assert.match(md, /\*\*tabular\*\*: KAN family better/);
    assert.match(md, /Diverged trials \(scored as worst\): kan seed 1/);
    assert.match(md, /3\.00 MiB/);
  });

  it("has one table row per candidate in each task with the right mean and mark", () => {
    for (const task of TASKS) {
      const section = md.split(`### ${task.name}\n`)[1]?.split("\n### ")[0]?.split("\n## ")[0];
      assert.ok(section);
      const rows = section.split("\n").filter((line) => line.startsWith("| "));
      assert.equal(rows.length, 2 + CANDIDATES.length);
      for (const candidate of CANDIDATES) {
        const expected = (EXPECTED[task.name] as Record<string, string>)[candidate.name] as string;
        assert.ok(
          rows.some((row) => row.includes(expected)),
          `${task.name}: ${expected}`,
        );
      }
    }
    assert.match(md, /\| a&lt;b &amp; "c" \| 0\.06000 ± 0\.01000 \\\* \|/);
    assert.match(md, /\| kan \| 0\.30000 ± 0\.10000 † \|/);
    assert.ok(!md.includes("a<b"));
    // Classification rows show the test AUC; the efficiency table has the iris column.
    assert.match(md, /\| 0\.9900 \|/);
    assert.match(md, /\| candidate \| tabular\/iris \|\n\| --- \| ---: \|\n\| relu \| 0\.3300 \|/);
  });
});

describe("bench report model", () => {
  it("report.md and report.html show the same sections, prose and table rows", () => {
    const results = fixture();
    const model = benchReportModel(results);
    const md = benchMarkdown(results);
    const html = benchHtml(results);
    const sections = [
      ...model.tasks,
      model.ranks,
      model.improvement,
      model.efficiency,
      model.cost,
      model.verdicts,
    ];
    for (const section of sections) {
      const prose = [section.title, section.intro, section.note, ...(section.findings ?? [])];
      for (const text of prose.filter((t): t is string => t !== undefined)) {
        assert.ok(md.includes(markdownText(text)), `report.md lacks ${text}`);
        assert.ok(html.includes(escapeHtml(text)), `report.html lacks ${text}`);
      }
      for (const row of section.table?.rows ?? []) {
        const first = (row[0] as ReportCell).text;
        const last = (row[row.length - 1] as ReportCell).text;
        assert.ok(md.includes(`| ${markdownText(first)} |`), `report.md lacks row ${first}`);
        assert.ok(md.includes(` ${markdownText(last)} |\n`), `report.md lacks cell ${last}`);
        assert.ok(html.includes(`>${escapeHtml(last)}</td></tr>`), `report.html lacks ${last}`);
      }
    }
    // Only the best mean of each task is bold; the baseline row is marked.
    assert.equal(html.match(/class="num best"/g)?.length, TASKS.length);
    assert.deepEqual(
      model.tasks.map((t) => t.table?.baselineRow),
      TASKS.map(() => 0),
    );
  });
});

describe("bench report warnings", () => {
  const FLOOR =
    "No candidate can be significantly better or worse than the baseline: with 3 seed(s) and 2 challenger(s) " +
    "the smallest Holm-adjusted p of a paired Wilcoxon test is 2 × 2/2^3 = 0.5 (≥ 0.05). " +
    "Run at least 7 seeds for a difference to be able to reach p < 0.05.";

  it("say the Holm floor up front in the terminal, report.md and report.html", () => {
    const results = fixture();
    assert.equal(benchWarnings(results)[0], FLOOR);
    const table = benchTable(results);
    assert.ok(table.includes(`warning: ${FLOOR}`));
    assert.ok(table.indexOf(FLOOR) < table.indexOf("toy/sin-sum"));
    const md = benchMarkdown(results);
    assert.ok(md.includes(`> **Warning:** ${markdownText(FLOOR)}`));
    assert.ok(md.indexOf("Holm-adjusted p") < md.indexOf("## Setup"));
    const html = benchHtml(results);
    assert.ok(
      html.includes(`<p class="warning"><strong>Warning:</strong> ${escapeHtml(FLOOR)}</p>`),
    );
    assert.ok(html.indexOf("Holm-adjusted p") < html.indexOf("<nav>"));
  });

  it("give the Holm floor for the issue's 6 seeds and 4 challengers, and none at 8 seeds", () => {
    const five: BenchCandidateInfo[] = ["a", "b", "c", "d"].map((name) => ({
      name,
      kind: "activation",
      group: "mlp",
      description: name,
    }));
    const results = { ...fixture(), candidates: [...CANDIDATES.slice(0, 1), ...five] };
    const [floor] = benchWarnings({ ...results, seeds: 6 });
    assert.match(
      floor ?? "",
      /^No candidate can be .* 4 × 2\/2\^6 = 0\.125 \(≥ 0\.05\)\. Run at least 8 seeds/,
    );
    assert.match(benchWarnings({ ...results, seeds: 7 })[0] ?? "", /2\/2\^7 = 0\.0625 /);
    const eight = { ...results, seeds: 8 };
    assert.ok(benchWarnings(eight).every((w) => !w.includes("Holm")));
    assert.ok(!benchTable(eight).includes("smallest Holm-adjusted p"));
    assert.ok(!benchMarkdown(eight).includes("smallest Holm-adjusted p"));
    // one challenger, 5 seeds: 2/32 = 0.0625, but 5 equal differences reach 0.0369 (normal, ties)
    const one = { ...fixture(), candidates: CANDIDATES.slice(0, 2), seeds: 5 };
    assert.match(
      benchWarnings(one)[0] ?? "",
      /^Almost no candidate .* 1 × 2\/2\^5 = 0\.0625 \(≥ 0\.05\) unless all of a candidate's differences from the baseline are equal in size \(then the normal approximation reaches 0\.0369\)\. Run at least 6 seeds/,
    );
  });
});

describe("widths and tiny splits", () => {
  /** The fixture with kan at widths 3 and 4 (by seed) on the first task and a fixed spec on iris. */
  function narrow(): BenchResults {
    const results = fixture();
    for (const t of results.trials) {
      if (t.candidate !== "kan") continue;
      if (t.task === "toy/sin-sum") t.width = 3 + (t.seedIndex % 2);
      else delete t.width;
    }
    return results;
  }

  it("show the solved width of every candidate per task in the terminal and report.md", () => {
    const results = narrow();
    const table = benchTable(results);
    const first = blockOf(table, "toy/sin-sum");
    assert.match(first[1] ?? "", /width +params/);
    assert.match(rowOf(first, "relu"), /\] +16 +1,001 /);
    assert.match(rowOf(first, "kan"), /\] +3–4 +980 /);
    assert.match(rowOf(blockOf(table, "tabular/iris"), "kan"), /\] +— +12,345 /);
    const md = benchMarkdown(results);
    assert.match(md, /\| test AUC \| width \| params \|/);
    assert.match(md, /\| 0\.9900 \| 16 \| 515 \|/);
    assert.match(md, /\| 3–4 \| 980 \|/);
    assert.ok(benchHtml(results).includes('<td class="num" data-value="3">3–4</td>'));
  });

  it("warn up front about a width below 8 and a test split below 100 rows", () => {
    const results = narrow();
    const warnings = benchWarnings(results);
    const width =
      "toy/sin-sum: kan at width 3 — fewer than 8 hidden units, so the budget rather than the " +
      "nonlinearity may decide the score; raise fairness.budget (or the task's budget).";
    const split =
      "tabular/iris: the test split has only 30 row(s) (fewer than 100): one row is 3.3% of the " +
      "test accuracy, so candidates within that of each other may tie; give a sampled task more " +
      "test rows (the task's test in the config).";
    assert.deepEqual(warnings.slice(1), [width, split]);
    const table = benchTable(results);
    for (const warning of [width, split]) {
      assert.ok(table.includes(`warning: ${warning}`));
      assert.ok(table.indexOf(warning) < table.indexOf("  candidate"));
      assert.ok(benchMarkdown(results).includes(`> **Warning:** ${markdownText(warning)}`));
      assert.ok(benchHtml(results).includes(escapeHtml(warning)));
    }
    // at width 16 and with 100 test rows, nothing to say but the Holm floor of 3 seeds
    const wide = fixture();
    wide.tasks = wide.tasks.map((t) => ({ ...t, rows: { ...t.rows, test: 100 } }));
    assert.deepEqual(
      benchWarnings(wide).map((w) => w.slice(0, 20)),
      ["No candidate can be "],
    );
  });
});

describe("Pareto front", () => {
  /** Brute force: i is on the front unless some j is at least as good on both and better on one. */
  function bruteForce(points: { x: number; y: number }[], lowerX: boolean, higherY: boolean) {
    const better = (a: number, b: number, lower: boolean) => (lower ? a < b : a > b);
    const finite = (p: { x: number; y: number }) => Number.isFinite(p.x) && Number.isFinite(p.y);
    return points
      .map((p, i) => ({ p, i }))
      .filter(({ p }) => finite(p))
      .filter(
        ({ p, i }) =>
          !points.some(
            (q, j) =>
              j !== i &&
              finite(q) &&
              !better(p.x, q.x, lowerX) &&
              !better(p.y, q.y, !higherY) &&
              (better(q.x, p.x, lowerX) || better(q.y, p.y, !higherY)),
          ),
      )
      .map(({ i }) => i);
  }

  it("matches a brute-force dominance check on random points with ties", () => {
    let state = 7;
    const random = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 4294967296;
    };
    for (let trial = 0; trial < 400; trial++) {
      const n = 1 + Math.floor(random() * 25);
      const coarse = trial % 2 === 0; // small integer grid: many ties
      const points = Array.from({ length: n }, () => ({
        x: coarse ? Math.floor(random() * 5) : random() * 100,
        y: coarse ? Math.floor(random() * 5) : random(),
      }));
      if (trial % 7 === 0) points.push({ x: NaN, y: 0 });
      for (const lowerX of [true, false]) {
        for (const higherY of [true, false]) {
          assert.deepEqual(
            paretoFront(points, lowerX, higherY),
            bruteForce(points, lowerX, higherY),
            JSON.stringify({ points, lowerX, higherY }),
          );
        }
      }
    }
  });

  it("keeps equal points and drops a point beaten on one axis only", () => {
    const points = [
      { x: 1, y: 0.9 },
      { x: 1, y: 0.9 },
      { x: 2, y: 0.9 },
      { x: 3, y: 0.95 },
    ];
    assert.deepEqual(paretoFront(points, true, true), [0, 1, 3]);
    assert.deepEqual(paretoFront(points, true, false), [0, 1]);
  });
});

describe("activation shapes and learning curves", () => {
  it("evaluates f and f′ of an expression against direct formulas", () => {
    const curve = activationCurve(
      parseActivation("x * sigmoid(beta * x) where beta = 1.5"),
      [-4, 4],
      81,
    );
    assert.equal(curve.x.length, 81);
    curve.x.forEach((x, i) => {
      const s = 1 / (1 + Math.exp(-1.5 * x));
      assert.ok(Math.abs((curve.y[i] as number) - x * s) < 1e-12, `f(${x})`);
      const slope = s + 1.5 * x * s * (1 - s);
      assert.ok(Math.abs((curve.slope[i] as number) - slope) < 1e-12, `f'(${x})`);
    });
    assert.equal(curve.contextDependent, false);
  });

  it("draws a context-dependent activation as one unit among fixed neighbours", () => {
    // x − mean(x) over 64 units: unit 0 moves with slope 63/64 whatever the neighbours are.
    const curve = activationCurve(parseActivation("x - mean(x)"), [-2, 2], 5);
    assert.equal(curve.contextDependent, true);
    for (let i = 1; i < 5; i++) {
      const rise = (curve.y[i] as number) - (curve.y[i - 1] as number);
      assert.ok(Math.abs(rise - (63 / 64) * 1) < 1e-12);
      assert.ok(Math.abs((curve.slope[i] as number) - 63 / 64) < 1e-6);
    }
  });

  it("agrees with the engine's measured curve (autodiff slopes) off the kinks", async () => {
    await startEngine("wasm");
    // 80 points: 0 is not on the grid, where a kink's one-sided slope is a matter of convention.
    for (const name of ["ash", "crrelu", "swish", "x * tanh(softplus(x))"]) {
      const { activation } = resolveActivation(name);
      const engine = measureProperties(activation, [-4, 4], 80).curve;
      const plain = activationCurve(activation, [-4, 4], 80);
      engine.x.forEach((x, i) => {
        assert.ok(
          Math.abs((plain.y[i] as number) - (engine.y[i] as number)) < 1e-5,
          `${name} f(${x})`,
        );
        assert.ok(
          Math.abs((plain.slope[i] as number) - (engine.slope[i] as number)) < 1e-5,
          `${name} f'(${x})`,
        );
      });
    }
  });

  it("averages validation curves over the seeds present at each epoch", () => {
    const results = fixture();
    const curves = meanValidationCurves(results, TASKS[0] as BenchTaskInfo);
    const kan = curves.find((c) => c.candidate === "kan");
    assert.ok(kan);
    assert.deepEqual(kan.epochs, [1, 2, 3, 4, 5]);
    assert.deepEqual(kan.counts, [3, 3, 3, 2, 2]);
    // Epoch 1: metrics 0.2, 0.3, 0.4 each + 4 × 0.05; epoch 5: seeds 0 and 1 only.
    assert.ok(Math.abs((kan.values[0] as number) - 0.5) < 1e-12);
    assert.ok(Math.abs((kan.values[4] as number) - 0.25) < 1e-12);
  });

  it("draws f and f′ as two lines at any size", () => {
    const svg = renderCurveSvg(
      { title: "t<1>", x: [-1, 0, 1], y: [0, 0, 1], slope: [0, 1, 1] },
      { width: 300, height: 200 },
    );
    assert.match(svg, /^<svg [^>]*width="300" height="200"/);
    assert.equal(svg.match(/<polyline /g)?.length, 2);
    assert.ok(svg.includes("t&#60;1&#62;"));
  });
});

describe("bench report.html", () => {
  const html = benchHtml(fixture());

  it("escapes every candidate name and expression", () => {
    assert.ok(!html.includes("a<b"), "raw candidate name in the page");
    assert.ok(html.includes("a&#60;b &#38; &#34;c&#34;"));
    assert.ok(html.includes("swish with β = 1.5 &#38; a name full of markup"));
  });

  it("references nothing outside the page", () => {
    const withoutNamespace = html.replaceAll('xmlns="http://www.w3.org/2000/svg"', "");
    assert.ok(!/https?:\/\//.test(withoutNamespace), "a URL other than the SVG namespace");
    assert.ok(html.includes('xmlns="http://www.w3.org/2000/svg"'));
    for (const match of html.matchAll(/\b(?:href|src)="([^"]*)"/g)) {
      assert.ok(match[1]?.startsWith("#"), `external reference ${match[0]}`);
    }
    assert.ok(!/<link\b|<img\b|@import|url\(/.test(html));
  });

  it("renders in headless Chromium with its plots, table rows and script", () => {
    assert.ok(
      existsSync(CHROMIUM),
      `headless Chromium is required for this test but ${CHROMIUM} does not exist: ` +
        `install the Debian package 'chromium' (CI does) or set CHROMIUM to its path`,
    );
    const dir = mkdtempSync(join(tmpdir(), "nonlin-report-"));
    const file = join(dir, "report.html");
    writeFileSync(file, html);
    const dom = execFileSync(
      CHROMIUM,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        `--user-data-dir=${join(dir, "profile")}`,
        "--dump-dom",
        `file://${file}`,
      ],
      { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "ignore"] },
    );
    // 2 tasks × (learning curves + Pareto plot) + 2 activation shapes.
    assert.equal(dom.match(/<svg\b/g)?.length, 6);
    assert.equal(dom.match(/<polyline\b/g)?.length, (html.match(/<polyline\b/g) ?? []).length);
    const resultTables = [...dom.matchAll(/<table class="results[^"]*"[^>]*>([\s\S]*?)<\/table>/g)];
    assert.equal(resultTables.length, 2);
    for (const [, body] of resultTables) {
      assert.equal(body?.match(/<tr\b/g)?.length, 1 + CANDIDATES.length);
      assert.ok(body?.includes('a&lt;b &amp; "c"'), "escaped name read back as text");
    }
    // The inline script ran: every sortable table (2 results, ranks, improvement, efficiency,
    // cost) was marked ready and its headers got a tab stop.
    assert.equal(dom.match(/<table[^>]*data-sortable="ready"/g)?.length, 6);
    assert.ok(dom.includes('tabindex="0"'));
    assert.match(dom, /<title>Benchmark: report fixture<\/title>/);
  });
});
