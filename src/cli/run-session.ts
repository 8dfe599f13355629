/**
 * The life of a recorded run, shared by `bench` and `search`: open the store, create the run or
 * resume it (same command, same config hash; trials a kill left running start again; this process
 * becomes the run's owner), mark it interrupted on Ctrl-C, pass the executor's notices on to the
 * user, and close everything whatever happens.
 */
import { cpus, platform } from "node:os";
import { RunError } from "../base/errors.js";
import type { DeviceName } from "../engine/device.js";
import type { Executor } from "../exec/executor.js";
import type { RunStore } from "../store/index.js";
import { defaultStorePath, openStore, StoreWriteError } from "../store/index.js";
import { noticeAboveProgress } from "./bench-progress.js";
import { describeError, UsageError } from "./errors.js";
import type { EngineChoice } from "./engine-choice.js";
import { engineRecord } from "./engine-choice.js";
import type { Output } from "./output.js";

/** A run that finished with trials that failed after their retries: its results are kept. */
export class TrialsFailedError extends RunError {
  override name = "TrialsFailedError";
}

export interface RunSessionOptions {
  command: "bench" | "search";
  config: unknown;
  configHash: string;
  device: DeviceName;
  /** The trial engine; absent: jax. */
  engine?: EngineChoice;
  store?: string;
  resume?: string;
  /** `--device` as given on the command line, repeated in the resume command Ctrl-C prints. */
  deviceFlag?: string;
  /** The config file's or preset's name (`runs ls`). */
  name?: string;
}

/** The machine a run records: for the torch engine also its device, name and library versions. */
export const machineOf = (device: DeviceName, engine?: EngineChoice) => ({
  cpus: cpus().length,
  platform: platform(),
  node: process.version,
  device: device as string,
  ...(engine ? engineRecord(engine) : {}),
});

/** The run `--resume RUN` names, read before any config: it must be a run of `command`. */
function resumedRun(store: RunStore, command: string, resume: string) {
  const run = store.findRun(resume);
  if (run.command !== command)
    throw new UsageError(`--resume: run ${run.id} is a '${run.command}' run, not a ${command}`);
  return run;
}

/**
 * The validated config `--resume RUN` was started with, for a resume given no config file or
 * preset: the command parses it again as it would a file's, so the config hash must come out the
 * same.
 */
export function storedRunConfig(
  command: "bench" | "search",
  resume: string,
  storePath: string | undefined,
): unknown {
  const store = openStore(storePath ?? defaultStorePath(), { mustExist: true, readonly: true });
  try {
    return resumedRun(store, command, resume).config;
  } finally {
    store.close();
  }
}

const shellWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * The command that resumes `runId` by its id alone: with --store when not the default, and with
 * --device when one was given (the engine is in the run's config).
 */
export function resumeCommand(
  command: string,
  runId: string,
  storePath: string | undefined,
  deviceFlag?: string,
): string {
  const store =
    storePath !== undefined && storePath !== defaultStorePath()
      ? ` --store ${shellWord(storePath)}`
      : "";
  const device = deviceFlag !== undefined ? ` --device ${shellWord(deviceFlag)}` : "";
  return `nonlin ${command} --resume ${runId}${store}${device}`;
}

function startOrResume(store: RunStore, options: RunSessionOptions, output: Output): string {
  const { command, configHash } = options;
  if (!options.resume)
    return store.createRun({
      command,
      config: options.config,
      configHash,
      machine: machineOf(options.device, options.engine),
      ...(options.name !== undefined ? { name: options.name } : {}),
    });
  const run = resumedRun(store, command, options.resume);
  const ranOn = run.machine.engine ?? "jax";
  const asked = options.engine?.engine ?? "jax";
  if (ranOn !== asked)
    throw new UsageError(
      `--resume: run ${run.id} trains on the ${ranOn} engine, this command asks for ${asked}; one run uses one engine (resume it with --engine ${ranOn})`,
    );
  if (run.configHash !== configHash)
    throw new UsageError(
      `--resume: run ${run.id} was started with another config (hash ${run.configHash}, this one ${configHash})`,
    );
  const restarted = store.reopenRun(run.id);
  output.say(
    `resuming ${run.id}: ${store.trialCounts(run.id).done} trial(s) already done${restarted ? `, ${restarted} interrupted trial(s) restart` : ""}`,
  );
  return run.id;
}

/**
 * Runs `work` inside a recorded run; the run ends "done" (or "failed" when `work` says trials
 * failed or throws, the error recorded as an event) and the store and executor are closed. Failed
 * trials end the command with TrialsFailedError (exit 1) once everything is written.
 */
export async function withRunSession(
  options: RunSessionOptions,
  executor: Executor,
  output: Output,
  work: (store: RunStore, runId: string) => Promise<"done" | "failed">,
): Promise<void> {
  let store: RunStore;
  let runId: string;
  try {
    // a wrong Redis address or password is refused before the store records a run
    await executor.open?.();
    store = openStore(options.store ?? defaultStorePath());
  } catch (error) {
    await executor.close();
    throw error;
  }
  try {
    runId = startOrResume(store, options, output);
  } catch (error) {
    store.close();
    await executor.close();
    throw error;
  }
  const stop = () => {
    try {
      store.finishRun(runId, "interrupted");
    } catch (error) {
      // the run stays 'running' in the file; `runs ls` shows it interrupted once we are gone
      process.stderr.write(`${describeError(error)}\n`);
    }
    store.close();
    process.stderr.write(
      `\ninterrupted: resume with ${resumeCommand(options.command, runId, options.store, options.deviceFlag)}\n`,
    );
    process.exit(130);
  };
  process.once("SIGINT", stop);
  executor.onNotice = (message) => {
    noticeAboveProgress(output, message);
    bestEffort(() => store.recordEvent(runId, { level: "info", message }));
  };
  let status: "done" | "failed";
  try {
    status = await work(store, runId);
    store.finishRun(runId, status);
  } catch (error) {
    if (error instanceof StoreWriteError) throw withResumeHint(error, runId);
    recordFailure(store, runId, error);
    throw error;
  } finally {
    process.off("SIGINT", stop);
    executor.onNotice = undefined;
    await executor.close();
    store.close();
  }
  if (status === "failed")
    throw new TrialsFailedError(
      `run ${runId} finished with failed trials (\`nonlin runs show ${runId}\` says why; \`--resume ${runId}\` runs them again)`,
    );
}

/**
 * Ends a run as failed with its error as an event. A store that cannot be written is not written
 * again (each try would wait out the lock), and a store that cannot record the error must not
 * hide it: the caller throws the original error.
 */
export function recordFailure(store: RunStore, runId: string, error: unknown): void {
  if (error instanceof StoreWriteError) return;
  bestEffort(() => {
    store.recordEvent(runId, { level: "error", message: describeError(error) });
    store.finishRun(runId, "failed");
  });
}

/** Runs a store write whose failure must not replace the error being reported. */
export function bestEffort(write: () => void): void {
  try {
    write();
  } catch {
    // nothing more can be recorded; the caller reports the error it has
  }
}

/**
 * A store that cannot be written is not retried here (each try would wait out the lock again):
 * the run stays 'running' with this process as owner, so `runs ls` shows it interrupted after we
 * exit, and the trials committed so far are kept for --resume.
 */
const withResumeHint = (error: StoreWriteError, runId: string): StoreWriteError =>
  new StoreWriteError(
    `${error.message}; the trials finished so far are kept: once that is fixed, resume with --resume ${runId}`,
    error.path,
    error.action,
    error.code,
    { cause: error },
  );
