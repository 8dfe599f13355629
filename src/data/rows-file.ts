/**
 * New rows for a trained model (`nonlin predict`, `nonlin evaluate`): a CSV read the way the
 * task's own file was read (header mode, delimiter), its feature columns found by name and
 * encoded as the task encoded them (numbers as they are, categories one-hot in the task's order).
 * Scaling is the caller's (the checkpoint keeps it). Pure: the CLI reads the file.
 *
 * Choices where the task's reading had options: extra columns are ignored (so a labelled file
 * predicts too); a missing feature cell (csv.ts's MISSING_CELLS) takes the train split's mean where
 * the task was read with `missing: impute_mean` (its row format keeps the means), and is an error
 * otherwise, as a missing target always is; a category
 * the task never saw is an error naming it; a class label is matched against the task's labels,
 * then its class names, then (tasks without labels: catalog sets) a class index.
 */
import type { CsvRecord } from "./csv.js";
import { MISSING_CELLS, numberAt, parseCsv, readHeader } from "./csv.js";
import type { RowFormat, TaskKind } from "./task.js";
import { DataError } from "./task.js";

/** What reading a row file needs to know of the task. */
export interface RowsTask {
  readonly kind: TaskKind;
  readonly classes?: number;
  readonly classNames?: readonly string[];
  readonly classLabels?: readonly string[];
  readonly targetNames: readonly string[];
  readonly rows: RowFormat;
}

export interface RowsRead {
  /** Row-major [rows, encoded features], in the task's units before scaling. */
  readonly x: Float64Array;
  /** Labelled files: regression targets (raw units) or class indices, row-major [rows, outputs]. */
  readonly y?: Float64Array;
  readonly rows: number;
  /** The file line of each row (from 1). */
  readonly lines: readonly number[];
}

function columnIndex(columns: readonly string[], name: string, source: string, what: string) {
  const index = columns.indexOf(name);
  if (index < 0)
    throw new DataError(
      `${source}: no ${what} column '${name}' (the file's columns: ${columns.join(", ")})`,
    );
  return index;
}

function classIndex(cell: string, task: RowsTask): number | undefined {
  const byLabel = task.classLabels?.indexOf(cell) ?? -1;
  if (byLabel >= 0) return byLabel;
  const byName = task.classNames?.indexOf(cell) ?? -1;
  if (byName >= 0) return byName;
  if (!task.classLabels && /^\d+$/.test(cell) && Number(cell) < (task.classes ?? 2))
    return Number(cell);
  return undefined;
}

/** Reads `text` (named `source` in errors) as rows of `task`; `labelled` also reads the targets. */
export function readRowsFile(
  text: string,
  source: string,
  task: RowsTask,
  labelled: boolean,
): RowsRead {
  const format = task.rows;
  const records = parseCsv(text, source, format.delimiter);
  if (records.length === 0) throw new DataError(`${source} is empty`);
  // a headerless task's file has no names: its columns are c1, c2, … by position; an sklearn
  // task's rows may also come under a names header (x1, …, target) instead of the counts line
  const counts = /^\d+$/.test(records[0]!.fields[0]?.trim() ?? "");
  const header = format.header === "sklearn" && !counts ? "names" : format.header;
  const { columns, records: data } = readHeader(records, source, header);
  if (data.length === 0) throw new DataError(`${source} has a header but no data rows`);
  for (const record of data)
    if (record.fields.length !== columns.length)
      throw new DataError(
        `${source} line ${record.line}: ${record.fields.length} fields, expected ${columns.length}` +
          (header === "none" ? " (as on the first line)" : " (as in the header)"),
      );
  const features = format.features.map((column) => ({
    ...column,
    index: columnIndex(columns, column.name, source, "feature"),
  }));
  const width = format.features.reduce((sum, c) => sum + (c.categories?.length ?? 1), 0);
  const targets = labelled
    ? task.targetNames.map((name) => columnIndex(columns, name, source, "target"))
    : [];
  const outputs = task.kind === "classification" ? 1 : targets.length;
  const x = new Float64Array(data.length * width);
  const y = labelled ? new Float64Array(data.length * outputs) : undefined;
  const cellOf = (record: CsvRecord, index: number) => (record.fields[index] as string).trim();
  const means = format.imputeMeans;
  data.forEach((record, r) => {
    let offset = r * width;
    for (const column of features) {
      const span = column.categories?.length ?? 1;
      if (means && MISSING_CELLS.includes(cellOf(record, column.index))) {
        // as the task filled its own rows: each of the column's x columns takes its train mean
        const start = offset - r * width;
        x.set(means.slice(start, start + span), offset);
        offset += span;
        continue;
      }
      if (column.categories) {
        const cell = cellOf(record, column.index);
        const k = column.categories.indexOf(cell);
        if (k < 0)
          throw new DataError(
            `${source} line ${record.line}, column '${column.name}': '${cell}' is not a category the model was trained on (${column.categories.join(", ")})`,
          );
        x[offset + k] = 1;
        offset += column.categories.length;
      } else x[offset++] = numberAt(record, column.index, columns, source);
    }
    if (!y) return;
    targets.forEach((index, k) => {
      if (task.kind === "regression") {
        y[r * outputs + k] = numberAt(record, index, columns, source);
        return;
      }
      const cell = cellOf(record, index);
      const label = classIndex(cell, task);
      if (label === undefined)
        throw new DataError(
          `${source} line ${record.line}, column '${columns[index]}': '${cell}' is not one of the model's classes (${(task.classLabels ?? task.classNames ?? []).join(", ") || `0 to ${(task.classes ?? 2) - 1}`})`,
        );
      y[r] = label;
    });
  });
  return { x, ...(y ? { y } : {}), rows: data.length, lines: data.map((r) => r.line) };
}
