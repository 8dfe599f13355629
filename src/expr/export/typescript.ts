/**
 * Exports an activation as plain, dependency-free TypeScript:
 *
 *   export function <name>(x: readonly number[], p: {...} = {...defaults}): number[]
 *
 * working on ONE sample's feature vector. Scalar parameters are numbers; per-channel and
 * per-neuron ones are arrays with one entry per element of `x`. Every statistic is hoisted into a
 * const computed before the element loop; `instance` statistics equal `feature` ones on a single
 * sample, and `batch` statistics, which need other samples, make the export fail. stopgrad is
 * the identity and surrogate(f, g) is f: the exported function computes values, not gradients.
 * Only the helper functions the expression uses are emitted.
 */
import type { Activation, CallOp, Expr, ParamSpec } from "../ast.js";
import { SAFE_EPSILON, exprEquals, paramNamesOf } from "../ast.js";
import { ExprError } from "../errors.js";
import { printActivation, printExpr } from "../print.js";

const J = { cond: 0, add: 2, mul: 3, unary: 4, atom: 5 } as const;

interface Js {
  readonly code: string;
  readonly prec: number;
}

interface Helper {
  readonly name: string;
  readonly deps: readonly string[];
  readonly source: string;
}

const HELPERS: readonly Helper[] = [
  {
    name: "_EPS",
    deps: [],
    source: `/** The smallest magnitude a safe denominator, logarithm or square root sees. */
const _EPS = ${String(SAFE_EPSILON)};`,
  },
  {
    name: "_safeDiv",
    deps: ["_EPS"],
    source: `/** a / b with b moved at least _EPS away from zero (zero counts as positive). */
function _safeDiv(a: number, b: number): number {
  return a / (b >= 0 ? Math.max(b, _EPS) : Math.min(b, -_EPS));
}`,
  },
  {
    name: "_safeLog",
    deps: ["_EPS"],
    source: `/** log(max(|a|, _EPS)). */
function _safeLog(a: number): number {
  return Math.log(Math.max(Math.abs(a), _EPS));
}`,
  },
  {
    name: "_safeSqrt",
    deps: ["_EPS"],
    source: `/** sqrt(max(a, _EPS)). */
function _safeSqrt(a: number): number {
  return Math.sqrt(Math.max(a, _EPS));
}`,
  },
  {
    name: "_sigmoid",
    deps: [],
    source: `function _sigmoid(a: number): number {
  return 1 / (1 + Math.exp(-a));
}`,
  },
  {
    name: "_erf",
    deps: [],
    source: `/**
 * The Gauss error function, to about 1e-15: below 3 the series of positive terms
 * erf(z) = 2/sqrt(pi) exp(-z^2) sum_k 2^k z^(2k+1) / (1 * 3 * ... * (2k+1)),
 * from 3 on 1 - erfc(z) with the continued fraction
 * erfc(z) = exp(-z^2)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + 2/(z + ...))))).
 */
function _erf(a: number): number {
  const z = Math.abs(a);
  let r: number;
  if (z < 3) {
    const z2 = 2 * z * z;
    let term = z;
    let sum = z;
    for (let k = 1; term > sum * 1e-17; k++) {
      term *= z2 / (2 * k + 1);
      sum += term;
    }
    r = 1.1283791670955126 * Math.exp(-z * z) * sum;
  } else {
    let f = z;
    for (let k = 60; k >= 1; k--) f = z + k / 2 / f;
    r = 1 - Math.exp(-z * z) / (1.7724538509055159 * f);
  }
  return a < 0 ? -r : r;
}`,
  },
  {
    name: "_softplus",
    deps: [],
    source: `/** log(1 + exp(a)), computed as max(a, 0) + log1p(exp(-|a|)). */
function _softplus(a: number): number {
  return Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a)));
}`,
  },
  {
    name: "_step",
    deps: [],
    source: `function _step(a: number): number {
  return a > 0 ? 1 : 0;
}`,
  },
  {
    name: "_gaussian",
    deps: [],
    source: `function _gaussian(a: number): number {
  return Math.exp(-a * a);
}`,
  },
  {
    name: "_sinc",
    deps: [],
    source: `/** sin(a) / a with sinc(0) = 1 (unnormalised); 1 - a^2 / 6 when |a| < 1e-4. */
function _sinc(a: number): number {
  return Math.abs(a) < 1e-4 ? 1 - (a * a) / 6 : Math.sin(a) / a;
}`,
  },
  {
    name: "_mean",
    deps: [],
    source: `function _mean(v: readonly number[]): number {
  let s = 0;
  for (const a of v) s += a;
  return s / v.length;
}`,
  },
  {
    name: "_var",
    deps: ["_mean"],
    source: `/** Population variance (divides by n). */
function _var(v: readonly number[]): number {
  const m = _mean(v);
  let s = 0;
  for (const a of v) s += (a - m) * (a - m);
  return s / v.length;
}`,
  },
  {
    name: "_std",
    deps: ["_EPS", "_var"],
    source: `function _std(v: readonly number[]): number {
  return Math.sqrt(Math.max(_var(v), _EPS));
}`,
  },
  {
    name: "_rms",
    deps: ["_EPS"],
    source: `function _rms(v: readonly number[]): number {
  let s = 0;
  for (const a of v) s += a * a;
  return Math.sqrt(Math.max(s / v.length, _EPS));
}`,
  },
  {
    name: "_amax",
    deps: [],
    source: `function _amax(v: readonly number[]): number {
  let m = -Infinity;
  for (const a of v) m = Math.max(m, a);
  return m;
}`,
  },
];

const MATH_FUNCTIONS: Partial<Record<CallOp, string>> = {
  abs: "Math.abs",
  exp: "Math.exp",
  sin: "Math.sin",
  cos: "Math.cos",
  tanh: "Math.tanh",
  sinh: "Math.sinh",
  cosh: "Math.cosh",
  asinh: "Math.asinh",
  atan: "Math.atan",
  sign: "Math.sign",
  max: "Math.max",
  min: "Math.min",
};

const HELPER_FUNCTIONS: Partial<Record<CallOp, string>> = {
  div: "_safeDiv",
  log: "_safeLog",
  sqrt: "_safeSqrt",
  sigmoid: "_sigmoid",
  erf: "_erf",
  softplus: "_softplus",
  step: "_step",
  gaussian: "_gaussian",
  sinc: "_sinc",
};

const RESERVED = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends " +
    "false finally for function if import in instanceof new null return super switch this throw " +
    "true try typeof var void while with yield let static implements interface package private " +
    "protected public await arguments eval undefined NaN Infinity Math"
  ).split(" "),
);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `text` as a TypeScript function name: invalid characters become `_`; clashes get `_` appended. */
export function jsIdentifier(text: string): string {
  let id = text.replace(/[^A-Za-z0-9_$]/g, "_");
  if (id === "") id = "activation";
  if (/^\d/.test(id)) id = `f_${id}`;
  while (RESERVED.has(id) || HELPERS.some((helper) => helper.name === id)) id = `${id}_`;
  return id;
}

function jsNumber(value: number): Js {
  const code = Object.is(value, -0) ? "-0" : String(value);
  return { code, prec: code.startsWith("-") ? J.unary : J.atom };
}

function paren(js: Js, required: number): string {
  return js.prec < required ? `(${js.code})` : js.code;
}

const atom = (code: string): Js => ({ code, prec: J.atom });

/** Names a loop body reads per element: "xi" and the array parameters. */
type Scope = Set<string>;

class Emitter {
  readonly helpers = new Set<string>();
  /** Statements before the element loop, computing the statistics. */
  readonly hoisted: string[] = [];
  private readonly stats: { node: Expr; name: string }[] = [];

  constructor(private readonly activation: Activation) {}

  private spec(name: string): ParamSpec {
    const spec = this.activation.params[name];
    if (spec === undefined) throw new ExprError(`parameter '${name}' has no specification`);
    return spec;
  }

  private use(helper: string): string {
    this.helpers.add(helper);
    return helper;
  }

  /** Declarations of the per-element locals a loop body reads. */
  locals(scope: Scope): string[] {
    const lines: string[] = [];
    if (scope.has("xi")) lines.push("const xi = x[i] as number;");
    for (const name of paramNamesOf(this.activation.expr)) {
      if (scope.has(name)) lines.push(`const ${name}_i = p.${name}[i] as number;`);
    }
    return lines;
  }

  emit(expr: Expr, scope: Scope): Js {
    switch (expr.kind) {
      case "input":
        scope.add("xi");
        return atom("xi");
      case "const":
        return jsNumber(expr.value);
      case "param":
        if (this.spec(expr.name).sharing === "scalar") return atom(`p.${expr.name}`);
        scope.add(expr.name);
        return atom(`${expr.name}_i`);
      case "pow": {
        if (!Number.isInteger(expr.exponent)) {
          throw new ExprError(`the exponent ${expr.exponent} is not an integer`);
        }
        const power = `Math.pow(${this.emit(expr.base, scope).code}, ${Math.abs(expr.exponent)})`;
        return atom(expr.exponent >= 0 ? power : `${this.use("_safeDiv")}(1, ${power})`);
      }
      case "stat":
        return atom(this.statistic(expr));
      case "call":
        return this.emitCall(expr, scope);
    }
  }

  /** Hoists a statistic before the element loop (once per distinct statistic) and names it. */
  private statistic(node: Extract<Expr, { kind: "stat" }>): string {
    const known = this.stats.find((stat) => exprEquals(stat.node, node));
    if (known !== undefined) return known.name;
    if (node.axis === "batch") {
      throw new ExprError(
        `the js export computes one sample's feature vector, so it cannot compute the batch ` +
          `statistic ${printExpr(node)}, which needs every sample; export to torch or jax instead`,
      );
    }
    const index = this.stats.length;
    let vector = "x";
    if (node.arg.kind !== "input") {
      const scope: Scope = new Set();
      const value = this.emit(node.arg, scope);
      vector = `v${index}`;
      this.hoisted.push(
        `const ${vector}: number[] = [];`,
        "for (let i = 0; i < n; i++) {",
        ...this.locals(scope).map((line) => `  ${line}`),
        `  ${vector}.push(${value.code});`,
        "}",
      );
    }
    const name = `s${this.stats.length}`;
    this.hoisted.push(
      `const ${name} = ${this.use(`_${node.op}`)}(${vector}); // ${printExpr(node)}`,
    );
    this.stats.push({ node, name });
    return name;
  }

  private emitCall(expr: Extract<Expr, { kind: "call" }>, scope: Scope): Js {
    const [a, b, c] = expr.args as [Expr, Expr, Expr];
    switch (expr.op) {
      case "add": {
        const left = paren(this.emit(a, scope), J.add);
        if (b.kind === "call" && b.op === "neg") {
          return {
            code: `${left} - ${paren(this.emit(b.args[0] as Expr, scope), J.mul)}`,
            prec: J.add,
          };
        }
        if (b.kind === "const" && b.value < 0) {
          return { code: `${left} - ${jsNumber(-b.value).code}`, prec: J.add };
        }
        return { code: `${left} + ${paren(this.emit(b, scope), J.mul)}`, prec: J.add };
      }
      case "mul":
        return {
          code: `${paren(this.emit(a, scope), J.mul)} * ${paren(this.emit(b, scope), J.unary)}`,
          prec: J.mul,
        };
      case "neg": {
        const inner = paren(this.emit(a, scope), J.unary);
        return { code: inner.startsWith("-") ? `-(${inner})` : `-${inner}`, prec: J.unary };
      }
      case "relu":
        return atom(`Math.max(${this.emit(a, scope).code}, 0)`);
      case "stopgrad":
        return this.emit(a, scope);
      case "surrogate":
        return this.emit(a, scope);
      case "where": {
        const condition = paren(this.emit(a, scope), J.add);
        const yes = paren(this.emit(b, scope), J.add);
        const no = paren(this.emit(c, scope), J.add);
        return { code: `${condition} > 0 ? ${yes} : ${no}`, prec: J.cond };
      }
      default: {
        const fn = MATH_FUNCTIONS[expr.op] ?? this.use(HELPER_FUNCTIONS[expr.op] as string);
        return atom(`${fn}(${expr.args.map((arg) => this.emit(arg, scope).code).join(", ")})`);
      }
    }
  }
}

function helperSources(used: ReadonlySet<string>): string[] {
  const needed = new Set<string>();
  const visit = (name: string): void => {
    if (needed.has(name)) return;
    needed.add(name);
    HELPERS.find((helper) => helper.name === name)?.deps.forEach(visit);
  };
  used.forEach(visit);
  return HELPERS.filter((helper) => needed.has(helper.name)).map((helper) => helper.source);
}

function comment(text: string): string {
  return text.replace(/\*\//g, "* /");
}

/** TypeScript source of `export function <name>(x, p)` computing `activation` on one feature vector. */
export function exportTypeScript(activation: Activation, name: string): string {
  const names = paramNamesOf(activation.expr);
  for (const param of names) {
    if (!IDENTIFIER.test(param)) throw new ExprError(`parameter '${param}' is not an identifier`);
    if (param === "__proto__")
      throw new ExprError(
        "parameter '__proto__' cannot be a key of the js export's parameter object; rename it",
      );
  }
  const emitter = new Emitter(activation);
  const scope: Scope = new Set();
  const value = emitter.emit(activation.expr, scope);
  const specs = names.map((param) => [param, activation.params[param] as ParamSpec] as const);
  const fnName = jsIdentifier(name);

  const doc = [
    "/**",
    ` * ${comment(printActivation(activation))}`,
    " *",
    " * Computes the activation on one sample's feature vector `x` (values only: stopgrad is the",
    " * identity and surrogate(f, g) is f).",
  ];
  if (specs.length > 0) {
    doc.push(
      " *",
      " * Parameters `p` (per-channel and per-neuron ones have one entry per element of `x`):",
    );
    for (const [param, spec] of specs) {
      const sharing = spec.sharing === "scalar" ? "scalar" : `per ${spec.sharing}`;
      const kind = spec.learnable ? "learnable" : "fixed (not learnable)";
      doc.push(` * - ${param}: ${kind}, ${sharing}, init ${spec.init}`);
    }
  }
  doc.push(" */");

  let signature = "x: readonly number[]";
  if (specs.length > 0) {
    const types = specs.map(([param, spec]) =>
      spec.sharing === "scalar" ? `${param}: number` : `${param}: readonly number[]`,
    );
    const defaults = specs.map(([param, spec]) => {
      const init = jsNumber(spec.init).code;
      return spec.sharing === "scalar" ? `${param}: ${init}` : `${param}: x.map(() => ${init})`;
    });
    signature = `\n  x: readonly number[],\n  p: { ${types.join("; ")} } = { ${defaults.join(", ")} },\n`;
  }

  const body = ["const n = x.length;"];
  for (const [param, spec] of specs) {
    if (spec.sharing === "scalar") continue;
    body.push(
      `if (p.${param}.length !== n) {`,
      `  throw new RangeError(\`parameter ${param} has \${p.${param}.length} entries for \${n} inputs\`);`,
      "}",
    );
  }
  body.push(
    ...emitter.hoisted,
    "const out: number[] = [];",
    "for (let i = 0; i < n; i++) {",
    ...emitter.locals(scope).map((line) => `  ${line}`),
    `  out.push(${value.code});`,
    "}",
    "return out;",
  );

  const parts = [
    "// Generated by nonlin: plain TypeScript with no dependencies.",
    ...helperSources(emitter.helpers),
    [
      ...doc,
      `export function ${fnName}(${signature}): number[] {`,
      ...body.map((line) => `  ${line}`),
      "}",
    ].join("\n"),
  ];
  return `${parts.join("\n\n")}\n`;
}
