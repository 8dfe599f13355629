/** The executor the command line asks for: Redis, a local pool, or this process (--workers 1). */
import { availableParallelism } from "node:os";
import type { DeviceName } from "../engine/device.js";
import type { Executor } from "../exec/executor.js";
import { InlineExecutor } from "../exec/inline.js";
import { PoolExecutor } from "../exec/pool.js";
import { RedisExecutor } from "../exec/redis.js";
import { UsageError } from "./errors.js";

export function chooseExecutor(
  options: { workers?: string; redis?: string },
  device: DeviceName,
): Executor {
  if (options.redis) return new RedisExecutor(options.redis);
  const workers = options.workers === undefined ? availableParallelism() : Number(options.workers);
  if (!Number.isInteger(workers) || workers < 1)
    throw new UsageError(`--workers: expected a positive integer, got '${options.workers}'`);
  return workers === 1 ? new InlineExecutor({ device }) : new PoolExecutor({ workers, device });
}
