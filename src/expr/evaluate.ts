/**
 * The one plain float64 evaluator of expressions. A tree is compiled once into a postfix program,
 * and each instruction computes a whole column (Float64Array) with a plain loop; nothing is
 * generated as code (no eval / new Function). Values follow the language's safe scalar meaning
 * (src/expr/scalar.ts): log(max(|a|, ε)), sqrt(max(a, ε)), a / b with |b| ≥ ε, ε = 1e-7.
 *
 * Leaves read data columns (the input x, named variables) or take fixed values (parameters, at
 * their initial values for an activation). Statistics reduce a column laid out as a row-major
 * table of `rowWidth` units per row, as src/analysis/properties.ts lays out a batch. Symbolic
 * regression runs programs over its data; the point functions below run them on one point.
 */
import { RunError } from "../base/errors.js";
import type { Activation, CallOp, Expr, StatAxis, StatOp } from "./ast.js";
import { arityOf, SAFE_EPSILON } from "./ast.js";
import { derivative } from "./derivative.js";
import { applyScalarOp, integerPower } from "./scalar.js";

const enum Code {
  Variable,
  Constant,
  Literal,
  Add,
  Mul,
  Div,
  Neg,
  Abs,
  Exp,
  Log,
  Sqrt,
  Sin,
  Cos,
  Tanh,
  Square,
  Cube,
  Power,
  Unary,
  Binary,
  Ternary,
  Statistic,
}

const UNARY_CODES: Partial<Record<CallOp, Code>> = {
  neg: Code.Neg,
  abs: Code.Abs,
  exp: Code.Exp,
  log: Code.Log,
  sqrt: Code.Sqrt,
  sin: Code.Sin,
  cos: Code.Cos,
  tanh: Code.Tanh,
};

/** A tree as postfix instructions; `constants` holds its constants in pre-order (the slots). */
export interface Program {
  readonly codes: Int32Array;
  /** Column, constant slot, literal value, exponent, or index into `ops` / `statistics`. */
  readonly args: Float64Array;
  readonly ops: readonly CallOp[];
  readonly statistics: readonly { readonly op: StatOp; readonly axis: StatAxis }[];
  readonly constants: Float64Array;
}

/** Where the leaves of a tree get their values. */
export interface ProgramLeaves {
  /** Column of each named leaf that reads data (symbolic regression's variables, x1..xd). */
  readonly variables?: ReadonlyMap<string, number>;
  /** Column of the input x; without one, x is an error. */
  readonly input?: number;
  /** Fixed values of the other named leaves (an activation's parameters). */
  readonly params?: Readonly<Record<string, number>>;
  /** Statistics allowed (columns are tables of the evaluator's `rowWidth`); else an error. */
  readonly statistics?: boolean;
  /** x³ as x·x·x, symbolic regression's rounding (the language's x ** 3 can differ in the last
   * bit); kept so its searches give the results they always gave. */
  readonly cubeAsProduct?: boolean;
}

export class UnsupportedNodeError extends RunError {
  override name = "UnsupportedNodeError";
}

/** Compiles a tree whose leaves get their values as `leaves` says. */
export function compileProgram(expr: Expr, leaves: ProgramLeaves): Program {
  const codes: number[] = [];
  const args: number[] = [];
  const ops: CallOp[] = [];
  const statistics: { op: StatOp; axis: StatAxis }[] = [];
  const constants: number[] = [];
  const slots: number[] = [];
  // Constants get their slot in pre-order (the order of constantsOf / withConstants).
  const numberConstants = (node: Expr): void => {
    if (node.kind === "const") {
      slots.push(constants.length);
      constants.push(node.value);
    } else if (node.kind === "call") node.args.forEach(numberConstants);
    else if (node.kind === "pow") numberConstants(node.base);
    else if (node.kind === "stat") numberConstants(node.arg);
  };
  numberConstants(expr);
  let nextConstant = 0;
  const emit = (node: Expr): void => {
    switch (node.kind) {
      case "const":
        codes.push(Code.Constant);
        args.push(slots[nextConstant++] as number);
        return;
      case "param": {
        const column = leaves.variables?.get(node.name);
        if (column !== undefined) {
          codes.push(Code.Variable);
          args.push(column);
          return;
        }
        const value =
          leaves.params && Object.hasOwn(leaves.params, node.name)
            ? leaves.params[node.name]
            : undefined;
        if (value === undefined)
          throw new UnsupportedNodeError(
            leaves.params
              ? `no value for parameter '${node.name}'`
              : `unknown variable '${node.name}'`,
          );
        codes.push(Code.Literal);
        args.push(value);
        return;
      }
      case "input":
        if (leaves.input === undefined)
          throw new UnsupportedNodeError("the input x has no column here: variables are named");
        codes.push(Code.Variable);
        args.push(leaves.input);
        return;
      case "stat":
        if (!leaves.statistics)
          throw new UnsupportedNodeError(`${node.op}: statistics have no meaning per row`);
        emit(node.arg);
        codes.push(Code.Statistic);
        args.push(statistics.length);
        statistics.push({ op: node.op, axis: node.axis });
        return;
      case "pow":
        emit(node.base);
        codes.push(
          node.exponent === 2
            ? Code.Square
            : node.exponent === 3 && leaves.cubeAsProduct
              ? Code.Cube
              : Code.Power,
        );
        args.push(node.exponent);
        return;
      case "call": {
        node.args.forEach(emit);
        const fast =
          node.op === "add"
            ? Code.Add
            : node.op === "mul"
              ? Code.Mul
              : node.op === "div"
                ? Code.Div
                : UNARY_CODES[node.op];
        if (fast !== undefined) {
          codes.push(fast);
          args.push(0);
          return;
        }
        const arity = arityOf(node.op);
        codes.push(arity === 1 ? Code.Unary : arity === 2 ? Code.Binary : Code.Ternary);
        args.push(ops.length);
        ops.push(node.op);
        return;
      }
    }
  };
  emit(expr);
  return {
    codes: Int32Array.from(codes),
    args: Float64Array.from(args),
    ops,
    statistics,
    constants: Float64Array.from(constants),
  };
}

/**
 * Runs programs over fixed columns, each a row-major table of `rowWidth` units per row (what
 * statistics reduce over). Scratch columns are recycled, so a result is valid only until the next
 * `run`. Every run counts as one evaluation (symbolic regression's budget unit).
 */
export class ColumnEvaluator {
  readonly rows: number;
  evaluations = 0;
  private readonly free: Float64Array[] = [];
  private readonly stack: Float64Array[] = [];
  private readonly owned: boolean[] = [];
  private lastResult: Float64Array | undefined;

  constructor(
    private readonly columns: readonly Float64Array[],
    private readonly rowWidth = 1,
  ) {
    this.rows = columns[0]?.length ?? 0;
  }

  private take(): Float64Array {
    return this.free.pop() ?? new Float64Array(this.rows);
  }

  /** Predictions of `program` with constant values `constants` (default: its own). */
  run(program: Program, constants: Float64Array = program.constants): Float64Array {
    if (this.lastResult) this.free.push(this.lastResult);
    this.lastResult = undefined;
    this.evaluations++;
    const n = this.rows;
    const { codes, args } = program;
    const stack = this.stack;
    const owned = this.owned;
    let sp = 0;
    for (let pc = 0; pc < codes.length; pc++) {
      const code = codes[pc] as Code;
      const arg = args[pc] as number;
      if (code === Code.Variable) {
        stack[sp] = this.columns[arg] as Float64Array;
        owned[sp++] = false;
        continue;
      }
      if (code === Code.Constant || code === Code.Literal) {
        const column = this.take();
        column.fill(code === Code.Constant ? (constants[arg] as number) : arg);
        stack[sp] = column;
        owned[sp++] = true;
        continue;
      }
      if (code === Code.Add || code === Code.Mul || code === Code.Div || code === Code.Binary) {
        const b = stack[--sp] as Float64Array;
        const ownsB = owned[sp] as boolean;
        const a = stack[sp - 1] as Float64Array;
        const ownsA = owned[sp - 1] as boolean;
        const out = ownsA ? a : ownsB ? b : this.take();
        binary(code, a, b, out, n, program.ops[arg]);
        if (ownsB && out !== b) this.free.push(b);
        stack[sp - 1] = out;
        owned[sp - 1] = true;
        continue;
      }
      if (code === Code.Ternary) {
        const c = stack[--sp] as Float64Array;
        const ownsC = owned[sp] as boolean;
        const b = stack[--sp] as Float64Array;
        const ownsB = owned[sp] as boolean;
        const a = stack[sp - 1] as Float64Array;
        const out = owned[sp - 1] ? a : this.take();
        const op = program.ops[arg] as CallOp;
        for (let i = 0; i < n; i++)
          out[i] = applyScalarOp(op, [a[i] as number, b[i] as number, c[i] as number]);
        if (ownsB) this.free.push(b);
        if (ownsC) this.free.push(c);
        stack[sp - 1] = out;
        owned[sp - 1] = true;
        continue;
      }
      const a = stack[sp - 1] as Float64Array;
      const out = owned[sp - 1] ? a : this.take();
      if (code === Code.Statistic) {
        const { op, axis } = program.statistics[arg] as { op: StatOp; axis: StatAxis };
        statistic(op, axis, a, out, this.rowWidth);
      } else unary(code, arg, a, out, n, program.ops[arg]);
      stack[sp - 1] = out;
      owned[sp - 1] = true;
    }
    const result = stack[0] as Float64Array;
    if (owned[0]) this.lastResult = result;
    return result;
  }

  /** Mean squared error of `program` against `target`; Infinity when any prediction is not finite. */
  meanSquaredError(
    program: Program,
    target: Float64Array,
    constants: Float64Array = program.constants,
  ): number {
    return meanSquaredError(this.run(program, constants), target);
  }
}

export function meanSquaredError(prediction: Float64Array, target: Float64Array): number {
  let sum = 0;
  const n = target.length;
  for (let i = 0; i < n; i++) {
    const d = (prediction[i] as number) - (target[i] as number);
    sum += d * d;
  }
  const mse = sum / n;
  return Number.isFinite(mse) ? mse : Infinity;
}

function binary(
  code: Code,
  a: Float64Array,
  b: Float64Array,
  out: Float64Array,
  n: number,
  op: CallOp | undefined,
): void {
  switch (code) {
    case Code.Add:
      for (let i = 0; i < n; i++) out[i] = (a[i] as number) + (b[i] as number);
      return;
    case Code.Mul:
      for (let i = 0; i < n; i++) out[i] = (a[i] as number) * (b[i] as number);
      return;
    case Code.Div:
      for (let i = 0; i < n; i++) {
        const d = b[i] as number;
        out[i] =
          (a[i] as number) / (d >= 0 ? Math.max(d, SAFE_EPSILON) : Math.min(d, -SAFE_EPSILON));
      }
      return;
    default:
      for (let i = 0; i < n; i++)
        out[i] = applyScalarOp(op as CallOp, [a[i] as number, b[i] as number]);
  }
}

function unary(
  code: Code,
  exponent: number,
  a: Float64Array,
  out: Float64Array,
  n: number,
  op: CallOp | undefined,
): void {
  switch (code) {
    case Code.Neg:
      for (let i = 0; i < n; i++) out[i] = -(a[i] as number);
      return;
    case Code.Abs:
      for (let i = 0; i < n; i++) out[i] = Math.abs(a[i] as number);
      return;
    case Code.Exp:
      for (let i = 0; i < n; i++) out[i] = Math.exp(a[i] as number);
      return;
    case Code.Log:
      for (let i = 0; i < n; i++)
        out[i] = Math.log(Math.max(Math.abs(a[i] as number), SAFE_EPSILON));
      return;
    case Code.Sqrt:
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(Math.max(a[i] as number, SAFE_EPSILON));
      return;
    case Code.Sin:
      for (let i = 0; i < n; i++) out[i] = Math.sin(a[i] as number);
      return;
    case Code.Cos:
      for (let i = 0; i < n; i++) out[i] = Math.cos(a[i] as number);
      return;
    case Code.Tanh:
      for (let i = 0; i < n; i++) out[i] = Math.tanh(a[i] as number);
      return;
    case Code.Square:
      for (let i = 0; i < n; i++) {
        const v = a[i] as number;
        out[i] = v * v;
      }
      return;
    case Code.Cube:
      for (let i = 0; i < n; i++) {
        const v = a[i] as number;
        out[i] = v * v * v;
      }
      return;
    case Code.Power:
      for (let i = 0; i < n; i++) out[i] = integerPower(a[i] as number, exponent);
      return;
    default:
      for (let i = 0; i < n; i++) out[i] = applyScalarOp(op as CallOp, [a[i] as number]);
  }
}

function reduce(op: StatOp, values: number[]): number {
  const mean = (v: number[]): number => v.reduce((s, a) => s + a, 0) / v.length;
  const variance = (v: number[]): number => {
    const m = mean(v);
    return mean(v.map((a) => (a - m) ** 2));
  };
  switch (op) {
    case "mean":
      return mean(values);
    case "var":
      return variance(values);
    case "std":
      return Math.sqrt(Math.max(variance(values), SAFE_EPSILON));
    case "rms":
      return Math.sqrt(Math.max(mean(values.map((a) => a * a)), SAFE_EPSILON));
    case "amax":
      return Math.max(...values);
  }
}

/** A statistic of the table `a` (`cols` units a row) broadcast back over it, into `out` (may be
 * `a`): per row for feature and instance statistics, per column for batch statistics. */
function statistic(
  op: StatOp,
  axis: StatAxis,
  a: Float64Array,
  out: Float64Array,
  cols: number,
): void {
  const rows = a.length / cols;
  const perColumn = axis === "batch";
  const groups = perColumn ? cols : rows;
  const size = perColumn ? rows : cols;
  const at = (g: number, k: number): number => (perColumn ? k * cols + g : g * cols + k);
  for (let g = 0; g < groups; g++) {
    const values = Array.from({ length: size }, (_, k) => a[at(g, k)] as number);
    const value = reduce(op, values);
    for (let k = 0; k < size; k++) out[at(g, k)] = value;
  }
}

/**
 * A tree as a function of one point: variable j reads `values[offset + j]` (the input x, when it
 * has a column, too). One column of one row per variable, reused, so calls must not overlap.
 */
export function pointFunction(
  expr: Expr,
  leaves: ProgramLeaves,
  width: number,
): (values: ArrayLike<number>, offset?: number) => number {
  const program = compileProgram(expr, leaves);
  const columns = Array.from({ length: width }, () => new Float64Array(1));
  const evaluator = new ColumnEvaluator(columns);
  return (values, offset = 0) => {
    for (let j = 0; j < width; j++) (columns[j] as Float64Array)[0] = values[offset + j] as number;
    return evaluator.run(program)[0] as number;
  };
}

/** A pointwise expression as a plain function of x, its parameters fixed at `params`. */
export function scalarFunction(
  expr: Expr,
  params: Readonly<Record<string, number>>,
): (x: number) => number {
  const program = compileProgram(expr, { input: 0, params });
  const column = new Float64Array(1);
  const evaluator = new ColumnEvaluator([column]);
  return (x) => {
    column[0] = x;
    return evaluator.run(program)[0] as number;
  };
}

/** Initial values of an activation's parameters. */
export function initialParamValues(activation: Activation): Record<string, number> {
  return Object.fromEntries(Object.entries(activation.params).map(([n, s]) => [n, s.init]));
}

/** φ and φ' as plain functions (pointwise activations only; φ' by the symbolic derivative),
 * parameters at their initial values. */
export function scalarFunctionAndSlope(activation: Activation): {
  value: (x: number) => number;
  slope: (x: number) => number;
} {
  const params = initialParamValues(activation);
  return {
    value: scalarFunction(activation.expr, params),
    slope: scalarFunction(derivative(activation.expr), params),
  };
}
