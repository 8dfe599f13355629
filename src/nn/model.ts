/**
 * A model: a stack of layers built from a spec, plus pure functions of its arrays. The spec (plain
 * JSON) and the state (a list of {params, buffers}) are all that is needed to save, load, count and
 * export a model.
 */
import { numpy as np } from "@jax-js/jax";
import type { FloatDType } from "../engine/dtype.js";
import type { Key } from "../engine/random.js";
import { splitKey } from "../engine/random.js";
import type { LayerSpec } from "./definition.js";
import type { FlopCount, Layer, LayerState } from "./layer.js";
import { LayerSpecError, paramCount } from "./layer.js";
import { findLayerDefinition, parseLayerSpec } from "./registry.js";

export type { LayerSpec } from "./definition.js";
export type ModelState = LayerState[];

export class Model {
  readonly layers: readonly Layer[];
  readonly outputShape: readonly number[];

  constructor(
    readonly specs: readonly LayerSpec[],
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    if (specs.length === 0) throw new LayerSpecError("layers: a model needs at least one layer");
    const layers: Layer[] = [];
    let shape = inputShape;
    specs.forEach((raw, i) => {
      const spec = parseLayerSpec(raw, `layers[${i}]`);
      const definition = findLayerDefinition(spec.type);
      try {
        const layer = definition!.build(spec, shape, dtype);
        layers.push(layer);
        shape = layer.outputShape;
      } catch (error) {
        if (error instanceof LayerSpecError)
          throw new LayerSpecError(`layers[${i}]: ${error.message}`);
        throw error;
      }
    });
    this.layers = layers;
    this.outputShape = shape;
  }

  /** Fresh state for every layer; consumes key. */
  init(key: Key): ModelState {
    const keys = splitKey(key, this.layers.length);
    return this.layers.map((layer, i) => layer.init(keys[i] as Key));
  }

  /** Consumes x, borrows the state. */
  apply(state: ModelState, x: np.Array): np.Array {
    return this.layers.reduce((h, layer, i) => layer.apply(state[i] as LayerState, h), x);
  }

  /** Inputs of every layer (and the output last), for grid updates and statistics. */
  layerInputs(state: ModelState, x: np.Array): np.Array[] {
    const inputs: np.Array[] = [x];
    this.layers.forEach((layer, i) =>
      inputs.push(layer.apply(state[i] as LayerState, (inputs[i] as np.Array).ref)),
    );
    return inputs;
  }

  /**
   * The no-gradient pass of the split evaluation (Layer.prepare): every preparable layer's
   * prepared arrays, in order. Consumes x, borrows the state.
   */
  prepare(state: ModelState, x: np.Array): np.Array[][] {
    const prepared: np.Array[][] = [];
    let h = x;
    this.layers.forEach((layer, i) => {
      const layerState = state[i] as LayerState;
      if (layer.prepare && layer.applyPrepared) {
        const arrays = layer.prepare(layerState, h.ref);
        prepared.push(arrays);
        h = layer.applyPrepared(
          layerState,
          h,
          arrays.map((a) => a.ref),
        );
      } else {
        prepared.push([]);
        h = layer.apply(layerState, h);
      }
    });
    h.dispose();
    return prepared;
  }

  get preparable(): boolean {
    return this.layers.some((layer) => layer.prepare !== undefined);
  }

  paramCount(): number {
    return this.layers.reduce((sum, layer) => sum + paramCount(layer), 0);
  }

  /** FLOPs per sample. */
  flops(): FlopCount {
    return this.layers.reduce(
      (sum, layer) => {
        const f = layer.flops();
        return { forward: sum.forward + f.forward, backward: sum.backward + f.backward };
      },
      { forward: 0, backward: 0 },
    );
  }
}

/** Splits a model state into what trains and what does not (two trees jit can take). */
export function splitState(state: ModelState): {
  params: Record<string, np.Array>[];
  buffers: Record<string, np.Array>[];
} {
  return { params: state.map((s) => s.params), buffers: state.map((s) => s.buffers) };
}

export function joinState(
  params: Record<string, np.Array>[],
  buffers: Record<string, np.Array>[],
): ModelState {
  return params.map((p, i) => ({ params: p, buffers: buffers[i] ?? {} }));
}

export function disposeState(state: ModelState): void {
  for (const layer of state)
    for (const array of [...Object.values(layer.params), ...Object.values(layer.buffers)])
      array.dispose();
}
