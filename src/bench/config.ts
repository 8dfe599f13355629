/**
 * The `nonlin bench` config: tasks × candidates × seeds under one fairness mode and one training
 * budget. One zod schema is the documentation, the validation (errors name the field) and the
 * types. Names in it (tasks, activations, layer types) are checked against the catalog, the zoo
 * and the layer registry by the planner (plan.ts) before any training starts.
 */
import { z } from "zod";
import { InputError } from "../base/errors.js";
import { formatPath } from "../nn/registry.js";
import { optimizerSpecSchema } from "../train/optim/spec.js";

const positiveInt = z.number().int().positive();
const seedSchema = z.number().int().min(0).max(0xffffffff);

/** A catalog task by name, optionally with its own row counts and budget. */
export const benchTaskSchema = z.union(
  [
    z.string().min(1),
    z
      .object({
        name: z.string().min(1),
        train: positiveInt.optional(),
        val: positiveInt.optional(),
        test: positiveInt.optional(),
        noise: z.number().min(0).optional(),
        /** Overrides fairness.budget for this task (e.g. images need more parameters). */
        budget: z.number().positive().optional(),
      })
      .strict(),
  ],
  { error: "expected a task name, or {name, train?, val?, test?, noise?, budget?}" },
);

/** Layer specs of a whole-model candidate may say `units: width` (solved) or `units: outputs`. */
const modelLayerSchema = z.looseObject({ type: z.string().min(1) });

export const candidateSchema = z
  .object({
    name: z.string().min(1).optional(),
    /** A zoo name or an expression, on the MLP template (dense layers of the solved width). */
    activation: z.string().min(1).optional(),
    /** A layer spec without `units`: every layer of the network is of this type (KAN style). */
    layer: modelLayerSchema.optional(),
    /** A whole model: a list of layer specs; `units: width` marks the layers the solver sizes. */
    model: z.array(modelLayerSchema).min(1).optional(),
    /** For `layer` candidates: a pointwise activation between layers (default: none). */
    between: z.string().min(1).optional(),
    /** For `layer` candidates: the last layer is of the same type (default) or a dense layer. */
    head: z.enum(["same", "dense"]).default("same"),
    /** Group for the KAN-vs-MLP verdict; default from the layer types ("kan", "mlp", …). */
    group: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => [c.activation, c.layer, c.model].filter((v) => v !== undefined).length === 1, {
    message: "give exactly one of activation, layer or model",
  });

export const fairnessSchema = z
  .object({
    /**
     * params / flops: the width solver gives every candidate the largest hidden width whose
     * parameter count / forward FLOPs per sample stays within `budget`. time: every candidate
     * trains at `network.width` for `budget` seconds (epochs until the time is spent).
     * none: every candidate at `network.width`, reported as is.
     */
    mode: z.enum(["params", "flops", "time", "none"]).default("params"),
    budget: z.number().positive().optional(),
  })
  .strict();

export const benchConfigSchema = z
  .object({
    name: z.string().min(1).default("bench"),
    tasks: z.array(benchTaskSchema).min(1),
    candidates: z.array(candidateSchema).min(1),
    /** Name of the candidate the paired tests compare against (default: the first). */
    baseline: z.string().min(1).optional(),
    seeds: positiveInt.max(1000).default(5),
    /** Mixed into every trial's seed; change it to draw a fresh set of seeds. */
    seed: seedSchema.default(0),
    fairness: fairnessSchema.prefault({}),
    network: z
      .object({
        /** Hidden layers. */
        depth: positiveInt.max(64).default(1),
        /** Hidden width for fairness modes time and none. */
        width: positiveInt.default(32),
      })
      .strict()
      .prefault({}),
    training: z
      .object({
        optimizer: optimizerSpecSchema.prefault({ name: "adam", lr: 1e-3 }),
        epochs: positiveInt.default(50),
        batch_size: positiveInt.default(64),
        /** Stop after this many epochs without a better validation loss (0: never). */
        patience: z.number().int().min(0).default(10),
      })
      .strict()
      .prefault({}),
    dtype: z.enum(["float32", "float64"]).default("float32"),
    /**
     * The trial engine (docs/engines.md): absent means jax, so configs without it keep their
     * hash; `--engine` on the command line overrides it.
     */
    engine: z.enum(["jax", "torch"]).optional(),
    /** Default row counts of sampled tasks (formulas, synthetic sets); tasks[i].train etc. override. */
    rows: z
      .object({
        train: positiveInt.optional(),
        val: positiveInt.optional(),
        test: positiveInt.optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type BenchConfig = z.output<typeof benchConfigSchema>;
export type BenchConfigInput = z.input<typeof benchConfigSchema>;
export type CandidateSpec = z.output<typeof candidateSchema>;

/** Bad bench config: the message names the field (e.g. `candidates[2].activation`). */
export class BenchConfigError extends InputError {
  override name = "BenchConfigError";
}

/** One line per zod issue, each naming its field (`candidates[2].activation: …`). */
export function issueLines(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    const path = formatPath(issue.path) || "config";
    if (issue.code === "unrecognized_keys")
      return issue.keys.map((key) => `${path === "config" ? "" : `${path}.`}${key}: unknown field`);
    return [`${path}: ${issue.message}`];
  });
}

/** Validates a config; every problem is listed, each naming its field. */
export function parseBenchConfig(input: unknown): BenchConfig {
  const result = benchConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new BenchConfigError(issueLines(result.error.issues).join("\n"));
}
