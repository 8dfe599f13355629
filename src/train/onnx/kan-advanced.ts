/**
 * ONNX forms of two more KAN layers on flat inputs: GR-KAN's group rationals (src/nn/kan/
 * rational.ts) and QKAN's DARUAN edges (src/nn/kan/daruan.ts), op for op as nonlin computes them;
 * what depends on the weights alone (DARUAN's half-angle cosines and sines) is folded on the host.
 */
import type { DaruanKanSpec } from "../../nn/kan/daruan.js";
import type { RationalKanSpec } from "../../nn/kan/rational.js";
import type { LayerContext, LayerMapping } from "./layer-context.js";

const withBias = (c: LayerContext, y: string): string =>
  c.has("b") ? c.graph.op("Add", [y, c.weight("b")]) : y;

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
  return withBias(c, g.op("MatMul", [flat, c.weight("w")]));
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
  return withBias(c, y);
};
