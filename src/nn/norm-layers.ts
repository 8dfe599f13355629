/** Model-spec entries for the quadratic neuron layer and the EvoNorm layers (B0, S0). */
import { z } from "zod";
import type { EvoNormB0Spec, EvoNormS0Spec } from "./evonorm.js";
import { EVONORM_DEFAULT_EPSILON, EvoNormB0Layer, EvoNormS0Layer } from "./evonorm.js";
import type { LayerDefinition } from "./definition.js";
import { defineLayer } from "./definition.js";
import { WEIGHT_INITS } from "./init.js";
import type { QuadraticSpec } from "./quadratic.js";
import { QUADRATIC_INITS, QuadraticLayer } from "./quadratic.js";

const epsilon = z.number().positive().default(EVONORM_DEFAULT_EPSILON);

const quadraticSchema: z.ZodType<QuadraticSpec> = z
  .object({
    type: z.literal("quadratic"),
    units: z.number().int().positive(),
    activation: z.string().default("relu"),
    init: z.enum(QUADRATIC_INITS).default("relinear"),
    weight_init: z.enum(WEIGHT_INITS).default("he_normal"),
    quadratic_lr_scale: z.number().nonnegative().optional(),
  })
  .strict();

const evonormB0Schema: z.ZodType<EvoNormB0Spec> = z
  .object({ type: z.literal("evonorm_b0"), epsilon })
  .strict();

const evonormS0Schema: z.ZodType<EvoNormS0Spec> = z
  .object({
    type: z.literal("evonorm_s0"),
    groups: z.number().int().positive().default(8),
    epsilon,
  })
  .strict();

export const QUADRATIC_AND_NORM_LAYERS: LayerDefinition[] = [
  defineLayer<QuadraticSpec>({
    type: "quadratic",
    summary:
      "quadratic neurons f((x·w_r+b_r)(x·w_g+b_g) + (x⊙x)·w_b + c), ReLinear init (Fan et al.)",
    schema: quadraticSchema,
    build: (spec, inputShape, dtype) => new QuadraticLayer(spec, inputShape, dtype),
  }),
  defineLayer<EvoNormB0Spec>({
    type: "evonorm_b0",
    summary: "EvoNorm-B0: x / max(√(var_batch+ε), v·x + √(var_instance+ε))·γ + β (Liu et al. 2020)",
    schema: evonormB0Schema,
    build: (spec, inputShape, dtype) => new EvoNormB0Layer(spec, inputShape, dtype),
  }),
  defineLayer<EvoNormS0Spec>({
    type: "evonorm_s0",
    summary: "EvoNorm-S0: x·σ(v·x) / √(var_group+ε)·γ + β, channels in groups (Liu et al. 2020)",
    schema: evonormS0Schema,
    build: (spec, inputShape, dtype) => new EvoNormS0Layer(spec, inputShape, dtype),
  }),
];
