/** Prints an expression in the syntax that `parse` reads, with the fewest parentheses. */
import type { Activation, Expr, ParamSpec } from "./ast.js";
import { paramNamesOf } from "./ast.js";

const PRECEDENCE = { add: 1, mul: 2, unary: 3, pow: 4, atom: 5 } as const;

function formatNumber(value: number): string {
  return String(value);
}

function wrap(text: string, own: number, required: number): string {
  return own < required ? `(${text})` : text;
}

/** Prints `expr` for a context that needs at least precedence `required`. */
function printAt(expr: Expr, required: number): string {
  switch (expr.kind) {
    case "input":
      return "x";
    case "param":
      return expr.name;
    case "const": {
      const text = formatNumber(expr.value);
      return expr.value < 0 || Object.is(expr.value, -0)
        ? wrap(text, PRECEDENCE.unary, required)
        : text;
    }
    case "pow":
      return wrap(
        `${printAt(expr.base, PRECEDENCE.atom)}^${expr.exponent}`,
        PRECEDENCE.pow,
        required,
      );
    case "stat": {
      const axis = expr.axis === "feature" ? "" : `, ${expr.axis}`;
      return `${expr.op}(${printAt(expr.arg, 0)}${axis})`;
    }
    case "call":
      return printCall(expr, required);
  }
}

function printCall(expr: Extract<Expr, { kind: "call" }>, required: number): string {
  const [a, b] = expr.args as [Expr, Expr];
  switch (expr.op) {
    case "add": {
      const left = printAt(a, PRECEDENCE.add);
      let text: string;
      if (b.kind === "call" && b.op === "neg")
        text = `${left} - ${printAt(b.args[0] as Expr, PRECEDENCE.mul)}`;
      else if (b.kind === "const" && b.value < 0) text = `${left} - ${formatNumber(-b.value)}`;
      else text = `${left} + ${printAt(b, PRECEDENCE.mul)}`;
      return wrap(text, PRECEDENCE.add, required);
    }
    case "mul":
    case "div": {
      const symbol = expr.op === "mul" ? "*" : "/";
      const text = `${printAt(a, PRECEDENCE.mul)} ${symbol} ${printAt(b, PRECEDENCE.unary)}`;
      return wrap(text, PRECEDENCE.mul, required);
    }
    case "neg":
      return wrap(`-${printAt(a, PRECEDENCE.unary)}`, PRECEDENCE.unary, required);
    default:
      return `${expr.op}(${expr.args.map((arg) => printAt(arg, 0)).join(", ")})`;
  }
}

// Trees are immutable, so a node's text is kept: simplify compares factors and terms by their
// text, and without this a derivative's shared subtrees were printed again for every comparison.
const printed = new WeakMap<Expr, string>();

export function printExpr(expr: Expr): string {
  let text = printed.get(expr);
  if (text === undefined) {
    text = printAt(expr, 0);
    printed.set(expr, text);
  }
  return text;
}

export function printParamSpec(name: string, spec: ParamSpec): string {
  const modifiers = [
    spec.learnable ? "" : " fixed",
    spec.sharing === "channel" ? " per_channel" : spec.sharing === "neuron" ? " per_neuron" : "",
  ].join("");
  return `${name} = ${formatNumber(spec.init)}${modifiers}`;
}

/** Prints an activation with every parameter declared, in order of first appearance. */
export function printActivation(activation: Activation): string {
  const body = printExpr(activation.expr);
  const names = paramNamesOf(activation.expr);
  if (names.length === 0) return body;
  const declarations = names.map((name) =>
    printParamSpec(name, activation.params[name] as ParamSpec),
  );
  return `${body} where ${declarations.join(", ")}`;
}
