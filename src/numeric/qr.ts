/** Householder QR for small dense least-squares problems, plain float64, row-major. */

/**
 * min ‖A·u − y‖ for A [rows, cols] (row-major, overwritten) by Householder QR: stable where the
 * normal equations of a power basis would square an already large condition number.
 */
export function householderLeastSquares(
  a: Float64Array,
  y: Float64Array,
  rows: number,
  cols: number,
): Float64Array {
  const rhs = Float64Array.from(y);
  const diagonal = new Float64Array(cols);
  for (let k = 0; k < cols; k++) {
    let norm = 0;
    for (let r = k; r < rows; r++) norm += (a[r * cols + k] as number) ** 2;
    norm = Math.sqrt(norm);
    const head = a[k * cols + k] as number;
    const alpha = head > 0 ? -norm : norm;
    diagonal[k] = alpha;
    if (norm === 0) continue;
    // v = column − alpha·e_k, stored in place; H = I − 2vvᵀ/(vᵀv)
    a[k * cols + k] = head - alpha;
    let vv = 0;
    for (let r = k; r < rows; r++) vv += (a[r * cols + k] as number) ** 2;
    if (vv === 0) continue;
    for (let c = k + 1; c < cols; c++) {
      let dot = 0;
      for (let r = k; r < rows; r++)
        dot += (a[r * cols + k] as number) * (a[r * cols + c] as number);
      const scale = (2 * dot) / vv;
      for (let r = k; r < rows; r++) a[r * cols + c]! -= scale * (a[r * cols + k] as number);
    }
    let dot = 0;
    for (let r = k; r < rows; r++) dot += (a[r * cols + k] as number) * (rhs[r] as number);
    const scale = (2 * dot) / vv;
    for (let r = k; r < rows; r++) rhs[r]! -= scale * (a[r * cols + k] as number);
  }
  const u = new Float64Array(cols);
  for (let k = cols - 1; k >= 0; k--) {
    let sum = rhs[k] as number;
    for (let c = k + 1; c < cols; c++) sum -= (a[k * cols + c] as number) * (u[c] as number);
    const pivot = diagonal[k] as number;
    u[k] = Math.abs(pivot) > 1e-300 ? sum / pivot : 0;
  }
  return u;
}
