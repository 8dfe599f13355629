/**
 * A KAN whose every active edge is fixed (symbolic-edges.ts) read out as one expression per
 * output over named variables (pykan's symbolic_formula): each node is the sum of its incoming
 * edges c·f(a·h + b) + d, composed through the layers.
 *
 * Sums are kept as linear forms Σ w_k·g_k + e while composing, so constants that only trade
 * against each other are merged as they meet (what sympy's expand does for pykan): an identity
 * edge distributes over its input's sum, c·exp(L + e) becomes (c·eᵉ)·exp(L), and a power of a
 * one-term sum (w·g + e)ⁿ becomes wⁿ·(g + e/w)ⁿ, and sin/cos arguments lose whole periods (2π). The result is in the language's canonical form
 * (simplify.ts).
 */
import type { Expr } from "../../expr/ast.js";
import { call, exprEquals, num, param, pow } from "../../expr/ast.js";
import { simplify } from "../../expr/simplify.js";
import { takeValues } from "../../engine/ownership.js";
import type { LayerState } from "../layer.js";
import type { Model, ModelState } from "../model.js";
import { KanLayer } from "./bspline.js";
import { SYMBOLIC_AFFINE } from "./symbolic-edges.js";

interface Term {
  readonly coef: number;
  readonly expr: Expr;
}
/** Σ coef·expr + constant. */
interface Linear {
  readonly terms: readonly Term[];
  readonly constant: number;
}

/** f with its input x replaced by `value`. */
export function substituteInput(f: Expr, value: Expr): Expr {
  switch (f.kind) {
    case "input":
      return value;
    case "call":
      return call(f.op, ...f.args.map((arg) => substituteInput(arg, value)));
    case "pow":
      return pow(substituteInput(f.base, value), f.exponent);
    case "stat":
      return { ...f, arg: substituteInput(f.arg, value) };
    default:
      return f;
  }
}

function addLinear(p: Linear, q: Linear): Linear {
  const terms = [...p.terms];
  for (const term of q.terms) {
    const same = terms.findIndex((t) => exprEquals(t.expr, term.expr));
    if (same < 0) terms.push(term);
    else terms[same] = { coef: terms[same]!.coef + term.coef, expr: term.expr };
  }
  return { terms: terms.filter((t) => t.coef !== 0), constant: p.constant + q.constant };
}

const scaleLinear = (l: Linear, a: number, b: number): Linear => ({
  terms: l.terms.map((t) => ({ coef: a * t.coef, expr: t.expr })).filter((t) => t.coef !== 0),
  constant: a * l.constant + b,
});

/** Σ w·g + e as an expression (1·g and + 0 left out). */
export function linearExpr(l: Linear): Expr {
  const parts: Expr[] = l.terms.map((t) =>
    t.coef === 1 ? t.expr : call("mul", num(t.coef), t.expr),
  );
  if (l.constant !== 0 || parts.length === 0) parts.push(num(l.constant));
  return parts.reduce((sum, part) => call("add", sum, part));
}

const isCallOfInput = (f: Expr, op: string): boolean =>
  f.kind === "call" && f.op === op && f.args[0]?.kind === "input";
const isExp = (f: Expr): boolean => isCallOfInput(f, "exp");
/** sin and cos: a shift by a whole period changes nothing. */
const isPeriodic = (f: Expr): boolean => isCallOfInput(f, "sin") || isCallOfInput(f, "cos");
const isPowerOfInput = (f: Expr): f is Extract<Expr, { kind: "pow" }> =>
  f.kind === "pow" && f.base.kind === "input";

/** c·f(a·h + b) + d for h the linear form `input`. */
function applyEdge(f: Expr, affine: readonly number[], input: Linear): Linear {
  const [a, b, c, d] = affine as [number, number, number, number];
  const shifted = scaleLinear(input, a, b);
  const period = 2 * Math.PI;
  const arg = isPeriodic(f)
    ? { ...shifted, constant: shifted.constant - period * Math.round(shifted.constant / period) }
    : shifted;
  if (f.kind === "input") return scaleLinear(arg, c, d);
  if (c === 0 || (f.kind === "const" && f.value === 0)) return { terms: [], constant: d };
  if (f.kind === "const") return { terms: [], constant: c * f.value + d };
  if (isExp(f) && arg.terms.length > 0)
    return {
      terms: [
        {
          coef: c * Math.exp(arg.constant),
          expr: call("exp", linearExpr({ ...arg, constant: 0 })),
        },
      ],
      constant: d,
    };
  if (isPowerOfInput(f) && arg.terms.length === 1) {
    const [{ coef: w, expr: g }] = arg.terms as [Term];
    const inner = linearExpr({ terms: [{ coef: 1, expr: g }], constant: arg.constant / w });
    return { terms: [{ coef: c * w ** f.exponent, expr: pow(inner, f.exponent) }], constant: d };
  }
  return { terms: [{ coef: c, expr: substituteInput(f, linearExpr(arg)) }], constant: d };
}

/** Why the model has no formula (an active edge that is still a spline), or undefined. */
export function formulaUnavailable(model: Model, state: ModelState): string | undefined {
  for (const [l, layer] of model.layers.entries()) {
    if (!(layer instanceof KanLayer)) return `layers[${l}] is not a B-spline kan layer`;
    const mask = takeValues(layer.array(state[l] as LayerState, "mask"));
    for (let i = 0; i < layer.inputs; i++)
      for (let j = 0; j < layer.units; j++)
        if (mask[i * layer.units + j] !== 0 && !layer.symbolic.has(i, j))
          return `layers[${l}] edge ${i}→${j} is still a spline (fix it with a symbolic phase)`;
  }
  return undefined;
}

/** Model input i as coef·name + constant (a normalised feature: (x − shift)/scale). */
export interface FormulaInput {
  readonly name: string;
  readonly coef?: number;
  readonly constant?: number;
}

/**
 * One expression per output of a KAN whose active edges are all fixed, over its inputs (names,
 * or affine forms of names; state borrowed). Masked (pruned) edges add nothing.
 */
export function kanFormula(
  model: Model,
  state: ModelState,
  inputs: readonly (string | FormulaInput)[],
): Expr[] {
  const why = formulaUnavailable(model, state);
  if (why) throw new Error(`no formula: ${why}`);
  let nodes: Linear[] = inputs.map((input) => {
    const { name, coef = 1, constant = 0 } = typeof input === "string" ? { name: input } : input;
    return { terms: [{ coef, expr: param(name) }], constant };
  });
  model.layers.forEach((layer, l) => {
    const kan = layer as KanLayer;
    const s = state[l] as LayerState;
    const affine = kan.symbolic.count > 0 ? takeValues(kan.array(s, SYMBOLIC_AFFINE)) : undefined;
    const next: Linear[] = Array.from({ length: kan.units }, () => ({ terms: [], constant: 0 }));
    kan.symbolic.edges.forEach((edge, k) => {
      const row = Array.from(affine!.subarray(4 * k, 4 * k + 4));
      next[edge.unit] = addLinear(
        next[edge.unit]!,
        applyEdge(kan.symbolic.exprs[k]!, row, nodes[edge.input]!),
      );
    });
    nodes = next;
  });
  return nodes.map((node) => simplify(linearExpr(node)));
}
