/**
 * A pool of local worker processes (default: one per core), each running one job at a time;
 * jobs go to workers as they free up, from every run in progress (runs may overlap). A job that
 * throws is retried (on any worker); a worker that dies during a job is replaced by a fresh one
 * and its job retried; either counts an attempt, and after the last one the job is reported with
 * its error while the run goes on.
 * Workers stay up between runs (the engine and jit caches stay warm) until close().
 */
import { availableParallelism } from "node:os";
import type { DeviceName } from "../engine/device.js";
import { ChildWorker, WorkerCrash } from "./child-worker.js";
import type { Executor, ExecutorHooks } from "./executor.js";
import { DEFAULT_ATTEMPTS, ExecError, messageOf, ResultDelivery } from "./executor.js";
import type { Job } from "./job.js";
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

/** One call of run(): its hooks, and how many of its jobs are not reported yet. */
interface RunState {
  hooks: ExecutorHooks<Job>;
  delivery: ResultDelivery<Job>;
  left: number;
  /** Why the run stops early (the pool broke or closed); its jobs still queued are dropped. */
  failure?: unknown;
  done(): void;
}

interface Pending {
  job: Job;
  /** affinityKey(job): jobs sharing it reuse what a worker compiled for the first. */
  key: string;
  attempts: number;
  error?: string;
  run: RunState;
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
  /** Jobs of every run in progress not yet given to a worker, oldest first. */
  private readonly queue: Pending[] = [];
  /** Runs with jobs not yet reported. */
  private readonly runs = new Set<RunState>();
  /** Workers taking jobs from the queue now. */
  private lanes = 0;
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

  /** Pid of the worker process running this job now. */
  pidOf(jobId: string): number | undefined {
    return [...this.workers].find((w) => w.current === jobId)?.pid;
  }

  /**
   * Queues the jobs behind those of runs already in progress and waits for their results; runs
   * may overlap (a search's candidates), and the workers take jobs of all of them.
   */
  async run<J extends Job>(jobs: J[], hooks: ExecutorHooks<J>): Promise<void> {
    if (this.closed) throw new ExecError("the worker pool is closed");
    if (jobs.length === 0) return;
    let done = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    const run: RunState = {
      hooks: hooks as unknown as ExecutorHooks<Job>,
      delivery: new ResultDelivery<Job>(hooks.onResult as ExecutorHooks<Job>["onResult"], () =>
        this.stop(run),
      ),
      left: jobs.length,
      done,
    };
    this.runs.add(run);
    for (const job of jobs) this.queue.push({ job, key: affinityKey(job), attempts: 0, run });
    this.startLanes();
    await finished;
    await run.delivery.settle();
    if (run.failure !== undefined) throw run.failure;
  }

  /** Starts a lane for each job a busy worker will not take next, up to the pool's size. */
  private startLanes(): void {
    while (this.lanes < this.size && this.lanes < this.queue.length + this.busyLanes()) {
      this.lanes++;
      void this.lane().finally(() => {
        this.lanes--;
        if (this.queue.length > 0 && !this.closed) this.startLanes();
      });
    }
  }

  /** Lanes running a job now (each takes the next when it finishes). */
  private busyLanes(): number {
    return [...this.workers].filter((w) => w.current !== undefined).length;
  }

  /** One job of a run is reported (or dropped): the run ends with its last. */
  private settle(item: Pending): void {
    if (--item.run.left === 0) {
      this.runs.delete(item.run);
      item.run.done();
    }
  }

  /** Ends a run early: its queued jobs are dropped; jobs running now finish unreported. */
  private stop(run: RunState, failure?: unknown): void {
    if (failure !== undefined) run.failure ??= failure;
    for (let i = this.queue.length - 1; i >= 0; i--)
      if (this.queue[i]!.run === run) this.settle(this.queue.splice(i, 1)[0]!);
  }

  /**
   * The next job for a worker: one whose affinity key it ran lately (its kernels are compiled
   * there), else one no other worker has warm, else the first waiting. Without this, the seeds of
   * a new candidate went to both workers and each compiled it: a search's batches of a few trials
   * ran no faster on 2 workers than on 1.
   */
  private take(worker: ChildWorker | undefined): Pending | undefined {
    const { queue } = this;
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
  private async lane(): Promise<void> {
    let worker: ChildWorker | undefined;
    /** The job taken and not yet reported or requeued (settled if this lane fails). */
    let holding: Pending | undefined;
    try {
      // a fresh worker is started before it chooses, so it sees what the others have warm
      worker = await this.acquire();
      for (let item = this.take(worker); item; item = this.take(worker)) {
        holding = item;
        if (this.closed) {
          this.settle(item);
          holding = undefined;
          continue;
        }
        worker ??= await this.acquire();
        await this.runOn(worker, item).catch((error: unknown) => {
          if (error instanceof WorkerCrash || !worker?.alive) {
            this.workers.delete(worker!);
            this.warm.delete(worker!);
            worker = undefined;
          }
          this.retryOrFail(item, messageOf(error));
        });
        holding = undefined;
      }
    } catch (error) {
      // no worker could be started: every run waiting on this pool fails with the reason
      for (const run of [...this.runs]) this.stop(run, error);
      if (holding) this.settle(holding);
    } finally {
      if (worker?.alive && !this.closed) this.idle.push(worker);
    }
  }

  /** Runs one attempt of a job on a worker and reports its result; rejects if it failed. */
  private async runOn(worker: ChildWorker, item: Pending): Promise<void> {
    this.markWarm(worker, item.key);
    item.attempts++;
    const { job, run } = item;
    const running = worker.run(job, (epoch, of, loss) =>
      run.delivery.hook(() => run.hooks.onEpoch?.(job, epoch, of, loss)),
    );
    run.delivery.hook(() => run.hooks.onStart?.(job)); // after dispatch: pidOf names its worker
    const result = await running;
    run.delivery.deliver({ job, result, attempts: item.attempts });
    this.settle(item);
  }

  /** A failed attempt: queued again, or reported with its error after the last attempt. */
  private retryOrFail(item: Pending, error: string): void {
    const { job, run } = item;
    item.error = error;
    if (this.closed || run.delivery.failed || run.failure !== undefined) this.settle(item);
    else if (item.attempts < this.attempts) this.queue.push(item);
    else {
      run.delivery.deliver({ job, error, attempts: item.attempts });
      this.settle(item);
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
    const closedError = new ExecError("the worker pool was closed during the run");
    for (const run of [...this.runs]) this.stop(run, closedError);
    await Promise.all([...this.workers].map((w) => w.kill()));
    this.workers.clear();
  }
}
