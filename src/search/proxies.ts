/**
 * Zero-cost proxies: numbers that rank candidates without training them. Validate each one by
 * its rank correlation with trained quality (kendallTau in rank-correlation.ts) before trusting
 * it.
 *
 *   kernel     moments of the infinite-width kernel map at unit pre-activation variance (Poole et
 *              al. 2016, "Exponential expressivity in deep neural networks through transient
 *              chaos"; Schoenholz et al. 2017, "Deep Information Propagation"):
 *              E[φ(z)], E[φ(z)²], χ = E[φ'(z)²] for z ~ N(0, 1), and χ₁ = E[φ'(z)²] / E[φ(z)²],
 *              the slope of the correlation map at c = 1 when σ_w² = 1/E[φ(z)²], σ_b = 0 make
 *              q* = 1 the variance map's fixed point (χ₁ < 1 ordered, > 1 chaotic, = 1 critical).
 *   gradient   signal-to-noise of the loss gradient at initialisation over mini-batches of a small
 *              task: per parameter |mean| / std over the batches, averaged over all parameters.
 *   features   in the spirit of Dextr (SVD of layer features): the effective rank
 *              exp(H(σ/Σσ)) (Roy & Vetterli 2007) of the centred hidden features of a random MLP
 *              on a batch of inputs, averaged over the hidden layers.
 *
 * Pointwise activations get the kernel moments by quadrature in plain float64 (φ' by the
 * symbolic derivative); activations with statistics by Monte Carlo through the compiled function,
 * with χ = E‖Jᵀu‖² / n for u ~ N(0, I) (the mean squared singular value of the layer's Jacobian
 * J, which is E[φ'(z)²] when φ is pointwise). The engine must be started for everything but
 * pointwise kernel moments.
 */
import { grad, jit, numpy as np } from "@jax-js/jax";
import { Rng } from "../data/rng.js";
import type { Task } from "../data/task.js";
import type { FloatDType } from "../engine/dtype.js";
import { arrayFrom } from "../engine/dtype.js";
import { borrowTree, disposeTree, takeScalar, takeValues } from "../engine/ownership.js";
import { keyFromSeed } from "../engine/random.js";
import type { Activation } from "../expr/ast.js";
import { isPointwise } from "../expr/ast.js";
import { buildActivationFn, initParams } from "../expr/compile.js";
import { scalarFunctionAndSlope } from "../expr/evaluate.js";
import type { ArrayRecord } from "../nn/layer.js";
import { disposeState, joinState, Model, splitState } from "../nn/model.js";
import { gaussianExpectationMidpoint } from "../numeric/quadrature.js";
import { lossFunction } from "../train/loss.js";
import { rowsOf } from "../train/run-fit.js";
import { defaultProbeTask, flattenParams, probeBatch, probeLayers } from "./probes.js";

// ---- kernel moments -----------------------------------------------------------------------

export interface KernelProxies {
  /** E[φ(z)], z ~ N(0, 1). */
  mean: number;
  /** E[φ(z)²]: the NNGP variance map at q = 1 (σ_w = 1, σ_b = 0). */
  meanSquare: number;
  /** χ = E[φ'(z)²]: the slope of the correlation map at c = 1 for σ_w = 1. */
  chi: number;
  /** χ₁ = E[φ'(z)²] / E[φ(z)²]: the same slope with σ_w² chosen so that q* = 1. */
  chiAtUnitFixedPoint: number;
}

export interface KernelOptions {
  /** Quadrature: midpoint rule on [−limit, limit] (default 10) with `cells` cells (default 4000). */
  limit?: number;
  cells?: number;
  /** Force Monte Carlo (the method for activations with statistics). */
  monteCarlo?: boolean;
  /** Monte Carlo: rows × width standard normal inputs (default 256 × 64), `probes` draws of u. */
  rows?: number;
  width?: number;
  probes?: number;
  seed?: number;
}

function kernelByQuadrature(activation: Activation, options: KernelOptions): KernelProxies {
  const { value, slope } = scalarFunctionAndSlope(activation);
  const limit = options.limit ?? 10;
  const cells = options.cells ?? 4000;
  const mean = gaussianExpectationMidpoint(value, limit, cells);
  const meanSquare = gaussianExpectationMidpoint((z) => value(z) ** 2, limit, cells);
  const chi = gaussianExpectationMidpoint((z) => slope(z) ** 2, limit, cells);
  return { mean, meanSquare, chi, chiAtUnitFixedPoint: chi / meanSquare };
}

function kernelByMonteCarlo(activation: Activation, options: KernelOptions): KernelProxies {
  const rows = options.rows ?? 256;
  const width = options.width ?? 64;
  const rng = new Rng(options.seed ?? 0, 2);
  const normals = (): Float64Array =>
    Float64Array.from({ length: rows * width }, () => rng.normal());
  const dtype: FloatDType = "float64";
  const fn = buildActivationFn(activation, dtype);
  const params = () => initParams(activation, [width], dtype);
  const z = normals();
  const y = takeValues(fn(arrayFrom(z, [rows, width], dtype), params()));
  const mean = y.reduce((s, v) => s + v, 0) / y.length;
  const meanSquare = y.reduce((s, v) => s + v * v, 0) / y.length;
  let chi = 0;
  const probes = options.probes ?? 4;
  for (let k = 0; k < probes; k++) {
    const u = arrayFrom(normals(), [rows, width], dtype);
    // grad of ⟨φ(z), u⟩ is Jᵀu
    const jtu = grad((input: np.Array) => fn(input, params()).mul(u.ref).sum())(
      arrayFrom(z, [rows, width], dtype),
    );
    u.dispose();
    chi += takeScalar(np.square(jtu).mean()) / probes;
  }
  return { mean, meanSquare, chi, chiAtUnitFixedPoint: chi / meanSquare };
}

export function kernelProxies(activation: Activation, options: KernelOptions = {}): KernelProxies {
  return isPointwise(activation.expr) && !options.monteCarlo
    ? kernelByQuadrature(activation, options)
    : kernelByMonteCarlo(activation, options);
}

// ---- gradient signal-to-noise at initialisation ----------------------------------------------

export interface ProbeNetworkOptions {
  /** The task whose inputs (and, for the gradient, targets) are used (default: defaultProbeTask). */
  task?: Task;
  width?: number;
  depth?: number;
  /** Seed of the weights and of the batch order. */
  seed?: number;
}

export interface GradientSnrOptions extends ProbeNetworkOptions {
  /** Mini-batches (default 8) of `batchSize` rows (default 32), disjoint, in a seeded order. */
  batches?: number;
  batchSize?: number;
  dtype?: FloatDType;
}

/** Largest per-parameter SNR counted (a parameter whose gradient never varies would be ∞). */
export const MAX_PARAMETER_SNR = 1e6;

/**
 * Mean over parameters of |mean gradient| / std gradient across mini-batches, at the initial
 * weights of the probe MLP (default 2 × 16 hidden units, float32).
 */
export function gradientSignalToNoise(
  activation: Activation,
  options: GradientSnrOptions = {},
): number {
  const task = options.task ?? defaultProbeTask();
  const dtype = options.dtype ?? "float32";
  const seed = options.seed ?? 0;
  const batches = options.batches ?? 8;
  const batchSize = options.batchSize ?? 32;
  const inputShape = task.inputShape ?? [task.inputs];
  const model = new Model(
    probeLayers(activation, task, options.width ?? 16, options.depth ?? 2),
    inputShape,
    dtype,
  );
  const { params, buffers } = splitState(model.init(keyFromSeed(seed)));
  const all = rowsOf(task, task.train);
  if (batches * batchSize > all.rows)
    throw new RangeError(
      `gradient SNR: ${batches} batches of ${batchSize} need ${batches * batchSize} training rows, the task has ${all.rows}`,
    );
  const order = Array.from({ length: all.rows }, (_, i) => i);
  const rng = new Rng(seed, 3);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.integerBelow(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const xWidth = all.x.length / all.rows;
  const yWidth = all.y.length / all.rows;
  const loss = lossFunction(task.kind === "regression" ? "mse" : "cross_entropy");
  const gradientOf = jit(
    grad((p: ArrayRecord[], b: ArrayRecord[], xs: np.Array, ys: np.Array) =>
      loss(model.apply(joinState(p, b), xs), ys),
    ),
  );
  const gradients: Float64Array[][] = [];
  try {
    for (let k = 0; k < batches; k++) {
      const ids = order.slice(k * batchSize, (k + 1) * batchSize);
      const xb = new Float64Array(ids.length * xWidth);
      const yb = new Float64Array(ids.length * yWidth);
      ids.forEach((row, r) => {
        xb.set(all.x.subarray(row * xWidth, (row + 1) * xWidth), r * xWidth);
        yb.set(all.y.subarray(row * yWidth, (row + 1) * yWidth), r * yWidth);
      });
      const g = gradientOf(
        borrowTree(params),
        borrowTree(buffers),
        arrayFrom(xb, [ids.length, ...inputShape], dtype),
        arrayFrom(yb, [ids.length, yWidth], dtype),
      ) as ArrayRecord[];
      gradients.push(flattenParams(g).map((p) => p.values));
    }
  } finally {
    gradientOf.dispose();
    disposeTree(params);
    disposeTree(buffers);
  }
  let sum = 0;
  let count = 0;
  (gradients[0] ?? []).forEach((first, t) => {
    for (let i = 0; i < first.length; i++) {
      let mean = 0;
      for (const g of gradients) mean += ((g[t] as Float64Array)[i] as number) / batches;
      let variance = 0;
      for (const g of gradients)
        variance += (((g[t] as Float64Array)[i] as number) - mean) ** 2 / batches;
      const std = Math.sqrt(variance);
      const snr = std > 0 ? Math.abs(mean) / std : mean === 0 ? 0 : MAX_PARAMETER_SNR;
      sum += Math.min(snr, MAX_PARAMETER_SNR);
      count++;
    }
  });
  return sum / count;
}

// ---- feature SVD -----------------------------------------------------------------------------

export interface FeatureSpectrumOptions extends ProbeNetworkOptions {
  /** Input rows (default 128 training rows of the task). */
  rows?: number;
}

export interface LayerSpectrum {
  /** Singular values of the centred features [rows, width], largest first. */
  singularValues: number[];
  /** H = −Σ pᵢ ln pᵢ, pᵢ = σᵢ / Σσ. */
  entropy: number;
  /** exp(H): 1 for rank one, `width` for a flat spectrum. */
  effectiveRank: number;
}

export interface FeatureSpectrum {
  /** Mean effective rank over the hidden layers. */
  effectiveRank: number;
  /** Mean entropy over the hidden layers. */
  entropy: number;
  layers: LayerSpectrum[];
}

/** Eigenvalues of a symmetric n × n matrix (row-major) by cyclic Jacobi rotations. */
export function symmetricEigenvalues(matrix: Float64Array, n: number): number[] {
  const a = Float64Array.from(matrix);
  const at = (i: number, j: number): number => a[i * n + j] as number;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        total += at(i, j) ** 2;
        if (i !== j) off += at(i, j) ** 2;
      }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = at(p, q);
        if (apq === 0) continue;
        // the rotation that zeroes a[p][q] (Golub & Van Loan, "Matrix Computations", §8.5)
        const theta = (at(q, q) - at(p, p)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = at(k, p);
          const akq = at(k, q);
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = at(p, k);
          const aqk = at(q, k);
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
  }
  return Array.from({ length: n }, (_, i) => at(i, i));
}

/** Relative size below which a Gram eigenvalue counts as 0 (float64 rounding of XᵀX). */
export const RANK_TOLERANCE = 1e-12;

/** Singular values of the column-centred matrix [rows, cols], largest first. */
export function centredSingularValues(values: Float64Array, rows: number, cols: number): number[] {
  const centred = Float64Array.from(values);
  for (let j = 0; j < cols; j++) {
    let mean = 0;
    for (let i = 0; i < rows; i++) mean += (centred[i * cols + j] as number) / rows;
    for (let i = 0; i < rows; i++) centred[i * cols + j]! -= mean;
  }
  const gram = new Float64Array(cols * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      const v = centred[i * cols + j] as number;
      if (v === 0) continue;
      for (let k = 0; k < cols; k++) gram[j * cols + k]! += v * (centred[i * cols + k] as number);
    }
  const eigenvalues = symmetricEigenvalues(gram, cols);
  const largest = Math.max(0, ...eigenvalues);
  // eigenvalues of the Gram matrix below its rounding level are zero singular values
  return eigenvalues
    .map((lambda) => (lambda > RANK_TOLERANCE * largest ? Math.sqrt(lambda) : 0))
    .sort((a, b) => b - a);
}

export function spectrumOf(singularValues: number[]): LayerSpectrum {
  const total = singularValues.reduce((s, v) => s + v, 0);
  let entropy = 0;
  if (total > 0)
    for (const v of singularValues) {
      const p = v / total;
      if (p > 0) entropy -= p * Math.log(p);
    }
  return { singularValues, entropy, effectiveRank: total > 0 ? Math.exp(entropy) : 0 };
}

/** Effective rank of the hidden features of the probe MLP (default 2 × 32 units, float64). */
export function featureSpectrum(
  activation: Activation,
  options: FeatureSpectrumOptions = {},
): FeatureSpectrum {
  const task = options.task ?? defaultProbeTask();
  const dtype: FloatDType = "float64";
  const depth = options.depth ?? 2;
  const model = new Model(
    probeLayers(activation, task, options.width ?? 32, depth),
    task.inputShape ?? [task.inputs],
    dtype,
  );
  const state = model.init(keyFromSeed(options.seed ?? 0));
  const batch = probeBatch(task, options.rows ?? 128);
  const inputs = model.layerInputs(
    state,
    arrayFrom(batch.x, [batch.rows, ...model.inputShape], dtype),
  );
  const layers: LayerSpectrum[] = [];
  inputs.forEach((array, i) => {
    if (i < 1 || i > depth) {
      array.dispose();
      return;
    }
    const cols = array.size / batch.rows;
    layers.push(spectrumOf(centredSingularValues(takeValues(array), batch.rows, cols)));
  });
  disposeState(state);
  const mean = (f: (l: LayerSpectrum) => number): number =>
    layers.reduce((s, l) => s + f(l), 0) / layers.length;
  return { effectiveRank: mean((l) => l.effectiveRank), entropy: mean((l) => l.entropy), layers };
}

// ---- all proxies -----------------------------------------------------------------------------

export interface ZeroCostProxies {
  values: {
    kernelMean: number;
    kernelMeanSquare: number;
    chi: number;
    chiAtUnitFixedPoint: number;
    gradientSnr: number;
    featureRank: number;
  };
  /** Seconds per proxy group. */
  seconds: { kernel: number; gradientSnr: number; featureRank: number };
}

export interface ZeroCostOptions {
  kernel?: KernelOptions;
  gradientSnr?: GradientSnrOptions;
  features?: FeatureSpectrumOptions;
}

/** Every proxy of one activation (a proxy that throws is NaN). */
export function zeroCostProxies(
  activation: Activation,
  options: ZeroCostOptions = {},
): ZeroCostProxies {
  const timed = <T>(f: () => T, failed: T): [T, number] => {
    const started = performance.now();
    let value: T;
    try {
      value = f();
    } catch {
      value = failed;
    }
    return [value, (performance.now() - started) / 1000];
  };
  const nanKernel = { mean: NaN, meanSquare: NaN, chi: NaN, chiAtUnitFixedPoint: NaN };
  const [kernel, kernelSeconds] = timed(() => kernelProxies(activation, options.kernel), nanKernel);
  const [snr, snrSeconds] = timed(
    () => gradientSignalToNoise(activation, options.gradientSnr),
    NaN,
  );
  const [rank, rankSeconds] = timed(
    () => featureSpectrum(activation, options.features).effectiveRank,
    NaN,
  );
  return {
    values: {
      kernelMean: kernel.mean,
      kernelMeanSquare: kernel.meanSquare,
      chi: kernel.chi,
      chiAtUnitFixedPoint: kernel.chiAtUnitFixedPoint,
      gradientSnr: snr,
      featureRank: rank,
    },
    seconds: { kernel: kernelSeconds, gradientSnr: snrSeconds, featureRank: rankSeconds },
  };
}
