/** Floating-point precision of a computation. float64 is for checking and for KAN fitting,
 * float32 for speed. */
import { numpy as np } from "@jax-js/jax";

export type FloatDType = "float32" | "float64";

export function toJaxDType(dtype: FloatDType): np.DType {
  return dtype === "float64" ? np.float64 : np.float32;
}

/** A typed array of the dtype's width, holding `values`. */
export function typedArrayOf(
  dtype: FloatDType,
  values: ArrayLike<number>,
): Float32Array | Float64Array {
  return dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);
}

/** Builds a jax-js array of the given dtype and shape from plain numbers. */
export function arrayFrom(values: ArrayLike<number>, shape: number[], dtype: FloatDType): np.Array {
  return np.array(typedArrayOf(dtype, values)).reshape(shape);
}
