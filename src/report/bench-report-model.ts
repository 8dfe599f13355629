/**
 * The content of a bench report, computed once from BenchResults: every section's title, prose,
 * tables (formatted cells plus the numbers behind them) and notes, as plain data. report.md
 * (bench-markdown.ts) and report.html (bench-html.ts) render this model; neither computes a
 * section of its own, so the two cannot drift apart. Text here is plain: renderers escape it.
 */
import type { BenchResults, BenchTaskInfo } from "../bench/results.js";
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
  MARK_BETTER,
  MARK_LEGEND,
  meanAndSd,
  metricDecimals,
  meanAuc,
  protocolSentence,
  rowsText,
  significanceMark,
  summariesOf,
} from "./bench-format.js";
import type { LearnedShape } from "./bench-learned.js";
import { learnedSection, learnedShapes } from "./bench-learned.js";
import { benchWarnings, trialWidths, widthText } from "./bench-warnings.js";

export interface ReportCell {
  text: string;
  /** The number a numeric cell shows (the key a sortable table sorts by). */
  value?: number;
  /** Significantly better or worse than the baseline: a mark follows the text. */
  mark?: "better" | "worse";
  /** The best mean of its column. */
  best?: boolean;
  /** An expression shown as code after the text. */
  code?: string;
}

export interface ReportColumn {
  title: string;
  /** Right-aligned. */
  numeric: boolean;
}

export interface ReportTable {
  columns: ReportColumn[];
  rows: ReportCell[][];
  /** Rows may be reordered by any column (the HTML page offers it). */
  sortable: boolean;
  /** Index of the baseline candidate's row, where rows are candidates. */
  baselineRow?: number;
}

export interface ReportSection {
  title: string;
  /** What the section shows, before its table. */
  intro?: string;
  /** A list of labelled findings, before the table. */
  bullets?: { label: string; text: string }[];
  table?: ReportTable;
  /** Plain paragraphs after the table. */
  findings?: string[];
  /** A remark set apart: diverged trials, or why the section is empty. */
  note?: string;
}

export interface BenchReportModel {
  title: string;
  /** What a reader must know before the numbers (the Holm floor…), said before everything else. */
  warnings: string[];
  setup: {
    title: string;
    facts: [label: string, text: string][];
    protocol: string;
    tasks: ReportTable;
    candidates: ReportTable;
  };
  /** What the significance marks mean. */
  marks: string;
  /** One section per task, titled with the task's name. */
  tasks: ReportSection[];
  ranks: ReportSection;
  improvement: ReportSection;
  efficiency: ReportSection;
  cost: ReportSection;
  verdicts: ReportSection;
  /** Learned activation parameters: the table, and each learned shape beside the initial one. */
  learned: ReportSection;
  learnedShapes: LearnedShape[];
}

const cell = (text: string): ReportCell => ({ text });
const numberCell = (text: string, value: number): ReportCell => ({ text, value });
const MISSING = "—";

function columns(titles: readonly string[], numeric: (column: number) => boolean): ReportColumn[] {
  return titles.map((title, c) => ({ title, numeric: numeric(c) }));
}

/** "torch (torch 1.13.1, numpy 1.24.2, python 3.11.2)". */
export function engineText(engine: string, versions: Record<string, string> = {}): string {
  const listed = Object.entries(versions).map(([library, version]) => `${library} ${version}`);
  return listed.length > 0 ? `${engine} (${listed.join(", ")})` : engine;
}

function setupOf(results: BenchResults): BenchReportModel["setup"] {
  const m = results.machine;
  return {
    title: "Setup",
    facts: [
      ["Fairness", fairnessText(results.fairness)],
      ["Seeds", `${results.seeds} per task and candidate`],
      ["Baseline", results.baseline],
      ["Machine", `${m.cpus} CPU(s), ${m.platform}, Node ${m.node}, device ${m.device}`],
      ...(m.engine ? [["Engine", engineText(m.engine, m.versions)] as [string, string]] : []),
      ["Run", `${results.started} → ${results.finished}`],
    ],
    protocol: protocolSentence(results),
    tasks: {
      columns: columns(
        ["task", "family", "kind", "metric", "rows (train/val/test)", "description"],
        (c) => c === 4,
      ),
      rows: results.tasks.map((t) => [
        cell(t.name),
        cell(t.family),
        cell(t.kind),
        cell(`${t.metric} (${directionText(t.metric)})`),
        cell(rowsText(t)),
        cell(t.description),
      ]),
      sortable: false,
    },
    candidates: {
      columns: columns(["candidate", "kind", "group", "description"], () => false),
      rows: results.candidates.map((c) => [
        cell(c.name === results.baseline ? `${c.name} (baseline)` : c.name),
        cell(c.kind),
        cell(c.group),
        { text: c.description, ...(c.expression ? { code: c.expression } : {}) },
      ]),
      sortable: false,
    },
  };
}

/** The hidden width the solver gave a candidate on a task (sorts by the narrowest seed). */
function widthCell(results: BenchResults, task: string, candidate: string): ReportCell {
  const widths = trialWidths(results, task, candidate);
  return widths.length > 0 ? numberCell(widthText(widths), Math.min(...widths)) : cell(MISSING);
}

function taskOf(results: BenchResults, task: BenchTaskInfo): ReportSection {
  const summaries = summariesOf(results, task.name);
  const best = bestIndex(summaries, task.metric);
  const classification = task.kind === "classification";
  const decimals = metricDecimals(summaries);
  const titles = [
    "candidate",
    `test ${task.metric} (mean ± sd)`,
    "95% CI",
    "vs baseline (p, Holm)",
    ...(classification ? ["test AUC"] : []),
    "width",
    "params",
    "FLOPs",
    "s/epoch",
  ];
  const rows = summaries.map((s, i): ReportCell[] => {
    const mark = significanceMark(s);
    const auc = meanAuc(results, task.name, s.candidate);
    return [
      cell(s.candidate),
      {
        text: meanAndSd(s, decimals),
        value: s.mean,
        ...(mark ? { mark: mark === MARK_BETTER ? "better" : "worse" } : {}),
        ...(i === best ? { best: true } : {}),
      },
      cell(ciText(s, decimals)),
      s.candidate === results.baseline
        ? cell("baseline")
        : s.vsBaseline
          ? numberCell(formatP(s.vsBaseline.pHolm), s.vsBaseline.pHolm)
          : cell(MISSING),
      ...(classification
        ? [auc === undefined ? cell(MISSING) : numberCell(formatValue(auc), auc)]
        : []),
      widthCell(results, task.name, s.candidate),
      numberCell(formatCount(s.params), s.params),
      numberCell(formatCompact(s.flops), s.flops),
      numberCell(formatSeconds(s.secondsPerEpoch), s.secondsPerEpoch),
    ];
  });
  const baselineRow = summaries.findIndex((s) => s.candidate === results.baseline);
  const diverged = results.trials.filter((t) => t.task === task.name && t.diverged);
  return {
    title: task.name,
    intro: `${task.description} — ${task.kind}, test ${task.metric} (${directionText(task.metric)}), n = ${summaries[0]?.n ?? 0} seeds.`,
    table: {
      columns: columns(titles, (c) => c > 0),
      rows,
      sortable: true,
      ...(baselineRow >= 0 ? { baselineRow } : {}),
    },
    ...(diverged.length > 0
      ? {
          note: `Diverged trials (scored as worst): ${diverged.map((t) => `${t.candidate} seed ${t.seedIndex}`).join(", ")}.`,
        }
      : {}),
  };
}

function ranksOf(results: BenchResults): ReportSection {
  const ranks = [...results.ranks].sort((a, b) => a.averageRank - b.averageRank);
  return {
    title: "Ranks",
    intro: `Average rank of each candidate's mean test metric over ${results.tasks.length} task(s) (1 = best).`,
    table: {
      columns: columns(["candidate", "average rank"], (c) => c > 0),
      rows: ranks.map((r) => [
        cell(r.candidate),
        numberCell(r.averageRank.toFixed(2), r.averageRank),
      ]),
      sortable: true,
    },
    findings: [
      results.criticalDifference !== undefined
        ? `Critical difference (Nemenyi, α = 0.05): ${formatValue(results.criticalDifference)} — candidates whose average ranks differ by less are not significantly different.`
        : "Critical difference: not computed (needs at least 2 tasks).",
      results.friedmanP !== undefined
        ? `Friedman test over tasks: p = ${formatP(results.friedmanP)}.`
        : "Friedman test: not computed (needs at least 2 tasks and 2 candidates).",
    ],
  };
}

/** Candidates × tasks, one number per summary (— where it has none). */
function perTaskTable(
  results: BenchResults,
  tasks: readonly BenchTaskInfo[],
  valueOf: (summary: BenchResults["summaries"][number]) => ReportCell | undefined,
): ReportTable {
  return {
    columns: columns(["candidate", ...tasks.map((t) => t.name)], (c) => c > 0),
    rows: results.candidates.map((c) => [
      cell(c.name),
      ...tasks.map((t) => {
        const s = results.summaries.find((x) => x.task === t.name && x.candidate === c.name);
        return (s && valueOf(s)) ?? cell(MISSING);
      }),
    ]),
    sortable: true,
  };
}

function improvementOf(results: BenchResults): ReportSection {
  return {
    title: "Improvement over the average candidate",
    intro:
      "Test metric relative to the mean of all candidates on the task, in %, signed so that positive is better (the NAS-evaluation baseline of a randomly chosen candidate).",
    table: perTaskTable(results, results.tasks, (s) =>
      numberCell(formatPercent(s.improvementOverRandom), s.improvementOverRandom),
    ),
  };
}

function efficiencyOf(results: BenchResults): ReportSection {
  const title = "Parameter efficiency (classification)";
  const tasks = results.tasks.filter((t) => t.kind === "classification");
  if (tasks.length === 0) return { title, note: "No classification tasks in this run." };
  return {
    title,
    intro: "Mean test AUC divided by log10(parameters): higher is better.",
    table: perTaskTable(results, tasks, (s) =>
      s.parameterEfficiency !== undefined
        ? numberCell(formatValue(s.parameterEfficiency), s.parameterEfficiency)
        : undefined,
    ),
  };
}

function costOf(results: BenchResults): ReportSection {
  const titles = [
    "task",
    "candidate",
    "s/epoch",
    "samples/s",
    "params",
    "FLOPs (fwd)",
    "FLOPs (fwd+bwd)",
    "peak memory",
  ];
  return {
    title: "Cost",
    intro:
      "Means over seeds of wall-clock seconds per training epoch and training throughput; FLOPs per sample (multiply-add = 2); " +
      (results.machine.engine === "torch"
        ? "peak resident memory of the torch engine's Python process during the trial (largest over seeds)."
        : "peak growth of resident memory (largest over seeds)."),
    table: {
      columns: columns(titles, (c) => c > 1),
      rows: costRows(results).map((r) => [
        cell(r.task),
        cell(r.candidate),
        numberCell(formatSeconds(r.secondsPerEpoch), r.secondsPerEpoch),
        numberCell(formatCompact(r.throughput), r.throughput),
        numberCell(formatCount(r.params), r.params),
        numberCell(formatCompact(r.flops), r.flops),
        numberCell(formatCompact(r.trainFlops), r.trainFlops),
        numberCell(formatBytes(r.peakMemoryBytes), r.peakMemoryBytes),
      ]),
      sortable: true,
    },
  };
}

function verdictsOf(results: BenchResults): ReportSection {
  const title = "KAN family vs MLP";
  const verdicts = results.verdicts ?? [];
  if (verdicts.length === 0) {
    return {
      title,
      note: "Not applicable: this run does not have both KAN-family and MLP candidates.",
    };
  }
  return {
    title,
    bullets: verdicts.map((v) => ({ label: v.family, text: v.text })),
    table: {
      columns: columns(["family", "tasks", "KAN family wins", "MLP wins"], (c) => c > 0),
      rows: verdicts.map((v) => [
        cell(v.family),
        numberCell(String(v.tasks), v.tasks),
        numberCell(String(v.kanWins), v.kanWins),
        numberCell(String(v.mlpWins), v.mlpWins),
      ]),
      sortable: false,
    },
  };
}

/** Every section of a bench report, ready to render. */
export function benchReportModel(results: BenchResults): BenchReportModel {
  return {
    title: `Benchmark: ${results.name}`,
    warnings: benchWarnings(results),
    setup: setupOf(results),
    marks: MARK_LEGEND,
    tasks: results.tasks.map((task) => taskOf(results, task)),
    ranks: ranksOf(results),
    improvement: improvementOf(results),
    efficiency: efficiencyOf(results),
    cost: costOf(results),
    verdicts: verdictsOf(results),
    learned: learnedSection(results),
    learnedShapes: learnedShapes(results),
  };
}
