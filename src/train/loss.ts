/** Losses of a batch, as traced jax-js functions (consume both arguments). */
import { nn, numpy as np } from "@jax-js/jax";

export const LOSSES = ["mse", "cross_entropy"] as const;
export type LossName = (typeof LOSSES)[number];

/** Mean squared error over every element (pykan's and PyTorch's default). */
export function meanSquaredError(prediction: np.Array, target: np.Array): np.Array {
  return np.square(prediction.sub(target)).mean();
}

/** Softmax cross-entropy with integer class targets given as a one-hot matrix [batch, classes]. */
export function crossEntropy(logits: np.Array, oneHot: np.Array): np.Array {
  return nn.logSoftmax(logits, -1).mul(oneHot).sum(-1).mean().neg();
}

export function lossFunction(name: LossName): (prediction: np.Array, target: np.Array) => np.Array {
  return name === "mse" ? meanSquaredError : crossEntropy;
}
