import type { ZooEntry } from "./entry.js";

export const POLYNOMIAL: ZooEntry[] = [
  {
    name: "quadratic",
    family: "polynomial",
    source: "Bayes-optimal learning with quadratic activations",
    text: "x^2",
  },
  {
    name: "polyrelu",
    family: "polynomial",
    source: "Polynomial Composition Activations (PolyCom)",
    text: "a0 + a1 * relu(x) + a2 * relu(x)^2 + a3 * relu(x)^3 where a0 = 0, a1 = 0.3333333333333333, a2 = 0.3333333333333333, a3 = 0.3333333333333333",
    notes: "order r = 3; a_0 = 0 and a_i = 1/r at init",
  },
  {
    name: "polynorm",
    family: "polynomial",
    source: "Polynomial Composition Activations (PolyCom)",
    text: "a0 + a1 * x / rms(x) + a2 * x^2 / rms(x^2) + a3 * x^3 / rms(x^3) where a0 = 0, a1 = 0.3333333333333333, a2 = 0.3333333333333333, a3 = 0.3333333333333333",
    notes: "N is an RMS normalisation over the feature axis; order r = 3; context-dependent",
  },
  {
    name: "series-activation",
    family: "polynomial",
    source: "PanGu-π: Enhancing Language Model Architectures via Nonlinearity Compensation",
    text: "a1 * relu(x + b1) + a2 * relu(x + b2) + a3 * relu(x + b3) where a1 = 0.3333333333333333, b1 = -1, a2 = 0.3333333333333333, b2 = 0, a3 = 0.3333333333333333, b3 = 1",
    notes: "n = 3 shifted copies of a ReLU base with learnable scales and shifts",
  },
  {
    name: "rational",
    family: "polynomial",
    source: "Kolmogorov-Arnold Transformer (safe Padé 5/4, as in GR-KAN)",
    text: "(p0 + p1 * x + p2 * x^2 + p3 * x^3 + p4 * x^4 + p5 * x^5) / (1 + abs(q1 * x + q2 * x^2 + q3 * x^3 + q4 * x^4)) where p0 = -0.00353227, p1 = 0.5, p2 = 0.419646, p3 = 0.125495, p4 = 0.0157477, p5 = 0.000690511, q1 = 0, q2 = 0.250991, q3 = 0, q4 = 0.00138102",
    notes:
      "coefficients initialised to fit GELU on [-6, 6] (weighted linearised least squares, max error 3.6e-3)",
  },
];
