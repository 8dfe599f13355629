/**
 * One interface for every way of running jobs (trials, a search's screenings): in this process
 * (inline), on a pool of local worker processes, or on any number of machines through a Redis
 * queue (BullMQ). Callers hand over jobs and hear back through hooks; results arrive in completion
 * order, not job order. Runs may overlap: a search keeps several candidates' jobs in flight, each
 * candidate awaiting its own run, and the executor shares its workers among them.
 */
import { InputError, RunError } from "../base/errors.js";
import type { Job, Outcome, ResultOf, TrialJob } from "./job.js";

export interface ExecutorHooks<J extends Job = TrialJob> {
  /** A job attempt began (on a retry this is called again). */
  onStart?(job: J): void;
  /**
   * A job finished for good: with `result`, or with `error` after its last attempt. Called once
   * per job id; calls are made one at a time (a returned promise is awaited before the next).
   */
  onResult(outcome: Outcome<J>): void | Promise<void>;
  /** Training progress of a running trial (throttled by remote executors). */
  onEpoch?(job: J, epoch: number, of: number, loss: number): void;
}

export interface Executor {
  /** Runs every job; resolves when each has been reported through onResult. */
  run<J extends Job>(jobs: J[], hooks: ExecutorHooks<J>): Promise<void>;
  /**
   * Connects and checks what the executor needs before any job (Redis: the server, the password),
   * so a caller can refuse a wrong setting before it records anything; run() opens it otherwise.
   */
  open?(): Promise<void>;
  /** Stops workers and closes connections; the executor cannot run again. */
  close(): Promise<void>;
  /**
   * Where the executor sends something the user should know while the run goes on (e.g. the
   * Redis executor: no worker is connected). Set by the caller; executors with nothing to say
   * ignore it, and one that has something to say writes it to stderr when it is not set.
   */
  onNotice?: ((message: string) => void) | undefined;
}

/** The executor itself could not work (no Redis, a wrong password, a worker that cannot start). */
export class ExecError extends InputError {
  override name = "ExecError";
}

export const DEFAULT_ATTEMPTS = 3;

/** A job failed on every attempt (the executor itself worked). */
export class JobFailedError extends RunError {
  override name = "JobFailedError";
}

/** Runs one job and returns its result; throws JobFailedError with its error after the last try. */
export async function runOne<J extends Job>(executor: Executor, job: J): Promise<ResultOf<J>> {
  let outcome: Outcome<J> | undefined;
  await executor.run([job], { onResult: (o) => void (outcome = o) });
  if (outcome?.result !== undefined) return outcome.result;
  throw new JobFailedError(
    `${job.kind ?? "trial"} job ${job.id} failed after ${outcome?.attempts ?? 0} attempt(s): ${outcome?.error ?? "no result came back"}`,
  );
}

/** Message of anything thrown. */
export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/**
 * Calls onResult one outcome at a time, in the order given, and remembers the first failure of
 * any of the caller's hooks so the executor can stop and rethrow it (a hook that throws is the
 * caller's error, never a trial's: it is not retried).
 */
export class ResultDelivery<J extends Job = TrialJob> {
  private chain: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly onResult: ExecutorHooks<J>["onResult"],
    /** Called once, at the first failure of a hook. */
    private readonly onFailure: () => void = () => {},
  ) {}

  get failed(): boolean {
    return this.failure !== undefined;
  }

  deliver(outcome: Outcome<J>): void {
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await this.onResult(outcome);
      } catch (error) {
        this.fail(error);
      }
    });
  }

  /** Runs onStart or onEpoch; a throw stops the run like a failing onResult. */
  hook(call: () => void): void {
    if (this.failure) return;
    try {
      call();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Waits for every delivery; rethrows the hooks' first failure. */
  async settle(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure.error;
  }

  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    this.onFailure();
  }
}
