/**
 * The All-KAN function-fitting targets: the fourteen functions of run_ff.py in
 * github.com/hoangthangta/All-KAN (commit 101ed2d3eb429006283a8967c76c74eed0cb3970), six
 * "oscillation" tests and eight fractal ones, transcribed with their exact constants and term
 * counts. All-KAN fits them on a grid (1024 points of [0, 1] for one input, a grid of [-1, 1]^d
 * for more); we keep those boxes but sample uniformly at random, like the other suites.
 *
 * Two of them differ from their textbook namesakes, and we keep All-KAN's versions:
 * - cantor-1d adds 1/2^(n+1) for each ternary digit 2 among the first 20 and nothing for a digit 1
 *   (the Cantor function would stop at the first 1), so it jumps at x = 1/3, 1/9, …: our one
 *   discontinuous target.
 * - kiesswetter-2d is a product of two "tent minus 1/4" series in base 4, not Kiesswetter's curve.
 */
import type { PointTarget } from "./point-task.js";
import { indexedVariables, variablesOn } from "./point-task.js";

const CITATION = "All-KAN function fitting (hoangthangta/All-KAN run_ff.py @101ed2d)";

const fit = (
  name: string,
  formula: string,
  variables: PointTarget["variables"],
  f: PointTarget["f"],
): PointTarget => ({
  name: `fit/${name}`,
  family: "function-fitting",
  formula,
  output: "y",
  variables,
  f,
  sizes: { train: 1000, val: 200, test: 1000 },
  citation: CITATION,
});

/** Distance from t to the nearest integer, as min(frac(t), 1 − frac(t)). */
const distanceToInteger = (t: number): number => {
  const frac = t - Math.floor(t);
  return Math.min(frac, 1 - frac);
};

/** Σ_{n<terms} aⁿ cos(bⁿ π x) (Weierstrass 1872), bⁿ·π·x in All-KAN's order. */
export function weierstrass(x: number, a: number, b: number, terms: number): number {
  let sum = 0;
  for (let n = 0; n < terms; n++) sum += a ** n * Math.cos(b ** n * Math.PI * x);
  return sum;
}

/** Σ_{n<terms} s(2ⁿ x)/2ⁿ with s the distance to the nearest integer (Takagi 1903). */
export function takagi(x: number, terms: number): number {
  let sum = 0;
  for (let n = 0; n < terms; n++) sum += distanceToInteger(2 ** n * x) / 2 ** n;
  return sum;
}

/** All-KAN's "Cantor" staircase: the ternary digits 2 among the first `terms` count 1/2^(n+1). */
export function allKanCantor(x: number, terms: number): number {
  let y = 0;
  let rest = x;
  for (let n = 0; n < terms; n++) {
    const digit = Math.floor(3 * rest);
    if (digit === 2) y += 1 / 2 ** (n + 1);
    rest = Math.min(Math.max(3 * rest - digit, 0), 1);
  }
  return y;
}

/** Σ_{n=1..terms} sin(n² π x)/n² (Riemann's "non-differentiable" function). */
export function riemann(x: number, terms: number): number {
  let sum = 0;
  for (let n = 1; n <= terms; n++) sum += Math.sin(n ** 2 * Math.PI * x) / n ** 2;
  return sum;
}

const unitInterval = variablesOn(["x"], 0, 1);
const square = indexedVariables(2, -1, 1);

export const ALL_KAN_TARGETS: readonly PointTarget[] = [
  // func1: smooth, localised pattern
  fit(
    "localized-oscillation",
    "exp(-4*x^2) * sin(6*pi*x)",
    unitInterval,
    (x) => Math.exp(-4 * x ** 2) * Math.sin(6 * Math.PI * x),
  ),
  // func2: input-dependent frequency (a chirp)
  fit(
    "warped-oscillation",
    "sin(4*pi*x^2) * cos(2*pi*x)",
    unitInterval,
    (x) => Math.sin(4 * Math.PI * x ** 2) * Math.cos(2 * Math.PI * x),
  ),
  // func3_2d: a different frequency per dimension
  fit(
    "anisotropic-2d",
    "sin(3*pi*x1^2) * cos(3*pi*x2)",
    square,
    (x1, x2) => Math.sin(3 * Math.PI * x1 ** 2) * Math.cos(3 * Math.PI * x2),
  ),
  // func4_3d: coupling with spatial decay
  fit(
    "localized-interaction-3d",
    "exp(-3*(x1^2 + x2^2)) * sin(4*pi*x3 + x1*x2)",
    indexedVariables(3, -1, 1),
    (x1, x2, x3) => Math.exp(-3 * (x1 ** 2 + x2 ** 2)) * Math.sin(4 * Math.PI * x3 + x1 * x2),
  ),
  // func5_4d: coupled, compositional
  fit(
    "coupled-4d",
    "sin(3*pi*(x1*x2 + x3)) * cos(2*pi*(x2*x4))",
    indexedVariables(4, -1, 1),
    (x1, x2, x3, x4) => Math.sin(3 * Math.PI * (x1 * x2 + x3)) * Math.cos(2 * Math.PI * (x2 * x4)),
  ),
  // func6: a kink at x = 0 (the left end of [0, 1])
  fit(
    "kink-oscillation",
    "|x| * sin(3*pi*x)",
    unitInterval,
    (x) => Math.abs(x) * Math.sin(3 * Math.PI * x),
  ),
  fit("weierstrass-1d", "sum_{n=0..9} 0.5^n * cos(5^n*pi*x)", unitInterval, (x) =>
    weierstrass(x, 0.5, 5, 10),
  ),
  fit("takagi-1d", "sum_{n=0..19} dist(2^n*x, Z) / 2^n", unitInterval, (x) => takagi(x, 20)),
  fit("cantor-1d", "sum_{n=0..19} [ternary digit n of x = 2] / 2^(n+1)", unitInterval, (x) =>
    allKanCantor(x, 20),
  ),
  fit("riemann-1d", "sum_{n=1..40} sin(n^2*pi*x) / n^2", unitInterval, (x) => riemann(x, 40)),
  fit(
    "weierstrass-2d",
    "sum_{n=0..4} 0.5^n * cos(3^n*pi*x1) * cos(3^n*pi*x2)",
    square,
    (x1, x2) => {
      let sum = 0;
      for (let n = 0; n < 5; n++) {
        sum += 0.5 ** n * Math.cos(3 ** n * Math.PI * x1) * Math.cos(3 ** n * Math.PI * x2);
      }
      return sum;
    },
  ),
  fit("fbm-2d", "sum_{i=0..5} 0.5^i * sin(2^i*pi*x1) * cos(2^i*pi*x2)", square, (x1, x2) => {
    let sum = 0;
    for (let i = 0; i < 6; i++) {
      sum += 0.5 ** i * Math.sin(2 ** i * Math.PI * x1) * Math.cos(2 ** i * Math.PI * x2);
    }
    return sum;
  }),
  fit(
    "takagi-2d",
    "sum_{n=0..19} (dist(2^n*x1, Z) + dist(2^n*x2, Z)) / 2^n",
    square,
    (x1, x2) => takagi(x1, 20) + takagi(x2, 20),
  ),
  fit(
    "kiesswetter-2d",
    "sum_{n=0..11} (|frac(4^n*x1) - 1/2| - 1/4) * (|frac(4^n*x2) - 1/2| - 1/4) / 4^n",
    square,
    (x1, x2) => {
      let sum = 0;
      for (let n = 0; n < 12; n++) {
        const s1 = 4 ** n * x1;
        const s2 = 4 ** n * x2;
        const t1 = Math.abs(s1 - Math.floor(s1) - 0.5) - 0.25;
        const t2 = Math.abs(s2 - Math.floor(s2) - 0.5) - 0.25;
        sum += (t1 * t2) / 4 ** n;
      }
      return sum;
    },
  ),
];
