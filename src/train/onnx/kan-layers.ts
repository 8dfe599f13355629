/**
 * ONNX forms of the KAN layers on flat inputs (src/nn/kan/): B-spline (Cox–de Boor with
 * comparisons, as bspline-basis.ts computes it), Chebyshev, Fourier, FastKAN (Gaussian RBFs) and
 * ReLU-KAN. Each is a basis [batch, n, K] flattened to [batch, n·K] and one MatMul with the
 * coefficients [n·K, m], as nonlin computes it (basis-common.ts's basisMatmul).
 *
 * What depends on the weights alone is folded on the host: the B-spline knot differences and
 * their safe reciprocals (rounded as the model's dtype rounds them), coef·scale_sp·mask and
 * scale_base·mask.
 */
import type { KanSpec } from "../../nn/kan/bspline.js";
import type { ChebyshevKanSpec } from "../../nn/kan/chebyshev.js";
import { LAYER_NORM_EPS } from "../../nn/kan/fastkan.js";
import type { FastKanSpec } from "../../nn/kan/fastkan.js";
import type { FastKanLayer } from "../../nn/kan/fastkan.js";
import type { FourierKanSpec } from "../../nn/kan/fourier.js";
import { gaussianCentres } from "../../nn/kan/rbf-basis.js";
import { reluKanPhases } from "../../nn/kan/relu-kan.js";
import type { ReluKanSpec } from "../../nn/kan/relu-kan.js";
import { parseEdgeFunction, SYMBOLIC_AFFINE } from "../../nn/kan/symbolic-edges.js";
import { emitActivation } from "./expression.js";
import type { OnnxGraph } from "./graph.js";
import { OnnxExportError } from "./graph.js";
import type { LayerContext, LayerMapping } from "./layer-context.js";

/** x [B, n] as [B, n, 1]. */
export const column = (g: OnnxGraph, x: string, n: number): string =>
  g.op("Reshape", [x, g.int64([0, n, 1], "shape")]);

/** Σ_i Σ_k basis[b, i, k]·weight[i, k, j]: basis [B, n, K] flattened, one MatMul. */
export function basisMatmul(c: LayerContext, basis: string, weight: string, width: number): string {
  const g = c.graph;
  return g.op("MatMul", [g.op("Reshape", [basis, g.int64([0, width], "shape")]), weight]);
}

/** Terms [B, n] each, stacked on a new last axis: [B, n, terms]. */
export function stack(g: OnnxGraph, terms: string[]): string {
  const axis = g.int64([2], "axes");
  return g.op(
    "Concat",
    terms.map((t) => g.op("Unsqueeze", [t, axis])),
    { axis: 2 },
  );
}

export const withBias = (c: LayerContext, y: string, name = "bias"): string =>
  c.has(name) ? c.graph.op("Add", [y, c.weight(name)]) : y;

/** Slices [from, to) of axis 2 of a [B, n, L] value. */
const sliceLast = (g: OnnxGraph, v: string, from: number, to: number): string =>
  g.op("Slice", [v, g.int64([from], "starts"), g.int64([to], "ends"), g.int64([2], "axes")]);

/**
 * The B-spline basis [B, n, M − 1 − order] of x [B, n] on the layer's knots `knotsName` [n, M]:
 * Cox–de Boor on comparisons (half-open intervals; a repeated knot's 0/0 term is 0), its value
 * only (an exported model takes no gradient). Knot slices and the safe reciprocals of their
 * differences are constants, rounded as the model's dtype rounds them.
 */
export function bsplineBasis(
  c: LayerContext,
  x: string,
  knotsName: string,
  order: number,
  count: number,
): string {
  const g = c.graph;
  const round = c.dtype === "float32" ? Math.fround : (v: number) => v;
  const knots = c.array(knotsName);
  const [n, m] = knots.shape as [number, number];
  if (knots.shape.length !== 2 || n !== c.layer.inputShape[0] || m !== count + order + 1)
    throw new OnnxExportError(
      `${c.where}: array '${knotsName}' has shape [${knots.shape.join(", ")}], expected ` +
        `[${c.layer.inputShape[0]}, ${count + order + 1}]`,
    );
  /** Knot columns [from, from + length) of every input, as an [n, length] matrix. */
  const knotColumns = (from: number, length: number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < n; i++)
      for (let k = 0; k < length; k++) out.push(round(knots.values[i * m + from + k]!));
    return out;
  };
  const knotConstant = (from: number, length: number): string =>
    g.constant(knotColumns(from, length), [n, length], `l${c.index}.t${from}`);
  /** 1/(t[a + k] − t[b + k]) where the difference is not 0, else 0, in the model's rounding. */
  const safeReciprocal = (a: number, b: number, length: number): string => {
    const upper = knotColumns(a, length);
    const lower = knotColumns(b, length);
    const values = upper.map((u, k) => {
      const d = round(u - (lower[k] as number));
      return d === 0 ? 0 : round(1 / d);
    });
    return g.constant(values, [n, length], `l${c.index}.inv`);
  };
  const xs = column(g, x, n);
  let basis = g.op("Mul", [
    g.toFloat(g.op("GreaterOrEqual", [xs, knotConstant(0, m - 1)])),
    g.toFloat(g.op("Less", [xs, knotConstant(1, m - 1)])),
  ]);
  for (let p = 1; p <= order; p++) {
    const length = m - 1 - p;
    const left = g.op("Mul", [
      g.op("Mul", [g.op("Sub", [xs, knotConstant(0, length)]), safeReciprocal(p, 0, length)]),
      sliceLast(g, basis, 0, length),
    ]);
    const right = g.op("Mul", [
      g.op("Mul", [
        g.op("Sub", [knotConstant(p + 1, length), xs]),
        safeReciprocal(p + 1, 1, length),
      ]),
      sliceLast(g, basis, 1, length + 1),
    ]);
    basis = g.op("Add", [left, right]);
  }
  return basis;
}

/** φ_ij(x) = mask_ij·(scale_base_ij·b(x) + scale_sp_ij·Σ_c coef_ijc·B_c(x)), y_j = Σ_i φ_ij(x_i). */
export const bsplineKan: LayerMapping = (c, x) => {
  const g = c.graph;
  const spec = c.spec as unknown as KanSpec;
  const round = c.dtype === "float32" ? Math.fround : (v: number) => v;
  const n = c.layer.inputShape[0] as number;
  const units = spec.units;
  const count = spec.grid_size + spec.order;
  const basis = bsplineBasis(c, x, "knots", spec.order, count);
  const mask = c.array("mask").values;
  const scaleSp = c.array("scale_sp").values;
  const scaleBase = c.array("scale_base").values;
  const coef = c.array("coef").values;
  const effective = Float64Array.from(coef, (value, index) => {
    const i = Math.floor(index / (count * units));
    const edge = i * units + (index % units);
    return value * round(scaleSp[edge]! * mask[edge]!);
  });
  const spline = basisMatmul(
    c,
    basis,
    g.constant(effective, [n * count, units], `l${c.index}.coef`),
    n * count,
  );
  const maskedBase = scaleBase.map((s, edge) => s * mask[edge]!);
  const base = g.op("MatMul", [
    c.activation("base", x, c.layer.inputShape),
    g.constant(maskedBase, [n, units], `l${c.index}.scale_base`),
  ]);
  const sum = g.op("Add", [spline, base]);
  return spec.symbolic?.length ? g.op("Add", [sum, fixedEdges(c, x, spec)]) : sum;
};

/**
 * The fixed (symbolic) edges' outputs [B, m], symbolic-edges.ts's `outputs`: edge k (i→j) adds
 * c·f(a·x_i + b) + d to unit j, in the listed order; a unit without fixed edges gets zeros. Their
 * spline branch is masked already. (a, b, c, d) are row k of `symbolic_affine`, one array each.
 */
function fixedEdges(c: LayerContext, x: string, spec: KanSpec): string {
  const g = c.graph;
  const affine = c.array(SYMBOLIC_AFFINE).values;
  const columns: (string | undefined)[] = Array.from({ length: spec.units }, () => undefined);
  spec.symbolic!.forEach((edge, k) => {
    const at = (slot: number, name: string): string =>
      g.constant([affine[4 * k + slot]!], [1], `l${c.index}.symbolic${k}.${name}`);
    const input = g.op("Slice", [
      x,
      g.int64([edge.input], "starts"),
      g.int64([edge.input + 1], "ends"),
      g.int64([1], "axes"),
    ]);
    const u = g.op("Add", [g.op("Mul", [input, at(0, "a")]), at(1, "b")]);
    const f = emitActivation(
      {
        graph: g,
        rank: 2,
        where: `${c.where}.symbolic[${k}]`,
        param: (name) => {
          throw new OnnxExportError(
            `${c.where}.symbolic[${k}]: an edge has no parameter '${name}'`,
          );
        },
      },
      { expr: parseEdgeFunction(edge.expr, `${c.where}.symbolic[${k}].expr`), params: {} },
      u,
    );
    const value = g.op("Add", [g.op("Mul", [f, at(2, "c")]), at(3, "d")]);
    const previous = columns[edge.unit];
    columns[edge.unit] = previous ? g.op("Add", [previous, value]) : value;
  });
  let zeros: string | undefined;
  const zerosColumn = (): string =>
    (zeros ??= g.op("Expand", [
      g.scalar(0),
      g.op("Shape", [
        g.op("Slice", [x, g.int64([0], "starts"), g.int64([1], "ends"), g.int64([1], "axes")]),
      ]),
    ]));
  return g.op(
    "Concat",
    columns.map((column) => column ?? zerosColumn()),
    { axis: 1 },
  );
}

/** Σ c_{i,d,j}·T_d(tanh x_i) [+ b_j], T_{d+1} = 2t·T_d − T_{d−1}. */
export const chebyshevKan: LayerMapping = (c, x) => {
  const g = c.graph;
  const { degree } = c.spec as unknown as ChebyshevKanSpec;
  const n = c.layer.inputShape[0] as number;
  const t = g.op("Tanh", [x]);
  const terms = [g.op("Expand", [g.scalar(1), g.op("Shape", [t])]), t];
  const twoT = g.op("Mul", [t, g.scalar(2)]);
  for (let d = 2; d <= degree; d++)
    terms.push(g.op("Sub", [g.op("Mul", [twoT, terms[d - 1]!]), terms[d - 2]!]));
  const width = n * (degree + 1);
  const coeffs = c.weight("coeffs", [width, c.layer.outputShape[0] as number]);
  return withBias(c, basisMatmul(c, stack(g, terms.slice(0, degree + 1)), coeffs, width));
};

/** Σ a_{i,k,j}·cos(k·x_i) + b_{i,k,j}·sin(k·x_i) + bias_j, k = 1..F. */
export const fourierKan: LayerMapping = (c, x) => {
  const g = c.graph;
  const { frequencies } = c.spec as unknown as FourierKanSpec;
  const n = c.layer.inputShape[0] as number;
  const units = c.layer.outputShape[0] as number;
  const ks = g.constant(
    Array.from({ length: frequencies }, (_, k) => k + 1),
    [frequencies],
    `l${c.index}.k`,
  );
  const phase = g.op("Mul", [column(g, x, n), ks]);
  const width = n * frequencies;
  const part = (fn: string, name: string): string =>
    basisMatmul(c, g.op(fn, [phase]), c.weight(name, [width, units]), width);
  return withBias(c, g.op("Add", [part("Cos", "cos_coeffs"), part("Sin", "sin_coeffs")]));
};

/** (v − mean)/√(var + ε) over the last axis (biased variance), basis-common.ts's order. */
export function normalizeLastAxis(g: OnnxGraph, v: string, epsilon: number): string {
  const mean = (a: string): string => g.op("ReduceMean", [a], { axes: [-1], keepdims: 1 });
  const centred = g.op("Sub", [v, mean(v)]);
  const variance = mean(g.op("Mul", [centred, centred]));
  const scale = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [variance, g.scalar(epsilon)])])]);
  return g.op("Mul", [centred, scale]);
}

/** FastKAN: exp(−(LN(x)_i − c_g)²/h²)·w + SiLU(x)·base_w + bias. */
export const fastKan: LayerMapping = (c, x) => {
  const g = c.graph;
  const spec = c.spec as unknown as FastKanSpec;
  const layer = c.layer as FastKanLayer;
  const n = c.layer.inputShape[0] as number;
  const units = c.layer.outputShape[0] as number;
  const { centres, width } = gaussianCentres(spec.grid_range, spec.grid_size);
  let normed = x;
  if (layer.layerNorm)
    normed = g.op("Add", [
      g.op("Mul", [normalizeLastAxis(g, x, LAYER_NORM_EPS), c.weight("ln_gain")]),
      c.weight("ln_bias"),
    ]);
  const offset = g.op("Sub", [
    column(g, normed, n),
    g.constant(centres, [centres.length], `l${c.index}.centres`),
  ]);
  const basis = g.op("Exp", [
    g.op("Mul", [g.op("Mul", [offset, offset]), g.scalar(-1 / (width * width))]),
  ]);
  const span = n * spec.grid_size;
  let y = basisMatmul(c, basis, c.weight("spline_w", [span, units]), span);
  if (c.has("base_w")) {
    const silu = g.op("Mul", [x, g.op("Sigmoid", [x])]);
    y = g.op("Add", [y, g.op("MatMul", [silu, c.weight("base_w")])]);
  }
  return withBias(c, y);
};

/** ReLU-KAN: R_c(x) = [ReLU(e_c − x)·ReLU(x − s_c)·4/((k+1)h)²]², then the weights. */
export const reluKan: LayerMapping = (c, x) => {
  const g = c.graph;
  const spec = c.spec as unknown as ReluKanSpec;
  const n = c.layer.inputShape[0] as number;
  const units = c.layer.outputShape[0] as number;
  const phases = reluKanPhases(spec.grid_size, spec.order, spec.grid_range);
  const count = phases.starts.length;
  const span = (spec.order + 1) * phases.step;
  const xs = column(g, x, n);
  const rising = g.op("Relu", [g.op("Sub", [xs, c.weightOr("starts", phases.starts)])]);
  const falling = g.op("Relu", [g.op("Sub", [c.weightOr("ends", phases.ends), xs])]);
  const product = g.op("Mul", [g.op("Mul", [rising, falling]), g.scalar(4 / (span * span))]);
  const basis = g.op("Mul", [product, product]);
  const width = n * count;
  return withBias(c, basisMatmul(c, basis, c.weight("w", [width, units]), width));
};
