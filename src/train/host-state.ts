/** A jax-js model state on the host and back: what crosses the trial-engine seam. */
import type { FloatDType } from "../engine/dtype.js";
import { arrayFrom } from "../engine/dtype.js";
import { takeValues } from "../engine/ownership.js";
import { readValues } from "../engine/threads.js";
import type { ModelState } from "../nn/model.js";
import type { HostArray, HostState } from "./trial-engine.js";

/** Copies a model state to the host (the state is kept). */
export function hostStateOf(state: ModelState): HostState {
  const host = (record: ModelState[number]["params"]): Record<string, HostArray> =>
    Object.fromEntries(
      Object.entries(record).map(([name, array]) => [
        name,
        { shape: [...array.shape], values: takeValues(array.ref) },
      ]),
    );
  return state.map((layer) => ({ params: host(layer.params), buffers: host(layer.buffers) }));
}

/** hostStateOf, read as `readValues` reads (asynchronously through the pool or on WebGPU). */
export async function readHostState(state: ModelState): Promise<HostState> {
  const host = async (record: ModelState[number]["params"]): Promise<Record<string, HostArray>> => {
    const entries: [string, HostArray][] = [];
    for (const [name, array] of Object.entries(record))
      entries.push([name, { shape: [...array.shape], values: await readValues(array.ref) }]);
    return Object.fromEntries(entries);
  };
  const layers: HostState = [];
  for (const layer of state)
    layers.push({ params: await host(layer.params), buffers: await host(layer.buffers) });
  return layers;
}

/** A model state on the engine from host arrays (exact: float32 values are float64 values). */
export function stateFromHost(host: HostState, dtype: FloatDType): ModelState {
  const arrays = (record: Record<string, HostArray>) =>
    Object.fromEntries(
      Object.entries(record).map(([name, a]) => [name, arrayFrom(a.values, a.shape, dtype)]),
    );
  return host.map((layer) => ({ params: arrays(layer.params), buffers: arrays(layer.buffers) }));
}
