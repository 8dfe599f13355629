/**
 * The learned activation parameters of a bench report, from results.json's summaries: a table
 * (candidate × task × parameter: initial value, mean ± sd over seeds, range) and, per candidate
 * and task, the learned shape of each activation beside its initial one. Part of the report model
 * (bench-report-model.ts): both renderers show what this computes.
 */
import type { BenchResults, LearnedParamSummary } from "../bench/results.js";
import { formatValue } from "./bench-format.js";
import type { ReportCell, ReportSection } from "./bench-report-model.js";

/** One activation of a candidate on a task: its initial shape and its learned ones. */
export interface LearnedShape {
  task: string;
  candidate: string;
  /** The activation, parameters declared at their initial values (parseable). */
  activation: string;
  /** One line per layer applying it: that layer's parameters at their mean learned values. */
  lines: { label: string; values: Record<string, number> }[];
}

const cell = (text: string): ReportCell => ({ text });
const numberCell = (value: number): ReportCell => ({ text: formatValue(value), value });

const spreadText = (p: LearnedParamSummary): string =>
  `${formatValue(p.mean)} ± ${formatValue(p.sd)}`;

/** The table of every learned parameter, or a note that no candidate has one. */
export function learnedSection(results: BenchResults): ReportSection {
  const title = "Learned activation parameters";
  const rows = results.summaries.flatMap((s) =>
    (s.learned ?? []).map((p): ReportCell[] => [
      cell(s.task),
      cell(s.candidate),
      cell(p.name),
      cell(p.sharing),
      numberCell(p.initial),
      { text: spreadText(p), value: p.mean },
      cell(`${formatValue(p.min)} … ${formatValue(p.max)}`),
      { text: String(p.n), value: p.n },
    ]),
  );
  if (rows.length === 0)
    return { title, note: "No candidate of this run has a learnable activation parameter." };
  return {
    title,
    intro:
      "Every learnable activation parameter, as training left it (the selected epoch's model): " +
      "mean ± sd over seeds of each trial's value — per channel or per neuron, of the trial's mean " +
      "over its values — and the smallest and largest single value seen. " +
      "Named layers[i].<name in the layer>: the layer of the model and the parameter.",
    table: {
      columns: [
        "task",
        "candidate",
        "parameter",
        "sharing",
        "initial",
        "learned (mean ± sd)",
        "range",
        "seeds",
      ].map((t, c) => ({ title: t, numeric: c >= 4 })),
      rows,
      sortable: true,
    },
  };
}

/**
 * The line a parameter belongs to: its name without the parameter, and without the `act` the
 * layers put before it — `layers[0]`, kan_af's `layers[2].basis` and `layers[2].head`,
 * kan_selectable's `layers[1].swish`.
 */
function lineOf(p: LearnedParamSummary): string {
  return p.name.slice(0, p.name.length - p.parameter.length - 1).replace(/[._]act$/, "");
}

/** Per candidate and task, each activation with learned parameters: its lines by layer. */
export function learnedShapes(results: BenchResults): LearnedShape[] {
  return results.summaries.flatMap((s) => {
    const byActivation = new Map<string, Map<string, Record<string, number>>>();
    for (const p of s.learned ?? []) {
      // a parameter no seed kept finite has no shape to draw (the table shows it)
      if (!Number.isFinite(p.mean)) continue;
      const lines = byActivation.get(p.activation) ?? new Map<string, Record<string, number>>();
      byActivation.set(p.activation, lines);
      const values = lines.get(lineOf(p)) ?? {};
      lines.set(lineOf(p), values);
      values[p.parameter] = p.mean;
    }
    return [...byActivation].map(([activation, lines]) => ({
      task: s.task,
      candidate: s.candidate,
      activation,
      lines: [...lines].map(([label, values]) => ({ label, values })),
    }));
  });
}
