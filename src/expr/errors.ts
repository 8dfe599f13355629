import { InputError } from "../base/errors.js";

/** A problem in expression text, located by line and column (both from 1). */
export class ExprSyntaxError extends InputError {
  override name = "ExprSyntaxError";
  constructor(
    readonly problem: string,
    readonly line: number,
    readonly column: number,
    readonly source: string,
  ) {
    super(`line ${line}, column ${column}: ${problem}`);
  }

  /** The message with the offending line and a caret under the column, for terminals. */
  pointer(): string {
    const text = this.source.split("\n")[this.line - 1] ?? "";
    return `${this.message}\n  ${text}\n  ${" ".repeat(Math.max(0, this.column - 1))}^`;
  }
}

/** An expression that is well-formed text but cannot be used as asked (e.g. exported). */
export class ExprError extends InputError {
  override name = "ExprError";
}
