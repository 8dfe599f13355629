/**
 * Small dense least squares in float64, for fitting spline coefficients to curves (KAN
 * initialisation, grid update, grid extension). Normal equations with a tiny ridge, solved by
 * Cholesky: the design matrices are B-spline bases (banded, well conditioned on their support),
 * and the ridge gives the minimum-norm-like answer where a basis function sees no samples.
 */
import { choleskyFactor, choleskySolve } from "./cholesky.js";

/** Solves min ‖A·C − Y‖² + ridge·‖C‖² for A [rows, cols], Y [rows, rhs]; returns C [cols, rhs]. */
export function leastSquares(
  a: Float64Array,
  y: Float64Array,
  rows: number,
  cols: number,
  rhs: number,
  ridge = 1e-10,
): Float64Array {
  const gram = new Float64Array(cols * cols);
  const right = new Float64Array(cols * rhs);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const ai = a[r * cols + i] as number;
      if (ai === 0) continue;
      for (let j = 0; j <= i; j++) gram[i * cols + j]! += ai * (a[r * cols + j] as number);
      for (let k = 0; k < rhs; k++) right[i * rhs + k]! += ai * (y[r * rhs + k] as number);
    }
  }
  let trace = 0;
  for (let i = 0; i < cols; i++) trace += gram[i * cols + i] as number;
  const shift = ridge * Math.max(trace / cols, 1e-300);
  for (let i = 0; i < cols; i++) {
    gram[i * cols + i]! += shift;
    for (let j = 0; j < i; j++) gram[j * cols + i] = gram[i * cols + j] as number;
  }
  const lower = choleskyFactor(gram, cols);
  if (lower === undefined) throw new RangeError("least squares: matrix is not positive definite");
  const solution = new Float64Array(cols * rhs);
  const column = new Float64Array(cols);
  for (let k = 0; k < rhs; k++) {
    for (let i = 0; i < cols; i++) column[i] = right[i * rhs + k] as number;
    const x = choleskySolve(lower, column, cols);
    for (let i = 0; i < cols; i++) solution[i * rhs + k] = x[i] as number;
  }
  return solution;
}
