/**
 * The KAN paper's toy functions (Liu et al. 2024, "KAN: Kolmogorov-Arnold Networks",
 * arXiv:2404.19756, §3.1, Fig. 3.1): five targets with known compositional structure, sampled on
 * [-1, 1]^d as pykan's create_dataset does by default (1000 train, 1000 test points).
 */
import { besselJ0 } from "./bessel.js";
import type { PointTarget } from "./point-task.js";
import { DEFAULT_SIZES, indexedVariables, variablesOn } from "./point-task.js";

const CITATION = "KAN toy function (Liu et al. 2024, arXiv:2404.19756, §3.1)";

const toy = (
  name: string,
  formula: string,
  variables: PointTarget["variables"],
  f: PointTarget["f"],
): PointTarget => ({
  name: `toy/${name}`,
  family: "function-fitting",
  formula,
  output: "y",
  variables,
  f,
  sizes: DEFAULT_SIZES,
  citation: CITATION,
});

export const TOY_TARGETS: readonly PointTarget[] = [
  // (a) a special function: one input, many oscillations
  toy("bessel-j0", "J0(20x)", variablesOn(["x"], -1, 1), (x) => besselJ0(20 * x)),
  // (b) pykan's "hello KAN": a [2, 1, 1] KAN represents it exactly
  toy("exp-sin", "exp(sin(pi*x1) + x2^2)", indexedVariables(2, -1, 1), (x1, x2) =>
    Math.exp(Math.sin(Math.PI * x1) + x2 * x2),
  ),
  // (c) multiplication: a [2, 2, 1] KAN via xy = ((x+y)^2 - (x-y)^2)/4
  toy("xy", "x1*x2", indexedVariables(2, -1, 1), (x1, x2) => x1 * x2),
  // (d) high-dimensional but additive inside: [100, 1, 1]
  toy(
    "exp-mean-sin2-100d",
    "exp((1/100) * sum_{i=1..100} sin(pi*xi/2)^2)",
    indexedVariables(100, -1, 1),
    (...x) => {
      let sum = 0;
      for (const xi of x) sum += Math.sin((Math.PI * xi) / 2) ** 2;
      return Math.exp(sum / 100);
    },
  ),
  // (e) a three-layer composition: [4, 4, 2, 1]
  toy(
    "exp-sin-sq-4d",
    "exp((sin(pi*(x1^2 + x2^2)) + sin(pi*(x3^2 + x4^2)))/2)",
    indexedVariables(4, -1, 1),
    (x1, x2, x3, x4) =>
      Math.exp(
        (Math.sin(Math.PI * (x1 * x1 + x2 * x2)) + Math.sin(Math.PI * (x3 * x3 + x4 * x4))) / 2,
      ),
  ),
];
