/** A shuffled train/val/test split of row indices, repeatable from its seed. */
import { Rng } from "./rng.js";
import { DataError } from "./task.js";

export interface SplitFractions {
  /** Fraction of rows for validation, in [0, 1). */
  readonly val: number;
  /** Fraction of rows for test, in [0, 1). */
  readonly test: number;
  readonly seed: number;
}

export interface SplitIndices {
  readonly train: number[];
  readonly val: number[];
  readonly test: number[];
}

/**
 * Fisher–Yates shuffle of 0..rows−1, then the first rows for train, the next for val, the last for
 * test. Split sizes: test = round(rows·test), val = round(rows·val), train = the rest (at least 1).
 */
export function shuffledSplit(rows: number, fractions: SplitFractions): SplitIndices {
  const testRows = Math.round(rows * fractions.test);
  const valRows = Math.round(rows * fractions.val);
  const trainRows = rows - valRows - testRows;
  if (trainRows < 1) {
    throw new DataError(
      `split: ${rows} rows leave no training rows with val ${fractions.val} and test ${fractions.test}`,
    );
  }
  const order = Array.from({ length: rows }, (_, i) => i);
  const rng = new Rng(fractions.seed);
  for (let i = rows - 1; i > 0; i--) {
    const j = rng.integerBelow(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return {
    train: order.slice(0, trainRows),
    val: order.slice(trainRows, trainRows + valRows),
    test: order.slice(trainRows + valRows),
  };
}
