/** Every layer type a model spec may name. */
import { z } from "zod";
import { ActivationLayer } from "./activation.js";
import { DenseLayer } from "./dense.js";
import type { LayerDefinition } from "./definition.js";
import { defineLayer } from "./definition.js";
import { WEIGHT_INITS } from "./init.js";
import { KAN_DEFINITION } from "./kan/bspline.js";

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

export const LAYER_DEFINITIONS: readonly LayerDefinition[] = [
  DENSE_DEFINITION,
  ACTIVATION_DEFINITION,
  KAN_DEFINITION,
];

export function findLayerDefinition(type: string): LayerDefinition | undefined {
  return LAYER_DEFINITIONS.find((definition) => definition.type === type);
}
