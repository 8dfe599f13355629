/**
 * The run store when things go wrong around it: a run whose process was killed with kill -9 is
 * shown interrupted by `nonlin runs ls | show` (computed when read, the row is not rewritten),
 * and SQLite write failures — a lock another process holds, a full database — become a
 * StoreWriteError that names the store, what was being written and what went wrong, with the
 * trials committed before kept.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, renameSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import type { TrialResult } from "../src/bench/results.js";
import { describeError, exitCodeOf } from "../src/cli/errors.js";
import { withRunSession } from "../src/cli/run-session.js";
import { renderList, renderSummary, shownRun, shownSummary } from "../src/cli/runs.js";
import { makeOutput } from "../src/cli/output.js";
import type { Machine } from "../src/store/index.js";
import { openStore, processStarted, StoreError, StoreWriteError } from "../src/store/index.js";

const MACHINE: Machine = { cpus: 1, platform: "linux", node: "v20", device: "wasm" };
/** This process as a run's owner: pid, host and when it started (Linux /proc). */
const THIS_OWNER = { pid: process.pid, host: hostname(), started: processStarted(process.pid)! };
const tempDir = (): string => mkdtempSync(join(tmpdir(), "nonlin-liveness-"));
const STORE_API = JSON.stringify(join(process.cwd(), "src/store/index.ts"));

function trialResult(seedIndex: number, epochs = 3): TrialResult {
  return {
    task: "toy/a",
    candidate: "relu",
    seedIndex,
    seed: seedIndex,
    params: 10,
    flops: 20,
    trainFlops: 60,
    epochs,
    selectedEpoch: epochs - 1,
    secondsPerEpoch: 0.01,
    throughput: 100,
    peakMemoryBytes: 0,
    curve: Array.from({ length: epochs }, (_, epoch) => ({ epoch, trainLoss: 1 / (epoch + 1) })),
    val: { loss: 0.5, metric: 0.5 },
    test: { loss: 0.25, metric: seedIndex / 10 },
  };
}

/** A store file with one bench run and trials t0 … t(n−1) registered; `db` is its connection. */
function storeWithRun(trials: number, options: { busyTimeoutMs?: number } = {}) {
  const path = join(tempDir(), "nonlin.db");
  const store = openStore(path, options);
  const runId = store.createRun({
    command: "bench",
    config: {},
    configHash: "h",
    machine: MACHINE,
  });
  store.registerTrials(
    runId,
    Array.from({ length: trials }, (_, i) => entry(i)),
  );
  return { path, store, runId, db: (store as unknown as { db: Database.Database }).db };
}

const entry = (seedIndex: number) => ({
  id: `t${seedIndex}`,
  task: "toy/a",
  candidate: "relu",
  seedIndex,
  seed: seedIndex,
  metric: "rmse",
});

/** The status column of a run as SQLite holds it. */
function storedStatus(path: string, runId: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT status FROM runs WHERE id = ?").get(runId) as { status: string })
      .status;
  } finally {
    db.close();
  }
}

function nonlin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const main = join(process.cwd(), "src/cli/main.ts");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", main, ...args]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A real process that creates a run through the store API, says its id, then hangs. */
async function runOfKilledProcess(path: string): Promise<{ runId: string; pid: number }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--input-type=module",
      "-e",
      `
      import { openStore } from ${STORE_API};
      const store = openStore(process.env.STORE);
      const run = store.createRun({ command: "bench", config: {}, configHash: "h",
        machine: { cpus: 1, platform: "linux", node: "v20", device: "wasm" } });
      process.stdout.write("run " + run + "\\n");
      setInterval(() => {}, 1000);`,
    ],
    { env: { ...process.env, STORE: path }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const runId = await new Promise<string>((resolve, reject) => {
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const match = /run (\S+)\n/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.on("exit", () => reject(new Error(`the child ended before it was killed: ${stderr}`)));
  });
  const closed = new Promise((resolve) => child.on("close", resolve));
  child.kill("SIGKILL");
  await closed;
  assert.equal(child.signalCode, "SIGKILL");
  return { runId, pid: child.pid! };
}

describe("runs of killed processes", { timeout: 60_000 }, () => {
  it("shows a run whose process was SIGKILLed as interrupted, without rewriting it", async () => {
    const path = join(tempDir(), "nonlin.db");
    const killed = await runOfKilledProcess(path);
    const store = openStore(path);
    const own = store.createRun({
      command: "search",
      config: {},
      configHash: "o",
      machine: MACHINE,
    });
    store.close();
    // a run owned by a process on another machine: nothing can be checked from here
    const remote = openStore(path, { owner: { pid: killed.pid, host: "far-away-host" } });
    const far = remote.createRun({
      command: "bench",
      config: {},
      configHash: "f",
      machine: MACHINE,
    });
    remote.close();

    const view = openStore(path, { mustExist: true });
    const records = new Map(view.listRuns().map((r) => [r.id, r]));
    const killedOwner = records.get(killed.runId)!.owner!;
    assert.deepEqual([killedOwner.pid, killedOwner.host], [killed.pid, hostname()]);
    assert.match(killedOwner.started!, /^[0-9a-f-]{36}:\d+$/, "boot id and start ticks");
    assert.deepEqual(records.get(own)!.owner, THIS_OWNER);
    const shown = view.listRuns().map((r) => shownRun(r));
    const byId = new Map(shown.map((r) => [r.id, r]));
    const gone = `process ${killed.pid} is gone; resume with --resume ${killed.runId}`;
    assert.equal(byId.get(killed.runId)!.status, "interrupted");
    assert.equal(byId.get(killed.runId)!.note, gone);
    assert.equal(byId.get(own)!.status, "running", "this live process's own run");
    assert.equal(byId.get(own)!.note, null);
    assert.equal(byId.get(far)!.status, "running");
    assert.match(byId.get(far)!.note!, /^running on far-away-host;/);
    const text = renderList(shown, path);
    assert.match(
      text,
      new RegExp(`${killed.runId}\\s+bench\\s+-\\s+jax/wasm\\s+interrupted\\s+\\d{4}-`),
    );
    assert.match(text, new RegExp(`${own}\\s+search\\s+-\\s+jax/wasm\\s+running\\s+\\d{4}-`));
    assert.match(
      text,
      new RegExp(`${far}\\s+bench\\s+-\\s+jax/wasm\\s+running \\(on far-away-host\\)\\s+\\d{4}-`),
    );
    assert.ok(text.includes(`\n${killed.runId}: ${gone}`), text);
    const summary = renderSummary(shownSummary(view.runSummary(killed.runId)));
    assert.match(summary, new RegExp(`^run ${killed.runId}: bench, interrupted\\n  note +${gone}`));
    view.close();

    // the same through the command line, in another process (for which the test is alive)
    const [ls, show] = await Promise.all([
      nonlin(["runs", "ls", "--store", path, "--json"]),
      nonlin(["runs", "show", killed.runId, "--store", path]),
    ]);
    assert.equal(ls.code, 0, ls.stderr);
    const listed = JSON.parse(ls.stdout) as { id: string; status: string; note: string | null }[];
    const statusOf = (id: string) => listed.find((r) => r.id === id)!;
    assert.deepEqual(
      [statusOf(killed.runId).status, statusOf(killed.runId).note],
      ["interrupted", gone],
    );
    assert.equal(statusOf(own).status, "running");
    assert.equal(statusOf(far).status, "running");
    assert.equal(show.code, 0, show.stderr);
    assert.match(
      show.stdout,
      new RegExp(`run ${killed.runId}: bench, interrupted\\n  note +${gone}`),
    );
    // read-only commands did not write the status
    assert.equal(storedStatus(path, killed.runId), "running");

    // resuming makes this process the owner: running again
    const resumer = openStore(path);
    resumer.reopenRun(killed.runId);
    const resumed = resumer.getRun(killed.runId)!;
    assert.deepEqual(resumed.owner, THIS_OWNER);
    assert.equal(shownRun(resumed).status, "running");
    resumer.close();
  });
});

describe("reused pids", { timeout: 60_000 }, () => {
  it("a live process with the run's pid but another start time is not the run's owner", async () => {
    const path = join(tempDir(), "nonlin.db");
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
      stdio: "ignore",
    });
    try {
      const pid = child.pid!;
      const started = processStarted(pid);
      assert.ok(started, "the child's start is readable from /proc");
      const [boot] = started.split(":");
      const runOwnedBy = (owner: { pid: number; host: string; started: string }) => {
        const store = openStore(path, { owner });
        const id = store.createRun({
          command: "bench",
          config: {},
          configHash: "h",
          machine: MACHINE,
        });
        store.close();
        return id;
      };
      // the run's process started at tick 1 after boot; the live process with its pid did not
      const reused = runOwnedBy({ pid, host: hostname(), started: `${boot}:1` });
      const genuine = runOwnedBy({ pid, host: hostname(), started });
      const view = openStore(path, { mustExist: true });
      const shown = new Map(view.listRuns().map((r) => [r.id, shownRun(r)]));
      assert.equal(shown.get(reused)!.status, "interrupted");
      assert.equal(
        shown.get(reused)!.note,
        `process ${pid} is gone; resume with --resume ${reused}`,
      );
      assert.equal(shown.get(genuine)!.status, "running");
      view.close();
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("SQLite write failures", () => {
  it("a lock held by another connection gives a StoreWriteError naming the store and the trial", () => {
    const { path, store, runId } = storeWithRun(2, { busyTimeoutMs: 200 });
    store.finishTrial(runId, "t0", trialResult(0));
    const other = new Database(path);
    other.exec("BEGIN EXCLUSIVE");
    const started = Date.now();
    let thrown: unknown;
    try {
      store.finishTrial(runId, "t1", trialResult(1));
    } catch (error) {
      thrown = error;
    }
    const waited = Date.now() - started;
    assert.ok(thrown instanceof StoreWriteError, `got ${String(thrown)}`);
    assert.ok(thrown instanceof StoreError);
    assert.equal(thrown.code, "SQLITE_BUSY");
    assert.equal(thrown.path, path);
    assert.equal(thrown.action, `recording trial t1 of run ${runId}`);
    assert.ok(
      thrown.message.startsWith(
        `cannot write the run store ${path} while recording trial t1 of run ${runId}: the database is locked by another process`,
      ),
      thrown.message,
    );
    assert.match(thrown.message, /longer than the 0\.2 s this one waits/);
    assert.ok(waited >= 150 && waited < 5000, `waited ${waited} ms`);
    // any write, not only trials
    assert.throws(
      () => store.recordEvent(runId, { level: "info", message: "x" }),
      (error: Error) =>
        error instanceof StoreWriteError &&
        error.message.includes(`${path} while recording an event of run ${runId}: `) &&
        /locked/.test(error.message),
    );

    // the CLI prints one line, no stack trace, and exits 1 (a failure while running, not bad input)
    const printed = describeError(thrown);
    assert.equal(printed, `error: ${thrown.message}`);
    assert.doesNotMatch(printed, /\n|\bat .*:\d+:\d+/);
    assert.equal(exitCodeOf(thrown), 1);
    assert.equal(exitCodeOf(new StoreError("no run 'x'")), 2, "other store errors are bad input");

    other.exec("ROLLBACK");
    other.close();
    // what was committed before the failure is there; the failed trial left nothing
    assert.deepEqual([...store.finishedTrials(runId).keys()], ["t0"]);
    assert.equal(store.listEpochs(runId).length, 3);
    assert.equal(store.listTrials(runId)[1]!.status, "pending");
    assert.equal(store.finishTrial(runId, "t1", trialResult(1)), true, "it works once free");
    store.close();
  });

  it("a full database gives 'the disk is full' and keeps the trials committed before", () => {
    const { path, store, runId, db } = storeWithRun(2);
    store.finishTrial(runId, "t0", trialResult(0));
    // SQLite's own limit on the file's pages gives the same SQLITE_FULL a full disk does
    const pages = db.pragma("page_count", { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    assert.throws(
      () => store.finishTrial(runId, "t1", trialResult(1, 5000)),
      (error: Error) =>
        error instanceof StoreWriteError &&
        error.code === "SQLITE_FULL" &&
        error.message.startsWith(
          `cannot write the run store ${path} while recording trial t1 of run ${runId}: the disk is full (SQLITE_FULL`,
        ),
    );
    db.pragma("max_page_count = 1073741823");
    assert.deepEqual([...store.finishedTrials(runId).keys()], ["t0"]);
    assert.equal(store.listEpochs(runId).length, 3, "none of t1's epochs");
    store.close();
  });

  it("a read-only store gives a StoreWriteError that says so; nothing is half-written", () => {
    const { path, store, runId, db } = storeWithRun(1);
    // SQLite's query_only gives the SQLITE_READONLY that a read-only file or file system gives
    // (as root, file permissions would not stop the write)
    db.pragma("query_only = 1");
    assert.throws(
      () => store.finishTrial(runId, "t0", trialResult(0)),
      (error: Error) =>
        error instanceof StoreWriteError &&
        error.code === "SQLITE_READONLY" &&
        error.message.startsWith(
          `cannot write the run store ${path} while recording trial t0 of run ${runId}: the store is read-only (the file, its directory or the file system does not allow writing) (SQLITE_READONLY`,
        ),
    );
    db.pragma("query_only = 0");
    assert.equal(store.finishedTrials(runId).size, 0);
    assert.equal(store.listEpochs(runId).length, 0, "no epoch of t0 was written");
    store.close();
  });

  it("a store file moved while open stops the next write, and moved back keeps what was written", () => {
    const { path, store, runId } = storeWithRun(2);
    store.finishTrial(runId, "t0", trialResult(0));
    renameSync(path, `${path}.moved`);
    // SQLite in WAL mode would go on writing ${path}-wal, which the moved file never reads
    assert.throws(
      () => store.finishTrial(runId, "t1", trialResult(1)),
      (error: Error) =>
        error instanceof StoreWriteError &&
        error.code === "SQLITE_READONLY_DBMOVED" &&
        error.message ===
          `cannot write the run store ${path} while recording trial t1 of run ${runId}: the store file was moved or deleted while it was open (its latest writes are in ${path}-wal; move the file back to ${path} before opening it again)`,
    );
    store.close();
    renameSync(`${path}.moved`, path);
    const reopened = openStore(path);
    assert.deepEqual([...reopened.finishedTrials(runId).keys()], ["t0"]);
    reopened.close();
  });

  it("a write error inside a bench/search session keeps the run for --resume", async () => {
    const path = join(tempDir(), "nonlin.db");
    let closed = false;
    const executor = { run: async () => {}, close: async () => void (closed = true) };
    let runId = "";
    const failure = new StoreWriteError(
      `cannot write the run store ${path} while recording trial t of run R: the disk is full (SQLITE_FULL: database or disk is full)`,
      path,
      "recording trial t of run R",
      "SQLITE_FULL",
    );
    await assert.rejects(
      withRunSession(
        { command: "bench", config: {}, configHash: "h", device: "wasm", store: path },
        executor,
        makeOutput(false),
        (_store, id) => {
          runId = id;
          return Promise.reject(failure);
        },
      ),
      (error: Error) =>
        error instanceof StoreWriteError &&
        exitCodeOf(error) === 1 &&
        error.message ===
          `${failure.message}; the trials finished so far are kept: once that is fixed, resume with --resume ${runId}`,
    );
    assert.ok(closed, "the executor was closed");
    // nothing more was written: the run is left running, owned by this (live) process
    const view = openStore(path);
    assert.equal(view.getRun(runId)!.status, "running");
    assert.deepEqual(view.listEvents(runId), []);
    view.close();
  });
});
