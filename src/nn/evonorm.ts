/**
 * EvoNorm normalisation-activation layers (Liu et al. 2020, "Evolving Normalization-Activation
 * Layers"), channels last: a sample is [C] (flat) or [H, W, C] (any [...spatial, C]).
 *
 *   B0: y = x / max(√(var_batch(x)+ε), v·x + √(var_instance(x)+ε)) · γ + β
 *   S0: y = x·σ(v·x) / √(var_group(x)+ε) · γ + β
 *
 * var_batch: per channel over the batch and spatial positions. var_instance: per sample and
 * channel over the spatial positions; a flat [C] sample has none, so there it is taken over the
 * sample's C features (one value per sample, as in layer norm). var_group: per sample and group of
 * C/groups channels, over the spatial positions and the group's channels. γ, β, v: one per channel.
 *
 * `Layer.apply` has no training flag and returns no state, so B0 always uses the statistics of
 * the batch it is given — in training and at inference alike (no running averages).
 */
import { nn, numpy as np } from "@jax-js/jax";
import type { FloatDType } from "../engine/dtype.js";
import { toJaxDType } from "../engine/dtype.js";
import type { Key } from "../engine/random.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "./layer.js";
import { LayerSpecError, product } from "./layer.js";

export const EVONORM_DEFAULT_EPSILON = 1e-5;

export interface EvoNormB0Spec {
  type: "evonorm_b0";
  epsilon: number;
}

export interface EvoNormS0Spec {
  type: "evonorm_s0";
  groups: number;
  epsilon: number;
}

/** √(var(x) + ε) over `axes` (kept as size-1 axes), two-pass for accuracy. Consumes x. */
function standardDeviation(x: np.Array, axes: number[], epsilon: number): np.Array {
  const mean = x.ref.mean(axes, { keepdims: true });
  const centred = x.sub(mean);
  return np.sqrt(centred.ref.mul(centred).mean(axes, { keepdims: true }).add(epsilon));
}

/** max(a, b) as a + (b − a)·[b > a]: a comparison cast to float fuses on wasm, np.maximum does not. */
function maximumOf(a: np.Array, b: np.Array): np.Array {
  const bLarger = np.greater(b.ref, a.ref).astype(b.dtype);
  return a.ref.add(b.sub(a).mul(bLarger));
}

/** Checks the sample shape and returns its channel count (last axis). */
function channelsOf(kind: string, inputShape: readonly number[], epsilon: number): number {
  if (inputShape.length < 1 || inputShape.some((d) => !Number.isInteger(d) || d < 1))
    throw new LayerSpecError(
      `${kind} needs inputs [..., channels], got shape [${inputShape.join(", ")}]`,
    );
  if (!Number.isFinite(epsilon) || epsilon <= 0)
    throw new LayerSpecError(`epsilon: must be a positive number, got ${epsilon}`);
  return inputShape[inputShape.length - 1] as number;
}

/** γ, β and v, one per channel. */
function channelParamShapes(channels: number): ShapeRecord {
  return { gamma: [channels], beta: [channels], v: [channels] };
}

/** γ = 1, β = 0, v = 1 (the paper's initialisation). */
function initChannelParams(channels: number, dtype: FloatDType): LayerState {
  const jaxDType = toJaxDType(dtype);
  const shapes = channelParamShapes(channels) as Record<"gamma" | "beta" | "v", number[]>;
  return {
    params: {
      gamma: np.ones(shapes.gamma, { dtype: jaxDType }),
      beta: np.zeros(shapes.beta, { dtype: jaxDType }),
      v: np.ones(shapes.v, { dtype: jaxDType }),
    },
    buffers: {},
  };
}

/** FLOPs of √(var + ε) over m values: sum (m) and /m, subtract (m), square-and-add (2m) and /m,
 * + ε, √. */
const stdFlops = (m: number): number => 4 * m + 4;

export class EvoNormB0Layer implements Layer {
  readonly kind = "evonorm_b0";
  readonly outputShape: readonly number[];
  readonly channels: number;

  constructor(
    readonly spec: EvoNormB0Spec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    this.channels = channelsOf(this.kind, inputShape, spec.epsilon);
    this.outputShape = inputShape;
  }

  init(key: Key): LayerState {
    key.dispose();
    return initChannelParams(this.channels, this.dtype);
  }

  apply(state: LayerState, x: np.Array): np.Array {
    const { gamma, beta, v } = state.params as Record<"gamma" | "beta" | "v", np.Array>;
    const rank = x.ndim;
    const spatialAxes = Array.from({ length: rank - 2 }, (_, i) => i + 1);
    const batchStd = standardDeviation(x.ref, [0, ...spatialAxes], this.spec.epsilon);
    // A flat sample has no spatial positions: its instance statistics run over its features.
    const instanceAxes = rank > 2 ? spatialAxes : [1];
    const instanceStd = standardDeviation(x.ref, instanceAxes, this.spec.epsilon);
    const denominator = maximumOf(batchStd, v.ref.mul(x.ref).add(instanceStd));
    return x.div(denominator).mul(gamma.ref).add(beta.ref);
  }

  paramShapes(): ShapeRecord {
    return channelParamShapes(this.channels);
  }

  /**
   * Per sample, N = elements, C = channels: batch std counted as if per sample (4N + 4C, exact at
   * batch 1), instance std (4N + 4C; flat: 4C + 4), v·x, + instance std, max, ÷, ·γ + β (6N).
   */
  flops(): FlopCount {
    const elements = product(this.inputShape);
    const spatial = elements / this.channels;
    const instance =
      this.inputShape.length > 1 ? this.channels * stdFlops(spatial) : stdFlops(elements);
    const forward = this.channels * stdFlops(spatial) + instance + 6 * elements;
    return { forward, backward: 2 * forward };
  }
}

export class EvoNormS0Layer implements Layer {
  readonly kind = "evonorm_s0";
  readonly outputShape: readonly number[];
  readonly channels: number;

  constructor(
    readonly spec: EvoNormS0Spec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    this.channels = channelsOf(this.kind, inputShape, spec.epsilon);
    if (!Number.isInteger(spec.groups) || spec.groups < 1 || this.channels % spec.groups !== 0)
      throw new LayerSpecError(
        `groups: must be a positive integer dividing the ${this.channels} channels of input ` +
          `shape [${inputShape.join(", ")}], got ${spec.groups}`,
      );
    this.outputShape = inputShape;
  }

  init(key: Key): LayerState {
    key.dispose();
    return initChannelParams(this.channels, this.dtype);
  }

  apply(state: LayerState, x: np.Array): np.Array {
    const { gamma, beta, v } = state.params as Record<"gamma" | "beta" | "v", np.Array>;
    const shape = x.shape;
    const groups = this.spec.groups;
    const perGroup = this.channels / groups;
    const batch = shape[0] as number;
    const spatial = product(this.inputShape) / this.channels;
    // [B, positions, groups, channels per group]: group statistics reduce axes 1 and 3.
    const grouped = x.reshape([batch, spatial, groups, perGroup]);
    const groupStd = standardDeviation(grouped.ref, [1, 3], this.spec.epsilon);
    const gate = nn.sigmoid(v.ref.reshape([groups, perGroup]).mul(grouped.ref));
    const normalised = grouped.mul(gate).div(groupStd).reshape(shape);
    return normalised.mul(gamma.ref).add(beta.ref);
  }

  paramShapes(): ShapeRecord {
    return channelParamShapes(this.channels);
  }

  /** Per sample, N = elements, G = groups: group std G·(4N/G + 4), then v·x, σ, ·x, ÷, ·γ + β (6N). */
  flops(): FlopCount {
    const elements = product(this.inputShape);
    const groups = this.spec.groups;
    const forward = groups * stdFlops(elements / groups) + 6 * elements;
    return { forward, backward: 2 * forward };
  }
}
