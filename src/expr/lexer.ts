/** Splits expression text into tokens, each with its line and column. */
import { ExprSyntaxError } from "./errors.js";

export type TokenKind = "number" | "ident" | "op" | "end";

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

const OPERATORS = ["**", "+", "-", "*", "/", "^", "(", ")", ",", "="];
const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let column = 1;
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === "\n") {
      line++;
      column = 1;
      i++;
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\r") {
      column++;
      i++;
      continue;
    }
    if (ch === "#") {
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    const rest = source.slice(i);
    const match =
      NUMBER.exec(rest)?.[0] ??
      IDENT.exec(rest)?.[0] ??
      OPERATORS.find((op) => rest.startsWith(op));
    if (match === undefined) {
      throw new ExprSyntaxError(`unexpected character '${ch}'`, line, column, source);
    }
    const kind: TokenKind = /^[\d.]/.test(match)
      ? "number"
      : /^[A-Za-z_]/.test(match)
        ? "ident"
        : "op";
    tokens.push({ kind, text: match === "**" ? "^" : match, line, column });
    i += match.length;
    column += match.length;
  }
  tokens.push({ kind: "end", text: "end of input", line, column });
  return tokens;
}
