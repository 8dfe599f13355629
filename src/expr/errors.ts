import { InputError } from "../base/errors.js";

const POINTER_WIDTH = 80;

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

  /** The message with the offending line and a caret under the column, for terminals; a line
   * longer than POINTER_WIDTH (generated text) is shown around the column only. */
  pointer(): string {
    const text = this.source.split("\n")[this.line - 1] ?? "";
    const start = Math.max(
      0,
      Math.min(this.column - 1 - POINTER_WIDTH / 2, text.length - POINTER_WIDTH),
    );
    const end = Math.min(text.length, start + POINTER_WIDTH);
    const before = start > 0 ? "…" : "";
    const after = end < text.length ? "…" : "";
    const caret = " ".repeat(Math.max(0, this.column - 1 - start + before.length));
    return `${this.message}\n  ${before}${text.slice(start, end)}${after}\n  ${caret}^`;
  }
}

/** A statistic of something that is one number (no x, no per-channel or per-neuron parameter). */
export class ConstantStatisticError extends ExprSyntaxError {
  override name = "ConstantStatisticError";
}

/** An expression that is well-formed text but cannot be used as asked (e.g. exported). */
export class ExprError extends InputError {
  override name = "ExprError";
}
