/**
 * What a trial compiles — the model, its jitted training step and its jitted forward pass — kept
 * per process for the trials that follow with the same model spec, input shape, dtype, loss and
 * optimiser (the seeds of a candidate on a task; a search's reference runs). Tracing a step anew
 * for every trial cost about as much as training a small trial, and kept V8 re-optimising jax-js's
 * tracer on a background thread (a single worker used 1.2-1.3 cores: profile in docs/executors.md).
 *
 * Sharing is sound because every layer is a pure function of its spec and of the state it is
 * given: parameters and buffers are arguments of the compiled functions, never constants baked
 * into a trace (test/trial-kernels.test.ts checks trials bit for bit against fresh compiles).
 */
import type { FloatDType } from "../engine/dtype.js";
import type { ArrayRecord } from "../nn/layer.js";
import type { LayerSpec } from "../nn/model.js";
import { Model } from "../nn/model.js";
import type { GradientPhase } from "./fit-spec.js";
import type { Forward } from "./forward.js";
import { compiledForward } from "./forward.js";
import type { TrainStep } from "./gradient-fit.js";
import { trainStep } from "./gradient-fit.js";
import type { LossName } from "./loss.js";

export interface TrialKernels {
  model: Model;
  forward: Forward;
  /** The training step, compiled at the first training (it needs a parameter structure). */
  step(params: ArrayRecord[]): TrainStep;
}

export interface KernelKey {
  layers: readonly LayerSpec[];
  inputShape: readonly number[];
  dtype: FloatDType;
  loss: LossName;
  optimizer: GradientPhase["optimizer"];
}

/**
 * How many model specs a process keeps compiled: a search's trials come in runs of a candidate's
 * seeds, so a few suffice, and each entry holds wasm kernels (freed on eviction).
 */
const CAPACITY = 16;
const cache = new Map<string, { kernels: TrialKernels; dispose(): void }>();
let enabled = true;
const counts = { hits: 0, compiles: 0 };

/** How often trials found their kernels compiled, and how often they compiled them. */
export function trialKernelCounts(): { hits: number; compiles: number } {
  return { ...counts };
}

/** Turns sharing off (every trial compiles afresh) or back on; clears the cache. */
export function shareTrialKernels(on: boolean): void {
  clearTrialKernels();
  enabled = on;
}

export function clearTrialKernels(): void {
  for (const entry of cache.values()) entry.dispose();
  cache.clear();
}

function compile(key: KernelKey): { kernels: TrialKernels; dispose(): void } {
  const model = new Model(key.layers, key.inputShape, key.dtype);
  const forward = compiledForward(model, key.loss);
  let step: TrainStep | undefined;
  return {
    kernels: {
      model,
      forward,
      step: (params) => (step ??= trainStep(model, key.optimizer, key.loss, params)),
    },
    dispose() {
      forward.dispose();
      step?.dispose();
    },
  };
}

/**
 * The compiled parts for `key`, from the cache when a trial compiled them before. With sharing
 * off, the caller gets a fresh set and must call `release` when done.
 */
export function trialKernels(key: KernelKey): { kernels: TrialKernels; release(): void } {
  if (!enabled) {
    counts.compiles++;
    const fresh = compile(key);
    return { kernels: fresh.kernels, release: () => fresh.dispose() };
  }
  const id = JSON.stringify([key.layers, key.inputShape, key.dtype, key.loss, key.optimizer]);
  let entry = cache.get(id);
  if (entry) {
    counts.hits++;
    cache.delete(id); // re-inserted below: the Map's order is the LRU order
  } else {
    counts.compiles++;
    entry = compile(key);
    if (cache.size >= CAPACITY) {
      const [oldest, evicted] = cache.entries().next().value!;
      cache.delete(oldest);
      evicted.dispose();
    }
  }
  cache.set(id, entry);
  return { kernels: entry.kernels, release: () => undefined };
}
