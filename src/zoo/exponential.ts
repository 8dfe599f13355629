import type { ZooEntry } from "./entry.js";

// exp(min(x, 0)) keeps the branch that `where`/`max` discards finite, so no inf·0 = NaN gradient.
export const EXPONENTIAL: ZooEntry[] = [
  {
    name: "elu",
    family: "exponential",
    source:
      "Fast and Accurate Deep Network Learning by Exponential Linear Units (Clevert et al. 2016)",
    text: "where(x, x, alpha * (exp(min(x, 0)) - 1)) where alpha = 1 fixed",
  },
  {
    name: "selu",
    family: "exponential",
    source: "Self-Normalizing Neural Networks (Klambauer et al. 2017)",
    text: "scale * where(x, x, alpha * (exp(min(x, 0)) - 1)) where scale = 1.0507009873554805 fixed, alpha = 1.6732632423543772 fixed",
    notes: "self-normalises with LeCun-normal weights (and alpha-dropout)",
  },
  {
    name: "celu",
    family: "exponential",
    source: "Continuously Differentiable Exponential Linear Units (Barron 2017)",
    text: "relu(x) + min(0, alpha * (exp(min(x, 0) / alpha) - 1)) where alpha = 1 fixed",
  },
  { name: "softplus", family: "exponential", source: "Dugas et al. 2001", text: "softplus(x)" },
  {
    name: "log-sigmoid",
    family: "exponential",
    source: "PyTorch LogSigmoid",
    text: "-softplus(-x)",
  },
];
