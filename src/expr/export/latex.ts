/**
 * Exports an activation's formula as LaTeX (math mode, without delimiters or a left-hand side).
 *
 * Forms: products by juxtaposition (`\beta x`; `\cdot` before a number or a fraction), `\frac{a}{b}`
 * for (safe) division, `a^{n}`, `\sqrt{a}`, `\left|a\right|`, `\sigma` for sigmoid, `\exp`, `\log`,
 * `\sin` and the like, `\arctan`, `\max`/`\min`, `\operatorname{erf}`, `\operatorname{softplus}`,
 * `\operatorname{ReLU}`, `\operatorname{step}`, `\operatorname{sgn}`, `\operatorname{sinc}`,
 * `\operatorname{asinh}`, `\operatorname{sg}` for stopgrad, `\operatorname{surrogate}(f, g)`,
 * gaussian as `\exp\left(-a^{2}\right)`, `where` as a `cases` block, and statistics with their axis
 * as a subscript: `\mu_{\text{feature}}`, `\operatorname{Var}`, `\operatorname{std}`,
 * `\operatorname{rms}`, `\max` for amax. Constants: `\pi`, `e`, `10^{-7}`, `2.5 \cdot 10^{-8}`.
 *
 * Parameters: Greek letter names become letters (`alpha` → `\alpha`, `Omega` → `\Omega`), a name
 * ending in digits gets them as a subscript (`a1` → `a_{1}`, `beta2` → `\beta_{2}`), so does the
 * part after the first underscore (`w_out` → `w_{\mathrm{out}}`); other multi-letter names are
 * upright (`\mathrm{eps}`). Parentheses (`\left(`, `\right)`) appear only where precedence needs them.
 */
import type { Activation, CallOp, Expr, StatOp } from "../ast.js";
import { call, pow } from "../ast.js";
import { ExprError } from "../errors.js";

const P = { cases: 0, add: 1, mul: 2, unary: 3, frac: 4, pow: 5, atom: 6 } as const;

interface Tex {
  readonly text: string;
  readonly prec: number;
}

const GREEK = new Set(
  (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi " +
    "pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega " +
    "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
  ).split(" "),
);

const FUNCTIONS: Partial<Record<CallOp, string>> = {
  exp: "\\exp",
  log: "\\log",
  sin: "\\sin",
  cos: "\\cos",
  tanh: "\\tanh",
  sinh: "\\sinh",
  cosh: "\\cosh",
  asinh: "\\operatorname{asinh}",
  atan: "\\arctan",
  sigmoid: "\\sigma",
  erf: "\\operatorname{erf}",
  softplus: "\\operatorname{softplus}",
  relu: "\\operatorname{ReLU}",
  step: "\\operatorname{step}",
  sign: "\\operatorname{sgn}",
  sinc: "\\operatorname{sinc}",
  stopgrad: "\\operatorname{sg}",
  max: "\\max",
  min: "\\min",
  surrogate: "\\operatorname{surrogate}",
};

const STATS: Record<StatOp, string> = {
  mean: "\\mu",
  var: "\\operatorname{Var}",
  std: "\\operatorname{std}",
  rms: "\\operatorname{rms}",
  amax: "\\max",
};

function escapeText(text: string): string {
  return text.replace(/_/g, "\\_");
}

/** A name without underscores: a Greek letter, one letter, or upright text. */
function simpleName(name: string): string {
  if (GREEK.has(name)) return `\\${name}`;
  if (name.length === 1) return name;
  return `\\mathrm{${escapeText(name)}}`;
}

/** LaTeX of a parameter name. */
export function latexParamName(name: string): string {
  const underscore = name.indexOf("_");
  if (underscore > 0 && underscore < name.length - 1) {
    const sub = name.slice(underscore + 1);
    const subText = /^\d+$/.test(sub) ? sub : simpleName(sub);
    return `${simpleName(name.slice(0, underscore))}_{${subText}}`;
  }
  const digits = /^([A-Za-z]+)(\d+)$/.exec(name);
  if (digits !== null) return `${simpleName(digits[1] as string)}_{${digits[2] as string}}`;
  return simpleName(name);
}

/** LaTeX of a non-negative number. */
function positiveNumber(value: number): Tex {
  if (value === Infinity) return { text: "\\infty", prec: P.atom };
  if (value === Math.PI) return { text: "\\pi", prec: P.atom };
  if (value === Math.E) return { text: "e", prec: P.atom };
  const text = String(value);
  const scientific = /^([\d.]+)e([+-]\d+)$/.exec(text);
  if (scientific === null) return { text, prec: P.atom };
  const mantissa = scientific[1] as string;
  const power = `10^{${Number(scientific[2])}}`;
  return mantissa === "1"
    ? { text: power, prec: P.pow }
    : { text: `${mantissa} \\cdot ${power}`, prec: P.mul };
}

function numberTex(value: number): Tex {
  if (Number.isNaN(value)) return { text: "\\mathrm{NaN}", prec: P.atom };
  if (value < 0 || Object.is(value, -0)) {
    const positive = positiveNumber(-value);
    return { text: `-${wrap(positive, P.unary)}`, prec: P.unary };
  }
  return positiveNumber(value);
}

function wrap(tex: Tex, required: number): string {
  return tex.prec < required ? `\\left(${tex.text}\\right)` : tex.text;
}

function fn(name: string, args: readonly Tex[]): Tex {
  return { text: `${name}\\left(${args.map((arg) => arg.text).join(", ")}\\right)`, prec: P.atom };
}

function negate(inner: Tex): Tex {
  const text = wrap(inner, P.mul);
  return { text: text.startsWith("-") ? `-\\left(${text}\\right)` : `-${text}`, prec: P.unary };
}

function emit(expr: Expr): Tex {
  switch (expr.kind) {
    case "input":
      return { text: "x", prec: P.atom };
    case "const":
      return numberTex(expr.value);
    case "param":
      return { text: latexParamName(expr.name), prec: P.atom };
    case "pow":
      if (!Number.isInteger(expr.exponent)) {
        throw new ExprError(`the exponent ${expr.exponent} is not an integer`);
      }
      return { text: `${wrap(emit(expr.base), P.atom)}^{${expr.exponent}}`, prec: P.pow };
    case "stat":
      return fn(`${STATS[expr.op]}_{\\text{${expr.axis}}}`, [emit(expr.arg)]);
    case "call":
      return emitCall(expr);
  }
}

function emitCall(expr: Extract<Expr, { kind: "call" }>): Tex {
  const [a, b, c] = expr.args as [Expr, Expr, Expr];
  switch (expr.op) {
    case "add": {
      const left = wrap(emit(a), P.add);
      if (b.kind === "call" && b.op === "neg") {
        return { text: `${left} - ${wrap(emit(b.args[0] as Expr), P.mul)}`, prec: P.add };
      }
      if (b.kind === "const" && b.value < 0) {
        return { text: `${left} - ${wrap(numberTex(-b.value), P.mul)}`, prec: P.add };
      }
      return { text: `${left} + ${wrap(emit(b), P.mul)}`, prec: P.add };
    }
    case "mul": {
      const left = wrap(emit(a), P.mul);
      const right = wrap(emit(b), P.frac);
      const dot = /^(\d|\.|\\frac|\\infty|-)/.test(right);
      return { text: `${left}${dot ? " \\cdot " : " "}${right}`, prec: P.mul };
    }
    case "neg":
      return negate(emit(a));
    case "div":
      return { text: `\\frac{${emit(a).text}}{${emit(b).text}}`, prec: P.frac };
    case "sqrt":
      return { text: `\\sqrt{${emit(a).text}}`, prec: P.frac };
    case "abs":
      return { text: `\\left|${emit(a).text}\\right|`, prec: P.atom };
    case "gaussian":
      return emit(call("exp", call("neg", pow(a, 2))));
    case "where":
      return {
        text:
          `\\begin{cases} ${wrap(emit(b), P.add)} & ${wrap(emit(a), P.add)} > 0 \\\\ ` +
          `${wrap(emit(c), P.add)} & \\text{otherwise} \\end{cases}`,
        prec: P.cases,
      };
    default: {
      const name = FUNCTIONS[expr.op];
      if (name === undefined) throw new Error(`no LaTeX form for ${expr.op}`);
      return fn(name, expr.args.map(emit));
    }
  }
}

/** The formula of `activation` in LaTeX, e.g. `x \sigma\left(\beta x\right)` for `x * sigmoid(beta * x)`. */
export function exportLatex(activation: Activation): string {
  return emit(activation.expr).text;
}
