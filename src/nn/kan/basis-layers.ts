/** The basis-function KAN layers (FastKAN, ReLU-KAN, Chebyshev, Fourier, AF-KAN), for the layer
 * registry. docs/layers/kan-basis.md describes each. */
import type { LayerDefinition } from "../definition.js";
import { afKanDefinition } from "./af-kan.js";
import { chebyshevKanDefinition } from "./chebyshev.js";
import { fastKanDefinition } from "./fastkan.js";
import { fourierKanDefinition } from "./fourier.js";
import { reluKanDefinition } from "./relu-kan.js";

export const BASIS_KAN_LAYERS: LayerDefinition[] = [
  fastKanDefinition,
  reluKanDefinition,
  chebyshevKanDefinition,
  fourierKanDefinition,
  afKanDefinition,
];
