/**
 * Exit codes of the CLI contract: 2 for bad input, 1 for a failure while running — which includes
 * a run store SQLite cannot write (locked, disk full, read-only, I/O error: StoreWriteError). The
 * input was fine there; the same command succeeds once the cause is gone (docs/store.md).
 */
import { BenchConfigError } from "../bench/config.js";
import { ExecError } from "../exec/executor.js";
import { SearchConfigError } from "../search/config.js";
import { DataError } from "../data/task.js";
import { ExprError, ExprSyntaxError } from "../expr/errors.js";
import { LayerSpecError } from "../nn/layer.js";
import { StoreError, StoreWriteError } from "../store/errors.js";
import { OptimizerSpecError } from "../train/optim/spec.js";

export const EXIT_BAD_INPUT = 2;
export const EXIT_FAILURE = 1;

/** Bad input from the user: a message that names the argument, field or position. */
export class UsageError extends Error {
  override name = "UsageError";
}

export function isBadInput(error: unknown): boolean {
  if (error instanceof StoreWriteError) return false;
  return (
    error instanceof UsageError ||
    error instanceof ExprSyntaxError ||
    error instanceof ExprError ||
    error instanceof LayerSpecError ||
    error instanceof DataError ||
    error instanceof OptimizerSpecError ||
    error instanceof BenchConfigError ||
    error instanceof SearchConfigError ||
    error instanceof ExecError ||
    error instanceof StoreError
  );
}

/** The exit code of a command that failed with `error`. */
export const exitCodeOf = (error: unknown): number =>
  isBadInput(error) ? EXIT_BAD_INPUT : EXIT_FAILURE;

/** The text a user sees for an error: never a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof ExprSyntaxError) return `error: bad expression: ${error.pointer()}`;
  if (error instanceof Error) return `error: ${error.message}`;
  return `error: ${String(error)}`;
}
