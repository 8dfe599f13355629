/**
 * Built-in searches. `quick` (the main job after install: under 10 minutes on 2 cores) searches
 * Swish-style core units by aging evolution on two small tasks and tests the top 3 on four tasks
 * it never saw; `standard` spends more of everything and adds a second architecture so the winner
 * must transfer.
 */
import type { SearchConfigInput } from "./config.js";

export const SEARCH_PRESETS = ["quick", "standard", "graphs", "kan-basis"] as const;

const QUICK: SearchConfigInput = {
  name: "quick",
  space: "core_units",
  algorithm: "evolution",
  budget: 24,
  // candidates in flight: enough work for the workers of a small machine (docs/search.md)
  parallel: 4,
  population: 8,
  sample: 3,
  seed: 0,
  fitness: {
    tasks: ["relu-kan/sin-5pi-x-plus-x", "synthetic/spirals"],
    architectures: [{ depth: 1 }],
    seeds: 2,
    params: 200,
    training: { optimizer: { name: "adam", lr: 1e-2 }, epochs: 12, batch_size: 50 },
    rows: { train: 300, val: 150, test: 150 },
  },
  heldout: {
    tasks: ["toy/exp-sin", "synthetic/moons", "feynman/I.12.1", "tabular/wine"],
    top_k: 3,
    seeds: 8,
    baselines: ["relu", "gelu", "silu"],
    eafo: ["relu"],
    rows: { train: 300, val: 150, test: 300 },
  },
};

const STANDARD: SearchConfigInput = {
  ...QUICK,
  name: "standard",
  budget: 150,
  parallel: 8,
  population: 24,
  sample: 5,
  fitness: {
    tasks: ["relu-kan/sin-5pi-x-plus-x", "synthetic/spirals", "tabular/iris", "feynman/I.6.2a"],
    architectures: [{ depth: 1 }, { depth: 2 }],
    seeds: 3,
    params: 400,
    training: { optimizer: { name: "adam", lr: 1e-2 }, epochs: 30, batch_size: 50 },
    rows: { train: 800, val: 200, test: 200 },
  },
  heldout: {
    tasks: [
      "toy/exp-sin",
      "synthetic/moons",
      "synthetic/circles",
      "feynman/I.12.1",
      "feynman/II.11.27",
      "tabular/wine",
      "tabular/breast-cancer",
    ],
    top_k: 5,
    seeds: 10,
    baselines: ["relu", "gelu", "silu"],
    eafo: ["relu", "silu"],
  },
};

/**
 * EvoNorm's setting: tensor-to-tensor graphs with batch/instance/feature moments as the
 * normalisation-activation layer of a small conv net (conv 3×3 → candidate → pool → dense),
 * searched on an MNIST subset, tested on Fashion-MNIST, which it never saw.
 */
const GRAPHS: SearchConfigInput = {
  name: "graphs",
  space: "graphs",
  algorithm: "evolution",
  // the quality stage trains an MLP probe; graphs are judged in the conv net itself
  rejection: { quality: false },
  budget: 20,
  parallel: 4,
  population: 8,
  sample: 3,
  seed: 0,
  fitness: {
    tasks: [{ name: "image/mnist", train: 1000, val: 500, test: 500 }],
    architectures: [{ kind: "conv", filters: 8 }],
    seeds: 2,
    training: { optimizer: { name: "adam", lr: 3e-3 }, epochs: 4, batch_size: 64 },
  },
  heldout: {
    tasks: [{ name: "image/fashion-mnist", train: 2000, val: 500, test: 1000 }],
    top_k: 3,
    seeds: 6,
    baselines: ["relu", "silu"],
  },
};

/**
 * S-KAN's question: which activation spaces should a KAN node choose among? Basis sets of at most
 * three spaces (B-splines, RBFs, Fourier terms, polynomials, five zoo activations) are searched as
 * networks of selectable KAN layers at matched parameters on two function-fitting tasks, and the
 * best are tested on four others beside ReLU/GELU/SiLU MLPs, pykan's B-spline KAN and S-KAN over
 * every space.
 */
const KAN_BASIS: SearchConfigInput = {
  name: "kan-basis",
  space: "kan_basis",
  algorithm: "evolution",
  budget: 16,
  parallel: 4,
  population: 8,
  sample: 3,
  seed: 0,
  kan_basis: { max_spaces: 3 },
  // the quick search's fitness protocol, on two function-fitting tasks
  fitness: { ...QUICK.fitness, tasks: ["relu-kan/sin-5pi-x-plus-x", "toy/exp-sin"] },
  heldout: {
    tasks: ["toy/bessel-j0", "toy/xy", "fit/kink-oscillation", "feynman/I.12.1"],
    top_k: 3,
    seeds: 8,
    baselines: ["relu", "gelu", "silu"],
    rows: { train: 300, val: 150, test: 300 },
  },
};

export function searchPreset(name: string): SearchConfigInput {
  if (name === "kan-basis") return KAN_BASIS;
  if (name === "graphs") return GRAPHS;
  if (name === "quick") return QUICK;
  if (name === "standard") return STANDARD;
  throw new RangeError(`unknown search preset '${name}'`);
}
