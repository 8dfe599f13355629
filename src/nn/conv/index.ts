/** Image layers (channels last: a sample is [height, width, channels]). */
import type { LayerDefinition } from "../definition.js";
import { CONV2D_DEFINITION } from "./conv2d.js";
import { FLATTEN_DEFINITION } from "./flatten.js";
import { AVGPOOL2D_DEFINITION, MAXPOOL2D_DEFINITION } from "./pool.js";

export { Conv2dLayer } from "./conv2d.js";
export type { Conv2dSpec } from "./conv2d.js";
export { ConvKanLayer, makeConvKanDefinition } from "./conv-kan.js";
export type { ConvKanSpec, InnerLayerBuilder, InnerLayerSpec } from "./conv-kan.js";
export { FlattenLayer } from "./flatten.js";
export type { FlattenSpec } from "./flatten.js";
export { PoolLayer } from "./pool.js";
export type { PoolKind, PoolSpec } from "./pool.js";

/** conv_kan is not listed: it needs the registry's builder, see makeConvKanDefinition. */
export const CONV_LAYERS: LayerDefinition[] = [
  CONV2D_DEFINITION,
  MAXPOOL2D_DEFINITION,
  AVGPOOL2D_DEFINITION,
  FLATTEN_DEFINITION,
];
