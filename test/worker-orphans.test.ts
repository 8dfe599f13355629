/**
 * Pool workers die with their coordinator: `nonlin bench --workers 2` killed with SIGKILL while
 * both workers are in the middle of a (synchronous) trial leaves no worker process behind.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { openStore } from "../src/store/index.js";

const main = join(import.meta.dirname, "../src/cli/main.ts");

/** State and parent pid of a process (from /proc: Linux); undefined once it is gone. */
function statOf(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state ppid …: comm may hold spaces, so read after its closing parenthesis
    const [state = "", ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** Running, not a zombie waiting to be reaped. */
const alive = (pid: number): boolean => {
  const state = statOf(pid)?.state;
  return state !== undefined && state !== "Z";
};

/** Pids of the live worker processes `parent` forked (tsx's esbuild is a child too). */
const workersOf = (parent: number): number[] =>
  readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => statOf(pid)?.ppid === parent && alive(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("worker-process");
      } catch {
        return false;
      }
    });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many trials of the store's one run are running now (0 before it exists). */
function runningTrials(store: string): number {
  if (!existsSync(store)) return 0;
  let view: ReturnType<typeof openStore>;
  try {
    view = openStore(store, { mustExist: true, readonly: true });
  } catch {
    return 0; // the schema is being created right now
  }
  try {
    const run = view.listRuns()[0];
    return run ? view.trialCounts(run.id).running : 0;
  } catch {
    return 0;
  } finally {
    view.close();
  }
}

describe("pool workers and a killed coordinator", { skip: !existsSync("/proc/self/stat") }, () => {
  it("kill -9 of a bench with --workers 2 mid-trial leaves no worker process 5 s later", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-orphans-"));
    const store = join(dir, "runs.db");
    const config = join(dir, "bench.yaml");
    // trials of a minute or more: the kill lands in the middle of both workers' trials
    writeFileSync(
      config,
      stringify({
        tasks: ["toy/xy"],
        candidates: [{ activation: "relu" }, { activation: "tanh" }],
        seeds: 2,
        fairness: { mode: "none" },
        rows: { train: 1000, val: 100, test: 100 },
        training: { epochs: 5000, batch_size: 20, patience: 0 },
      }),
    );
    const bench = spawn(
      process.execPath,
      ["--import", "tsx", main, "bench", config, "--store", store, "--workers", "2"],
      { stdio: "ignore" },
    );
    const exited = new Promise((resolve) => bench.once("exit", resolve));
    let workers: number[] = [];
    try {
      for (let waited = 0; waited < 120_000 && runningTrials(store) < 2; waited += 100) {
        assert.equal(bench.exitCode, null, "the bench ended before its trials ran");
        await sleep(100);
      }
      assert.equal(runningTrials(store), 2, "both workers are running a trial");
      await sleep(1500); // well into the trials' synchronous training
      workers = workersOf(bench.pid!);
      assert.equal(workers.length, 2, `worker processes: ${workers.join(", ")}`);
      bench.kill("SIGKILL");
      await exited;
      await sleep(5000);
      assert.deepEqual(
        workers.filter(alive),
        [],
        "worker processes still running 5 s after their coordinator was killed",
      );
    } finally {
      bench.kill("SIGKILL");
      for (const pid of workers.filter(alive)) process.kill(pid, "SIGKILL");
    }
  });
});
