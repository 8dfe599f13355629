/**
 * The coordinator side of scale-out: every job (a trial, a search's screening) becomes one BullMQ
 * job (jobId = the job's id, so enqueuing the same trial twice is a no-op and a finished trial is
 * not run again), and `nonlin worker` processes on any machine run them. Runs may overlap (a
 * search's candidates in flight): each listens for its own jobs. Results come back through the queue's event
 * stream, with a periodic look at job states as a safety net for events missed while subscribing.
 * BullMQ gives retries (attempts, exponential back-off) and stalled-job recovery; see
 * redis-worker.ts for how locks stay alive while a trial trains. With no worker connected the
 * coordinator keeps waiting (workers may start later) but says so through `onNotice`.
 */
import type { Job as BullMqJob } from "bullmq";
import { Queue, QueueEvents } from "bullmq";
import type { RedisOptions } from "ioredis";
import type { Executor, ExecutorHooks } from "./executor.js";
import { DEFAULT_ATTEMPTS, ExecError, messageOf, ResultDelivery } from "./executor.js";
import type { Job, ResultOf } from "./job.js";
import {
  bullConnection,
  DEFAULT_CONNECT_TIMEOUT_MS,
  probeRedis,
  redactUrl,
  redisOptionsFromUrl,
} from "./redis-connection.js";
import { decodeResult } from "./wire.js";
import { NoWorkerWatch } from "./worker-watch.js";

export const DEFAULT_QUEUE = "nonlin-trials";
/** BullMQ job name of a trial; other kinds go by their own (`screen`). */
export const TRIAL_JOB_NAME = "trial";
/** Job states looked up per poll tick, at most. */
const POLL_BATCH = 200;

export interface RedisExecutorOptions {
  queueName?: string;
  /** Tries per trial, counted by BullMQ across all workers (default 3). */
  attempts?: number;
  /** Delay before the first retry; each further retry waits twice as long (default 1000 ms). */
  backoffMs?: number;
  /** How often job states are checked besides the event stream (default 5000 ms). */
  pollMs?: number;
  /** How long finished jobs (and their results) stay in Redis (default 7 days). */
  keepSeconds?: number;
  connectTimeoutMs?: number;
  /** ioredis options over those of the URL, e.g. `{ tls: { ca } }`. */
  connection?: RedisOptions;
  /**
   * Seconds without any worker on the queue before the user is told (default 10; Infinity: never).
   * Told once, and again only after workers had come and all went away.
   */
  noWorkerNoticeSeconds?: number;
}

type BullJob = BullMqJob<Job, string, string>;

interface Progress {
  epoch: number;
  of: number;
  loss: number | null;
}

export class RedisExecutor implements Executor {
  private readonly options: Required<Omit<RedisExecutorOptions, "connection">> & {
    connection: RedisOptions;
  };
  private queue: Queue<Job, string, string> | undefined;
  private events: QueueEvents | undefined;
  private opening: Promise<void> | undefined;
  private closed = false;
  /** The pending jobs of each run in progress, and the one watch for workers they share. */
  private readonly pendingRuns = new Set<Set<string>>();
  private watching: { timer: ReturnType<typeof setInterval>; lastSign: number } | undefined;
  /** Ends each run in progress (close() calls them). */
  private readonly aborts = new Set<() => void>();
  /** Connection errors BullMQ reported (it reconnects on its own); kept for messages. */
  lastError: string | undefined;
  /** Where notices go (see Executor.onNotice); stderr when unset. */
  onNotice: ((message: string) => void) | undefined;

  constructor(
    readonly url: string,
    options: RedisExecutorOptions = {},
  ) {
    redisOptionsFromUrl(url); // a malformed URL fails here, before any connection
    this.options = {
      queueName: options.queueName ?? DEFAULT_QUEUE,
      attempts: Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS),
      backoffMs: options.backoffMs ?? 1000,
      pollMs: options.pollMs ?? 5000,
      keepSeconds: options.keepSeconds ?? 7 * 24 * 3600,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      connection: options.connection ?? {},
      noWorkerNoticeSeconds: options.noWorkerNoticeSeconds ?? 10,
    };
  }

  private notify(message: string): void {
    if (this.onNotice) this.onNotice(message);
    else process.stderr.write(`${message}\n`);
  }

  /** What the user reads when no worker serves the queue (the password never shown). */
  noWorkerMessage(): string {
    const { queueName, noWorkerNoticeSeconds } = this.options;
    const url = redactUrl(this.url);
    const queueFlag = queueName === DEFAULT_QUEUE ? "" : ` --queue ${queueName}`;
    return `no nonlin worker is connected to ${url} (queue ${queueName}) after ${noWorkerNoticeSeconds} s; still waiting — start one with: nonlin worker --redis ${url}${queueFlag}`;
  }

  /**
   * Looks at the queue's workers now and then while jobs are pending, and tells the user when
   * none has been there for noWorkerNoticeSeconds. BullMQ counts a queue's workers by their Redis
   * client names (CLIENT LIST); where a server hides them, a job that became active or reported
   * progress recently counts as a worker, so a working queue is never reported idle. One watch
   * serves every run in progress (a search has several at once): the user is told once, not once
   * per run.
   */
  private watchWorkers(pending: Set<string>): { stop(): void; sign(): void } {
    const afterMs = this.options.noWorkerNoticeSeconds * 1000;
    if (!Number.isFinite(afterMs)) return { stop() {}, sign() {} };
    this.pendingRuns.add(pending);
    if (!this.watching) {
      const queue = this.queue!;
      const watch = new NoWorkerWatch(afterMs, Date.now());
      const waiting = () => [...this.pendingRuns].some((run) => run.size > 0);
      let looking = false;
      const look = async () => {
        if (looking || !waiting()) return;
        looking = true;
        try {
          const workers = await queue.getWorkersCount();
          const now = Date.now();
          const recent = now - (this.watching?.lastSign ?? -Infinity) < afterMs ? 1 : 0;
          if (watch.observe(workers + recent, now) && waiting())
            this.notify(this.noWorkerMessage());
        } catch (error) {
          this.lastError = messageOf(error); // not knowing is no reason to warn
        } finally {
          looking = false;
        }
      };
      // a quarter of the wait between looks (CLIENT LIST is cheap but not free), 0.1-2 s
      const timer = setInterval(() => void look(), Math.max(100, Math.min(2000, afterMs / 4)));
      this.watching = { timer, lastSign: -Infinity };
    }
    return {
      stop: () => {
        this.pendingRuns.delete(pending);
        if (this.pendingRuns.size > 0 || !this.watching) return;
        clearInterval(this.watching.timer);
        this.watching = undefined;
      },
      sign: () => {
        if (this.watching) this.watching.lastSign = Date.now();
      },
    };
  }

  /** Probes the server (address, password) once, then opens the queue and its events. */
  open(): Promise<void> {
    this.opening ??= (async () => {
      const { queueName, connection, connectTimeoutMs } = this.options;
      await probeRedis(this.url, connection, connectTimeoutMs);
      const options = { connection: bullConnection(this.url, connection) };
      const record = (error: Error) => (this.lastError = error.message);
      this.queue = new Queue<Job, string, string>(queueName, options);
      this.queue.on("error", record);
      this.events = new QueueEvents(queueName, options);
      this.events.on("error", record);
      await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
    })();
    return this.opening;
  }

  async run<J extends Job>(jobs: J[], hooks: ExecutorHooks<J>): Promise<void> {
    if (this.closed) throw new ExecError("the Redis executor is closed");
    await this.open();
    const queue = this.queue!;
    const events = this.events!;
    const byId = new Map(jobs.map((job) => [job.id, job]));
    const pending = new Set(byId.keys());
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => (finish = resolve));
    this.aborts.add(finish);
    // a hook of the caller failed: stop waiting, run() rethrows it
    const delivery = new ResultDelivery<J>(hooks.onResult, () => finish());
    if (pending.size === 0) finish();

    /** Reports a job if it has finished for good (completed, or failed after its last attempt). */
    const check = async (id: string): Promise<void> => {
      if (!pending.has(id)) return;
      const bullJob = (await queue.getJob(id)) as BullJob | undefined;
      const state = bullJob ? await bullJob.getState() : "unknown";
      if (!bullJob || (state !== "completed" && state !== "failed") || !pending.has(id)) return;
      pending.delete(id);
      const job = byId.get(id)!;
      const attempts = Math.max(bullJob.attemptsStarted ?? 0, bullJob.attemptsMade ?? 0, 1);
      if (state === "failed")
        delivery.deliver({ job, error: bullJob.failedReason || "failed", attempts });
      else {
        try {
          const result = decodeResult(bullJob.returnvalue) as ResultOf<J>;
          delivery.deliver({ job, result, attempts });
        } catch (error) {
          delivery.deliver({ job, error: `unreadable result: ${messageOf(error)}`, attempts });
        }
      }
      if (pending.size === 0) finish();
    };
    const checkSafely = (id: string) =>
      void check(id).catch((error) => (this.lastError = messageOf(error)));

    const workers = this.watchWorkers(pending);
    const onActive = ({ jobId }: { jobId: string }) => {
      workers.sign();
      const job = byId.get(jobId);
      if (job && pending.has(jobId)) delivery.hook(() => hooks.onStart?.(job));
    };
    const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
      workers.sign();
      const job = byId.get(jobId);
      const p = data as Progress | null;
      if (job && pending.has(jobId) && typeof p?.epoch === "number")
        delivery.hook(() => hooks.onEpoch?.(job, p.epoch, p.of, p.loss ?? NaN));
    };
    const onFinished = ({ jobId }: { jobId: string }) => {
      workers.sign();
      checkSafely(jobId);
    };
    events.on("active", onActive);
    events.on("progress", onProgress);
    events.on("completed", onFinished);
    events.on("failed", onFinished);
    const { attempts, backoffMs, keepSeconds, pollMs } = this.options;
    // the event stream is the channel; this look at a bounded slice of pending jobs per tick
    // only catches what a subscription gap could have missed
    let cursor = 0;
    const poll = setInterval(() => {
      const ids = [...pending];
      cursor = cursor >= ids.length ? 0 : cursor;
      ids.slice(cursor, cursor + POLL_BATCH).forEach(checkSafely);
      cursor += POLL_BATCH;
    }, pollMs);
    try {
      await queue.addBulk(
        [...byId.values()].map((job) => ({
          name: job.kind === "screen" ? "screen" : TRIAL_JOB_NAME,
          data: job,
          opts: {
            jobId: job.id,
            attempts,
            backoff: { type: "exponential", delay: backoffMs },
            removeOnComplete: { age: keepSeconds },
            removeOnFail: { age: keepSeconds },
          },
        })),
      );
      for (const id of [...pending]) {
        const bullJob = await queue.getJob(id);
        // a trial that failed for good in an earlier run gets a fresh set of attempts
        if (bullJob && (await bullJob.getState()) === "failed")
          await bullJob.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
        else await check(id); // finished in an earlier run: its stored result is reported
      }
      await finished;
    } finally {
      this.aborts.delete(finish);
      clearInterval(poll);
      workers.stop();
      events.off("active", onActive);
      events.off("progress", onProgress);
      events.off("completed", onFinished);
      events.off("failed", onFinished);
    }
    await delivery.settle();
    if (pending.size > 0) throw new ExecError("the Redis executor was closed during the run");
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const abort of this.aborts) abort();
    await this.opening?.catch(() => {});
    await Promise.all([this.events?.close(), this.queue?.close()]);
  }
}
