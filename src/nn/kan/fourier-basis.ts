/**
 * The Fourier basis, the one implementation behind FourierKAN (Xu et al. 2024) and S-KAN's
 * "fourier" space: cos(k·x) and sin(k·x) for k = 1..K.
 */
import { numpy as np } from "@jax-js/jax";
import type { FloatDType } from "../../engine/dtype.js";
import { arrayFrom } from "../../engine/dtype.js";

/** cos(k·x_i) and sin(k·x_i) for x [B, n] (consumed): two arrays [B, n, K]. */
export function fourierBasis(
  x: np.Array,
  frequencies: number,
  dtype: FloatDType,
): { cos: np.Array; sin: np.Array } {
  const [batch, n] = x.shape as [number, number];
  const ks = Array.from({ length: frequencies }, (_, k) => k + 1);
  const phase = x.reshape([batch, n, 1]).mul(arrayFrom(ks, [frequencies], dtype));
  return { cos: np.cos(phase.ref), sin: np.sin(phase) };
}

/** FLOPs per frequency and input: k·x, cos, sin. */
export const FOURIER_BASIS_FLOPS = 3;
