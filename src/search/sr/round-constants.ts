/**
 * Rounds the constants of a fitted formula to the fewest significant digits the data supports,
 * so that `1.0000000000883866 / exp(dist)` reads `1 / exp(dist)`.
 *
 * The rule (docs/sr.md, "Rounding"): constants are taken one at a time, in pre-order; each gets
 * the first of 0, then 1, 2, …, 16 significant digits whose formula keeps the validation loss
 * within max(raw loss · (1 + RELATIVE_LOSS_TOLERANCE), EXACT_LOSS_FLOOR · var(y)) — the raw loss
 * is always the reference, so the drift cannot add up. In R² terms: 1 − R² grows by at most 1% of
 * itself, or stays below 1e-12 (an exact fit stays exact to rounding error, so 2.5382 stays 2.5382
 * on noiseless data). The result is put back in canonical form (a constant rounded to 0 or 1
 * folds away) and kept only if it still keeps the search's limits.
 */
import type { Expr } from "../../expr/ast.js";
import { canonicalCandidate } from "./canonical.js";
import { EXACT_LOSS_FLOOR } from "./front.js";
import { constantsOf, withConstants } from "./tree.js";

/** The validation loss may grow by this fraction of itself when constants are rounded. */
export const RELATIVE_LOSS_TOLERANCE = 0.01;
/** Significant digits tried, fewest first; float64 needs at most 17 to be exact. */
const MAX_DIGITS = 16;
/** Rounding and re-simplifying may expose new constants (a fold); a few passes settle it. */
const PASSES = 3;

export interface RoundingContext {
  /** Validation MSE of a formula. */
  readonly lossOf: (expr: Expr) => number;
  /** Whether a formula keeps the search's limits (size, depth, operators, constraints). */
  readonly allowed: (expr: Expr) => boolean;
  /** Variance of the validation target (for the exact-fit floor). */
  readonly targetVariance: number;
}

/** The values tried for one constant, shortest first, ending before the value itself. */
function shorterValues(value: number): number[] {
  const tried: number[] = [0];
  for (let digits = 1; digits <= MAX_DIGITS; digits++) {
    const rounded = Number(value.toPrecision(digits));
    if (rounded === value) break;
    if (!tried.includes(rounded)) tried.push(rounded);
  }
  return tried;
}

/** `expr` (canonical) with its constants rounded by the rule above; `expr` itself if none can be. */
export function roundConstants(expr: Expr, context: RoundingContext): Expr {
  const rawLoss = context.lossOf(expr);
  if (!Number.isFinite(rawLoss)) return expr;
  const ceiling = Math.max(
    rawLoss * (1 + RELATIVE_LOSS_TOLERANCE),
    EXACT_LOSS_FLOOR * Math.max(context.targetVariance, Number.MIN_VALUE),
  );
  let current = expr;
  for (let pass = 0; pass < PASSES; pass++) {
    const values = constantsOf(current);
    let changed = false;
    values.forEach((value, i) => {
      for (const shorter of shorterValues(value)) {
        const trial = values.slice();
        trial[i] = shorter;
        if (context.lossOf(withConstants(current, trial)) <= ceiling) {
          values[i] = shorter;
          changed = true;
          return;
        }
      }
    });
    if (!changed) break;
    const next = canonicalCandidate(withConstants(current, values));
    if (!context.allowed(next) || !(context.lossOf(next) <= ceiling)) break;
    current = next;
  }
  return current;
}
