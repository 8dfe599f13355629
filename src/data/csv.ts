/**
 * CSV tasks. Pure functions of the file's text (no file system here, so they run in a browser):
 * the loader in task-spec.ts reads the file. No CSV library is installed, so `parseCsv` is a small
 * RFC 4180 reader: quoted fields (with "" for a quote, and delimiters and line breaks inside),
 * LF or CRLF line ends, an optional byte-order mark; blank lines are skipped.
 *
 * `csvTask` turns a table into a task: text feature columns one-hot encoded, missing cells
 * reported (or dropped, or imputed with train means), a seeded shuffled split, and normalisation
 * fitted on the train split only. Choices and defaults: docs/tasks.md, docs/tasks-classification.md.
 */
import type { Normalization, Scaling } from "./normalize.js";
import { applyScaling, fitScaling } from "./normalize.js";
import type { SplitFractions } from "./split.js";
import { fewestRowsFor, shuffledSplit, splitSizes, splitsFilled } from "./split.js";
import type { Task, TaskSplit } from "./task.js";
import { DataError, takeRows } from "./task.js";

export interface CsvRecord {
  readonly fields: string[];
  /** The line (from 1) where the record starts. */
  readonly line: number;
}

/** Splits CSV text into records; errors name `source` and the line and character. */
export function parseCsv(text: string, source: string, delimiter = ","): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let character = 1;
  let recordLine = 1;
  let quoteLine = 1;
  // fieldStart: nothing read in this field; unquoted / quoted: inside one; closed: after its closing quote.
  let state: "fieldStart" | "unquoted" | "quoted" | "closed" = "fieldStart";
  let recordHasText = false;
  const fail = (problem: string): never => {
    throw new DataError(`${source} line ${line}, character ${character}: ${problem}`);
  };
  const endRecord = () => {
    fields.push(field);
    if (recordHasText || fields.length > 1) records.push({ fields, line: recordLine });
    fields = [];
    field = "";
    state = "fieldStart";
    recordHasText = false;
  };
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length) {
    const ch = text[i] as string;
    const lineBreak = ch === "\n" ? 1 : ch === "\r" ? (text[i + 1] === "\n" ? 2 : 1) : 0;
    if (state === "quoted") {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          character += 2;
          continue;
        }
        state = "closed";
      } else {
        field += lineBreak === 2 ? "\r\n" : ch;
      }
    } else if (ch === delimiter) {
      fields.push(field);
      field = "";
      state = "fieldStart";
    } else if (lineBreak > 0) {
      endRecord();
    } else if (state === "closed") {
      fail(`'${ch}' after a closing quote (expected '${delimiter}' or a line end)`);
    } else if (ch === '"') {
      if (state === "unquoted") fail("a quote inside an unquoted field (quote the whole field)");
      state = "quoted";
      quoteLine = line;
      recordHasText = true;
    } else {
      field += ch;
      state = "unquoted";
      recordHasText = true;
    }
    if (lineBreak > 0) {
      i += lineBreak;
      line++;
      character = 1;
      if (state === "fieldStart" && fields.length === 0 && field === "") recordLine = line;
    } else {
      i++;
      character++;
    }
  }
  if (state === "quoted") {
    throw new DataError(`${source} line ${quoteLine}: a quoted field is never closed`);
  }
  if (recordHasText || fields.length > 0) endRecord();
  return records;
}

/**
 * How the first line is read: `names` — column names; `none` — data, columns named c1, c2, …;
 * `sklearn` — `n_rows,n_features,class names…` (the small-tabular data sets), columns named
 * x1..x<n_features> and `target`.
 */
export type HeaderMode = "names" | "none" | "sklearn";

export interface CsvTaskOptions {
  readonly name?: string;
  readonly header: HeaderMode;
  readonly delimiter: string;
  /** Target column(s); default: the last column. */
  readonly target?: string | readonly string[];
  /** Feature columns; default: every column that is not a target. */
  readonly features?: readonly string[];
  /** Default: true for `header: sklearn` (its header lists class names), else false. */
  readonly classification?: boolean;
  readonly split: SplitFractions;
  readonly normalize: Normalization;
  readonly normalize_target: Normalization;
  /**
   * Feature columns to one-hot encode even though their values are numbers (codes). Columns whose
   * every present cell is text are one-hot encoded without being listed.
   */
  readonly categorical?: readonly string[];
  /** Missing cells (MISSING_CELLS): `error` (default), `drop` the rows, or `impute_mean`. */
  readonly missing?: MissingPolicy;
  /** At most this many training rows: a seeded random subset; val and test do not change. */
  readonly max_train?: number;
}

/**
 * `error`: a DataError naming the file, the first cell's line and column, and how many there are.
 * `drop`: rows with a missing feature or target are left out before the split. `impute_mean`: a
 * missing feature takes the mean of its column over the train split (a one-hot column's mean is
 * the category's train frequency); a missing target is still an error.
 */
export type MissingPolicy = "error" | "drop" | "impute_mean";

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export interface Table {
  readonly columns: string[];
  readonly records: CsvRecord[];
  readonly classNames?: string[];
}

export function readHeader(records: CsvRecord[], source: string, header: HeaderMode): Table {
  const first = records[0];
  if (first === undefined) throw new DataError(`${source} is empty`);
  if (header === "none") {
    return { columns: first.fields.map((_, i) => `c${i + 1}`), records };
  }
  const data = records.slice(1);
  if (header === "sklearn") {
    const [rowText = "", featureText = "", ...classNames] = first.fields.map((f) => f.trim());
    if (!/^\d+$/.test(rowText) || !/^\d+$/.test(featureText)) {
      throw new DataError(
        `${source} line ${first.line}: an sklearn header starts with n_rows,n_features, got '${rowText},${featureText}'`,
      );
    }
    if (Number(rowText) !== data.length) {
      throw new DataError(
        `${source}: the header says ${rowText} rows, the file has ${data.length}`,
      );
    }
    const features = Number(featureText);
    const columns = [...Array.from({ length: features }, (_, i) => `x${i + 1}`), "target"];
    return { columns, records: data, classNames };
  }
  const columns = first.fields.map((name) => name.trim());
  columns.forEach((name, i) => {
    if (name === "") {
      throw new DataError(`${source} line ${first.line}: column ${i + 1} has no name`);
    }
    if (columns.indexOf(name) !== i) {
      throw new DataError(`${source} line ${first.line}: column '${name}' appears twice`);
    }
  });
  return { columns, records: data };
}

function columnIndices(
  names: readonly string[],
  columns: readonly string[],
  field: string,
  source: string,
): number[] {
  return names.map((name, i) => {
    const index = columns.indexOf(name);
    if (index < 0) {
      throw new DataError(
        `${field}: no column '${name}' in ${source} (its columns: ${columns.join(", ")})`,
      );
    }
    if (names.indexOf(name) !== i) throw new DataError(`${field}: column '${name}' listed twice`);
    return index;
  });
}

/** How other tools write infinities (numpy, R, spreadsheets): refused like 1e999. */
const INFINITY = /^[+-]?(?:inf|infinity)$/i;

export function numberAt(
  record: CsvRecord,
  index: number,
  columns: readonly string[],
  source: string,
) {
  const cell = (record.fields[index] as string).trim();
  const value = Number(cell);
  if (NUMBER.test(cell) && Number.isFinite(value)) return value;
  throw new DataError(
    `${source} line ${record.line}, column '${columns[index]}': ` +
      (cell === ""
        ? "empty value"
        : NUMBER.test(cell) || INFINITY.test(cell)
          ? `'${cell}' is not a finite number (a float64 is at most 1.8e308 in size); ` +
            "correct it, or empty it and set missing: drop to leave its row out"
          : `'${cell}' is not a number`),
  );
}

/** Distinct labels in order: numerically when every label is a number, else by text. */
export function sortedLabels(labels: readonly string[]): string[] {
  const distinct = [...new Set(labels)];
  return distinct.every((label) => NUMBER.test(label))
    ? distinct.sort((a, b) => Number(a) - Number(b))
    : distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const baseName = (source: string): string =>
  (source.split(/[\\/]/).pop() ?? source).replace(/\.gz$/i, "").replace(/\.[^.]*$/, "");

/**
 * Cells read as missing (after trimming): empty, `?` (the UCI convention), `NA`, `N/A`, `NaN`,
 * `nan` (R and pandas).
 */
export const MISSING_CELLS: readonly string[] = ["", "?", "NA", "N/A", "NaN", "nan"];
const MISSING = new Set(MISSING_CELLS);

/**
 * A column whose every present cell is text becomes categorical on its own; above this many
 * distinct values it is more likely a name or an id than a category, and one-hot encoding it
 * would add a column per row, so it is an error unless `categorical` lists it.
 */
export const MAX_AUTO_CATEGORIES = 50;

interface MissingCell {
  readonly row: number;
  readonly line: number;
  readonly column: string;
  readonly cell: string;
  readonly target: boolean;
}

/** One feature column of the file and where it lands in x: one column, or one per category. */
interface FeatureLayout {
  readonly index: number;
  readonly name: string;
  readonly offset: number;
  readonly categories?: Map<string, number>;
  readonly width: number;
}

const describeMissing = (cell: string): string =>
  cell === "" ? "empty value" : `missing value '${cell}'`;

const SHOWN_LINES = 5;

/**
 * The first missing cell (file, line, column), then, when there are more, how many in how many
 * rows and the first lines of each column, and the options that accept them.
 */
function missingReport(missing: readonly MissingCell[], source: string): string {
  const first = missing[0] as MissingCell;
  const head = `${source} line ${first.line}, column '${first.column}': ${describeMissing(first.cell)}`;
  if (missing.length === 1) return head;
  const byColumn = new Map<string, number[]>();
  for (const cell of missing) {
    const lines = byColumn.get(cell.column) ?? [];
    lines.push(cell.line);
    byColumn.set(cell.column, lines);
  }
  const columns = [...byColumn].map(
    ([column, lines]) =>
      `'${column}' ${lines.length} (line${lines.length === 1 ? "" : "s"} ` +
      `${lines.slice(0, SHOWN_LINES).join(", ")}${lines.length > SHOWN_LINES ? ", …" : ""})`,
  );
  const rows = new Set(missing.map((cell) => cell.row)).size;
  return (
    `${head}; ${missing.length} missing values in ${rows} rows, by column: ${columns.join(", ")}. ` +
    `Missing cells are empty, ${MISSING_CELLS.slice(1).join(", ")}; ` +
    "set missing: drop or missing: impute_mean to accept them"
  );
}

/** Feature columns, in order: numeric ones take one column of x, categorical ones one per category. */
function featureLayout(
  records: readonly CsvRecord[],
  columns: readonly string[],
  features: readonly number[],
  forced: readonly number[],
  source: string,
): FeatureLayout[] {
  let offset = 0;
  return features.map((index) => {
    const name = columns[index] as string;
    const present = records
      .map((record) => (record.fields[index] as string).trim())
      .filter((cell) => !MISSING.has(cell));
    const listed = forced.includes(index);
    const text = present.length > 0 && present.every((cell) => !NUMBER.test(cell));
    if (!listed && !text) {
      offset += 1;
      return { index, name, offset: offset - 1, width: 1 };
    }
    const values = sortedLabels(present);
    if (!listed && values.length > MAX_AUTO_CATEGORIES) {
      throw new DataError(
        `${source}, column '${name}': text with ${values.length} distinct values (more than ` +
          `${MAX_AUTO_CATEGORIES}, so more likely a name or id than a category); leave it out with ` +
          "features, or list it in categorical to one-hot encode it anyway",
      );
    }
    const layout = {
      index,
      name,
      offset,
      categories: new Map(values.map((value, k) => [value, k])),
      width: values.length,
    };
    offset += values.length;
    return layout;
  });
}

/** Builds a task from CSV text; `source` names the file in messages. */
export function csvTask(text: string, source: string, options: CsvTaskOptions): Task {
  const table = readHeader(parseCsv(text, source, options.delimiter), source, options.header);
  const { columns, records } = table;
  if (records.length === 0) throw new DataError(`${source} has a header but no data rows`);
  for (const record of records) {
    if (record.fields.length !== columns.length) {
      throw new DataError(
        `${source} line ${record.line}: ${record.fields.length} fields, expected ${columns.length}` +
          (options.header === "none" ? " (as on the first line)" : " (as in the header)"),
      );
    }
  }
  const targetNames =
    options.target === undefined
      ? [columns[columns.length - 1] as string]
      : typeof options.target === "string"
        ? [options.target]
        : [...options.target];
  const targets = columnIndices(targetNames, columns, "target", source);
  const featureNames = options.features
    ? [...options.features]
    : columns.filter((_, i) => !targets.includes(i));
  const features = columnIndices(featureNames, columns, "features", source);
  const overlap = featureNames.filter((name) => targetNames.includes(name));
  if (overlap.length > 0) {
    throw new DataError(`features: ${overlap.join(", ")} also named as target`);
  }
  if (features.length === 0) throw new DataError(`features: ${source} has no feature columns left`);
  const classification = options.classification ?? options.header === "sklearn";
  if (classification && targets.length !== 1) {
    throw new DataError(`target: classification takes one target column, got ${targets.length}`);
  }
  if (classification && options.normalize_target !== "none") {
    throw new DataError("normalize_target: class labels are not normalised; use none");
  }
  const categoricalNames = options.categorical ?? [];
  const forced = columnIndices(categoricalNames, columns, "categorical", source);
  forced.forEach((index, i) => {
    if (!features.includes(index)) {
      throw new DataError(`categorical: '${categoricalNames[i]}' is not a feature column`);
    }
  });
  const policy = options.missing ?? "error";
  const maxTrain = options.max_train;
  if (maxTrain !== undefined && !(Number.isInteger(maxTrain) && maxTrain >= 1)) {
    throw new DataError(`max_train: must be a positive integer, got ${maxTrain}`);
  }

  // Every row of the file, missing cells as NaN (a categorical one: NaN in all its columns).
  const layout = featureLayout(records, columns, features, forced, source);
  const inputs = layout.reduce((sum, column) => sum + column.width, 0);
  const oneHot = layout.flatMap((column) =>
    Array.from({ length: column.width }, () => column.categories !== undefined),
  );
  const encodedNames = layout.flatMap((column) =>
    column.categories
      ? [...column.categories.keys()].map((value) => `${column.name}=${value}`)
      : [column.name],
  );
  const outputs = classification ? 1 : targets.length;
  const allX = new Float64Array(records.length * inputs);
  const allY = new Float64Array(records.length * outputs);
  const labels: string[] = [];
  const missing: MissingCell[] = [];
  records.forEach((record, r) => {
    const note = (index: number, cell: string, target: boolean) =>
      missing.push({ row: r, line: record.line, column: columns[index] as string, cell, target });
    for (const column of layout) {
      const cell = (record.fields[column.index] as string).trim();
      const at = r * inputs + column.offset;
      if (MISSING.has(cell)) {
        note(column.index, cell, false);
        allX.fill(NaN, at, at + column.width);
      } else if (column.categories) {
        allX[at + (column.categories.get(cell) as number)] = 1;
      } else {
        allX[at] = numberAt(record, column.index, columns, source);
      }
    }
    targets.forEach((index, k) => {
      const cell = (record.fields[index] as string).trim();
      if (MISSING.has(cell)) {
        note(index, cell, true);
        allY[r * outputs + k] = NaN;
      } else if (classification) {
        labels[r] = cell;
      } else {
        allY[r * outputs + k] = numberAt(record, index, columns, source);
      }
    });
  });

  if (missing.length > 0 && policy === "error") throw new DataError(missingReport(missing, source));
  const missingTargets = missing.filter((cell) => cell.target);
  if (missingTargets.length > 0 && policy === "impute_mean") {
    const first = missingTargets[0] as MissingCell;
    throw new DataError(
      `${source} line ${first.line}, column '${first.column}': ${describeMissing(first.cell)} in a target ` +
        `(${missingTargets.length} in all); targets are never imputed: missing: drop leaves such rows out`,
    );
  }
  const incomplete = new Set(policy === "drop" ? missing.map((cell) => cell.row) : []);
  const kept = records.map((_, r) => r).filter((r) => !incomplete.has(r));
  if (kept.length === 0) {
    throw new DataError(`${source}: every row has a missing value, so missing: drop leaves none`);
  }
  const rows = kept.length;
  const dropped = records.length - rows;
  const x = takeRows(allX, inputs, kept);
  const y = takeRows(allY, outputs, kept);

  let classNames: string[] | undefined;
  let classLabels: string[] | undefined;
  if (classification) {
    const column = targets[0] as number;
    const keptLabels = kept.map((r) => labels[r] as string);
    const classes = sortedLabels(keptLabels);
    if (classes.length < 2) {
      throw new DataError(
        `target: column '${columns[column]}' has one class only ('${classes[0]}')`,
      );
    }
    classLabels = classes;
    const index = new Map(classes.map((label, k) => [label, k]));
    keptLabels.forEach((label, r) => (y[r] = index.get(label) as number));
    classNames = classes.map((label) => {
      if (!table.classNames) return label;
      const name = table.classNames[Number(label)];
      if (!/^\d+$/.test(label) || name === undefined) {
        const record = records[kept[keptLabels.indexOf(label)] as number] as CsvRecord;
        throw new DataError(
          `${source} line ${record.line}, column 'target': label '${label}' is not one of the ${table.classNames.length} classes the header names`,
        );
      }
      return name;
    });
  }

  // (fractions summing to 1 or more leave no train rows whatever the count: shuffledSplit says so)
  if (options.split.val + options.split.test < 1 && !splitsFilled(rows, options.split)) {
    const sizes = splitSizes(rows, options.split);
    throw new DataError(
      `${source}: ${rows} ${rows === 1 ? "row is" : "rows are"} too few for split val ` +
        `${options.split.val} / test ${options.split.test} (they give ${sizes.train} train, ` +
        `${sizes.val} validation and ${sizes.test} test rows); it takes at least ` +
        `${fewestRowsFor(options.split)} rows` +
        (dropped > 0 ? ` (after dropping ${dropped} with missing values)` : ""),
    );
  }
  const indices = shuffledSplit(rows, options.split);
  // The shuffled training rows are in random order, so their first max_train are a seeded random
  // subset; val and test do not change with the cap.
  const trainRows = maxTrain === undefined ? indices.train : indices.train.slice(0, maxTrain);
  const raw = (which: number[]): TaskSplit => ({
    x: takeRows(x, inputs, which),
    y: takeRows(y, outputs, which),
    rows: which.length,
  });
  let train = raw(trainRows);
  let val = raw(indices.val);
  let test = raw(indices.test);

  let imputed = 0;
  // Means of the train split only: filling val/test from their own values would leak them. Kept
  // in the row format, so predict fills a new row's missing cells with the same values.
  const means = policy === "impute_mean" ? columnMeans(train.x, train.rows, inputs) : undefined;
  if (means && missing.length > 0) {
    for (const split of [train, val, test]) {
      split.x.forEach((value, i) => {
        if (!Number.isNaN(value)) return;
        const j = i % inputs;
        const mean = means[j] as number;
        if (Number.isNaN(mean)) {
          const name = layout.find((c) => j >= c.offset && j < c.offset + c.width)?.name;
          throw new DataError(
            `${source}, column '${name}': missing: impute_mean needs a value in at least one training row`,
          );
        }
        split.x[i] = mean;
      });
    }
    imputed = missing.length; // no target is missing here (checked above)
  }

  // Standardisation fitted on the train split only; one-hot columns stay 0/1 (shift 0, scale 1).
  const fitted = fitScaling(train.x, train.rows, inputs, options.normalize);
  const featureScaling: Scaling = {
    kind: fitted.kind,
    shift: fitted.shift.map((shift, j) => (oneHot[j] ? 0 : shift)),
    scale: fitted.scale.map((scale, j) => (oneHot[j] ? 1 : scale)),
  };
  const targetScaling = classification
    ? undefined
    : fitScaling(train.y, train.rows, outputs, options.normalize_target);
  const scaled = (split: TaskSplit): TaskSplit => ({
    x: applyScaling(split.x, featureScaling),
    y:
      targetScaling && targetScaling.kind !== "none"
        ? applyScaling(split.y, targetScaling)
        : split.y,
    rows: split.rows,
  });
  [train, val, test] = [scaled(train), scaled(val), scaled(test)];
  const { split } = options;
  const categorical = layout.filter((column) => column.categories);
  return {
    name: options.name ?? baseName(source),
    inputs,
    outputs,
    kind: classification ? "classification" : "regression",
    ...(classNames ? { classes: classNames.length, classNames, classLabels } : {}),
    train,
    val,
    test,
    featureNames: encodedNames,
    targetNames: targets.map((c) => columns[c] as string),
    ...(options.normalize !== "none" ? { featureScaling } : {}),
    rowFormat: {
      header: options.header,
      delimiter: options.delimiter,
      features: layout.map((column) =>
        column.categories
          ? { name: column.name, categories: [...column.categories.keys()] }
          : { name: column.name },
      ),
      ...(means ? { imputeMeans: means } : {}),
    },
    ...(targetScaling && targetScaling.kind !== "none" ? { targetScaling } : {}),
    source:
      `csv ${source}, ${rows} rows` +
      (dropped > 0 ? ` (${dropped} with missing values dropped)` : "") +
      `, split val ${split.val} / test ${split.test} (seed ${split.seed})` +
      (maxTrain !== undefined && maxTrain < indices.train.length
        ? `, train capped at ${maxTrain} of ${indices.train.length}`
        : "") +
      `, features ${options.normalize}` +
      (categorical.length > 0
        ? `, ${categorical.map((c) => `'${c.name}'`).join(", ")} one-hot (${categorical.reduce((n, c) => n + c.width, 0)} columns, 0/1)`
        : "") +
      (imputed > 0 ? `, ${imputed} missing values imputed with train means` : "") +
      (classification ? "" : `, targets ${options.normalize_target}`),
  };
}

/** Per column, the mean of the values that are not NaN (NaN when there are none). */
function columnMeans(table: Float64Array, rows: number, columns: number): number[] {
  return Array.from({ length: columns }, (_, j) => {
    let sum = 0;
    let count = 0;
    for (let r = 0; r < rows; r++) {
      const value = table[r * columns + j] as number;
      if (!Number.isNaN(value)) {
        sum += value;
        count++;
      }
    }
    return count > 0 ? sum / count : NaN;
  });
}
