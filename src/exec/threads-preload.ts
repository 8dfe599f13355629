/**
 * Imported first by the CLI's entry and by worker processes, before anything imports jax-js:
 * installs the Worker shim (web-worker-shim.ts) sized for `--threads`, so jax-js creates its wasm
 * worker pool. The size comes from NONLIN_THREADS (set by a parent for its worker processes:
 * `auto:N` or `N`), else from this command's `--threads` (fit, bench, search, worker; automatic:
 * one thread per core). Whether a model then uses the pool is decided per training run
 * (engine/threads.ts); a pool that is never used starts no thread.
 */
import { availableParallelism } from "node:os";
import { installWorkerShim } from "./web-worker-shim.js";

export const THREADS_ENV = "NONLIN_THREADS";
const TRAINING_COMMANDS = new Set(["fit", "bench", "search", "worker"]);

/** The pool size asked for by the environment or the command line; 1 = no pool. */
export function requestedPoolSize(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  const fromEnv = env[THREADS_ENV];
  if (fromEnv !== undefined) {
    const n = Number(fromEnv.startsWith("auto:") ? fromEnv.slice(5) : fromEnv);
    return Number.isInteger(n) && n >= 1 ? n : 1;
  }
  if (!TRAINING_COMMANDS.has(argv[2] ?? "")) return 1;
  let text = "auto";
  for (let i = 3; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") break;
    if (arg === "--threads" && i + 1 < argv.length) text = argv[i + 1] as string;
    else if (arg.startsWith("--threads=")) text = arg.slice("--threads=".length);
  }
  if (text === "auto") return availableParallelism();
  const n = Number(text);
  // a bad value is refused by the command's own parsing (exit 2)
  return Number.isInteger(n) && n >= 1 && n <= 256 ? n : 1;
}

/** The setting a parent handed down in NONLIN_THREADS (`auto` when none). */
export function settingFromEnv(env: NodeJS.ProcessEnv): "auto" | number {
  const text = env[THREADS_ENV];
  if (text === undefined || text.startsWith("auto")) return "auto";
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

installWorkerShim(requestedPoolSize(process.argv, process.env));
