/**
 * The Gauss error function to about 1e-15, in plain numbers and as a recipe of elementary
 * operations (so the compiled form can reach float64 accuracy; jax-js's own erf is a float32
 * approximation even on float64 arrays).
 *
 * |x| < ERF_SERIES_LIMIT: erf(x) = 2/√π · e^{−x²} · Σₙ (2x²)ⁿ x / (1·3···(2n+1)), all terms positive.
 * |x| ≥ ERF_SERIES_LIMIT: erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))).
 */
export const ERF_SERIES_LIMIT = 2.5;
/** Terms of the series (enough for 1e-16 at |x| = 2.5). */
export const ERF_SERIES_TERMS = 42;
/** Depth of the continued fraction (enough for 1e-16 at |x| = 2.5). */
export const ERF_FRACTION_DEPTH = 42;

export function erfSeries(x: number): number {
  const a = 2 * x * x;
  let sum = 0;
  for (let n = ERF_SERIES_TERMS; n >= 0; n--) sum = 1 + (a / (2 * n + 3)) * sum;
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * x * sum;
}

export function erfcFraction(x: number): number {
  let tail = x;
  for (let k = ERF_FRACTION_DEPTH; k >= 1; k--) tail = x + k / 2 / tail;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / tail;
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const magnitude = Math.abs(x);
  const value = magnitude < ERF_SERIES_LIMIT ? erfSeries(magnitude) : 1 - erfcFraction(magnitude);
  return x < 0 ? -value : value;
}
