/**
 * report.md of a `nonlin bench` run: the setup and protocol, one results table per task, ranks
 * with the critical difference and Friedman p, the improvement over the average candidate (the
 * NAS-evaluation baseline), parameter efficiency, cost, and the KAN-vs-MLP verdicts.
 */
import type { BenchResults } from "../bench/results.js";
import { MARK_BETTER, MARK_WORSE } from "./bench-format.js";
import type {
  BenchReportModel,
  ReportCell,
  ReportSection,
  ReportTable,
} from "./bench-report-model.js";
import { benchReportModel } from "./bench-report-model.js";
import { LEARNED_SHAPE_CAPTION, learnedShapePicture } from "./learned-shape.js";

/** Text safe in a Markdown table cell: pipes escaped, HTML-significant characters as entities. */
export function markdownText(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .replace(/[\r\n]+/g, " ");
}

/** Inline code that survives any backticks inside and sits safely in a table cell. */
export function markdownCode(text: string): string {
  const body = text.replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ");
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const space = body.startsWith("`") || body.endsWith("`") ? " " : "";
  return `${fence}${space}${body}${space}${fence}`;
}

function table(model: ReportTable): string[] {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [
    line(model.columns.map((c) => markdownText(c.title))),
    line(model.columns.map((c) => (c.numeric ? "---:" : "---"))),
    ...model.rows.map((row) => line(row.map(cellText))),
  ];
}

function cellText(cell: ReportCell): string {
  // A bare * could start emphasis in Markdown: escape it.
  const mark = cell.mark
    ? ` ${(cell.mark === "better" ? MARK_BETTER : MARK_WORSE).replace("*", "\\*")}`
    : "";
  const code = cell.code !== undefined ? ` ${markdownCode(cell.code)}` : "";
  return `${markdownText(cell.text)}${mark}${code}`;
}

function section(model: ReportSection, level: string): string[] {
  return [
    `${level} ${markdownText(model.title)}`,
    "",
    ...(model.intro !== undefined ? [markdownText(model.intro), ""] : []),
    ...(model.bullets ?? []).map((b) => `- **${markdownText(b.label)}**: ${markdownText(b.text)}`),
    "",
    ...(model.table ? [...table(model.table), ""] : []),
    ...(model.findings ?? []).flatMap((paragraph) => [markdownText(paragraph), ""]),
    ...(model.note !== undefined ? [markdownText(model.note), ""] : []),
  ];
}

function setupSection(setup: BenchReportModel["setup"]): string[] {
  return [
    `## ${markdownText(setup.title)}`,
    "",
    ...setup.facts.map(([label, text]) => `- ${label}: ${markdownText(text)}`),
    "",
    `Protocol: ${markdownText(setup.protocol)}`,
    "",
    "### Tasks",
    "",
    ...table(setup.tasks),
    "",
    "### Candidates",
    "",
    ...table(setup.candidates),
  ];
}

/**
 * Each learned shape as an image with the SVG inline (a data URI), so report.md stays one file:
 * editors' previews and pandoc show it; GitHub's renderer drops data-URI images (report.html has
 * the same plots).
 */
function learnedShapeImages(model: BenchReportModel): string[] {
  if (model.learnedShapes.length === 0) return [];
  return [
    "### Learned shapes",
    "",
    ...model.learnedShapes.flatMap((shape) => {
      const picture = learnedShapePicture(shape);
      const alt = markdownText(
        `${shape.candidate} on ${shape.task}: initial and learned shape`,
      ).replace(/[[\]]/g, "\\$&");
      return [
        "error" in picture
          ? markdownText(picture.error)
          : `![${alt}](data:image/svg+xml;base64,${Buffer.from(picture.svg, "utf8").toString("base64")})`,
        "",
        `${markdownCode(shape.activation)}: ${markdownText(LEARNED_SHAPE_CAPTION)}`,
        "",
      ];
    }),
  ];
}

/** The whole report.md of a bench run. */
export function benchMarkdown(results: BenchResults): string {
  const model = benchReportModel(results);
  return [
    `# ${markdownText(model.title)}`,
    "",
    ...model.warnings.flatMap((warning) => [`> **Warning:** ${markdownText(warning)}`, ""]),
    ...setupSection(model.setup),
    "",
    "## Results",
    "",
    `Marks: ${model.marks.replace(/\*/g, "\\*")}.`,
    "",
    ...model.tasks.flatMap((task) => section(task, "###")),
    ...[model.ranks, model.improvement, model.efficiency, model.cost, model.verdicts].flatMap(
      (part) => section(part, "##"),
    ),
    ...section(model.learned, "##"),
    ...learnedShapeImages(model),
  ]
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()
    .concat("\n");
}
