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

/** How many rows each split takes of `rows` (see shuffledSplit). */
export function splitSizes(
  rows: number,
  fractions: SplitFractions,
): { train: number; val: number; test: number } {
  const test = Math.round(rows * fractions.test);
  const val = Math.round(rows * fractions.val);
  return { train: rows - val - test, val, test };
}

/**
 * Whether every split has a row: train always, val and test whenever their fraction is above 0
 * (an empty test split has nothing to score).
 */
export function splitsFilled(rows: number, fractions: SplitFractions): boolean {
  const sizes = splitSizes(rows, fractions);
  return (
    sizes.train >= 1 &&
    (fractions.val === 0 || sizes.val >= 1) &&
    (fractions.test === 0 || sizes.test >= 1)
  );
}

/** The fewest rows that fill every split (splitsFilled); fractions sum below 1. */
export function fewestRowsFor(fractions: SplitFractions): number {
  // below 0.5 / fraction rows, a split of that fraction rounds to none
  const nonzero = [fractions.val, fractions.test].filter((fraction) => fraction > 0);
  let rows = Math.max(1, ...nonzero.map((fraction) => Math.floor(0.5 / fraction)));
  while (!splitsFilled(rows, fractions)) rows++;
  return rows;
}

/**
 * Fisher–Yates shuffle of 0..rows−1, then the first rows for train, the next for val, the last for
 * test. Split sizes: test = round(rows·test), val = round(rows·val), train = the rest (at least 1).
 */
export function shuffledSplit(rows: number, fractions: SplitFractions): SplitIndices {
  const { train: trainRows, val: valRows } = splitSizes(rows, fractions);
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
