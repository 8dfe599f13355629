/**
 * Estimates of what a model's forward pass and training step hold in jax-js's wasm memory, from
 * the layer shapes, before anything runs: the evaluation batch (rows per forward pass when a split
 * is scored) and the check that refuses a training step wasm's 4 GiB cannot hold.
 *
 * Each layer's `apply` is traced (makeJaxpr, nothing runs) at 1 and 2 rows; a layer's bytes per
 * row are the difference of what the two traces materialise (`materialisedBytes`): a conv layer
 * counts its patch matrix and the concatenations that build it, a KAN layer its basis values.
 * The numbers are calibrated against the wasm heap's growth (docs/engine.md, "Memory bounds").
 */
import { defaultDevice, makeJaxpr, numpy as np, tree } from "@jax-js/jax";
import { InputError } from "../base/errors.js";
import { toJaxDType } from "../engine/dtype.js";
import { keyFromSeed } from "../engine/random.js";
import type { ArrayRecord, Layer } from "../nn/layer.js";
import { product } from "../nn/layer.js";
import type { Model, ModelState } from "../nn/model.js";
import { disposeState } from "../nn/model.js";

/** wasm32's address space: jax-js's allocator cannot grow its memory past this. */
export const WASM_MEMORY_BYTES = 4 * 1024 ** 3;
/** A training step may use this share of it (the rest: evaluation batches, fragmentation). */
export const TRAINING_SHARE = 0.6;
/** The wasm memory one evaluation batch (a jitted forward pass over a slice of a split) may use. */
export const EVALUATION_BYTES = 256 * 1024 ** 2;
/**
 * A training step holds, per row, about this many times the forward pass's arrays: the
 * activations kept for the backward pass, their gradients and the step's temporaries (calibrated:
 * docs/engine.md).
 */
export const TRAINING_FACTOR = 4;
/**
 * Parameter-sized arrays a step holds: the parameters, their gradients, the updates, the new
 * parameters and an optimiser's state (Adam: two moments, old and new).
 */
export const PARAMETER_COPIES = 8;

/** Operations that make a view of their input in jax-js, not a new array. */
const VIEWS = new Set(["reshape", "shrink", "pad", "broadcast", "transpose", "flip"]);
/** Element-wise operations: jit fuses them into the kernel that reads their result. */
const ELEMENTWISE = new Set([
  "add",
  "mul",
  "idiv",
  "mod",
  "min",
  "max",
  "bit_combine",
  "bit_shift",
  "bit_count",
  "neg",
  "reciprocal",
  "floor",
  "ceil",
  "stop_gradient",
  "cast",
  "bitcast",
  "sin",
  "cos",
  "asin",
  "atan",
  "exp",
  "log",
  "erf",
  "erfc",
  "sqrt",
  "compare",
  "where",
]);

type Jaxpr = ReturnType<ReturnType<typeof makeJaxpr>>["jaxpr"]["jaxpr"];
type Var = Jaxpr["eqns"][number]["outBinders"][number];

/**
 * Bytes of the arrays a traced pass materialises under jit: the outputs of every operation that
 * ends a fused kernel (matmuls, concatenations, reductions, gathers, …), the element-wise
 * operands a matmul reads (fused chains are written out before a matmul: a KAN layer's basis
 * values), and the pass's outputs. Views and fused element-wise chains are not counted.
 */
export function materialisedBytes(jaxpr: Jaxpr): number {
  const producer = new Map<Var, Jaxpr["eqns"][number]>();
  for (const eqn of jaxpr.eqns) for (const v of eqn.outBinders) producer.set(v, eqn);
  const root = (atom: unknown): string | undefined => {
    let eqn = producer.get(atom as Var);
    while (eqn && VIEWS.has(String(eqn.primitive))) eqn = producer.get(eqn.inputs[0] as Var);
    return eqn ? String(eqn.primitive) : undefined;
  };
  const sizeOf = (v: { aval: { size: number; dtype: unknown } }): number =>
    v.aval.size * bytesOf(String(v.aval.dtype));
  let bytes = 0;
  for (const eqn of jaxpr.eqns) {
    const primitive = String(eqn.primitive);
    if (VIEWS.has(primitive) || ELEMENTWISE.has(primitive)) continue;
    for (const v of eqn.outBinders) bytes += sizeOf(v);
    if (primitive === "dot")
      for (const input of eqn.inputs) {
        const from = root(input);
        if (from !== undefined && ELEMENTWISE.has(from)) bytes += sizeOf(input as Var);
      }
  }
  for (const out of jaxpr.outs) if (root(out) !== undefined) bytes += sizeOf(out as Var);
  return bytes;
}

export interface LayerMemory {
  index: number;
  kind: string;
  /** Bytes per row of the arrays the layer's forward pass materialises. */
  bytesPerRow: number;
}

export interface MemoryEstimate {
  layers: LayerMemory[];
  /** The input row and the layers' bytes per row: the forward pass's bytes per row. */
  forwardBytesPerRow: number;
  /** Bytes of the parameters alone. */
  parameterBytes: number;
}

const bytesOf = (dtype: string): number =>
  dtype.includes("64") ? 8 : dtype.includes("16") ? 2 : dtype === "bool" ? 1 : 4;

/**
 * A stand-in for an array in a trace: its shape and dtype only (makeJaxpr reads nothing else), so
 * estimating allocates nothing.
 */
class Abstract {
  readonly weakType = false;
  constructor(
    readonly shape: number[],
    readonly dtype: np.DType,
  ) {}
}

type AbstractTree = Record<string, Abstract>;
const abstractOf = (record: ArrayRecord): AbstractTree =>
  Object.fromEntries(
    Object.entries(record).map(([name, a]) => [name, new Abstract([...a.shape], a.dtype)]),
  );

/** The shapes of a layer's state, from a trace of its `init` (or, failing that, a real one). */
function abstractState(layer: Layer): { params: AbstractTree; buffers: AbstractTree } {
  const key = keyFromSeed(0);
  const keyAval = new Abstract([...key.shape], key.dtype);
  try {
    const { jaxpr, treedef } = makeJaxpr((k: np.Array) => {
      const s = layer.init(k);
      return [s.params, s.buffers];
    })(keyAval as unknown as np.Array);
    const outs = jaxpr.jaxpr.outs.map((o) => new Abstract([...o.aval.shape], o.aval.dtype));
    jaxpr.dispose();
    key.dispose();
    const [params, buffers] = tree.unflatten(treedef, outs) as [AbstractTree, AbstractTree];
    return { params, buffers };
  } catch {
    // an init that reads values on the host cannot be traced: draw it and keep the shapes
    const state = layer.init(key);
    const shapes = { params: abstractOf(state.params), buffers: abstractOf(state.buffers) };
    disposeState([state]);
    return shapes;
  }
}

/** Bytes the traced layer materialises at `rows` rows (nothing runs, nothing is allocated). */
function tracedBytes(
  layer: Layer,
  state: { params: AbstractTree; buffers: AbstractTree },
  rows: number,
): number {
  const x = new Abstract([rows, ...layer.inputShape], toJaxDType(layer.dtype));
  const trace = makeJaxpr((p: ArrayRecord, b: ArrayRecord, input: np.Array) =>
    layer.apply({ params: p, buffers: b }, input),
  );
  const { jaxpr } = trace(
    state.params as unknown as ArrayRecord,
    state.buffers as unknown as ArrayRecord,
    x as unknown as np.Array,
  );
  const bytes = materialisedBytes(jaxpr.jaxpr);
  jaxpr.dispose();
  return bytes;
}

/** Estimates by model spec, input shape and dtype (a plan and its trials build the same models). */
const cache = new Map<string, MemoryEstimate>();
const CACHE_CAPACITY = 256;

/** Forgets the estimates made so far (tests compare estimates made two ways). */
export function clearMemoryEstimates(): void {
  cache.clear();
}

/**
 * The memory estimate of a model (cached by spec), from traces alone: no array is
 * allocated. `state` (borrowed) gives the state's shapes; without one, they come from a trace of
 * each layer's init (what a plan does before any trial).
 */
export function memoryEstimate(model: Model, state?: ModelState): MemoryEstimate {
  const key = JSON.stringify([model.specs, model.inputShape, model.dtype]);
  const known = cache.get(key);
  if (known) return known;
  const dtypeBytes = model.dtype === "float64" ? 8 : 4;
  const layers = model.layers.map((layer, index) => {
    let bytesPerRow: number;
    try {
      const given = state?.[index];
      const shapes = given
        ? { params: abstractOf(given.params), buffers: abstractOf(given.buffers) }
        : abstractState(layer);
      bytesPerRow = tracedBytes(layer, shapes, 2) - tracedBytes(layer, shapes, 1);
    } catch {
      // a layer that cannot be traced: four arrays of its input's and output's size a row
      bytesPerRow = 4 * dtypeBytes * (product(layer.inputShape) + product(layer.outputShape));
    }
    return { index, kind: layer.kind, bytesPerRow: Math.max(0, bytesPerRow) };
  });
  const estimate: MemoryEstimate = {
    layers,
    forwardBytesPerRow: layers.reduce(
      (sum, l) => sum + l.bytesPerRow,
      product(model.inputShape) * dtypeBytes,
    ),
    parameterBytes: model.paramCount() * dtypeBytes,
  };
  if (cache.size >= CACHE_CAPACITY) cache.delete(cache.keys().next().value as string);
  cache.set(key, estimate);
  return estimate;
}

/**
 * Layers whose output for a row depends on the other rows of the pass (EvoNorm-B0's batch
 * variance, at inference too): a model with one is evaluated in one pass, never in batches.
 */
export const BATCH_STATISTICS = new Set(["evonorm_b0"]);

/**
 * Rows per evaluation batch: as many as keep one forward pass within EVALUATION_BYTES (at least
 * one); unlimited for a model with batch statistics. A split of at most this many rows is scored
 * in one pass, as before batching existed.
 */
export function evaluationRows(model: Model, state?: ModelState): number {
  if (model.layers.some((layer) => BATCH_STATISTICS.has(layer.kind))) return Infinity;
  const { forwardBytesPerRow } = memoryEstimate(model, state);
  return Math.max(1, Math.floor(EVALUATION_BYTES / Math.max(1, forwardBytesPerRow)));
}

/** Estimated peak bytes of one training step at `batch` rows. */
export function trainingStepBytes(estimate: MemoryEstimate, batch: number): number {
  return (
    PARAMETER_COPIES * estimate.parameterBytes +
    TRAINING_FACTOR * estimate.forwardBytesPerRow * batch
  );
}

export interface StepFit {
  fits: boolean;
  /** Estimated bytes of the step at the batch asked for, and the budget. */
  bytes: number;
  budget: number;
  /** The layer with the largest share of a row's bytes. */
  largest: LayerMemory;
  /** The largest batch whose step fits (0: not even one row). */
  maxBatch: number;
}

/** Whether a training step at `batch` rows fits the share of wasm memory training may use. */
export function trainingStepFit(model: Model, batch: number, state?: ModelState): StepFit {
  const estimate = memoryEstimate(model, state);
  const budget = TRAINING_SHARE * WASM_MEMORY_BYTES;
  const bytes = trainingStepBytes(estimate, batch);
  const largest = estimate.layers.reduce((a, b) => (b.bytesPerRow > a.bytesPerRow ? b : a));
  const perRow = TRAINING_FACTOR * estimate.forwardBytesPerRow;
  const free = budget - PARAMETER_COPIES * estimate.parameterBytes;
  const maxBatch = free <= 0 ? 0 : Math.floor(free / Math.max(1, perRow));
  return { fits: bytes <= budget, bytes, budget, largest, maxBatch };
}

const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;

/**
 * The message refusing a step that does not fit, or undefined when it fits. `where` names the
 * setting (e.g. "training.batch_size"). Undefined on WebGPU (arrays in GPU buffers): a bench or
 * search plan, made before the engine starts, checks for wasm whatever the device.
 */
export function trainingStepRefusal(
  model: Model,
  batch: number,
  where: string,
  state?: ModelState,
): string | undefined {
  // WebGPU keeps arrays in GPU buffers, not in wasm's memory
  if (defaultDevice() === "webgpu") return undefined;
  const fit = trainingStepFit(model, batch, state);
  if (fit.fits) return undefined;
  const layer = `layers[${fit.largest.index}] (${fit.largest.kind}, ${(fit.largest.bytesPerRow / 1024).toFixed(0)} KiB a row in the forward pass)`;
  const advice =
    fit.maxBatch >= 1
      ? `a batch size of at most ${fit.maxBatch} would fit`
      : `not even one row fits: the parameters alone need ${gib(PARAMETER_COPIES * memoryEstimate(model, state).parameterBytes)} with gradients and optimiser state`;
  return `${where}: a training step at batch ${batch} needs about ${gib(fit.bytes)} of wasm memory, over the ${gib(fit.budget)} training may use of wasm's 4 GiB; the largest share is ${layer}; ${advice}`;
}

/** A training step that wasm's memory cannot hold, refused before training: bad input, exit 2. */
export class TrainingMemoryError extends InputError {
  override name = "TrainingMemoryError";
}

/** Throws TrainingMemoryError (the message of trainingStepRefusal) for a step that cannot fit. */
export function assertTrainingFits(
  model: Model,
  batch: number,
  where: string,
  state?: ModelState,
): void {
  const refusal = trainingStepRefusal(model, batch, where, state);
  if (refusal !== undefined) throw new TrainingMemoryError(refusal);
}
