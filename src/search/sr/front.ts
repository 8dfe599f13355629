/**
 * The answer of a symbolic regression: the Pareto front of complexity against validation loss,
 * and one expression chosen from it by PySR's model selection (chooseModel).
 *
 * The default, `best`, follows PySR's "best" (Cranmer 2023, §3): among front members whose loss
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
  /** Mean squared error on the training rows of the raw form (what the search minimised). */
  readonly trainLoss: number;
  /** The same member before its constants were rounded (docs/sr.md, "Rounding"). */
  readonly raw: RawEntry;
}

/** A front member as the search left it: constants at full precision, canonical form. */
export interface RawEntry {
  readonly expression: string;
  readonly complexity: number;
  readonly loss: number;
  readonly r2: number;
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

/** PySR's model selection: how one formula is chosen from the front. */
export const MODEL_SELECTIONS = ["best", "accuracy", "score"] as const;
export type ModelSelection = (typeof MODEL_SELECTIONS)[number];

/**
 * Each member's score, −Δlog(loss)/Δcomplexity against the next simpler member (0 for the
 * simplest), on losses floored at EXACT_LOSS_FLOOR · variance (see the module comment).
 */
export function frontScores(front: readonly FrontEntry[], targetVariance: number): number[] {
  const floor = EXACT_LOSS_FLOOR * Math.max(targetVariance, Number.MIN_VALUE);
  const floored = front.map((entry) => Math.max(entry.loss, floor));
  return front.map((entry, i) => {
    const previous = front[i - 1];
    if (previous === undefined) return 0;
    return (
      -(Math.log(floored[i] as number) - Math.log(floored[i - 1] as number)) /
      (entry.complexity - previous.complexity)
    );
  });
}

/**
 * PySR's model_selection: `accuracy` the lowest loss, `score` the highest score, `best` the
 * highest score among members whose loss is within 1.5x of the lowest. Losses are floored as in
 * frontScores, so exact fits tie and a tie goes to the simplest member.
 */
export function chooseModel(
  front: readonly FrontEntry[],
  selection: ModelSelection,
  targetVariance: number,
): FrontEntry {
  if (front.length === 0) throw new Error("the front is empty");
  const floor = EXACT_LOSS_FLOOR * Math.max(targetVariance, Number.MIN_VALUE);
  const floored = front.map((entry) => Math.max(entry.loss, floor));
  const lowest = Math.min(...floored);
  const scores = frontScores(front, targetVariance);
  let chosen = 0;
  front.forEach((_, i) => {
    const loss = floored[i] as number;
    switch (selection) {
      case "accuracy":
        if (loss < (floored[chosen] as number)) chosen = i;
        break;
      case "score":
        if ((scores[i] as number) > (scores[chosen] as number)) chosen = i;
        break;
      case "best": {
        const eligible = (j: number) => (floored[j] as number) <= BEST_LOSS_FACTOR * lowest;
        if (
          eligible(i) &&
          (!eligible(chosen) || (scores[i] as number) > (scores[chosen] as number))
        )
          chosen = i;
        break;
      }
    }
  });
  return front[chosen] as FrontEntry;
}

/** PySR's best: highest −Δlog(loss)/Δcomplexity among entries within 1.5x of the lowest loss. */
export function chooseBest(front: readonly FrontEntry[], targetVariance: number): FrontEntry {
  return chooseModel(front, "best", targetVariance);
}
