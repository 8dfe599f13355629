/**
 * The run store on real SQLite files: exact round trip of trials, idempotent recording, resume,
 * WAL, migrations, refusal of files it must not touch (bytes checked unchanged), atomicity under
 * an injected failure and under kill -9, and `nonlin runs ls | show | export` in a subprocess.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import type { TrialResult } from "../src/bench/results.js";
import { MIGRATIONS, SCHEMA_VERSION } from "../src/store/schema.js";
import type { Machine, RunStore } from "../src/store/index.js";
import { defaultStorePath, openStore, processStarted, StoreError } from "../src/store/index.js";

const MACHINE: Machine = { cpus: 2, platform: "linux", node: "v20.0.0", device: "wasm" };
const CONFIG = { name: "demo", seeds: 2, training: { epochs: 4, lr: 0.01 }, tasks: ["a", "b"] };

const tempDir = (): string => mkdtempSync(join(tmpdir(), "nonlin-store-"));

/** A clock the test moves by hand. */
function manualClock(iso: string): { now: () => Date; advance: (seconds: number) => void } {
  let ms = Date.parse(iso);
  return { now: () => new Date(ms), advance: (seconds) => (ms += seconds * 1000) };
}

/** A trial result with the awkward values a real one can hold. */
function makeResult(
  task: string,
  candidate: string,
  seedIndex: number,
  testMetric: number,
  options: { epochs?: number; classification?: boolean; noVal?: boolean; diverged?: boolean } = {},
): TrialResult {
  const epochs = options.epochs ?? 4;
  const curve = Array.from({ length: epochs }, (_, epoch) =>
    options.noVal
      ? { epoch, trainLoss: 1 / (epoch + 1) }
      : {
          epoch,
          trainLoss: 1 / (epoch + 1),
          valLoss: 1.5 / (epoch + 1),
          valMetric: 0.1 * epoch + seedIndex / 3,
        },
  );
  const result: TrialResult = {
    task,
    candidate,
    seedIndex,
    seed: 1000 + seedIndex * 7919 + candidate.length,
    width: options.classification ? undefined : 16 + seedIndex, // an own property set to undefined
    params: 337 + candidate.length,
    flops: 1234.5,
    trainFlops: 3703.5,
    epochs,
    selectedEpoch: epochs - 1,
    secondsPerEpoch: 0.0123456789012345,
    throughput: 98765.4321,
    peakMemoryBytes: 1 << 20,
    curve,
    val: options.noVal ? { loss: NaN, metric: NaN } : { loss: 0.25, metric: 0.5 },
    test: { loss: testMetric ** 2, metric: testMetric },
  };
  if (options.classification) result.test.auc = 0.875 + seedIndex / 100;
  if (options.diverged) result.diverged = true;
  return result;
}

const entryOf = (id: string, r: TrialResult, metric = "rmse") => ({
  id,
  task: r.task,
  candidate: r.candidate,
  seedIndex: r.seedIndex,
  seed: r.seed,
  metric,
});

function newStore(clockIso = "2025-01-02T03:04:05.000Z") {
  const path = join(tempDir(), "nonlin.db");
  const clock = manualClock(clockIso);
  const store = openStore(path, { now: clock.now });
  const runId = store.createRun({
    command: "bench",
    config: CONFIG,
    configHash: "cafe0123",
    machine: MACHINE,
  });
  return { path, clock, store, runId };
}

function count(path: string, sql: string, ...params: unknown[]): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare(sql).get(...params) as { n: number }).n;
  } finally {
    db.close();
  }
}

function assertStoreError(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe("run store: recording", () => {
  it("records a run and its trials and reads every TrialResult back exactly", () => {
    const { path, clock, store, runId } = newStore();
    assert.match(runId, /^r-20250102-030405-[0-9a-f]{4}$/);
    const results = [
      makeResult("toy/a", "relu", 0, 0.125),
      makeResult("toy/a", "relu", 1, -0, { noVal: true }), // NaN val, -0 metric
      makeResult("img/b", "kan", 0, 0.9, { classification: true, diverged: true }),
    ];
    const ids = ["aa01", "aa02", "aa03"];
    assert.equal(
      store.registerTrials(
        runId,
        ids.map((id, i) => entryOf(id, results[i]!)),
      ),
      3,
    );
    results.forEach((result, i) => {
      assert.equal(store.startTrial(runId, ids[i]!), true);
      clock.advance(5 + i);
      assert.equal(store.finishTrial(runId, ids[i]!, result), true);
    });

    const read = store.finishedTrials(runId);
    assert.deepEqual([...read.keys()], ids);
    ids.forEach((id, i) => assert.deepStrictEqual(read.get(id), results[i]));
    assert.ok(Object.hasOwn(read.get("aa03")!, "width"), "an undefined own property survives");
    assert.ok(Number.isNaN(read.get("aa02")!.val.loss));
    assert.ok(Object.is(read.get("aa02")!.test.metric, -0));

    // the queryable columns hold the same values
    const rows = store.listTrials(runId);
    assert.equal(rows.length, 3);
    const first = rows[0]!;
    assert.equal(first.status, "done");
    assert.equal(first.attempts, 1);
    assert.equal(first.testMetric, 0.125);
    assert.equal(first.testLoss, 0.015625);
    assert.equal(first.params, 341);
    assert.equal(first.width, 16);
    assert.equal(first.secondsPerEpoch, 0.0123456789012345);
    assert.equal(first.wallSeconds, 5);
    assert.equal(first.configHash, "cafe0123");
    assert.equal(first.metric, "rmse");
    assert.equal(rows[1]!.valLoss, null, "NaN is NULL in SQL");
    assert.equal(rows[1]!.wallSeconds, 6);
    assert.equal(rows[2]!.diverged, true);
    assert.equal(rows[2]!.testAuc, 0.875);
    assert.equal(rows[2]!.width, null);
    assert.equal(count(path, "SELECT count(*) AS n FROM epochs"), 12);
    const epochs = store.listEpochs(runId).filter((e) => e.trialId === "aa01");
    assert.deepEqual(epochs[2], {
      trialId: "aa01",
      epoch: 2,
      trainLoss: 1 / 3,
      valLoss: 0.5,
      valMetric: 0.2,
    });

    const run = store.getRun(runId)!;
    assert.deepEqual(run.config, CONFIG);
    assert.deepEqual(run.machine, MACHINE);
    assert.equal(run.status, "running");
    assert.equal(run.started, "2025-01-02T03:04:05.000Z");
    const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string })
      .version;
    const head = readFileSync(".git/HEAD", "utf8").trim();
    const refFile = join(".git", head.replace(/^ref: /, ""));
    if (head.startsWith("ref: ") && existsSync(refFile))
      assert.equal(
        run.codeVersion,
        `${version}+${readFileSync(refFile, "utf8").trim().slice(0, 12)}`,
      );
    else assert.ok(run.codeVersion.startsWith(version), run.codeVersion);

    clock.advance(10);
    store.finishRun(runId, "done");
    assert.equal(store.getRun(runId)!.finished, "2025-01-02T03:04:33.000Z");
    assert.equal(store.getRun(runId)!.status, "done");
    store.close();
  });

  it("finishing a trial that is done changes nothing and returns false", () => {
    const { path, store, runId } = newStore();
    const result = makeResult("toy/a", "relu", 0, 0.5, { epochs: 6 });
    store.registerTrials(runId, [entryOf("t1", result)]);
    assert.equal(store.finishTrial(runId, "t1", result), true);
    const before = {
      trials: count(path, "SELECT count(*) AS n FROM trials"),
      epochs: count(path, "SELECT count(*) AS n FROM epochs"),
    };
    assert.deepEqual(before, { trials: 1, epochs: 6 });
    const other = makeResult("toy/a", "relu", 0, 0.01, { epochs: 3 });
    assert.equal(store.finishTrial(runId, "t1", other), false);
    assert.equal(store.startTrial(runId, "t1"), false, "a done trial is never started again");
    assert.equal(store.failTrial(runId, "t1", "boom", 2), false);
    assert.deepEqual(
      {
        trials: count(path, "SELECT count(*) AS n FROM trials"),
        epochs: count(path, "SELECT count(*) AS n FROM epochs"),
      },
      before,
    );
    assert.deepStrictEqual(store.finishedTrials(runId).get("t1"), result);
    assert.equal(store.listTrials(runId)[0]!.status, "done");
    assert.equal(store.listTrials(runId)[0]!.error, null);
    store.close();
  });

  it("registering the same trials twice adds no duplicates and keeps their status", () => {
    const { path, store, runId } = newStore();
    const results = [0, 1, 2].map((s) => makeResult("toy/a", "relu", s, 0.1 * s));
    const entries = results.map((r, i) => entryOf(`id${i}`, r));
    assert.equal(store.registerTrials(runId, entries), 3);
    store.finishTrial(runId, "id1", results[1]!);
    assert.equal(store.registerTrials(runId, entries), 0);
    assert.equal(count(path, "SELECT count(*) AS n FROM trials"), 3);
    assert.deepEqual(
      store.listTrials(runId).map((t) => t.status),
      ["pending", "done", "pending"],
    );
    assert.deepEqual(store.trialCounts(runId), {
      total: 3,
      pending: 2,
      running: 0,
      done: 1,
      failed: 0,
    });
    store.close();
  });

  it("a finished trial for another task, candidate or seed than registered is refused", () => {
    const { store, runId } = newStore();
    const result = makeResult("toy/a", "relu", 0, 0.5);
    store.registerTrials(runId, [entryOf("t1", result)]);
    assertStoreError(
      () => store.finishTrial(runId, "t1", { ...result, candidate: "gelu" }),
      /trial t1 of run .* is toy\/a · relu · seed 0 .*but the result is for toy\/a · gelu/,
    );
    assertStoreError(() => store.startTrial(runId, "nope"), /has no trial nope/);
    assertStoreError(() => store.startTrial("r-missing", "t1"), /no run 'r-missing'/);
    store.close();
  });

  it("on resume, trials left running go back to pending; failed trials keep their error", () => {
    const { store, runId } = newStore();
    const results = [0, 1, 2, 3].map((s) => makeResult("toy/a", "relu", s, 0.1 * s));
    store.registerTrials(
      runId,
      results.map((r, i) => entryOf(`t${i}`, r)),
    );
    for (const id of ["t0", "t1", "t2", "t3"]) store.startTrial(runId, id);
    store.finishTrial(runId, "t0", results[0]!);
    store.failTrial(runId, "t3", "out of memory", 3);
    store.finishRun(runId, "interrupted");
    assert.equal(store.reopenRun(runId), 2);
    assert.equal(store.getRun(runId)!.status, "running");
    assert.equal(store.getRun(runId)!.finished, null);
    const rows = store.listTrials(runId);
    assert.deepEqual(
      rows.map((t) => [t.trialId, t.status, t.attempts]),
      [
        ["t0", "done", 1],
        ["t1", "pending", 1],
        ["t2", "pending", 1],
        ["t3", "failed", 3],
      ],
    );
    assert.equal(rows[3]!.error, "out of memory");
    assert.equal(store.resetRunningTrials(runId), 0);
    assert.equal(store.startTrial(runId, "t1"), true);
    assert.equal(store.listTrials(runId)[1]!.attempts, 2);
    store.close();
  });

  it("finds a run by a unique prefix and names an ambiguous or unknown one", () => {
    const { path, clock, store, runId } = newStore();
    clock.advance(3600 * 24);
    const later = store.createRun({
      command: "search",
      config: {},
      configHash: "x",
      machine: MACHINE,
    });
    assert.match(later, /^r-20250103-030405-/);
    assert.equal(store.findRun(runId).id, runId);
    assert.equal(store.findRun("r-20250103").id, later);
    assertStoreError(
      () => store.findRun("r-2025"),
      new RegExp(`^run 'r-2025' is ambiguous in .*: it matches 2 runs \\(${runId}, ${later}\\)$`),
    );
    assertStoreError(
      () => store.findRun("r-1999"),
      `no run 'r-1999' in ${path} (nonlin runs ls lists them)`,
    );
    assertStoreError(() => store.findRun("%"), /no run '%'/);
    assert.deepEqual(
      store.listRuns().map((r) => [r.id, r.command, r.status, r.trials.total]),
      [
        [later, "search", "running", 0],
        [runId, "bench", "running", 0],
      ],
    );
    store.close();
  });

  it("keeps events and artifacts, hashing the artifact's file", () => {
    const { path, store, runId } = newStore();
    const file = join(path, "..", "results.json");
    writeFileSync(file, "abc");
    const artifact = store.recordArtifact(runId, { kind: "results", path: file });
    // sha256("abc"), the FIPS 180-2 test vector
    assert.equal(
      artifact.sha256,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    assertStoreError(
      () => store.recordArtifact(runId, { kind: "x", path: join(path, "..", "none") }),
      /artifact .*none: no such file/,
    );
    store.recordEvent(runId, { level: "warn", message: "trial t1 diverged", trialId: "t1" });
    store.recordEvent(runId, { level: "info", message: "started" });
    assert.deepEqual(
      store.listEvents(runId).map((e) => [e.level, e.message, e.trialId]),
      [
        ["warn", "trial t1 diverged", "t1"],
        ["info", "started", null],
      ],
    );
    assert.deepEqual(
      store.runSummary(runId).problems.map((e) => e.message),
      ["trial t1 diverged"],
    );
    store.close();
  });
});

describe("run store: the file", () => {
  it("is in WAL mode with this schema version and nonlin's application id", () => {
    const { path, store } = newStore();
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    assert.equal(db.pragma("application_id", { simple: true }), 0x6e6c696e);
    db.close();
    store.close();
  });

  it("migrates a store that has only the first schema step", () => {
    const path = join(tempDir(), "old.db");
    const db = new Database(path);
    db.exec(MIGRATIONS[0]!.sql);
    db.pragma(`application_id = ${0x6e6c696e}`);
    db.pragma("user_version = 1");
    db.prepare(
      `INSERT INTO runs (id, command, config_json, config_hash, code_version, machine_cpus,
         machine_platform, machine_node, machine_device, started, status)
       VALUES ('r-old', 'bench', '{"a":1}', 'h', '0.0.1', 2, 'linux', 'v20', 'wasm', '2024-01-01T00:00:00.000Z', 'done')`,
    ).run();
    db.close();
    assert.ok(SCHEMA_VERSION > 1, "there is a later step to apply");

    const store = openStore(path);
    assert.equal(count(path, "SELECT user_version AS n FROM pragma_user_version"), SCHEMA_VERSION);
    assert.deepEqual(store.getRun("r-old")!.config, { a: 1 });
    store.recordEvent("r-old", { level: "info", message: "after the upgrade" });
    assert.equal(store.listEvents("r-old").length, 1);
    store.close();
  });

  it("migrates a schema-2 store (before run owners): old runs have no owner, new ones do, with their start", () => {
    const path = join(tempDir(), "v2.db");
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.transaction(() => {
      for (const step of MIGRATIONS.filter((s) => s.version <= 2)) db.exec(step.sql);
      db.pragma(`application_id = ${0x6e6c696e}`);
      db.pragma("user_version = 2");
    })();
    db.prepare(
      `INSERT INTO runs (id, command, config_json, config_hash, code_version, machine_cpus,
         machine_platform, machine_node, machine_device, started, status)
       VALUES ('r-v2', 'bench', '{}', 'h', '0.1.0', 2, 'linux', 'v20', 'wasm', '2025-01-01T00:00:00.000Z', 'running')`,
    ).run();
    db.close();
    assert.ok(SCHEMA_VERSION >= 4);

    // a read-only open cannot upgrade it and says so; a normal open does
    assertStoreError(() => openStore(path, { readonly: true }), /has schema 2 and needs upgrading/);
    const store = openStore(path, { mustExist: true });
    assert.equal(count(path, "SELECT user_version AS n FROM pragma_user_version"), SCHEMA_VERSION);
    const columns = new Database(path, { readonly: true });
    assert.deepEqual(
      (columns.prepare("PRAGMA table_info(runs)").all() as { name: string; type: string }[])
        .filter((c) => ["pid", "host", "pid_started"].includes(c.name))
        .map((c) => [c.name, c.type]),
      [
        ["pid", "INTEGER"],
        ["host", "TEXT"],
        ["pid_started", "TEXT"],
      ],
    );
    columns.close();
    const old = store.getRun("r-v2")!;
    assert.equal(old.owner, null, "an old run's owner is unknown");
    assert.equal(old.status, "running");
    assert.equal(store.listRuns()[0]!.owner, null);
    const fresh = store.createRun({
      command: "bench",
      config: {},
      configHash: "h",
      machine: MACHINE,
    });
    // schema 4: the owner's start time too (boot id and ticks, from /proc)
    const me = { pid: process.pid, host: hostname(), started: processStarted(process.pid)! };
    assert.match(me.started, /^[0-9a-f-]{36}:\d+$/);
    assert.deepEqual(store.getRun(fresh)!.owner, me);
    store.reopenRun("r-v2");
    assert.deepEqual(store.getRun("r-v2")!.owner, me);
    store.close();
  });

  it("migrates a schema-4 store (before engines): old runs have no engine, a torch run records its own", () => {
    const path = join(tempDir(), "v4.db");
    const db = new Database(path);
    db.transaction(() => {
      for (const step of MIGRATIONS.filter((s) => s.version <= 4)) db.exec(step.sql);
      db.pragma(`application_id = ${0x6e6c696e}`);
      db.pragma("user_version = 4");
    })();
    db.prepare(
      `INSERT INTO runs (id, command, config_json, config_hash, code_version, machine_cpus,
         machine_platform, machine_node, machine_device, started, status)
       VALUES ('r-v4', 'bench', '{}', 'h', '0.1.0', 2, 'linux', 'v20', 'wasm', '2025-01-01T00:00:00.000Z', 'done')`,
    ).run();
    db.close();
    const store = openStore(path, { mustExist: true });
    assert.deepEqual(store.getRun("r-v4")!.machine, {
      cpus: 2,
      platform: "linux",
      node: "v20",
      device: "wasm",
    });
    const versions = { torch: "1.13.0", numpy: "1.24.2", python: "3.11.2" };
    const torch = store.createRun({
      command: "bench",
      config: {},
      configHash: "h",
      machine: { ...MACHINE, device: "cuda:0", engine: "torch", versions },
    });
    assert.deepEqual(store.getRun(torch)!.machine, {
      ...MACHINE,
      device: "cuda:0",
      engine: "torch",
      versions,
    });
    store.close();
  });

  it("refuses a store written by a newer nonlin and leaves its bytes alone", () => {
    const { path, store } = newStore();
    store.close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const bytes = readFileSync(path);
    const expected = `${path} was written by a newer nonlin (schema ${SCHEMA_VERSION + 1}, this one reads up to ${SCHEMA_VERSION}); upgrade nonlin or use another --store`;
    assertStoreError(() => openStore(path), expected);
    assertStoreError(() => openStore(path, { readonly: true }), expected);
    assert.ok(readFileSync(path).equals(bytes), "the file is unchanged");
  });

  it("refuses a file that is not SQLite, and leaves its bytes alone", () => {
    const path = join(tempDir(), "garbage.db");
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37 + 11) % 256));
    writeFileSync(path, garbage);
    assertStoreError(
      () => openStore(path),
      `${path} is not a run store: it is not an SQLite database`,
    );
    assert.ok(readFileSync(path).equals(garbage));
  });

  it("refuses a corrupt SQLite file and another application's database, unchanged", () => {
    const { path, store, runId } = newStore();
    const results = [0, 1, 2, 3, 4, 5].map((s) =>
      makeResult("toy/a", "relu", s, s, { epochs: 200 }),
    );
    store.registerTrials(
      runId,
      results.map((r, i) => entryOf(`t${i}`, r)),
    );
    results.forEach((r, i) => store.finishTrial(runId, `t${i}`, r));
    store.close();
    const sound = readFileSync(path);
    const pageSize = sound.readUInt16BE(16);
    assert.ok(sound.length > 4 * pageSize);
    // scribble over pages 2..end (b-tree pages), keeping the 100-byte header of page 1 intact
    const corrupt = Buffer.from(sound);
    for (let i = pageSize; i < corrupt.length; i++) corrupt[i] = (i * 131 + 7) % 256;
    writeFileSync(path, corrupt);
    assertStoreError(
      () => openStore(path),
      new RegExp(
        `^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is (corrupt|not a readable run store)`,
      ),
    );
    assert.ok(readFileSync(path).equals(corrupt), "the corrupt file is unchanged");

    const other = join(tempDir(), "other.db");
    const db = new Database(other);
    db.exec("CREATE TABLE notes (body TEXT)");
    db.close();
    const otherBytes = readFileSync(other);
    assertStoreError(
      () => openStore(other),
      `${other} is an SQLite database but not a nonlin run store`,
    );
    assert.ok(readFileSync(other).equals(otherBytes));
  });

  it("does not create a missing directory", () => {
    const dir = join(tempDir(), "missing", "deeper");
    const path = join(dir, "nonlin.db");
    assertStoreError(
      () => openStore(path),
      `cannot create the store ${path}: directory ${dir} does not exist`,
    );
    assert.equal(existsSync(join(dir, "..")), false, "nothing was created");
    assertStoreError(
      () => openStore(join(tempDir(), "absent.db"), { mustExist: true }),
      /no run store at/,
    );
    assert.equal(defaultStorePath(), "nonlin.db");
  });
});

describe("run store: atomic trials", () => {
  it("a failure inside finishTrial's transaction leaves no part of the trial", () => {
    const { path, store, runId } = newStore();
    const result = makeResult("toy/a", "relu", 0, 0.5, { epochs: 8 });
    store.registerTrials(runId, [entryOf("t1", result)]);
    store.startTrial(runId, "t1");
    // the injected failure: a trigger (from another connection) aborts the 4th epoch's insert,
    // after the trial row was updated and 3 epochs were written in the same transaction
    const db = new Database(path);
    db.exec(
      "CREATE TRIGGER fail_epoch BEFORE INSERT ON epochs WHEN NEW.epoch = 3 BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    );
    assert.throws(() => store.finishTrial(runId, "t1", result), /injected failure/);
    const row = store.listTrials(runId)[0]!;
    assert.equal(row.status, "running");
    assert.equal(row.testMetric, null);
    assert.equal(row.finished, null);
    assert.equal(count(path, "SELECT count(*) AS n FROM epochs"), 0);
    assert.equal(store.finishedTrials(runId).size, 0);
    db.exec("DROP TRIGGER fail_epoch");
    db.close();
    assert.equal(store.finishTrial(runId, "t1", result), true);
    assert.equal(count(path, "SELECT count(*) AS n FROM epochs"), 8);
    store.close();
  });

  it("kill -9 while writing leaves a sound store whose every trial is complete", async () => {
    const dir = tempDir();
    const path = join(dir, "nonlin.db");
    // the child registers 10000 trials, then finishes them one by one (1000 epochs each) until killed
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `
        import { openStore } from ${JSON.stringify(join(process.cwd(), "src/store/index.ts"))};
        const store = openStore(process.env.STORE);
        const run = store.createRun({ command: "bench", config: {}, configHash: "h",
          machine: { cpus: 1, platform: "x", node: "v", device: "wasm" } });
        const n = 10000, epochs = 1000;
        store.registerTrials(run, Array.from({ length: n }, (_, i) =>
          ({ id: "t" + i, task: "a", candidate: "c", seedIndex: i, seed: i })));
        for (let i = 0; i < n; i++) {
          const curve = Array.from({ length: epochs }, (_, e) => ({ epoch: e, trainLoss: e + i }));
          // from here to the commit, the time goes into finishTrial's one transaction
          store.startTrial(run, "t" + i);
          store.finishTrial(run, "t" + i, { task: "a", candidate: "c", seedIndex: i, seed: i,
            params: 1, flops: 1, trainFlops: 3, epochs, selectedEpoch: 0, secondsPerEpoch: 1,
            throughput: 1, peakMemoryBytes: 0, curve, val: { loss: 1, metric: 1 },
            test: { loss: i, metric: i } });
          process.stdout.write("done " + i + "\\n");
        }`,
      ],
      { env: { ...process.env, STORE: path }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      let seen = 0;
      child.stdout.on("data", (d: Buffer) => {
        seen += d
          .toString()
          .split("\n")
          .filter((l) => l.startsWith("done")).length;
        if (seen >= 5) {
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.on("exit", () => reject(new Error(`the child ended before it was killed: ${stderr}`)));
    });
    await new Promise((resolve) => child.on("close", resolve));
    assert.equal(child.signalCode, "SIGKILL");

    const store = openStore(path); // runs quick_check
    const runId = store.listRuns()[0]!.id;
    const trials = store.listTrials(runId);
    assert.equal(trials.length, 10000);
    const done = trials.filter((t) => t.status === "done");
    assert.ok(done.length >= 5, `${done.length} trials done`);
    const epochsPerTrial = new Map<string, number>();
    for (const e of store.listEpochs(runId))
      epochsPerTrial.set(e.trialId, (epochsPerTrial.get(e.trialId) ?? 0) + 1);
    for (const t of trials) {
      if (t.status === "done") {
        assert.equal(epochsPerTrial.get(t.trialId), 1000, `trial ${t.trialId} has all its epochs`);
        assert.equal(t.testMetric, t.seedIndex);
      } else {
        assert.equal(epochsPerTrial.get(t.trialId), undefined, `trial ${t.trialId} has no epochs`);
        assert.equal(t.testMetric, null);
      }
    }
    assert.equal(store.finishedTrials(runId).size, done.length);
    // what a resume does: the trial being written when the kill came is pending again
    const running = trials.filter((t) => t.status === "running").length;
    assert.ok(running <= 1);
    assert.equal(store.reopenRun(runId), running);
    assert.equal(store.trialCounts(runId).running, 0);
    store.close();
  });
});

/** A CSV reader written for this test (RFC 4180: quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  assert.equal(field, "", "the text ends with CRLF");
  return rows;
}

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function nonlin(args: string[], cwd = process.cwd()): Promise<CliRun> {
  const tsx = import.meta.resolve("tsx");
  const main = join(process.cwd(), "src/cli/main.ts");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", tsx, main, ...args], { cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs CLI calls at most `width` at a time (a 2-core machine). */
async function inBatches(calls: (() => Promise<CliRun>)[], width: number): Promise<CliRun[]> {
  const out: CliRun[] = [];
  for (let i = 0; i < calls.length; i += width)
    out.push(...(await Promise.all(calls.slice(i, i + width).map((call) => call()))));
  return out;
}

const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("nonlin runs", { timeout: 60_000 }, () => {
  it("lists, shows and exports a run the API filled; bad runs and stores exit 2", async () => {
    const dir = tempDir();
    const path = join(dir, "nonlin.db");
    const clockA = manualClock("2025-01-02T03:04:05.000Z");
    const store: RunStore = openStore(path, { now: clockA.now });
    const machine = MACHINE;
    const runA = store.createRun({ command: "bench", config: CONFIG, configHash: "aaaa", machine });
    // toy/a (rmse): relu better than tanh; img/b (accuracy): kan better than relu
    const planted: Record<string, number[]> = {
      "toy/a relu": [0.1, 0.3],
      "toy/a tanh": [0.5, 0.6],
      "img/b relu": [0.7, 0.8],
      "img/b kan": [0.9, 0.95],
    };
    const results: { id: string; result: TrialResult; metric: string }[] = [];
    for (const [key, values] of Object.entries(planted)) {
      const [task, candidate] = key.split(" ") as [string, string];
      values.forEach((value, seedIndex) =>
        results.push({
          id: `${task.replace("/", "")}-${candidate}-${seedIndex}`,
          result: makeResult(task, candidate, seedIndex, value, {
            classification: task === "img/b",
          }),
          metric: task === "img/b" ? "accuracy" : "rmse",
        }),
      );
    }
    store.registerTrials(
      runA,
      results.map((r) => entryOf(r.id, r.result, r.metric)),
    );
    const failing = { ...makeResult("toy/a", "relu", 2, 0), id: "toya-relu-2" };
    store.registerTrials(runA, [entryOf(failing.id, failing, "rmse")]);
    for (const { id, result } of results) store.finishTrial(runA, id, result);
    const nasty = 'worker said "no", then\nstopped, twice';
    store.failTrial(runA, failing.id, nasty, 3);
    store.recordEvent(runA, {
      level: "error",
      message: `trial ${failing.id} failed: out of memory`,
    });
    store.finishRun(runA, "done");
    store.close();
    const storeB = openStore(path, { now: manualClock("2025-03-04T05:06:07.000Z").now });
    const runB = storeB.createRun({ command: "search", config: {}, configHash: "bbbb", machine });
    storeB.close();

    const garbage = join(dir, "garbage.db");
    writeFileSync(garbage, "this is not a database at all, not even close".repeat(20));
    const jsonFile = join(dir, "out", "trials.json");
    mkdirSync(join(dir, "out"));
    const prefixA = runA.slice(0, 10); // "r-20250102": only run A
    const [ls, show, showJson, csv, jsonOut, unknown, notSqlite] = await inBatches(
      [
        () => nonlin(["runs", "ls", "--store", path]),
        // no --store: nonlin.db in the working directory
        () => nonlin(["runs", "show", prefixA], dir),
        () => nonlin(["runs", "show", runA, "--store", path, "--json"]),
        () => nonlin(["runs", "export", prefixA, "--store", path, "--format", "csv"]),
        () => nonlin(["runs", "export", runA, "--store", path, "--out", jsonFile]),
        () => nonlin(["runs", "show", "r-nope"], dir),
        () => nonlin(["runs", "ls", "--store", garbage]),
      ],
      4,
    );

    assert.equal(ls!.code, 0, ls!.stderr);
    assert.match(
      ls!.stdout,
      // name: the config's own (the API gave no file name); headline: relu's (0.1 + 0.3)/2 on
      // the first task, the best mean there
      new RegExp(
        `${runA}\\s+bench\\s+demo\\s+jax/wasm\\s+done\\s+2025-01-02 03:04:05\\s+8/9 \\(1 failed\\)\\s+best relu: test rmse 0\\.2000 on toy/a \\(\\+1 task\\)`,
      ),
    );
    assert.match(ls!.stdout, new RegExp(`${runB}\\s+search\\s+-\\s+jax/wasm\\s+running`));
    assert.ok(ls!.stdout.indexOf(runB) < ls!.stdout.indexOf(runA), "newest first");

    assert.equal(show!.code, 0, show!.stderr);
    assert.match(show!.stdout, new RegExp(`run ${runA}: bench, done`));
    assert.match(show!.stdout, /toy\/a — test rmse, lower is better/);
    assert.match(show!.stdout, /img\/b — test accuracy, higher is better/);
    // independent means: relu on toy/a (0.1+0.3)/2, kan on img/b (0.9+0.95)/2, each ranked first
    assert.match(
      show!.stdout,
      new RegExp(`\\n\\s+1\\s+relu\\s+2\\s+${meanOf([0.1, 0.3]).toPrecision(4)}`),
    );
    assert.match(
      show!.stdout,
      new RegExp(`\\n\\s+1\\s+kan\\s+2\\s+${meanOf([0.9, 0.95]).toPrecision(4)}`),
    );
    assert.match(show!.stdout, /1 failed/);
    assert.match(show!.stdout, /error trial toya-relu-2 failed: out of memory/);

    assert.equal(showJson!.code, 0, showJson!.stderr);
    const summary = JSON.parse(showJson!.stdout) as {
      trials: { done: number; failed: number };
      leaderboard: {
        task: string;
        candidate: string;
        n: number;
        meanTestMetric: number;
        sdTestMetric: number;
        rank: number;
      }[];
    };
    assert.deepEqual(summary.trials, { total: 9, pending: 0, running: 0, done: 8, failed: 1 });
    for (const [key, values] of Object.entries(planted)) {
      const [task, candidate] = key.split(" ");
      const row = summary.leaderboard.find((r) => r.task === task && r.candidate === candidate)!;
      assert.equal(row.n, 2);
      assert.ok(Math.abs(row.meanTestMetric - meanOf(values)) < 1e-15);
      const sd = Math.abs(values[0]! - values[1]!) / Math.SQRT2; // sample sd of two values
      assert.ok(Math.abs(row.sdTestMetric - sd) < 1e-15, `${key} sd ${row.sdTestMetric} vs ${sd}`);
    }
    assert.deepEqual(
      summary.leaderboard.map((r) => [r.task, r.candidate, r.rank]),
      [
        ["toy/a", "relu", 1],
        ["toy/a", "tanh", 2],
        ["img/b", "kan", 1],
        ["img/b", "relu", 2],
      ],
    );

    assert.equal(csv!.code, 0, csv!.stderr);
    const table = parseCsv(csv!.stdout);
    assert.equal(table.length, 1 + 9, "a header and one row per trial");
    const header = table[0]!;
    assert.deepEqual(header.slice(0, 4), ["run_id", "trial_id", "task", "candidate"]);
    const column = (row: string[], name: string) => row[header.indexOf(name)]!;
    for (const { id, result } of results) {
      const row = table.find((r) => column(r, "trial_id") === id)!;
      assert.equal(column(row, "run_id"), runA);
      assert.equal(Number(column(row, "test_metric")), result.test.metric);
      assert.equal(Number(column(row, "seconds_per_epoch")), result.secondsPerEpoch);
      assert.equal(Number(column(row, "params")), result.params);
      assert.equal(column(row, "status"), "done");
      assert.equal(
        column(row, "test_auc"),
        result.test.auc === undefined ? "" : String(result.test.auc),
      );
    }
    const failedRow = table.find((r) => column(r, "trial_id") === failing.id)!;
    assert.equal(column(failedRow, "error"), nasty);
    assert.equal(column(failedRow, "status"), "failed");
    assert.equal(column(failedRow, "attempts"), "3");

    assert.equal(jsonOut!.code, 0, jsonOut!.stderr);
    assert.equal(jsonOut!.stdout, "");
    const exported = JSON.parse(readFileSync(jsonFile, "utf8")) as {
      run: { id: string };
      trials: unknown[];
      epochs: { trialId: string }[];
      events: unknown[];
    };
    assert.equal(exported.run.id, runA);
    assert.equal(exported.trials.length, 9);
    assert.equal(
      exported.epochs.length,
      results.reduce((n, r) => n + r.result.curve.length, 0),
    );
    assert.equal(exported.events.length, 1);

    assert.equal(unknown!.code, 2);
    assert.match(unknown!.stderr, /no run 'r-nope' in nonlin\.db/);
    assert.equal(notSqlite!.code, 2);
    assert.match(notSqlite!.stderr, /garbage\.db is not a run store: it is not an SQLite database/);
  });
});
