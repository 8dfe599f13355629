/**
 * An activation's expression tree as ONNX nodes, with the language's safe meaning as nonlin
 * evaluates it (src/expr/compile.ts, op for op): a / b with |b| ≥ ε, log(max(|a|, ε)),
 * sqrt(max(a, ε)), integer powers by repeated squaring, statistics broadcast back to their
 * argument's shape. sinh, cosh, asinh and softplus are written with exp, log and sqrt as jax-js
 * computes them; erf on float64 is src/expr/erf.ts's series and continued fraction (onnxruntime
 * has no double Erf, and nonlin's own float64 erf is that recipe).
 */
import type { Activation, CallOp, Expr, StatAxis, StatOp } from "../../expr/ast.js";
import { dependsOnInput, SAFE_EPSILON } from "../../expr/ast.js";
import { reductionAxes } from "../../expr/compile.js";
import { ERF_FRACTION_DEPTH, ERF_SERIES_LIMIT, ERF_SERIES_TERMS } from "../../expr/erf.js";
import type { OnnxGraph } from "./graph.js";

/** Where an activation sits, for error messages ("layers[2] (dense).activation"). */
export interface ActivationSite {
  graph: OnnxGraph;
  /** Rank of the activation's input, batch axis included. */
  rank: number;
  /** The initializer holding parameter `name` (shaped to broadcast against the input). */
  param(name: string): string;
  where: string;
}

/** Terms of atan's odd series after two half-angle steps (|t| ≤ tan(π/16) ≈ 0.199). */
const ATAN_TERMS = 12;

class ExpressionEmitter {
  private readonly g: OnnxGraph;

  constructor(
    private readonly site: ActivationSite,
    private readonly x: string,
  ) {
    this.g = site.graph;
  }

  emit(expr: Expr): string {
    switch (expr.kind) {
      case "input":
        return this.x;
      case "const":
        return this.g.scalar(expr.value);
      case "param":
        return this.site.param(expr.name);
      case "pow":
        return this.power(this.emit(expr.base), expr.exponent);
      case "stat":
        return this.statistic(expr.op, expr.axis, this.emit(expr.arg));
      case "call":
        return this.call(
          expr.op,
          expr.args.map((arg) => this.emit(arg)),
        );
    }
  }

  private op(type: string, ...inputs: string[]): string {
    return this.g.op(type, inputs);
  }

  /** Repeated squaring in compile.ts's order; a negative exponent takes the safe reciprocal. */
  private power(base: string, exponent: number): string {
    if (exponent < 0) return this.safeDivide(this.g.scalar(1), this.power(base, -exponent));
    if (exponent === 0) return this.g.scalar(1);
    let result: string | undefined;
    let square = base;
    let remaining = exponent;
    while (remaining > 0) {
      if (remaining % 2 === 1) result = result ? this.op("Mul", result, square) : square;
      remaining = Math.floor(remaining / 2);
      if (remaining > 0) square = this.op("Mul", square, square);
    }
    return result as string;
  }

  private safeDenominator(b: string): string {
    const g = this.g;
    return this.op(
      "Where",
      this.op("GreaterOrEqual", b, g.scalar(0)),
      this.op("Max", b, g.scalar(SAFE_EPSILON)),
      this.op("Min", b, g.scalar(-SAFE_EPSILON)),
    );
  }

  private safeDivide(a: string, b: string): string {
    return this.op("Div", a, this.safeDenominator(b));
  }

  private statistic(op: StatOp, axis: StatAxis, a: string): string {
    const axes = reductionAxes(axis, this.site.rank);
    const g = this.g;
    const mean = (v: string): string => g.op("ReduceMean", [v], { axes, keepdims: 1 });
    const variance = (v: string): string => {
      const centred = this.op("Sub", v, mean(v));
      return mean(this.op("Mul", centred, centred));
    };
    const floor = (v: string): string => this.op("Max", v, g.scalar(SAFE_EPSILON));
    const reduced = ((): string => {
      switch (op) {
        case "mean":
          return mean(a);
        case "var":
          return variance(a);
        case "std":
          return this.op("Sqrt", floor(variance(a)));
        case "rms":
          return this.op("Sqrt", floor(mean(this.op("Mul", a, a))));
        case "amax":
          return g.op("ReduceMax", [a], { axes, keepdims: 1 });
      }
    })();
    return this.op("Expand", reduced, this.op("Shape", a));
  }

  private call(op: CallOp, args: string[]): string {
    const [a, b, c] = args as [string, string, string];
    const g = this.g;
    switch (op) {
      case "add":
        return this.op("Add", a, b);
      case "mul":
        return this.op("Mul", a, b);
      case "div":
        return this.safeDivide(a, b);
      case "neg":
        return this.op("Neg", a);
      case "max":
        return this.op("Max", a, b);
      case "min":
        return this.op("Min", a, b);
      case "where":
        return this.op("Where", this.op("Greater", a, g.scalar(0)), b, c);
      case "surrogate":
        // ONNX: the value of a (b only steers the gradient, which an ONNX model has no use for);
        // JAX: compile.ts's b + stopgrad(a − b), whose gradient is b's
        return g.target === "jax"
          ? this.op("Add", b, this.op("StopGradient", this.op("Sub", a, b)))
          : a;
      case "stopgrad":
        return g.target === "jax" ? this.op("StopGradient", a) : a;
      case "abs":
        return this.op("Abs", a);
      case "exp":
        return this.op("Exp", a);
      case "log":
        return this.op("Log", this.op("Max", this.op("Abs", a), g.scalar(SAFE_EPSILON)));
      case "sqrt":
        return this.op("Sqrt", this.op("Max", a, g.scalar(SAFE_EPSILON)));
      case "sin":
        return this.op("Sin", a);
      case "cos":
        return this.op("Cos", a);
      case "tanh":
        return this.op("Tanh", a);
      case "sinh":
      case "cosh": {
        const e = this.op("Exp", a);
        const half = this.op(op === "sinh" ? "Sub" : "Add", e, this.op("Reciprocal", e));
        return this.op("Mul", half, g.scalar(0.5));
      }
      case "asinh": {
        const root = this.op("Sqrt", this.op("Add", this.op("Mul", a, a), g.scalar(1)));
        return this.op("Log", this.op("Add", a, root));
      }
      case "atan":
        // onnxruntime has no double Atan kernel: float64 ONNX graphs build it (JAX has one)
        return g.dtype === "float64" && g.target === "onnx" ? this.atan64(a) : this.op("Atan", a);
      case "sigmoid":
        return this.op("Sigmoid", a);
      case "erf":
        return g.dtype === "float64" ? this.erf64(a) : this.op("Erf", a);
      case "softplus": {
        // max(a, 0) + log(1 + e^{−|a|}): ONNX has no log1p; the sum's rounding is within 1 ulp
        const tail = this.op("Exp", this.op("Neg", this.op("Abs", a)));
        return this.op(
          "Add",
          this.op("Max", a, g.scalar(0)),
          this.op("Log", this.op("Add", tail, g.scalar(1))),
        );
      }
      case "relu":
        return this.op("Max", a, g.scalar(0));
      case "step":
        return g.toFloat(this.op("Greater", a, g.scalar(0)));
      case "sign":
        return this.op("Sign", a);
      case "gaussian":
        return this.op("Exp", this.op("Neg", this.op("Mul", a, a)));
      case "sinc":
        return this.sinc(a);
    }
  }

  /** sin(a)/a, with its Taylor form near 0 (compile.ts's sinc). */
  private sinc(a: string): string {
    const g = this.g;
    const small = this.op("Less", this.op("Abs", a), g.scalar(1e-4));
    const safe = this.op("Where", small, g.scalar(1), a);
    const ratio = this.op("Div", this.op("Sin", safe), safe);
    const taylor = this.op("Sub", g.scalar(1), this.op("Div", this.op("Mul", a, a), g.scalar(6)));
    return this.op("Where", small, taylor, ratio);
  }

  /**
   * atan in float64 from elementary operations: |a| > 1 by atan(a) = π/2 − atan(1/a); two
   * half-angle steps t ← t/(1 + √(1 + t²)) bring t into [0, tan(π/16)], where 12 terms of the
   * odd series leave less than 1e-19; then 4·atan(t), the sign of a. Correct to a few ulps.
   */
  private atan64(a: string): string {
    const g = this.g;
    const magnitude = this.op("Abs", a);
    const outside = this.op("Greater", magnitude, g.scalar(1));
    // 1/|a| where |a| > 1 (the other branch's divisor is 1: no division by zero anywhere)
    let t = this.op(
      "Where",
      outside,
      this.op("Reciprocal", this.op("Where", outside, magnitude, g.scalar(1))),
      magnitude,
    );
    for (let halving = 0; halving < 2; halving++) {
      const root = this.op("Sqrt", this.op("Add", this.op("Mul", t, t), g.scalar(1)));
      t = this.op("Div", t, this.op("Add", root, g.scalar(1)));
    }
    const square = this.op("Mul", t, t);
    let series = g.scalar(((ATAN_TERMS - 1) % 2 === 0 ? 1 : -1) / (2 * ATAN_TERMS - 1));
    for (let k = ATAN_TERMS - 2; k >= 0; k--)
      series = this.op(
        "Add",
        this.op("Mul", series, square),
        g.scalar((k % 2 === 0 ? 1 : -1) / (2 * k + 1)),
      );
    const inner = this.op("Mul", this.op("Mul", t, series), g.scalar(4));
    const folded = this.op("Where", outside, this.op("Sub", g.scalar(Math.PI / 2), inner), inner);
    return this.op("Mul", this.op("Sign", a), folded);
  }

  /** erf from elementary operations, compile.ts's erf64 (src/expr/erf.ts). */
  private erf64(a: string): string {
    const g = this.g;
    const magnitude = this.op("Abs", a);
    const inSeries = this.op("Less", magnitude, g.scalar(ERF_SERIES_LIMIT));
    const s = this.op("Min", magnitude, g.scalar(ERF_SERIES_LIMIT));
    const square = (v: string): string => this.op("Mul", v, v);
    const twiceSquare = this.op("Mul", square(s), g.scalar(2));
    let sum = g.scalar(1);
    for (let n = ERF_SERIES_TERMS; n >= 0; n--)
      sum = this.op(
        "Add",
        this.op("Div", this.op("Mul", twiceSquare, sum), g.scalar(2 * n + 3)),
        g.scalar(1),
      );
    const gaussian = (v: string): string => this.op("Exp", this.op("Neg", square(v)));
    const series = this.op(
      "Mul",
      this.op("Mul", this.op("Mul", gaussian(s), s), sum),
      g.scalar(2 / Math.sqrt(Math.PI)),
    );
    const t = this.op("Max", magnitude, g.scalar(ERF_SERIES_LIMIT));
    let tail = t;
    for (let k = ERF_FRACTION_DEPTH; k >= 1; k--)
      tail = this.op("Add", t, this.op("Mul", this.op("Reciprocal", tail), g.scalar(k / 2)));
    const fraction = this.op(
      "Sub",
      g.scalar(1),
      this.op("Div", this.op("Div", gaussian(t), tail), g.scalar(Math.sqrt(Math.PI))),
    );
    return this.op("Mul", this.op("Sign", a), this.op("Where", inSeries, series, fraction));
  }
}

/** The activation applied to `x` (rank `site.rank`); the result has x's shape. */
export function emitActivation(site: ActivationSite, activation: Activation, x: string): string {
  if (activation.expr.kind === "input") return x;
  const result = new ExpressionEmitter(site, x).emit(activation.expr);
  // a tree without x (a constant or a parameter) is broadcast to x's shape, as nonlin does
  if (dependsOnInput(activation.expr)) return result;
  return site.graph.op("Expand", [result, site.graph.op("Shape", [x])]);
}
