/**
 * What `nonlin worker --redis URL` runs on any machine: a BullMQ Worker that takes jobs (trials,
 * a search's screenings) from the queue and runs each in a local worker process (one per unit of
 * concurrency).
 *
 * Why the trial runs in a child process: training is synchronous and blocks its thread for
 * seconds to hours, and BullMQ renews a job's lock from the thread that holds the Worker (every
 * lockDuration/2). Here that thread only waits on IPC, so a LIVE worker renews its locks however
 * long a trial takes and is never declared stalled. A KILLED worker stops renewing: after
 * lockDuration its lock expires, and the next stalled-job check of any other worker (every
 * stalledInterval) moves the job back to waiting, where another worker takes it. The orphaned
 * child of a killed worker cannot report anything; it exits when its trial ends.
 */
import { availableParallelism } from "node:os";
import type { Job as BullMqJob } from "bullmq";
import { Worker } from "bullmq";
import type { RedisOptions } from "ioredis";
import type { DeviceName } from "../engine/device.js";
import { ChildWorker } from "./child-worker.js";
import { messageOf } from "./executor.js";
import type { Job } from "./job.js";
import {
  bullConnection,
  DEFAULT_CONNECT_TIMEOUT_MS,
  probeRedis,
  redactUrl,
} from "./redis-connection.js";
import { DEFAULT_QUEUE } from "./redis.js";
import { encodeResult } from "./wire.js";

export interface RedisWorkerOptions {
  queueName?: string;
  /** Trials at a time, each in its own worker process (default: one per core). */
  concurrency?: number;
  device?: DeviceName;
  /** A job's lock lasts this long and is renewed every half of it (default 30 000 ms). */
  lockDurationMs?: number;
  /** How often this worker looks for jobs whose lock expired (default 30 000 ms). */
  stalledIntervalMs?: number;
  /** Stalls a job survives before it fails for good (default 2). */
  maxStalledCount?: number;
  /** Epoch progress is published at most this often per job (default 1000 ms). */
  progressMs?: number;
  connectTimeoutMs?: number;
  /** ioredis options over those of the URL, e.g. `{ tls: { ca } }`. */
  connection?: RedisOptions;
  /** One line per event (start, done, failed, errors); default: nothing. */
  log?: (line: string) => void;
}

export interface RedisWorkerHandle {
  /** Pids of the local worker processes. */
  readonly pids: number[];
  /**
   * Stops taking jobs. Graceful: waits for running trials to finish. Forced: kills them (each
   * counts a failed attempt and is retried by another worker).
   */
  close(force?: boolean): Promise<void>;
}

export async function runWorker(
  url: string,
  options: RedisWorkerOptions = {},
): Promise<RedisWorkerHandle> {
  const log = options.log ?? (() => {});
  const concurrency = options.concurrency ?? availableParallelism();
  const device = options.device ?? "wasm";
  const queueName = options.queueName ?? DEFAULT_QUEUE;
  const progressMs = options.progressMs ?? 1000;
  await probeRedis(url, options.connection, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);

  const children = new Set<ChildWorker>();
  const idle: ChildWorker[] = [];
  const startChild = async () => {
    const child = await ChildWorker.start({ device, ignoreInterrupt: true });
    children.add(child);
    void child.exited.then(() => children.delete(child));
    return child;
  };
  // engines start before the first job is taken, so no lock is held while they start
  idle.push(...(await Promise.all(Array.from({ length: concurrency }, startChild))));

  const processor = async (bullJob: BullMqJob<Job, string, string>): Promise<string> => {
    const job = bullJob.data;
    log(`start ${job.id} (attempt ${bullJob.attemptsStarted})`);
    let child = idle.pop();
    while (child && !child.alive) child = idle.pop();
    child ??= await startChild();
    let last = -Infinity;
    try {
      const result = await child.run(job, (epoch, of, loss) => {
        const now = performance.now();
        if (now - last < progressMs && epoch < of) return;
        last = now;
        bullJob.updateProgress({ epoch, of, loss }).catch(() => {});
      });
      log(`done ${job.id}`);
      return encodeResult(result);
    } catch (error) {
      log(`failed ${job.id}: ${messageOf(error).split("\n")[0]}`);
      throw error;
    } finally {
      if (child.alive) idle.push(child);
    }
  };

  const worker = new Worker<Job, string, string>(queueName, processor, {
    connection: bullConnection(url, options.connection),
    concurrency,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 2,
  });
  worker.on("error", (error) => log(`error: ${error.message}`));
  await worker.waitUntilReady();
  log(
    `worker ready: queue ${queueName} at ${redactUrl(url)}, ${concurrency} process(es), pid ${process.pid}`,
  );

  let closing: Promise<void> | undefined;
  return {
    get pids() {
      return [...children].flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
    },
    async close(force = false) {
      if (force) await Promise.all([...children].map((c) => c.kill()));
      closing ??= worker
        .close()
        .then(() => Promise.all([...children].map((c) => c.kill())).then(() => {}));
      await closing;
    },
  };
}
