/**
 * report.md of a `nonlin bench` run: the setup and protocol, one results table per task, ranks
 * with the critical difference and Friedman p, the improvement over the average candidate (the
 * NAS-evaluation baseline), parameter efficiency, cost, and the KAN-vs-MLP verdicts.
 */
import type { BenchResults, BenchTaskInfo } from "../bench/results.js";
import {
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
  MARK_LEGEND,
  meanAndSd,
  metricDecimals,
  meanAuc,
  protocolSentence,
  rowsText,
  significanceMark,
  summariesOf,
} from "./bench-format.js";

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

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly boolean[],
): string[] {
  const rule = header.map((_, c) => (right[c] ? "---:" : "---"));
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(rule), ...rows.map(line)];
}

function setupSection(results: BenchResults): string[] {
  const m = results.machine;
  return [
    "## Setup",
    "",
    `- Fairness: ${fairnessText(results.fairness)}`,
    `- Seeds: ${results.seeds} per task and candidate`,
    `- Baseline: ${markdownText(results.baseline)}`,
    `- Machine: ${m.cpus} CPU(s), ${markdownText(m.platform)}, Node ${markdownText(m.node)}, device ${markdownText(m.device)}`,
    `- Run: ${markdownText(results.started)} → ${markdownText(results.finished)}`,
    "",
    `Protocol: ${protocolSentence(results)}`,
    "",
    "### Tasks",
    "",
    ...table(
      ["task", "family", "kind", "metric", "rows (train/val/test)", "description"],
      results.tasks.map((t) => [
        markdownText(t.name),
        t.family,
        t.kind,
        `${t.metric} (${directionText(t.metric)})`,
        rowsText(t),
        markdownText(t.description),
      ]),
      [false, false, false, false, true, false],
    ),
    "",
    "### Candidates",
    "",
    ...table(
      ["candidate", "kind", "group", "description"],
      results.candidates.map((c) => [
        markdownText(c.name) + (c.name === results.baseline ? " (baseline)" : ""),
        c.kind,
        markdownText(c.group),
        markdownText(c.description) + (c.expression ? ` ${markdownCode(c.expression)}` : ""),
      ]),
      [false, false, false, false],
    ),
  ];
}

function taskSection(results: BenchResults, task: BenchTaskInfo): string[] {
  const summaries = summariesOf(results, task.name);
  const classification = task.kind === "classification";
  const decimals = metricDecimals(summaries);
  const header = [
    "candidate",
    `test ${task.metric} (mean ± sd)`,
    "95% CI",
    "vs baseline (p, Holm)",
    ...(classification ? ["test AUC"] : []),
    "params",
    "FLOPs",
    "s/epoch",
  ];
  const rows = summaries.map((s) => {
    // A bare * could start emphasis in Markdown: escape it.
    const mark = significanceMark(s).replace("*", "\\*");
    const versus =
      s.candidate === results.baseline
        ? "baseline"
        : s.vsBaseline
          ? `${mark ? `${mark} ` : ""}${formatP(s.vsBaseline.pHolm)}`
          : "—";
    const auc = meanAuc(results, task.name, s.candidate);
    return [
      markdownText(s.candidate),
      `${meanAndSd(s, decimals)}${mark ? ` ${mark}` : ""}`,
      ciText(s, decimals),
      versus,
      ...(classification ? [auc === undefined ? "—" : formatValue(auc)] : []),
      formatCount(s.params),
      formatCompact(s.flops),
      formatSeconds(s.secondsPerEpoch),
    ];
  });
  const diverged = results.trials.filter((t) => t.task === task.name && t.diverged);
  return [
    `### ${markdownText(task.name)}`,
    "",
    `${markdownText(task.description)} — ${task.kind}, test ${task.metric} (${directionText(task.metric)}), n = ${summaries[0]?.n ?? 0} seeds.`,
    "",
    ...table(
      header,
      rows,
      header.map((_, c) => c > 0),
    ),
    ...(diverged.length > 0
      ? [
          "",
          `Diverged trials (scored as worst): ${diverged.map((t) => `${markdownText(t.candidate)} seed ${t.seedIndex}`).join(", ")}.`,
        ]
      : []),
    "",
  ];
}

function rankSection(results: BenchResults): string[] {
  const ranks = [...results.ranks].sort((a, b) => a.averageRank - b.averageRank);
  const cd =
    results.criticalDifference !== undefined
      ? `Critical difference (Nemenyi, α = 0.05): ${formatValue(results.criticalDifference)} — candidates whose average ranks differ by less are not significantly different.`
      : "Critical difference: not computed (needs at least 2 tasks).";
  const friedman =
    results.friedmanP !== undefined
      ? `Friedman test over tasks: p = ${formatP(results.friedmanP)}.`
      : "Friedman test: not computed (needs at least 2 tasks and 2 candidates).";
  return [
    "## Ranks",
    "",
    `Average rank of each candidate's mean test metric over ${results.tasks.length} task(s) (1 = best).`,
    "",
    ...table(
      ["candidate", "average rank"],
      ranks.map((r) => [markdownText(r.candidate), r.averageRank.toFixed(2)]),
      [false, true],
    ),
    "",
    cd,
    "",
    friedman,
    "",
  ];
}

function improvementSection(results: BenchResults): string[] {
  const header = ["candidate", ...results.tasks.map((t) => markdownText(t.name))];
  const rows = results.candidates.map((c) => [
    markdownText(c.name),
    ...results.tasks.map((t) => {
      const s = results.summaries.find((x) => x.task === t.name && x.candidate === c.name);
      return s ? formatPercent(s.improvementOverRandom) : "—";
    }),
  ]);
  return [
    "## Improvement over the average candidate",
    "",
    "Test metric relative to the mean of all candidates on the task, in %, signed so that positive is better (the NAS-evaluation baseline of a randomly chosen candidate).",
    "",
    ...table(
      header,
      rows,
      header.map((_, c) => c > 0),
    ),
    "",
  ];
}

function efficiencySection(results: BenchResults): string[] {
  const tasks = results.tasks.filter((t) => t.kind === "classification");
  const lines = ["## Parameter efficiency (classification)", ""];
  if (tasks.length === 0) return [...lines, "No classification tasks in this run.", ""];
  const header = ["candidate", ...tasks.map((t) => markdownText(t.name))];
  const rows = results.candidates.map((c) => [
    markdownText(c.name),
    ...tasks.map((t) => {
      const s = results.summaries.find((x) => x.task === t.name && x.candidate === c.name);
      return s?.parameterEfficiency !== undefined ? formatValue(s.parameterEfficiency) : "—";
    }),
  ]);
  return [
    ...lines,
    "Mean test AUC divided by log10(parameters): higher is better.",
    "",
    ...table(
      header,
      rows,
      header.map((_, c) => c > 0),
    ),
    "",
  ];
}

function costSection(results: BenchResults): string[] {
  const header = [
    "task",
    "candidate",
    "s/epoch",
    "samples/s",
    "params",
    "FLOPs (fwd)",
    "FLOPs (fwd+bwd)",
    "peak memory",
  ];
  const rows = costRows(results).map((r) => [
    markdownText(r.task),
    markdownText(r.candidate),
    formatSeconds(r.secondsPerEpoch),
    formatCompact(r.throughput),
    formatCount(r.params),
    formatCompact(r.flops),
    formatCompact(r.trainFlops),
    formatBytes(r.peakMemoryBytes),
  ]);
  return [
    "## Cost",
    "",
    "Means over seeds of wall-clock seconds per training epoch and training throughput; FLOPs per sample (multiply-add = 2); peak growth of resident memory (largest over seeds).",
    "",
    ...table(
      header,
      rows,
      header.map((_, c) => c > 1),
    ),
    "",
  ];
}

function verdictSection(results: BenchResults): string[] {
  const lines = ["## KAN family vs MLP", ""];
  if (!results.verdicts || results.verdicts.length === 0) {
    return [
      ...lines,
      "Not applicable: this run does not have both KAN-family and MLP candidates.",
      "",
    ];
  }
  return [
    ...lines,
    ...results.verdicts.map((v) => `- **${v.family}**: ${markdownText(v.text)}`),
    "",
    ...table(
      ["family", "tasks", "KAN family wins", "MLP wins"],
      results.verdicts.map((v) => [
        v.family,
        String(v.tasks),
        String(v.kanWins),
        String(v.mlpWins),
      ]),
      [false, true, true, true],
    ),
    "",
  ];
}

/** The whole report.md of a bench run. */
export function benchMarkdown(results: BenchResults): string {
  return [
    `# Benchmark: ${markdownText(results.name)}`,
    "",
    ...setupSection(results),
    "",
    "## Results",
    "",
    `Marks: ${MARK_LEGEND.replace(/\*/g, "\\*")}.`,
    "",
    ...results.tasks.flatMap((task) => taskSection(results, task)),
    ...rankSection(results),
    ...improvementSection(results),
    ...efficiencySection(results),
    ...costSection(results),
    ...verdictSection(results),
  ]
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()
    .concat("\n");
}
