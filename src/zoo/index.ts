/** The activation zoo: every entry is an expression plus its source. */
import type { Activation } from "../expr/ast.js";
import { canonicalText } from "../expr/hash.js";
import { parseActivation } from "../expr/parse.js";
import { CONTEXT_DEPENDENT } from "./context.js";
import type { ZooEntry } from "./entry.js";
import { activationOf } from "./entry.js";
import { EXPONENTIAL } from "./exponential.js";
import { GATED } from "./gated.js";
import { PERIODIC } from "./periodic.js";
import { PIECEWISE_LINEAR } from "./piecewise-linear.js";
import { POLYNOMIAL } from "./polynomial.js";
import { SATURATING } from "./saturating.js";

export type { ZooEntry } from "./entry.js";
export { activationOf } from "./entry.js";

export const ZOO: readonly ZooEntry[] = [
  ...PIECEWISE_LINEAR,
  ...EXPONENTIAL,
  ...SATURATING,
  ...GATED,
  ...PERIODIC,
  ...POLYNOMIAL,
  ...CONTEXT_DEPENDENT,
];

export function findZooEntry(name: string): ZooEntry | undefined {
  const wanted = name.toLowerCase();
  return ZOO.find((entry) => entry.name === wanted);
}

/** A zoo name or an expression: how every command takes an activation. */
let canonicalTexts: Map<string, ZooEntry> | undefined;

/**
 * The zoo entry an activation equals: the same canonical form (constants folded, terms and
 * operands ordered; parameters, their values and sharing included), e.g. x * tanh(softplus(x))
 * is `mish`. The first entry in zoo order when several share a form.
 */
export function zooEntryEqualTo(activation: Activation): ZooEntry | undefined {
  canonicalTexts ??= new Map(
    [...ZOO].reverse().map((entry) => [canonicalText(activationOf(entry)), entry]),
  );
  return canonicalTexts.get(canonicalText(activation));
}

export function resolveActivation(nameOrExpression: string): {
  activation: Activation;
  entry?: ZooEntry;
} {
  const entry = findZooEntry(nameOrExpression.trim());
  if (entry) return { activation: activationOf(entry), entry };
  return { activation: parseActivation(nameOrExpression) };
}
