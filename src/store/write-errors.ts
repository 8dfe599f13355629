/**
 * SQLite's write failures — a lock held too long by another process, a full disk, a read-only
 * file, an I/O error — turned into a StoreWriteError that names the store, what was being written
 * and what the code means in plain words. Other SQLite errors (a constraint, a misuse) are bugs,
 * not the surroundings, and are left as they are.
 */
import { StoreWriteError } from "./errors.js";

/** Plain meanings of SQLite's primary result codes that the file's surroundings cause. */
const MEANINGS: Record<string, (busySeconds: number) => string> = {
  SQLITE_BUSY: (s) =>
    `the database is locked by another process, which held its lock longer than the ${s} s this one waits`,
  SQLITE_LOCKED: () => "the database is locked by another connection of this process",
  SQLITE_FULL: () => "the disk is full",
  SQLITE_READONLY: () =>
    "the store is read-only (the file, its directory or the file system does not allow writing)",
  SQLITE_IOERR: () => "the disk or file system reported an I/O error",
  SQLITE_CANTOPEN: () =>
    "SQLite cannot open the file or its -wal/-shm files (permissions, or the directory is gone)",
  SQLITE_PERM: () => "the operating system denied access to the file",
  SQLITE_NOMEM: () => "SQLite ran out of memory",
  SQLITE_CORRUPT: () => "the file is corrupt",
  SQLITE_PROTOCOL: () => "SQLite's file locking failed (another process keeps taking the lock)",
};

/** Meanings of extended codes that say more than their primary code. */
const EXTENDED: Record<string, string> = {
  SQLITE_READONLY_DBMOVED: "the store file was moved or deleted while it was open",
};

/** SQLite's result code of an error from better-sqlite3 ("SQLITE_BUSY", "SQLITE_IOERR_WRITE"). */
export function sqliteCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_") ? code : undefined;
}

/** The plain meaning of an error SQLite gave while writing; undefined when it is not one. */
export function meaningOf(code: string, busyTimeoutMs: number): string | undefined {
  if (EXTENDED[code] !== undefined) return EXTENDED[code];
  const primary = /^SQLITE_[A-Z]+/.exec(code)?.[0] ?? code;
  return MEANINGS[primary]?.(busyTimeoutMs / 1000);
}

/**
 * A StoreWriteError for `error` when SQLite failed because of the file's surroundings, else
 * undefined (the caller rethrows the error as it is).
 */
export function writeErrorOf(
  error: unknown,
  path: string,
  action: string,
  busyTimeoutMs: number,
): StoreWriteError | undefined {
  const code = sqliteCodeOf(error);
  if (code === undefined) return undefined;
  const meaning = meaningOf(code, busyTimeoutMs);
  if (meaning === undefined) return undefined;
  const detail = (error as Error).message;
  return new StoreWriteError(
    `cannot write the run store ${path} while ${action}: ${meaning} (${code}: ${detail})`,
    path,
    action,
    code,
    { cause: error },
  );
}

/** The code of a store whose file was moved or deleted while open (SQLite's own name for it). */
export const MOVED_CODE = "SQLITE_READONLY_DBMOVED";

/**
 * The error for a write to a store whose file is no longer at its path. SQLite in WAL mode does
 * not notice: it goes on writing a -wal file beside the old path, which the moved file never
 * reads — every later write would be lost without a word.
 */
export function movedStoreError(path: string, action: string): StoreWriteError {
  return new StoreWriteError(
    `cannot write the run store ${path} while ${action}: ${EXTENDED[MOVED_CODE]} (its latest writes are in ${path}-wal; move the file back to ${path} before opening it again)`,
    path,
    action,
    MOVED_CODE,
  );
}
