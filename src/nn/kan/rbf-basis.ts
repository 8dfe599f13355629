/**
 * Gaussian radial basis functions, the one implementation behind FastKAN (Li 2024, "Kolmogorov-
 * Arnold Networks are Radial Basis Function Networks") and S-KAN's "rbf" space:
 *   e_g(x) = exp(−((x − c_g)/h)²),  c_g = low + g·h uniform on [low, high], h their spacing.
 */
import { numpy as np } from "@jax-js/jax";
import type { FloatDType } from "../../engine/dtype.js";
import { arrayFrom } from "../../engine/dtype.js";

/** `count` centres spread uniformly over [low, high] (both ends included) and their spacing h. */
export function gaussianCentres(
  [low, high]: readonly [number, number],
  count: number,
): { centres: number[]; width: number } {
  const width = (high - low) / (count - 1);
  return { centres: Array.from({ length: count }, (_, g) => low + g * width), width };
}

/**
 * Where 1/h enters the exponent: "offset" scales x − c by 1/h, squares and negates (S-KAN);
 * "square" multiplies (x − c)² by −1/h² (FastKAN). Equal in exact arithmetic, not in floating
 * point: each layer keeps its own rounding so its results stay what they were.
 */
export type GaussianScaling = "offset" | "square";

/** e_g(x_i) for x [B, n] (consumed): [B, n, G], G = centres.length. */
export function gaussianBasis(
  x: np.Array,
  centres: readonly number[],
  width: number,
  scaling: GaussianScaling,
  dtype: FloatDType,
): np.Array {
  const [batch, n] = x.shape as [number, number];
  const offset = x.reshape([batch, n, 1]).sub(arrayFrom(centres, [centres.length], dtype));
  if (scaling === "square") return np.exp(np.square(offset).mul(-1 / (width * width)));
  const scaled = offset.mul(1 / width);
  return np.exp(np.square(scaled).neg());
}

/** FLOPs per basis value: subtract, square, exp, and the scaling (×−1/h²; or ×1/h and negate). */
export const gaussianBasisFlops = (scaling: GaussianScaling): number =>
  scaling === "square" ? 4 : 5;
