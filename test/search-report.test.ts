/**
 * The search report (report.md, report.html) on planted held-out results: the baselines' LaTeX is
 * their zoo formula, the LaTeX is typeset (MathML, checked in headless Chromium), the headline
 * names every candidate the table marks as beating ReLU, and the table says lower is better.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { BenchResults, TrialResult } from "../src/bench/results.js";
import { printActivation } from "../src/expr/print.js";
import { searchHtml, searchMarkdown } from "../src/report/search-report.js";
import { eafoVariants } from "../src/search/eafo.js";
import type { HeldoutCandidate } from "../src/search/heldout.js";
import { heldoutHeadline } from "../src/search/heldout.js";
import type { SearchResults } from "../src/search/results.js";
import { resolveActivation } from "../src/zoo/index.js";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

const [crrelu] = eafoVariants(resolveActivation("relu").activation);
const CANDIDATES: HeldoutCandidate[] = [
  { name: "relu", activation: "relu", role: "baseline", zooName: "relu" },
  { name: "gelu", activation: "gelu", role: "baseline", zooName: "gelu" },
  { name: "found-1", activation: "x*tanh(x)+x", role: "found", fitness: -0.1 },
  { name: "found-2", activation: "x * sigmoid(2 * x)", role: "found", fitness: -0.05 },
  { name: "eafo(relu)", activation: printActivation(crrelu!.activation), role: "eafo" },
];

/**
 * 2 held-out tasks × 6 seeds: eafo(relu) is better than ReLU on all 12 pairs (Holm p < 0.01 over
 * 4 comparisons); the discovered ones and GELU go either way.
 */
function heldout(): BenchResults {
  const trial = (candidate: string, task: string, seedIndex: number, metric: number) =>
    ({ candidate, task, seedIndex, test: { metric } }) as unknown as TrialResult;
  const trials: TrialResult[] = [];
  for (let s = 0; s < 6; s++) {
    const wobble = s % 2 ? 0.01 : -0.01;
    trials.push(trial("relu", "a", s, 0.2), trial("relu", "b", s, 0.8));
    trials.push(trial("gelu", "a", s, 0.2 - wobble), trial("gelu", "b", s, 0.8));
    trials.push(trial("found-1", "a", s, 0.2 + wobble), trial("found-1", "b", s, 0.8));
    trials.push(trial("found-2", "a", s, 0.2), trial("found-2", "b", s, 0.8 + wobble));
    trials.push(trial("eafo(relu)", "a", s, 0.15 - 0.001 * s), trial("eafo(relu)", "b", s, 0.85));
  }
  return {
    tasks: [
      { name: "a", metric: "rmse" },
      { name: "b", metric: "accuracy" },
    ],
    trials,
    summaries: [],
  } as unknown as BenchResults;
}

function fixture(): SearchResults {
  const results = heldout();
  return {
    run: "r-test",
    config: { name: "planted", algorithm: "evolution", space: "expression", budget: 10 },
    outcome: {
      evaluated: [],
      ranking: [],
      screening: { perStage: {}, seconds: 0, savedSeconds: 0 },
      proxyCorrelations: [],
    },
    heldoutCandidates: CANDIDATES,
    heldout: results,
    headline: heldoutHeadline(results, CANDIDATES),
    candidatesPerMinute: 1,
    trainingsPerMinute: 1,
    seconds: 60,
  } as unknown as SearchResults;
}

describe("search report", () => {
  it("gives the baselines their zoo LaTeX, typeset as MathML with the source kept", () => {
    const html = searchHtml(fixture());
    const annotations = [
      ...html.matchAll(/<annotation encoding="application\/x-tex">([^<]*)<\/annotation>/g),
    ].map((m) => m[1]);
    assert.equal(annotations.length, CANDIDATES.length);
    assert.equal(annotations[0], "\\operatorname{ReLU}\\left(x\\right)");
    assert.match(annotations[1] ?? "", /\\operatorname\{erf\}/);
    assert.ok(!html.includes("\\mathrm{gelu}"));
    assert.ok(!html.includes("temml-error"));
    // no LaTeX source left as code in the table
    assert.ok(!/<code>[^<]*\\left/.test(html));
  });

  it("has a headline that names every candidate the table says beats ReLU", () => {
    const results = fixture();
    const md = searchMarkdown(results);
    const beats = md
      .split("\n")
      .filter((line) => line.startsWith("| ") && line.endsWith("| yes |"))
      .map((line) => line.split(" | ")[0]?.slice(2));
    assert.deepEqual(beats, ["eafo(relu)"]);
    const eafo = results.headline.verdicts.find((v) => v.candidate === "eafo(relu)")!;
    assert.ok(eafo.beatsRelu && eafo.pHolm < 0.01);
    assert.equal(
      results.headline.text,
      "None of the 2 discovered activation(s) beat ReLU on the held-out tasks at p < 0.05 " +
        "(paired Wilcoxon over task×seed pairs, Holm-adjusted). Among the candidates the search " +
        "did not find, eafo(relu) (the EAFO-corrected variant of relu, zoo: crrelu) beats ReLU: " +
        `mean relative score ${eafo.meanScore.toPrecision(3)} over 12 task×seed pairs, ` +
        `Holm p = ${eafo.pHolm.toPrecision(2)}.`,
    );
    assert.ok(md.includes(`**Headline (held-out tasks):** ${results.headline.text}`));
  });

  it('says "lower is better" at the leaderboard itself', () => {
    const results = fixture();
    const md = searchMarkdown(results, { brief: true }).split("\n");
    const header = md.findIndex((line) => line.startsWith("| candidate |"));
    assert.match(md[header - 2] ?? "", /lower is better, ReLU = 0/);
    assert.match(md[header] ?? "", /search fitness \(lower is better\)/);
    assert.match(md[header] ?? "", /held-out score vs ReLU \(lower is better\)/);
    const html = searchHtml(results);
    assert.match(html, /<p id="score-note">[^<]*lower is better, ReLU = 0[^<]*<\/p>\n<table>/);
    assert.match(html, /<th>held-out vs ReLU \(lower is better\)<\/th>/);
  });

  it("shows the typeset formulas in headless Chromium", () => {
    assert.ok(
      existsSync(CHROMIUM),
      `headless Chromium is required for this test but ${CHROMIUM} does not exist: ` +
        `install the Debian package 'chromium' (CI does) or set CHROMIUM to its path`,
    );
    const dir = mkdtempSync(join(tmpdir(), "nonlin-search-report-"));
    const file = join(dir, "report.html");
    // a probe, for this test only: is each formula a MathML element laid out with a size?
    const probe =
      "<script>document.body.setAttribute('data-math', Array.prototype.map.call(" +
      "document.querySelectorAll('td.latex > math'), function (m) { var r = m.getBoundingClientRect();" +
      " return (m instanceof MathMLElement) + ':' + (r.width > 10 && r.height > 5); }).join(','));</script>";
    writeFileSync(file, searchHtml(fixture()).replace("</body>", `${probe}</body>`));
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
    const shown = dom.match(/data-math="([^"]*)"/)?.[1];
    assert.equal(shown, CANDIDATES.map(() => "true:true").join(","));
  });
});
