/** `nonlin fit <spec.yaml>`: train one model on one task, phase by phase, with checkpoints. */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { cpus, platform } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { loadTask, prepareTask } from "../data/node/load-task.js";
import type { Task } from "../data/task.js";
import { startEngine } from "../engine/index.js";
import { LayerSpecError } from "../nn/layer.js";
import type { Model } from "../nn/model.js";
import { formatPath } from "../nn/registry.js";
import type { FitConfig } from "../train/fit-spec.js";
import { fitConfigSchema } from "../train/fit-spec.js";
import type { FitEpoch, PhaseResult, SplitMetrics } from "../train/run-fit.js";
import type { TrainingCheckpoints } from "../train/trial-engine.js";
import { TrainingStopped } from "../train/trial-engine.js";
import type { FitEpochRow, RunStore } from "../store/index.js";
import { jaxEngine } from "../train/jax-engine.js";
import { readHostState } from "../train/host-state.js";
import type { LearnedActivationParam } from "../train/learned-activations.js";
import { learnedActivationParams } from "../train/learned-activations.js";
import { checkpointTaskFields } from "../train/checkpoint.js";
import { buildModel, checkModelOutputs, FitDivergedError, runFit } from "../train/run-fit.js";
import { defaultStorePath, openStore } from "../store/index.js";
import { UsageError } from "./errors.js";
import { checkOutputFolder, readYamlFile, writeAtomically } from "./files.js";
import {
  checkpointWriter,
  isFolder,
  readCheckpoint,
  readCheckpointSpec,
} from "./fit-checkpoint.js";
import { makeOutput } from "./output.js";
import { bestEffort, recordFailure, resumeCommand } from "./run-session.js";
import { applyThreads, THREADS_HELP } from "./threads.js";
import {
  checkJaxDeviceEarly,
  chooseEngine,
  DEVICE_HELP,
  ENGINE_HELP,
  engineName,
  engineRecord,
  PYTHON_HELP,
} from "./engine-choice.js";
import { processTorchEngine } from "../exec/torch-engine.js";
import { describeFixedEdges, describeFormula, srEdgeFallback } from "./kan-symbolic.js";

interface FitOptions {
  engine?: string;
  device?: string;
  python?: string;
  threads?: string;
  store?: string;
  json?: boolean;
  out?: string;
  resume?: string;
  checkpointEvery?: string;
}

/** Reads and validates a fit config; errors name the file and the field. */
export function readFitConfig(path: string): { config: FitConfig; text: string } {
  const { raw, text } = readYamlFile(path);
  const parsed = fitConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${path}: ${formatPath(issue.path) || "(top level)"}: ${issue.message}`);
  }
  return { config: parsed.data, text };
}

function formatMetrics(m: SplitMetrics | undefined): string {
  if (!m) return "-";
  return m.rmse !== undefined
    ? `rmse ${m.rmse.toExponential(3)}`
    : `acc ${(100 * (m.accuracy ?? 0)).toFixed(2)}%`;
}

function describePhase(r: PhaseResult): string {
  return `phase ${r.phase + 1} ${r.kind.padEnd(8)} widths [${r.widths.join(", ")}] params ${r.params}  train ${formatMetrics(r.train)}  val ${formatMetrics(r.val)}  test ${formatMetrics(r.test)}  (${r.seconds.toFixed(2)} s)`;
}

/** The learned activation parameters, a line each (none when the model has none). */
function learnedLines(learned: LearnedActivationParam[]): string[] {
  if (learned.length === 0) return [];
  const value = (v: number): string => v.toPrecision(6);
  return [
    "learned activation parameters:",
    ...learned.map((p) =>
      p.sharing === "scalar"
        ? `  ${p.name} (${p.layerType} ${p.field}, scalar): ${value(p.initial)} → ${value(p.mean)}`
        : `  ${p.name} (${p.layerType} ${p.field}, ${p.sharing} [${p.shape.join(", ")}]): ${value(p.initial)} → mean ${value(p.mean)}, min ${value(p.min)}, max ${value(p.max)}`,
    ),
  ];
}

/** Builds the model (its layers and activations) and checks it against the task; errors name the spec. */
function checkModel(specPath: string, build: () => Model, task: Task): void {
  try {
    checkModelOutputs(build(), task);
  } catch (error) {
    if (error instanceof LayerSpecError)
      throw new UsageError(`${specPath}: model.${error.message}`);
    throw error;
  }
}

/** `--checkpoint-every N`: a whole number of epochs, 0 for Ctrl-C and phase ends only. */
function parseCheckpointEvery(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value))
    throw new UsageError(
      `--checkpoint-every: expected a whole number of epochs (0: only on Ctrl-C), got '${text}'`,
    );
  return value;
}

/** Default checkpoint spacing inside a gradient phase: every tenth of it (PyTorch users save each epoch or so; a tenth bounds both the work a kill loses and the writing). */
const defaultEvery = (epochs: number): number => Math.max(1, Math.round(epochs / 10));

/** Where `--resume` points: a checkpoint folder as given, or the folder of a fit run in the store. */
interface ResumeTarget {
  dir: string;
  /** The config file the run was started with (a run id given without a config). */
  spec?: string;
}

function resumeTarget(resume: string, storePath: string | undefined): ResumeTarget {
  if (isFolder(resume)) return { dir: resume };
  const path = storePath ?? defaultStorePath();
  if (!existsSync(path))
    throw new UsageError(
      `--resume ${resume}: no such checkpoint folder, and no run store at ${path} to find a run in`,
    );
  const store = openStore(path, { mustExist: true, readonly: true });
  try {
    const run = store.findRun(resume);
    if (run.command !== "fit")
      throw new UsageError(`--resume: run ${run.id} is a '${run.command}' run, not a fit`);
    if (run.outDir === null)
      throw new UsageError(
        `--resume: run ${run.id} kept no checkpoints (it ran without --out); run it again with --out DIR`,
      );
    const config = store.listArtifacts(run.id).find((a) => a.kind === "config");
    return { dir: run.outDir, ...(config ? { spec: config.path } : {}) };
  } finally {
    store.close();
  }
}

async function runFitCommand(specArg: string | undefined, options: FitOptions): Promise<void> {
  const output = makeOutput(Boolean(options.json));
  checkJaxDeviceEarly(options);
  applyThreads(options.threads, 1);
  const every = parseCheckpointEvery(options.checkpointEvery);
  // a bad --resume is refused here, before the store is written: no failed run is added
  const target = options.resume ? resumeTarget(options.resume, options.store) : undefined;
  const specPath = specArg ?? target?.spec;
  if (!specPath)
    throw new UsageError(
      options.resume
        ? `--resume ${options.resume}: give the fit config too (the run recorded none)`
        : "give a fit config (YAML or JSON), or --resume RUN",
    );
  const { config, text } = readFitConfig(specPath);
  const torch = engineName(options.engine, config.engine) === "torch";
  if (torch) {
    const other = config.phases.find((phase) => phase.kind !== "gradient");
    if (other)
      throw new UsageError(
        `${specPath}: a ${other.kind} phase runs on the jax engine only; --engine jax runs it (the torch engine runs gradient phases)`,
      );
  }
  const engine = await chooseEngine(options, config.engine);
  const device = engine.jaxDevice;
  // jax-js's WebGPU backend reads only asynchronously in Node; prune and refine (KAN grid work)
  // read synchronously (docs/engine.md, "Async reads")
  const syncPhase = config.phases.find(
    (phase) => phase.kind === "prune" || phase.kind === "refine" || phase.kind === "symbolic",
  );
  if (device === "webgpu" && syncPhase)
    throw new UsageError(
      `${specPath}: a ${syncPhase.kind} phase cannot run on --device webgpu (it reads values synchronously, which WebGPU cannot do in Node); use --device wasm`,
    );
  if (options.out) checkOutputFolder(options.out, "--out");
  const configHash = createHash("sha256").update(text).digest("hex").slice(0, 16);
  // the device, the task, the model and the checkpoint are checked before the store is touched,
  // so bad input exits 2 with no run recorded and no folder made
  await startEngine(device);
  await prepareTask(config.task);
  const task = loadTask(config.task, dirname(specPath));
  const resume = target ? readCheckpoint(target.dir, configHash) : undefined;
  checkModel(specPath, () => resume?.model ?? buildModel(config, task), task);
  const outDir = options.out ?? target?.dir;
  // the store is opened (and checked) before any work, so a bad --store exits 2 with nothing run
  const store = openStore(options.store ?? defaultStorePath());
  let runId: string;
  try {
    runId = startOrResumeFit(store, {
      resumedRun: target ? readCheckpointSpec(target.dir)?.runId : undefined,
      configHash,
      create: () =>
        store.createRun({
          command: "fit",
          config,
          configHash,
          name: basename(specPath),
          ...(outDir ? { outDir: resolve(outDir) } : {}),
          machine: {
            cpus: cpus().length,
            platform: platform(),
            node: process.version,
            device,
            ...engineRecord(engine),
          },
        }),
    });
    if (!store.listArtifacts(runId).some((a) => a.kind === "config"))
      store.recordArtifact(runId, { kind: "config", path: resolve(specPath) });
  } catch (error) {
    store.close();
    throw error;
  }
  output.say(`run ${runId} (store ${store.path})`);
  const resumeHint = `resume with ${resumeCommand("fit", runId, options.store, options.device)}`;
  // Ctrl-C: inside a gradient phase with --out, the first asks the fit to stop at the epoch's end
  // after a checkpoint (on torch the child is sent a stop), the second stops at once.
  // Elsewhere (L-BFGS, prune, refine, no --out) no handler is installed: those loops never give
  // the event loop a turn, so a handler would not run until they end, and Node's own Ctrl-C
  // stops at once (runs ls then shows the run interrupted: its process is gone)
  let stopAsked = false;
  const stopNow = (): void => {
    bestEffort(() => store.finishRun(runId, "interrupted"));
    store.close();
    process.stderr.write(
      `\ninterrupted: ${outDir ? resumeHint : "nothing to resume from (no --out folder)"}\n`,
    );
    process.exit(130);
  };
  const onSigint = (): void => {
    if (stopAsked || !outDir) stopNow();
    stopAsked = true;
    process.stderr.write(
      "\nstopping after this epoch with a checkpoint (Ctrl-C again stops at once)\n",
    );
  };
  let listening = false;
  const listen = (on: boolean): void => {
    if (on && !listening) process.on("SIGINT", onSigint);
    if (!on && listening) process.off("SIGINT", onSigint);
    listening = on;
  };
  // the torch engine's phases wait on its child: the event loop turns all along
  if (engine.torch) listen(true);
  try {
    await fitWithStore(store, runId);
    store.finishRun(runId, "done");
  } catch (error) {
    if (error instanceof TrainingStopped) {
      bestEffort(() => store.finishRun(runId, "interrupted"));
      store.close();
      process.stderr.write(`\ninterrupted after a checkpoint: ${resumeHint}\n`);
      process.exit(130);
    }
    recordFailure(store, runId, error);
    throw error;
  } finally {
    listen(false);
    store.close();
  }

  async function fitWithStore(store: RunStore, runId: string): Promise<void> {
    if (resume)
      output.say(
        resume.inPhase
          ? `resuming phase ${resume.phasesDone + 1} of ${config.phases.length} after epoch ${resume.inPhase.epochs}`
          : `resuming after phase ${resume.phasesDone} of ${config.phases.length}`,
      );
    if (outDir) mkdirSync(outDir, { recursive: true });
    const writer = outDir
      ? checkpointWriter(outDir, { configHash, runId, ...checkpointTaskFields(task) })
      : undefined;
    const bar = process.stderr.isTTY
      ? new SingleBar({
          format: "{phase} [{bar}] {value}/{total} loss {loss}",
          stream: process.stderr,
          hideCursor: true,
        })
      : undefined;
    let barPhase = -1;
    output.say(
      `task ${task.name}: ${task.train.rows} train / ${task.val.rows} val / ${task.test.rows} test rows, ${task.inputs} inputs`,
    );
    const metricName = task.kind === "regression" ? "rmse" : "accuracy";
    // the learning curve goes to the store in batches: at checkpoints, phase ends and every 100
    let curve: FitEpochRow[] = [];
    const flushCurve = (): void => {
      store.recordFitEpochs(runId, curve);
      curve = [];
    };
    let checkpointed = resume?.phasesDone ?? 0;
    /** The last checkpoint written inside a phase since the last phase end, if any. */
    let inPhaseCheckpoint = resume?.inPhase
      ? { phase: resume.phasesDone, epochs: resume.inPhase.epochs }
      : undefined;
    let model: Model | undefined = resume?.model;
    // a diverged phase writes no checkpoint: the folder keeps the last finite one
    const diverged = (error: unknown): never => {
      if (bar && barPhase >= 0) bar.stop();
      if (!(error instanceof FitDivergedError)) throw error;
      bestEffort(flushCurve);
      const phase = config.phases[error.phase]!;
      // marked as bench marks a diverged trial: the phase's row says diverged, its metrics NULL
      store.recordFitPhase(runId, {
        phase: error.phase,
        kind: phase.kind,
        task: task.name,
        metric: metricName,
        diverged: true,
        seconds: null,
        params: null,
        trainLoss: null,
        trainMetric: null,
        valLoss: null,
        valMetric: null,
        testLoss: null,
        testMetric: null,
      });
      if (!outDir) throw error;
      const kept = inPhaseCheckpoint
        ? `${outDir} keeps the checkpoint after epoch ${inPhaseCheckpoint.epochs} of phase ${inPhaseCheckpoint.phase + 1}`
        : checkpointed > 0
          ? `${outDir} keeps the checkpoint after phase ${checkpointed}`
          : `no checkpoint was written to ${outDir}`;
      throw new FitDivergedError(error.phase, `${error.message}; ${kept}`);
    };
    const hasSymbolicPhase = config.phases.some((phase) => phase.kind === "symbolic");
    const checkpoints = (phase: number): TrainingCheckpoints | undefined => {
      const spec = config.phases[phase]!;
      if (!writer || spec.kind !== "gradient") return undefined;
      // asked for as the phase starts; its epochs give the event loop a turn each (gradient-fit;
      // on torch it turns all along)
      listen(true);
      return {
        every: every ?? defaultEvery(spec.epochs),
        stopRequested: () => stopAsked,
        save: async (progress) => {
          writer.inPhase(phase, model ?? buildModel(config, task), progress);
          inPhaseCheckpoint = { phase, epochs: progress.epochs };
          flushCurve();
        },
      };
    };
    const metricOf = (m: SplitMetrics | undefined): number | null =>
      m === undefined ? null : ((metricName === "rmse" ? m.rmse : m.accuracy) ?? null);
    const fitted = await runFit(
      engine.torch ? processTorchEngine() : jaxEngine,
      config,
      task,
      {
        edgeFallback: srEdgeFallback,
        onProgress(p) {
          if (!bar) return;
          const payload = {
            phase: `phase ${p.phase + 1} ${p.kind}`,
            loss: p.loss.toExponential(3),
          };
          if (p.phase !== barPhase) {
            if (barPhase >= 0) bar.stop();
            bar.start(p.of, p.at, payload);
            barPhase = p.phase;
          } else bar.update(p.at, payload);
        },
        onEpoch(e: FitEpoch) {
          curve.push({
            phase: e.phase,
            epoch: e.epoch,
            trainLoss: e.trainLoss,
            valLoss: e.valLoss ?? null,
            valMetric: e.valMetric ?? null,
          });
          if (curve.length >= 100) flushCurve();
        },
        checkpoints,
        async onPhase(result, phaseModel, state) {
          if (!engine.torch) listen(false);
          model = phaseModel;
          if (bar && barPhase >= 0) {
            bar.stop();
            barPhase = -1;
          }
          output.say(describePhase(result));
          flushCurve();
          store.recordFitPhase(runId, {
            phase: result.phase,
            kind: result.kind,
            task: task.name,
            metric: metricName,
            diverged: false,
            seconds: result.seconds,
            params: result.params,
            trainLoss: result.train.loss,
            trainMetric: metricOf(result.train),
            valLoss: result.val?.loss ?? null,
            valMetric: metricOf(result.val),
            testLoss: result.test?.loss ?? null,
            testMetric: metricOf(result.test),
          });
          store.recordEvent(runId, { level: "info", message: describePhase(result) });
          for (const line of describeFixedEdges(result)) output.say(line);
          if (!writer) return;
          await writer.phaseDone(result.phase + 1, phaseModel, state);
          checkpointed = result.phase + 1;
          inPhaseCheckpoint = undefined;
          if (stopAsked && result.phase + 1 < config.phases.length) throw new TrainingStopped(0);
        },
      },
      resume,
    ).catch(diverged);
    const results = fitted.results;
    const formula = fitted.formula;
    const learned = learnedActivationParams(fitted.model.specs, await readHostState(fitted.state));
    for (const line of learnedLines(learned)) output.say(line);
    const summary = {
      spec: specPath,
      task: task.name,
      device,
      ...(engine.torch ? { engine: engineRecord(engine) } : {}),
      dtype: config.model.dtype,
      phases: results,
      learned,
      ...("formula" in formula ? { formula } : {}),
      // a fit with a symbolic phase says why it has no formula (an edge left a spline, …)
      ...(!("formula" in formula) && hasSymbolicPhase
        ? { formulaUnavailable: formula.unavailable }
        : {}),
    };
    if ("formula" in formula) {
      // the formula is part of the run's record, as an event the store keeps with the run
      store.recordEvent(runId, { level: "info", message: `formula: ${formula.formula}` });
      if (outDir)
        writeAtomically(join(outDir, "formula.json"), `${JSON.stringify(formula, null, 2)}\n`);
    }
    if (outDir) {
      writeAtomically(join(outDir, "results.json"), `${JSON.stringify(summary, null, 2)}\n`);
      const recorded = store.listArtifacts(runId);
      for (const [kind, file] of [
        ["checkpoint", "checkpoint.json"],
        ["weights", "weights.safetensors"],
        ["results", "results.json"],
        ["formula", "formula.json"],
      ] as const) {
        const path = resolve(join(outDir, file));
        if (!existsSync(path)) continue;
        const artifact = { kind, path };
        // a resumed run that wrote nothing new does not record the same file twice
        const sha = createHash("sha256").update(readFileSync(path)).digest("hex");
        if (!recorded.some((a) => a.path === path && a.sha256 === sha))
          store.recordArtifact(runId, { ...artifact, sha256: sha });
      }
    }
    output.result({ run: runId, ...summary }, () => {
      const last = results[results.length - 1];
      if (!last) return "done: nothing left to run";
      const done = last.test
        ? `done: test ${formatMetrics(last.test)}`
        : `done: train ${formatMetrics(last.train)} (no test rows)`;
      if ("formula" in formula) return `${done}\n${describeFormula(formula)}`;
      return hasSymbolicPhase ? `${done}\nno formula: ${formula.unavailable}` : done;
    });
  }
}

/**
 * The run a fit records into: on resume, the run that wrote the checkpoint where this store has it
 * (a fit run of the same config), reopened; else a new one.
 */
function startOrResumeFit(
  store: RunStore,
  options: { resumedRun: string | undefined; configHash: string; create: () => string },
): string {
  const run = options.resumedRun ? store.getRun(options.resumedRun) : undefined;
  if (!run || run.command !== "fit" || run.configHash !== options.configHash)
    return options.create();
  store.reopenRun(run.id);
  return run.id;
}

export function registerFitCommand(program: Command): void {
  program
    .command("fit")
    .description("train one model on one task (phases: gradient, lbfgs, prune, refine, symbolic)")
    .argument("[spec]", "fit config (YAML or JSON); optional with --resume RUN")
    .option("--engine <engine>", ENGINE_HELP)
    .option("--device <device>", DEVICE_HELP)
    .option("--python <path>", PYTHON_HELP)
    .option("--threads <n>", THREADS_HELP)
    .option("--out <dir>", "write checkpoint.json, weights.safetensors and results.json here")
    .option(
      "--resume <run|dir>",
      "continue a fit from its checkpoint folder, or by its run id (the folder it recorded)",
    )
    .option(
      "--checkpoint-every <n>",
      "checkpoint a gradient phase every N epochs (default: every tenth of the phase; 0: only on Ctrl-C)",
    )
    .option("--store <path>", "run store (SQLite) to record the run in", "nonlin.db")
    .option("--json", "print the results as one JSON document")
    .addHelpText(
      "after",
      `
Examples:
  nonlin fit examples/hello-kan.yaml
  nonlin fit examples/hello-kan.yaml --out runs/hello --json
  nonlin fit examples/hello-kan.yaml --resume runs/hello
  nonlin fit --resume r-20250102-030405-ab12

With --out, Ctrl-C stops a gradient phase (jax engine) at the end of the epoch with a checkpoint
and prints the command that resumes it (a second Ctrl-C stops at once); the resumed fit ends with
the same weights and metrics as one never stopped. Other phases stop at once and resume from
their start (docs/store.md).`,
    )
    .action(runFitCommand);
}
