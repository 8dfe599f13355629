/**
 * Vectorised evaluation of a candidate over data columns: the tree is compiled once into a postfix
 * program, and each instruction computes a whole column (Float64Array) with a plain loop. Nothing
 * is generated as code (no eval / new Function). Values follow the language's safe scalar meaning
 * (src/expr/scalar.ts): log(max(|a|, ε)), sqrt(max(a, ε)), a / b with |b| ≥ ε, ε = 1e-7.
 */
import { RunError } from "../../base/errors.js";
import type { CallOp, Expr } from "../../expr/ast.js";
import { arityOf, SAFE_EPSILON } from "../../expr/ast.js";
import { applyScalarOp, integerPower } from "../../expr/scalar.js";

const enum Code {
  Variable,
  Constant,
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
  /** Variable column, constant slot, exponent or index into `ops`, per instruction. */
  readonly args: Float64Array;
  readonly ops: readonly CallOp[];
  readonly constants: Float64Array;
}

export class UnsupportedNodeError extends RunError {
  override name = "UnsupportedNodeError";
}

/** Compiles a pointwise tree over variables named in `variables` (param nodes). */
export function compileProgram(expr: Expr, variables: ReadonlyMap<string, number>): Program {
  const codes: number[] = [];
  const args: number[] = [];
  const ops: CallOp[] = [];
  const constants: number[] = [];
  const slots: number[] = [];
  // Constants get their slot in pre-order (the order of constantsOf / withConstants).
  const numberConstants = (node: Expr): void => {
    if (node.kind === "const") {
      slots.push(constants.length);
      constants.push(node.value);
    } else if (node.kind === "call") node.args.forEach(numberConstants);
    else if (node.kind === "pow") numberConstants(node.base);
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
        const column = variables.get(node.name);
        if (column === undefined) throw new UnsupportedNodeError(`unknown variable '${node.name}'`);
        codes.push(Code.Variable);
        args.push(column);
        return;
      }
      case "input":
        throw new UnsupportedNodeError("the input x has no column here: variables are named");
      case "stat":
        throw new UnsupportedNodeError(`${node.op}: statistics have no meaning per row`);
      case "pow":
        emit(node.base);
        codes.push(
          node.exponent === 2 ? Code.Square : node.exponent === 3 ? Code.Cube : Code.Power,
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
    constants: Float64Array.from(constants),
  };
}

/**
 * Runs programs over fixed columns. Scratch columns are recycled, so a result is valid only until
 * the next `run`. Every run counts as one evaluation (the search's budget unit).
 */
export class ColumnEvaluator {
  readonly rows: number;
  evaluations = 0;
  private readonly free: Float64Array[] = [];
  private readonly stack: Float64Array[] = [];
  private readonly owned: boolean[] = [];
  private lastResult: Float64Array | undefined;

  constructor(private readonly columns: readonly Float64Array[]) {
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
      if (code === Code.Constant) {
        const column = this.take();
        column.fill(constants[arg] as number);
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
      unary(code, arg, a, out, n, program.ops[arg]);
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
