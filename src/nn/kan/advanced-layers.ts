/** Model-spec entries for the advanced KAN layers: GR-KAN (rational), S-KAN, DARUAN/QKAN. */
import type { LayerDefinition } from "../definition.js";
import { defineLayer } from "../definition.js";
import type { DaruanKanSpec } from "./daruan.js";
import { DaruanKanLayer, daruanKanSchema } from "./daruan.js";
import type { RationalKanSpec } from "./rational.js";
import { RationalKanLayer, rationalKanSchema } from "./rational.js";
import type { SelectableKanSpec } from "./selectable.js";
import { SelectableKanLayer, selectableKanSchema } from "./selectable.js";

export const ADVANCED_KAN_LAYERS: LayerDefinition[] = [
  defineLayer<RationalKanSpec>({
    type: "kan_rational",
    summary:
      "GR-KAN: grouped safe rationals P(x)/(1+|B(x)|) fitted to an activation, then a linear map (KAT, Yang & Wang 2024)",
    schema: rationalKanSchema,
    build: (spec, inputShape, dtype) => new RationalKanLayer(spec, inputShape, dtype),
  }),
  defineLayer<SelectableKanSpec>({
    type: "kan_selectable",
    summary:
      "S-KAN: per node, a learned softmax over activation spaces (B-spline, RBF, Fourier, polynomial, fixed), hardened by select()",
    schema: selectableKanSchema,
    build: (spec, inputShape, dtype) => new SelectableKanLayer(spec, inputShape, dtype),
  }),
  defineLayer<DaruanKanSpec>({
    type: "kan_daruan",
    summary:
      "QKAN: each edge a single-qubit data re-uploading circuit ⟨Z⟩(x), simulated exactly (DARUAN, Jiang et al. 2025)",
    schema: daruanKanSchema,
    build: (spec, inputShape, dtype) => new DaruanKanLayer(spec, inputShape, dtype),
  }),
];
