/**
 * The life of a recorded run, shared by `bench` and `search`: open the store, create the run or
 * resume it (same command, same config hash; trials a kill left running start again), mark it
 * interrupted on Ctrl-C, and close everything whatever happens.
 */
import { cpus, platform } from "node:os";
import type { DeviceName } from "../engine/device.js";
import type { Executor } from "../exec/executor.js";
import type { RunStore } from "../store/index.js";
import { defaultStorePath, openStore } from "../store/index.js";
import { describeError, UsageError } from "./errors.js";
import type { Output } from "./output.js";

export interface RunSessionOptions {
  command: "bench" | "search";
  config: unknown;
  configHash: string;
  device: DeviceName;
  store?: string;
  resume?: string;
}

export const machineOf = (device: DeviceName) => ({
  cpus: cpus().length,
  platform: platform(),
  node: process.version,
  device,
});

function startOrResume(store: RunStore, options: RunSessionOptions, output: Output): string {
  const { command, configHash } = options;
  if (!options.resume)
    return store.createRun({
      command,
      config: options.config,
      configHash,
      machine: machineOf(options.device),
    });
  const run = store.findRun(options.resume);
  if (run.command !== command)
    throw new UsageError(`--resume: run ${run.id} is a '${run.command}' run, not a ${command}`);
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
 * failed or throws, the error recorded as an event) and the store and executor are closed.
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
    store.finishRun(runId, "interrupted");
    store.close();
    process.exit(130);
  };
  process.once("SIGINT", stop);
  try {
    store.finishRun(runId, await work(store, runId));
  } catch (error) {
    store.recordEvent(runId, { level: "error", message: describeError(error) });
    store.finishRun(runId, "failed");
    throw error;
  } finally {
    process.off("SIGINT", stop);
    await executor.close();
    store.close();
  }
}
