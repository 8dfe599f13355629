/**
 * Reports of a `nonlin search` run, from its results.json: the held-out headline first (what the
 * search may claim), then the leaderboard (formula, LaTeX, search fitness, held-out score against
 * ReLU with its paired test, cost), the shapes of the top candidates, their exported code, what
 * each rejection stage removed and the time it saved, and each proxy's Kendall τ with fitness.
 */
import temml from "temml";
import type { Activation } from "../expr/ast.js";
import { parseActivation } from "../expr/parse.js";
import { exportActivation } from "../expr/export/index.js";
import { stringify as stringifyYaml } from "yaml";
import type { SearchResults } from "../search/results.js";
import { candidateModel, kanBasisOf, kanBasisTitle } from "../search/subjects.js";
import { activationCurve } from "./activation-curve.js";
import { REPORT_CSS } from "./bench-html.js";
import { engineText } from "./bench-report-model.js";
import { escapeXml } from "./plot.js";
import { renderCurveSvg } from "./svg.js";
import { resolveActivation } from "../zoo/index.js";

const fmt = (value: number | undefined, digits = 4): string =>
  value === undefined || !Number.isFinite(value) ? "–" : value.toPrecision(digits);

interface LeaderRow {
  name: string;
  formula: string;
  latex: string;
  role: string;
  fitness?: number;
  zoo?: string;
  meanScore?: number;
  pHolm?: number;
  beats?: boolean;
  secondsPerEpoch?: number;
}

function leaderboard(results: SearchResults): LeaderRow[] {
  return results.heldoutCandidates.map((c) => {
    const verdict = results.headline.verdicts.find((v) => v.candidate === c.name);
    const costs = results.heldout.summaries.filter((s) => s.candidate === c.name);
    const basis = c.kind === "kan_basis";
    const row: LeaderRow = {
      name: c.name,
      formula: basis ? kanBasisTitle(c.activation) : c.activation,
      latex: basis ? kanBasisLatex(c.activation) : activationLatex(c.activation, c.name),
      role: c.role,
    };
    if (c.fitness !== undefined) row.fitness = c.fitness;
    if (c.zooName) row.zoo = c.zooName;
    if (verdict) {
      row.meanScore = verdict.meanScore;
      row.pHolm = verdict.pHolm;
      row.beats = verdict.beatsRelu;
    }
    if (costs.length > 0)
      row.secondsPerEpoch = costs.reduce((s, x) => s + x.secondsPerEpoch, 0) / costs.length;
    return row;
  });
}

/** The S-KAN edge function over a basis set (src/nn/kan/selectable.ts, soft form). */
function kanBasisLatex(text: string): string {
  const spaces = kanBasisOf(text).spaces.map((name) => `\\mathrm{${name}}`);
  return `\\phi_{ij}(x) = \\sum_{s \\in \\{${spaces.join(", ")}\\}} \\operatorname{softmax}(\\alpha_j/\\tau)_s \\, \\phi^{(s)}_{ij}(x)`;
}

/** Baselines are zoo names (their zoo expression), discovered ones expressions. */
function activationOf(text: string): Activation | undefined {
  try {
    return resolveActivation(text).activation;
  } catch {
    return undefined;
  }
}

/** The LaTeX of a held-out activation; its text as \\text when it cannot be resolved. */
function activationLatex(text: string, name: string): string {
  const activation = activationOf(text);
  return activation
    ? exportActivation(activation, "latex", name)
    : `\\text{${text.replace(/[\\{}$&#^_%~]/g, "")}}`;
}

/**
 * LaTeX typeset as MathML when the report is written (temml): the page needs no script, font or
 * style sheet to show it, and the source stays in the MathML annotation.
 */
function latexHtml(latex: string): string {
  return temml.renderToString(latex, { annotate: true, throwOnError: false, trust: false });
}

/** " Engine: torch (torch …, numpy …, python …) on cuda." for a run on another engine than jax. */
function engineSentence(results: SearchResults): string {
  // results written before engines existed may lack the machine
  const machine = results.machine as SearchResults["machine"] | undefined;
  return machine?.engine
    ? ` Engine: ${engineText(machine.engine, machine.versions)} on ${machine.device}.`
    : "";
}

export function searchMarkdown(results: SearchResults, options: { brief?: boolean } = {}): string {
  const { config, outcome } = results;
  const lines: string[] = [];
  lines.push(`# Search ${config.name} (run ${results.run})`, "");
  lines.push(`**Headline (held-out tasks):** ${results.headline.text}`, "");
  lines.push(`${SCORE_NOTE}`, "");
  lines.push(
    "| candidate | activation or basis set | role | search fitness (lower is better) | held-out score vs ReLU (lower is better) | p (Holm) | beats ReLU |",
  );
  lines.push("| --- | --- | --- | --- | --- | --- | --- |");
  for (const row of leaderboard(results))
    lines.push(
      `| ${row.name} | \`${row.formula.replace(/\|/g, "\\|")}\` | ${row.role}${row.zoo ? ` (zoo: ${row.zoo})` : ""} | ${fmt(row.fitness)} | ${fmt(row.meanScore)} | ${fmt(row.pHolm, 2)} | ${row.beats === undefined ? "–" : row.beats ? "yes" : "no"} |`,
    );
  lines.push(
    "",
    `Search: ${config.algorithm} over ${config.space}; ${outcome.evaluated.length} candidates considered, ${outcome.ranking.length} trained (budget ${config.budget}); ${results.candidatesPerMinute.toFixed(1)} candidates/min, ${results.trainingsPerMinute.toFixed(1)} trainings/min; ${results.seconds.toFixed(0)} s in all.${engineSentence(results)}`,
  );
  if (options.brief) return lines.join("\n");
  lines.push(
    "",
    "Fitness: mean over fitness tasks × architectures × seeds of the validation score relative to ReLU on the same trial (log RMSE ratio; accuracy difference); lower is better, ReLU = 0. Held-out score: the same on the TEST split of tasks the search never used; paired Wilcoxon over task×seed pairs, Holm-adjusted over the discovered candidates.",
    "",
    "## Rejection",
    "",
    ...(config.space === "kan_basis"
      ? [
          "The rejection stages and the zero-cost proxies judge a pointwise activation; KAN basis sets go straight to training.",
          "",
        ]
      : []),
    "| stage | ran | rejected | seconds | mean s |",
    "| --- | --- | --- | --- | --- |",
  );
  for (const [stage, s] of Object.entries(outcome.screening.perStage))
    lines.push(
      `| ${stage} | ${s.ran} | ${s.rejected} | ${s.seconds.toFixed(2)} | ${s.meanSeconds.toFixed(3)} |`,
    );
  lines.push(
    "",
    `Screening took ${outcome.screening.seconds.toFixed(1)} s and saved about ${outcome.screening.savedSeconds.toFixed(1)} s of training.`,
    "",
    "## Zero-cost proxies (Kendall τ-b with trained fitness; > 0: a higher proxy goes with a better candidate)",
    "",
    "| proxy | τ | n |",
    "| --- | --- | --- |",
  );
  for (const p of outcome.proxyCorrelations)
    lines.push(`| ${p.proxy} | ${fmt(p.kendallTau, 3)} | ${p.n} |`);
  lines.push(
    "",
    "## Every candidate",
    "",
    "| # | candidate | fitness | rejected at | reason |",
    "| --- | --- | --- | --- | --- |",
  );
  outcome.evaluated.forEach((e, i) =>
    lines.push(
      `| ${i + 1} | \`${e.text.replace(/\|/g, "\\|")}\` | ${fmt(e.fitness)} | ${e.rejectedAt ?? ""} | ${(e.reason ?? "").replace(/\|/g, "\\|")} |`,
    ),
  );
  return `${lines.join("\n")}\n`;
}

/** What the leaderboard's numbers mean, said at the table. */
const SCORE_NOTE =
  "Scores are relative to ReLU on the same trial (log RMSE ratio; accuracy difference): lower is better, ReLU = 0, below 0 better than ReLU. Beats ReLU: below 0 with a Holm-adjusted p < 0.05.";

function shapeSvg(title: string, text: string): string {
  try {
    const curve = activationCurve(parseActivation(text));
    return renderCurveSvg(
      { title, x: curve.x, y: curve.y, slope: curve.slope },
      { width: 360, height: 240 },
    );
  } catch {
    return "";
  }
}

export function searchHtml(results: SearchResults): string {
  const rows = leaderboard(results);
  const found = results.heldoutCandidates.filter(
    (c) => c.role !== "baseline" && c.kind !== "kan_basis",
  );
  const foundBases = results.heldoutCandidates.filter(
    (c) => c.role === "found" && c.kind === "kan_basis",
  );
  const table = [
    `<p id="score-note">${escapeXml(SCORE_NOTE)}</p>`,
    "<table><thead><tr><th>candidate</th><th>activation</th><th>formula</th><th>role</th><th>search fitness (lower is better)</th><th>held-out vs ReLU (lower is better)</th><th>p (Holm)</th><th>beats ReLU</th><th>s/epoch</th></tr></thead><tbody>",
    ...rows.map(
      (r) =>
        `<tr><td>${escapeXml(r.name)}</td><td><code>${escapeXml(r.formula)}</code></td><td class="latex">${latexHtml(r.latex)}</td><td>${escapeXml(r.role)}${r.zoo ? ` (zoo: ${escapeXml(r.zoo)})` : ""}</td><td>${fmt(r.fitness)}</td><td>${fmt(r.meanScore)}</td><td>${fmt(r.pHolm, 2)}</td><td>${r.beats === undefined ? "–" : r.beats ? "<b>yes</b>" : "no"}</td><td>${fmt(r.secondsPerEpoch, 3)}</td></tr>`,
    ),
    "</tbody></table>",
  ].join("\n");
  const shapes = found
    .map((c) => `<figure>${shapeSvg(`${c.name}: f and f′`, c.activation)}</figure>`)
    .join("\n");
  const code = found
    .map((c) => {
      const activation = activationOf(c.activation);
      if (!activation) return "";
      return `<h3>${escapeXml(c.name)}</h3><pre>${escapeXml(exportActivation(activation, "torch", c.name.replace(/[^A-Za-z0-9]/g, "_")))}</pre><pre>${escapeXml(exportActivation(activation, "jax", c.name.replace(/[^A-Za-z0-9]/g, "_")))}</pre>`;
    })
    .join("\n");
  // a basis set exports as the layer spec `nonlin fit` and `nonlin bench` accept
  const layerSpecs = foundBases
    .map((c) => {
      const model = candidateModel(results.config, "kan_basis", c.activation);
      const spec = model.kind === "layer" ? model.layer : {};
      return `<h3>${escapeXml(c.name)}: layer spec</h3><pre>${escapeXml(stringifyYaml({ layer: spec }))}</pre>`;
    })
    .join("\n");
  const markdown = searchMarkdown(results);
  const rest = markdown.slice(markdown.indexOf("## Rejection"));
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>nonlin search ${escapeXml(results.config.name)}</title>`,
    `<style>${REPORT_CSS} figure{display:inline-block;margin:8px} td.latex math{font-size:1.15em} pre{background:#f6f6f6;padding:8px;overflow:auto}</style>`,
    "</head><body>",
    `<h1>Search ${escapeXml(results.config.name)}</h1>`,
    `<p class="meta">run ${escapeXml(results.run)} · ${escapeXml(results.config.algorithm)} over ${escapeXml(results.config.space)} · ${results.outcome.ranking.length} trained of ${results.outcome.evaluated.length} considered · ${results.seconds.toFixed(0)} s</p>`,
    `<h2>Headline (held-out tasks)</h2><p id="headline">${escapeXml(results.headline.text)}</p>`,
    "<h2>Leaderboard</h2>",
    table,
    "<h2>Shapes of the discovered activations</h2>",
    foundBases.length > 0
      ? "<p>A KAN basis set has no fixed shape: its edge functions are learned per task.</p>"
      : shapes,
    "<h2>Exported code</h2>",
    code,
    layerSpecs,
    "<h2>Rejection, proxies, every candidate</h2>",
    `<pre>${escapeXml(rest)}</pre>`,
    '<p>The held-out comparison in full (per task, with plots): <a href="heldout.html">heldout.html</a>.</p>',
    "</body></html>",
  ].join("\n");
}
