import type { ZooEntry } from "./entry.js";

/** x times a smooth gate of x. */
export const GATED: ZooEntry[] = [
  {
    name: "gelu",
    family: "gated",
    source: "Gaussian Error Linear Units (Hendrycks & Gimpel 2016)",
    text: "0.5 * x * (1 + erf(x / sqrt(2)))",
  },
  {
    name: "gelu-tanh",
    family: "gated",
    source: "Gaussian Error Linear Units (Hendrycks & Gimpel 2016), tanh approximation",
    text: "0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))",
  },
  {
    name: "silu",
    family: "gated",
    source: "Sigmoid-Weighted Linear Units (Elfwing et al. 2017)",
    text: "x * sigmoid(x)",
  },
  {
    name: "swish",
    family: "gated",
    source: "Searching for Activation Functions (Ramachandran et al. 2017)",
    text: "x * sigmoid(beta * x) where beta = 1",
    notes: "learnable beta; swish with beta fixed at 1 is silu",
  },
  {
    name: "mish",
    family: "gated",
    source: "Mish: A Self Regularized Non-Monotonic Activation Function (Misra 2019)",
    text: "x * tanh(softplus(x))",
  },
  {
    name: "squareplus",
    family: "gated",
    source: "Squareplus: A Softplus-Like Algebraic Rectifier (Barron 2021)",
    text: "(x + sqrt(x^2 + b)) / 2 where b = 4 fixed",
  },
  {
    name: "bent-identity",
    family: "gated",
    source: "bent identity",
    text: "(sqrt(x^2 + 1) - 1) / 2 + x",
  },
  {
    name: "crrelu",
    family: "gated",
    source: "A Method on Searching Better Activation Functions (EAFO): Correction Regularized ReLU",
    text: "relu(x) + eps * x * exp(-x^2 / 2) where eps = 0.01",
    notes: "the entropy-based correction of ReLU, learnable eps initialised to 0.01",
  },
];
