/** `nonlin fit <spec.yaml>`: train one model on one task, phase by phase, with checkpoints. */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { cpus, platform } from "node:os";
import { dirname, join, resolve } from "node:path";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { loadTask, prepareTask } from "../data/node/load-task.js";
import type { Task } from "../data/task.js";
import { startEngine } from "../engine/index.js";
import { LayerSpecError } from "../nn/layer.js";
import { Model } from "../nn/model.js";
import { formatPath } from "../nn/registry.js";
import type { CheckpointSpec } from "../train/checkpoint.js";
import { checkpointTaskFields, decodeWeights, encodeHostWeights } from "../train/checkpoint.js";
import { readHostState } from "../train/host-state.js";
import type { FitConfig } from "../train/fit-spec.js";
import { fitConfigSchema } from "../train/fit-spec.js";
import type { PhaseResult, SplitMetrics } from "../train/run-fit.js";
import { jaxEngine } from "../train/jax-engine.js";
import type { LearnedActivationParam } from "../train/learned-activations.js";
import { learnedActivationParams } from "../train/learned-activations.js";
import { buildModel, checkModelOutputs, FitDivergedError, runFit } from "../train/run-fit.js";
import { defaultStorePath, openStore, StoreWriteError } from "../store/index.js";
import { describeError, UsageError } from "./errors.js";
import { checkOutputFolder, readYamlFile, writeAtomically } from "./files.js";
import { makeOutput } from "./output.js";
import { bestEffort } from "./run-session.js";
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

interface FitOptions {
  engine?: string;
  device?: string;
  python?: string;
  threads?: string;
  store?: string;
  json?: boolean;
  out?: string;
  resume?: string;
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

type FitResume = NonNullable<Parameters<typeof runFit>[4]>;

/** The checkpoint in `dir` to continue from; errors name the folder. */
function readCheckpoint(dir: string, configHash: string): FitResume {
  const specFile = join(dir, "checkpoint.json");
  if (!existsSync(specFile)) throw new UsageError(`--resume: ${specFile} not found`);
  const saved = JSON.parse(readFileSync(specFile, "utf8")) as CheckpointSpec;
  if (saved.configHash !== configHash)
    throw new UsageError(
      `--resume: ${dir} was written for another config (hash ${saved.configHash}, this one ${configHash})`,
    );
  const model = new Model(saved.layers, saved.inputShape, saved.dtype);
  const bytes = readFileSync(join(dir, "weights.safetensors"));
  const state = decodeWeights(new Uint8Array(bytes), model.layers.length, saved.dtype);
  return { model, state, phasesDone: saved.phasesDone };
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

async function runFitCommand(specPath: string, options: FitOptions): Promise<void> {
  const output = makeOutput(Boolean(options.json));
  checkJaxDeviceEarly(options);
  applyThreads(options.threads, 1);
  const { config, text } = readFitConfig(specPath);
  if (engineName(options.engine, config.engine) === "torch") {
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
    (phase) => phase.kind === "prune" || phase.kind === "refine",
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
  const resume = options.resume ? readCheckpoint(options.resume, configHash) : undefined;
  checkModel(specPath, () => resume?.model ?? buildModel(config, task), task);
  // the store is opened (and checked) before any work, so a bad --store exits 2 with nothing run
  const store = openStore(options.store ?? defaultStorePath());
  const runId = store.createRun({
    command: "fit",
    config,
    configHash,
    machine: {
      cpus: cpus().length,
      platform: platform(),
      node: process.version,
      device,
      ...engineRecord(engine),
    },
  });
  output.say(`run ${runId} (store ${store.path})`);
  try {
    await fitWithStore();
    store.finishRun(runId, "done");
  } catch (error) {
    // a store that cannot be written is not written again; nor may recording hide the error
    if (!(error instanceof StoreWriteError))
      bestEffort(() => {
        store.recordEvent(runId, { level: "error", message: describeError(error) });
        store.finishRun(runId, "failed");
      });
    throw error;
  } finally {
    store.close();
  }

  async function fitWithStore(): Promise<void> {
    const outDir = options.out ?? options.resume;
    if (resume) output.say(`resuming after phase ${resume.phasesDone} of ${config.phases.length}`);
    if (outDir) mkdirSync(outDir, { recursive: true });
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
    let checkpointed = resume?.phasesDone ?? 0;
    // a diverged phase writes no checkpoint: the folder keeps the last finite one
    const diverged = (error: unknown): never => {
      if (bar && barPhase >= 0) bar.stop();
      if (!(error instanceof FitDivergedError) || !outDir) throw error;
      throw new FitDivergedError(
        error.phase,
        `${error.message}; ${checkpointed > 0 ? `${outDir} keeps the checkpoint after phase ${checkpointed}` : `no checkpoint was written to ${outDir}`}`,
      );
    };
    const { model, state, results } = await runFit(
      engine.torch ? processTorchEngine() : jaxEngine,
      config,
      task,
      {
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
        async onPhase(result, model, state) {
          if (bar && barPhase >= 0) {
            bar.stop();
            barPhase = -1;
          }
          output.say(describePhase(result));
          store.recordEvent(runId, { level: "info", message: describePhase(result) });
          if (!outDir) return;
          const weights = encodeHostWeights(await readHostState(state), model.dtype);
          writeAtomically(join(outDir, "weights.safetensors"), weights);
          const checkpoint: CheckpointSpec = {
            format: "nonlin-checkpoint-1",
            dtype: model.dtype,
            inputShape: [...model.inputShape],
            layers: [...model.specs],
            phasesDone: result.phase + 1,
            configHash,
            ...checkpointTaskFields(task),
          };
          writeAtomically(
            join(outDir, "checkpoint.json"),
            `${JSON.stringify(checkpoint, null, 2)}\n`,
          );
          checkpointed = result.phase + 1;
        },
      },
      resume,
    ).catch(diverged);
    const learned = learnedActivationParams(model.specs, await readHostState(state));
    for (const line of learnedLines(learned)) output.say(line);
    const summary = {
      spec: specPath,
      task: task.name,
      device,
      ...(engine.torch ? { engine: engineRecord(engine) } : {}),
      dtype: config.model.dtype,
      phases: results,
      learned,
    };
    if (outDir) {
      writeAtomically(join(outDir, "results.json"), `${JSON.stringify(summary, null, 2)}\n`);
      for (const [kind, file] of [
        ["checkpoint", "checkpoint.json"],
        ["weights", "weights.safetensors"],
        ["results", "results.json"],
      ] as const)
        if (existsSync(join(outDir, file)))
          store.recordArtifact(runId, { kind, path: resolve(join(outDir, file)) });
    }
    output.result({ run: runId, ...summary }, () => {
      const last = results[results.length - 1];
      if (!last) return "done: nothing left to run";
      return last.test
        ? `done: test ${formatMetrics(last.test)}`
        : `done: train ${formatMetrics(last.train)} (no test rows)`;
    });
  }
}

export function registerFitCommand(program: Command): void {
  program
    .command("fit")
    .description("train one model on one task (phases: gradient, lbfgs, prune, refine)")
    .argument("<spec>", "fit config (YAML or JSON)")
    .option("--engine <engine>", ENGINE_HELP)
    .option("--device <device>", DEVICE_HELP)
    .option("--python <path>", PYTHON_HELP)
    .option("--threads <n>", THREADS_HELP)
    .option("--out <dir>", "write checkpoint.json, weights.safetensors and results.json here")
    .option("--resume <dir>", "continue a run from its checkpoint directory")
    .option("--store <path>", "run store (SQLite) to record the run in", "nonlin.db")
    .option("--json", "print the results as one JSON document")
    .addHelpText(
      "after",
      `
Examples:
  nonlin fit examples/hello-kan.yaml
  nonlin fit examples/hello-kan.yaml --out runs/hello --json
  nonlin fit examples/hello-kan.yaml --resume runs/hello`,
    )
    .action(runFitCommand);
}
