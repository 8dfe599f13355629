/**
 * The data of a symbolic regression: named feature columns and a target column, read from CSV
 * text (no file system here), and a seeded split of the rows into train and validation.
 */
import { parseCsv } from "../../data/csv.js";
import { Rng } from "../../data/rng.js";
import { DataError } from "../../data/task.js";
import { ExprSyntaxError } from "../../expr/errors.js";
import { parseExpr } from "../../expr/parse.js";

export interface SrDataset {
  /** Variable names: each parses as a parameter of the expression language. */
  readonly names: readonly string[];
  /** One column per name, `rows` long. */
  readonly columns: readonly Float64Array[];
  readonly targetName: string;
  readonly target: Float64Array;
  readonly rows: number;
}

/** Fewer rows leave too few for a validation split that means anything. */
export const MIN_ROWS = 10;

/** Same as the CSV loader's (src/data/csv.ts): an optional sign, digits, an optional exponent. */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Whether `name` can be a variable of an expression: it must read back as a parameter of that
 * name, so `x` (the input), `pi`, `e`, function names and non-identifiers are refused.
 */
export function isVariableName(name: string): boolean {
  try {
    const expr = parseExpr(name);
    return expr.kind === "param" && expr.name === name;
  } catch (error) {
    if (error instanceof ExprSyntaxError) return false;
    throw error;
  }
}

/** Checks names, lengths and values; errors are DataErrors that name the column. */
export function makeDataset(
  names: readonly string[],
  columns: readonly Float64Array[],
  targetName: string,
  target: Float64Array,
): SrDataset {
  if (names.length !== columns.length)
    throw new DataError(`${names.length} names for ${columns.length} columns`);
  if (names.length === 0) throw new DataError("no feature columns: sr needs at least one");
  for (const name of names) {
    if (!isVariableName(name)) {
      throw new DataError(
        `column '${name}': not usable as a variable name of an expression (use a name such as ` +
          "x1 or speed: letters, digits and _, not starting with a digit, and not x, pi, e, " +
          "where or a function name)",
      );
    }
  }
  const rows = target.length;
  columns.forEach((column, j) => {
    if (column.length !== rows)
      throw new DataError(`column '${names[j]}': ${column.length} rows, the target has ${rows}`);
  });
  if (rows < MIN_ROWS) {
    throw new DataError(`too few rows: ${rows}, sr needs at least ${MIN_ROWS}`);
  }
  // Every loss sums squared errors: if the target's own squares overflow, every loss is infinite.
  let sumOfSquares = 0;
  let largest = 0;
  for (const value of target) {
    sumOfSquares += value * value;
    largest = Math.max(largest, Math.abs(value));
  }
  if (!Number.isFinite(sumOfSquares)) {
    const scale = `1e${Math.floor(Math.log10(largest))}`;
    throw new DataError(
      `column '${targetName}': values as large as ${largest.toExponential(2)} overflow float64 ` +
        `in sr's squared errors; divide the column by ${scale} and multiply the formula found ` +
        `by ${scale}`,
    );
  }
  return { names: [...names], columns, targetName, target, rows };
}

/** Reads a CSV with a header line; every column but `targetName` is a feature. */
export function datasetFromCsv(text: string, source: string, targetName: string): SrDataset {
  const records = parseCsv(text, source);
  const header = records[0];
  if (header === undefined) throw new DataError(`${source} is empty`);
  const columns = header.fields.map((field) => field.trim());
  columns.forEach((name, i) => {
    if (name === "")
      throw new DataError(`${source} line ${header.line}: column ${i + 1} has no name`);
    if (columns.indexOf(name) !== i)
      throw new DataError(`${source} line ${header.line}: column '${name}' appears twice`);
  });
  const targetIndex = columns.indexOf(targetName);
  if (targetIndex < 0) {
    throw new DataError(
      `--target: no column '${targetName}' in ${source} (its columns: ${columns.join(", ")})`,
    );
  }
  const data = records.slice(1);
  const values = columns.map(() => new Float64Array(data.length));
  data.forEach((record, r) => {
    if (record.fields.length !== columns.length) {
      throw new DataError(
        `${source} line ${record.line}: ${record.fields.length} fields, expected ${columns.length} (as in the header)`,
      );
    }
    record.fields.forEach((field, j) => {
      const cell = field.trim();
      const value = Number(cell);
      if (!NUMBER.test(cell) || !Number.isFinite(value)) {
        throw new DataError(
          `${source} line ${record.line}, column '${columns[j]}': ` +
            (cell === "" ? "empty value" : `'${cell}' is not a finite number`),
        );
      }
      (values[j] as Float64Array)[r] = value;
    });
  });
  const featureIndices = columns.map((_, j) => j).filter((j) => j !== targetIndex);
  return makeDataset(
    featureIndices.map((j) => columns[j] as string),
    featureIndices.map((j) => values[j] as Float64Array),
    targetName,
    values[targetIndex] as Float64Array,
  );
}

export interface SplitData {
  readonly trainColumns: Float64Array[];
  readonly trainTarget: Float64Array;
  readonly valColumns: Float64Array[];
  readonly valTarget: Float64Array;
}

/** A seeded shuffle (Fisher–Yates on the given generator); the first `valRows` go to validation. */
export function splitRows(dataset: SrDataset, valFraction: number, rng: Rng): SplitData {
  const order = Array.from({ length: dataset.rows }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.integerBelow(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const valRows = Math.min(dataset.rows - 2, Math.max(2, Math.round(dataset.rows * valFraction)));
  const valIdx = order.slice(0, valRows);
  const trainIdx = order.slice(valRows);
  const take = (column: Float64Array, idx: number[]) =>
    Float64Array.from(idx, (i) => column[i] as number);
  return {
    trainColumns: dataset.columns.map((c) => take(c, trainIdx)),
    trainTarget: take(dataset.target, trainIdx),
    valColumns: dataset.columns.map((c) => take(c, valIdx)),
    valTarget: take(dataset.target, valIdx),
  };
}
