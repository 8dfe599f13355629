/**
 * Exit codes of the CLI contract: each project error carries its own (src/base/errors.ts), 2 for
 * bad input and 1 for a failure while running — which includes a run store SQLite cannot write
 * (StoreWriteError: the input was fine; the same command succeeds once the cause is gone, see
 * docs/store.md). Anything else thrown is a failure while running.
 */
import { EXIT_FAILURE, InputError, NonlinError } from "../base/errors.js";
import type { ExitCode } from "../base/errors.js";
import { ExprSyntaxError } from "../expr/errors.js";

/** Bad input from the user: a message that names the argument, field or position. */
export class UsageError extends InputError {
  override name = "UsageError";
}

/** The exit code of a command that failed with `error`. */
export const exitCodeOf = (error: unknown): ExitCode =>
  error instanceof NonlinError ? error.exitCode : EXIT_FAILURE;

/** The text a user sees for an error: never a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof ExprSyntaxError) return `error: bad expression: ${error.pointer()}`;
  if (error instanceof Error) return `error: ${error.message}`;
  return `error: ${String(error)}`;
}
