/**
 * The `task:` section of a run spec: a zod union over `type` with every default filled in.
 * Browser-safe; node/load-task.ts builds the task a spec describes (reading files).
 */
import { z } from "zod";
import { DataError } from "./task.js";

const seedSchema = z.number().int().min(0).max(0xffffffff);
const interval = z.tuple([z.number(), z.number()]);
const nameSchema = z.string().min(1).optional();

export const formulaTaskSchema = z
  .object({
    type: z.literal("formula"),
    name: nameSchema,
    /** f(x1, …, xd) in the expression language; a list gives one output per formula. */
    formula: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
      error: "expected a formula, or a list of formulas (one per output)",
    }),
    variables: z.number().int().positive().optional(),
    box: z
      .union([interval, z.array(interval).min(1)], {
        error: "expected [low, high], or one [low, high] per variable",
      })
      .default([-1, 1]),
    train: z.number().int().positive().default(1000),
    val: z.number().int().nonnegative().default(200),
    test: z.number().int().nonnegative().default(1000),
    seed: seedSchema.default(0),
    noise: z.number().nonnegative().default(0),
  })
  .strict();

const normalization = z.enum(["standard", "minmax", "none"]);

export const csvTaskSchema = z
  .object({
    type: z.literal("csv"),
    name: nameSchema,
    /** Relative paths are relative to the spec file's folder; `.gz` files are gunzipped. */
    path: z.string().min(1),
    header: z.enum(["names", "none", "sklearn"]).default("names"),
    delimiter: z.string().length(1).default(","),
    target: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
        error: "expected a column name, or a list of column names",
      })
      .optional(),
    features: z.array(z.string().min(1)).min(1).optional(),
    classification: z.boolean().optional(),
    split: z
      .object({
        val: z.number().min(0).max(1).default(0.15),
        test: z.number().min(0).max(1).default(0.15),
        seed: seedSchema.default(0),
      })
      .strict()
      .refine((split) => split.val + split.test < 1, {
        message: "val + test must be below 1 (the rest is train)",
      })
      .prefault({}),
    normalize: normalization.default("standard"),
    normalize_target: normalization.default("none"),
    /** Number-coded feature columns to one-hot encode (all-text columns are found on their own). */
    categorical: z.array(z.string().min(1)).min(1).optional(),
    /** Missing cells ('', ?, NA, N/A, NaN, nan): unset means `error`. */
    missing: z.enum(["error", "drop", "impute_mean"]).optional(),
    /** Cap on training rows (a seeded random subset, e.g. for quick runs). */
    max_train: z.number().int().positive().optional(),
  })
  .strict();

/** A task of the built-in catalog by name (`nonlin bench --list-tasks`), with its own sizes. */
export const catalogTaskSchema = z
  .object({
    type: z.literal("catalog"),
    name: z.string().min(1),
    seed: seedSchema.default(0),
    train: z.number().int().positive().optional(),
    val: z.number().int().nonnegative().optional(),
    test: z.number().int().positive().optional(),
    noise: z.number().nonnegative().optional(),
  })
  .strict();

export const taskSpecSchema = z.discriminatedUnion("type", [
  formulaTaskSchema,
  csvTaskSchema,
  catalogTaskSchema,
]);

export type FormulaTaskSpec = z.output<typeof formulaTaskSchema>;
export type CsvTaskSpec = z.output<typeof csvTaskSchema>;
export type TaskSpec = z.output<typeof taskSpecSchema>;
export type TaskSpecInput = z.input<typeof taskSpecSchema>;

const SCHEMAS = {
  formula: formulaTaskSchema,
  csv: csvTaskSchema,
  catalog: catalogTaskSchema,
} as const;
const isKnownType = (type: unknown): type is keyof typeof SCHEMAS =>
  typeof type === "string" && type in SCHEMAS;

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Validates a task spec; errors name the field, e.g. `task.split.val: …`. */
export function parseTaskSpec(input: unknown, prefix = "task"): TaskSpec {
  const result = taskSpecSchema.safeParse(input);
  if (result.success) return result.data;
  const type = valueAt(input, ["type"]);
  const lines = result.error.issues.flatMap((issue) => {
    const path = [prefix, ...issue.path.map(String)].join(".");
    if (issue.path.join(".") === "type") return [`${path}: must be "formula", "csv" or "catalog"`];
    if (issue.code === "unrecognized_keys") {
      const known =
        issue.path.length === 0 && isKnownType(type) ? Object.keys(SCHEMAS[type].shape) : [];
      return issue.keys.map(
        (key) =>
          `${path}.${key}: unknown field` + (known.length ? ` (fields: ${known.join(", ")})` : ""),
      );
    }
    if (valueAt(input, issue.path) === undefined) return [`${path}: required`];
    return [`${path}: ${issue.message}`];
  });
  throw new DataError(lines.join("\n"));
}
