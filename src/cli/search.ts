/**
 * `nonlin search <config.yaml> | --preset quick|standard | --resume RUN`: discover activations.
 * Every trial (the ReLU reference, each candidate's fitness trials, the held-out evaluation) is a
 * bench trial run on the executor and recorded in the run store, so a killed search resumed with
 * `--resume RUN` replays the same search and trains only what the store lacks.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { Command } from "commander";
import type { BenchConfig } from "../bench/config.js";
import { planBench } from "../bench/plan.js";
import type { BenchResults } from "../bench/results.js";
import { assembleResults, taskInfo } from "../bench/run.js";
import { trialSeed } from "../bench/seeds.js";
import { catalogEntry } from "../data/node/catalog.js";
import { startEngine } from "../engine/index.js";
import { runOne } from "../exec/executor.js";
import { screenJob } from "../exec/job.js";
import { benchHtml } from "../report/bench-html.js";
import { searchHtml, searchMarkdown } from "../report/search-report.js";
import type { SearchConfig } from "../search/config.js";
import { parseSearchConfig, SearchConfigError } from "../search/config.js";
import { activationModel, fitnessConfigs } from "../search/fitness.js";
import { heldoutCandidates, heldoutConfig, heldoutHeadline } from "../search/heldout.js";
import { SEARCH_PRESETS, searchPreset } from "../search/presets.js";
import type { SearchResults } from "../search/results.js";
import { runSearch } from "../search/run-search.js";
import type { ScreenRequest } from "../search/screen-job.js";
import { UsageError } from "./errors.js";
import { chooseExecutor } from "./executor-choice.js";
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
import { makeOutput } from "./output.js";
import { runRecorded, runRecordedPlans } from "./recorded-trials.js";

interface SearchOptions {
  preset?: string;
  budget?: string;
  parallel?: string;
  workers?: string;
  redis?: string;
  resume?: string;
  store?: string;
  out?: string;
  engine?: string;
  device?: string;
  python?: string;
  threads?: string;
  json?: boolean;
}

function readConfig(file: string | undefined, options: SearchOptions): SearchConfig {
  if (file && options.preset) throw new UsageError("give a config file or --preset NAME, not both");
  if (!file && !options.preset && !options.resume)
    throw new UsageError(
      `give a config file, --preset NAME or --resume RUN (presets: ${SEARCH_PRESETS.join(", ")})`,
    );
  let raw: unknown;
  if (!file && !options.preset) {
    // --resume RUN alone: the config the run was started with, checked again as a file's would be
    raw = storedRunConfig("search", options.resume as string, options.store);
  } else if (options.preset) {
    if (!(SEARCH_PRESETS as readonly string[]).includes(options.preset))
      throw new UsageError(
        `--preset: unknown preset '${options.preset}' (presets: ${SEARCH_PRESETS.join(", ")})`,
      );
    raw = searchPreset(options.preset);
  } else raw = readYamlFile(file as string).raw;
  for (const field of ["budget", "parallel"] as const) {
    const text = options[field];
    if (text === undefined) continue;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1)
      throw new UsageError(`--${field}: expected a positive integer, got '${text}'`);
    raw = { ...(raw as object), [field]: value };
  }
  try {
    return parseSearchConfig(raw);
  } catch (error) {
    if (error instanceof SearchConfigError && file)
      throw new SearchConfigError(`${file}: ${error.message.split("\n").join(`\n${file}: `)}`);
    throw error;
  }
}

/** Plans the reference and held-out configs now, so bad tasks or budgets exit 2 before any work. */
function checkConfig(config: SearchConfig): void {
  for (const bench of fitnessConfigs(config, "relu", activationModel("relu"))) planBench(bench);
  planBench(heldoutConfig(config, heldoutCandidates(config, [])));
}

async function runSearchCommand(file: string | undefined, options: SearchOptions): Promise<void> {
  const json = Boolean(options.json);
  const output = makeOutput(json);
  checkJaxDeviceEarly(options);
  const read = readConfig(file, options);
  const config = withEngine(read, engineName(options.engine, read.engine));
  const engine = await chooseEngine(options, config.engine);
  releaseCheckedChild(engine, options);
  const device = engine.jaxDevice;
  await startEngine(device); // proxies guide the sampling of candidates in this process
  checkConfig(config);
  checkOutputFolder(options.out ?? "runs", options.out ? "--out" : "the default --out");
  const hash = createHash("sha256").update(JSON.stringify(config)).digest("hex").slice(0, 16);
  const executor = chooseExecutor(options, device);
  const machine = machineOf(device, engine);
  const session = {
    command: "search" as const,
    config,
    configHash: hash,
    device,
    ...(engine.torch ? { engine } : {}),
    store: options.store,
    resume: options.resume,
    ...(options.device !== undefined ? { deviceFlag: options.device } : {}),
    // what `runs ls` calls the run: the config file's name, else the preset's
    ...(file ? { name: basename(file) } : options.preset ? { name: options.preset } : {}),
  };
  await withRunSession(session, executor, output, async (store, runId) => {
    const started = performance.now();
    const runConfigs = (configs: BenchConfig[]) =>
      runRecordedPlans(configs.map(planBench), store, runId, executor);
    output.say(
      `search ${config.name} (run ${runId}): ${config.algorithm} over ${config.space}, budget ${config.budget} candidate trainings`,
    );
    // screenings run where the trials run (a job each), not on this process's one thread
    const screen = (request: ScreenRequest) => runOne(executor, screenJob(request));
    const outcome = await runSearch(config, runConfigs, screen, (p) => {
      const best = p.best
        ? `best ${p.best.fitness.toFixed(4)} ${p.best.text}`
        : "no trained candidate yet";
      const last = p.last.rejectedAt
        ? `rejected (${p.last.rejectedAt}): ${p.last.text}`
        : `fitness ${p.last.fitness.toFixed(4)}: ${p.last.text}`;
      const elapsed = (performance.now() - started) / 1000;
      const eta = p.trained > 0 ? (elapsed / p.trained) * (p.budget - p.trained) : NaN;
      const etaText = Number.isFinite(eta) ? `, ETA ${Math.round(eta)} s` : "";
      output.say(
        `[${p.trained}/${p.budget} trained, ${p.rejected} rejected${etaText}] ${last} · ${best}`,
      );
    });
    const searchSeconds = (performance.now() - started) / 1000;
    output.say(
      `held-out evaluation of the top ${config.heldout.top_k} on ${config.heldout.tasks.length} task(s)…`,
    );
    const candidates = heldoutCandidates(config, outcome.ranking);
    const heldoutBench = heldoutConfig(config, candidates);
    const plan = planBench(heldoutBench);
    const trials = await runRecorded(plan, store, runId, executor);
    const tasks = plan.tasks.map((planned, t) =>
      taskInfo(
        plan,
        t,
        catalogEntry(planned.entry.name).make({
          ...planned.request,
          seed: trialSeed(plan.config.seed, planned.entry.name, 0),
        }),
      ),
    );
    const run = store.getRun(runId)!;
    const heldout: BenchResults = assembleResults(
      plan,
      tasks,
      trials,
      { started: run.started, finished: new Date().toISOString() },
      machine,
    );
    const results: SearchResults = {
      version: 1,
      run: runId,
      config,
      machine,
      started: run.started,
      finished: new Date().toISOString(),
      outcome,
      heldoutCandidates: candidates,
      heldout,
      headline: heldoutHeadline(heldout, candidates),
      candidatesPerMinute: (60 * outcome.evaluated.length) / searchSeconds,
      trainingsPerMinute: (60 * outcome.ranking.length) / searchSeconds,
      seconds: (performance.now() - started) / 1000,
    };
    store.setHeadline(runId, results.headline.text);
    const dir = options.out ?? join("runs", runId);
    mkdirSync(dir, { recursive: true });
    writeAtomically(join(dir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    writeAtomically(join(dir, "report.md"), searchMarkdown(results));
    writeAtomically(join(dir, "report.html"), searchHtml(results));
    writeAtomically(join(dir, "heldout.html"), benchHtml(heldout));
    for (const [kind, name] of [
      ["results", "results.json"],
      ["report-md", "report.md"],
      ["report-html", "report.html"],
      ["heldout-html", "heldout.html"],
    ] as const)
      store.recordArtifact(runId, { kind, path: resolve(join(dir, name)) });
    output.result(
      results,
      () => `${searchMarkdown(results, { brief: true })}\nrun ${runId}; wrote ${dir}/report.html`,
    );
    return "done";
  });
}

export function registerSearchCommand(program: Command): void {
  program
    .command("search")
    .description(
      "discover activation functions (or KAN basis sets): evolution over a space, fair fitness, held-out test",
    )
    .argument("[config]", "search config (YAML or JSON)")
    .option("--preset <name>", `a built-in search (${SEARCH_PRESETS.join(", ")})`)
    .option("--budget <n>", "candidate trainings the search may spend")
    .option(
      "--parallel <k>",
      "candidates in flight at once (screened and trained together, told in ask order; part of the search's definition)",
    )
    .option(
      "--workers <n>",
      "local worker processes (default: one per core; 1 runs in this process)",
    )
    .option("--redis <url>", "run trials on `nonlin worker --redis URL` processes on any machine")
    .option(
      "--resume <run>",
      "continue a run of the store (its config is read from the store when none is given): finished trials are not retrained",
    )
    .option("--store <path>", "run store (SQLite) that records every trial", "nonlin.db")
    .option(
      "--out <dir>",
      "write results.json, report.md, report.html, heldout.html (default runs/RUN)",
    )
    .option("--engine <engine>", ENGINE_HELP)
    .option("--device <device>", DEVICE_HELP)
    .option("--python <path>", PYTHON_HELP)
    .option("--threads <n>", THREADS_HELP)
    .option("--json", "print the results as one JSON document")
    .addHelpText(
      "after",
      `
Examples:
  nonlin search --preset quick
  nonlin search --preset standard --workers 2 --budget 200
  nonlin search --preset standard --redis redis://:pw@host:6379 --parallel 8
  nonlin search --preset kan-basis
  nonlin search --resume r-20261122-140000-ab12                  # after a kill or Ctrl-C`,
    )
    .action(runSearchCommand);
}
