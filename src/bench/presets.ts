/**
 * Built-in comparisons users run first. `kan-vs-mlp` asks the KAN critical assessment's question
 * (Yu et al. 2024): at matched parameters, does the KAN family beat MLPs — on function fitting
 * (where KANs are said to shine), on Feynman equations, on tabular and on image classification?
 * `activations` runs the zoo on one fixed MLP across tasks. `quick` shrinks either to finish in
 * under 5 minutes on 2 cores (fewer tasks, candidates, seeds, epochs and rows).
 */
import type { BenchConfigInput } from "./config.js";

export const PRESET_NAMES = ["kan-vs-mlp", "activations"] as const;

const KAN_FAMILY = [
  { name: "kan-bspline", layer: { type: "kan", grid_size: 5, order: 3 } },
  // LayerNorm where it means something: over one input (sin(πx)) it would be identically 0
  { name: "fastkan", layer: { type: "kan_fastkan", grid_size: 8, layer_norm: "auto" } },
  { name: "kan-chebyshev", layer: { type: "kan_chebyshev", degree: 4 } },
  { name: "relu-kan", layer: { type: "kan_relu", grid_size: 5, order: 3 } },
] as const;

const MLPS = [
  { name: "mlp-relu", activation: "relu" },
  { name: "mlp-silu", activation: "silu" },
  { name: "mlp-gelu", activation: "gelu" },
] as const;

const FUNCTION_FITTING = [
  "relu-kan/sin-pi-x",
  "relu-kan/quadratic",
  "relu-kan/sin-5pi-x-plus-x",
  "relu-kan/sin-pi-sum-2d",
  "relu-kan/exp-sin-2d",
  "relu-kan/exp-sin-sq-4d",
  "fit/weierstrass-1d",
  "fit/takagi-1d",
];

const FEYNMAN = [
  "feynman/I.6.2a",
  "feynman/I.12.1",
  "feynman/I.14.3",
  "feynman/I.34.27",
  "feynman/II.11.27",
];

function kanVsMlp(quick: boolean): BenchConfigInput {
  if (quick)
    return {
      name: "kan-vs-mlp-quick",
      tasks: [
        "relu-kan/sin-pi-x",
        "relu-kan/exp-sin-2d",
        "feynman/I.6.2a",
        { name: "tabular/iris" },
        { name: "tabular/breast-cancer", budget: 2000 },
        { name: "image/mnist", train: 2000, val: 500, test: 1000, budget: 20000 },
      ],
      candidates: [MLPS[0], MLPS[1], KAN_FAMILY[0], KAN_FAMILY[1]],
      baseline: "mlp-relu",
      seeds: 3,
      fairness: { mode: "params", budget: 500 },
      network: { depth: 1 },
      training: { optimizer: { name: "adam", lr: 1e-2 }, epochs: 15, batch_size: 64, patience: 5 },
      rows: { train: 500, val: 200, test: 500 },
    };
  return {
    name: "kan-vs-mlp",
    tasks: [
      ...FUNCTION_FITTING,
      ...FEYNMAN,
      "tabular/iris",
      "tabular/wine",
      { name: "tabular/breast-cancer", budget: 3000 },
      { name: "tabular/digits", budget: 5000 },
      { name: "image/mnist", train: 20000, budget: 60000 },
    ],
    candidates: [...MLPS, ...KAN_FAMILY],
    baseline: "mlp-relu",
    seeds: 6,
    fairness: { mode: "params", budget: 1000 },
    network: { depth: 1 },
    training: { optimizer: { name: "adam", lr: 3e-3 }, epochs: 60, batch_size: 64, patience: 10 },
  };
}

const ACTIVATIONS = [
  "relu",
  "leaky-relu",
  "prelu",
  "relu6",
  "hardtanh",
  "hard-swish",
  "elu",
  "selu",
  "celu",
  "softplus",
  "sigmoid",
  "tanh",
  "softsign",
  "gaussian",
  "erf",
  "gelu",
  "gelu-tanh",
  "silu",
  "mish",
  "squareplus",
  "bent-identity",
  "crrelu",
  "sine",
  "snake",
  "biper",
  "gcu",
  "sinc",
  "polyrelu",
  "rational",
  "ash",
];

function activations(quick: boolean): BenchConfigInput {
  const names = quick ? ["relu", "gelu", "silu", "selu", "tanh", "crrelu"] : ACTIVATIONS;
  return {
    name: quick ? "activations-quick" : "activations",
    tasks: quick
      ? ["relu-kan/sin-5pi-x-plus-x", "synthetic/spirals", "tabular/wine"]
      : [
          ...FUNCTION_FITTING.slice(0, 6),
          "synthetic/moons",
          "synthetic/spirals",
          "synthetic/circles",
          "tabular/iris",
          "tabular/wine",
          "tabular/breast-cancer",
          "tabular/digits",
        ],
    candidates: names.map((name) => ({ name, activation: name })),
    baseline: "relu",
    seeds: quick ? 3 : 6,
    fairness: { mode: "none" },
    network: { depth: 2, width: quick ? 32 : 64 },
    training: {
      optimizer: { name: "adam", lr: 3e-3 },
      epochs: quick ? 15 : 60,
      batch_size: 64,
      patience: 10,
    },
    rows: quick ? { train: 500, val: 200, test: 500 } : {},
  };
}

export function presetConfig(name: string, quick: boolean): BenchConfigInput {
  if (name === "kan-vs-mlp") return kanVsMlp(quick);
  if (name === "activations") return activations(quick);
  throw new RangeError(`unknown preset '${name}'`);
}
