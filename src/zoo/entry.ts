/** A named activation: its expression text plus where it comes from. */
import type { Activation } from "../expr/ast.js";
import { parseActivation } from "../expr/parse.js";

export interface ZooEntry {
  /** Lower-case, hyphenated: the name users type. */
  readonly name: string;
  readonly family: string;
  /** The paper (by title) or library the definition follows. */
  readonly source: string;
  /** The definition in the expression language, with parameter declarations. */
  readonly text: string;
  /** Choices the source leaves open, and what we chose. */
  readonly notes?: string;
}

export function activationOf(entry: ZooEntry): Activation {
  return parseActivation(entry.text);
}
