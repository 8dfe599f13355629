/**
 * ONNX forms of four more KAN layers on flat inputs: AF-KAN (src/nn/kan/af-kan.ts), GR-KAN's
 * group rationals (rational.ts), QKAN's DARUAN edges (daruan.ts) and S-KAN's selectable spaces
 * (selectable.ts), op for op as nonlin computes them; what depends on the weights alone (DARUAN's
 * half-angle cosines and sines, S-KAN's softmax(α/τ)) is folded on the host.
 */
import type { AfKanSpec } from "../../nn/kan/af-kan.js";
import { MINMAX_EPS, NORM_EPS } from "../../nn/kan/af-kan.js";
import type { DaruanKanSpec } from "../../nn/kan/daruan.js";
import type { RationalKanSpec } from "../../nn/kan/rational.js";
import { gaussianCentres } from "../../nn/kan/rbf-basis.js";
import type { SelectableKanSpec } from "../../nn/kan/selectable.js";
import { reluKanPhases } from "../../nn/kan/relu-kan.js";
import type { OnnxGraph } from "./graph.js";
import {
  basisMatmul,
  bsplineBasis,
  column,
  normalizeLastAxis,
  stack,
  withBias,
} from "./kan-layers.js";
import type { LayerContext, LayerMapping } from "./layer-context.js";

/** AF-KAN's combine(u, v), elementwise. */
function combineHalves(g: OnnxGraph, kind: AfKanSpec["combine"], u: string, v: string): string {
  const mul = (a: string, b: string): string => g.op("Mul", [a, b]);
  const add = (a: string, b: string): string => g.op("Add", [a, b]);
  switch (kind) {
    case "quad1": {
      const p = mul(u, v);
      return mul(p, p);
    }
    case "quad2":
      return add(add(mul(u, v), mul(u, u)), mul(v, v));
    case "sum":
      return add(u, v);
    case "prod":
      return mul(u, v);
    case "sum_prod":
      return add(add(u, v), mul(u, v));
    case "cubic1":
      return mul(add(u, v), add(mul(u, u), mul(v, v)));
    case "cubic2": {
      const p = mul(u, v);
      return mul(mul(p, p), p);
    }
  }
}

/**
 * AF-KAN: basis_c(x) = combine(f(x − s_c), f(e_c − x)) on ReLU-KAN's start and end points,
 * normalised (layer, min-max or none), then a linear head (Σ w·basis) or the attention head
 * (softmax over the inputs of the basis scores, LayerNorm, f, ·W).
 */
export const afKan: LayerMapping = (c, x) => {
  const g = c.graph;
  const spec = c.spec as unknown as AfKanSpec;
  const n = c.layer.inputShape[0] as number;
  const units = c.layer.outputShape[0] as number;
  const phases = reluKanPhases(spec.grid_size, spec.order, spec.grid_range);
  const k = phases.starts.length;
  const xs = column(g, x, n);
  const f = (v: string): string => c.activation("function", v, [n, k], "basis_act.");
  const raw = combineHalves(
    g,
    spec.combine,
    f(g.op("Sub", [xs, c.weightOr("starts", phases.starts)])),
    f(g.op("Sub", [c.weightOr("ends", phases.ends), xs])),
  );
  let basis = raw;
  if (spec.norm !== "none") {
    const flat = g.op("Reshape", [raw, g.int64([0, n * k], "shape")]);
    let normed: string;
    if (spec.norm === "layer") normed = normalizeLastAxis(g, flat, NORM_EPS);
    else {
      const low = g.op("ReduceMin", [flat], { axes: [-1], keepdims: 1 });
      const high = g.op("ReduceMax", [flat], { axes: [-1], keepdims: 1 });
      const range = g.op("Add", [g.op("Sub", [high, low]), g.scalar(MINMAX_EPS)]);
      normed = g.op("Div", [g.op("Sub", [flat, low]), range]);
    }
    basis = g.op("Reshape", [normed, g.int64([0, n, k], "shape")]);
  }
  if (spec.head === "linear")
    return withBias(c, basisMatmul(c, basis, c.weight("w", [n * k, units]), n * k));
  const score = g.op("Div", [
    g.op("Add", [
      g.op("Reshape", [
        g.op("MatMul", [basis, c.weight("attn_w", [k, 1])]),
        g.int64([0, n], "shape"),
      ]),
      c.weight("attn_b"),
    ]),
    g.op("Max", [c.weight("temperature"), g.scalar(1)]),
  ]);
  // softmax over the inputs, shifted by the maximum as nonlin does
  const shift = g.op("ReduceMax", [score], { axes: [-1], keepdims: 1 });
  const unnormalised = g.op("Exp", [g.op("Sub", [score, shift])]);
  const total = g.op("ReduceSum", [unnormalised, g.int64([-1], "axes")], { keepdims: 1 });
  const attention = g.op("Div", [unnormalised, total]);
  const basisSum = g.op("ReduceSum", [basis, g.int64([-1], "axes")], { keepdims: 0 });
  const attended = g.op("Mul", [attention, basisSum]);
  const normed = g.op("Add", [
    g.op("Mul", [normalizeLastAxis(g, attended, NORM_EPS), c.weight("ln_gain")]),
    c.weight("ln_bias"),
  ]);
  const activated = c.activation("function", normed, [n], "head_act.");
  return withBias(c, g.op("MatMul", [activated, c.weight("w")]));
};

/** Column j of a [groups, terms] coefficient array, as [groups, 1] (broadcast over a group). */
function coefficient(c: LayerContext, name: string, j: number): string {
  const array = c.array(name);
  const [groups, terms] = array.shape as [number, number];
  const values = Array.from({ length: groups }, (_, k) => array.values[k * terms + j]!);
  return c.graph.constant(values, [groups, 1], `l${c.index}.${name}${j}`);
}

/** φ_g(x) = P_g(x)/(1 + |Q_g(x)|) per group of channels (Horner's rule), then ·W + b. */
export const rationalKan: LayerMapping = (c, x) => {
  const g = c.graph;
  const spec = c.spec as unknown as RationalKanSpec;
  const n = c.layer.inputShape[0] as number;
  const xg = g.op("Reshape", [x, g.int64([0, spec.groups, n / spec.groups], "shape")]);
  let p = g.op("Mul", [xg, coefficient(c, "numerator", spec.numerator)]);
  for (let j = spec.numerator - 1; j >= 0; j--) {
    p = g.op("Add", [p, coefficient(c, "numerator", j)]);
    if (j > 0) p = g.op("Mul", [p, xg]);
  }
  let phi = p;
  if (spec.denominator > 0) {
    let q = g.op("Mul", [xg, coefficient(c, "denominator", spec.denominator - 1)]);
    for (let j = spec.denominator - 2; j >= 0; j--)
      q = g.op("Mul", [g.op("Add", [q, coefficient(c, "denominator", j)]), xg]);
    phi = g.op("Div", [p, g.op("Add", [g.op("Abs", [q]), g.scalar(1)])]);
  }
  const flat = g.op("Reshape", [phi, g.int64([0, n], "shape")]);
  return withBias(c, g.op("MatMul", [flat, c.weight("w")]), "b");
};

/**
 * y_j = Σ_i c_ij·⟨Z⟩_ij(x_i) + b_j, ⟨Z⟩ of the single-qubit circuit R_y(θ_L)·R_z(w_L·x + φ_L) ⋯
 * R_y(θ_0)|0⟩ in real arithmetic on the two amplitudes (daruan.ts's order of operations).
 */
export const daruanKan: LayerMapping = (c, x) => {
  const g = c.graph;
  const spec = c.spec as unknown as DaruanKanSpec;
  const n = c.layer.inputShape[0] as number;
  const units = c.layer.outputShape[0] as number;
  const edges = n * units;
  /** Slice l of a [L, n, m] array as an [n, m] initializer, mapped by `f` on the host. */
  const slice = (name: string, l: number, f: (v: number) => number = (v) => v): string => {
    const values = c.array(name).values.subarray(l * edges, (l + 1) * edges);
    return g.constant(Array.from(values, f), [n, units], `l${c.index}.${name}${l}`);
  };
  const halfAngle = (l: number): [string, string] => [
    slice("theta", l, (t) => Math.cos(t * 0.5)),
    slice("theta", l, (t) => Math.sin(t * 0.5)),
  ];
  const mul = (a: string, b: string): string => g.op("Mul", [a, b]);
  const add = (a: string, b: string): string => g.op("Add", [a, b]);
  const sub = (a: string, b: string): string => g.op("Sub", [a, b]);
  const xs = g.op("Reshape", [x, g.int64([0, n, 1], "shape")]);
  let [alphaRe, betaRe] = halfAngle(0);
  let alphaIm: string | undefined;
  let betaIm: string | undefined;
  for (let l = 1; l <= spec.layers; l++) {
    // the data rotation as diag(1, e^{iγ}), γ = w_l·x + φ_l
    const gamma = add(mul(xs, slice("w", l - 1)), slice("phi", l - 1));
    const [cosG, sinG] = [g.op("Cos", [gamma]), g.op("Sin", [gamma])];
    if (betaIm !== undefined)
      [betaRe, betaIm] = [
        sub(mul(betaRe, cosG), mul(betaIm, sinG)),
        add(mul(betaRe, sinG), mul(betaIm, cosG)),
      ];
    else [betaRe, betaIm] = [mul(betaRe, cosG), mul(betaRe, sinG)];
    // the trainable R_y(θ_l): α' = cα − sβ, β' = sα + cβ, on real and imaginary parts alike
    const [cl, sl] = halfAngle(l);
    [alphaRe, betaRe] = [
      sub(mul(alphaRe, cl), mul(betaRe, sl)),
      add(mul(alphaRe, sl), mul(betaRe, cl)),
    ];
    if (alphaIm === undefined)
      [alphaIm, betaIm] = [mul(betaIm, g.op("Neg", [sl])), mul(betaIm, cl)];
    else
      [alphaIm, betaIm] = [
        sub(mul(alphaIm, cl), mul(betaIm, sl)),
        add(mul(alphaIm, sl), mul(betaIm, cl)),
      ];
  }
  const square = (v: string): string => mul(v, v);
  const expectation = sub(
    sub(add(square(alphaRe), square(alphaIm!)), square(betaRe)),
    square(betaIm!),
  );
  const y = g.op("ReduceSum", [mul(expectation, c.weight("c")), g.int64([1], "axes")], {
    keepdims: 0,
  });
  return withBias(c, y, "b");
};

/** S-KAN's features of space `name` for x [B, n]: [B, n·K_s] (selectable.ts's spaces). */
function spaceFeatures(c: LayerContext, x: string, name: string): string {
  const g = c.graph;
  const spec = c.spec as unknown as SelectableKanSpec;
  const n = c.layer.inputShape[0] as number;
  const flat = (features: string, rows: number): string =>
    g.op("Reshape", [features, g.int64([0, n * rows], "shape")]);
  switch (name) {
    case "bspline": {
      const count = spec.grid_size + spec.spline_order;
      return flat(bsplineBasis(c, x, "bspline.knots", spec.spline_order, count), count);
    }
    case "rbf": {
      // the "offset" scaling of rbf-basis.ts: ((x − c)/h)², negated
      const { centres, width } = gaussianCentres(spec.grid_range, spec.rbf_centers);
      const offset = g.op("Sub", [
        column(g, x, n),
        g.constant(centres, [centres.length], `l${c.index}.centres`),
      ]);
      const scaled = g.op("Mul", [offset, g.scalar(1 / width)]);
      return flat(g.op("Exp", [g.op("Neg", [g.op("Mul", [scaled, scaled])])]), centres.length);
    }
    case "fourier": {
      const count = spec.fourier_frequencies;
      const ks = Array.from({ length: count }, (_, k) => k + 1);
      const phase = g.op("Mul", [column(g, x, n), g.constant(ks, [count], `l${c.index}.k`)]);
      const both = g.op("Concat", [g.op("Cos", [phase]), g.op("Sin", [phase])], { axis: 2 });
      return flat(both, 2 * count);
    }
    case "polynomial": {
      const base = x;
      const powers = [base];
      for (let k = 2; k <= spec.polynomial_degree; k++)
        powers.push(g.op("Mul", [powers[k - 2]!, base]));
      return flat(stack(g, powers), spec.polynomial_degree);
    }
    default:
      // a zoo activation, its parameters under "<space>.act.<name>"
      return c.activation(`spaces`, x, [n], `${name}.act.`, name);
  }
}

/**
 * S-KAN: soft, y_j = Σ_s softmax(α_j/τ)_s·(features_s·coef_s)_j; selected, each node takes its
 * one space's output (the spaces' outputs concatenated and gathered back into node order).
 */
export const selectableKan: LayerMapping = (c, x) => {
  const g = c.graph;
  const spec = c.spec as unknown as SelectableKanSpec;
  const units = c.layer.outputShape[0] as number;
  const nodesOf = (name: string): number[] =>
    (spec.selected ?? []).flatMap((chosen, j) => (chosen === name ? [j] : []));
  const active = spec.spaces.filter((name) => !spec.selected || nodesOf(name).length > 0);
  const outputs = active.map((name) =>
    g.op("MatMul", [spaceFeatures(c, x, name), c.weight(`${name}.coef`)]),
  );
  if (spec.selected) {
    const joined = outputs.length === 1 ? outputs[0]! : g.op("Concat", outputs, { axis: 1 });
    const order = active.flatMap(nodesOf);
    if (order.every((node, column) => node === column)) return joined;
    const position = new Array<number>(units);
    order.forEach((node, column) => (position[node] = column));
    return g.op("Gather", [joined, g.int64(position, "indices")], { axis: 1 });
  }
  // softmax(α/τ) over the spaces, per node: weights alone, computed on the host
  const alpha = c.array("alpha");
  const spaces = alpha.shape[1] as number;
  const weights = new Float64Array(alpha.values.length);
  for (let j = 0; j < units; j++) {
    const scores = Array.from(
      { length: spaces },
      (_, s) => alpha.values[j * spaces + s]! / spec.temperature,
    );
    const top = Math.max(...scores);
    const exps = scores.map((v) => Math.exp(v - top));
    const total = exps.reduce((a, b) => a + b, 0);
    exps.forEach((v, s) => (weights[j * spaces + s] = v / total));
  }
  const terms = outputs.map((out, s) => {
    const column = Array.from({ length: units }, (_, j) => weights[j * spaces + s]!);
    return g.op("Mul", [out, g.constant(column, [units], `l${c.index}.weight${s}`)]);
  });
  return terms.reduce((total, term) => g.op("Add", [total, term]));
};
