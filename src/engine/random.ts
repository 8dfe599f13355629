/** Seeded random keys (JAX's splittable keys): a run is repeatable from its seed alone. */
import { numpy as np, random } from "@jax-js/jax";
import type { FloatDType } from "./dtype.js";
import { toJaxDType } from "./dtype.js";

export type Key = np.Array;

export function keyFromSeed(seed: number): Key {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  return random.key(seed);
}

/** Splits a key into `count` independent keys, consuming it. */
export function splitKey(key: Key, count = 2): Key[] {
  const stacked = random.split(key, count);
  const keys: Key[] = [];
  for (let i = 0; i < count; i++) keys.push(stacked.ref.slice(i));
  stacked.dispose();
  return keys;
}

/** Standard normal samples of the given dtype, consuming the key. */
export function normalSample(key: Key, shape: number[], dtype: FloatDType): np.Array {
  const sample = random.normal(key, shape);
  return dtype === "float32" ? sample : sample.astype(toJaxDType(dtype));
}

/** Uniform samples on [low, high) of the given dtype, consuming the key. */
export function uniformSample(
  key: Key,
  shape: number[],
  low: number,
  high: number,
  dtype: FloatDType,
): np.Array {
  const sample = random.uniform(key, shape, { minval: low, maxval: high });
  return dtype === "float32" ? sample : sample.astype(toJaxDType(dtype));
}
