/**
 * What the PyTorch and JAX exporters share: Python literals and identifiers, the expression
 * emitter (which keeps the tree's evaluation order, so parentheses follow precedence) and the
 * bookkeeping that emits only the helper functions an expression uses.
 */
import type { Activation, CallOp, Expr, ParamSpec, StatAxis, StatOp } from "../ast.js";
import { SAFE_EPSILON, dependsOnInput } from "../ast.js";
import { ExprError } from "../errors.js";

/** Python precedence levels, lowest first. */
export const PY = { add: 1, mul: 2, unary: 3, pow: 4, atom: 5 } as const;

/** Emitted Python code: its text, its precedence, and whether it is an array (else a float). */
export interface PyCode {
  readonly code: string;
  readonly prec: number;
  readonly tensor: boolean;
}

const PYTHON_KEYWORDS = new Set(
  (
    "False None True and as assert async await break class continue def del elif else except " +
    "finally for from global if import in is lambda nonlocal not or pass raise return try while " +
    "with yield"
  ).split(" "),
);

/** A float literal: `2.0`, `1e-07`, `float("inf")`. */
export function pyFloat(value: number): string {
  if (Number.isNaN(value)) return 'float("nan")';
  if (value === Infinity) return 'float("inf")';
  if (value === -Infinity) return '-float("inf")';
  if (Object.is(value, -0)) return "-0.0";
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** Python source of a string literal. */
export function pyString(text: string): string {
  return JSON.stringify(text);
}

/** Text made safe to sit inside a triple-quoted docstring. */
export function pyDoc(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"""/g, '\\"\\"\\"');
}

/** `text` as a Python identifier: invalid characters become `_`, keywords and `taken` get `_` appended. */
export function pyIdentifier(text: string, taken: ReadonlySet<string> = new Set()): string {
  let id = text.replace(/[^A-Za-z0-9_]/g, "_");
  if (id === "") id = "activation";
  if (/^\d/.test(id)) id = `f_${id}`;
  while (PYTHON_KEYWORDS.has(id) || taken.has(id)) id = `${id}_`;
  return id;
}

/** `text` as a CamelCase Python class name: `swish_beta` and `swish-beta` become `SwishBeta`. */
export function pyClassName(text: string): string {
  const parts = text.split(/[^A-Za-z0-9]+/).filter((part) => part !== "");
  let id = parts.map((part) => (part[0] as string).toUpperCase() + part.slice(1)).join("");
  if (id === "") id = "Activation";
  if (/^\d/.test(id)) id = `Activation${id}`;
  return pyIdentifier(id);
}

/** The specification of every parameter the expression uses, in order of first appearance. */
export function paramSpecs(
  activation: Activation,
  names: readonly string[],
): [string, ParamSpec][] {
  return names.map((name) => {
    const spec = activation.params[name];
    if (spec === undefined) throw new ExprError(`parameter '${name}' has no specification`);
    return [name, spec];
  });
}

/** One-line description of a parameter for docstrings and comments. */
export function describeParam(name: string, spec: ParamSpec): string {
  const sharing =
    spec.sharing === "scalar"
      ? "scalar"
      : spec.sharing === "channel"
        ? "per channel"
        : "per neuron";
  const kind = spec.learnable ? "learnable" : "fixed (not learnable)";
  return `${name}: ${kind}, ${sharing}, init ${spec.init}`;
}

/** The Python shape tuple of a parameter, given `num_channels` and `feature_shape` variables. */
export function pyShape(spec: ParamSpec): string {
  if (spec.sharing === "scalar") return "()";
  if (spec.sharing === "channel") return "(num_channels,)";
  return "feature_shape";
}

/** A helper emitted at module top: its name, the helpers it needs, and its source. */
export interface PyHelper {
  readonly name: string;
  readonly deps: readonly string[];
  readonly source: string;
}

/** Sources of the used helpers and their dependencies, in the order of `catalogue`. */
export function helperSources(catalogue: readonly PyHelper[], used: ReadonlySet<string>): string[] {
  const needed = new Set<string>();
  const visit = (name: string): void => {
    if (needed.has(name)) return;
    needed.add(name);
    const helper = catalogue.find((h) => h.name === name);
    if (helper === undefined) throw new Error(`unknown helper ${name}`);
    helper.deps.forEach(visit);
  };
  used.forEach(visit);
  return catalogue.filter((h) => needed.has(h.name)).map((h) => h.source);
}

export const EPS_HELPER: PyHelper = {
  name: "_EPS",
  deps: [],
  source: `# The smallest magnitude a safe denominator, logarithm or square root sees.\n_EPS = ${pyFloat(SAFE_EPSILON)}`,
};

/** How one Python library spells the operations. */
export interface PyDialect {
  /** Code of a parameter (an atom). */
  param(name: string, spec: ParamSpec): string;
  /** Turns float code into an array like the input. */
  toTensor(code: string): string;
  /** Broadcasts code (array or float) that does not depend on `x` to the shape of `x`. */
  likeInput(code: PyCode): PyCode;
  /** A pointwise call other than add, mul and neg, on array arguments (div's numerator may be a float). */
  call(op: CallOp, args: readonly PyCode[], use: (helper: string) => void): PyCode;
  /** A statistic of array code. */
  stat(op: StatOp, axis: StatAxis, arg: string, use: (helper: string) => void): string;
}

/** Operations both Python exports spell with a helper of the same name (the safe forms etc.). */
const SHARED_HELPER_FUNCTIONS: Partial<Record<CallOp, string>> = {
  div: "_safe_div",
  log: "_safe_log",
  sqrt: "_safe_sqrt",
  softplus: "_softplus",
  step: "_step",
  sinc: "_sinc",
  surrogate: "_surrogate",
};

/**
 * The `call` of a dialect whose array module is `ns` (jnp, torch): a function of the module's
 * table, a shared helper, gaussian and where in the module's words, or `own` for what only that
 * library has (torch's `.detach()`).
 */
export function pythonCall(
  ns: string,
  functions: Partial<Record<CallOp, string>>,
  own: (op: CallOp, args: readonly PyCode[]) => PyCode | undefined = () => undefined,
): PyDialect["call"] {
  return (op, args, use) => {
    const [a, b, c] = args as [PyCode, PyCode, PyCode];
    const list = args.map((arg) => arg.code).join(", ");
    const fn = functions[op];
    if (fn !== undefined) return pyAtom(`${fn}(${list})`);
    const helper = SHARED_HELPER_FUNCTIONS[op];
    if (helper !== undefined) {
      use(helper);
      return pyAtom(`${helper}(${list})`);
    }
    if (op === "gaussian") return pyAtom(`${ns}.exp(-${ns}.square(${a.code}))`);
    if (op === "where") return pyAtom(`${ns}.where(${paren(a, PY.add)} > 0, ${b.code}, ${c.code})`);
    const special = own(op, args);
    if (special) return special;
    throw new Error(`no ${ns} form for ${op}`);
  };
}

/** A statistic through the helper of the same name (`_mean(x, "feature")`), in both dialects. */
export function helperStat(
  op: StatOp,
  axis: StatAxis,
  arg: string,
  use: (helper: string) => void,
): string {
  use(`_${op}`);
  return `_${op}(${arg}, ${pyString(axis)})`;
}

export function paren(code: PyCode, required: number): string {
  return code.prec < required ? `(${code.code})` : code.code;
}

/** Array code that needs no parentheses. */
export function pyAtom(code: string): PyCode {
  return { code, prec: PY.atom, tensor: true };
}
const atom = pyAtom;

/** Emits Python for `expr`, recording the helpers it uses in `used`. */
export function emitPython(
  expr: Expr,
  dialect: PyDialect,
  activation: Activation,
  used: Set<string>,
): PyCode {
  const use = (helper: string): void => void used.add(helper);
  const tensor = (code: PyCode): PyCode => (code.tensor ? code : atom(dialect.toTensor(code.code)));
  const emit = (node: Expr): PyCode => {
    switch (node.kind) {
      case "input":
        return atom("x");
      case "const": {
        const code = pyFloat(node.value);
        return { code, prec: code.startsWith("-") ? PY.unary : PY.atom, tensor: false };
      }
      case "param": {
        const spec = activation.params[node.name];
        if (spec === undefined)
          throw new ExprError(`parameter '${node.name}' has no specification`);
        return atom(dialect.param(node.name, spec));
      }
      case "pow": {
        if (!Number.isInteger(node.exponent)) {
          throw new ExprError(`the exponent ${node.exponent} is not an integer`);
        }
        const base = emit(node.base);
        const power: PyCode = {
          code: `${paren(base, PY.atom)} ** ${Math.abs(node.exponent)}`,
          prec: PY.pow,
          tensor: base.tensor,
        };
        if (node.exponent >= 0) return power;
        return dialect.call(
          "div",
          [{ code: "1.0", prec: PY.atom, tensor: false }, tensor(power)],
          use,
        );
      }
      case "stat": {
        const inner = emit(node.arg);
        const arg = dependsOnInput(node.arg) ? tensor(inner) : dialect.likeInput(inner);
        return atom(dialect.stat(node.op, node.axis, arg.code, use));
      }
      case "call":
        return emitCall(node);
    }
  };
  const emitCall = (node: Extract<Expr, { kind: "call" }>): PyCode => {
    const [a, b] = node.args as [Expr, Expr];
    switch (node.op) {
      case "add": {
        const left = emit(a);
        let text: string;
        let right: PyCode;
        if (b.kind === "call" && b.op === "neg") {
          right = emit(b.args[0] as Expr);
          text = `${paren(left, PY.add)} - ${paren(right, PY.mul)}`;
        } else if (b.kind === "const" && b.value < 0) {
          right = emit({ kind: "const", value: -b.value });
          text = `${paren(left, PY.add)} - ${right.code}`;
        } else {
          right = emit(b);
          text = `${paren(left, PY.add)} + ${paren(right, PY.mul)}`;
        }
        return { code: text, prec: PY.add, tensor: left.tensor || right.tensor };
      }
      case "mul": {
        const left = emit(a);
        const right = emit(b);
        return {
          code: `${paren(left, PY.mul)} * ${paren(right, PY.unary)}`,
          prec: PY.mul,
          tensor: left.tensor || right.tensor,
        };
      }
      case "neg": {
        const inner = emit(a);
        const text = paren(inner, PY.unary);
        return {
          code: text.startsWith("-") ? `-(${text})` : `-${text}`,
          prec: PY.unary,
          tensor: inner.tensor,
        };
      }
      case "div":
        // a float numerator over an array denominator is fine in Python
        return dialect.call("div", [emit(a), tensor(emit(b))], use);
      default:
        return dialect.call(
          node.op,
          node.args.map((arg) => tensor(emit(arg))),
          use,
        );
    }
  };
  const result = emit(expr);
  if (!dependsOnInput(expr)) return dialect.likeInput(result);
  return result;
}
