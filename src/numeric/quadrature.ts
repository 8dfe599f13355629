/**
 * Expectations under the standard normal by quadrature on a finite interval: E[g(z)] =
 * ∫ g(z)·φ(z) dz, φ(z) = e^(−z²/2)/√(2π), with the tails beyond ±limit dropped.
 */

/** E[g(z)], z ~ N(0, 1), by composite Simpson's rule: `intervals` (even) equal intervals of [−limit, limit]. */
export function gaussianExpectationSimpson(
  g: (z: number) => number,
  intervals = 4800,
  limit = 12,
): number {
  const h = (2 * limit) / intervals;
  let sum = 0;
  for (let k = 0; k <= intervals; k++) {
    const z = -limit + k * h;
    const weight = k === 0 || k === intervals ? 1 : k % 2 === 1 ? 4 : 2;
    sum += weight * g(z) * Math.exp(-0.5 * z * z);
  }
  return (sum * h) / 3 / Math.sqrt(2 * Math.PI);
}

/**
 * E[g(z)], z ~ N(0, 1), by the midpoint rule: `cells` equal cells of [−limit, limit], g taken at
 * each cell's centre (so a kink or jump at 0 falls on a cell edge when `cells` is even).
 */
export function gaussianExpectationMidpoint(
  g: (z: number) => number,
  limit = 10,
  cells = 4000,
): number {
  const h = (2 * limit) / cells;
  let sum = 0;
  for (let i = 0; i < cells; i++) {
    const z = -limit + (i + 0.5) * h;
    sum += g(z) * Math.exp(-0.5 * z * z);
  }
  return (sum * h) / Math.sqrt(2 * Math.PI);
}
