/**
 * How a layer type enters model specs: a zod schema for its fields (defaults filled in, errors
 * naming the field) and a builder from the parsed spec and the input sample shape.
 */
import type { z } from "zod";
import type { FloatDType } from "../engine/dtype.js";
import type { Layer } from "./layer.js";

/** A layer as a spec file writes it: its type and fields, before validation. */
export type LayerSpec = { type: string } & Record<string, unknown>;

export interface LayerDefinition<Spec extends { type: string } = { type: string }> {
  readonly type: Spec["type"];
  /** One line for `--help` and docs. */
  readonly summary: string;
  readonly schema: z.ZodType<Spec>;
  build(spec: Spec, inputShape: readonly number[], dtype: FloatDType): Layer;
}

/** Keeps the spec type of each definition while listing them together. */
export function defineLayer<Spec extends { type: string }>(
  definition: LayerDefinition<Spec>,
): LayerDefinition {
  return definition as unknown as LayerDefinition;
}
