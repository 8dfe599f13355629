/**
 * A fit's checkpoint folder on disk: checkpoint.json (where the fit stands), weights.safetensors
 * (the model) and, for a gradient phase stopped between epochs, training-state.safetensors (its
 * optimiser state and selected epoch). checkpoint.json is written last and names the sha256 of
 * the files it goes with, so a folder a kill left half-written is refused rather than misread.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { keyFromSeed } from "../engine/random.js";
import { disposeState, Model } from "../nn/model.js";
import type { CheckpointSpec } from "../train/checkpoint.js";
import {
  decodeHostWeights,
  decodeTrainingState,
  encodeHostWeights,
  encodeTrainingState,
} from "../train/checkpoint.js";
import { readHostState, stateFromHost } from "../train/host-state.js";
import type { FitResumePoint } from "../train/run-fit.js";
import type { HostArray, HostState, TrainingProgress } from "../train/trial-engine.js";
import { UsageError } from "./errors.js";
import { writeAtomically } from "./files.js";

export const CHECKPOINT_FILE = "checkpoint.json";
export const WEIGHTS_FILE = "weights.safetensors";
export const TRAINING_STATE_FILE = "training-state.safetensors";

const sha256 = (bytes: Uint8Array | string): string =>
  createHash("sha256").update(bytes).digest("hex");

/** Whether `path` is a folder (a `--resume` that is not one is taken for a run id). */
export const isFolder = (path: string): boolean =>
  statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;

/** The checkpoint.json of a folder, or undefined where there is none. */
export function readCheckpointSpec(dir: string): CheckpointSpec | undefined {
  const file = join(dir, CHECKPOINT_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as CheckpointSpec;
  } catch (error) {
    throw new UsageError(`--resume: ${file} is not a checkpoint (${(error as Error).message})`);
  }
}

/** The fit to continue from the checkpoint in `dir`; errors name the folder and file. */
export function readCheckpoint(dir: string, configHash: string): FitResumePoint {
  const saved = readCheckpointSpec(dir);
  if (!saved)
    throw new UsageError(
      `--resume: ${join(dir, CHECKPOINT_FILE)} not found (the fit wrote no checkpoint there yet)`,
    );
  if (saved.configHash !== configHash)
    throw new UsageError(
      `--resume: ${dir} was written for another config (hash ${saved.configHash}, this one ${configHash})`,
    );
  const read = (name: string, hash: string | undefined): Uint8Array => {
    const file = join(dir, name);
    if (!existsSync(file)) throw new UsageError(`--resume: ${file} not found`);
    const bytes = new Uint8Array(readFileSync(file));
    if (hash !== undefined && sha256(bytes) !== hash)
      throw new UsageError(
        `--resume: ${file} is not the one ${CHECKPOINT_FILE} was written with (its sha256 differs): the folder was changed or half-written`,
      );
    return bytes;
  };
  try {
    const model = new Model(saved.layers, saved.inputShape, saved.dtype);
    const weights = read(WEIGHTS_FILE, saved.weightsSha256);
    const host = inInitOrder(decodeHostWeights(weights, model.layers.length), model);
    const state = stateFromHost(host, saved.dtype);
    const point: FitResumePoint = { model, state, phasesDone: saved.phasesDone };
    if (saved.inPhase) {
      const progress = decodeTrainingState(
        read(TRAINING_STATE_FILE, saved.inPhase.stateSha256),
        saved.inPhase,
        host,
      );
      if (progress.best) progress.best.params = inInitOrder(progress.best.params, model);
      point.inPhase = progress;
    }
    return point;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--resume: ${dir}: ${(error as Error).message}`);
  }
}

/**
 * The arrays in the key order of the model's own `init` (safetensors files sort their tensors by
 * name): the order the uninterrupted fit had, so every sum over leaves (clip_norm's global norm)
 * adds in the same order and the resumed fit rounds as it did.
 */
function inInitOrder(host: HostState, model: Model): HostState {
  const reference = model.init(keyFromSeed(0));
  const ordered = host.map((layer, i) => {
    const order = (saved: Record<string, HostArray>, keys: string[]): Record<string, HostArray> => {
      const known = keys.filter((key) => key in saved);
      const rest = Object.keys(saved).filter((key) => !keys.includes(key));
      return Object.fromEntries([...known, ...rest].map((key) => [key, saved[key]!]));
    };
    const ref = reference[i];
    return {
      params: order(layer.params, Object.keys(ref?.params ?? {})),
      buffers: order(layer.buffers, Object.keys(ref?.buffers ?? {})),
    };
  });
  disposeState(reference);
  return ordered;
}

export interface CheckpointWriter {
  /** After a finished phase: the model and its state (borrowed). */
  phaseDone(
    phasesDone: number,
    model: Model,
    state: Parameters<typeof readHostState>[0],
  ): Promise<void>;
  /** Inside gradient phase `phase` of `model`, between epochs. */
  inPhase(phase: number, model: Model, progress: TrainingProgress): void;
}

/**
 * Writes checkpoints of one fit into `dir`; `fields` go into every checkpoint.json as they are (the
 * config's hash, the store's run, the task's scaling and columns for predict).
 */
export function checkpointWriter(
  dir: string,
  fields: Pick<CheckpointSpec, "configHash" | "runId" | "inputScaling" | "targetScaling" | "task">,
): CheckpointWriter {
  const write = (
    model: Model,
    phasesDone: number,
    weights: Uint8Array,
    inPhase?: CheckpointSpec["inPhase"],
  ) => {
    writeAtomically(join(dir, WEIGHTS_FILE), weights);
    const spec: CheckpointSpec = {
      format: "nonlin-checkpoint-1",
      dtype: model.dtype,
      inputShape: [...model.inputShape],
      layers: [...model.specs],
      phasesDone,
      ...fields,
      weightsSha256: sha256(weights),
      ...(inPhase ? { inPhase } : {}),
    };
    // the commit point: until this rename the folder still names the previous pair
    writeAtomically(join(dir, CHECKPOINT_FILE), `${JSON.stringify(spec, null, 2)}\n`);
  };
  return {
    async phaseDone(phasesDone, model, state) {
      write(model, phasesDone, encodeHostWeights(await readHostState(state), model.dtype));
      // a phase's end supersedes the progress inside it
      rmSync(join(dir, TRAINING_STATE_FILE), { force: true });
    },
    inPhase(phase, model, progress) {
      const trainingState = encodeTrainingState(progress);
      writeAtomically(join(dir, TRAINING_STATE_FILE), trainingState);
      write(model, phase, encodeHostWeights(progress.state, model.dtype), {
        epochs: progress.epochs,
        steps: progress.steps,
        sinceBest: progress.sinceBest,
        ...(progress.best ? { bestValLoss: progress.best.valLoss } : {}),
        stateSha256: sha256(trainingState),
      });
    },
  };
}
