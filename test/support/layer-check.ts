/**
 * Checks a layer against an independent plain-TypeScript reference: values on a fixed input, and
 * jax-js gradients (w.r.t. every parameter and the input) against central finite differences of
 * the reference in double precision. The loss is Σ y·r with fixed pseudo-random weights r.
 */
import assert from "node:assert/strict";
import { numpy as np, valueAndGrad } from "@jax-js/jax";
import type { FloatDType } from "../../src/engine/dtype.js";
import { arrayFrom } from "../../src/engine/dtype.js";
import { takeValues } from "../../src/engine/ownership.js";
import type { Layer, LayerState } from "../../src/nn/layer.js";

export type Values = Record<string, Float64Array>;

/** A reference: (params, buffers, x) → y, all flat row-major arrays. */
export type Reference = (params: Values, buffers: Values, x: Float64Array) => Float64Array;

/** Deterministic values in [-1, 1) (a fixed LCG), for inputs and loss weights. */
export function fixedValues(count: number, seed = 1, scale = 1): Float64Array {
  let state = seed >>> 0 || 1;
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = scale * ((state / 2 ** 32) * 2 - 1);
  }
  return values;
}

/** Copies a state's values out (the state is kept). */
export function valuesOf(record: Record<string, np.Array>): Values {
  const out: Values = {};
  for (const [name, array] of Object.entries(record)) out[name] = takeValues(array.ref);
  return out;
}

/** Replaces a state's params with given values (same shapes), e.g. perturbed ones. */
export function stateWith(state: LayerState, params: Values, dtype: FloatDType): LayerState {
  const next: LayerState = { params: {}, buffers: state.buffers };
  for (const [name, array] of Object.entries(state.params)) {
    next.params[name] = arrayFrom(params[name] as Float64Array, array.shape, dtype);
  }
  return next;
}

export function layerOutput(layer: Layer, state: LayerState, x: Float64Array): Float64Array {
  const batch = x.length / layer.inputShape.reduce((a, b) => a * b, 1);
  const input = arrayFrom(x, [batch, ...layer.inputShape], layer.dtype);
  return takeValues(layer.apply(state, input));
}

/** jax-js gradients of Σ y·r w.r.t. every param and the input. */
export function layerGradients(
  layer: Layer,
  state: LayerState,
  x: Float64Array,
  r: Float64Array,
): { params: Values; input: Float64Array } {
  const batch = x.length / layer.inputShape.reduce((a, b) => a * b, 1);
  const weights = arrayFrom(r, [batch, ...layer.outputShape], layer.dtype);
  const loss = (params: Record<string, np.Array>, input: np.Array): np.Array =>
    layer.apply({ params, buffers: state.buffers }, input).mul(weights.ref).sum();
  const paramsCopy: Record<string, np.Array> = {};
  for (const [name, array] of Object.entries(state.params)) paramsCopy[name] = array.ref;
  const input = arrayFrom(x, [batch, ...layer.inputShape], layer.dtype);
  const [value, grads] = valueAndGrad(loss, { argnums: [0, 1] })(paramsCopy, input) as unknown as [
    np.Array,
    [Record<string, np.Array>, np.Array],
  ];
  value.dispose();
  weights.dispose();
  return { params: valuesOf(grads[0]), input: takeValues(grads[1]) };
}

/** Central differences of Σ ref(params, x)·r in float64. */
export function referenceGradients(
  reference: Reference,
  params: Values,
  buffers: Values,
  x: Float64Array,
  r: Float64Array,
  h = 1e-6,
): { params: Values; input: Float64Array } {
  const objective = (p: Values, input: Float64Array): number =>
    reference(p, buffers, input).reduce((sum, y, i) => sum + y * (r[i] as number), 0);
  const differentiate = (values: Float64Array, evaluate: () => number): Float64Array => {
    const grad = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const saved = values[i] as number;
      values[i] = saved + h;
      const up = evaluate();
      values[i] = saved - h;
      const down = evaluate();
      values[i] = saved;
      grad[i] = (up - down) / (2 * h);
    }
    return grad;
  };
  const copy: Values = {};
  for (const [name, v] of Object.entries(params)) copy[name] = Float64Array.from(v);
  const input = Float64Array.from(x);
  const out: { params: Values; input: Float64Array } = {
    params: {},
    input: differentiate(input, () => objective(copy, input)),
  };
  for (const name of Object.keys(copy))
    out.params[name] = differentiate(copy[name] as Float64Array, () => objective(copy, input));
  return out;
}

/** |a − e| ≤ abs + rel·|e| elementwise, with the worst index in the message. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  label: string,
  { rel = 1e-6, abs = 1e-9 }: { rel?: number; abs?: number } = {},
): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    assert.ok(
      Math.abs(a - e) <= abs + rel * Math.abs(e),
      `${label}[${i}]: got ${a}, expected ${e} (diff ${Math.abs(a - e)})`,
    );
  }
}

/**
 * The full check for a float64 layer: output vs reference, gradients vs finite differences of
 * the reference. Tolerances default to what jax-js's float32-accurate transcendentals allow.
 */
export function checkLayerAgainstReference(
  layer: Layer,
  state: LayerState,
  reference: Reference,
  x: Float64Array,
  { rel = 1e-4, abs = 1e-6 }: { rel?: number; abs?: number } = {},
): void {
  const params = valuesOf(state.params);
  const buffers = valuesOf(state.buffers);
  assertClose(layerOutput(layer, state, x), reference(params, buffers, x), "output", { rel, abs });
  const outputs = reference(params, buffers, x).length;
  const r = fixedValues(outputs, 99);
  const got = layerGradients(layer, state, x, r);
  const want = referenceGradients(reference, params, buffers, x, r);
  assertClose(got.input, want.input, "d/dx", { rel, abs: Math.max(abs, 1e-6) });
  for (const name of Object.keys(params))
    assertClose(got.params[name] as Float64Array, want.params[name] as Float64Array, `d/d${name}`, {
      rel,
      abs: Math.max(abs, 1e-6),
    });
}
