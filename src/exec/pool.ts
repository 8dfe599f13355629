/**
 * A pool of local worker processes (default: one per core), each running one trial at a time;
 * jobs go to workers as they free up. A trial that throws is retried (on any worker); a worker
 * that dies during a trial is replaced by a fresh one and its trial retried; either counts an
 * attempt, and after the last one the trial is reported with its error while the run goes on.
 * Workers stay up between runs (the engine and jit caches stay warm) until close().
 */
import { availableParallelism } from "node:os";
import type { DeviceName } from "../engine/device.js";
import { ChildWorker, WorkerCrash } from "./child-worker.js";
import type { Executor, ExecutorHooks } from "./executor.js";
import { DEFAULT_ATTEMPTS, ExecError, messageOf, ResultDelivery } from "./executor.js";
import type { TrialJob } from "./job.js";
import { affinityKey } from "./job.js";

export interface PoolOptions {
  /** Worker processes (default: os.availableParallelism()). */
  workers?: number;
  /** Tries per trial before it is reported with an error (default 3). */
  attempts?: number;
  device?: DeviceName;
  /** How long a worker may take to start its engine (default 120 s). */
  startTimeoutMs?: number;
}

interface Pending {
  job: TrialJob;
  /** affinityKey(job): trials sharing it reuse what a worker compiled for the first. */
  key: string;
  attempts: number;
  error?: string;
}

/** How many recent affinity keys a worker is taken to have warm. */
const WARM_KEYS = 8;

export class PoolExecutor implements Executor {
  readonly size: number;
  private readonly attempts: number;
  private readonly device: DeviceName;
  private readonly startTimeoutMs: number | undefined;
  private readonly idle: ChildWorker[] = [];
  private readonly workers = new Set<ChildWorker>();
  private closed = false;
  private running = false;
  /** Affinity keys each worker ran lately, newest last. */
  private readonly warm = new Map<ChildWorker, string[]>();

  constructor(options: PoolOptions = {}) {
    const size = options.workers ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1)
      throw new ExecError(`workers: expected a positive integer, got ${size}`);
    this.size = size;
    this.attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS);
    this.device = options.device ?? "wasm";
    this.startTimeoutMs = options.startTimeoutMs;
  }

  /** Pids of the live worker processes. */
  get pids(): number[] {
    return [...this.workers].flatMap((w) => (w.alive && w.pid !== undefined ? [w.pid] : []));
  }

  /** Pid of the worker process running this trial now. */
  pidOf(jobId: string): number | undefined {
    return [...this.workers].find((w) => w.current === jobId)?.pid;
  }

  async run(jobs: TrialJob[], hooks: ExecutorHooks): Promise<void> {
    if (this.closed) throw new ExecError("the worker pool is closed");
    if (this.running) throw new ExecError("the worker pool is already running jobs");
    this.running = true;
    try {
      await this.runAll(jobs, hooks);
    } finally {
      this.running = false;
    }
  }

  private async runAll(jobs: TrialJob[], hooks: ExecutorHooks): Promise<void> {
    const queue: Pending[] = jobs.map((job) => ({ job, key: affinityKey(job), attempts: 0 }));
    const delivery = new ResultDelivery(hooks.onResult);
    const lanes = Math.min(this.size, jobs.length);
    const results = await Promise.allSettled(
      Array.from({ length: lanes }, () => this.lane(queue, hooks, delivery)),
    );
    await delivery.settle();
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    if (this.closed) throw new ExecError("the worker pool was closed during the run");
  }

  /**
   * The next job for a worker: one whose affinity key it ran lately (its kernels are compiled
   * there), else one no other worker has warm, else the first waiting. Without this, the seeds of
   * a new candidate went to both workers and each compiled it: a search's batches of a few trials
   * ran no faster on 2 workers than on 1.
   */
  private take(queue: Pending[], worker: ChildWorker | undefined): Pending | undefined {
    const mine = (worker && this.warm.get(worker)) ?? [];
    let index = queue.findIndex((item) => mine.includes(item.key));
    if (index < 0) {
      const others = new Set(
        [...this.warm].flatMap(([other, keys]) => (other === worker ? [] : keys)),
      );
      index = queue.findIndex((item) => !others.has(item.key));
    }
    return queue.splice(Math.max(0, index), 1)[0];
  }

  private markWarm(worker: ChildWorker, key: string): void {
    const keys = (this.warm.get(worker) ?? []).filter((k) => k !== key);
    keys.push(key);
    this.warm.set(worker, keys.slice(-WARM_KEYS));
  }

  /** One worker's loop: take the next job, run it, report or requeue it, until none is left. */
  private async lane(queue: Pending[], hooks: ExecutorHooks, delivery: ResultDelivery) {
    let worker: ChildWorker | undefined;
    try {
      // a fresh worker is started before it chooses, so it sees what the others have warm
      for (
        let item = this.take(queue, (worker ??= await this.acquire()));
        item;
        item = this.take(queue, worker)
      ) {
        if (delivery.failed || this.closed) {
          queue.unshift(item);
          return;
        }
        worker ??= await this.acquire();
        this.markWarm(worker, item.key);
        item.attempts++;
        const { job } = item;
        try {
          const running = worker.run(job, (epoch, of, loss) =>
            delivery.hook(() => hooks.onEpoch?.(job, epoch, of, loss)),
          );
          delivery.hook(() => hooks.onStart?.(job)); // after dispatch: pidOf(job.id) names its worker
          const result = await running;
          delivery.deliver({ job, result, attempts: item.attempts });
          continue;
        } catch (error) {
          if (error instanceof WorkerCrash || !worker.alive) {
            this.workers.delete(worker);
            this.warm.delete(worker);
            worker = undefined;
          }
          item.error = messageOf(error);
        }
        if (this.closed) return;
        if (item.attempts < this.attempts) queue.push(item);
        else delivery.deliver({ job, error: item.error, attempts: item.attempts });
      }
    } finally {
      if (worker?.alive && !this.closed) this.idle.push(worker);
    }
  }

  /** An idle worker, or a freshly started one. */
  private async acquire(): Promise<ChildWorker> {
    for (let w = this.idle.pop(); w; w = this.idle.pop()) if (w.alive) return w;
    const worker = await ChildWorker.start({ device: this.device, timeoutMs: this.startTimeoutMs });
    if (this.closed) {
      await worker.kill();
      throw new ExecError("the worker pool was closed");
    }
    this.workers.add(worker);
    void worker.exited.then(() => {
      this.workers.delete(worker);
      this.warm.delete(worker);
    });
    return worker;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    await Promise.all([...this.workers].map((w) => w.kill()));
    this.workers.clear();
  }
}
