/**
 * What the small real tabular data sets shipped in data/small-tabular/ are (iris, wine, breast
 * cancer, digits; the scikit-learn copies of the UCI sets, provenance in the .rst files beside
 * them): file, header, sizes, feature names, and their catalog metadata. Browser-safe; reading
 * the files is node/tabular.ts's job.
 */
import type { HeaderMode } from "./csv.js";
import type { TaskMetadata } from "./catalog-entry.js";

export interface TabularData {
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
export const TABULAR_DATA: readonly TabularData[] = [
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

/** The catalog metadata of one data set: classification by accuracy, one row of features. */
export function tabularMetadata(data: TabularData): TaskMetadata {
  return {
    name: `tabular/${data.slug}`,
    family: "tabular",
    kind: "classification",
    metric: "accuracy",
    inputShape: [data.featureNames.length],
    outputs: data.classes,
    description: data.description,
  };
}

export const TABULAR_METADATA: readonly TaskMetadata[] = TABULAR_DATA.map(tabularMetadata);
