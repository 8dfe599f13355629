/**
 * The L-BFGS objective of a B-spline KAN (MSE + pykan's sparsity penalty) and its exact gradient,
 * on plain Float64Arrays: forward pass, then a hand-written backward pass. Same mathematics as
 * ../objective.ts (the jax-js path); fit-lbfgs.ts chooses between them. A hello-KAN evaluation
 * is ~250 jax-js kernels (≈6 ms) but only ~10⁵ multiply-adds (≈1 ms here).
 *
 * Each edge is φ_ij(x) = mask_ij·(scale_base_ij·b(x) + scale_sp_ij·Σ_c coef_icj·B_c(x)) and
 * y_j = Σ_i φ_ij(x_i); only the order+1 non-zero B_c are visited (nn/kan/plain/local-basis.ts). The first
 * layer's basis depends only on the data and the knots, so it is computed once per objective
 * (fit-lbfgs.ts builds one per grid). Checked in test/kan-fast.test.ts: equal to the op-by-op
 * jax-js objective to ~1e-15 where no transcendental is involved, and to ~3e-8 to the jitted one
 * with SiLU and the entropy term (Math.exp/log are exact to rounding; jax-js's float64 exp/log are
 * ~1e-7, and jit rounds number literals to float32). One deliberate difference: an edge whose
 * output is constant (std 0, e.g. masked) gets gradient 0 through the penalty's std, where jax-js
 * differentiates sqrt at 0 and gives NaN.
 */
import { takeValues } from "../../engine/ownership.js";
import type { KanLayer } from "../../nn/kan/bspline.js";
import type { ArrayRecord } from "../../nn/layer.js";
import type { Model } from "../../nn/model.js";
import type { FlatLayout } from "../flat.js";
import type { Evaluation } from "../lbfgs.js";
import type { KanPenalty } from "../objective.js";
import {
  columnSpread,
  edgeGradients,
  edgesBackward,
  forwardEdges,
  inputSpreadGradients,
  siluWithSlope,
} from "../../nn/kan/plain/kernels.js";
import { LocalBasis } from "../../nn/kan/plain/local-basis.js";
import type { PlainBase } from "../../nn/kan/plain/support.js";
import { plainBaseOf } from "../../nn/kan/plain/support.js";
import { pykanRegularizer } from "./penalty.js";

/** A trainable array's place in the flat vector, or its fixed values (a buffer). */
type Source = { offset: number } | { values: Float64Array };

interface PlainLayer {
  n: number;
  m: number;
  /** Functions per input and spline order. */
  count: number;
  order: number;
  basis: LocalBasis;
  base: PlainBase;
  mask: Float64Array;
  coef: number;
  scaleBase: Source;
  scaleSp: Source;
  // per-evaluation work arrays
  /**
   * Effective coefficients coef·scale_sp·mask, edge-major [n, m, count] (an edge's coefficients
   * adjacent: the hot loops read order+1 of them in a row), and base weights scale_base·mask [n, m].
   */
  a: Float64Array;
  bb: Float64Array;
  da: Float64Array;
  dbb: Float64Array;
  /** Layer input h [rows, n], its base values and slopes, basis window starts, values, slopes. */
  h: Float64Array;
  baseValue: Float64Array;
  baseSlope: Float64Array;
  first: Int32Array;
  values: Float64Array;
  slopes: Float64Array;
  out: Float64Array;
  /** Edge outputs [rows, n, m] and d loss/d edge (only with the penalty). */
  phi: Float64Array;
  dPhi: Float64Array;
  /** d loss/d h [rows, n] (not for the first layer: its inputs are the data). */
  dInput: Float64Array;
}

export class PlainKanObjective {
  private readonly layers: PlainLayer[];
  private readonly rows: number;
  private readonly y: Float64Array;
  private readonly penalty: KanPenalty;
  private readonly size: number;
  /** d loss/d output of the last layer. */
  private readonly dOutput: Float64Array;

  /**
   * model: only B-spline KAN layers (see nn/kan/plain/support.ts); buffers borrowed (read once); x [rows, n0]
   * and y [rows, outputs] row-major.
   */
  constructor(
    model: Model,
    layout: FlatLayout,
    buffers: readonly ArrayRecord[],
    x: Float64Array,
    y: Float64Array,
    penalty: KanPenalty,
  ) {
    const n0 = (model.layers[0] as KanLayer).inputs;
    this.rows = x.length / n0;
    this.y = y;
    this.penalty = penalty;
    this.size = layout.size;
    const withPenalty = penalty.lambda > 0;
    this.dOutput = new Float64Array(y.length);
    let h = x;
    this.layers = model.layers.map((raw, l) => {
      const layer = raw as KanLayer;
      const { inputs: n, units: m, basisCount: count } = layer;
      const order = layer.spec.order;
      const record = buffers[l] ?? {};
      const read = (name: string): Float64Array => {
        const array = record[name];
        if (!array) throw new Error(`plain kan objective: layers[${l}] has no '${name}'`);
        return takeValues(array.ref);
      };
      const source = (name: string): Source => {
        const entry = layout.entries.find((e) => e.layer === l && e.name === name);
        return entry ? { offset: entry.offset } : { values: read(name) };
      };
      const coef = source("coef");
      if (!("offset" in coef)) throw new Error(`plain kan objective: layers[${l}].coef is fixed`);
      const rows = this.rows;
      const plain: PlainLayer = {
        n,
        m,
        count,
        order,
        basis: new LocalBasis(read("knots"), n, order),
        base: plainBaseOf(layer.spec)!,
        mask: read("mask"),
        coef: coef.offset,
        scaleBase: source("scale_base"),
        scaleSp: source("scale_sp"),
        a: new Float64Array(n * count * m),
        bb: new Float64Array(n * m),
        da: new Float64Array(n * count * m),
        dbb: new Float64Array(n * m),
        h, // the data, or the previous layer's output array (refilled in place)
        baseValue: new Float64Array(rows * n),
        baseSlope: new Float64Array(rows * n),
        first: new Int32Array(rows * n),
        values: new Float64Array(rows * n * (order + 1)),
        slopes: new Float64Array(l === 0 ? 0 : rows * n * (order + 1)),
        out: new Float64Array(rows * m),
        phi: new Float64Array(withPenalty ? rows * n * m : 0),
        dPhi: new Float64Array(withPenalty ? rows * n * m : 0),
        dInput: new Float64Array(l === 0 ? 0 : rows * n),
      };
      // the data never change: the first layer's basis and base values are computed once
      if (l === 0) this.prepareInputs(plain, false);
      h = plain.out;
      return plain;
    });
  }

  /** Loss and gradient at the flat parameters. */
  evaluate(flat: Float64Array): Evaluation {
    const grad = new Float64Array(this.size);
    const last = this.layers.length - 1;
    this.layers.forEach((layer, l) => {
      if (l > 0) this.prepareInputs(layer, true);
      this.forward(layer, flat);
    });
    // mean squared error over every output
    const out = this.layers[last]!.out;
    let loss = 0;
    let g = this.dOutput;
    const scale = 1 / out.length;
    for (let e = 0; e < out.length; e++) {
      const r = (out[e] as number) - (this.y[e] as number);
      loss += r * r;
      g[e] = 2 * r * scale;
    }
    loss *= scale;
    // pykan's penalty: λ·Σ_layers reg(v), v from the spreads of edges and inputs
    const penalties: (PenaltyGradient | undefined)[] = [];
    if (this.penalty.lambda > 0)
      for (const layer of this.layers) {
        const parts = this.penaltyOf(layer);
        loss += parts.value;
        penalties.push(parts);
      }
    for (let l = last; l >= 0; l--)
      g = this.backward(this.layers[l]!, flat, grad, g, l > 0, penalties[l]);
    return { loss, grad };
  }

  /** Basis windows (and slopes if needed) and base values at the layer's inputs h. */
  private prepareInputs(layer: PlainLayer, withSlopes: boolean): void {
    const { basis, h, first, values, slopes, baseValue, baseSlope } = layer;
    basis.evaluateAll(h, first, values, withSlopes ? slopes : undefined);
    if (layer.base === "silu") siluWithSlope(h, baseValue, baseSlope);
    else {
      baseValue.set(h);
      baseSlope.fill(1);
    }
  }

  private scale(source: Source, flat: Float64Array, e: number): number {
    return "offset" in source ? (flat[source.offset + e] as number) : (source.values[e] as number);
  }

  /** out[b, j] = Σ_i φ_ij(h_bi); edge outputs kept in phi when the penalty needs them. */
  private forward(layer: PlainLayer, flat: Float64Array): void {
    const { n, m, count, order, a, bb, mask, first, values, baseValue, out, phi } = layer;
    const coef = layer.coef;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        const e = i * m + j;
        const sp = this.scale(layer.scaleSp, flat, e) * (mask[e] as number);
        bb[e] = this.scale(layer.scaleBase, flat, e) * (mask[e] as number);
        for (let c = 0; c < count; c++)
          a[e * count + c] = (flat[coef + (i * count + c) * m + j] as number) * sp;
      }
    forwardEdges(this.rows, n, m, count, order + 1, a, bb, first, values, baseValue, out, phi);
  }

  /**
   * The layer's penalty λ·reg and its gradient, as coefficients: d/dφ_bij = edge[e]·(φ_bij −
   * edgeMean[e]) and d/dh_bi = input[i]·(h_bi − inputMean[i]).
   */
  private penaltyOf(layer: PlainLayer): { value: number } & PenaltyGradient {
    const { n, m, h, phi } = layer;
    const rows = this.rows;
    const { lambda, l1, entropy } = this.penalty;
    const edgeMean = new Float64Array(n * m);
    const edgeStd = new Float64Array(n * m);
    const inputMean = new Float64Array(n);
    const inputStd = new Float64Array(n);
    columnSpread(phi, rows, n * m, edgeMean, edgeStd);
    columnSpread(h, rows, n, inputMean, inputStd);
    const v = new Float64Array(n * m);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++)
        v[i * m + j] = (edgeStd[i * m + j] as number) / ((inputStd[i] as number) + 0.1);
    const reg = pykanRegularizer(v, n, m, { l1, entropy });
    // d std/d value = (value − mean)/((rows − 1)·std); taken as 0 where std = 0 (a constant edge)
    const denominator = Math.max(rows - 1, 1);
    const edge = new Float64Array(n * m);
    const input = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const inner = (inputStd[i] as number) + 0.1;
      let dInputStd = 0;
      for (let j = 0; j < m; j++) {
        const e = i * m + j;
        const dv = lambda * (reg.grad[e] as number);
        const sd = edgeStd[e] as number;
        edge[e] = sd > 0 ? dv / inner / (denominator * sd) : 0;
        dInputStd -= (dv * sd) / (inner * inner);
      }
      const sd = inputStd[i] as number;
      input[i] = sd > 0 ? dInputStd / (denominator * sd) : 0;
    }
    return { value: lambda * reg.value, edge, edgeMean, input, inputMean };
  }

  /**
   * Accumulates the layer's parameter gradients into grad from d loss/d out (gOut) and the
   * penalty's parts; returns d loss/d h when needInput (else an empty array).
   */
  private backward(
    layer: PlainLayer,
    flat: Float64Array,
    grad: Float64Array,
    gOut: Float64Array,
    needInput: boolean,
    penalty: PenaltyGradient | undefined,
  ): Float64Array {
    const { n, m, count, order, a, bb, da, dbb, mask, first, values, slopes, h } = layer;
    const { baseValue, baseSlope, phi, dPhi } = layer;
    const rows = this.rows;
    const w = order + 1;
    // d loss/d φ_bij: from the output (shared by every input i), plus, with the penalty, its path
    // through the edge's spread (then one value per edge)
    let dEdges = gOut;
    let rowStride = m;
    let inputStride = 0;
    if (penalty) {
      edgeGradients(rows, n, m, gOut, penalty.edge, penalty.edgeMean, phi, dPhi);
      dEdges = dPhi;
      rowStride = n * m;
      inputStride = m;
    }
    const dh = layer.dInput;
    edgesBackward(
      rows,
      n,
      m,
      count,
      w,
      dEdges,
      rowStride,
      inputStride,
      first,
      values,
      slopes,
      baseValue,
      baseSlope,
      a,
      bb,
      da,
      dbb,
      dh,
    );
    if (needInput && penalty)
      inputSpreadGradients(rows, n, h, penalty.input, penalty.inputMean, dh);
    // chain to the stored parameters: a = coef·scale_sp·mask, bb = scale_base·mask
    const { scaleBase, scaleSp } = layer;
    const coef = layer.coef;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        const e = i * m + j;
        const mk = mask[e] as number;
        const sp = this.scale(scaleSp, flat, e) * mk;
        let dScaleSp = 0;
        for (let c = 0; c < count; c++) {
          const at = coef + (i * count + c) * m + j;
          const dA = da[e * count + c] as number;
          grad[at] = (grad[at] as number) + dA * sp;
          dScaleSp += dA * (flat[at] as number);
        }
        if ("offset" in scaleSp) grad[scaleSp.offset + e] = dScaleSp * mk;
        if ("offset" in scaleBase) grad[scaleBase.offset + e] = (dbb[e] as number) * mk;
      }
    return dh;
  }
}

interface PenaltyGradient {
  edge: Float64Array;
  edgeMean: Float64Array;
  input: Float64Array;
  inputMean: Float64Array;
}
