/**
 * The terminal summary of a `nonlin bench` run: one aligned table per task (candidates × test
 * metric with spread, interval, cost and the mark against the baseline), then the average ranks
 * and the KAN-vs-MLP verdicts. Colours only when asked (the CLI asks when stdout is a TTY).
 */
import type { BenchResults, BenchTaskInfo, CandidateSummary } from "../bench/results.js";
import {
  bestIndex,
  ciText,
  directionText,
  fairnessText,
  formatCompact,
  formatCount,
  formatP,
  formatSeconds,
  formatValue,
  MARK_LEGEND,
  meanAndSd,
  metricDecimals,
  rowsText,
  significanceMark,
  summariesOf,
} from "./bench-format.js";
import { benchWarnings, trialWidths, widthText } from "./bench-warnings.js";

export interface BenchTableOptions {
  /** ANSI colours and bold (only for a terminal). */
  color?: boolean;
}

type Align = "left" | "right";

interface Cell {
  text: string;
  /** ANSI style applied after padding, so colour codes never disturb the alignment. */
  style?: string;
}

const RESET = "\u001b[0m";
const STYLE = { bold: "\u001b[1m", dim: "\u001b[2m", green: "\u001b[32m", red: "\u001b[31m" };

/** Display width: code points (the marks ± † — are one column each). */
const widthOf = (text: string): number => [...text].length;

function pad(text: string, width: number, align: Align): string {
  const fill = " ".repeat(Math.max(0, width - widthOf(text)));
  return align === "left" ? text + fill : fill + text;
}

/** Columns padded to their widest cell, separated by two spaces; a rule under the header. */
export function alignRows(
  header: readonly string[],
  rows: readonly (readonly Cell[])[],
  aligns: readonly Align[],
  color: boolean,
): string[] {
  const widths = header.map((h, c) =>
    Math.max(widthOf(h), ...rows.map((row) => widthOf(row[c]?.text ?? ""))),
  );
  const line = (cells: readonly Cell[]): string =>
    cells
      .map((cell, c) => {
        const text = pad(cell.text, widths[c] as number, aligns[c] ?? "left");
        return color && cell.style ? `${cell.style}${text}${RESET}` : text;
      })
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  return [
    line(header.map((text) => ({ text, style: STYLE.bold }))),
    color ? `${STYLE.dim}${rule}${RESET}` : rule,
    ...rows.map(line),
  ];
}

function taskBlock(results: BenchResults, task: BenchTaskInfo, color: boolean): string[] {
  const summaries = summariesOf(results, task.name);
  const best = bestIndex(summaries, task.metric);
  const decimals = metricDecimals(summaries);
  const header = [
    "candidate",
    `test ${task.metric} (mean ± sd)`,
    "",
    "95% CI",
    "width",
    "params",
    "FLOPs",
    "s/epoch",
    "p vs baseline",
  ];
  const rows = summaries.map((s: CandidateSummary, i): Cell[] => {
    const mark = significanceMark(s);
    const isBaseline = s.candidate === results.baseline;
    return [
      { text: isBaseline ? `${s.candidate} (baseline)` : s.candidate },
      { text: meanAndSd(s, decimals), ...(i === best ? { style: STYLE.bold } : {}) },
      { text: mark, ...(mark ? { style: mark === "*" ? STYLE.green : STYLE.red } : {}) },
      { text: ciText(s, decimals) },
      { text: widthText(trialWidths(results, task.name, s.candidate)) },
      { text: formatCount(s.params) },
      { text: formatCompact(s.flops) },
      { text: formatSeconds(s.secondsPerEpoch) },
      { text: isBaseline ? "—" : s.vsBaseline ? formatP(s.vsBaseline.pHolm) : "" },
    ];
  });
  const title = `${task.name}  (${task.kind}, test ${task.metric}: ${directionText(task.metric)}; rows ${rowsText(task)})`;
  return [
    color ? `${STYLE.bold}${title}${RESET}` : title,
    ...alignRows(
      header,
      rows,
      ["left", "right", "left", "right", "right", "right", "right", "right", "right"],
      color,
    ).map((line) => `  ${line}`),
  ];
}

function rankBlock(results: BenchResults, color: boolean): string[] {
  if (results.ranks.length === 0) return [];
  const ranks = [...results.ranks].sort((a, b) => a.averageRank - b.averageRank);
  const notes = [
    results.criticalDifference !== undefined
      ? `critical difference ${formatValue(results.criticalDifference)} (Nemenyi, α = 0.05)`
      : "",
    results.friedmanP !== undefined ? `Friedman p = ${formatP(results.friedmanP)}` : "",
  ].filter((text) => text !== "");
  const title = `Average rank over ${results.tasks.length} task${results.tasks.length === 1 ? "" : "s"} (1 = best)${notes.length ? `; ${notes.join("; ")}` : ""}`;
  return [
    color ? `${STYLE.bold}${title}${RESET}` : title,
    ...alignRows(
      ["candidate", "average rank"],
      ranks.map((r) => [{ text: r.candidate }, { text: r.averageRank.toFixed(2) }]),
      ["left", "right"],
      color,
    ).map((line) => `  ${line}`),
  ];
}

function verdictBlock(results: BenchResults, color: boolean): string[] {
  if (!results.verdicts || results.verdicts.length === 0) return [];
  const title = "KAN family vs MLP";
  return [
    color ? `${STYLE.bold}${title}${RESET}` : title,
    ...results.verdicts.map((v) => `  ${v.family}: ${v.text}`),
  ];
}

/** The whole terminal report of a bench run. */
export function benchTable(results: BenchResults, options: BenchTableOptions = {}): string {
  const color = options.color ?? false;
  const blocks = [
    [
      `${results.name}: ${results.tasks.length} task(s) × ${results.candidates.length} candidate(s) × ${results.seeds} seed(s); ${fairnessText(results.fairness)}; baseline ${results.baseline}`,
    ],
    benchWarnings(results).map((warning) =>
      color ? `${STYLE.red}warning:${RESET} ${warning}` : `warning: ${warning}`,
    ),
    ...results.tasks.map((task) => taskBlock(results, task, color)),
    [MARK_LEGEND],
    rankBlock(results, color),
    verdictBlock(results, color),
  ].filter((block) => block.length > 0);
  return blocks.map((block) => block.join("\n")).join("\n\n") + "\n";
}
