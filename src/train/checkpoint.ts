/**
 * Checkpoints: the model's layer specs (JSON, with where the run stands) plus every array in
 * safetensors, named layers.<i>.params.<name> / layers.<i>.buffers.<name>. Pure bytes here; the
 * CLI writes them to disk atomically.
 */
import type { numpy as np } from "@jax-js/jax";
import type { Scaling } from "../data/normalize.js";
import type { RowFormat, Task, TaskKind } from "../data/task.js";
import type { FloatDType } from "../engine/dtype.js";
import { arrayFrom } from "../engine/dtype.js";
import type { LayerSpec, ModelState } from "../nn/model.js";
import { hostStateOf } from "./host-state.js";
import type { SafeTensor } from "./safetensors.js";
import type { HostState } from "./trial-engine.js";
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
  const { tensors } = decodeSafetensors(bytes);
  const state: ModelState = Array.from({ length: layers }, () => ({ params: {}, buffers: {} }));
  for (const [key, tensor] of Object.entries(tensors)) {
    const match = /^layers\.(\d+)\.(params|buffers)\.(.+)$/.exec(key);
    const index = match ? Number(match[1]) : -1;
    if (!match || index >= layers) throw new Error(`checkpoint: unexpected tensor '${key}'`);
    const target = state[index]![match[2] as "params" | "buffers"] as Record<string, np.Array>;
    target[match[3] as string] = arrayFrom(tensor.data, tensor.shape, dtype);
  }
  return state;
}

/** A checkpoint's arrays as host arrays (float64 values), without an engine (export, checks). */
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
