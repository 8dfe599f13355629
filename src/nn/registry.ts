/** Every layer type a model spec may name. */
import { z } from "zod";
import { ActivationLayer } from "./activation.js";
import { DenseLayer } from "./dense.js";
import type { LayerDefinition, LayerSpec } from "./definition.js";
import { defineLayer } from "./definition.js";
import { WEIGHT_INITS } from "./init.js";
import { makeConvKanDefinition } from "./conv/conv-kan.js";
import { CONV_LAYERS } from "./conv/index.js";
import type { FloatDType } from "../engine/dtype.js";
import type { Layer } from "./layer.js";
import { LayerSpecError } from "./layer.js";
import { ADVANCED_KAN_LAYERS } from "./kan/advanced-layers.js";
import { BASIS_KAN_LAYERS } from "./kan/basis-layers.js";
import { KAN_DEFINITION } from "./kan/bspline.js";
import { QUADRATIC_AND_NORM_LAYERS } from "./norm-layers.js";
import { RESHAPE_DEFINITION } from "./reshape.js";

const DENSE_DEFINITION = defineLayer({
  type: "dense",
  summary: "fully connected layer y = f(x·W + b)",
  schema: z
    .object({
      type: z.literal("dense"),
      units: z.number().int().positive(),
      activation: z.string().default("identity"),
      bias: z.boolean().default(true),
      init: z.enum(WEIGHT_INITS).default("lecun_normal"),
    })
    .strict(),
  build: (spec, inputShape, dtype) => new DenseLayer(spec, inputShape, dtype),
});

const ACTIVATION_DEFINITION = defineLayer({
  type: "activation",
  summary: "a pointwise nonlinearity (zoo name or expression) on its own",
  schema: z.object({ type: z.literal("activation"), fn: z.string() }).strict(),
  build: (spec, inputShape, dtype) => new ActivationLayer(spec.fn, inputShape, dtype),
});

/** Builds the inner layer of a conv_kan from its nested spec, validated like a model layer. */
function buildInnerLayer(raw: LayerSpec, inputShape: readonly number[], dtype: FloatDType): Layer {
  return findLayerDefinition(raw.type)!.build(parseLayerSpec(raw, ""), inputShape, dtype);
}

export const LAYER_DEFINITIONS: readonly LayerDefinition[] = [
  DENSE_DEFINITION,
  ACTIVATION_DEFINITION,
  KAN_DEFINITION,
  ...BASIS_KAN_LAYERS,
  ...ADVANCED_KAN_LAYERS,
  ...QUADRATIC_AND_NORM_LAYERS,
  ...CONV_LAYERS,
  makeConvKanDefinition(buildInnerLayer),
  RESHAPE_DEFINITION,
];

export function findLayerDefinition(type: string): LayerDefinition | undefined {
  return LAYER_DEFINITIONS.find((definition) => definition.type === type);
}

/** Formats a zod issue path the way a user writes it: layers[1].grid_size. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) =>
      typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`,
    )
    .join("");
}

/** Validates one layer spec against its type's schema; errors name `field` (e.g. layers[2]),
 * or only the spec's own fields when `field` is empty. */
export function parseLayerSpec(raw: unknown, field: string): LayerSpec {
  const within = field ? `${field}.` : "";
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new LayerSpecError(`${field || "spec"}: expected a layer object with a 'type'`);
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== "string")
    throw new LayerSpecError(`${within}type: required (one of ${layerTypes()})`);
  const definition = findLayerDefinition(type);
  if (!definition)
    throw new LayerSpecError(
      `${within}type: unknown layer type '${type}' (one of ${layerTypes()})`,
    );
  const parsed = definition.schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where =
      issue && issue.path.length > 0 ? `${within}${formatPath(issue.path)}` : field || "spec";
    throw new LayerSpecError(`${where}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data as LayerSpec;
}

const layerTypes = (): string => LAYER_DEFINITIONS.map((d) => d.type).join(", ");
