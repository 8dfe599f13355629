/**
 * The executor the command line asks for: `--redis URL` (workers anywhere), `--workers N` (a
 * local pool of N processes; default one per core), or `--workers 1`, which runs the trials in
 * this process (a pool of one would only add a process).
 */
import type { DeviceName } from "../engine/device.js";
import type { Executor } from "../exec/executor.js";
import { createExecutor } from "../exec/index.js";
import { UsageError } from "./errors.js";

export function chooseExecutor(
  options: { workers?: string; redis?: string },
  device: DeviceName,
): Executor {
  let workers: number | undefined;
  if (options.workers !== undefined) {
    workers = Number(options.workers);
    if (!Number.isInteger(workers) || workers < 1)
      throw new UsageError(`--workers: expected a positive integer, got '${options.workers}'`);
  }
  return createExecutor({
    ...(workers === undefined ? {} : { workers: workers === 1 ? 0 : workers }),
    ...(options.redis === undefined ? {} : { redis: options.redis }),
    device,
  });
}
