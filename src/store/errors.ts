import type { ExitCode } from "../base/errors.js";
import { EXIT_BAD_INPUT, EXIT_FAILURE, NonlinError } from "../base/errors.js";

/** Errors of the run store that a user can act on (a path, a run id): exit code 2 in the CLI. */
export class StoreError extends NonlinError {
  override name = "StoreError";
  // not InputError's fixed 2: StoreWriteError, a StoreError too, is a failure while running
  readonly exitCode: ExitCode = EXIT_BAD_INPUT;
}

/**
 * SQLite could not write the store (locked by another process, disk full, read-only, I/O error):
 * the command's input was fine, the file's surroundings were not. What was committed before stays
 * committed (every write is one transaction). The CLI exits 1 for it, not 2 (see docs/store.md).
 */
export class StoreWriteError extends StoreError {
  override name = "StoreWriteError";
  override readonly exitCode = EXIT_FAILURE;

  constructor(
    message: string,
    /** The store file, as given. */
    readonly path: string,
    /** What was being written, e.g. "recording trial T of run R". */
    readonly action: string,
    /** SQLite's (extended) result code, e.g. "SQLITE_BUSY", "SQLITE_IOERR_WRITE". */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
