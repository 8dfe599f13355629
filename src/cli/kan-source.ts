/**
 * What the `nonlin kan` commands read: a trained model (RUN|CHECKPOINT, by checkpoint-source.ts)
 * and the task it was trained on, whose training rows give the edges' ranges and scores. A
 * checkpoint keeps its task's names and scaling but not its rows, so the fit config is needed: a
 * RUN's stored config, or `--config SPEC` (required with a checkpoint folder; overrides a RUN's).
 */
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import type { Task } from "../data/task.js";
import { loadTask, prepareTask } from "../data/node/load-task.js";
import { Model } from "../nn/model.js";
import type { ModelState } from "../nn/model.js";
import { formatPath } from "../nn/registry.js";
import type { FitConfig } from "../train/fit-spec.js";
import { fitConfigSchema } from "../train/fit-spec.js";
import { stateFromHost } from "../train/host-state.js";
import { defaultStorePath, openStore } from "../store/index.js";
import { loadCheckpoint } from "./checkpoint-source.js";
import { UsageError } from "./errors.js";
import { readFitConfig } from "./fit.js";

export interface KanSourceOptions {
  /** The fit config (required with a CHECKPOINT folder; overrides a RUN's stored config). */
  config?: string;
  store?: string;
}

export interface KanSource {
  model: Model;
  state: ModelState;
  config: FitConfig;
  task: Task;
  checkpointDir: string;
  /** The run id when the model came from the store. */
  run?: string;
  /** Set when --config's hash differs from the checkpoint's (a note for the user, not an error). */
  configNote?: string;
}

const hashOf = (text: string): string =>
  createHash("sha256").update(text).digest("hex").slice(0, 16);

/** The config a fit run was recorded with; errors name the run. */
function storedFitConfig(runId: string, storePath: string): FitConfig {
  const store = openStore(storePath, { mustExist: true });
  try {
    const parsed = fitConfigSchema.safeParse(store.findRun(runId).config);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    throw new UsageError(
      `run ${runId}: its stored config is not a fit config (${formatPath(issue.path)}: ${issue.message}); give --config`,
    );
  } finally {
    store.close();
  }
}

/** Reads the model, its state (on the engine), its config and task; errors exit 2. */
export async function readKanSource(source: string, options: KanSourceOptions): Promise<KanSource> {
  const loaded = loadCheckpoint(source, options.store);
  if (!loaded.runId && !options.config)
    throw new UsageError(
      `${source}: a checkpoint folder holds no training rows; give the fit config it was trained with (--config SPEC.yaml), or the run id instead`,
    );
  const given = options.config ? readFitConfig(options.config) : undefined;
  const config =
    given?.config ?? storedFitConfig(loaded.runId!, options.store ?? defaultStorePath());
  const { spec, dir } = loaded;
  const model = new Model(spec.layers, spec.inputShape, spec.dtype);
  await prepareTask(config.task);
  // a stored config's relative paths are read from the working folder; --config's from its own
  const task = loadTask(config.task, options.config ? dirname(options.config) : ".");
  const modelInputs = model.inputShape.reduce((a, b) => a * b, 1);
  if (task.inputs !== modelInputs)
    throw new UsageError(
      `${options.config ?? `run ${loaded.runId}`}: the task has ${task.inputs} inputs but the model in ${dir} takes ${modelInputs}`,
    );
  const configNote =
    given && hashOf(given.text) !== spec.configHash
      ? `note: ${options.config} is not the config ${dir} was written for (hash ${hashOf(given.text)}, checkpoint ${spec.configHash}); its task is used to measure the edges`
      : undefined;
  return {
    model,
    state: stateFromHost(loaded.state, spec.dtype),
    config,
    task,
    checkpointDir: dir,
    ...(loaded.runId ? { run: loaded.runId } : {}),
    ...(configNote ? { configNote } : {}),
  };
}
