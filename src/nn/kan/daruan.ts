/**
 * QKAN layer with DARUAN edges (DatA Re-Uploading ActivatioNs, "Quantum Variational Activation
 * Functions Empower Kolmogorov-Arnold Networks", Jiang et al. 2025). Every edge i→j runs a
 * single-qubit data re-uploading circuit, simulated exactly:
 *   |ψ⟩ = R_y(θ_L)·R_z(w_L·x + φ_L) ⋯ R_y(θ_1)·R_z(w_1·x + φ_1)·R_y(θ_0)|0⟩,
 *   ⟨Z⟩(x) = |α|² − |β|²,   y_j = Σ_i c_ij·⟨Z⟩_ij(x_i) + b_j.
 * R_y(θ) = [[cos θ/2, −sin θ/2], [sin θ/2, cos θ/2]], R_z(γ) = diag(e^{−iγ/2}, e^{iγ/2}).
 * This is QKAN's "rpz" ansatz (H then R_y(θ_0) is R_y(θ_0 + π/2)). Why these gates: a general
 * trainable rotation R_z·R_y·R_z between data rotations loses nothing by dropping its R_z's,
 * which merge into the data rotation's phase φ_l; a leading R_z acts on |0⟩ as a phase and a
 * trailing one commutes with Z. So L uploads need L+1 R_y angles, L weights and L phases.
 *
 * Spectrum: each R_z(w_l·x) contributes e^{±i w_l x/2} to the amplitudes, so ⟨Z⟩ is a real
 * trigonometric polynomial with frequencies Σ_l k_l·w_l, k_l ∈ {−1, 0, 1}: up to L·w when every
 * w_l = w, and every integer up to (3^L − 1)/2 when w_l = 3^{l−1} (`frequency_init: ternary`).
 *
 * Simulation: real arithmetic on the two amplitudes (four arrays [batch, n, units]); R_z(γ) is
 * applied as diag(1, e^{iγ}), equal up to a global phase that ⟨Z⟩ does not see.
 */
import { numpy as np } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../../engine/dtype.js";
import { arrayFrom, toJaxDType } from "../../engine/dtype.js";
import type { Key } from "../../engine/random.js";
import { normalSample, splitKey, uniformSample } from "../../engine/random.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "../layer.js";
import { LayerSpecError } from "../layer.js";

export const DARUAN_FREQUENCY_INITS = ["ones", "ternary"] as const;

export const daruanKanSchema = z
  .object({
    type: z.literal("kan_daruan"),
    units: z.number().int().positive(),
    /** L: data re-uploads per edge. */
    layers: z.number().int().min(1).max(12).default(3),
    /** Initial data weights w_l: all 1, or 3^{l−1} (a spectrum of every integer frequency). */
    frequency_init: z.enum(DARUAN_FREQUENCY_INITS).default("ones"),
    bias: z.boolean().default(true),
  })
  .strict();
export type DaruanKanSpec = z.infer<typeof daruanKanSchema>;

/** A complex array as (re, im); im undefined means exactly zero. */
interface Complex {
  re: np.Array;
  im: np.Array | undefined;
}

export class DaruanKanLayer implements Layer {
  readonly kind = "kan_daruan";
  readonly outputShape: readonly number[];
  readonly inputs: number;

  constructor(
    readonly spec: DaruanKanSpec,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    if (inputShape.length !== 1)
      throw new LayerSpecError(
        `kan_daruan needs flat inputs, got shape [${inputShape.join(", ")}]: add a flatten layer`,
      );
    this.inputs = inputShape[0] as number;
    this.outputShape = [spec.units];
  }

  /**
   * θ ~ U(−π, π) (a random point of the circuit's angle space), φ = 0, w per `frequency_init`,
   * c ~ N(0, 1/n) (LeCun over the n edges into a node; |⟨Z⟩| ≤ 1), b = 0.
   */
  init(key: Key): LayerState {
    const { inputs: n, spec } = this;
    const m = spec.units;
    const L = spec.layers;
    const [thetaKey, coefKey] = splitKey(key, 2) as [Key, Key];
    const weights = Array.from({ length: L }, (_, l) =>
      spec.frequency_init === "ternary" ? 3 ** l : 1,
    ).flatMap((w) => Array.from({ length: n * m }, () => w));
    const state: LayerState = {
      params: {
        theta: uniformSample(thetaKey, [L + 1, n, m], -Math.PI, Math.PI, this.dtype),
        w: arrayFrom(weights, [L, n, m], this.dtype),
        phi: np.zeros([L, n, m], { dtype: toJaxDType(this.dtype) }),
        c: normalSample(coefKey, [n, m], this.dtype).mul(1 / Math.sqrt(n)),
      },
      buffers: {},
    };
    if (spec.bias) state.params.b = np.zeros([m], { dtype: toJaxDType(this.dtype) });
    return state;
  }

  /** ⟨Z⟩ of every edge: x [batch, n] (consumed), params borrowed; result [batch, n, units]. */
  expectation(state: LayerState, x: np.Array): np.Array {
    const { inputs: n, spec } = this;
    const batch = x.shape[0] as number;
    const theta = state.params.theta as np.Array;
    const halfAngle = (l: number): [np.Array, np.Array] => {
      const half = theta.ref.slice(l).mul(0.5);
      return [np.cos(half.ref), np.sin(half)];
    };
    const xs = x.reshape([batch, n, 1]);
    // R_y(θ_0)|0⟩ = (cos θ_0/2, sin θ_0/2): real, the same for every sample
    const [c0, s0] = halfAngle(0);
    let alpha: Complex = { re: c0, im: undefined };
    let beta: Complex = { re: s0, im: undefined };
    for (let l = 1; l <= spec.layers; l++) {
      // data rotation as diag(1, e^{iγ}), γ = w_l·x + φ_l
      const gamma = xs.ref
        .mul((state.params.w as np.Array).ref.slice(l - 1))
        .add((state.params.phi as np.Array).ref.slice(l - 1));
      const cosG = np.cos(gamma.ref);
      const sinG = np.sin(gamma);
      beta = beta.im
        ? {
            re: beta.re.ref.mul(cosG.ref).sub(beta.im.ref.mul(sinG.ref)),
            im: beta.re.mul(sinG).add(beta.im.mul(cosG)),
          }
        : { re: beta.re.ref.mul(cosG), im: beta.re.mul(sinG) };
      // trainable R_y(θ_l): α' = cα − sβ, β' = sα + cβ (componentwise on re and im)
      const [c, s] = halfAngle(l);
      const mix = (a: np.Array | undefined, b: np.Array): [np.Array, np.Array] => {
        const first = a ? a.ref.mul(c.ref).sub(b.ref.mul(s.ref)) : b.ref.mul(s.ref.neg());
        const second = a ? a.mul(s.ref).add(b.ref.mul(c.ref)) : b.ref.mul(c.ref);
        b.dispose();
        return [first, second];
      };
      const [alphaRe, betaRe] = mix(alpha.re, beta.re);
      const [alphaIm, betaIm] = mix(alpha.im, beta.im as np.Array);
      c.dispose();
      s.dispose();
      alpha = { re: alphaRe, im: alphaIm };
      beta = { re: betaRe, im: betaIm };
    }
    xs.dispose();
    const square = (v: np.Array): np.Array => v.ref.mul(v);
    return square(alpha.re)
      .add(square(alpha.im as np.Array))
      .sub(square(beta.re))
      .sub(square(beta.im as np.Array));
  }

  apply(state: LayerState, x: np.Array): np.Array {
    let y = this.expectation(state, x)
      .mul((state.params.c as np.Array).ref)
      .sum(1);
    if (state.params.b) y = y.add(state.params.b.ref);
    return y;
  }

  /** Per edge: θ_0..θ_L, w_1..w_L, φ_1..φ_L and c (3L + 2); plus `units` biases. */
  paramShapes(): ShapeRecord {
    const { inputs: n, spec } = this;
    const [m, L] = [spec.units, spec.layers];
    return {
      theta: [L + 1, n, m],
      w: [L, n, m],
      phi: [L, n, m],
      c: [n, m],
      ...(spec.bias ? { b: [m] } : {}),
    };
  }

  /**
   * Per sample, per edge (work on [n, units] parameter arrays alone, e.g. cos θ/2 or c·α in
   * upload 1 where α is the same for every sample, runs once per batch and is not counted).
   * Upload 1: γ = w·x + φ (2), cos γ and sin γ (2), β·e^{iγ} with β real (2), R_y with α real
   * (α_re' = c·α_re − s·β_re: 2, β_re' = s·α_re + c·β_re: 2, α_im' = −s·β_im: 1, β_im' = c·β_im:
   * 1): 12. Uploads 2..L: γ (2), cos/sin (2), complex β·e^{iγ} (4 multiplies, 2 adds: 6), R_y on
   * four real parts (4 × 3 = 12): 22. ⟨Z⟩: 4 squares and 3 adds (7). Output: c·⟨Z⟩ summed over
   * the inputs (2). Plus one bias add per unit.
   *   forward = n·units·(12 + 22·(L−1) + 9) + units
   */
  flops(): FlopCount {
    const edges = this.inputs * this.spec.units;
    const perEdge = 12 + 22 * (this.spec.layers - 1) + 9;
    const forward = edges * perEdge + (this.spec.bias ? this.spec.units : 0);
    return { forward, backward: 2 * forward };
  }
}
