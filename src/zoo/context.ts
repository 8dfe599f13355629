import type { ZooEntry } from "./entry.js";

/** Activations whose value at a unit depends on the other units of the layer. */
export const CONTEXT_DEPENDENT: ZooEntry[] = [
  {
    name: "ash",
    family: "context-dependent",
    source: "Stochastic Adaptive Activation Function (Adaptive SwisH)",
    text: "x * sigmoid(alpha * (x - (mean(x) + zk * std(x)))) where alpha = 1, zk = 1.2815515655446004 fixed",
    notes:
      "keeps the top k = 10% of the feature axis: z_k = Φ⁻¹(0.9); mean and std over the feature axis",
  },
];
