/**
 * Pieces shared by the basis-function KAN layers (FastKAN, ReLU-KAN, Chebyshev, Fourier, AF-KAN):
 * spec fields, the flat-input check, a fast ReLU, LayerNorm, and the basis → output matmul.
 */
import { numpy as np } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../../engine/dtype.js";
import { arrayFrom } from "../../engine/dtype.js";
/** Number of input features; these layers take flat samples [n] only. */
export { flatInputCount } from "../layer.js";

export const unitsField = z.number().int().positive();

/** `[low, high]` with low < high. */
export function gridRangeField(defaultRange: [number, number]) {
  return z
    .tuple([z.number(), z.number()])
    .refine(([low, high]) => low < high, { message: "grid_range must be [low, high], low < high" })
    .default(defaultRange);
}

/** ReLU as a comparison cast to float times the value: ~6x faster than np.maximum on wasm. */
export function fastRelu(a: np.Array): np.Array {
  return a.mul(np.greater(a.ref, 0).astype(a.dtype));
}

/** A constant 1-D array of the layer's dtype. */
export function constantVector(values: readonly number[], dtype: FloatDType): np.Array {
  return arrayFrom(values, [values.length], dtype);
}

/**
 * (x − mean) / sqrt(var + eps) over the last axis (biased variance, as torch.nn.LayerNorm).
 * FLOPs per normalised vector of N values: layerNormFlops(N, false).
 */
export function normalizeLastAxis(x: np.Array, eps: number): np.Array {
  const mean = np.mean(x.ref, -1, { keepdims: true });
  const centred = x.sub(mean);
  const variance = np.mean(np.square(centred.ref), -1, { keepdims: true });
  return centred.mul(np.reciprocal(np.sqrt(variance.add(eps))));
}

/**
 * FLOPs of normalizeLastAxis on N values: mean N (N−1 adds, 1 divide), centre N, square N,
 * variance N, +eps 1, sqrt 1, reciprocal 1, scale N → 5N + 3; an affine gain and shift add 2N.
 */
export function layerNormFlops(count: number, affine: boolean): number {
  return 5 * count + 3 + (affine ? 2 * count : 0);
}

/** LayerNorm over the last axis with a learnable gain and shift (borrowed). */
export function layerNorm(x: np.Array, gain: np.Array, shift: np.Array, eps: number): np.Array {
  return normalizeLastAxis(x, eps).mul(gain.ref).add(shift.ref);
}

/**
 * Σ_i Σ_k basis[b, i, k] · weight[i, k, j] as ONE 2-D matmul (jax-js's only fast matmul):
 * basis [B, n, K] (consumed) → [B, n·K], weight [n, K, m] (borrowed) → [n·K, m].
 */
export function basisMatmul(basis: np.Array, weight: np.Array): np.Array {
  const [batch, n, k] = basis.shape as [number, number, number];
  const units = weight.shape[2] as number;
  return np.matmul(basis.reshape([batch, n * k]), weight.ref.reshape([n * k, units]));
}
