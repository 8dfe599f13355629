/**
 * Fitness of a candidate activation: the bench protocol (matched parameters, per-trial seeds,
 * validation-only selection) in K architectures × T tasks × S seeds, scored trial by trial
 * against ReLU on the very same trial (same rows, init key and batch order): log(rmse / rmse_ReLU)
 * for regression, accuracy_ReLU − accuracy for classification; the fitness is their mean (lower
 * is better, ReLU itself scores 0). Search fitness uses VALIDATION metrics only: the test split
 * is left for nothing here — held-out tasks decide what the report claims.
 */
import type { BenchConfig, BenchConfigInput } from "../bench/config.js";
import { parseBenchConfig } from "../bench/config.js";
import type { TrialResult } from "../bench/results.js";
import type { Architecture, SearchConfig } from "./config.js";

/** The name the reference activation runs under in fitness configs. */
export const REFERENCE = "relu";

/**
 * What a candidate is trained as: an activation (on the MLP template, or as the conv net's
 * normalisation-activation layer), or a layer type every layer of the network is made of (the
 * kan_basis space's selectable KAN layers, sized to the parameter budget by the width solver).
 */
export type SearchModel =
  | { kind: "activation"; activation: string }
  | { kind: "layer"; layer: { type: string } & Record<string, unknown> };

export const activationModel = (activation: string): SearchModel => ({
  kind: "activation",
  activation,
});

/** The bench candidate of a model under `name` in one architecture. */
export function benchCandidate(
  name: string,
  model: SearchModel,
  architecture: Architecture,
): BenchConfigInput["candidates"][number] {
  if (model.kind === "layer") {
    if (architecture.kind === "conv")
      throw new RangeError("a conv architecture takes an activation, not a layer candidate");
    return { name, layer: model.layer };
  }
  return architecture.kind === "conv"
    ? { name, model: convModel(model.activation, architecture.filters) }
    : { name, activation: model.activation };
}

/** The conv net of a conv architecture, with `activation` as its normalisation-activation layer. */
export function convModel(
  activation: string,
  filters: number,
): BenchConfigInput["candidates"][number]["model"] {
  return [
    { type: "conv2d", filters, kernel: 3 },
    { type: "activation", fn: activation },
    { type: "maxpool2d", pool_size: 2 },
    { type: "flatten" },
    { type: "dense", units: "outputs" },
  ];
}

/** The bench config that trains `model` (named `name`) in one architecture. */
export function architectureConfig(
  base: Omit<BenchConfigInput, "candidates" | "network" | "fairness">,
  architecture: Architecture,
  params: number,
  name: string,
  model: SearchModel,
): BenchConfig {
  const candidates = [benchCandidate(name, model, architecture)];
  // a conv net is the same fixed network for every candidate (only the activation differs), so
  // it is matched by construction; MLP templates and KAN layers are sized to the parameter budget
  const input: BenchConfigInput =
    architecture.kind === "conv"
      ? { ...base, candidates, fairness: { mode: "none" } }
      : {
          ...base,
          candidates,
          fairness: { mode: "params", budget: params },
          network: { depth: architecture.depth, width: architecture.width ?? 16 },
        };
  return parseBenchConfig(input);
}

/** One bench config per architecture, each with the single candidate `model` named `name`. */
export function fitnessConfigs(
  search: SearchConfig,
  name: string,
  model: SearchModel,
): BenchConfig[] {
  const { fitness } = search;
  return fitness.architectures.map((architecture, k) =>
    architectureConfig(
      {
        name: `${search.name}-fitness-${k}`,
        tasks: fitness.tasks,
        seeds: fitness.seeds,
        seed: search.seed,
        training: fitness.training,
        dtype: search.dtype,
        ...(search.engine ? { engine: search.engine } : {}),
        rows: fitness.rows,
      },
      architecture,
      fitness.params,
      name,
      model,
    ),
  );
}

const pairKey = (t: TrialResult, architecture: number) =>
  `${architecture}\u0000${t.task}\u0000${t.seedIndex}`;

/**
 * Mean per-trial score of a candidate against the reference (same architecture, task, seed).
 * `trials[k]` and `reference[k]` are the trials of architecture k; `higherIsBetter(task)` says
 * whether a task's metric is an accuracy. Non-finite scores (a diverged candidate) count as +∞.
 */
export function relativeFitness(
  trials: TrialResult[][],
  reference: TrialResult[][],
  higherIsBetter: (task: string) => boolean,
): number {
  const base = new Map<string, TrialResult>();
  reference.forEach((list, k) => list.forEach((t) => base.set(pairKey(t, k), t)));
  const scores: number[] = [];
  trials.forEach((list, k) =>
    list.forEach((t) => {
      const ref = base.get(pairKey(t, k));
      if (!ref) return;
      const m = t.val.metric;
      const r = ref.val.metric;
      const score = higherIsBetter(t.task)
        ? r - m
        : Math.log(Math.max(m, 1e-12) / Math.max(r, 1e-12));
      scores.push(t.diverged || !Number.isFinite(score) ? Infinity : score);
    }),
  );
  if (scores.length === 0) return Infinity;
  return scores.reduce((s, v) => s + v, 0) / scores.length;
}
