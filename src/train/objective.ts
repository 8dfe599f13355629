/**
 * The training objective as a function of a flat parameter vector, for L-BFGS: loss and gradient
 * from two jitted jax-js calls — a no-gradient pass that prepares what layers precompute (KAN basis
 * values and slopes), then value-and-gradient on those (see Layer.prepare for why).
 *
 * The loss is the data loss plus, for KAN layers, pykan's sparsity penalty
 * λ·Σ_layers (λ_l1·|v|₁ + λ_entropy·(row entropy + column entropy)), v_ij the spread of edge i→j
 * over the batch over (spread of input i + 0.1).
 */
import { jit, numpy as np, valueAndGrad } from "@jax-js/jax";
import { arrayFrom } from "../engine/dtype.js";
import { borrowTree } from "../engine/ownership.js";
import { readValues } from "../engine/threads.js";
import { KanLayer } from "../nn/kan/bspline.js";
import type { ArrayRecord, LayerState } from "../nn/layer.js";
import type { Model, ModelState } from "../nn/model.js";
import { joinState } from "../nn/model.js";
import type { FlatLayout } from "./flat.js";
import type { Evaluation } from "./lbfgs.js";
import type { LossName } from "./loss.js";
import { lossFunction } from "./loss.js";

export interface KanPenalty {
  lambda: number;
  l1: number;
  entropy: number;
}

export const PYKAN_PENALTY: KanPenalty = { lambda: 0, l1: 1, entropy: 2 };

/** pykan's reg for one layer from edge spreads [n, m] and input spreads [n]. Consumes both. */
export function kanLayerPenalty(edges: np.Array, inputs: np.Array, penalty: KanPenalty): np.Array {
  const [n] = edges.shape as [number, number];
  const v = edges.div(inputs.add(0.1).reshape([n, 1]));
  const entropyOf = (p: np.Array, axis: number): np.Array =>
    p.ref
      .mul(np.log(p.add(1e-4)))
      .sum(axis)
      .mean()
      .mul(-1 / Math.LN2);
  // per output node (normalised over its inputs, axis 0) and per input node (over outputs)
  const perOutput = v.ref.div(v.ref.sum(0, { keepdims: true }).add(1));
  const perInput = v.ref.div(v.ref.sum(1, { keepdims: true }).add(1));
  const entropy = entropyOf(perOutput, 0).add(entropyOf(perInput, 1));
  return v.sum().mul(penalty.l1).add(entropy.mul(penalty.entropy));
}

/** The model's output and the KAN penalty (zero when λ = 0), on prepared arrays (consumed). */
export function forwardWithPenalty(
  model: Model,
  state: ModelState,
  x: np.Array,
  prepared: np.Array[][],
  penalty: KanPenalty,
): { output: np.Array; penalty: np.Array | undefined } {
  let h = x;
  let total: np.Array | undefined;
  model.layers.forEach((layer, l) => {
    const layerState = state[l] as LayerState;
    const arrays = prepared[l] ?? [];
    if (penalty.lambda > 0 && layer instanceof KanLayer) {
      const spread = layer.edgeSpread(
        layerState,
        h.ref,
        arrays.map((a) => a.ref),
      );
      const term = kanLayerPenalty(spread.edges, spread.inputs, penalty);
      total = total ? total.add(term) : term;
    }
    h =
      layer.applyPrepared && arrays.length > 0
        ? layer.applyPrepared(layerState, h, arrays)
        : layer.apply(layerState, h);
  });
  return { output: h, penalty: total?.mul(penalty.lambda) };
}

export interface FlatObjective {
  (flat: Float64Array): Evaluation | Promise<Evaluation>;
  dispose(): void;
}

/**
 * Loss and gradient at a flat parameter vector, on fixed data (full batch). `buffers` and the
 * data are borrowed for the objective's lifetime. `compile: false` runs the same functions without
 * jit (slow; for checks: jax-js 0.1.25 rounds JS number literals to float32 inside jit — `mean`'s
 * 1/N included — so only the uncompiled objective is float64-exact in its arithmetic; KanLayer's
 * own jitted `prepare` has no such literals).
 */
export function makeFlatObjective(
  model: Model,
  layout: FlatLayout,
  buffers: ArrayRecord[],
  x: np.Array,
  y: np.Array,
  loss: LossName,
  penalty: KanPenalty = PYKAN_PENALTY,
  { compile = true }: { compile?: boolean } = {},
): FlatObjective {
  const dataLoss = lossFunction(loss);
  const prepareRaw = (flat: np.Array, b: ArrayRecord[], input: np.Array): np.Array[][] => {
    const state = joinState(layout.slice(flat), b);
    flat.dispose();
    return model.prepare(state, input);
  };
  const lossAndGradRaw = (
    flat: np.Array,
    b: ArrayRecord[],
    input: np.Array,
    target: np.Array,
    p: np.Array[][],
  ): np.Array => {
    const objective = (params: np.Array): np.Array => {
      const state = joinState(layout.slice(params), b);
      params.dispose();
      const { output, penalty: reg } = forwardWithPenalty(model, state, input, p, penalty);
      const value = dataLoss(output, target);
      return reg ? value.add(reg) : value;
    };
    const [value, grad] = valueAndGrad(objective)(flat);
    return np.concatenate([value.reshape([1]), grad]);
  };
  const uncompiled = { dispose() {} };
  const prepare = compile ? jit(prepareRaw) : Object.assign(prepareRaw, uncompiled);
  const lossAndGrad = compile ? jit(lossAndGradRaw) : Object.assign(lossAndGradRaw, uncompiled);
  // read as readValues reads: asynchronously through the pool or on WebGPU
  const evaluate = async (flatValues: Float64Array): Promise<Evaluation> => {
    const flat = arrayFrom(flatValues, [layout.size], model.dtype);
    const prepared = model.preparable
      ? (prepare(flat.ref, borrowTree(buffers), x.ref) as np.Array[][])
      : model.layers.map(() => []);
    const out = await readValues(lossAndGrad(flat, borrowTree(buffers), x.ref, y.ref, prepared));
    return { loss: out[0] as number, grad: out.subarray(1) };
  };
  return Object.assign(evaluate, {
    dispose() {
      prepare.dispose();
      lossAndGrad.dispose();
    },
  });
}
