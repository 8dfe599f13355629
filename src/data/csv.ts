/**
 * CSV tasks. Pure functions of the file's text (no file system here, so they run in a browser):
 * the loader in task-spec.ts reads the file. No CSV library is installed, so `parseCsv` is a small
 * RFC 4180 reader: quoted fields (with "" for a quote, and delimiters and line breaks inside),
 * LF or CRLF line ends, an optional byte-order mark; blank lines are skipped.
 */
import type { Normalization } from "./normalize.js";
import { applyScaling, fitScaling } from "./normalize.js";
import type { SplitFractions } from "./split.js";
import { shuffledSplit } from "./split.js";
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
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

interface Table {
  readonly columns: string[];
  readonly records: CsvRecord[];
  readonly classNames?: string[];
}

function readHeader(records: CsvRecord[], source: string, header: HeaderMode): Table {
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

function numberAt(record: CsvRecord, index: number, columns: readonly string[], source: string) {
  const cell = (record.fields[index] as string).trim();
  if (!NUMBER.test(cell)) {
    throw new DataError(
      `${source} line ${record.line}, column '${columns[index]}': ` +
        (cell === "" ? "empty value" : `'${cell}' is not a number`),
    );
  }
  return Number(cell);
}

/** Distinct labels in order: numerically when every label is a number, else by text. */
function sortedLabels(labels: readonly string[]): string[] {
  const distinct = [...new Set(labels)];
  return distinct.every((label) => NUMBER.test(label))
    ? distinct.sort((a, b) => Number(a) - Number(b))
    : distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const baseName = (source: string): string =>
  (source.split(/[\\/]/).pop() ?? source).replace(/\.gz$/i, "").replace(/\.[^.]*$/, "");

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

  const rows = records.length;
  const inputs = features.length;
  const x = new Float64Array(rows * inputs);
  records.forEach((record, r) =>
    features.forEach((c, j) => (x[r * inputs + j] = numberAt(record, c, columns, source))),
  );
  const outputs = classification ? 1 : targets.length;
  const y = new Float64Array(rows * outputs);
  let classNames: string[] | undefined;
  if (classification) {
    const column = targets[0] as number;
    const labels = records.map((record) => {
      const label = (record.fields[column] as string).trim();
      if (label === "") {
        throw new DataError(
          `${source} line ${record.line}, column '${columns[column]}': empty label`,
        );
      }
      return label;
    });
    const classes = sortedLabels(labels);
    if (classes.length < 2) {
      throw new DataError(
        `target: column '${columns[column]}' has one class only ('${classes[0]}')`,
      );
    }
    const index = new Map(classes.map((label, k) => [label, k]));
    labels.forEach((label, r) => (y[r] = index.get(label) as number));
    classNames = classes.map((label) => {
      if (!table.classNames) return label;
      const name = table.classNames[Number(label)];
      if (!/^\d+$/.test(label) || name === undefined) {
        const record = records[labels.indexOf(label)] as CsvRecord;
        throw new DataError(
          `${source} line ${record.line}, column 'target': label '${label}' is not one of the ${table.classNames.length} classes the header names`,
        );
      }
      return name;
    });
  } else {
    records.forEach((record, r) =>
      targets.forEach((c, k) => (y[r * outputs + k] = numberAt(record, c, columns, source))),
    );
  }

  const indices = shuffledSplit(rows, options.split);
  const raw = (which: number[]): TaskSplit => ({
    x: takeRows(x, inputs, which),
    y: takeRows(y, outputs, which),
    rows: which.length,
  });
  let train = raw(indices.train);
  let val = raw(indices.val);
  let test = raw(indices.test);
  const featureScaling = fitScaling(train.x, train.rows, inputs, options.normalize);
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
  return {
    name: options.name ?? baseName(source),
    inputs,
    outputs,
    kind: classification ? "classification" : "regression",
    ...(classNames ? { classes: classNames.length, classNames } : {}),
    train,
    val,
    test,
    featureNames,
    targetNames: targets.map((c) => columns[c] as string),
    ...(options.normalize !== "none" ? { featureScaling } : {}),
    ...(targetScaling && targetScaling.kind !== "none" ? { targetScaling } : {}),
    source:
      `csv ${source}, ${rows} rows, split val ${split.val} / test ${split.test} (seed ${split.seed}), ` +
      `features ${options.normalize}` +
      (classification ? "" : `, targets ${options.normalize_target}`),
  };
}
