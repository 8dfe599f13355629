/**
 * A KAN layer called outside any trace (grid updates, pruning, metrics: hello KAN's [2, 5, 1] on
 * 1000 points): jax-js op by op, as KanLayer.apply ran before, vs KanLayer.apply now (jitted inside
 * the layer, compiled once per spec). Run: node --import tsx bench/micro-kan-apply.ts
 */
import { nn, numpy as np } from "@jax-js/jax";
import { arrayFrom, keyFromSeed, startEngine } from "../src/engine/index.js";
import type { KanLayer } from "../src/nn/kan/bspline.js";
import { bsplineValues } from "../src/nn/kan/bspline-basis.js";
import type { LayerState } from "../src/nn/layer.js";
import { Model } from "../src/nn/model.js";

await startEngine("wasm");
const model = new Model(
  [
    { type: "kan", units: 5 },
    { type: "kan", units: 1 },
  ],
  [2],
  "float64",
);
const state = model.init(keyFromSeed(1));
const x = arrayFrom(
  Float64Array.from({ length: 2000 }, (_, i) => Math.sin(i)),
  [1000, 2],
  "float64",
);
const time = (name: string, run: () => void, repeats = 15): void => {
  const first = performance.now();
  run();
  const firstMs = performance.now() - first;
  const t: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    run();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(44)} first ${firstMs.toFixed(1)} ms, then min ${t[0]!.toFixed(2)} median ${t[repeats >> 1]!.toFixed(2)} ms`,
  );
};
/** The layer's arithmetic primitive by primitive (a SiLU base, as in hello KAN). Consumes h. */
function opByOp(layer: KanLayer, s: LayerState, h: np.Array): np.Array {
  const batch = h.shape[0] as number;
  const knots = s.buffers.knots!;
  const basis = bsplineValues(h.ref, knots, layer.spec.order);
  const spline = np.matmul(
    basis.reshape([batch, layer.inputs * layer.basisCount]),
    layer.effectiveCoef(s),
  );
  const scaleBase = s.params.scale_base!.ref.mul(s.buffers.mask!.ref);
  return spline.add(np.matmul(nn.silu(h), scaleBase));
}
time("two layers op by op + dataSync", () => {
  const layers = model.layers as KanLayer[];
  const h = opByOp(layers[0]!, state[0]!, x.ref);
  opByOp(layers[1]!, state[1]!, h).dataSync();
});
time(
  "model.apply (KanLayer jits inside) + dataSync",
  () => void model.apply(state, x.ref).dataSync(),
);
