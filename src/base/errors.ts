/**
 * The errors nonlin throws on purpose, each carrying its exit code of the CLI contract: 2 for bad
 * input (the message names the field, argument or position to fix), 1 for a failure while running
 * (the input was fine; the same command may succeed once the cause is gone). The lowest layer:
 * every other folder may import it, it imports nothing.
 */

export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;
export type ExitCode = typeof EXIT_FAILURE | typeof EXIT_BAD_INPUT;

/** Base of every project error: the CLI exits with `exitCode` without knowing the subclass. */
export abstract class NonlinError extends Error {
  abstract readonly exitCode: ExitCode;
}

/** Bad input: a config, spec, expression, data file, argument or device that cannot be used. */
export abstract class InputError extends NonlinError {
  readonly exitCode = EXIT_BAD_INPUT;
}

/** A failure while running: the input was fine, something in the run or its surroundings was not. */
export abstract class RunError extends NonlinError {
  readonly exitCode = EXIT_FAILURE;
}
