/**
 * The `nonlin fit` config: a task, a model, and a list of phases run in order — gradient training
 * (any optimiser, mini-batch, early stopping on validation data), L-BFGS (pykan's fit), KAN
 * pruning and KAN grid refinement. One schema: the documentation, the validation (errors name the
 * field) and the types.
 */
import { z } from "zod";
import { taskSpecSchema } from "../data/task-spec.js";
import { optimizerSpecSchema } from "./optim/spec.js";
import { LOSSES } from "./loss.js";

const positiveInt = z.number().int().positive();

export const lbfgsPhaseSchema = z
  .object({
    kind: z.literal("lbfgs"),
    steps: positiveInt.default(50),
    /** pykan's λ: weight of the KAN sparsity penalty (0: none). */
    lambda: z.number().min(0).default(0),
    lambda_l1: z.number().min(0).default(1),
    lambda_entropy: z.number().min(0).default(2),
    update_grid: z.boolean().default(true),
    grid_update_num: positiveInt.default(10),
    stop_grid_update_step: z.number().int().min(0).default(50),
    max_iter: positiveInt.default(20),
    history_size: positiveInt.default(10),
  })
  .strict();

export const gradientPhaseSchema = z
  .object({
    kind: z.literal("gradient"),
    optimizer: optimizerSpecSchema.prefault({ name: "adam" }),
    epochs: positiveInt.default(100),
    /** Rows per step; 0 = the whole training split (full batch). */
    batch_size: z.number().int().min(0).default(0),
    shuffle: z.boolean().default(true),
    /** Stop after this many epochs without a better validation loss (0: never). */
    patience: z.number().int().min(0).default(0),
  })
  .strict();

export const prunePhaseSchema = z
  .object({
    kind: z.literal("prune"),
    node_threshold: z.number().min(0).default(1e-2),
    edge_threshold: z.number().min(0).default(3e-2),
  })
  .strict();

export const refinePhaseSchema = z
  .object({ kind: z.literal("refine"), grid_size: positiveInt })
  .strict();

/** pykan's auto_symbolic + fix_symbolic (train/kan-symbolic.ts, docs/kan-symbolic.md). */
export const symbolicPhaseSchema = z
  .object({
    kind: z.literal("symbolic"),
    /** An edge is fixed to its best candidate only at or above this R². */
    r2_threshold: z.number().max(1).default(0.9),
    /** Library: names of the default functions and/or expressions of x (default: all defaults). */
    library: z.array(z.string().min(1)).min(1).optional(),
    /** Fix the edges no lock names (else only the locked ones are fixed). */
    auto: z.boolean().default(true),
    /** Edges fixed by hand: layer, input node, output node, a library name or an expression. */
    lock: z
      .array(
        z
          .object({
            layer: z.number().int().min(0),
            input: z.number().int().min(0),
            unit: z.number().int().min(0),
            function: z.string().min(1),
          })
          .strict(),
      )
      .default([]),
    /** Symbolic regression on the samples of an edge no library function explains (0: none). */
    sr_budget: z.number().int().min(0).default(20000),
    a_range: z.tuple([z.number(), z.number()]).default([-10, 10]),
    b_range: z.tuple([z.number(), z.number()]).default([-10, 10]),
    grid_points: z.number().int().min(2).default(51),
    /** pykan's weight_simple: score = w·complexity + (1 − w)·log2(1 + 1e-5 − R²). */
    simplicity_weight: z.number().min(0).max(1).default(0.8),
  })
  .strict();
export type SymbolicPhase = z.infer<typeof symbolicPhaseSchema>;

export const phaseSchema = z.discriminatedUnion("kind", [
  lbfgsPhaseSchema,
  gradientPhaseSchema,
  prunePhaseSchema,
  refinePhaseSchema,
  symbolicPhaseSchema,
]);
export type Phase = z.infer<typeof phaseSchema>;
export type GradientPhase = z.infer<typeof gradientPhaseSchema>;

export const fitConfigSchema = z
  .object({
    task: taskSpecSchema,
    model: z
      .object({
        dtype: z.enum(["float32", "float64"]).default("float32"),
        seed: z.number().int().min(0).max(0xffffffff).default(0),
        /**
         * Shape of one input row, e.g. [28, 28, 1] for flat CSV rows of images (channels last);
         * its product must be the task's inputs. Default: the task's own shape (flat for CSV and
         * formula tasks, [height, width, channels] for the image catalog).
         */
        input_shape: z.array(positiveInt).min(1).optional(),
        /** Layer specs; each is validated against its type's own schema when the model is built. */
        layers: z.array(z.looseObject({ type: z.string() })).min(1),
      })
      .strict(),
    /** Default: mse for regression, cross_entropy for classification. */
    loss: z.enum(LOSSES).optional(),
    /**
     * The engine of the gradient phases (docs/engines.md); absent: jax. L-BFGS, prune and refine
     * run on jax only.
     */
    engine: z.enum(["jax", "torch"]).optional(),
    phases: z
      .array(phaseSchema)
      .min(1)
      .default([{ kind: "gradient" } as never]),
  })
  .strict();
export type FitConfig = z.infer<typeof fitConfigSchema>;
