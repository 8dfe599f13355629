/**
 * Threads of the wasm engine, and how values are read out.
 *
 * jax-js's multi-threaded wasm (its worker pool) exists when a global `Worker` and
 * `SharedArrayBuffer` were there when jax-js was imported (in Node: the shim of
 * exec/web-worker-shim.ts, installed by the CLI's preload); its size is
 * `navigator.hardwareConcurrency` at that moment. The pool runs only the work that a read waits
 * for asynchronously (`await array.data()`); `dataSync` runs every kernel on the calling thread.
 * So whether a computation uses the threads is decided by how its result is read:
 * `readValues`/`readScalar` read asynchronously while `threadsInUse()` (or on WebGPU, which can
 * read only asynchronously in Node), and synchronously otherwise — the same kernels either way,
 * so the same numbers.
 *
 * The setting (`--threads`): a number (1 = off; N ≥ 2 = a pool of N threads used for every model)
 * or automatic (the pool is used only for the model kinds where it was measured to help — conv
 * nets; see docs/engine.md). `useThreadsFor` is called once per training run with its answer.
 */
import { blockUntilReady, defaultDevice, numpy as np } from "@jax-js/jax";
import type { JsTree } from "@jax-js/jax";
import { takeValues } from "./ownership.js";

export type ThreadSetting = "auto" | number;

let setting: ThreadSetting = "auto";
let inUse = false;

/** Threads in jax-js's wasm pool: 1 where there is no pool. */
export function poolThreads(): number {
  const g = globalThis as {
    Worker?: unknown;
    SharedArrayBuffer?: unknown;
    navigator?: { hardwareConcurrency?: number };
  };
  if (typeof g.Worker === "undefined" || typeof g.SharedArrayBuffer === "undefined") return 1;
  return Math.max(1, g.navigator?.hardwareConcurrency ?? 4);
}

export function setThreadSetting(value: ThreadSetting): void {
  setting = value;
}

export function threadSetting(): ThreadSetting {
  return setting;
}

/**
 * Decides whether the next computations read through the pool: `helps` is the automatic rule's
 * answer for the model at hand (used only when the setting is automatic). Returns the decision.
 */
export function useThreadsFor(helps: boolean): boolean {
  const wanted = setting === "auto" ? helps : setting >= 2;
  inUse = wanted && poolThreads() >= 2;
  return inUse;
}

/** Whether reads go through the pool now. */
export function threadsInUse(): boolean {
  return inUse;
}

/** Whether reads are asynchronous now: the pool is in use, or the device is WebGPU. */
export function readsAsync(): boolean {
  return inUse || defaultDevice() === "webgpu";
}

/** `takeValues`, waiting asynchronously (through the pool, or WebGPU) where reads are async. */
export async function readValues(array: np.Array): Promise<Float64Array> {
  if (!readsAsync()) return takeValues(array);
  return Float64Array.from(await array.data());
}

/** `takeScalar`, read as readValues reads. */
export async function readScalar(array: np.Array): Promise<number> {
  const values = await readValues(array);
  if (values.length !== 1) throw new RangeError(`expected one value, got ${values.length}`);
  return values[0] as number;
}

/**
 * Waits until every array of the tree is computed (async reads only), so that synchronous
 * work after it finds no pending pool work (jax-js refuses a synchronous dispatch whose inputs the
 * pool is still writing).
 */
export async function settle(value: JsTree<np.Array>): Promise<void> {
  if (!readsAsync()) return;
  await blockUntilReady(value);
}
