/**
 * RUN|CHECKPOINT arguments (predict, evaluate, export): a checkpoint folder (fit --out DIR), its
 * checkpoint.json, or a fit run in the store, whose checkpoint fit recorded as an artifact. Every
 * way it can fail names the argument and says what to do (exit 2).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { defaultStorePath, openStore } from "../store/index.js";
import type { CheckpointSpec, CheckpointTask } from "../train/checkpoint.js";
import { decodeHostWeights } from "../train/checkpoint.js";
import type { HostState } from "../train/trial-engine.js";
import { UsageError } from "./errors.js";

export interface LoadedCheckpoint {
  /** The folder holding checkpoint.json and weights.safetensors. */
  dir: string;
  /** The fit run it came from, when named by run. */
  runId?: string;
  spec: CheckpointSpec;
  state: HostState;
}

/** A checkpoint whose task is known (predict and evaluate need its columns and scaling). */
export type TaskCheckpoint = LoadedCheckpoint & { spec: CheckpointSpec & { task: CheckpointTask } };

/** The checkpoint folder of a fit run: the checkpoint.json fit recorded last. */
function runCheckpointDir(subject: string, storePath: string): { dir: string; runId: string } {
  if (!existsSync(storePath))
    throw new UsageError(
      `'${subject}' is not a checkpoint folder or file (no such path), and there is no run store ${storePath} to look it up as a run`,
    );
  const store = openStore(storePath, { mustExist: true });
  try {
    const run = store.findRun(subject);
    if (run.command !== "fit")
      throw new UsageError(
        `run ${run.id} is a ${run.command} run: its trials keep no weights; train a model with 'nonlin fit SPEC --out DIR' and name its run or DIR`,
      );
    const saved = store.listArtifacts(run.id).filter((a) => a.kind === "checkpoint");
    const last = saved[saved.length - 1];
    // a fit that did not finish (Ctrl-C, killed) recorded no artifact yet; its --out folder keeps
    // the last checkpoint it wrote (fit --resume RUN reads the same folder)
    const kept = run.outDir ? join(run.outDir, "checkpoint.json") : undefined;
    if (!last && kept && existsSync(kept)) return { dir: run.outDir!, runId: run.id };
    if (!last)
      throw new UsageError(
        `run ${run.id} kept no checkpoint (it ran without --out, or stopped before its first checkpoint); 'nonlin fit SPEC --out DIR' keeps one`,
      );
    if (!existsSync(last.path))
      throw new UsageError(`run ${run.id}: its checkpoint ${last.path} is no longer there`);
    return { dir: dirname(last.path), runId: run.id };
  } finally {
    store.close();
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UsageError(`${path}: not a readable checkpoint (${(error as Error).message})`);
  }
}

/** Loads RUN|CHECKPOINT; `store` is the --store option. */
export function loadCheckpoint(subject: string, store: string | undefined): LoadedCheckpoint {
  let dir: string;
  let runId: string | undefined;
  if (existsSync(subject)) {
    dir = statSync(subject).isDirectory() ? subject : dirname(subject);
    if (!statSync(subject).isDirectory() && basename(subject) !== "checkpoint.json")
      throw new UsageError(
        `${subject}: name a checkpoint folder (fit --out DIR) or its checkpoint.json`,
      );
  } else ({ dir, runId } = runCheckpointDir(subject, store ?? defaultStorePath()));
  const specPath = join(dir, "checkpoint.json");
  if (!existsSync(specPath))
    throw new UsageError(
      `${dir}: no checkpoint.json here ('nonlin fit SPEC --out DIR' writes one)`,
    );
  const spec = readJson(specPath) as CheckpointSpec;
  if (spec?.format !== "nonlin-checkpoint-1" || !Array.isArray(spec.layers))
    throw new UsageError(`${specPath}: not a nonlin checkpoint (format nonlin-checkpoint-1)`);
  const weightsPath = join(dir, "weights.safetensors");
  if (!existsSync(weightsPath)) throw new UsageError(`${dir}: weights.safetensors is missing`);
  let state: HostState;
  try {
    state = decodeHostWeights(new Uint8Array(readFileSync(weightsPath)), spec.layers.length);
  } catch (error) {
    throw new UsageError(`${weightsPath}: ${(error as Error).message}`);
  }
  return { dir, ...(runId ? { runId } : {}), spec, state };
}

/** Refuses a checkpoint written before checkpoints kept their task (columns, scaling). */
export function requireTask(loaded: LoadedCheckpoint, subject: string): TaskCheckpoint {
  if (!loaded.spec.task)
    throw new UsageError(
      `${subject}: ${join(loaded.dir, "checkpoint.json")} does not record its task's columns and scaling (it was written by an older nonlin); fit the model again to predict with it`,
    );
  return loaded as TaskCheckpoint;
}
