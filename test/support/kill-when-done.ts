/**
 * Kills a child process with SIGKILL as soon as its run store shows `done` finished trials, and
 * returns the run's id ("" if that never happened within the time limit).
 */
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { openStore } from "../../src/store/index.js";

export async function killWhenDone(
  child: ChildProcess,
  store: string,
  done: number,
  limitMs = 120_000,
): Promise<string> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  let runId = "";
  for (let waited = 0; waited < limitMs && child.exitCode === null; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (!existsSync(store)) continue;
    // the child may be creating the schema right now: a failed look is simply retried
    let view: ReturnType<typeof openStore>;
    try {
      view = openStore(store, { mustExist: true, readonly: true });
    } catch {
      continue;
    }
    try {
      const run = view.listRuns()[0];
      if (run && view.trialCounts(run.id).done >= done) {
        runId = run.id;
        child.kill("SIGKILL");
        break;
      }
    } catch {
      // not readable yet: look again
    } finally {
      view.close();
    }
  }
  if (!runId) child.kill("SIGKILL");
  await exited;
  return runId;
}
