/**
 * The answer of a symbolic regression: the Pareto front of complexity against validation loss,
 * and one expression chosen from it.
 *
 * `best` follows PySR's "best" model selection (Cranmer 2023, §3): among front members whose loss
 * is within 1.5x of the lowest, the one with the highest score −Δlog(loss)/Δcomplexity against
 * the next simpler member. Losses are first floored at 1e-12 · var(y): below that an expression
 * fits to rounding error, so exact fits tie and the simplest of them scores highest.
 */

export interface FrontEntry {
  /** printExpr of the canonical tree: parseExpr reads it back. */
  readonly expression: string;
  /** Node count of the canonical tree. */
  readonly complexity: number;
  /** Mean squared error on the validation rows. */
  readonly loss: number;
  /** 1 − loss / variance of the validation target. */
  readonly r2: number;
  /** Mean squared error on the training rows (what the search minimised). */
  readonly trainLoss: number;
}

/** Relative floor under which losses count as exact (see the module comment). */
export const EXACT_LOSS_FLOOR = 1e-12;
/** Members within this factor of the lowest loss may be chosen as best. */
export const BEST_LOSS_FACTOR = 1.5;

/** Keeps, in order of complexity, the entries that lower the loss of every simpler entry. */
export function paretoFront(entries: readonly FrontEntry[]): FrontEntry[] {
  const sorted = [...entries].sort((a, b) => a.complexity - b.complexity || a.loss - b.loss);
  const front: FrontEntry[] = [];
  for (const entry of sorted) {
    const last = front[front.length - 1];
    if (!Number.isFinite(entry.loss)) continue;
    if (last === undefined || entry.loss < last.loss) front.push(entry);
  }
  return front;
}

/** PySR's best: highest −Δlog(loss)/Δcomplexity among entries within 1.5x of the lowest loss. */
export function chooseBest(front: readonly FrontEntry[], targetVariance: number): FrontEntry {
  const first = front[0];
  if (first === undefined) throw new Error("the front is empty");
  const floor = EXACT_LOSS_FLOOR * Math.max(targetVariance, Number.MIN_VALUE);
  const floored = front.map((entry) => Math.max(entry.loss, floor));
  const lowest = Math.min(...floored);
  let best = first;
  let bestScore = -Infinity;
  front.forEach((entry, i) => {
    const loss = floored[i] as number;
    if (loss > BEST_LOSS_FACTOR * lowest) return;
    const previous = front[i - 1];
    const score =
      previous === undefined
        ? 0
        : -(Math.log(loss) - Math.log(floored[i - 1] as number)) /
          (entry.complexity - previous.complexity);
    if (score > bestScore) {
      best = entry;
      bestScore = score;
    }
  });
  return best;
}
