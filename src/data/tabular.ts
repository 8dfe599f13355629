/**
 * The small real tabular data sets shipped in data/small-tabular/ (iris, wine, breast cancer,
 * digits; the scikit-learn copies of the UCI sets, provenance in the .rst files beside them) as
 * catalog entries, loaded through the CSV loader with a seeded shuffled split and standardisation
 * fitted on the training rows only.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type { CatalogEntry, TaskRequest } from "./catalog-entry.js";
import type { HeaderMode } from "./csv.js";
import { csvTask } from "./csv.js";
import type { Task } from "./task.js";
import { DataError } from "./task.js";

/** The folder below the repository root. */
export const SMALL_TABULAR_FOLDER = join("data", "small-tabular");

/**
 * data/small-tabular of the repository: searched upwards from `start` (default: this module's
 * folder), so it is found from src/data/ (tsx) and from dist/src/data/ (after `tsc`) alike.
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

interface TabularData {
  readonly slug: string;
  readonly file: string;
  readonly header: HeaderMode;
  readonly rows: number;
  readonly classes: number;
  readonly featureNames: readonly string[];
  readonly description: string;
}

const BREAST_CANCER_BASE = [
  "radius",
  "texture",
  "perimeter",
  "area",
  "smoothness",
  "compactness",
  "concavity",
  "concave points",
  "symmetry",
  "fractal dimension",
];

/** Feature names as scikit-learn's load_* functions give them. */
const DATA: readonly TabularData[] = [
  {
    slug: "iris",
    file: "iris.csv",
    header: "sklearn",
    rows: 150,
    classes: 3,
    featureNames: [
      "sepal length (cm)",
      "sepal width (cm)",
      "petal length (cm)",
      "petal width (cm)",
    ],
    description: "Iris (Fisher 1936): 150 flowers, 4 measurements, 3 species (UCI, scikit-learn)",
  },
  {
    slug: "wine",
    file: "wine_data.csv",
    header: "sklearn",
    rows: 178,
    classes: 3,
    featureNames: [
      "alcohol",
      "malic_acid",
      "ash",
      "alcalinity_of_ash",
      "magnesium",
      "total_phenols",
      "flavanoids",
      "nonflavanoid_phenols",
      "proanthocyanins",
      "color_intensity",
      "hue",
      "od280/od315_of_diluted_wines",
      "proline",
    ],
    description: "Wine (Forina et al.): 178 wines, 13 chemical measurements, 3 cultivars (UCI)",
  },
  {
    slug: "breast-cancer",
    file: "breast_cancer.csv",
    header: "sklearn",
    rows: 569,
    classes: 2,
    featureNames: [
      ...BREAST_CANCER_BASE.map((name) => `mean ${name}`),
      ...BREAST_CANCER_BASE.map((name) => `${name} error`),
      ...BREAST_CANCER_BASE.map((name) => `worst ${name}`),
    ],
    description:
      "Breast cancer Wisconsin diagnostic (Street et al. 1993): 569 tumours, 30 cell-nucleus features, malignant/benign (UCI)",
  },
  {
    slug: "digits",
    file: "digits.csv.gz",
    header: "none",
    rows: 1797,
    classes: 10,
    featureNames: Array.from({ length: 64 }, (_, i) => `pixel_${Math.floor(i / 8)}_${i % 8}`),
    description:
      "Digits (Alpaydin & Kaynak 1998): 1797 handwritten digits as 8×8 counts 0..16, 10 classes (UCI)",
  },
];

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

export const TABULAR_TASKS: readonly CatalogEntry[] = DATA.map((data) => ({
  name: `tabular/${data.slug}`,
  family: "tabular",
  kind: "classification",
  metric: "accuracy",
  inputShape: [data.featureNames.length],
  outputs: data.classes,
  description: data.description,
  make: (request: TaskRequest) => makeTabular(data, request),
}));
