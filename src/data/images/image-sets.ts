/**
 * What the catalog's image data sets are — name, description, image shape, class names — and
 * their catalog metadata. Browser-safe; reading the bytes (npm packages, a downloaded archive) is
 * node/images/'s job.
 */
import type { TaskMetadata } from "../catalog-entry.js";

export interface ImageSetInfo {
  readonly name: string;
  /** One line for reports. */
  readonly description: string;
  /** [channels, height, width] of one image, as the files store it. */
  readonly shape: readonly [number, number, number];
  readonly classNames: readonly string[];
}

export const MNIST_DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;

export const FASHION_CLASS_NAMES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

export const CIFAR10_CLASS_NAMES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
] as const;

export const MNIST_INFO: ImageSetInfo = {
  name: "image/mnist",
  description:
    "MNIST handwritten digits (LeCun et al. 1998), 28×28 grey, 60k train (val carved out) / 10k test; pixels/255",
  shape: [1, 28, 28],
  classNames: MNIST_DIGITS,
};

export const FASHION_MNIST_INFO: ImageSetInfo = {
  name: "image/fashion-mnist",
  description:
    "Fashion-MNIST clothes (Xiao et al. 2017), 28×28 grey, fixed seeded split 60k train / 10k test; pixels/255",
  shape: [1, 28, 28],
  classNames: FASHION_CLASS_NAMES,
};

export const CIFAR10_INFO: ImageSetInfo = {
  name: "image/cifar10",
  description:
    "CIFAR-10 colour images (Krizhevsky 2009), 3×32×32, 50k train (val carved out) / 10k test; pixels/255; downloaded once (163 MB)",
  shape: [3, 32, 32],
  classNames: CIFAR10_CLASS_NAMES,
};

/**
 * The catalog metadata of an image data set: 10-way (or more) classification by accuracy, rows
 * channels-last ([height, width, channels] from the data set's [channels, height, width]).
 */
export function imageMetadata(info: ImageSetInfo): TaskMetadata {
  const [channels, height, width] = info.shape;
  return {
    name: info.name,
    family: "image",
    kind: "classification",
    metric: "accuracy",
    inputShape: [height, width, channels],
    outputs: info.classNames.length,
    description: info.description,
  };
}

export const IMAGE_METADATA: readonly TaskMetadata[] = [
  MNIST_INFO,
  FASHION_MNIST_INFO,
  CIFAR10_INFO,
].map(imageMetadata);
