/**
 * report.html of a `nonlin bench` run: one self-contained page (inline CSS, inline SVG plots, a
 * few lines of inline JS that make tables sortable; no external URL, readable without JS).
 * Per task: the results table, the learning curves (validation metric vs epoch, mean over seeds)
 * and test metric against parameters with the Pareto front; then ranks, cost, the KAN-vs-MLP
 * verdicts and the shape (f, f′) of each activation candidate.
 */
import type { BenchResults, BenchTaskInfo, CandidateSummary } from "../bench/results.js";
import { parseActivation } from "../expr/parse.js";
import { activationCurve } from "./activation-curve.js";
import {
  bestIndex,
  ciText,
  costRows,
  directionText,
  fairnessText,
  formatBytes,
  formatCompact,
  formatCount,
  formatP,
  formatPercent,
  formatSeconds,
  formatValue,
  higherIsBetter,
  MARK_LEGEND,
  meanAndSd,
  metricDecimals,
  meanAuc,
  meanValidationCurves,
  protocolSentence,
  rowsText,
  significanceMark,
  summariesOf,
} from "./bench-format.js";
import { paretoFront } from "./pareto.js";
import type { LegendEntry, Point, Scale } from "./plot.js";
import {
  axes,
  colorAt,
  escapeXml as escapeHtml,
  frameOf,
  legend,
  linearScale,
  logScale,
  paddedLogRange,
  paddedRange,
  pointLabel,
  polyline,
  scatter,
  svgPicture,
  xRange,
  yRange,
} from "./plot.js";
import { renderCurveSvg } from "./svg.js";

export { escapeHtml };

/** Two task plots side by side fit the page's 1180 px column. */
const PLOT_WIDTH = 550;
const PLOT_HEIGHT = 330;
const LEGEND_WIDTH = 150;

/** Interval on which activation shapes are drawn. */
export const SHAPE_INTERVAL: readonly [number, number] = [-4, 4];

export const REPORT_CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1180px; padding: 16px 24px 48px; color: #222; line-height: 1.45; }
h1 { margin-bottom: 4px; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
.meta { color: #666; margin-top: 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; } dt { font-weight: 600; } dd { margin: 0; }
nav a { margin-right: 12px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
tr.baseline td:first-child { font-weight: 600; }
td.best { font-weight: 700; }
.better { color: #1a7f37; font-weight: 700; } .worse { color: #c62828; font-weight: 700; }
table[data-sortable="ready"] th { cursor: pointer; user-select: none; }
th[aria-sort="ascending"]::after { content: " ▲"; } th[aria-sort="descending"]::after { content: " ▼"; }
.plots { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; } figcaption { font-size: 13px; color: #555; max-width: 550px; }
svg { max-width: 100%; height: auto; border: 1px solid #eee; }
.shapes { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 16px; }
code { background: #f4f4f4; padding: 1px 4px; border-radius: 3px; word-break: break-word; }
.note { color: #666; font-style: italic; }
`;

/** Sortable tables: click a header to sort by that column (numbers by data-value). */
const SCRIPT = `
(function () {
  function key(cell) {
    var v = cell.getAttribute("data-value");
    if (v !== null && v !== "" && !isNaN(Number(v))) return Number(v);
    return cell.textContent.trim();
  }
  function sortBy(table, column, header) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var direction = header.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    rows.sort(function (a, b) {
      var x = key(a.cells[column]), y = key(b.cells[column]);
      if (typeof x === "number" && typeof y === "number") return (x - y) * direction;
      return String(x).localeCompare(String(y)) * direction;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(header.parentNode.cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", direction > 0 ? "ascending" : "descending");
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
      th.tabIndex = 0;
      th.title = "click to sort";
      th.addEventListener("click", function () { sortBy(table, column, th); });
    });
    table.setAttribute("data-sortable", "ready");
  });
})();
`;

interface HtmlCell {
  html: string;
  /** Numeric sort key (and right alignment). */
  value?: number;
  className?: string;
}

const text = (value: string, className?: string): HtmlCell => ({
  html: escapeHtml(value),
  ...(className ? { className } : {}),
});
const number = (display: string, value: number, className?: string): HtmlCell => ({
  html: escapeHtml(display),
  value,
  className: className ? `num ${className}` : "num",
});

function htmlTable(
  header: readonly string[],
  rows: readonly (readonly HtmlCell[])[],
  options: { sortable?: boolean; rowClasses?: readonly string[]; className?: string } = {},
): string {
  const numeric = header.map((_, c) => rows.some((row) => row[c]?.value !== undefined));
  const classes = [options.className, options.sortable ? "sortable" : undefined]
    .filter(Boolean)
    .join(" ");
  const head = header
    .map((h, c) => `<th${numeric[c] ? ' class="num"' : ""}>${escapeHtml(h)}</th>`)
    .join("");
  const body = rows
    .map((row, r) => {
      const rowClass = options.rowClasses?.[r] ? ` class="${options.rowClasses[r]}"` : "";
      const cells = row
        .map((cell) => {
          const cls = cell.className ? ` class="${cell.className}"` : "";
          const value =
            cell.value !== undefined && Number.isFinite(cell.value)
              ? ` data-value="${cell.value}"`
              : "";
          return `<td${cls}${value}>${cell.html}</td>`;
        })
        .join("");
      return `<tr${rowClass}>${cells}</tr>`;
    })
    .join("\n");
  return `<table${classes ? ` class="${classes}"` : ""}>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function shorten(label: string, max = 24): string {
  const chars = [...label];
  return chars.length <= max ? label : `${chars.slice(0, max - 1).join("")}…`;
}

/** Colour of a candidate: its position among the declared candidates. */
function candidateColor(results: BenchResults, candidate: string): string {
  return colorAt(results.candidates.findIndex((c) => c.name === candidate));
}

/** Log axis when an error metric spans more than a decade and a half (RMSE curves drop fast). */
function metricScale(values: number[], metric: string, range: [number, number]): Scale {
  const finite = values.filter(Number.isFinite);
  const positive = finite.length > 0 && finite.every((v) => v > 0);
  if (metric === "rmse" && positive && Math.max(...finite) / Math.min(...finite) > 30) {
    return logScale(paddedLogRange(finite), range);
  }
  return linearScale(paddedRange(finite), range);
}

/** Validation metric against epoch, mean over seeds, one line per candidate. */
export function learningCurveSvg(results: BenchResults, task: BenchTaskInfo): string {
  const curves = meanValidationCurves(results, task).filter((c) => c.epochs.length > 0);
  const frame = frameOf(PLOT_WIDTH, PLOT_HEIGHT, { right: LEGEND_WIDTH });
  const title = `${task.name}: validation ${task.metric} by epoch (mean over seeds)`;
  if (curves.length === 0) {
    return svgPicture(frame, title, [
      `<text x="${frame.width / 2}" y="${frame.height / 2}" text-anchor="middle" fill="#888">no validation metric recorded</text>`,
    ]);
  }
  const x = linearScale(
    paddedRange(
      curves.flatMap((c) => c.epochs),
      0.02,
    ),
    xRange(frame),
    6,
    true,
  );
  const y = metricScale(
    curves.flatMap((c) => c.values),
    task.metric,
    yRange(frame),
  );
  const lines = curves.map((c) => {
    const baseline = c.candidate === results.baseline;
    const points: Point[] = c.epochs.map((e, i) => ({ x: e, y: c.values[i] as number }));
    return polyline(points, x, y, {
      color: candidateColor(results, c.candidate),
      width: baseline ? 2.5 : 1.8,
      ...(baseline ? { dash: "6 3" } : {}),
    });
  });
  const entries: LegendEntry[] = curves.map((c) => ({
    label: shorten(c.candidate === results.baseline ? `${c.candidate} (baseline)` : c.candidate),
    color: candidateColor(results, c.candidate),
    ...(c.candidate === results.baseline ? { dash: "6 3" } : {}),
  }));
  return svgPicture(frame, title, [
    axes(frame, x, y, {
      grid: true,
      xLabel: "epoch",
      yLabel: `validation ${task.metric}${y.log ? " (log)" : ""}`,
    }),
    ...lines,
    legend(entries, frame.width - frame.right + 12, frame.top + 8),
  ]);
}

/** Mean test metric against mean parameters (log x) per candidate, with the Pareto front. */
export function paretoSvg(results: BenchResults, task: BenchTaskInfo): string {
  const summaries = summariesOf(results, task.name);
  const frame = frameOf(PLOT_WIDTH, PLOT_HEIGHT, { right: LEGEND_WIDTH });
  const title = `${task.name}: test ${task.metric} vs parameters`;
  const points: Point[] = summaries.map((s) => ({ x: s.params, y: s.mean }));
  const front = new Set(paretoFront(points, true, higherIsBetter(task.metric)));
  const x = logScale(
    paddedLogRange(
      points.map((p) => p.x),
      0.12,
    ),
    xRange(frame),
  );
  const spread = summaries.flatMap((s) => [s.mean - s.sd, s.mean + s.sd]);
  const y = linearScale(paddedRange([...points.map((p) => p.y), ...spread], 0.12), yRange(frame));
  const frontPoints = [...front].map((i) => points[i] as Point).sort((a, b) => a.x - b.x);
  // The attainment staircase: everything above-left of it is dominated.
  const stairs: Point[] = frontPoints.flatMap((p, i) =>
    i === 0 ? [p] : [{ x: p.x, y: (frontPoints[i - 1] as Point).y }, p],
  );
  const parts = summaries.map((s, i) => {
    const p = points[i] as Point;
    const color = candidateColor(results, s.candidate);
    const onFront = front.has(i);
    const errorBar =
      Number.isFinite(s.sd) && s.sd > 0
        ? polyline(
            [
              { x: p.x, y: s.mean - s.sd },
              { x: p.x, y: s.mean + s.sd },
            ],
            x,
            y,
            { color, width: 1 },
          )
        : "";
    const tip = `${s.candidate}: ${meanAndSd(s)} with ${formatCount(s.params)} parameters${onFront ? " (Pareto front)" : ""}`;
    return [
      errorBar,
      scatter([p], x, y, { color, radius: onFront ? 5 : 4, filled: onFront }, [tip]),
      pointLabel(p, x, y, shorten(s.candidate, 20), color),
    ].join("\n");
  });
  const entries: LegendEntry[] = [
    { label: "Pareto front", color: "#555", dash: "4 3" },
    { label: "on the front", color: "#555", marker: "disc" },
    { label: "dominated", color: "#555", marker: "ring" },
  ];
  return svgPicture(frame, title, [
    axes(frame, x, y, {
      grid: true,
      xLabel: "parameters (log scale)",
      yLabel: `test ${task.metric} (${directionText(task.metric)})`,
    }),
    polyline(stairs, x, y, { color: "#555", width: 1.5, dash: "4 3" }),
    ...parts,
    legend(entries, frame.width - frame.right + 12, frame.top + 8),
  ]);
}

function setupSection(results: BenchResults): string {
  const m = results.machine;
  const items: [string, string][] = [
    ["Fairness", fairnessText(results.fairness)],
    ["Seeds", `${results.seeds} per task and candidate`],
    ["Baseline", results.baseline],
    ["Machine", `${m.cpus} CPU(s), ${m.platform}, Node ${m.node}, device ${m.device}`],
    ["Run", `${results.started} → ${results.finished}`],
  ];
  return [
    `<section id="setup"><h2>Setup</h2>`,
    `<dl>${items.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>`,
    `<p><strong>Protocol.</strong> ${escapeHtml(protocolSentence(results))}</p>`,
    `<h3>Tasks</h3>`,
    htmlTable(
      ["task", "family", "kind", "metric", "rows (train/val/test)", "description"],
      results.tasks.map((t) => [
        text(t.name),
        text(t.family),
        text(t.kind),
        text(`${t.metric} (${directionText(t.metric)})`),
        text(rowsText(t)),
        text(t.description),
      ]),
    ),
    `<h3>Candidates</h3>`,
    htmlTable(
      ["candidate", "kind", "group", "description"],
      results.candidates.map((c) => [
        text(c.name === results.baseline ? `${c.name} (baseline)` : c.name),
        text(c.kind),
        text(c.group),
        {
          html:
            escapeHtml(c.description) +
            (c.expression ? ` <code>${escapeHtml(c.expression)}</code>` : ""),
        },
      ]),
    ),
    `</section>`,
  ].join("\n");
}

function resultsTable(results: BenchResults, task: BenchTaskInfo): string {
  const summaries = summariesOf(results, task.name);
  const best = bestIndex(summaries, task.metric);
  const classification = task.kind === "classification";
  const decimals = metricDecimals(summaries);
  const header = [
    "candidate",
    `test ${task.metric} (mean ± sd)`,
    "95% CI",
    "p vs baseline (Holm)",
    ...(classification ? ["test AUC"] : []),
    "params",
    "FLOPs",
    "s/epoch",
  ];
  const rows = summaries.map((s: CandidateSummary, i): HtmlCell[] => {
    const mark = significanceMark(s);
    const markHtml = mark
      ? ` <span class="${mark === "*" ? "better" : "worse"}">${escapeHtml(mark)}</span>`
      : "";
    const auc = meanAuc(results, task.name, s.candidate);
    return [
      text(s.candidate),
      {
        html: escapeHtml(meanAndSd(s, decimals)) + markHtml,
        value: s.mean,
        className: i === best ? "num best" : "num",
      },
      text(ciText(s, decimals), "num"),
      s.candidate === results.baseline
        ? text("baseline", "num")
        : s.vsBaseline
          ? number(formatP(s.vsBaseline.pHolm), s.vsBaseline.pHolm)
          : text("—", "num"),
      ...(classification
        ? [auc === undefined ? text("—", "num") : number(formatValue(auc), auc)]
        : []),
      number(formatCount(s.params), s.params),
      number(formatCompact(s.flops), s.flops),
      number(formatSeconds(s.secondsPerEpoch), s.secondsPerEpoch),
    ];
  });
  return htmlTable(header, rows, {
    sortable: true,
    className: "results",
    rowClasses: summaries.map((s) => (s.candidate === results.baseline ? "baseline" : "")),
  });
}

function taskSection(results: BenchResults, task: BenchTaskInfo, index: number): string {
  const diverged = results.trials.filter((t) => t.task === task.name && t.diverged);
  return [
    `<section class="task" id="task-${index}">`,
    `<h3>${escapeHtml(task.name)}</h3>`,
    `<p>${escapeHtml(task.description)} — ${escapeHtml(task.kind)}, test ${escapeHtml(task.metric)} (${directionText(task.metric)}).</p>`,
    resultsTable(results, task),
    diverged.length > 0
      ? `<p class="note">Diverged trials (scored as worst): ${escapeHtml(diverged.map((t) => `${t.candidate} seed ${t.seedIndex}`).join(", "))}.</p>`
      : "",
    `<div class="plots">`,
    `<figure>${learningCurveSvg(results, task)}<figcaption>Validation ${escapeHtml(task.metric)} after each epoch, averaged over seeds; the baseline is dashed.</figcaption></figure>`,
    `<figure>${paretoSvg(results, task)}<figcaption>Mean test ${escapeHtml(task.metric)} (bars: ± 1 sd over seeds) against parameters. Filled points are on the Pareto front: no other candidate has at most as many parameters and a metric at least as good.</figcaption></figure>`,
    `</div>`,
    `</section>`,
  ].join("\n");
}

function rankSection(results: BenchResults): string {
  const ranks = [...results.ranks].sort((a, b) => a.averageRank - b.averageRank);
  const cd =
    results.criticalDifference !== undefined
      ? `Critical difference (Nemenyi, α = 0.05): ${formatValue(results.criticalDifference)}; average ranks closer than this are not significantly different.`
      : "Critical difference: not computed (needs at least 2 tasks).";
  const friedman =
    results.friedmanP !== undefined
      ? `Friedman test over tasks: p = ${formatP(results.friedmanP)}.`
      : "Friedman test: not computed (needs at least 2 tasks and 2 candidates).";
  const improvement = htmlTable(
    ["candidate", ...results.tasks.map((t) => t.name)],
    results.candidates.map((c) => [
      text(c.name),
      ...results.tasks.map((t) => {
        const s = results.summaries.find((x) => x.task === t.name && x.candidate === c.name);
        return s
          ? number(formatPercent(s.improvementOverRandom), s.improvementOverRandom)
          : text("—");
      }),
    ]),
    { sortable: true },
  );
  const classification = results.tasks.filter((t) => t.kind === "classification");
  const efficiency =
    classification.length === 0
      ? `<p class="note">No classification tasks in this run.</p>`
      : htmlTable(
          ["candidate", ...classification.map((t) => t.name)],
          results.candidates.map((c) => [
            text(c.name),
            ...classification.map((t) => {
              const s = results.summaries.find((x) => x.task === t.name && x.candidate === c.name);
              return s?.parameterEfficiency !== undefined
                ? number(formatValue(s.parameterEfficiency), s.parameterEfficiency)
                : text("—");
            }),
          ]),
          { sortable: true },
        );
  return [
    `<section id="ranks"><h2>Ranks</h2>`,
    `<p>Average rank of each candidate's mean test metric over ${results.tasks.length} task(s) (1 = best).</p>`,
    htmlTable(
      ["candidate", "average rank"],
      ranks.map((r) => [text(r.candidate), number(r.averageRank.toFixed(2), r.averageRank)]),
      { sortable: true },
    ),
    `<p>${escapeHtml(cd)}</p><p>${escapeHtml(friedman)}</p>`,
    `<h3>Improvement over the average candidate</h3>`,
    `<p>Test metric relative to the mean of all candidates on the task, in %, signed so that positive is better.</p>`,
    improvement,
    `<h3>Parameter efficiency (classification)</h3>`,
    classification.length > 0 ? `<p>Mean test AUC divided by log10(parameters).</p>` : "",
    efficiency,
    `</section>`,
  ].join("\n");
}

function costSection(results: BenchResults): string {
  return [
    `<section id="cost"><h2>Cost</h2>`,
    `<p>Means over seeds of seconds per training epoch and training throughput; FLOPs per sample (multiply-add = 2); peak growth of resident memory (largest over seeds).</p>`,
    htmlTable(
      [
        "task",
        "candidate",
        "s/epoch",
        "samples/s",
        "params",
        "FLOPs (fwd)",
        "FLOPs (fwd+bwd)",
        "peak memory",
      ],
      costRows(results).map((r) => [
        text(r.task),
        text(r.candidate),
        number(formatSeconds(r.secondsPerEpoch), r.secondsPerEpoch),
        number(formatCompact(r.throughput), r.throughput),
        number(formatCount(r.params), r.params),
        number(formatCompact(r.flops), r.flops),
        number(formatCompact(r.trainFlops), r.trainFlops),
        number(formatBytes(r.peakMemoryBytes), r.peakMemoryBytes),
      ]),
      { sortable: true },
    ),
    `</section>`,
  ].join("\n");
}

function verdictSection(results: BenchResults): string {
  const verdicts = results.verdicts ?? [];
  const body =
    verdicts.length === 0
      ? `<p class="note">Not applicable: this run does not have both KAN-family and MLP candidates.</p>`
      : [
          `<ul>${verdicts.map((v) => `<li><strong>${escapeHtml(v.family)}</strong>: ${escapeHtml(v.text)}</li>`).join("")}</ul>`,
          htmlTable(
            ["family", "tasks", "KAN family wins", "MLP wins"],
            verdicts.map((v) => [
              text(v.family),
              number(String(v.tasks), v.tasks),
              number(String(v.kanWins), v.kanWins),
              number(String(v.mlpWins), v.mlpWins),
            ]),
          ),
        ].join("\n");
  return `<section id="verdicts"><h2>KAN family vs MLP</h2>\n${body}\n</section>`;
}

/** One figure per activation candidate with an expression: f and f′ on SHAPE_INTERVAL. */
function shapeSection(results: BenchResults): string {
  const candidates = results.candidates.filter((c) => c.expression !== undefined);
  if (candidates.length === 0) return "";
  const figures = candidates.map((c) => {
    const expression = c.expression as string;
    let picture: string;
    let note = "parameters at their initial values";
    try {
      const curve = activationCurve(parseActivation(expression), SHAPE_INTERVAL);
      if (curve.contextDependent)
        note += "; context-dependent: unit 0 among fixed standard-normal neighbours";
      picture = renderCurveSvg({ title: c.name, ...curve }, { width: 340, height: 240 }).trimEnd();
    } catch (error) {
      picture = `<p class="note">cannot plot: ${escapeHtml(error instanceof Error ? error.message : String(error))}</p>`;
    }
    return `<figure>${picture}<figcaption><code>${escapeHtml(expression)}</code> (${escapeHtml(note)})</figcaption></figure>`;
  });
  return [
    `<section id="shapes"><h2>Activation shapes</h2>`,
    `<p>f (solid) and f′ (dashed) on [${SHAPE_INTERVAL.join(", ")}] for each activation candidate.</p>`,
    `<div class="shapes">`,
    ...figures,
    `</div></section>`,
  ].join("\n");
}

/** The whole report.html of a bench run. */
export function benchHtml(results: BenchResults): string {
  const hasShapes = results.candidates.some((c) => c.expression !== undefined);
  const nav = [
    ["#setup", "Setup"],
    ...results.tasks.map((t, i): [string, string] => [`#task-${i}`, t.name]),
    ["#ranks", "Ranks"],
    ["#cost", "Cost"],
    ["#verdicts", "KAN vs MLP"],
    ...(hasShapes ? [["#shapes", "Activation shapes"] as [string, string]] : []),
  ]
    .map(([href, label]) => `<a href="${href}">${escapeHtml(label as string)}</a>`)
    .join("\n");
  return [
    `<!DOCTYPE html>`,
    `<html lang="en">`,
    `<head>`,
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${escapeHtml(`Benchmark: ${results.name}`)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    `</head>`,
    `<body>`,
    `<header><h1>Benchmark: ${escapeHtml(results.name)}</h1>`,
    `<p class="meta">${results.tasks.length} task(s) × ${results.candidates.length} candidate(s) × ${results.seeds} seed(s); ${escapeHtml(fairnessText(results.fairness))}; baseline ${escapeHtml(results.baseline)}</p></header>`,
    `<nav>${nav}</nav>`,
    setupSection(results),
    `<section id="results"><h2>Results</h2>`,
    `<p>${escapeHtml(MARK_LEGEND)}. The best mean per task is bold. Click a column header to sort.</p>`,
    ...results.tasks.map((task, i) => taskSection(results, task, i)),
    `</section>`,
    rankSection(results),
    costSection(results),
    verdictSection(results),
    shapeSection(results),
    `<footer class="meta"><p>Written by nonlin bench from results.json.</p></footer>`,
    `<script>${SCRIPT}</script>`,
    `</body>`,
    `</html>`,
    "",
  ]
    .filter((line) => line !== "")
    .join("\n")
    .concat("\n");
}
