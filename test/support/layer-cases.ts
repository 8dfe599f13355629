/**
 * A small case of every registered layer type (spec and input shape; `exact`: no transcendental
 * function involved), shared by the torch parity test and the torch export test.
 */
import type { LayerSpec } from "../../src/nn/definition.js";

/**
 * One case a registered layer type, with the largest float64 difference allowed: 1e-9 where no
 * transcendental function is involved, else the transcendental bound (2e-5). A type the torch engine does
 * not run yet must be refused as input naming --engine jax; once it runs, it must agree.
 */
export const LAYER_CASES: Record<
  string,
  { spec: LayerSpec; inputShape: number[]; exact: boolean }
> = {
  dense: { spec: { type: "dense", units: 3, activation: "x^2 - x" }, inputShape: [4], exact: true },
  activation: { spec: { type: "activation", fn: "prelu" }, inputShape: [2, 3], exact: true },
  kan: { spec: { type: "kan", units: 2, grid_size: 3 }, inputShape: [3], exact: false },
  // fixed (symbolic) edges: two on one unit, a constant one (src/nn/kan/symbolic-edges.ts)
  "kan, fixed edges": {
    spec: {
      type: "kan",
      units: 2,
      grid_size: 3,
      symbolic: [
        { input: 0, unit: 1, expr: "sin(x)" },
        { input: 2, unit: 1, expr: "x^2 - x" },
        { input: 1, unit: 0, expr: "0" },
      ],
    },
    inputShape: [3],
    exact: false,
  },
  kan_fastkan: {
    spec: { type: "kan_fastkan", units: 2, grid_size: 3 },
    inputShape: [3],
    exact: false,
  },
  kan_relu: {
    spec: { type: "kan_relu", units: 2, grid_size: 3, order: 2, train_grid: true },
    inputShape: [3],
    exact: true,
  },
  kan_chebyshev: {
    spec: { type: "kan_chebyshev", units: 2, degree: 3, bias: true },
    inputShape: [3],
    exact: false,
  },
  kan_fourier: {
    spec: { type: "kan_fourier", units: 2, frequencies: 3 },
    inputShape: [3],
    exact: false,
  },
  kan_af: {
    spec: { type: "kan_af", units: 2, grid_size: 2, order: 1 },
    inputShape: [3],
    exact: false,
  },
  kan_rational: {
    spec: { type: "kan_rational", units: 2, groups: 2, numerator: 3, denominator: 2 },
    inputShape: [4],
    exact: true,
  },
  kan_selectable: {
    spec: { type: "kan_selectable", units: 2, spaces: ["rbf", "fourier", "polynomial"] },
    inputShape: [3],
    exact: false,
  },
  kan_daruan: { spec: { type: "kan_daruan", units: 2, layers: 2 }, inputShape: [3], exact: false },
  quadratic: {
    spec: { type: "quadratic", units: 3, activation: "prelu" },
    inputShape: [4],
    exact: true,
  },
  evonorm_b0: { spec: { type: "evonorm_b0" }, inputShape: [3, 3, 2], exact: true },
  evonorm_s0: { spec: { type: "evonorm_s0", groups: 2 }, inputShape: [4], exact: false },
  conv2d: {
    spec: { type: "conv2d", filters: 2, kernel: 2, padding: "same", activation: "relu" },
    inputShape: [3, 3, 2],
    exact: true,
  },
  maxpool2d: { spec: { type: "maxpool2d", pool_size: 2 }, inputShape: [4, 4, 2], exact: true },
  avgpool2d: {
    spec: { type: "avgpool2d", pool_size: 2, stride: 1 },
    inputShape: [3, 3, 2],
    exact: true,
  },
  flatten: { spec: { type: "flatten" }, inputShape: [2, 2, 3], exact: true },
  conv_kan: {
    spec: { type: "conv_kan", filters: 2, kernel: 2, inner: { type: "kan_chebyshev", degree: 2 } },
    inputShape: [3, 3, 1],
    exact: false,
  },
  reshape: { spec: { type: "reshape", shape: [-1, 3] }, inputShape: [2, 2, 3], exact: true },
};
