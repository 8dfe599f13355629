/**
 * The grammar is the only way into an expression (nothing is ever `eval`ed):
 *
 *   activation := expr ["where" decl ("," decl)*]
 *   decl       := name "=" number modifier*        modifier: fixed | learnable | scalar | per_channel | per_neuron
 *   expr       := term (("+" | "-") term)*
 *   term       := unary (("*" | "/") unary)*
 *   unary      := "-" unary | power                (so -x^2 is -(x^2), as in Python)
 *   power      := atom ["^" ["-"] integer]         ("**" is read as "^")
 *   atom       := number | "x" | "pi" | "e" | name | function "(" expr ("," expr)* ")" | "(" expr ")"
 *
 * Names that are not functions or constants are parameters; undeclared ones are learnable scalars
 * initialised to 1. `square`, `cube`, `reciprocal` and `pow(a, n)` are read as powers and division.
 * Text nests at most MAX_EXPR_DEPTH levels and makes at most MAX_EXPR_NODES nodes.
 */
import type { Activation, Expr, ParamSharing, ParamSpec, StatAxis } from "./ast.js";
import {
  STAT_AXES,
  arityOf,
  call,
  childrenOf,
  dependsOnInput,
  isCallOp,
  isStatOp,
  num,
  paramNamesOf,
  pow,
  stat,
  X,
} from "./ast.js";
import { ConstantStatisticError, ExprSyntaxError } from "./errors.js";
import type { Token } from "./lexer.js";
import { tokenize } from "./lexer.js";

// Maps, not object literals: a parameter named `constructor` or `toString` must not find
// Object.prototype's members.
const CONSTANTS = new Map([
  ["pi", Math.PI],
  ["e", Math.E],
]);
const SUGAR_ARITY = new Map([
  ["pow", 2],
  ["square", 1],
  ["cube", 1],
  ["reciprocal", 1],
]);
const RESERVED = new Set(["x", "where", ...CONSTANTS.keys()]);
const MODIFIERS = new Set(["fixed", "learnable", "scalar", "per_channel", "per_neuron"]);

export const DEFAULT_PARAM: ParamSpec = { init: 1, learnable: true, sharing: "scalar" };

/** Levels of nesting text may have: parentheses, calls, unary minuses and each operator of a
 * chain such as x + x + … (far above real activations; the parser, printer and derivative
 * recurse once a level). */
export const MAX_EXPR_DEPTH = 200;
/** Nodes an expression's tree may have. */
export const MAX_EXPR_NODES = 2000;

type StatNode = Extract<Expr, { kind: "stat" }>;

class Parser {
  private position = 0;
  /** Every statistic read, with its name's token, checked once the declarations are known. */
  private readonly statistics: { node: StatNode; token: Token }[] = [];
  private nesting = 0;
  private nodes = 0;
  private readonly depths = new WeakMap<Expr, number>();
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.position] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== "end") this.position++;
    return token;
  }

  private fail(token: Token, problem: string): never {
    throw new ExprSyntaxError(problem, token.line, token.column, this.source);
  }

  /** The value of a number token. One beyond float64's range would print as `Infinity`, which
   * reads back as a parameter of that name. */
  private numberOf(token: Token): number {
    const value = Number(token.text);
    if (!Number.isFinite(value))
      this.fail(
        token,
        `the number ${token.text} is too large for a float64 (the largest is about 1.8e308): write a finite number`,
      );
    return value;
  }

  private tooDeep(token: Token): never {
    this.fail(
      token,
      `the expression nests more than ${MAX_EXPR_DEPTH} levels deep (parentheses, calls, unary minuses and each operator of a chain such as x + x + … count): write it with fewer levels`,
    );
  }

  /** Counts one more level of nesting while reading text (undone by `ascend`). */
  private descend(token: Token): void {
    if (++this.nesting > MAX_EXPR_DEPTH) this.tooDeep(token);
  }

  private ascend(): void {
    this.nesting--;
  }

  /** A new node of the tree, read at `token`, counted against the depth and size limits. */
  private node(token: Token, expr: Expr): Expr {
    const depth = 1 + Math.max(0, ...childrenOf(expr).map((child) => this.depths.get(child) ?? 1));
    if (depth > MAX_EXPR_DEPTH) this.tooDeep(token);
    if (++this.nodes > MAX_EXPR_NODES)
      this.fail(
        token,
        `the expression has more than ${MAX_EXPR_NODES} nodes (numbers, names, operators and calls): write a shorter one`,
      );
    this.depths.set(expr, depth);
    return expr;
  }

  private describe(token: Token): string {
    return token.kind === "end" ? "the end of the input" : `'${token.text}'`;
  }

  private expect(text: string, context: string): Token {
    const token = this.next();
    if (token.text !== text || token.kind === "end") {
      this.fail(token, `expected '${text}' ${context}, found ${this.describe(token)}`);
    }
    return token;
  }

  private isOp(text: string): boolean {
    const token = this.peek();
    return token.kind === "op" && token.text === text;
  }

  parseActivation(): Activation {
    const expr = this.parseExpr();
    const declared = new Map<string, { spec: ParamSpec; token: Token }>();
    const afterExpr = this.peek();
    if (afterExpr.kind === "ident" && afterExpr.text === "where") {
      this.next();
      do this.parseDeclaration(declared);
      while (this.isOp(",") && this.next());
    }
    const end = this.peek();
    if (end.kind !== "end") {
      this.fail(end, `unexpected ${this.describe(end)} after a complete expression`);
    }
    const used = paramNamesOf(expr);
    for (const [name, { token }] of declared) {
      if (!used.includes(name)) this.fail(token, `parameter '${name}' is declared but not used`);
    }
    const sharingOf = (name: string): ParamSharing =>
      (declared.get(name)?.spec ?? DEFAULT_PARAM).sharing;
    for (const { node, token } of this.statistics) {
      // a scalar argument has no axis to reduce (jax-js fails with "Axis -1 out of bounds")
      const varies =
        dependsOnInput(node.arg) ||
        paramNamesOf(node.arg).some((name) => sharingOf(name) !== "scalar");
      if (!varies)
        throw new ConstantStatisticError(
          `the argument of ${node.op} depends neither on x nor on a per_channel or per_neuron parameter, so it is one number with no axis to reduce: take ${node.op} of an expression in x, or write the value itself`,
          token.line,
          token.column,
          this.source,
        );
    }
    const params: Record<string, ParamSpec> = Object.fromEntries(
      used.map((name) => [name, declared.get(name)?.spec ?? DEFAULT_PARAM]),
    );
    return { expr, params };
  }

  private parseDeclaration(declared: Map<string, { spec: ParamSpec; token: Token }>): void {
    const nameToken = this.next();
    if (
      nameToken.kind !== "ident" ||
      RESERVED.has(nameToken.text) ||
      this.isFunctionName(nameToken.text)
    ) {
      this.fail(
        nameToken,
        `expected a parameter name to declare, found ${this.describe(nameToken)}`,
      );
    }
    if (declared.has(nameToken.text))
      this.fail(nameToken, `parameter '${nameToken.text}' is declared twice`);
    this.expect("=", `after parameter '${nameToken.text}'`);
    const negative = this.isOp("-") && this.next() !== undefined;
    const valueToken = this.next();
    if (valueToken.kind !== "number") {
      this.fail(
        valueToken,
        `expected the initial value of '${nameToken.text}', found ${this.describe(valueToken)}`,
      );
    }
    let learnable = true;
    let sharing: ParamSharing = "scalar";
    while (this.peek().kind === "ident" && MODIFIERS.has(this.peek().text)) {
      const modifier = this.next().text;
      if (modifier === "fixed" || modifier === "learnable") learnable = modifier === "learnable";
      else
        sharing =
          modifier === "per_channel" ? "channel" : modifier === "per_neuron" ? "neuron" : "scalar";
    }
    const init = (negative ? -1 : 1) * this.numberOf(valueToken);
    declared.set(nameToken.text, { spec: { init, learnable, sharing }, token: nameToken });
  }

  private parseExpr(): Expr {
    this.descend(this.peek());
    let left = this.parseTerm();
    while (this.isOp("+") || this.isOp("-")) {
      const operator = this.next();
      const right = this.parseTerm();
      left = this.node(
        operator,
        call("add", left, operator.text === "+" ? right : this.node(operator, negate(right))),
      );
    }
    this.ascend();
    return left;
  }

  private parseTerm(): Expr {
    let left = this.parseUnary();
    while (this.isOp("*") || this.isOp("/")) {
      const operator = this.next();
      left = this.node(
        operator,
        call(operator.text === "*" ? "mul" : "div", left, this.parseUnary()),
      );
    }
    return left;
  }

  private parseUnary(): Expr {
    if (this.isOp("-")) {
      const minus = this.next();
      this.descend(minus);
      const negated = this.node(minus, negate(this.parseUnary()));
      this.ascend();
      return negated;
    }
    return this.parsePower();
  }

  private parsePower(): Expr {
    const base = this.parseAtom();
    if (!this.isOp("^")) return base;
    const caret = this.next();
    return this.node(caret, pow(base, this.parseIntegerExponent()));
  }

  private parseIntegerExponent(): number {
    const negative = this.isOp("-") && this.next() !== undefined;
    const token = this.next();
    if (token.kind !== "number" || !/^\d+$/.test(token.text)) {
      this.fail(
        token,
        `the exponent of '^' must be an integer literal, found ${this.describe(token)}`,
      );
    }
    const magnitude = this.numberOf(token);
    if (!Number.isSafeInteger(magnitude))
      this.fail(token, `the exponent of '^' must be at most ${Number.MAX_SAFE_INTEGER} in size`);
    return (negative ? -1 : 1) * magnitude;
  }

  private parseAtom(): Expr {
    const token = this.next();
    if (token.kind === "number") return this.node(token, num(this.numberOf(token)));
    if (token.kind === "op" && token.text === "(") {
      const inner = this.parseExpr();
      this.expect(")", "to close '('");
      return inner;
    }
    if (token.kind !== "ident") {
      this.fail(token, `expected an expression, found ${this.describe(token)}`);
    }
    const name = token.text;
    if (this.isFunctionName(name)) {
      if (!this.isOp("(")) this.fail(token, `'${name}' is a function: write ${name}(...)`);
      return this.parseCall(token);
    }
    if (this.isOp("(")) this.fail(token, `unknown function '${name}'`);
    if (name === "x") return this.node(token, X);
    if (name === "where") this.fail(token, "expected an expression, found 'where'");
    const constant = CONSTANTS.get(name);
    if (constant !== undefined) return this.node(token, num(constant));
    return this.node(token, { kind: "param", name });
  }

  private isFunctionName(name: string): boolean {
    return isCallOp(name) || isStatOp(name) || SUGAR_ARITY.has(name);
  }

  private parseCall(nameToken: Token): Expr {
    const name = nameToken.text;
    this.expect("(", `after '${name}'`);
    if (isStatOp(name)) return this.parseStat(nameToken);
    if (name === "pow") {
      const base = this.parseExpr();
      this.expect(",", "between the arguments of pow");
      const exponent = this.parseIntegerExponent();
      this.expect(")", "to close pow(");
      return this.node(nameToken, pow(base, exponent));
    }
    const args: Expr[] = [this.parseExpr()];
    while (this.isOp(",")) {
      this.next();
      args.push(this.parseExpr());
    }
    const closing = this.peek();
    const arity = SUGAR_ARITY.get(name) ?? (isCallOp(name) ? arityOf(name) : 0);
    if (args.length !== arity) {
      this.fail(
        nameToken,
        `${name} takes ${arity} argument${arity === 1 ? "" : "s"}, got ${args.length}`,
      );
    }
    if (closing.text !== ")" || closing.kind !== "op") {
      this.fail(closing, `expected ')' to close ${name}(, found ${this.describe(closing)}`);
    }
    this.next();
    const [first, second, third] = args as [Expr, Expr, Expr];
    if (name === "square") return this.node(nameToken, pow(first, 2));
    if (name === "cube") return this.node(nameToken, pow(first, 3));
    if (name === "reciprocal") return this.node(nameToken, call("div", num(1), first));
    if (name === "neg") return this.node(nameToken, negate(first));
    if (!isCallOp(name)) this.fail(nameToken, `unknown function '${name}'`);
    return this.node(nameToken, call(name, ...[first, second, third].slice(0, arity)));
  }

  private parseStat(nameToken: Token): Expr {
    const op = nameToken.text as Parameters<typeof stat>[0];
    const arg = this.parseExpr();
    let axis: StatAxis = "feature";
    if (this.isOp(",")) {
      this.next();
      const axisToken = this.next();
      if (
        !(STAT_AXES as readonly string[]).includes(axisToken.text) ||
        axisToken.kind !== "ident"
      ) {
        this.fail(
          axisToken,
          `the axis of ${op} must be one of ${STAT_AXES.join(", ")}, found ${this.describe(axisToken)}`,
        );
      }
      axis = axisToken.text as StatAxis;
    }
    const closing = this.peek();
    if (closing.text === ",")
      this.fail(nameToken, `${op} takes an expression and an optional axis`);
    this.expect(")", `to close ${op}(`);
    const node = this.node(nameToken, stat(op, arg, axis)) as StatNode;
    this.statistics.push({ node, token: nameToken });
    return node;
  }
}

/** Negation that folds into a literal, so "-2" reads as the constant -2. */
function negate(expr: Expr): Expr {
  return expr.kind === "const" ? num(-expr.value) : call("neg", expr);
}

/** Parses an activation: an expression with optional `where` parameter declarations. */
export function parseActivation(source: string): Activation {
  return new Parser(tokenize(source), source).parseActivation();
}

/** Parses text and keeps only its expression. */
export function parseExpr(source: string): Expr {
  const activation = parseActivation(source);
  return activation.expr;
}
