/**
 * report.html of a `nonlin bench` run: one self-contained page (inline CSS, inline SVG plots, a
 * few lines of inline JS that make tables sortable; no external URL, readable without JS).
 * Per task: the results table, the learning curves (validation metric vs epoch, mean over seeds)
 * and test metric against parameters with the Pareto front; then ranks, cost, the KAN-vs-MLP
 * verdicts and the shape (f, f′) of each activation candidate.
 */
import type { BenchResults, BenchTaskInfo } from "../bench/results.js";
import { parseActivation } from "../expr/parse.js";
import { activationCurve } from "./activation-curve.js";
import {
  directionText,
  fairnessText,
  formatCount,
  higherIsBetter,
  MARK_BETTER,
  MARK_WORSE,
  meanAndSd,
  meanValidationCurves,
  summariesOf,
} from "./bench-format.js";
import type {
  BenchReportModel,
  ReportCell,
  ReportSection,
  ReportTable,
} from "./bench-report-model.js";
import { benchReportModel } from "./bench-report-model.js";
import { LEARNED_SHAPE_CAPTION, learnedShapePicture } from "./learned-shape.js";
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
.warning { border-left: 4px solid #c62828; background: #fdecea; padding: 6px 12px; }
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

function cellHtml(cell: ReportCell): string {
  const mark = cell.mark
    ? ` <span class="${cell.mark}">${escapeHtml(cell.mark === "better" ? MARK_BETTER : MARK_WORSE)}</span>`
    : "";
  const code = cell.code !== undefined ? ` <code>${escapeHtml(cell.code)}</code>` : "";
  return `${escapeHtml(cell.text)}${mark}${code}`;
}

function htmlTable(model: ReportTable, className?: string): string {
  const classes = [className, model.sortable ? "sortable" : undefined].filter(Boolean).join(" ");
  const num = (numeric: boolean): string => (numeric ? ' class="num"' : "");
  const head = model.columns
    .map((column) => `<th${num(column.numeric)}>${escapeHtml(column.title)}</th>`)
    .join("");
  const body = model.rows
    .map((row, r) => {
      const rowClass = r === model.baselineRow ? ' class="baseline"' : "";
      const cells = row
        .map((cell, c) => {
          const names = [model.columns[c]?.numeric ? "num" : "", cell.best ? "best" : ""];
          const cls = names.some(Boolean) ? ` class="${names.filter(Boolean).join(" ")}"` : "";
          const value =
            cell.value !== undefined && Number.isFinite(cell.value)
              ? ` data-value="${cell.value}"`
              : "";
          return `<td${cls}${value}>${cellHtml(cell)}</td>`;
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

function setupSection(setup: BenchReportModel["setup"]): string {
  return [
    `<section id="setup"><h2>${escapeHtml(setup.title)}</h2>`,
    `<dl>${setup.facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>`,
    `<p><strong>Protocol.</strong> ${escapeHtml(setup.protocol)}</p>`,
    `<h3>Tasks</h3>`,
    htmlTable(setup.tasks),
    `<h3>Candidates</h3>`,
    htmlTable(setup.candidates),
    `</section>`,
  ].join("\n");
}

const paragraph = (text: string | undefined): string =>
  text === undefined ? "" : `<p>${escapeHtml(text)}</p>`;
const note = (text: string | undefined): string =>
  text === undefined ? "" : `<p class="note">${escapeHtml(text)}</p>`;

function taskSection(
  results: BenchResults,
  task: BenchTaskInfo,
  model: ReportSection,
  index: number,
): string {
  return [
    `<section class="task" id="task-${index}">`,
    `<h3>${escapeHtml(model.title)}</h3>`,
    paragraph(model.intro),
    model.table ? htmlTable(model.table, "results") : "",
    note(model.note),
    `<div class="plots">`,
    `<figure>${learningCurveSvg(results, task)}<figcaption>Validation ${escapeHtml(task.metric)} after each epoch, averaged over seeds; the baseline is dashed.</figcaption></figure>`,
    `<figure>${paretoSvg(results, task)}<figcaption>Mean test ${escapeHtml(task.metric)} (bars: ± 1 sd over seeds) against parameters. Filled points are on the Pareto front: no other candidate has at most as many parameters and a metric at least as good.</figcaption></figure>`,
    `</div>`,
    `</section>`,
  ].join("\n");
}

/** A section's intro, bullets, table, findings and note, without its heading. */
function sectionBody(model: ReportSection): string {
  return [
    paragraph(model.intro),
    model.bullets
      ? `<ul>${model.bullets.map((b) => `<li><strong>${escapeHtml(b.label)}</strong>: ${escapeHtml(b.text)}</li>`).join("")}</ul>`
      : "",
    model.table ? htmlTable(model.table) : "",
    (model.findings ?? []).map(paragraph).join(""),
    note(model.note),
  ]
    .filter((part) => part !== "")
    .join("\n");
}

/** Ranks, with the improvement and the parameter efficiency as its subsections. */
function rankSection(model: BenchReportModel): string {
  return [
    `<section id="ranks"><h2>${escapeHtml(model.ranks.title)}</h2>`,
    sectionBody(model.ranks),
    `<h3>${escapeHtml(model.improvement.title)}</h3>`,
    sectionBody(model.improvement),
    `<h3>${escapeHtml(model.efficiency.title)}</h3>`,
    sectionBody(model.efficiency),
    `</section>`,
  ].join("\n");
}

function topSection(id: string, model: ReportSection): string {
  return `<section id="${id}"><h2>${escapeHtml(model.title)}</h2>\n${sectionBody(model)}\n</section>`;
}

/** One figure per activation candidate with an expression: f and f′ on SHAPE_INTERVAL. */
function shapeSection(results: BenchResults): string {
  const candidates = results.candidates.filter((c) => c.expression !== undefined);
  if (candidates.length === 0) return "";
  const figures = candidates.map((c) => {
    const expression = c.expression as string;
    let picture: string;
    let note = "parameters at their initial values";
    if (results.summaries.some((s) => s.candidate === c.name && s.learned))
      note += "; the learned shapes are under Learned activation parameters";
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

/** The learned parameters' table, then each learned shape beside its initial one. */
function learnedSection(model: BenchReportModel): string {
  const figures = model.learnedShapes.map((shape) => {
    const picture = learnedShapePicture(shape);
    const body =
      "error" in picture ? `<p class="note">${escapeHtml(picture.error)}</p>` : picture.svg;
    return `<figure>${body}<figcaption><code>${escapeHtml(shape.activation)}</code>: ${escapeHtml(LEARNED_SHAPE_CAPTION)}</figcaption></figure>`;
  });
  return [
    `<section id="learned"><h2>${escapeHtml(model.learned.title)}</h2>`,
    sectionBody(model.learned),
    ...(figures.length > 0 ? [`<div class="shapes">`, ...figures, `</div>`] : []),
    `</section>`,
  ].join("\n");
}

/** The whole report.html of a bench run. */
export function benchHtml(results: BenchResults): string {
  const model = benchReportModel(results);
  const hasShapes = results.candidates.some((c) => c.expression !== undefined);
  const nav = [
    ["#setup", "Setup"],
    ...results.tasks.map((t, i): [string, string] => [`#task-${i}`, t.name]),
    ["#ranks", "Ranks"],
    ["#cost", "Cost"],
    ["#verdicts", "KAN vs MLP"],
    ["#learned", "Learned parameters"],
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
    `<title>${escapeHtml(model.title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    `</head>`,
    `<body>`,
    `<header><h1>${escapeHtml(model.title)}</h1>`,
    `<p class="meta">${results.tasks.length} task(s) × ${results.candidates.length} candidate(s) × ${results.seeds} seed(s); ${escapeHtml(fairnessText(results.fairness))}; baseline ${escapeHtml(results.baseline)}</p></header>`,
    ...model.warnings.map(
      (warning) => `<p class="warning"><strong>Warning:</strong> ${escapeHtml(warning)}</p>`,
    ),
    `<nav>${nav}</nav>`,
    setupSection(model.setup),
    `<section id="results"><h2>Results</h2>`,
    `<p>${escapeHtml(model.marks)}. The best mean per task is bold. Click a column header to sort.</p>`,
    ...results.tasks.map((task, i) =>
      taskSection(results, task, model.tasks[i] as ReportSection, i),
    ),
    `</section>`,
    rankSection(model),
    topSection("cost", model.cost),
    topSection("verdicts", model.verdicts),
    learnedSection(model),
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
