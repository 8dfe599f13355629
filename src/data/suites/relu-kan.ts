/**
 * The ReLU-KAN fitting suite (Qiu et al. 2024, "ReLU-KAN: New Kolmogorov-Arnold Networks that Only
 * Need Matrix Addition, Dot Multiplication, and ReLU", arXiv:2406.02075): six targets on [0, 1]^d,
 * 1000 training and 100 test points (../shared/REFERENCES.md §5); we add 200 validation points so
 * model selection never looks at the test split.
 */
import type { PointTarget } from "./point-task.js";
import { indexedVariables, variablesOn } from "./point-task.js";

const CITATION = "ReLU-KAN fitting suite (Qiu et al. 2024, arXiv:2406.02075)";

const reluKan = (
  name: string,
  formula: string,
  variables: PointTarget["variables"],
  f: PointTarget["f"],
): PointTarget => ({
  name: `relu-kan/${name}`,
  family: "function-fitting",
  formula,
  output: "y",
  variables,
  f,
  sizes: { train: 1000, val: 200, test: 100 },
  citation: CITATION,
});

const unitInterval = variablesOn(["x"], 0, 1);

export const RELU_KAN_TARGETS: readonly PointTarget[] = [
  reluKan("sin-pi-x", "sin(pi*x)", unitInterval, (x) => Math.sin(Math.PI * x)),
  reluKan("quadratic", "x^2 + x + 1", unitInterval, (x) => x * x + x + 1),
  reluKan(
    "sin-5pi-x-plus-x",
    "sin(5*pi*x) + x",
    unitInterval,
    (x) => Math.sin(5 * Math.PI * x) + x,
  ),
  reluKan("sin-pi-sum-2d", "sin(pi*x1 + pi*x2)", indexedVariables(2, 0, 1), (x1, x2) =>
    Math.sin(Math.PI * x1 + Math.PI * x2),
  ),
  reluKan("exp-sin-2d", "exp(sin(pi*x1) + x2^2)", indexedVariables(2, 0, 1), (x1, x2) =>
    Math.exp(Math.sin(Math.PI * x1) + x2 * x2),
  ),
  reluKan(
    "exp-sin-sq-4d",
    "exp(sin(pi*(x1^2 + x2^2)) + sin(pi*(x3^2 + x4^2)))",
    indexedVariables(4, 0, 1),
    (x1, x2, x3, x4) =>
      Math.exp(Math.sin(Math.PI * (x1 * x1 + x2 * x2)) + Math.sin(Math.PI * (x3 * x3 + x4 * x4))),
  ),
];
