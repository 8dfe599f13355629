/**
 * Weight initialisers. Fan-in and fan-out are passed by the layer (a conv kernel's fan-in is
 * kh·kw·cin). "lecun_normal" is N(0, 1/fan_in) (SELU needs it); "he_normal" N(0, 2/fan_in);
 * "glorot_uniform" U(±√(6/(fan_in+fan_out))); "torch_uniform" U(±1/√fan_in), PyTorch's default
 * for nn.Linear.
 */
import { numpy as np } from "@jax-js/jax";
import type { FloatDType } from "../engine/dtype.js";
import { toJaxDType } from "../engine/dtype.js";
import type { Key } from "../engine/random.js";
import { normalSample, uniformSample } from "../engine/random.js";

export const WEIGHT_INITS = [
  "lecun_normal",
  "he_normal",
  "glorot_uniform",
  "glorot_normal",
  "torch_uniform",
  "zeros",
] as const;
export type WeightInit = (typeof WEIGHT_INITS)[number];

export interface Fans {
  fanIn: number;
  fanOut: number;
}

/** An initial weight array; consumes `key`. */
export function initWeight(
  key: Key,
  scheme: WeightInit,
  shape: number[],
  fans: Fans,
  dtype: FloatDType,
): np.Array {
  switch (scheme) {
    case "lecun_normal":
      return normalSample(key, shape, dtype).mul(Math.sqrt(1 / fans.fanIn));
    case "he_normal":
      return normalSample(key, shape, dtype).mul(Math.sqrt(2 / fans.fanIn));
    case "glorot_normal":
      return normalSample(key, shape, dtype).mul(Math.sqrt(2 / (fans.fanIn + fans.fanOut)));
    case "glorot_uniform": {
      const limit = Math.sqrt(6 / (fans.fanIn + fans.fanOut));
      return uniformSample(key, shape, -limit, limit, dtype);
    }
    case "torch_uniform": {
      const limit = 1 / Math.sqrt(fans.fanIn);
      return uniformSample(key, shape, -limit, limit, dtype);
    }
    case "zeros":
      key.dispose();
      return np.zeros(shape, { dtype: toJaxDType(dtype) });
  }
}
