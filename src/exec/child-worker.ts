/**
 * A worker process seen from its parent: start it (the engine starts once in it), run one trial
 * job at a time on it, kill it. Child processes rather than worker threads: a trial can be
 * stopped at any point by a signal, a crash (wasm out of memory, a native fault) takes down only
 * that process, and each has a pid the parent — or an operator — can kill.
 *
 * From source (tsx) the child runs worker-process.ts with tsx loaded; from dist/ it runs the
 * compiled worker-process.js with plain node.
 */
import type { ChildProcess } from "node:child_process";
import { fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RunError } from "../base/errors.js";
import type { DeviceName } from "../engine/device.js";
import { ExecError } from "./executor.js";
import type { Job, ResultOf } from "./job.js";
import type { ChildMessage, ParentMessage } from "./protocol.js";

/** The trial threw in the worker (the worker is still usable). */
export class TrialFailure extends RunError {
  override name = "TrialFailure";
}

/** The worker process exited or was killed while it ran a trial. */
export class WorkerCrash extends RunError {
  override name = "WorkerCrash";
}

/** How much of a child's output is kept for error messages. */
const TAIL_CHARS = 2000;
const DEFAULT_START_TIMEOUT_MS = 120_000;

function workerEntry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith(".ts");
  const file = join(dirname(here), fromSource ? "worker-process.ts" : "worker-process.js");
  // an absolute URL, so the child finds tsx whatever its working directory
  return { file, execArgv: fromSource ? ["--import", import.meta.resolve("tsx")] : [] };
}

export interface ChildWorkerOptions {
  device?: DeviceName;
  /** How long the engine may take to start (default 120 s). */
  timeoutMs?: number;
  /** Survive SIGINT (Ctrl-C reaches the whole process group): the parent stops it when it wants. */
  ignoreInterrupt?: boolean;
}

interface Running {
  id: string;
  resolve(result: ResultOf<Job>): void;
  reject(error: Error): void;
  onEpoch?: (epoch: number, of: number, loss: number) => void;
}

type Refable = object | null | undefined;

export class ChildWorker {
  private running: Running | undefined;
  private tail = "";
  private exitInfo: string | undefined;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString("utf8")).slice(-TAIL_CHARS);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("message", (message: ChildMessage) => this.onMessage(message));
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exitInfo = signal ? `killed by ${signal}` : `exit code ${code}`;
        const running = this.running;
        this.running = undefined;
        running?.reject(
          new WorkerCrash(
            `worker process ${child.pid} ${this.exitInfo} during trial ${running.id}${this.tailText()}`,
          ),
        );
        resolve();
      }),
    );
  }

  /** Forks a worker process and waits until its engine has started. */
  static start(options: ChildWorkerOptions = {}): Promise<ChildWorker> {
    const { device = "wasm", timeoutMs = DEFAULT_START_TIMEOUT_MS } = options;
    const { file, execArgv } = workerEntry();
    const child = fork(file, [device, ...(options.ignoreInterrupt ? ["--ignore-sigint"] : [])], {
      execArgv,
      serialization: "advanced",
      // stdout is never shared: `--json` keeps the parent's stdout for one document; stdin is
      // never written: it ends when this process dies, and the worker then exits (worker-process.ts)
      stdio: ["pipe", "pipe", "pipe", "ipc"],
    });
    const worker = new ChildWorker(child);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new ExecError(`a worker process did not start within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      child.once("message", (message: ChildMessage) => {
        clearTimeout(timer);
        if (message.type === "ready") {
          worker.setBusy(false);
          resolve(worker);
        } else reject(new ExecError(`a worker process said ${message.type} before ready`));
      });
      void worker.exited.then(() => {
        clearTimeout(timer);
        reject(
          new ExecError(
            `a worker process could not start (${worker.exitInfo})${worker.tailText()}`,
          ),
        );
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** Id of the trial running now. */
  get current(): string | undefined {
    return this.running?.id;
  }

  /**
   * Runs one job. Rejects with TrialFailure when the job threw (the worker stays usable) and
   * with WorkerCrash when the process died.
   */
  run<J extends Job>(job: J, onEpoch?: Running["onEpoch"]): Promise<ResultOf<J>> {
    if (!this.alive)
      return Promise.reject(new WorkerCrash(`worker process ${this.pid} has exited`));
    if (this.running) throw new Error(`worker process ${this.pid} is busy`);
    return new Promise<ResultOf<J>>((resolve, reject) => {
      const done = (settle: () => void) => {
        this.running = undefined;
        if (this.alive) this.setBusy(false);
        settle();
      };
      this.running = {
        id: job.id,
        resolve: (result) => done(() => resolve(result as ResultOf<J>)),
        reject: (error) => done(() => reject(error)),
        onEpoch,
      };
      this.setBusy(true);
      const message: ParentMessage = { type: "run", job };
      this.child.send(message);
    });
  }

  /** Ends the process (SIGTERM, then SIGKILL if it lingers) and waits for it. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await this.exited;
    clearTimeout(timer);
  }

  private onMessage(message: ChildMessage): void {
    const running = this.running;
    if (!running || message.type === "ready" || message.id !== running.id) return;
    if (message.type === "epoch") running.onEpoch?.(message.epoch, message.of, message.loss);
    else if (message.type === "result") running.resolve(message.result);
    else running.reject(new TrialFailure(message.message));
  }

  /** An idle worker does not keep the parent's event loop alive (a forgotten close() cannot hang a command). */
  private setBusy(busy: boolean): void {
    const handles: Refable[] = [
      this.child,
      this.child.channel,
      this.child.stdin,
      this.child.stdout,
      this.child.stderr,
    ];
    for (const handle of handles as ({ ref?(): void; unref?(): void } | null | undefined)[]) {
      if (busy) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  private tailText(): string {
    const text = this.tail.trim();
    return text ? `:\n${text}` : "";
  }
}
