/** Every layer type a model spec may name. */
import { z } from "zod";
import { ActivationLayer } from "./activation.js";
import { DenseLayer } from "./dense.js";
import type { LayerDefinition } from "./definition.js";
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

/** Builds the inner layer of a conv_kan from its nested spec (validated like a model layer). */
function buildInnerLayer(
  raw: { type: string } & Record<string, unknown>,
  inputShape: readonly number[],
  dtype: FloatDType,
): Layer {
  const definition = findLayerDefinition(raw.type);
  if (!definition) throw new LayerSpecError(`type: unknown layer type '${raw.type}'`);
  const parsed = definition.schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LayerSpecError(`${issue?.path.join(".") || "spec"}: ${issue?.message ?? "invalid"}`);
  }
  return definition.build(parsed.data, inputShape, dtype);
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
];

export function findLayerDefinition(type: string): LayerDefinition | undefined {
  return LAYER_DEFINITIONS.find((definition) => definition.type === type);
}
