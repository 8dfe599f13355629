/**
 * Checkpoints: the model's layer specs (JSON, with where the run stands) plus every array in
 * safetensors, named layers.<i>.params.<name> / layers.<i>.buffers.<name>. Pure bytes here; the
 * CLI writes them to disk atomically.
 */
import type { numpy as np } from "@jax-js/jax";
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
