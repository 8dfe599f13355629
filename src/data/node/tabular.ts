/**
 * The small real tabular data sets shipped in data/small-tabular/ (../tabular-sets.ts says what
 * they are) as catalog entries, read from disk and loaded through the CSV loader with a seeded
 * shuffled split and standardisation fitted on the training rows only.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type { CatalogEntry, TaskRequest } from "../catalog-entry.js";
import { csvTask } from "../csv.js";
import type { TabularData } from "../tabular-sets.js";
import { TABULAR_DATA, tabularMetadata } from "../tabular-sets.js";
import type { Task } from "../task.js";
import { DataError } from "../task.js";

/** The folder below the repository root. */
export const SMALL_TABULAR_FOLDER = join("data", "small-tabular");

/**
 * data/small-tabular of the repository: searched upwards from `start` (default: this module's
 * folder), so it is found from src/data/node/ (tsx) and from dist/src/data/node/ (after `tsc`)
 * alike.
 */
export function smallTabularDir(start = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, SMALL_TABULAR_FOLDER);
    if (existsSync(join(candidate, "README.md"))) return candidate;
    if (dirname(dir) === dir) {
      throw new DataError(
        `${SMALL_TABULAR_FOLDER} not found in any folder above ${start}: the data sets ship with ` +
          "the repository; run nonlin from a copy that has them",
      );
    }
  }
}

/** Split fractions used unless the request gives val / test row counts. */
export const TABULAR_SPLIT = { val: 0.15, test: 0.15 } as const;

const texts = new Map<string, string>();

/** The file's text, gunzipped for .gz; read once per process. */
function readData(file: string): string {
  const cached = texts.get(file);
  if (cached !== undefined) return cached;
  const path = join(smallTabularDir(), file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new DataError(`cannot read ${path}: ${String(error)}`);
  }
  const text = file.endsWith(".gz") ? gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
  texts.set(file, text);
  return text;
}

function checkRequest(request: TaskRequest, rows: number): void {
  for (const field of ["val", "test"] as const) {
    const value = request[field];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value < rows)) {
      throw new DataError(`${field}: must be an integer row count in [0, ${rows}), got ${value}`);
    }
  }
  if (request.train !== undefined && !(Number.isInteger(request.train) && request.train >= 1)) {
    throw new DataError(`train: must be a positive integer, got ${request.train}`);
  }
}

/**
 * The task for one data set: val and test are `request.val` / `request.test` rows when given,
 * else 15 % each (rounded); train is the rest, capped at `request.train` rows (a seeded subset).
 */
function makeTabular(data: TabularData, request: TaskRequest): Task {
  checkRequest(request, data.rows);
  const name = `tabular/${data.slug}`;
  const task = csvTask(readData(data.file), `${SMALL_TABULAR_FOLDER}/${data.file}`, {
    name,
    header: data.header,
    delimiter: ",",
    classification: true,
    split: {
      // round(rows · count/rows) is count again: the split takes exactly the rows asked for.
      val: request.val === undefined ? TABULAR_SPLIT.val : request.val / data.rows,
      test: request.test === undefined ? TABULAR_SPLIT.test : request.test / data.rows,
      seed: request.seed,
    },
    normalize: "standard",
    normalize_target: "none",
    ...(request.train !== undefined ? { max_train: request.train } : {}),
  });
  if (task.inputs !== data.featureNames.length || task.classes !== data.classes) {
    throw new DataError(
      `${SMALL_TABULAR_FOLDER}/${data.file}: ${task.inputs} features and ${task.classes} classes, ` +
        `expected ${data.featureNames.length} and ${data.classes}`,
    );
  }
  return { ...task, featureNames: [...data.featureNames] };
}

export const TABULAR_TASKS: readonly CatalogEntry[] = TABULAR_DATA.map((data) => ({
  ...tabularMetadata(data),
  make: (request: TaskRequest) => makeTabular(data, request),
}));
