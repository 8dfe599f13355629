/**
 * What the `nonlin kan` commands read: a trained model and the fit config it was trained with,
 * from a RUN of the store (its config, and the checkpoint folder `fit --out` recorded as an
 * artifact) or from a CHECKPOINT folder plus `--config SPEC` (a checkpoint holds the config's hash
 * only, not the task). The task is needed because edge ranges and scores are measured on the
 * training rows.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Task } from "../data/task.js";
import { loadTask, prepareTask } from "../data/node/load-task.js";
import { Model } from "../nn/model.js";
import type { ModelState } from "../nn/model.js";
import { formatPath } from "../nn/registry.js";
import type { CheckpointSpec } from "../train/checkpoint.js";
import { decodeWeights } from "../train/checkpoint.js";
import type { FitConfig } from "../train/fit-spec.js";
import { fitConfigSchema } from "../train/fit-spec.js";
import { defaultStorePath, openStore } from "../store/index.js";
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

const isFolder = (path: string): boolean => existsSync(path) && statSync(path).isDirectory();

/** The folder of a fit run's checkpoint, and its stored config. */
function fromStore(
  runPrefix: string,
  storePath: string | undefined,
): { dir: string; config: unknown; run: string } {
  const path = storePath ?? defaultStorePath();
  if (!existsSync(path))
    throw new UsageError(
      `${runPrefix}: not a checkpoint folder, and no run store at ${path} to look it up in (give a folder written by fit --out, or --store)`,
    );
  const store = openStore(path, { mustExist: true });
  try {
    const run = store.findRun(runPrefix);
    if (run.command !== "fit")
      throw new UsageError(
        `run ${run.id} is a ${run.command} run; a KAN is read from a fit run (its trials keep no weights)`,
      );
    const checkpoint = store
      .listArtifacts(run.id)
      .filter((artifact) => artifact.kind === "checkpoint")
      .pop();
    if (!checkpoint)
      throw new UsageError(
        `run ${run.id} recorded no checkpoint: fit keeps weights only with --out DIR (then give DIR or the run)`,
      );
    return { dir: dirname(checkpoint.path), config: run.config, run: run.id };
  } finally {
    store.close();
  }
}

/** The stored config of a run as a fit config; errors name the run. */
function storedFitConfig(run: string, stored: unknown): FitConfig {
  const parsed = fitConfigSchema.safeParse(stored);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new UsageError(
    `run ${run}: its stored config is not a fit config (${formatPath(issue.path)}: ${issue.message}); give --config`,
  );
}

/** Reads the model, its state, its config and task; errors name the argument or file (exit 2). */
export async function readKanSource(source: string, options: KanSourceOptions): Promise<KanSource> {
  if (isFolder(source) && !options.config)
    throw new UsageError(
      `${source}: a checkpoint folder holds no task; give the fit config it was trained with (--config SPEC.yaml), or the run id instead`,
    );
  const found = isFolder(source) ? undefined : fromStore(source, options.store);
  const dir = found?.dir ?? source;
  const run = found?.run;
  const given = options.config ? readFitConfig(options.config) : undefined;
  const config = given?.config ?? storedFitConfig(found!.run, found!.config);
  const configText = given?.text;
  const specFile = join(dir, "checkpoint.json");
  const weightsFile = join(dir, "weights.safetensors");
  for (const file of [specFile, weightsFile])
    if (!existsSync(file))
      throw new UsageError(`${file}: not found (a checkpoint folder is what fit --out writes)`);
  let saved: CheckpointSpec;
  try {
    saved = JSON.parse(readFileSync(specFile, "utf8")) as CheckpointSpec;
  } catch (error) {
    throw new UsageError(`${specFile}: not valid JSON: ${(error as Error).message}`);
  }
  if (saved?.format !== "nonlin-checkpoint-1" || !Array.isArray(saved.layers))
    throw new UsageError(`${specFile}: not a nonlin checkpoint (format nonlin-checkpoint-1)`);
  const model = new Model(saved.layers, saved.inputShape, saved.dtype);
  let state: ModelState;
  try {
    state = decodeWeights(
      new Uint8Array(readFileSync(weightsFile)),
      model.layers.length,
      saved.dtype,
    );
  } catch (error) {
    throw new UsageError(`${weightsFile}: ${(error as Error).message}`);
  }
  await prepareTask(config.task);
  // a stored config's relative paths are read from the working folder; --config's from its own
  const task = loadTask(config.task, options.config ? dirname(options.config) : ".");
  const modelInputs = model.inputShape.reduce((a, b) => a * b, 1);
  if (task.inputs !== modelInputs)
    throw new UsageError(
      `${options.config ?? `run ${run}`}: the task has ${task.inputs} inputs but the model in ${dir} takes ${modelInputs}`,
    );
  const configNote =
    configText !== undefined && hashOf(configText) !== saved.configHash
      ? `note: ${options.config} is not the config ${dir} was written for (hash ${hashOf(configText)}, checkpoint ${saved.configHash}); its task is used to measure the edges`
      : undefined;
  return {
    model,
    state,
    config,
    task,
    checkpointDir: dir,
    ...(run ? { run } : {}),
    ...(configNote ? { configNote } : {}),
  };
}
