/**
 * The run store: every run, trial, learning curve, cost, artifact and event of nonlin in one SQLite
 * file (WAL mode). A trial's identity is its hash (TrialJob.id): registering is insert-or-ignore,
 * all of a finished trial's rows are written in one transaction (a kill leaves the whole trial or
 * none of it), and a trial already done is never recorded — nor, by its caller, trained — again.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type Database from "better-sqlite3";
import type { TrialResult } from "../bench/results.js";
import { decodeExactJson, encodeExactJson } from "./codec.js";
import { csvText } from "./csv.js";
import { StoreError } from "./errors.js";
import type { RunComparison } from "./compare.js";
import { compareRuns, runCells } from "./compare.js";
import { computedHeadline } from "./headline.js";
import { leaderboardOf } from "./leaderboard.js";
import { thisProcess } from "./liveness.js";
import { DEFAULT_BUSY_TIMEOUT_MS, openDatabase } from "./open.js";
import type {
  ArtifactRecord,
  EpochRow,
  EventRecord,
  FitEpochRow,
  FitPhaseRow,
  NewArtifact,
  NewEvent,
  NewRun,
  RunExport,
  RunListing,
  RunOwner,
  RunRecord,
  RunStatus,
  RunSummary,
  TrialCounts,
  TrialEntry,
  TrialRow,
} from "./types.js";
import { EVENT_LEVELS, RUN_STATUSES } from "./types.js";
import { codeVersion } from "./version.js";
import { movedStoreError, writeErrorOf } from "./write-errors.js";

export interface OpenStoreOptions {
  /** Read only: nothing is created, migrated or written (SQLite may leave -wal/-shm files). */
  readonly?: boolean;
  /** Refuse a path where no store exists yet (default: create one). */
  mustExist?: boolean;
  /** The clock (tests pin it). */
  now?: () => Date;
  /** How long a write waits for another process's lock before failing (default 10 s). */
  busyTimeoutMs?: number;
  /** The process recorded as a new or resumed run's owner (default: this one, on this host). */
  owner?: RunOwner;
}

/** The store file when no --store is given: nonlin.db in the working directory. */
export const defaultStorePath = (): string => "nonlin.db";

const snakeCase = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The columns of a trial row, in export (and CSV) order. */
export const TRIAL_COLUMNS: readonly (keyof TrialRow)[] = [
  "runId",
  "trialId",
  "task",
  "candidate",
  "seedIndex",
  "seed",
  "configHash",
  "metric",
  "status",
  "attempts",
  "started",
  "finished",
  "error",
  "valLoss",
  "valMetric",
  "testLoss",
  "testMetric",
  "testAuc",
  "selectedEpoch",
  "epochs",
  "diverged",
  "width",
  "params",
  "flops",
  "trainFlops",
  "secondsPerEpoch",
  "throughput",
  "peakMemoryBytes",
  "wallSeconds",
];

/** The CSV header: the trial columns in snake_case (as in the SQL table). */
export const TRIAL_CSV_COLUMNS: readonly string[] = TRIAL_COLUMNS.map(snakeCase);

const TRIAL_SELECT = `SELECT ${TRIAL_COLUMNS.map((k) => `${snakeCase(k)} AS ${k}`).join(", ")} FROM trials`;

interface RunSqlRow {
  id: string;
  command: string;
  config_json: string;
  config_hash: string;
  code_version: string;
  machine_cpus: number;
  machine_platform: string;
  machine_node: string;
  machine_device: string;
  machine_engine: string | null;
  machine_versions: string | null;
  started: string;
  finished: string | null;
  status: RunStatus;
  pid: number | null;
  host: string | null;
  pid_started: string | null;
  name: string | null;
  out_dir: string | null;
  headline: string | null;
}

interface TrialStateRow {
  task: string;
  candidate: string;
  seed_index: number;
  seed: number;
  status: string;
  started: string | null;
}

type OwnerColumns = { pid: number | null; host: string | null; pid_started: string | null };

const ownerOf = (row: OwnerColumns): RunOwner | null =>
  row.pid === null || row.host === null
    ? null
    : {
        pid: row.pid,
        host: row.host,
        ...(row.pid_started === null ? {} : { started: row.pid_started }),
      };

const runOf = (row: RunSqlRow): RunRecord => ({
  id: row.id,
  command: row.command,
  config: JSON.parse(row.config_json) as unknown,
  configHash: row.config_hash,
  codeVersion: row.code_version,
  machine: {
    cpus: row.machine_cpus,
    platform: row.machine_platform,
    node: row.machine_node,
    device: row.machine_device,
    ...(row.machine_engine === null ? {} : { engine: row.machine_engine }),
    ...(row.machine_versions === null
      ? {}
      : { versions: JSON.parse(row.machine_versions) as Record<string, string> }),
  },
  started: row.started,
  finished: row.finished,
  status: row.status,
  owner: ownerOf(row),
  name: row.name,
  outDir: row.out_dir,
  headline: row.headline,
});

const trialOf = (row: Omit<TrialRow, "diverged"> & { diverged: number | null }): TrialRow => ({
  ...row,
  diverged: row.diverged === null ? null : row.diverged !== 0,
});

const COUNTS_SQL = `count(t.trial_id) AS total,
  coalesce(sum(t.status = 'pending'), 0) AS pending,
  coalesce(sum(t.status = 'running'), 0) AS running,
  coalesce(sum(t.status = 'done'), 0) AS done,
  coalesce(sum(t.status = 'failed'), 0) AS failed`;

const countsOf = (row: TrialCounts): TrialCounts => ({
  total: row.total,
  pending: row.pending,
  running: row.running,
  done: row.done,
  failed: row.failed,
});

/** A run's name: as stored (fit: its config file), else its config's own (bench and search). */
function runName(stored: string | null, config: unknown): string | null {
  const named = (config as { name?: unknown } | null)?.name;
  return stored ?? (typeof named === "string" ? named : null);
}

/** NaN and ±Infinity as NULL (SQLite's REAL has no NaN). */
const finiteOrNull = (value: number | null): number | null =>
  value !== null && Number.isFinite(value) ? value : null;

/** Device and inode of a file, or undefined when there is none at the path. */
function fileIdentity(path: string): string | undefined {
  const stats = statSync(path, { throwIfNoEntry: false, bigint: true });
  return stats ? `${stats.dev}:${stats.ino}` : undefined;
}

/** r-YYYYMMDD-HHMMSS-xxxx (UTC, 4 random hex digits): sorts by time, readable, short. */
function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `r-${stamp}-${randomBytes(2).toString("hex")}`;
}

export class RunStore {
  private readonly now: () => Date;
  private readonly owner: RunOwner;
  private readonly busyTimeoutMs: number;
  /** Nesting depth of write(): only the outermost names the action in an error. */
  private writing = 0;
  /** The file's identity when opened (undefined for a store without a file). */
  private readonly identity: string | undefined;

  constructor(
    private readonly db: Database.Database,
    /** The store file, as given (for messages). */
    readonly path: string,
    options: Pick<OpenStoreOptions, "now" | "owner" | "busyTimeoutMs"> = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.owner = options.owner ?? thisProcess();
    this.busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.identity = fileIdentity(path);
  }

  private time(): string {
    return this.now().toISOString();
  }

  /**
   * Runs a write; SQLite failing because of the file's surroundings (locked, disk full,
   * read-only, I/O error) becomes a StoreWriteError saying what was being written. Every write is
   * one transaction, so it left nothing behind and what was committed before stays.
   */
  private write<T>(action: string, fn: () => T): T {
    if (this.writing > 0) return fn();
    // a moved store would take the write into a -wal file nobody reads again (see write-errors.ts)
    if (this.identity !== undefined && fileIdentity(this.path) !== this.identity)
      throw movedStoreError(this.path, action);
    this.writing++;
    try {
      return fn();
    } catch (error) {
      throw writeErrorOf(error, this.path, action, this.busyTimeoutMs) ?? error;
    } finally {
      this.writing--;
    }
  }

  /** A write that is one IMMEDIATE transaction (it takes the write lock before reading). */
  private writeTransaction<T>(action: string, fn: () => T): T {
    return this.write(action, () => this.db.transaction(fn).immediate());
  }

  private runRow(runId: string): RunSqlRow | undefined {
    return this.db.prepare("SELECT * FROM runs WHERE id = ?").get(runId) as RunSqlRow | undefined;
  }

  private requireRun(runId: string): RunSqlRow {
    const row = this.runRow(runId);
    if (!row) throw new StoreError(`no run '${runId}' in ${this.path}`);
    return row;
  }

  private trialState(runId: string, trialId: string): TrialStateRow | undefined {
    return this.db
      .prepare(
        "SELECT task, candidate, seed_index, seed, status, started FROM trials WHERE run_id = ? AND trial_id = ?",
      )
      .get(runId, trialId) as TrialStateRow | undefined;
  }

  private requireTrial(runId: string, trialId: string): TrialStateRow {
    const row = this.trialState(runId, trialId);
    if (!row) {
      this.requireRun(runId);
      throw new StoreError(`run ${runId} has no trial ${trialId} in ${this.path}`);
    }
    return row;
  }

  /** Starts a run (status running, owned by this process) and returns its id. */
  createRun(run: NewRun): string {
    return this.write(`creating a ${run.command} run`, () => this.insertRun(run));
  }

  private insertRun(run: NewRun): string {
    const started = this.now();
    const insert = this.db.prepare(
      `INSERT INTO runs (id, command, config_json, config_hash, code_version, machine_cpus,
         machine_platform, machine_node, machine_device, machine_engine, machine_versions, started,
         status, pid, host, pid_started, name, out_dir)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)`,
    );
    for (let attempt = 0; ; attempt++) {
      const id = newRunId(started);
      if (this.runRow(id)) {
        if (attempt < 20) continue;
        throw new StoreError(`${this.path}: could not find a free run id`);
      }
      insert.run(
        id,
        run.command,
        JSON.stringify(run.config ?? null),
        run.configHash,
        run.codeVersion ?? codeVersion(),
        run.machine.cpus,
        run.machine.platform,
        run.machine.node,
        run.machine.device,
        run.machine.engine ?? null,
        run.machine.versions ? JSON.stringify(run.machine.versions) : null,
        started.toISOString(),
        this.owner.pid,
        this.owner.host,
        this.owner.started ?? null,
        run.name ?? null,
        run.outDir ?? null,
      );
      return id;
    }
  }

  getRun(runId: string): RunRecord | undefined {
    const row = this.runRow(runId);
    return row ? runOf(row) : undefined;
  }

  /** The run whose id is `prefix` or, failing that, the only one starting with it. */
  findRun(prefix: string): RunRecord {
    const exact = this.runRow(prefix);
    if (exact) return runOf(exact);
    const rows = this.db
      .prepare(
        "SELECT * FROM runs WHERE substr(id, 1, length(@prefix)) = @prefix ORDER BY started, id",
      )
      .all({ prefix }) as RunSqlRow[];
    if (rows.length === 1) return runOf(rows[0]!);
    if (rows.length === 0)
      throw new StoreError(`no run '${prefix}' in ${this.path} (nonlin runs ls lists them)`);
    const shown = rows.slice(0, 5).map((r) => r.id);
    throw new StoreError(
      `run '${prefix}' is ambiguous in ${this.path}: it matches ${rows.length} runs (${shown.join(", ")}${rows.length > 5 ? ", …" : ""})`,
    );
  }

  /** Sets a run's status; finished is stamped unless the status is 'running'. */
  finishRun(runId: string, status: RunStatus): void {
    if (!RUN_STATUSES.includes(status))
      throw new StoreError(`run status must be one of ${RUN_STATUSES.join(", ")}, got '${status}'`);
    this.requireRun(runId);
    this.write(`marking run ${runId} ${status}`, () =>
      this.db
        .prepare("UPDATE runs SET status = ?, finished = ? WHERE id = ?")
        .run(status, status === "running" ? null : this.time(), runId),
    );
  }

  /**
   * On resume: the run is running again and its trials a killed process left 'running' go back to
   * pending (a partial trial restarts from scratch); this process becomes its owner. Returns how
   * many trials were reset.
   */
  reopenRun(runId: string): number {
    return this.writeTransaction(`reopening run ${runId}`, () => {
      this.finishRun(runId, "running");
      this.db
        .prepare("UPDATE runs SET pid = ?, host = ?, pid_started = ? WHERE id = ?")
        .run(this.owner.pid, this.owner.host, this.owner.started ?? null, runId);
      return this.resetRunningTrials(runId);
    });
  }

  /** Trials left 'running' go back to 'pending'; returns how many. */
  resetRunningTrials(runId: string): number {
    this.requireRun(runId);
    return this.write(
      `resetting the running trials of run ${runId}`,
      () =>
        this.db
          .prepare(
            "UPDATE trials SET status = 'pending', started = NULL WHERE run_id = ? AND status = 'running'",
          )
          .run(runId).changes,
    );
  }

  /** Registers trials as pending; those already registered are left as they are. Returns how many were new. */
  registerTrials(runId: string, trials: readonly TrialEntry[]): number {
    const run = this.requireRun(runId);
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO trials (run_id, trial_id, task, candidate, seed_index, seed, config_hash, metric, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
    );
    return this.writeTransaction(`registering ${trials.length} trial(s) of run ${runId}`, () => {
      let added = 0;
      for (const t of trials)
        added += insert.run(
          runId,
          t.id,
          t.task,
          t.candidate,
          t.seedIndex,
          t.seed,
          t.configHash ?? run.config_hash,
          t.metric ?? null,
        ).changes;
      return added;
    });
  }

  /**
   * Marks a trial running (attempts + 1). Returns false, changing nothing, when it is already
   * done: a finished trial is never trained again.
   */
  startTrial(runId: string, trialId: string): boolean {
    return this.writeTransaction(`starting trial ${trialId} of run ${runId}`, () => {
      const row = this.requireTrial(runId, trialId);
      if (row.status === "done") return false;
      this.db
        .prepare(
          `UPDATE trials SET status = 'running', attempts = attempts + 1, started = ?, finished = NULL
         WHERE run_id = ? AND trial_id = ?`,
        )
        .run(this.time(), runId, trialId);
      return true;
    });
  }

  /**
   * Records a finished trial — its row, final metrics, cost, every epoch and the exact
   * TrialResult — in one transaction. A trial not registered yet is registered from the result.
   * Returns false, changing nothing, when the trial is already done.
   */
  finishTrial(
    runId: string,
    trialId: string,
    result: TrialResult,
    options: { wallSeconds?: number } = {},
  ): boolean {
    return this.writeTransaction(`recording trial ${trialId} of run ${runId}`, () => {
      let row = this.trialState(runId, trialId);
      if (row?.status === "done") return false;
      if (!row) {
        this.registerTrials(runId, [
          {
            id: trialId,
            task: result.task,
            candidate: result.candidate,
            seedIndex: result.seedIndex,
            seed: result.seed,
          },
        ]);
        row = this.requireTrial(runId, trialId);
      }
      if (
        row.task !== result.task ||
        row.candidate !== result.candidate ||
        row.seed_index !== result.seedIndex ||
        row.seed !== result.seed
      )
        throw new StoreError(
          `trial ${trialId} of run ${runId} is ${row.task} · ${row.candidate} · seed ${row.seed_index} (${row.seed}), but the result is for ${result.task} · ${result.candidate} · seed ${result.seedIndex} (${result.seed})`,
        );
      const now = this.now();
      const wallSeconds =
        options.wallSeconds ??
        (row.started === null ? null : (now.getTime() - Date.parse(row.started)) / 1000);
      this.db
        .prepare(
          `UPDATE trials SET status = 'done', attempts = max(attempts, 1), finished = ?, error = NULL,
           val_loss = ?, val_metric = ?, test_loss = ?, test_metric = ?, test_auc = ?,
           selected_epoch = ?, epochs = ?, diverged = ?, width = ?, params = ?, flops = ?,
           train_flops = ?, seconds_per_epoch = ?, throughput = ?, peak_memory_bytes = ?,
           wall_seconds = ?, result_json = ?
         WHERE run_id = ? AND trial_id = ?`,
        )
        .run(
          now.toISOString(),
          result.val.loss,
          result.val.metric,
          result.test.loss,
          result.test.metric,
          result.test.auc ?? null,
          result.selectedEpoch,
          result.epochs,
          result.diverged ? 1 : 0,
          result.width ?? null,
          result.params,
          result.flops,
          result.trainFlops,
          result.secondsPerEpoch,
          result.throughput,
          result.peakMemoryBytes,
          wallSeconds,
          encodeExactJson(result),
          runId,
          trialId,
        );
      this.db.prepare("DELETE FROM epochs WHERE run_id = ? AND trial_id = ?").run(runId, trialId);
      const insertEpoch = this.db.prepare(
        "INSERT INTO epochs (run_id, trial_id, epoch, train_loss, val_loss, val_metric) VALUES (?, ?, ?, ?, ?, ?)",
      );
      for (const point of result.curve)
        insertEpoch.run(
          runId,
          trialId,
          point.epoch,
          point.trainLoss,
          point.valLoss ?? null,
          point.valMetric ?? null,
        );
      return true;
    });
  }

  /**
   * Records a trial that failed for good after `attempts` tries. Returns false, changing nothing,
   * when the trial is already done.
   */
  failTrial(runId: string, trialId: string, error: string, attempts: number): boolean {
    return this.writeTransaction(
      `recording the failure of trial ${trialId} of run ${runId}`,
      () => {
        const row = this.requireTrial(runId, trialId);
        if (row.status === "done") return false;
        this.db
          .prepare(
            `UPDATE trials SET status = 'failed', error = ?, attempts = ?, finished = ?
         WHERE run_id = ? AND trial_id = ?`,
          )
          .run(error, attempts, this.time(), runId, trialId);
        return true;
      },
    );
  }

  /**
   * The finished trials of a run, each exactly as recorded, in registration order — or, given
   * `ids`, those of these trials that are finished, in the order given.
   */
  finishedTrials(runId: string, ids?: readonly string[]): Map<string, TrialResult> {
    type Row = { trial_id: string; result_json: string };
    // a search asks for one candidate's trials at a time: reading (and decoding) every finished
    // trial of the run each time would grow with the run
    const one = this.db.prepare(
      "SELECT trial_id, result_json FROM trials WHERE run_id = ? AND trial_id = ? AND status = 'done'",
    );
    const rows: Row[] = ids
      ? ids.flatMap((id) => (one.get(runId, id) as Row | undefined) ?? [])
      : (this.db
          .prepare(
            "SELECT trial_id, result_json FROM trials WHERE run_id = ? AND status = 'done' ORDER BY rowid",
          )
          .all(runId) as Row[]);
    return new Map(rows.map((r) => [r.trial_id, decodeExactJson<TrialResult>(r.result_json)]));
  }

  listTrials(runId: string): TrialRow[] {
    return (
      this.db.prepare(`${TRIAL_SELECT} WHERE run_id = ? ORDER BY rowid`).all(runId) as Parameters<
        typeof trialOf
      >[0][]
    ).map(trialOf);
  }

  listEpochs(runId: string): EpochRow[] {
    return this.db
      .prepare(
        `SELECT e.trial_id AS trialId, e.epoch, e.train_loss AS trainLoss, e.val_loss AS valLoss,
           e.val_metric AS valMetric
         FROM epochs e JOIN trials t ON t.run_id = e.run_id AND t.trial_id = e.trial_id
         WHERE e.run_id = ? ORDER BY t.rowid, e.epoch`,
      )
      .all(runId) as EpochRow[];
  }

  /** Sets the one-line headline `runs ls` shows for the run (search, sr and fit set one). */
  setHeadline(runId: string, headline: string): void {
    this.requireRun(runId);
    this.write(`recording the headline of run ${runId}`, () =>
      this.db.prepare("UPDATE runs SET headline = ? WHERE id = ?").run(headline, runId),
    );
  }

  /** Records a fit phase's outcome; a phase recorded again (a resumed fit) is replaced. */
  recordFitPhase(runId: string, row: FitPhaseRow): void {
    this.requireRun(runId);
    this.write(`recording phase ${row.phase + 1} of run ${runId}`, () =>
      this.db
        .prepare(
          `INSERT OR REPLACE INTO fit_phases (run_id, phase, kind, task, metric, diverged, seconds,
             params, train_loss, train_metric, val_loss, val_metric, test_loss, test_metric)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          runId,
          row.phase,
          row.kind,
          row.task,
          row.metric,
          row.diverged ? 1 : 0,
          row.seconds,
          row.params,
          ...[
            row.trainLoss,
            row.trainMetric,
            row.valLoss,
            row.valMetric,
            row.testLoss,
            row.testMetric,
          ].map(finiteOrNull),
        ),
    );
  }

  /**
   * Records epochs of a fit's learning curve in one transaction; an epoch recorded again (run
   * again after a resume from an earlier checkpoint) is replaced.
   */
  recordFitEpochs(runId: string, rows: readonly FitEpochRow[]): void {
    if (rows.length === 0) return;
    this.requireRun(runId);
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO fit_epochs (run_id, phase, epoch, train_loss, val_loss, val_metric)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.writeTransaction(`recording ${rows.length} epoch(s) of run ${runId}`, () => {
      for (const row of rows)
        insert.run(
          runId,
          row.phase,
          row.epoch,
          ...[row.trainLoss, row.valLoss, row.valMetric].map(finiteOrNull),
        );
    });
  }

  listFitPhases(runId: string): FitPhaseRow[] {
    return (
      this.db
        .prepare(
          `SELECT phase, kind, task, metric, diverged, seconds, params, train_loss AS trainLoss,
             train_metric AS trainMetric, val_loss AS valLoss, val_metric AS valMetric,
             test_loss AS testLoss, test_metric AS testMetric
           FROM fit_phases WHERE run_id = ? ORDER BY phase`,
        )
        .all(runId) as (Omit<FitPhaseRow, "diverged"> & { diverged: number })[]
    ).map((row) => ({ ...row, diverged: row.diverged !== 0 }));
  }

  listFitEpochs(runId: string): FitEpochRow[] {
    return this.db
      .prepare(
        `SELECT phase, epoch, train_loss AS trainLoss, val_loss AS valLoss, val_metric AS valMetric
         FROM fit_epochs WHERE run_id = ? ORDER BY phase, epoch`,
      )
      .all(runId) as FitEpochRow[];
  }

  recordEvent(runId: string, event: NewEvent): void {
    if (!EVENT_LEVELS.includes(event.level))
      throw new StoreError(
        `event level must be one of ${EVENT_LEVELS.join(", ")}, got '${event.level}'`,
      );
    this.requireRun(runId);
    this.write(`recording an event of run ${runId}`, () =>
      this.db
        .prepare(
          "INSERT INTO events (run_id, trial_id, time, level, message) VALUES (?, ?, ?, ?, ?)",
        )
        .run(runId, event.trialId ?? null, this.time(), event.level, event.message),
    );
  }

  listEvents(runId: string): EventRecord[] {
    return this.db
      .prepare(
        "SELECT run_id AS runId, trial_id AS trialId, time, level, message FROM events WHERE run_id = ? ORDER BY id",
      )
      .all(runId) as EventRecord[];
  }

  /** Records a file the run wrote; its sha256 is read from the file unless given. */
  recordArtifact(runId: string, artifact: NewArtifact): ArtifactRecord {
    this.requireRun(runId);
    let sha256 = artifact.sha256;
    if (sha256 === undefined) {
      if (!statSync(artifact.path, { throwIfNoEntry: false })?.isFile())
        throw new StoreError(`artifact ${artifact.path}: no such file`);
      sha256 = createHash("sha256").update(readFileSync(artifact.path)).digest("hex");
    }
    const record: ArtifactRecord = {
      runId,
      trialId: artifact.trialId ?? null,
      kind: artifact.kind,
      path: artifact.path,
      sha256,
      created: this.time(),
    };
    this.write(`recording the file ${artifact.path} of run ${runId}`, () =>
      this.db
        .prepare(
          "INSERT INTO artifacts (run_id, trial_id, kind, path, sha256, created) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .run(record.runId, record.trialId, record.kind, record.path, record.sha256, record.created),
    );
    return record;
  }

  listArtifacts(runId: string): ArtifactRecord[] {
    return this.db
      .prepare(
        "SELECT run_id AS runId, trial_id AS trialId, kind, path, sha256, created FROM artifacts WHERE run_id = ? ORDER BY id",
      )
      .all(runId) as ArtifactRecord[];
  }

  /** Every run, newest first, with its trial counts, name, engine and headline. */
  listRuns(): RunListing[] {
    type Row = Omit<RunListing, "trials" | "owner" | "engine" | "headline"> &
      TrialCounts &
      OwnerColumns & {
        headline: string | null;
        config_json: string;
        machine_engine: string | null;
        machine_device: string;
      };
    const rows = this.db
      .prepare(
        `SELECT r.id, r.command, r.status, r.started, r.finished, r.config_hash AS configHash,
           r.pid, r.host, r.pid_started, r.name, r.headline, r.config_json, r.machine_engine,
           r.machine_device, ${COUNTS_SQL}
         FROM runs r LEFT JOIN trials t ON t.run_id = r.id
         GROUP BY r.id ORDER BY r.started DESC, r.id DESC`,
      )
      .all() as Row[];
    return rows.map((row) => {
      const trials = countsOf(row);
      const config = JSON.parse(row.config_json) as unknown;
      return {
        id: row.id,
        command: row.command,
        status: row.status,
        started: row.started,
        finished: row.finished,
        configHash: row.configHash,
        owner: ownerOf(row),
        trials,
        // bench and search configs carry a name (a preset's is the preset's); fit stores its file's
        name: runName(row.name, config),
        engine: `${row.machine_engine ?? "jax"}/${row.machine_device}`,
        headline:
          row.headline ??
          computedHeadline({
            command: row.command,
            status: row.status,
            config,
            trials,
            leaderboard: () => leaderboardOf(this.listTrials(row.id)),
            fitPhases: () => this.listFitPhases(row.id),
            lastFitEpoch: () => this.lastFitEpoch(row.id),
          }),
      };
    });
  }

  /** Runs `a` and `b` (ids or unique prefixes) side by side on the tasks they share. */
  compareRuns(a: string, b: string): RunComparison {
    const load = (prefix: string) => {
      const found = this.findRun(prefix);
      const run = { ...found, name: runName(found.name, found.config) };
      return { run, cells: runCells(run, this.listTrials(run.id), this.listFitPhases(run.id)) };
    };
    return compareRuns(load(a), load(b));
  }

  private lastFitEpoch(runId: string): FitEpochRow | undefined {
    return this.db
      .prepare(
        `SELECT phase, epoch, train_loss AS trainLoss, val_loss AS valLoss, val_metric AS valMetric
         FROM fit_epochs WHERE run_id = ? ORDER BY phase DESC, epoch DESC LIMIT 1`,
      )
      .get(runId) as FitEpochRow | undefined;
  }

  trialCounts(runId: string): TrialCounts {
    return countsOf(
      this.db
        .prepare(`SELECT ${COUNTS_SQL} FROM trials t WHERE t.run_id = ?`)
        .get(runId) as TrialCounts,
    );
  }

  runSummary(runId: string): RunSummary {
    const run = runOf(this.requireRun(runId));
    const problems = this.listEvents(runId).filter((e) => e.level !== "info");
    return {
      run,
      trials: this.trialCounts(runId),
      leaderboard: leaderboardOf(this.listTrials(runId)),
      fitPhases: this.listFitPhases(runId),
      problems: problems.slice(-20),
    };
  }

  exportRun(runId: string): RunExport {
    return this.db.transaction(() => ({
      run: runOf(this.requireRun(runId)),
      trials: this.listTrials(runId),
      epochs: this.listEpochs(runId),
      fitPhases: this.listFitPhases(runId),
      fitEpochs: this.listFitEpochs(runId),
      events: this.listEvents(runId),
      artifacts: this.listArtifacts(runId),
    }))();
  }

  /** One CSV row per trial (columns TRIAL_CSV_COLUMNS), RFC 4180. */
  exportCsv(runId: string): string {
    return trialsCsv(this.exportRun(runId).trials);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function trialsCsv(trials: readonly TrialRow[]): string {
  return csvText(
    TRIAL_CSV_COLUMNS,
    trials.map((trial) => TRIAL_COLUMNS.map((key) => trial[key])),
  );
}

/** Opens the store at `path` (created unless readonly or mustExist), migrated to this schema. */
export function openStore(path: string, options: OpenStoreOptions = {}): RunStore {
  const db = openDatabase(path, options);
  return new RunStore(db, path, options);
}
