/** `nonlin runs compare RUN RUN`: two runs side by side on the tasks they share. */
import type { Command } from "commander";
import type { ComparedCell, RunComparison } from "../store/index.js";
import { defaultStorePath, openStore } from "../store/index.js";
import { lowerIsBetter } from "../store/leaderboard.js";
import { makeOutput } from "./output.js";
import { table } from "./runs.js";

interface CompareOptions {
  store?: string;
  json?: boolean;
}

const cellText = (cell: ComparedCell | null): string =>
  cell === null
    ? "-"
    : `${cell.mean.toPrecision(4)}${cell.ci95 === null ? "" : ` ± ${cell.ci95.toPrecision(2)}`} (n=${cell.n})`;

export function renderComparison(c: RunComparison): string {
  const label = (run: RunComparison["a"]) =>
    `${run.id} (${run.command}${run.name ? ` ${run.name}` : ""})`;
  const lines = [`A = ${label(c.a)}`, `B = ${label(c.b)}`];
  if (c.tasks.length === 0) lines.push("", "no task in common");
  for (const task of c.tasks) {
    const direction = lowerIsBetter(task.metric);
    lines.push(
      "",
      `${task.task} — test ${task.metric ?? "metric"}, mean ± 95% CI over seeds${direction === undefined ? "" : direction ? ", lower is better" : ", higher is better"}`,
      ...table(
        ["candidate", "A", "B", "B − A"],
        task.rows.map((r) => [
          r.candidate,
          cellText(r.a),
          cellText(r.b),
          r.a && r.b ? (r.b.mean - r.a.mean).toPrecision(3) : "-",
        ]),
      )
        .split("\n")
        .map((l) => `  ${l}`),
    );
  }
  if (c.onlyA.length > 0) lines.push("", `only in A: ${c.onlyA.join(", ")}`);
  if (c.onlyB.length > 0) lines.push("", `only in B: ${c.onlyB.join(", ")}`);
  return lines.join("\n");
}

function compareCommand(a: string, b: string, options: CompareOptions): void {
  const output = makeOutput(Boolean(options.json));
  const store = openStore(options.store ?? defaultStorePath(), { mustExist: true, readonly: true });
  let comparison: RunComparison;
  try {
    comparison = store.compareRuns(a, b);
  } finally {
    store.close();
  }
  output.result(comparison, () => renderComparison(comparison));
}

export function registerRunsCompare(runs: Command): void {
  runs
    .command("compare")
    .description("two runs side by side on the tasks they share (mean ± 95% CI per candidate)")
    .argument("<a>", "run id, or a prefix that matches one run")
    .argument("<b>", "run id, or a prefix that matches one run")
    .option("--store <path>", "the run store (default: nonlin.db)")
    .option("--json", "print the comparison as one JSON document")
    .addHelpText(
      "after",
      `
Bench and search runs give each candidate's mean test metric over its finished trials with a 95%
Student-t interval; a fit run gives its final test metric (one value) under its config's name.

Examples:
  nonlin runs compare r-20250102-030405-ab12 r-20250103-101010-cd34
  nonlin runs compare r-20250102 r-20250103 --json`,
    )
    .action(compareCommand);
}
