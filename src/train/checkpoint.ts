/**
 * Checkpoints: the model's layer specs (JSON, with where the run stands) plus every array in
 * safetensors, named layers.<i>.params.<name> / layers.<i>.buffers.<name>. Pure bytes here; the
 * CLI writes them to disk atomically.
 */
import type { Scaling } from "../data/normalize.js";
import type { RowFormat, Task, TaskKind } from "../data/task.js";
import type { FloatDType } from "../engine/dtype.js";
import type { LayerSpec, ModelState } from "../nn/model.js";
import { hostStateOf, stateFromHost } from "./host-state.js";
import type { SafeTensor } from "./safetensors.js";
import type { HostArray, HostState, TrainingProgress } from "./trial-engine.js";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";

export interface CheckpointSpec {
  format: "nonlin-checkpoint-1";
  dtype: FloatDType;
  inputShape: number[];
  layers: LayerSpec[];
  /** Phases completed (the run resumes at this index). */
  phasesDone: number;
  /** Hash of the fit config the checkpoint belongs to (resume refuses another config). */
  configHash: string;
  /** The store's run that wrote it (`fit --resume` goes on in that run where the store has it). */
  runId?: string;
  /** sha256 of weights.safetensors as written with this file (a torn pair is refused). */
  weightsSha256?: string;
  /**
   * Phase `phasesDone` (a gradient phase) stopped between epochs: training-state.safetensors
   * holds its optimiser state and selected epoch; weights.safetensors its latest weights.
   */
  inPhase?: {
    epochs: number;
    steps: number;
    sinceBest: number;
    /** The validation loss of the epoch selected so far (absent: no validation split). */
    bestValLoss?: number;
    /** sha256 of training-state.safetensors. */
    stateSha256: string;
  };
  /** The task's feature scaling (fitted on its train split): model input = (raw − shift) / scale. */
  inputScaling?: Scaling;
  /** The regression targets' scaling, when they were scaled: model output → target units. */
  targetScaling?: Scaling;
  /** What predict and evaluate need to read new rows and report in the task's terms. */
  task?: CheckpointTask;
}

/** The task a checkpoint was trained on, as `predict` and `evaluate` read new rows for it. */
export interface CheckpointTask {
  name: string;
  kind: TaskKind;
  /** Classification: the number of classes, their names and their labels in the task's file. */
  classes?: number;
  classNames?: string[];
  classLabels?: string[];
  /** The names of x's columns after encoding (a category column gives `name=value` ones). */
  featureNames: string[];
  targetNames: string[];
  /** How a row file is read: header mode, delimiter and the columns that make x. */
  rows: RowFormat;
}

/** The task fields of a checkpoint: scaling and what reading new rows takes. */
export function checkpointTaskFields(
  task: Task,
): Pick<CheckpointSpec, "inputScaling" | "targetScaling" | "task"> {
  const copy = (scaling: Scaling): Scaling => ({
    kind: scaling.kind,
    shift: [...scaling.shift],
    scale: [...scaling.scale],
  });
  return {
    ...(task.featureScaling ? { inputScaling: copy(task.featureScaling) } : {}),
    ...(task.targetScaling ? { targetScaling: copy(task.targetScaling) } : {}),
    task: {
      name: task.name,
      kind: task.kind,
      ...(task.kind === "classification"
        ? {
            classes: task.classes ?? 2,
            ...(task.classNames ? { classNames: [...task.classNames] } : {}),
            ...(task.classLabels ? { classLabels: [...task.classLabels] } : {}),
          }
        : {}),
      featureNames: [...task.featureNames],
      targetNames: [...task.targetNames],
      rows: task.rowFormat ?? {
        header: "names",
        delimiter: ",",
        features: task.featureNames.map((name) => ({ name })),
      },
    },
  };
}

export function encodeWeights(state: ModelState, dtype: FloatDType): Uint8Array {
  return encodeHostWeights(hostStateOf(state), dtype);
}

/** encodeWeights of a state already on the host (`readHostState`: WebGPU reads only that way). */
export function encodeHostWeights(state: HostState, dtype: FloatDType): Uint8Array {
  const tensors: Record<string, SafeTensor> = {};
  state.forEach((layer, i) => {
    for (const kind of ["params", "buffers"] as const)
      for (const [name, array] of Object.entries(layer[kind])) {
        const values = array.values;
        const shape = [...array.shape];
        tensors[`layers.${i}.${kind}.${name}`] =
          dtype === "float64"
            ? { dtype: "F64", shape, data: values }
            : { dtype: "F32", shape, data: Float32Array.from(values) };
      }
  });
  return encodeSafetensors(tensors, { format: "nonlin" });
}

export function decodeWeights(bytes: Uint8Array, layers: number, dtype: FloatDType): ModelState {
  return stateFromHost(decodeHostWeights(bytes, layers), dtype);
}

/** The arrays of a weights file on the host, exactly as stored (F32 values are F64 values). */
export function decodeHostWeights(bytes: Uint8Array, layers: number): HostState {
  const { tensors } = decodeSafetensors(bytes);
  const state: HostState = Array.from({ length: layers }, () => ({ params: {}, buffers: {} }));
  for (const [key, tensor] of Object.entries(tensors)) {
    const match = /^layers\.(\d+)\.(params|buffers)\.(.+)$/.exec(key);
    const index = match ? Number(match[1]) : -1;
    if (!match || index >= layers) throw new Error(`checkpoint: unexpected tensor '${key}'`);
    state[index]![match[2] as "params" | "buffers"][match[3] as string] = {
      shape: [...tensor.shape],
      values: Float64Array.from(tensor.data),
    };
  }
  return state;
}

/**
 * A gradient phase's progress beyond its weights — the optimiser's arrays (`optimizer.<i>`, in
 * tree order) and the selected epoch's parameters (`best.layers.<i>.params.<name>`) — as
 * safetensors. Always F64: float32 values are float64 values, so the round trip is exact.
 */
export function encodeTrainingState(progress: TrainingProgress): Uint8Array {
  const tensors: Record<string, SafeTensor> = {};
  for (const [path, array] of Object.entries(progress.optimizer))
    tensors[`optimizer.${path}`] = { dtype: "F64", shape: [...array.shape], data: array.values };
  progress.best?.params.forEach((layer, i) => {
    for (const [name, array] of Object.entries(layer.params))
      tensors[`best.layers.${i}.params.${name}`] = {
        dtype: "F64",
        shape: [...array.shape],
        data: array.values,
      };
  });
  return encodeSafetensors(tensors, { format: "nonlin-training-state" });
}

/**
 * The progress a checkpoint's files hold: `inPhase` of its checkpoint.json, the latest weights
 * (`state`) and training-state.safetensors; errors name the tensor.
 */
export function decodeTrainingState(
  bytes: Uint8Array,
  inPhase: NonNullable<CheckpointSpec["inPhase"]>,
  state: HostState,
): TrainingProgress {
  const { tensors } = decodeSafetensors(bytes);
  const optimizer: Record<string, HostArray> = {};
  const best: HostState = state.map(() => ({ params: {}, buffers: {} }));
  for (const [key, tensor] of Object.entries(tensors)) {
    const array = { shape: [...tensor.shape], values: Float64Array.from(tensor.data) };
    const param = /^best\.layers\.(\d+)\.params\.(.+)$/.exec(key);
    if (key.startsWith("optimizer.")) optimizer[key.slice("optimizer.".length)] = array;
    else if (param && Number(param[1]) < best.length)
      best[Number(param[1])]!.params[param[2] as string] = array;
    else throw new Error(`training state: unexpected tensor '${key}'`);
  }
  return {
    epochs: inPhase.epochs,
    steps: inPhase.steps,
    state,
    optimizer,
    ...(inPhase.bestValLoss !== undefined
      ? { best: { valLoss: inPhase.bestValLoss, params: best } }
      : {}),
    sinceBest: inPhase.sinceBest,
  };
}
