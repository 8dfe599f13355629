/**
 * `nonlin bench <config.yaml> | --preset NAME | --resume RUN`: the fair comparison. The config is
 * checked and every cell sized before the store is touched or any training starts. Every trial is
 * registered in the run store by its hash and recorded (in one transaction) as it finishes, so a
 * killed run keeps every finished trial and `--resume RUN` trains only the rest. Trials run in this
 * process, on a local pool, or on workers anywhere through Redis; results.json, report.md and
 * report.html are written at the end from what the store holds.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { Command } from "commander";
import type { BenchConfig } from "../bench/config.js";
import { BenchConfigError, parseBenchConfig } from "../bench/config.js";
import type { BenchPlan } from "../bench/plan.js";
import { planBench } from "../bench/plan.js";
import { PRESET_NAMES, presetConfig } from "../bench/presets.js";
import type { BenchResults } from "../bench/results.js";
import { assembleResults, taskInfo } from "../bench/run.js";
import { trialSeed } from "../bench/seeds.js";
import { TASK_CATALOG } from "../data/catalog.js";
import { catalogEntry } from "../data/node/catalog.js";
import type { DeviceName } from "../engine/device.js";
import type { Executor } from "../exec/executor.js";
import { benchHtml } from "../report/bench-html.js";
import { benchMarkdown } from "../report/bench-markdown.js";
import { benchTable } from "../report/bench-table.js";
import type { RunStore } from "../store/index.js";
import type { BenchProgress } from "./bench-progress.js";
import { makeProgress } from "./bench-progress.js";
import { runRecorded } from "./recorded-trials.js";
import { UsageError } from "./errors.js";
import { chooseExecutor } from "./executor-choice.js";
import type { EngineChoice } from "./engine-choice.js";
import {
  checkJaxDeviceEarly,
  chooseEngine,
  DEVICE_HELP,
  ENGINE_HELP,
  engineName,
  PYTHON_HELP,
  releaseCheckedChild,
  withEngine,
} from "./engine-choice.js";
import { THREADS_HELP } from "./threads.js";
import { machineOf, storedRunConfig, withRunSession } from "./run-session.js";
import { checkOutputFolder, readYamlFile, writeAtomically } from "./files.js";
import type { Output } from "./output.js";
import { makeOutput } from "./output.js";

interface BenchOptions {
  preset?: string;
  quick?: boolean;
  out?: string;
  resume?: string;
  seeds?: string;
  engine?: string;
  device?: string;
  python?: string;
  threads?: string;
  json?: boolean;
  listTasks?: boolean;
  store?: string;
  workers?: string;
  redis?: string;
}

/**
 * The config of the command line: a file, a preset or (`--resume RUN` alone) the run's stored
 * config, with --quick and --seeds applied.
 */
function readConfig(file: string | undefined, options: BenchOptions): BenchConfig {
  if (file && options.preset) throw new UsageError("give a config file or --preset NAME, not both");
  if (!file && !options.preset && !options.resume)
    throw new UsageError(
      `give a config file, --preset NAME or --resume RUN (presets: ${PRESET_NAMES.join(", ")})`,
    );
  let raw: unknown;
  if (!file && !options.preset) {
    // --resume RUN alone: the config the run was started with, checked again as a file's would be
    raw = storedRunConfig("bench", options.resume as string, options.store);
    if (options.quick)
      throw new UsageError("--quick: only presets can be shrunk, not a resumed run's config");
  } else if (options.preset) {
    if (!(PRESET_NAMES as readonly string[]).includes(options.preset))
      throw new UsageError(
        `--preset: unknown preset '${options.preset}' (presets: ${PRESET_NAMES.join(", ")})`,
      );
    raw = presetConfig(options.preset, Boolean(options.quick));
  } else {
    raw = readYamlFile(file as string).raw;
    if (options.quick)
      throw new UsageError("--quick: only presets can be shrunk; edit the config file instead");
  }
  if (options.seeds !== undefined) {
    const seeds = Number(options.seeds);
    if (!Number.isInteger(seeds) || seeds < 1)
      throw new UsageError(`--seeds: expected a positive integer, got '${options.seeds}'`);
    raw = { ...(raw as object), seeds };
  }
  try {
    return parseBenchConfig(raw);
  } catch (error) {
    if (error instanceof BenchConfigError && file)
      throw new BenchConfigError(`${file}: ${error.message.split("\n").join(`\n${file}: `)}`);
    throw error;
  }
}

const hashOf = (config: BenchConfig): string =>
  createHash("sha256").update(JSON.stringify(config)).digest("hex").slice(0, 16);

function writeReports(dir: string, results: BenchResults): void {
  writeAtomically(join(dir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeAtomically(join(dir, "report.md"), benchMarkdown(results));
  writeAtomically(join(dir, "report.html"), benchHtml(results));
}

function listTasks(json: boolean): void {
  const output = makeOutput(json);
  const rows = TASK_CATALOG.map((e) => ({
    name: e.name,
    family: e.family,
    kind: e.kind,
    metric: e.metric,
    inputShape: e.inputShape,
    outputs: e.outputs,
    description: e.description,
  }));
  output.result(rows, () =>
    rows
      .map(
        (r) => `${r.name.padEnd(28)} ${r.family.padEnd(17)} ${r.kind.padEnd(15)} ${r.description}`,
      )
      .join("\n"),
  );
}

async function runBenchCommand(file: string | undefined, options: BenchOptions): Promise<void> {
  const json = Boolean(options.json);
  if (options.listTasks) return listTasks(json);
  const output = makeOutput(json);
  checkJaxDeviceEarly(options);
  const read = readConfig(file, options);
  const config = withEngine(read, engineName(options.engine, read.engine));
  // everything is checked before the store is touched or any training starts
  const plan = planBench(config);
  checkOutputFolder(options.out ?? "runs", options.out ? "--out" : "the default --out");
  const engine = await chooseEngine(options, config.engine);
  releaseCheckedChild(engine, options);
  const device = engine.jaxDevice;
  const configHash = hashOf(config);
  const executor = chooseExecutor(options, device);
  const session = {
    command: "bench" as const,
    config,
    configHash,
    device,
    ...(engine.torch ? { engine } : {}),
    store: options.store,
    resume: options.resume,
    ...(options.device !== undefined ? { deviceFlag: options.device } : {}),
    // what `runs ls` calls the run: the config file's name, else the preset's
    ...(file ? { name: basename(file) } : options.preset ? { name: options.preset } : {}),
  };
  await withRunSession(session, executor, output, async (store, runId) => {
    await runTrials(plan, store, runId, executor, output, json);
    const dir = options.out ?? join("runs", runId);
    mkdirSync(dir, { recursive: true });
    const results = await collectResults(plan, store, runId, device, engine);
    writeReports(dir, results);
    for (const [kind, name] of [
      ["results", "results.json"],
      ["report-md", "report.md"],
      ["report-html", "report.html"],
    ] as const)
      store.recordArtifact(runId, { kind, path: resolve(join(dir, name)) });
    const failed = store.trialCounts(runId).failed;
    output.result(
      { run: runId, ...results },
      () =>
        `${benchTable(results, { color: false })}\nrun ${runId}${failed > 0 ? ` (${failed} trial(s) failed: \`nonlin runs show ${runId}\`)` : ""}; wrote ${dir}/results.json, report.md, report.html`,
    );
    return failed > 0 ? "failed" : "done";
  });
}

/** Runs every trial of the plan the store does not have yet, with the live display. */
async function runTrials(
  plan: BenchPlan,
  store: RunStore,
  runId: string,
  executor: Executor,
  output: Output,
  json: boolean,
): Promise<void> {
  const { config } = plan;
  let progress: BenchProgress | undefined;
  await runRecorded(plan, store, runId, executor, {
    planned(total, pending) {
      output.say(
        `bench ${config.name} (run ${runId}): ${plan.tasks.length} task(s) × ${plan.candidates.length} candidate(s) × ${config.seeds} seed(s) = ${total} trials, ${pending} to run; fairness ${config.fairness.mode}${config.fairness.budget ? ` ${config.fairness.budget}` : ""}`,
      );
      progress = makeProgress(total, total - pending, config.training.epochs, json, output);
    },
    started: (name) => progress?.started(name),
    epoch: (epoch, of, loss) => progress?.epoch(epoch, of, loss),
    finished: (name, result) => progress?.finished(name, result),
    failed: (message) => progress?.failed(message),
  });
  progress?.stop();
}

/** The statistics of every finished trial of the run (the task rows from seed index 0). */
async function collectResults(
  plan: BenchPlan,
  store: RunStore,
  runId: string,
  device: DeviceName,
  engine: EngineChoice,
): Promise<BenchResults> {
  const run = store.getRun(runId)!;
  const trials = [...store.finishedTrials(runId).values()];
  const tasks = plan.tasks.map((planned, t) => {
    const seed = trialSeed(plan.config.seed, planned.entry.name, 0);
    return taskInfo(plan, t, catalogEntry(planned.entry.name).make({ ...planned.request, seed }));
  });
  return assembleResults(
    plan,
    tasks,
    trials,
    { started: run.started, finished: new Date().toISOString() },
    machineOf(device, engine.torch ? engine : undefined),
  );
}

export function registerBenchCommand(program: Command): void {
  program
    .command("bench")
    .description("compare nonlinearities fairly: tasks × candidates × seeds at matched budget")
    .argument("[config]", "bench config (YAML or JSON)")
    .option("--preset <name>", `a built-in comparison (${PRESET_NAMES.join(", ")})`)
    .option("--quick", "shrink the preset to finish in a few minutes on 2 cores")
    .option("--seeds <n>", "override the number of seeds")
    .option("--out <dir>", "write results.json, report.md, report.html here (default runs/RUN)")
    .option(
      "--resume <run>",
      "continue a run of the store (its config is read from the store when none is given): finished trials are kept, not retrained",
    )
    .option("--store <path>", "run store (SQLite) that records every trial", "nonlin.db")
    .option(
      "--workers <n>",
      "local worker processes (default: one per core; 1 runs in this process)",
    )
    .option("--redis <url>", "run trials on `nonlin worker --redis URL` processes on any machine")
    .option("--engine <engine>", ENGINE_HELP)
    .option("--device <device>", DEVICE_HELP)
    .option("--python <path>", PYTHON_HELP)
    .option("--threads <n>", THREADS_HELP)
    .option("--list-tasks", "list the task catalog and exit")
    .option("--json", "print the results as one JSON document")
    .addHelpText(
      "after",
      `
Examples:
  nonlin bench --preset kan-vs-mlp --quick
  nonlin bench --preset activations --out runs/zoo
  nonlin bench my-bench.yaml --seeds 10 --json
  nonlin bench --resume r-20261122-131500-ab12                   # after a kill or Ctrl-C
  nonlin bench my-bench.yaml --redis redis://:secret@host:6379   # workers: nonlin worker --redis …
  nonlin bench --list-tasks`,
    )
    .action(runBenchCommand);
}
