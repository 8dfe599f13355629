import type { ZooEntry } from "./entry.js";

export const SATURATING: ZooEntry[] = [
  { name: "sigmoid", family: "saturating", source: "logistic function", text: "sigmoid(x)" },
  { name: "tanh", family: "saturating", source: "hyperbolic tangent", text: "tanh(x)" },
  {
    name: "softsign",
    family: "saturating",
    source: "Bergstra et al. 2009",
    text: "x / (1 + abs(x))",
  },
  { name: "tanhshrink", family: "saturating", source: "PyTorch Tanhshrink", text: "x - tanh(x)" },
  {
    name: "gaussian",
    family: "saturating",
    source: "radial basis activation",
    text: "gaussian(x)",
  },
  { name: "erf", family: "saturating", source: "Gauss error function", text: "erf(x)" },
];
