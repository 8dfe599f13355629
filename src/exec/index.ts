/** Executors: where trial jobs run (this process, local worker processes, Redis workers). */
import type { DeviceName } from "../engine/device.js";
import type { Executor } from "./executor.js";
import { ExecError } from "./executor.js";
import { InlineExecutor } from "./inline.js";
import { PoolExecutor } from "./pool.js";
import { RedisExecutor } from "./redis.js";

export * from "./executor.js";
export * from "./job.js";
export { InlineExecutor } from "./inline.js";
export type { InlineOptions } from "./inline.js";
export { PoolExecutor } from "./pool.js";
export type { PoolOptions } from "./pool.js";
export { DEFAULT_QUEUE, RedisExecutor } from "./redis.js";
export type { RedisExecutorOptions } from "./redis.js";
export { runWorker } from "./redis-worker.js";
export type { RedisWorkerHandle, RedisWorkerOptions } from "./redis-worker.js";

export interface ExecutorChoice {
  /** 0: this process; N ≥ 1: a pool of N worker processes; left out: one per core. */
  workers?: number;
  /** A Redis URL: trials go to `nonlin worker` processes through BullMQ. */
  redis?: string;
  queue?: string;
  attempts?: number;
  device?: DeviceName;
}

/** The executor of the command line's --workers / --redis. */
export function createExecutor(choice: ExecutorChoice = {}): Executor {
  const { attempts, device } = choice;
  if (choice.redis !== undefined) {
    if (choice.workers !== undefined)
      throw new ExecError(
        "--workers and --redis: give one (Redis workers set their own --concurrency)",
      );
    return new RedisExecutor(choice.redis, { queueName: choice.queue, attempts });
  }
  if (choice.workers === 0) return new InlineExecutor({ attempts, device });
  return new PoolExecutor({ workers: choice.workers, attempts, device });
}
