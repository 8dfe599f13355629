/**
 * Opening a store file safely: a path in a missing directory, a file that is not SQLite, a corrupt
 * file, a file of another application and a store written by a newer nonlin are each refused with
 * a StoreError naming the path — before anything is written, so the file is left as it was.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { StoreError } from "./errors.js";
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from "./schema.js";
import { writeErrorOf } from "./write-errors.js";

export interface OpenDatabaseOptions {
  /** Read only: nothing is created, migrated or written. */
  readonly?: boolean;
  /** Refuse a path where no store exists yet instead of creating one (default: create). */
  mustExist?: boolean;
  /** How long a write waits for another process's lock (default DEFAULT_BUSY_TIMEOUT_MS). */
  busyTimeoutMs?: number;
}

const SQLITE_HEADER = "SQLite format 3\u0000";
/** How long a writer waits for another process's write lock before giving up. */
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

function readHeader(path: string): string {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(SQLITE_HEADER.length);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read).toString("latin1");
  } finally {
    closeSync(fd);
  }
}

/** Checks the path before SQLite touches it; returns whether a store file is already there. */
function checkPath(path: string, options: OpenDatabaseOptions): boolean {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats) {
    if (options.readonly || options.mustExist)
      throw new StoreError(
        `no run store at ${path} (fit, bench and search create one; --store PATH names another)`,
      );
    const dir = dirname(path);
    const dirStats = statSync(dir, { throwIfNoEntry: false });
    if (!dirStats)
      throw new StoreError(`cannot create the store ${path}: directory ${dir} does not exist`);
    if (!dirStats.isDirectory())
      throw new StoreError(`cannot create the store ${path}: ${dir} is not a directory`);
    return false;
  }
  if (!stats.isFile()) throw new StoreError(`${path} is not a run store: it is not a file`);
  // SQLite would make an empty file a store; where none may be created, it is no store yet
  if (stats.size === 0 && (options.readonly || options.mustExist))
    throw new StoreError(
      `no run store at ${path}: the file is empty (fit, bench and search create one; --store PATH names another)`,
    );
  // an empty file is an empty SQLite database; anything else must start with SQLite's header
  if (stats.size > 0 && readHeader(path) !== SQLITE_HEADER)
    throw new StoreError(`${path} is not a run store: it is not an SQLite database`);
  return true;
}

/** Rows of `PRAGMA quick_check`: ["ok"] for a sound file (it reads every page, writes nothing). */
function checkIntegrity(db: Database.Database, path: string): void {
  const rows = db.pragma("quick_check") as { quick_check: string }[];
  const problems = rows.map((row) => row.quick_check).filter((text) => text !== "ok");
  if (problems.length > 0)
    throw new StoreError(
      `${path} is corrupt (SQLite quick_check: ${problems.slice(0, 3).join("; ")}); restore it from a copy or use another --store`,
    );
}

function checkVersion(db: Database.Database, path: string, readonly: boolean): number {
  const version = db.pragma("user_version", { simple: true }) as number;
  const applicationId = db.pragma("application_id", { simple: true }) as number;
  const tables = (
    db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as {
      n: number;
    }
  ).n;
  if (applicationId !== APPLICATION_ID && (version !== 0 || tables > 0))
    throw new StoreError(`${path} is an SQLite database but not a nonlin run store`);
  if (version > SCHEMA_VERSION)
    throw new StoreError(
      `${path} was written by a newer nonlin (schema ${version}, this one reads up to ${SCHEMA_VERSION}); upgrade nonlin or use another --store`,
    );
  if (readonly && version < SCHEMA_VERSION)
    throw new StoreError(
      `${path} has schema ${version} and needs upgrading to ${SCHEMA_VERSION}, which a read-only open cannot do; open it for writing once (e.g. nonlin runs ls --store ${path})`,
    );
  return version;
}

/** Applies the missing migration steps, all in one transaction (all of them or none). */
export function migrate(db: Database.Database, from: number): void {
  const steps = MIGRATIONS.filter((step) => step.version > from);
  if (steps.length === 0) return;
  db.transaction(() => {
    for (const step of steps) db.exec(step.sql);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

function describeSqliteError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message;
  return code ? `${message} (${code})` : message;
}

/** Opens (creating or migrating as allowed) the SQLite file of a store, in WAL mode. */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database.Database {
  const readonly = Boolean(options.readonly);
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const existed = checkPath(path, options);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly, fileMustExist: existed, timeout: busyTimeoutMs });
  } catch (error) {
    throw new StoreError(`cannot open the store ${path}: ${describeSqliteError(error)}`);
  }
  try {
    let version = 0;
    try {
      if (existed) checkIntegrity(db, path);
      version = checkVersion(db, path, readonly);
    } catch (error) {
      if (error instanceof StoreError) throw error;
      // SQLITE_NOTADB, SQLITE_CORRUPT: what a damaged file gives before quick_check can answer
      throw new StoreError(`${path} is not a readable run store: ${describeSqliteError(error)}`);
    }
    db.pragma("foreign_keys = ON");
    if (!readonly) {
      let action = "switching it to WAL mode";
      try {
        // WAL: readers never block the writer; FULL: a committed trial survives a power cut too
        const mode = db.pragma("journal_mode = WAL", { simple: true });
        if (mode !== "wal")
          throw new StoreError(
            `${path}: cannot switch the store to WAL mode (got ${String(mode)})`,
          );
        db.pragma("synchronous = FULL");
        action =
          version === 0
            ? "creating its tables"
            : `upgrading it from schema ${version} to ${SCHEMA_VERSION}`;
        migrate(db, version);
      } catch (error) {
        throw writeErrorOf(error, path, action, busyTimeoutMs) ?? error;
      }
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
