/**
 * Rejection stage 2, stability of gradients (EvoNorm, Liu et al. 2020, "Evolving
 * Normalization-Activation Layers"): gradient norms of a small MLP at its initial weights and
 * under small random perturbations of them (plus one along the gradient) — NaN, explosion, or a
 * spread of more than 100×. The engine must be started.
 */
import { grad, jit, numpy as np } from "@jax-js/jax";
import { Rng } from "../../data/rng.js";
import type { Task } from "../../data/task.js";
import type { FloatDType } from "../../engine/dtype.js";
import { arrayFrom } from "../../engine/dtype.js";
import { borrowTree, disposeTree } from "../../engine/ownership.js";
import { keyFromSeed } from "../../engine/random.js";
import type { Activation } from "../../expr/ast.js";
import type { ArrayRecord } from "../../nn/layer.js";
import { joinState, Model, splitState } from "../../nn/model.js";
import { lossFunction } from "../../train/loss.js";
import type { FlatParam } from "../probes.js";
import { arraysOf, defaultProbeTask, flattenParams, probeBatch, probeLayers } from "../probes.js";
import type { RejectionCode, StageRecord } from "./stage.js";
import { formatMeasure, stageRecord } from "./stage.js";

export interface StabilityOptions {
  task?: Task;
  /** Rows of the probe batch (default 64). */
  rows?: number;
  width?: number;
  depth?: number;
  /** Random perturbations (default 5); one more is taken along the gradient. */
  perturbations?: number;
  /** ‖δ‖ = relativeSize · ‖θ‖ over all parameters (default 1e-2). */
  relativeSize?: number;
  seed?: number;
  /** Default float32 (float64 evaluates erf from elementary operations, ~10x slower). */
  dtype?: FloatDType;
}

export const STABILITY_THRESHOLDS = {
  /** Gradient norm (of the mean loss over the batch) above this is an explosion. */
  maxGradientNorm: 1e6,
  /** max / min gradient norm over the unperturbed and perturbed weights. */
  maxNormRatio: 100,
} as const;

const norm = (parts: Float64Array[]): number =>
  Math.sqrt(parts.reduce((sum, part) => sum + part.reduce((s, v) => s + v * v, 0), 0));

/**
 * Gradient norms of the probe MLP's mean loss at its initial weights θ, at θ + δₖ for random
 * directions δₖ (‖δₖ‖ = relativeSize·‖θ‖), and at θ + relativeSize·‖θ‖·g/‖g‖ (a one-step
 * adversarial perturbation along the loss gradient g). float32 unless `dtype` says otherwise.
 */
export function perturbedGradientNorms(
  activation: Activation,
  options: StabilityOptions = {},
): number[] {
  const task = options.task ?? defaultProbeTask();
  const dtype: FloatDType = options.dtype ?? "float32";
  const width = options.width ?? 16;
  const depth = options.depth ?? 2;
  const seed = options.seed ?? 0;
  const relative = options.relativeSize ?? 1e-2;
  const model = new Model(
    probeLayers(activation, task, width, depth),
    task.inputShape ?? [task.inputs],
    dtype,
  );
  const state = model.init(keyFromSeed(seed));
  const { params, buffers } = splitState(state);
  const base = flattenParams(params);
  const batch = probeBatch(task, options.rows ?? 64);
  const x = arrayFrom(batch.x, [batch.rows, ...model.inputShape], dtype);
  const y = arrayFrom(batch.y, [batch.rows, batch.y.length / batch.rows], dtype);
  const loss = lossFunction(task.kind === "regression" ? "mse" : "cross_entropy");
  const gradientOf = jit(
    grad((p: ArrayRecord[], b: ArrayRecord[], xs: np.Array, ys: np.Array) =>
      loss(model.apply(joinState(p, b), xs), ys),
    ),
  );
  const gradientAt = (flat: FlatParam[]): Float64Array[] => {
    const grads = gradientOf(
      arraysOf(flat, model.layers.length, dtype),
      borrowTree(buffers),
      x.ref,
      y.ref,
    ) as ArrayRecord[];
    return flattenParams(grads).map((g) => g.values);
  };
  const shifted = (direction: Float64Array[]): FlatParam[] => {
    const scale = (relative * norm(base.map((p) => p.values))) / (norm(direction) || 1);
    return base.map((p, i) => ({
      ...p,
      values: p.values.map((v, j) => v + scale * ((direction[i] as Float64Array)[j] as number)),
    }));
  };
  try {
    const g0 = gradientAt(base);
    const norms = [norm(g0)];
    const rng = new Rng(seed, 1);
    for (let k = 0; k < (options.perturbations ?? 5); k++) {
      const direction = base.map((p) => p.values.map(() => rng.normal()));
      norms.push(norm(gradientAt(shifted(direction))));
    }
    if (Number.isFinite(norms[0]) && (norms[0] as number) > 0)
      norms.push(norm(gradientAt(shifted(g0))));
    return norms;
  } finally {
    gradientOf.dispose();
    x.dispose();
    y.dispose();
    disposeTree(buffers);
  }
}

/** Stage 2: gradients at and around the initial weights stay finite, bounded and alike. */
export function stabilityCheck(
  activation: Activation,
  options: StabilityOptions = {},
): StageRecord {
  const started = performance.now();
  const t = STABILITY_THRESHOLDS;
  let norms: number[];
  try {
    norms = perturbedGradientNorms(activation, options);
  } catch (error) {
    return stageRecord(
      "stability",
      started,
      {},
      {
        code: "not-evaluable",
        reason: `not-evaluable: ${(error as Error).message}`,
      },
    );
  }
  const largest = Math.max(...norms);
  const smallest = Math.min(...norms);
  const ratio = largest === 0 ? 1 : largest / smallest;
  const measures = { baseNorm: norms[0] as number, largest, smallest, ratio };
  const fail = (code: RejectionCode, reason: string): StageRecord =>
    stageRecord("stability", started, measures, { code, reason });
  if (norms.some((n) => !Number.isFinite(n)))
    return fail("gradient-non-finite", "gradient not finite at or near the initial weights");
  if (largest > t.maxGradientNorm)
    return fail(
      "gradient-explodes",
      `gradient norm ${formatMeasure(largest)} > ${t.maxGradientNorm}`,
    );
  if (ratio > t.maxNormRatio)
    return fail(
      "gradient-unstable",
      `gradient norm varies ${formatMeasure(ratio)}× under 1% weight perturbations (> ${t.maxNormRatio}×)`,
    );
  return stageRecord(
    "stability",
    started,
    measures,
    undefined,
    `gradient norms within ${formatMeasure(ratio)}×`,
  );
}
