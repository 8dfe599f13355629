/**
 * The executor the command line asks for: `--redis URL` (workers anywhere), `--workers N` (a
 * local pool of N processes; default one per core), or `--workers 1`, which runs the trials in
 * this process (a pool of one would only add a process).
 */
import { availableParallelism } from "node:os";
import type { DeviceName } from "../engine/device.js";
import type { Executor } from "../exec/executor.js";
import { createExecutor } from "../exec/index.js";
import { UsageError } from "./errors.js";
import { applyThreads } from "./threads.js";

export function chooseExecutor(
  options: { workers?: string; redis?: string; threads?: string },
  device: DeviceName,
): Executor {
  let workers: number | undefined;
  if (options.workers !== undefined) {
    workers = Number(options.workers);
    if (!Number.isInteger(workers) || workers < 1)
      throw new UsageError(`--workers: expected a positive integer, got '${options.workers}'`);
  }
  // the training processes on this machine: the local pool's, or this one (--workers 1); with
  // --redis none here (each `nonlin worker` decides for its machine)
  applyThreads(options.threads, workers ?? availableParallelism());
  return createExecutor({
    ...(workers === undefined ? {} : { workers: workers === 1 ? 0 : workers }),
    ...(options.redis === undefined ? {} : { redis: options.redis }),
    device,
  });
}
