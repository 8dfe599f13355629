/**
 * Small dense least squares in float64, for fitting spline coefficients to curves (KAN
 * initialisation, grid update, grid extension). Normal equations with a tiny ridge, solved by
 * Cholesky: the design matrices are B-spline bases (banded, well conditioned on their support),
 * and the ridge gives the minimum-norm-like answer where a basis function sees no samples.
 */

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
  const lower = cholesky(gram, cols);
  const solution = new Float64Array(cols * rhs);
  const column = new Float64Array(cols);
  for (let k = 0; k < rhs; k++) {
    for (let i = 0; i < cols; i++) column[i] = right[i * rhs + k] as number;
    const x = choleskySolve(lower, column, cols);
    for (let i = 0; i < cols; i++) solution[i * rhs + k] = x[i] as number;
  }
  return solution;
}

function cholesky(m: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let sum = m[i * n + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[i * n + k] as number) * (l[j * n + k] as number);
      if (i === j) {
        if (!(sum > 0)) throw new RangeError("least squares: matrix is not positive definite");
        l[i * n + i] = Math.sqrt(sum);
      } else l[i * n + j] = sum / (l[j * n + j] as number);
    }
  return l;
}

function choleskySolve(l: Float64Array, b: Float64Array, n: number): Float64Array {
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i] as number;
    for (let k = 0; k < i; k++) sum -= (l[i * n + k] as number) * (z[k] as number);
    z[i] = sum / (l[i * n + i] as number);
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = z[i] as number;
    for (let k = i + 1; k < n; k++) sum -= (l[k * n + i] as number) * (x[k] as number);
    x[i] = sum / (l[i * n + i] as number);
  }
  return x;
}
