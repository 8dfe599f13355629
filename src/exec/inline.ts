/**
 * Runs jobs one after another in this process (no parallelism): the reference executor, and the
 * one to use where child processes are not wanted (a debugger, a browser later). Overlapping runs
 * take turns job by job.
 */
import type { DeviceName } from "../engine/device.js";
import { startEngine } from "../engine/device.js";
import type { Executor, ExecutorHooks } from "./executor.js";
import { DEFAULT_ATTEMPTS, ExecError, messageOf, ResultDelivery } from "./executor.js";
import type { Job } from "./job.js";
import { executeJob } from "./job.js";

export interface InlineOptions {
  /** Tries per trial before it is reported with an error (default 3). */
  attempts?: number;
  device?: DeviceName;
}

/** Lets timers and I/O (progress bars, signals) run between two synchronous trials. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

export class InlineExecutor implements Executor {
  private readonly attempts: number;
  private readonly device: DeviceName;
  private closed = false;

  constructor(options: InlineOptions = {}) {
    this.attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS);
    this.device = options.device ?? "wasm";
  }

  async run<J extends Job>(jobs: J[], hooks: ExecutorHooks<J>): Promise<void> {
    if (this.closed) throw new ExecError("the inline executor is closed");
    await startEngine(this.device);
    const delivery = new ResultDelivery<J>(hooks.onResult);
    for (const job of jobs) {
      let error = "";
      let attempts = 0;
      while (attempts < this.attempts && !delivery.failed) {
        attempts++;
        delivery.hook(() => hooks.onStart?.(job));
        try {
          const result = await executeJob(job, {
            memory: () => process.memoryUsage().rss,
            onEpoch: (epoch, of, loss) =>
              delivery.hook(() => hooks.onEpoch?.(job, epoch, of, loss)),
          });
          delivery.deliver({ job, result, attempts });
          error = "";
          break;
        } catch (thrown) {
          error = messageOf(thrown);
        }
        await breathe();
      }
      if (error) delivery.deliver({ job, error, attempts });
      await breathe();
      if (delivery.failed) break;
    }
    await delivery.settle();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
