/**
 * `--threads` of fit, bench, search and worker: jax-js's wasm worker pool (docs/engine.md,
 * "Threads"). `auto` (the default) gives each training process floor(cores / processes) threads
 * and uses them only for the model kinds where they were measured to help (conv nets); with fewer
 * than 2 threads a process, it is off. A number N is obeyed as given: N threads for every model
 * (1 = off). The pool itself is made when jax-js is imported, so its size travels to worker
 * processes in NONLIN_THREADS and is read by the preload (exec/threads-preload.ts).
 */
import { availableParallelism } from "node:os";
import type { ThreadSetting } from "../engine/threads.js";
import { setThreadSetting } from "../engine/threads.js";
import { THREADS_ENV } from "../exec/threads-preload.js";
import { UsageError } from "./errors.js";

export const THREADS_HELP =
  "wasm threads per training process: auto (default: conv nets only, and only where cores / processes >= 2) or a number (1 = off)";

/** Parses `--threads`: `auto` or a positive integer; anything else exits 2. */
export function parseThreads(text: string | undefined): ThreadSetting {
  if (text === undefined || text === "auto") return "auto";
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isInteger(n) || n < 1 || n > 256)
    throw new UsageError(`--threads: expected 'auto' or an integer from 1 to 256, got '${text}'`);
  return n;
}

/**
 * The setting for this process and the worker processes it starts: `processes` is how many
 * training processes share this machine's cores (1 when trials run in this process).
 */
export function applyThreads(text: string | undefined, processes: number): ThreadSetting {
  const requested = parseThreads(text);
  const share = Math.floor(availableParallelism() / Math.max(1, processes));
  const setting: ThreadSetting = requested === "auto" && share < 2 ? 1 : requested;
  setThreadSetting(setting);
  process.env[THREADS_ENV] = setting === "auto" ? `auto:${share}` : String(setting);
  return setting;
}
