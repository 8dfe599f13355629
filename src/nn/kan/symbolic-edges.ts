/**
 * Fixed (symbolic) edges of a B-spline KAN layer, pykan's Symbolic_KANLayer (Liu et al. 2024):
 * edge i→j computes c·f(a·x_i + b) + d with f an expression of x in nonlin's language, in place
 * of its spline. pykan keeps both branches with two masks; here a fixed edge's spline branch is
 * masked (mask_ij = 0, so its coefficients stop mattering) and the edge is listed in the spec's
 * `symbolic` list; its constants are row k of the trainable param `symbolic_affine` [k, 4] =
 * (a, b, c, d), so later L-BFGS or gradient phases fine-tune them and nothing else of the edge.
 */
import { numpy as np } from "@jax-js/jax";
import { z } from "zod";
import type { FloatDType } from "../../engine/dtype.js";
import type { Expr } from "../../expr/ast.js";
import { dependsOnInput, isPointwise, paramNamesOf } from "../../expr/ast.js";
import type { ActivationFn } from "../../expr/compile.js";
import { buildActivationFn } from "../../expr/compile.js";
import { ColumnEvaluator, compileProgram } from "../../expr/evaluate.js";
import { ExprSyntaxError } from "../../expr/errors.js";
import { parseExpr } from "../../expr/parse.js";
import { opCount } from "../activation.js";
import type { LayerState } from "../layer.js";
import { LayerSpecError } from "../layer.js";

export const symbolicEdgeSchema = z
  .object({
    /** The edge's input node i and output node j. */
    input: z.number().int().min(0),
    unit: z.number().int().min(0),
    /** f, an expression of x (no parameters). */
    expr: z.string().min(1),
    /** The library name it was chosen as, for display (e.g. "sin"). */
    name: z.string().optional(),
  })
  .strict();
export type SymbolicEdgeSpec = z.infer<typeof symbolicEdgeSchema>;

/** The name of the param holding every fixed edge's (a, b, c, d). */
export const SYMBOLIC_AFFINE = "symbolic_affine";

/** f of a fixed edge, checked: pointwise, of x alone. Errors name the field. */
export function parseEdgeFunction(source: string, field: string): Expr {
  let expr: Expr;
  try {
    expr = parseExpr(source);
  } catch (error) {
    if (error instanceof ExprSyntaxError) throw new LayerSpecError(`${field}: ${error.message}`);
    throw error;
  }
  if (!isPointwise(expr)) throw new LayerSpecError(`${field}: '${source}' must be pointwise`);
  const names = paramNamesOf(expr);
  if (names.length > 0)
    throw new LayerSpecError(
      `${field}: '${source}' has parameters (${names.join(", ")}); an edge function is of x alone`,
    );
  return expr;
}

export class SymbolicEdges {
  readonly edges: readonly SymbolicEdgeSpec[];
  readonly exprs: readonly Expr[];
  private readonly fns: readonly ActivationFn[];

  constructor(
    specs: readonly SymbolicEdgeSpec[] | undefined,
    readonly inputs: number,
    readonly units: number,
    dtype: FloatDType,
  ) {
    this.edges = specs ?? [];
    const seen = new Set<string>();
    this.exprs = this.edges.map((edge, k) => {
      const field = `symbolic[${k}]`;
      if (edge.input >= inputs)
        throw new LayerSpecError(
          `${field}.input: ${edge.input} is not an input of this layer (it has ${inputs})`,
        );
      if (edge.unit >= units)
        throw new LayerSpecError(
          `${field}.unit: ${edge.unit} is not a unit of this layer (it has ${units})`,
        );
      const key = `${edge.input},${edge.unit}`;
      if (seen.has(key))
        throw new LayerSpecError(`${field}: edge ${edge.input}→${edge.unit} is listed twice`);
      seen.add(key);
      return parseEdgeFunction(edge.expr, `${field}.expr`);
    });
    this.fns = this.exprs.map((expr) => buildActivationFn({ expr, params: {} }, dtype));
  }

  /** Per sample: a·x + b (2), f, c·f + d (2) and the add into the unit (1), per fixed edge. */
  forwardFlops(): number {
    return this.exprs.reduce((sum, expr) => sum + 5 + opCount({ expr, params: {} }), 0);
  }

  get count(): number {
    return this.edges.length;
  }

  /** Whether edge i→j is fixed. */
  has(input: number, unit: number): boolean {
    return this.edges.some((edge) => edge.input === input && edge.unit === unit);
  }

  /**
   * The fixed edges' outputs summed per unit, [batch, m], over the edges from `input` (all
   * inputs when unset); undefined when there are none. Borrows state and x.
   */
  outputs(state: LayerState, x: np.Array, input?: number): np.Array | undefined {
    const chosen = this.edges
      .map((edge, k) => ({ edge, k }))
      .filter(({ edge }) => input === undefined || edge.input === input);
    if (chosen.length === 0) return undefined;
    const affine = state.params[SYMBOLIC_AFFINE] ?? state.buffers[SYMBOLIC_AFFINE];
    if (!affine) throw new Error(`kan layer: missing array '${SYMBOLIC_AFFINE}'`);
    const batch = x.shape[0] as number;
    const columns: (np.Array | undefined)[] = Array.from({ length: this.units }, () => undefined);
    for (const { edge, k } of chosen) {
      const at = (c: number): np.Array => affine.ref.slice([k, k + 1], [c, c + 1]);
      const u = x.ref
        .slice([], [edge.input, edge.input + 1])
        .mul(at(0))
        .add(at(1));
      const fn = this.fns[k] as ActivationFn;
      // a constant f (the library's "0") still gives a [batch, 1] column
      const f = dependsOnInput(this.exprs[k] as Expr) ? fn(u, {}) : fn(u.ref, {}).add(u.mul(0));
      const value = f.mul(at(2)).add(at(3));
      const previous = columns[edge.unit];
      columns[edge.unit] = previous ? previous.add(value) : value;
    }
    return np.concatenate(
      columns.map((column) => column ?? np.zeros([batch, 1], { dtype: x.dtype })),
      1,
    );
  }

  /**
   * The same outputs in plain float64 (the one plain evaluator, Math.* functions) added into
   * `out` [rows, m], on h [rows, n] and the (a, b, c, d) rows `affine` [k·4].
   */
  /** Fixed edge k's values c·f(a·x + b) + d at the points xs, in plain float64 (for drawing). */
  plainEdgeValues(k: number, xs: Float64Array, affine: Float64Array): Float64Array {
    const [a, b, c, d] = Array.from(affine.subarray(4 * k, 4 * k + 4)) as [
      number,
      number,
      number,
      number,
    ];
    const column = xs.map((x) => a * x + b);
    const f = new ColumnEvaluator([column]).run(
      compileProgram(this.exprs[k] as Expr, { input: 0 }),
    );
    return Float64Array.from(f, (value) => c * value + d);
  }

  addPlainOutputs(h: Float64Array, affine: Float64Array, out: Float64Array): void {
    const { inputs: n, units: m } = this;
    const rows = h.length / n;
    const column = new Float64Array(rows);
    const evaluator = new ColumnEvaluator([column]);
    this.edges.forEach((edge, k) => {
      const [a, b, c, d] = Array.from(affine.subarray(4 * k, 4 * k + 4)) as [
        number,
        number,
        number,
        number,
      ];
      for (let r = 0; r < rows; r++) column[r] = a * (h[r * n + edge.input] as number) + b;
      const f = evaluator.run(compileProgram(this.exprs[k] as Expr, { input: 0 }));
      for (let r = 0; r < rows; r++) out[r * m + edge.unit]! += c * (f[r] as number) + d;
    });
  }
}
