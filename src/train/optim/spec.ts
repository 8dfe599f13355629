/**
 * The `optimizer:` field of a run config: a zod schema (defaults filled in, errors naming the
 * field) and the transform it describes. Each optimiser accepts only its own fields, so a
 * `momentum` given to adam is an error rather than silently ignored.
 *
 *   optimizer: {name: adamw, lr: 3e-3, weight_decay: 0.01, clip_norm: 1,
 *               schedule: {name: warmup_cosine, warmup_steps: 100, decay_steps: 5000}}
 */
import { z } from "zod";
import { InputError } from "../../base/errors.js";
import { scaleByAdam } from "./adam.js";
import { clipByGlobalNorm } from "./clip.js";
import type { LeafMultipliers, LearningRate } from "./scale.js";
import { scaleByLearningRate, scaleLeaves } from "./scale.js";
import { cosineDecay, exponentialDecay, stepDecay, warmupCosine } from "./schedule.js";
import { trace } from "./sgd.js";
import type { GradientTransform } from "./transform.js";
import { chain } from "./transform.js";
import { addDecayedWeights } from "./weight-decay.js";

const stepCount = z.number().int().positive();

export const scheduleSpecSchema = z.discriminatedUnion("name", [
  z.object({ name: z.literal("constant") }).strict(),
  z
    .object({
      name: z.literal("cosine"),
      decay_steps: stepCount,
      /** Final value as a fraction of lr. */
      alpha: z.number().min(0).max(1).default(0),
    })
    .strict(),
  z
    .object({
      name: z.literal("exponential"),
      decay_rate: z.number().positive(),
      transition_steps: stepCount,
      staircase: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      name: z.literal("step"),
      boundaries: z
        .array(stepCount)
        .min(1)
        .refine(
          (steps) => steps.every((s, i) => i === 0 || s > (steps[i - 1] as number)),
          "boundaries must increase",
        ),
      /** One factor for every boundary, or a list with one per boundary. */
      scales: z.union([z.number().positive(), z.array(z.number().positive())]).default(0.1),
    })
    .strict()
    .refine(
      (spec) => typeof spec.scales === "number" || spec.scales.length === spec.boundaries.length,
      { message: "scales must have one entry per boundary", path: ["scales"] },
    ),
  z
    .object({
      name: z.literal("warmup_cosine"),
      warmup_steps: z.number().int().min(0),
      /** Whole schedule length, warm-up included. */
      decay_steps: stepCount,
      init_lr: z.number().min(0).default(0),
      end_lr: z.number().min(0).default(0),
    })
    .strict()
    .refine((spec) => spec.decay_steps > spec.warmup_steps, {
      message: "decay_steps must exceed warmup_steps",
      path: ["decay_steps"],
    }),
]);
export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>;

const lr = z.number().positive();
const weightDecay = z.number().min(0);
const beta = z.number().min(0).lt(1);
const common = {
  clip_norm: z.number().positive().optional(),
  schedule: scheduleSpecSchema.default({ name: "constant" }),
};
const adamFields = {
  betas: z.tuple([beta, beta]).default([0.9, 0.999]),
  eps: z.number().min(0).default(1e-8),
};

export const optimizerSpecSchema = z.discriminatedUnion("name", [
  z
    .object({
      name: z.literal("sgd"),
      lr: lr.default(1e-2),
      momentum: beta.default(0),
      nesterov: z.boolean().default(false),
      /** Coupled L2: λ·p added to the gradient (PyTorch's SGD weight_decay). */
      weight_decay: weightDecay.default(0),
      ...common,
    })
    .strict()
    .refine((spec) => !spec.nesterov || spec.momentum > 0, {
      message: "nesterov needs momentum > 0",
      path: ["nesterov"],
    }),
  z
    .object({
      name: z.literal("adam"),
      lr: lr.default(1e-3),
      ...adamFields,
      /** Coupled L2: λ·p added to the gradient before Adam's scaling (PyTorch's Adam). */
      weight_decay: weightDecay.default(0),
      ...common,
    })
    .strict(),
  z
    .object({
      name: z.literal("adamw"),
      lr: lr.default(1e-3),
      ...adamFields,
      /** Decoupled decay (Loshchilov & Hutter); PyTorch's default. */
      weight_decay: weightDecay.default(1e-2),
      ...common,
    })
    .strict(),
]);
export type OptimizerSpec = z.infer<typeof optimizerSpecSchema>;

export class OptimizerSpecError extends InputError {
  override name = "OptimizerSpecError";
}

/** Parses an `optimizer:` field; errors name the field, e.g. "optimizer.lr: Too small ...". */
export function parseOptimizerSpec(input: unknown, where = "optimizer"): OptimizerSpec {
  const result = optimizerSpecSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${[where, ...issue.path.map(String)].join(".")}: ${issue.message}`,
  );
  throw new OptimizerSpecError(problems.join("; "));
}

/** The learning rate of a spec: a number when constant, else its schedule starting from (or
 * peaking at) `lr`. */
export function makeLearningRate(spec: ScheduleSpec, lr: number): LearningRate {
  switch (spec.name) {
    case "constant":
      return lr;
    case "cosine":
      return cosineDecay(lr, spec.decay_steps, spec.alpha);
    case "exponential":
      return exponentialDecay(lr, spec.decay_rate, spec.transition_steps, spec.staircase);
    case "step":
      return stepDecay(lr, spec.boundaries, spec.scales);
    case "warmup_cosine":
      return warmupCosine({
        init: spec.init_lr,
        peak: lr,
        warmupSteps: spec.warmup_steps,
        decaySteps: spec.decay_steps,
        end: spec.end_lr,
      });
  }
}

/**
 * The transform a spec describes, in PyTorch's order of operations: clip the raw gradient,
 * [coupled L2], momentum or Adam scaling, [decoupled decay], per-leaf multipliers, −lr(step).
 * `paramMultipliers` scale each leaf's whole step, i.e. a per-parameter learning rate.
 */
export function makeOptimizer(
  spec: OptimizerSpec,
  paramMultipliers?: LeafMultipliers,
): GradientTransform {
  const parts: GradientTransform[] = [];
  if (spec.clip_norm !== undefined) parts.push(clipByGlobalNorm(spec.clip_norm));
  switch (spec.name) {
    case "sgd":
      if (spec.weight_decay > 0) parts.push(addDecayedWeights(spec.weight_decay));
      if (spec.momentum > 0)
        parts.push(trace({ momentum: spec.momentum, nesterov: spec.nesterov }));
      break;
    case "adam":
      if (spec.weight_decay > 0) parts.push(addDecayedWeights(spec.weight_decay));
      parts.push(scaleByAdam({ b1: spec.betas[0], b2: spec.betas[1], eps: spec.eps }));
      break;
    case "adamw":
      parts.push(scaleByAdam({ b1: spec.betas[0], b2: spec.betas[1], eps: spec.eps }));
      if (spec.weight_decay > 0) parts.push(addDecayedWeights(spec.weight_decay));
      break;
  }
  if (paramMultipliers !== undefined) parts.push(scaleLeaves(paramMultipliers));
  parts.push(scaleByLearningRate(makeLearningRate(spec.schedule, spec.lr)));
  return chain(...parts);
}
