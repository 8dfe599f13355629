/**
 * The `nonlin search` config: a space, an algorithm and a budget of candidate trainings; the
 * fitness protocol (K architectures × T tasks × S seeds, the bench protocol at matched
 * parameters, scored against ReLU on the same trials); rejection stages and proxies; and the
 * held-out evaluation of the final top-k on tasks the search never used — the report's headline.
 */
import { z } from "zod";
import { InputError } from "../base/errors.js";
import { benchTaskSchema, issueLines } from "../bench/config.js";
import { BASIS_SPACES, selectableKanSchema } from "../nn/kan/selectable.js";
import { optimizerSpecSchema } from "../train/optim/spec.js";
import { findZooEntry } from "../zoo/index.js";
import { DEFAULT_KAN_UNIVERSE, KanBasisSpace } from "./spaces/kan-basis.js";
import { DEFAULT_SEARCH_OPTIONS as SEARCH, SEARCH_ALGORITHMS } from "./options.js";

const positiveInt = z.number().int().positive();

const trainingSchema = z
  .object({
    optimizer: optimizerSpecSchema.prefault({ name: "adam", lr: 1e-2 }),
    epochs: positiveInt.default(10),
    batch_size: positiveInt.default(64),
    patience: z.number().int().min(0).default(0),
  })
  .strict();

const rowsSchema = z
  .object({
    train: positiveInt.optional(),
    val: positiveInt.optional(),
    test: positiveInt.optional(),
  })
  .strict();

/**
 * A network every candidate is trained in: an MLP template (dense layers sized to the parameter
 * budget, the candidate between them), or a small conv net for image tasks where the candidate is
 * the normalisation-activation layer after the convolution (EvoNorm's setting):
 * conv2d(filters, 3×3) → candidate → maxpool 2×2 → flatten → dense.
 */
export const architectureSchema = z
  .object({
    kind: z.enum(["mlp", "conv"]).default("mlp"),
    depth: positiveInt.max(16).default(1),
    width: positiveInt.optional(),
    filters: positiveInt.max(256).default(8),
  })
  .strict();
export type Architecture = z.output<typeof architectureSchema>;

/**
 * Options of the `kan_basis` space (S-KAN basis choice). A candidate is a set of at most
 * `max_spaces` spaces of `universe`; it is trained as a network whose layers are all
 * `kan_selectable` over that set, with `layer`'s options (grid_size, temperature, …), sized to the
 * parameter budget like every other candidate. `baselines` are basis sets the held-out evaluation
 * adds beside the MLP baselines (default: B-splines alone — pykan's KAN — and the whole universe).
 */
const kanBasisSchema = z
  .object({
    universe: z.array(z.string().min(1)).min(2).optional(),
    max_spaces: positiveInt.max(8).default(3),
    layer: z.record(z.string(), z.unknown()).default({}),
    baselines: z.array(z.array(z.string().min(1)).min(1)).optional(),
  })
  .strict();

const searchConfigObject = z
  .object({
    name: z.string().min(1).default("search"),
    space: z.enum(["core_units", "trees", "graphs", "kan_basis"]).default("core_units"),
    // The algorithm's settings: documented, with their defaults, in SearchOptions (options.ts).
    algorithm: z.enum(SEARCH_ALGORITHMS).default(SEARCH.algorithm),
    budget: positiveInt.default(SEARCH.budget),
    /** SearchOptions.populationSize. */
    population: positiveInt.default(SEARCH.populationSize),
    /** Each candidate in flight is screened and trained on the executor beside the others. */
    parallel: positiveInt.max(256).default(SEARCH.parallel),
    /** SearchOptions.sampleSize. */
    sample: positiveInt.default(SEARCH.sampleSize),
    seed: z.number().int().min(0).max(0xffffffff).default(SEARCH.seed),
    /** Activations (zoo names or expressions, e.g. formulas from `nonlin sr`) to start from. */
    start_from: z.array(z.string().min(1)).default([]),
    fitness: z
      .object({
        tasks: z.array(benchTaskSchema).min(1),
        /** Networks every candidate is trained in (the winner must transfer). */
        architectures: z.array(architectureSchema).min(1).prefault([{}]),
        seeds: positiveInt.default(2),
        /** Matched parameters per model (the width solver sizes every candidate). */
        params: z.number().positive().default(300),
        training: trainingSchema.prefault({}),
        rows: rowsSchema.prefault({}),
      })
      .strict(),
    rejection: z
      .object({
        static: z.boolean().default(true),
        quality: z.boolean().default(true),
        stability: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** Zero-cost proxies: computed for every screened candidate, reported with their Kendall τ. */
    proxies: z.boolean().default(true),
    /**
     * The proxy that orders random samples: each sample the algorithm asks for is the best of
     * `proxy_pool` draws by this proxy (higher is better); "none" turns the ordering off.
     */
    proxy_guide: z
      .enum(["none", "featureRank", "chiAtUnitFixedPoint", "gradientSnr"])
      .default("featureRank"),
    proxy_pool: positiveInt.max(20).default(3),
    heldout: z
      .object({
        tasks: z.array(benchTaskSchema).min(1),
        top_k: positiveInt.default(3),
        seeds: positiveInt.default(8),
        baselines: z.array(z.string().min(1)).min(1).default(["relu", "gelu", "silu"]),
        /** EAFO-corrected variants of these activations join the held-out evaluation. */
        eafo: z.array(z.string().min(1)).default([]),
        params: z.number().positive().optional(),
        training: trainingSchema.optional(),
        rows: rowsSchema.prefault({}),
      })
      .strict(),
    dtype: z.enum(["float32", "float64"]).default("float32"),
    /** The trial engine of every training (docs/engines.md); absent: jax (hashes unchanged). */
    engine: z.enum(["jax", "torch"]).optional(),
    /** The `kan_basis` space: which activation spaces a selectable KAN layer may choose among. */
    kan_basis: kanBasisSchema.prefault({}),
  })
  .strict();

export const searchConfigSchema = searchConfigObject.superRefine(checkKanBasis);

export type SearchConfig = z.output<typeof searchConfigSchema>;

/** The KAN-basis options a search needs, with the universe and baselines filled in. */
export interface KanBasisOptions {
  universe: readonly string[];
  maxSpaces: number;
  layer: Record<string, unknown>;
  baselines: readonly (readonly string[])[];
}

export function kanBasisOptions(config: Pick<SearchConfig, "kan_basis">): KanBasisOptions {
  const universe = config.kan_basis.universe ?? DEFAULT_KAN_UNIVERSE;
  return {
    universe,
    maxSpaces: Math.min(config.kan_basis.max_spaces, universe.length),
    layer: config.kan_basis.layer,
    baselines: config.kan_basis.baselines ?? [["bspline"], universe],
  };
}

type Refinement = z.core.$RefinementCtx<z.output<typeof searchConfigObject>>;

/** Basis names, layer options and architectures of a kan_basis search, checked before any work. */
function checkKanBasis(config: z.output<typeof searchConfigObject>, ctx: Refinement): void {
  if (config.space !== "kan_basis") return;
  const options = kanBasisOptions(config);
  const issue = (path: PropertyKey[], message: string) =>
    ctx.addIssue({ code: "custom", path, message });
  try {
    new KanBasisSpace({ universe: options.universe, maxSpaces: options.maxSpaces });
  } catch (error) {
    issue(["kan_basis", "universe"], (error as Error).message.replace(/^kan-basis: /, ""));
  }
  options.baselines.forEach((set, i) => {
    for (const name of set)
      if (!isBasisSpaceName(name)) issue(["kan_basis", "baselines", i], `unknown space '${name}'`);
  });
  for (const key of ["type", "spaces", "units", "selected"])
    if (key in options.layer) issue(["kan_basis", "layer", key], "set by the search; leave it out");
  const layer = selectableKanSchema.safeParse({
    ...options.layer,
    type: "kan_selectable",
    units: 1,
    spaces: ["bspline"],
  });
  if (!layer.success)
    for (const bad of layer.error.issues) issue(["kan_basis", "layer", ...bad.path], bad.message);
  config.fitness.architectures.forEach((architecture, k) => {
    if (architecture.kind === "conv")
      issue(
        ["fitness", "architectures", k, "kind"],
        "a conv net takes an activation; the kan_basis space searches KAN layers (use kind: mlp)",
      );
  });
  config.start_from.forEach((text, i) => {
    const unknown = text.split("+").filter((name) => !options.universe.includes(name.trim()));
    if (unknown.length > 0)
      issue(
        ["start_from", i],
        `a kan_basis start is spaces of the universe joined by '+' (e.g. bspline+fourier); unknown: ${unknown.join(", ")}`,
      );
  });
}
export type SearchConfigInput = z.input<typeof searchConfigSchema>;

/** Bad search config: the message names the field. */
export class SearchConfigError extends InputError {
  override name = "SearchConfigError";
}

export function parseSearchConfig(input: unknown): SearchConfig {
  const result = searchConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new SearchConfigError(issueLines(result.error.issues).join("\n"));
}

const isBasisSpaceName = (name: string): boolean =>
  (BASIS_SPACES as readonly string[]).includes(name) || findZooEntry(name) !== undefined;
