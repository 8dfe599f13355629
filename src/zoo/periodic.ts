import type { ZooEntry } from "./entry.js";

export const PERIODIC: ZooEntry[] = [
  {
    name: "sine",
    family: "periodic",
    source:
      "Implicit Neural Representations with Periodic Activation Functions (SIREN, Sitzmann et al. 2020)",
    text: "sin(omega0 * x) where omega0 = 30 fixed",
    notes: "omega0 = 30 as in SIREN (which pairs it with its own uniform init)",
  },
  {
    name: "snake",
    family: "periodic",
    source:
      "Neural Networks Fail to Learn Periodic Functions and How to Fix It (Ziyin et al. 2020)",
    text: "x + sin(alpha * x)^2 / alpha where alpha = 1",
  },
  {
    name: "cosnet",
    family: "periodic",
    source: "NOBLE: cosine activation with learnable frequency and phase",
    text: "cos(omega * x + phi) where omega = 1, phi = 0",
  },
  {
    name: "biper",
    family: "periodic",
    source: "BiPer: Binary Neural Networks using a Periodic Function",
    text: "surrogate(sign(sin(omega * x)), sin(omega * x)) where omega = 1 fixed",
    notes: "forward: the square wave sign(sin(ωx)); backward: the gradient of sin(ωx)",
  },
  {
    name: "gcu",
    family: "periodic",
    source: "Growing Cosine Unit (Noel et al. 2021)",
    text: "x * cos(x)",
  },
  {
    name: "sinc",
    family: "periodic",
    source: "Searching for Activation Functions (unary primitive)",
    text: "sinc(x)",
    notes: "unnormalised: sin(x)/x",
  },
];
