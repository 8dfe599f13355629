/**
 * `nonlin runs ls | show RUN | export RUN`: what the run store holds. `ls` and `show` give a
 * running run whose process on this machine is gone (kill -9, a crash) as interrupted, computed
 * as they read: the store is not written.
 */
import type { Command } from "commander";
import type {
  FitPhaseRow,
  LeaderboardRow,
  LivenessCheck,
  RunListing,
  RunOwner,
  RunStatus,
  RunSummary,
} from "../store/index.js";
import { defaultStorePath, liveStatus, openStore, trialsCsv } from "../store/index.js";
import { lowerIsBetter } from "../store/leaderboard.js";
import { engineText } from "../report/bench-report-model.js";
import { UsageError } from "./errors.js";
import { writeAtomically } from "./files.js";
import { makeOutput } from "./output.js";
import { registerRunsCompare } from "./runs-compare.js";

interface StoreOptions {
  store?: string;
  json?: boolean;
}

interface ExportOptions {
  store?: string;
  format: string;
  out?: string;
}

const EXPORT_FORMATS = ["json", "csv"] as const;

/** A store that must exist already: `runs` never creates one. */
const openExisting = (path: string | undefined) =>
  openStore(path ?? defaultStorePath(), { mustExist: true });

function withStore<T>(
  path: string | undefined,
  use: (store: ReturnType<typeof openExisting>) => T,
): T {
  const store = openExisting(path);
  try {
    return use(store);
  } finally {
    store.close();
  }
}

/** A run as `ls` and `show` give it: the status a reader should believe, and why when it differs. */
export type Shown<T> = T & {
  /** "process 1234 is gone; resume with --resume RUN", "running on HOST; …", or null. */
  note: string | null;
};

interface Owned {
  id: string;
  status: RunStatus;
  owner: RunOwner | null;
}

/** The run with its live status (see src/store/liveness.ts) and a note saying why. */
export function shownRun<T extends Owned>(run: T, check: LivenessCheck = {}): Shown<T> {
  const live = liveStatus(run, check);
  const note =
    live.gonePid !== null
      ? `process ${live.gonePid} is gone; resume with --resume ${run.id}`
      : live.elsewhere !== null
        ? `running on ${live.elsewhere}; its process cannot be checked from this machine`
        : null;
  return { ...run, status: live.status, note };
}

/** The status cell: "running (on HOST)" for a run on another machine. */
function statusLabel(run: Shown<Owned>): string {
  return run.status === "running" && run.note !== null && run.owner !== null
    ? `running (on ${run.owner.host})`
    : run.status;
}

/** "2025-01-02T03:04:05.678Z" → "2025-01-02 03:04:05". */
const shortTime = (iso: string | null): string =>
  iso === null ? "-" : iso.replace("T", " ").replace(/\.\d+Z$/, "");

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function trialsText(t: RunListing["trials"]): string {
  if (t.total === 0) return "-";
  const extra = [
    t.failed ? `${t.failed} failed` : "",
    t.running ? `${t.running} running` : "",
  ].filter(Boolean);
  return `${t.done}/${t.total}${extra.length ? ` (${extra.join(", ")})` : ""}`;
}

export function renderList(runs: Shown<RunListing>[], path: string): string {
  if (runs.length === 0) return `no runs in ${path}`;
  const lines = [
    table(
      ["RUN", "COMMAND", "NAME", "ENGINE", "STATUS", "STARTED (UTC)", "TRIALS DONE", "HEADLINE"],
      runs.map((r) => [
        r.id,
        r.command,
        r.name ?? "-",
        r.engine,
        statusLabel(r),
        shortTime(r.started),
        trialsText(r.trials),
        // a search's headline is a paragraph: its first line
        r.headline?.split("\n")[0] ?? "-",
      ]),
    ),
  ];
  const interrupted = runs.filter((r) => r.status === "interrupted" && r.note !== null);
  if (interrupted.length > 0) lines.push("", ...interrupted.map((r) => `${r.id}: ${r.note}`));
  return lines.join("\n");
}

const formatNumber = (value: number | null, digits = 4): string =>
  value === null
    ? "-"
    : Number.isInteger(value) && Math.abs(value) < 1e9
      ? String(value)
      : value.toPrecision(digits);

function elapsed(started: string, finished: string | null): string {
  if (finished === null) return "";
  const seconds = (Date.parse(finished) - Date.parse(started)) / 1000;
  return seconds < 120 ? ` (${seconds.toFixed(1)} s)` : ` (${(seconds / 60).toFixed(1)} min)`;
}

function renderLeaderboard(rows: LeaderboardRow[]): string[] {
  const lines: string[] = [];
  for (const task of [...new Set(rows.map((r) => r.task))]) {
    const cells = rows.filter((r) => r.task === task);
    const metric = cells.find((r) => r.metric !== null)?.metric ?? null;
    const direction = lowerIsBetter(metric);
    const label = metric ?? "metric";
    lines.push(
      "",
      `${task} — test ${label}${direction === undefined ? "" : direction ? ", lower is better" : ", higher is better"}`,
    );
    const hasAuc = cells.some((r) => r.meanTestAuc !== null);
    const header = [
      "#",
      "candidate",
      "n",
      `${label} mean`,
      "± sd",
      ...(hasAuc ? ["auc"] : []),
      "params",
      "s/epoch",
      "notes",
    ];
    const body = cells.map((r) => [
      r.rank === null ? "-" : String(r.rank),
      r.candidate,
      String(r.n),
      formatNumber(r.meanTestMetric),
      formatNumber(r.sdTestMetric, 2),
      ...(hasAuc ? [formatNumber(r.meanTestAuc)] : []),
      formatNumber(r.params === null ? null : Math.round(r.params)),
      formatNumber(r.secondsPerEpoch, 3),
      [r.failed ? `${r.failed} failed` : "", r.diverged ? `${r.diverged} diverged` : ""]
        .filter(Boolean)
        .join(", "),
    ]);
    lines.push(
      ...table(header, body)
        .split("\n")
        .map((l) => `  ${l}`),
    );
  }
  return lines;
}

/** A fit's phases: metric on each split after each phase, or where it diverged. */
function renderFitPhases(phases: FitPhaseRow[]): string[] {
  if (phases.length === 0) return [];
  const metric = phases.find((p) => p.metric !== null)?.metric ?? "metric";
  const body = phases.map((p) => [
    String(p.phase + 1),
    p.kind,
    p.task,
    ...(p.diverged
      ? ["diverged", "", "", ""]
      : [
          formatNumber(p.trainMetric),
          formatNumber(p.valMetric),
          formatNumber(p.testMetric),
          formatNumber(p.params),
        ]),
  ]);
  return [
    "",
    `phases — ${metric} after each phase`,
    ...table(["#", "kind", "task", "train", "val", "test", "params"], body)
      .split("\n")
      .map((l) => `  ${l}`),
  ];
}

export function renderSummary(summary: ShownSummary): string {
  const { run, trials } = summary;
  const m = run.machine;
  const lines = [
    `run ${run.id}: ${run.command}, ${statusLabel(run)}`,
    ...(run.note === null ? [] : [`  note       ${run.note}`]),
    ...(run.owner === null ? [] : [`  process    ${run.owner.pid} on ${run.owner.host}`]),
    `  started    ${shortTime(run.started)} UTC`,
    `  finished   ${shortTime(run.finished)}${elapsed(run.started, run.finished)}`,
    `  code       ${run.codeVersion}`,
    `  machine    ${m.cpus} cpus, ${m.platform}, node ${m.node}, device ${m.device}`,
    ...(m.engine ? [`  engine     ${engineText(m.engine, m.versions)}`] : []),
    `  config     ${run.configHash}`,
    `  trials     ${trials.done} done, ${trials.failed} failed, ${trials.running} running, ${trials.pending} pending (${trials.total} in all)`,
    ...renderLeaderboard(summary.leaderboard),
    ...renderFitPhases(summary.fitPhases),
  ];
  if (summary.problems.length > 0) {
    lines.push("", "warnings and errors:");
    for (const e of summary.problems)
      lines.push(
        `  ${shortTime(e.time)} ${e.level.padEnd(5)} ${e.trialId ? `[${e.trialId.slice(0, 8)}] ` : ""}${e.message}`,
      );
  }
  return lines.join("\n");
}

function listCommand(options: StoreOptions): void {
  const output = makeOutput(Boolean(options.json));
  const path = options.store ?? defaultStorePath();
  const runs = withStore(path, (store) => store.listRuns()).map((r) => shownRun(r));
  output.result(runs, () => renderList(runs, path));
}

/** A run summary whose run carries its live status. */
export type ShownSummary = Omit<RunSummary, "run"> & { run: Shown<RunSummary["run"]> };

export const shownSummary = (summary: RunSummary, check: LivenessCheck = {}): ShownSummary => ({
  ...summary,
  run: shownRun(summary.run, check),
});

function showCommand(run: string, options: StoreOptions): void {
  const output = makeOutput(Boolean(options.json));
  const summary = shownSummary(
    withStore(options.store, (store) => store.runSummary(store.findRun(run).id)),
  );
  output.result(summary, () => renderSummary(summary));
}

function exportCommand(run: string, options: ExportOptions): void {
  if (!(EXPORT_FORMATS as readonly string[]).includes(options.format))
    throw new UsageError(`--format: expected json or csv, got '${options.format}'`);
  const exported = withStore(options.store, (store) => store.exportRun(store.findRun(run).id));
  const text =
    options.format === "csv"
      ? trialsCsv(exported.trials)
      : `${JSON.stringify(exported, null, 2)}\n`;
  if (options.out === undefined) {
    process.stdout.write(text);
    return;
  }
  writeAtomically(options.out, text);
  process.stderr.write(`wrote ${options.out} (${exported.trials.length} trials)\n`);
}

export function registerRunsCommand(program: Command): void {
  const runs = program
    .command("runs")
    .description("the run store: list runs, show one with its leaderboard, export one, compare two")
    .addHelpText(
      "after",
      `
The store is nonlin.db in the working directory unless --store PATH names another.

Examples:
  nonlin runs ls
  nonlin runs show r-20250102-030405-ab12
  nonlin runs show r-2025 --store results/nonlin.db --json
  nonlin runs export r-20250102 --format csv --out trials.csv`,
    );
  runs
    .command("ls")
    .description("list the runs in the store, newest first")
    .option("--store <path>", "the run store (default: nonlin.db)")
    .option("--json", "print the runs as one JSON document")
    .addHelpText(
      "after",
      `
A run recorded as running whose process on this machine is gone (kill -9, a crash) is shown as
interrupted; one running on another machine as "running (on HOST)".

Examples:
  nonlin runs ls
  nonlin runs ls --store results/nonlin.db --json`,
    )
    .action(listCommand);
  runs
    .command("show")
    .description("a run's summary: status, machine, code version, trial counts, leaderboard")
    .argument("<run>", "run id, or a prefix that matches one run")
    .option("--store <path>", "the run store (default: nonlin.db)")
    .option("--json", "print the summary as one JSON document")
    .addHelpText(
      "after",
      `
Examples:
  nonlin runs show r-20250102-030405-ab12
  nonlin runs show r-20250102 --json`,
    )
    .action(showCommand);
  runs
    .command("export")
    .description("a run's trials with metrics and cost (JSON adds epochs, events, artifacts)")
    .argument("<run>", "run id, or a prefix that matches one run")
    .option("--store <path>", "the run store (default: nonlin.db)")
    .option("--format <format>", "json or csv (one row per trial)", "json")
    .option("--out <file>", "write here instead of stdout")
    .addHelpText(
      "after",
      `
Examples:
  nonlin runs export r-20250102-030405-ab12 > run.json
  nonlin runs export r-2025 --format csv --out trials.csv`,
    )
    .action(exportCommand);
  registerRunsCompare(runs);
}
