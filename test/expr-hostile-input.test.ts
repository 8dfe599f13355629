/**
 * The expression language against hostile text (issue 18): names that are members of
 * Object.prototype, numbers beyond float64's range, statistics of a constant, deep nesting.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { startEngine } from "../src/engine/device.js";
import { arrayFrom } from "../src/engine/dtype.js";
import { takeValues } from "../src/engine/ownership.js";
import { buildActivationFn } from "../src/expr/compile.js";
import { derivative, derivativeActivation } from "../src/expr/derivative.js";
import { initialParamValues, scalarFunction } from "../src/expr/evaluate.js";
import { canonicalText } from "../src/expr/hash.js";
import { ExprSyntaxError } from "../src/expr/errors.js";
import { MAX_EXPR_DEPTH, MAX_EXPR_NODES, parseActivation, parseExpr } from "../src/expr/parse.js";
import { printActivation } from "../src/expr/print.js";

function nonlin(...args: string[]): { code: number; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
  });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

function syntaxErrorOf(text: string): ExprSyntaxError {
  try {
    parseActivation(text);
  } catch (error) {
    assert.ok(error instanceof ExprSyntaxError, `expected ExprSyntaxError, got ${String(error)}`);
    return error;
  }
  assert.fail(`'${text.slice(0, 60)}' parsed without error`);
}

describe("parameters named like members of Object.prototype", { timeout: 120_000 }, () => {
  const cases: [string, string, number][] = [
    ["x * constructor", "constructor", 1],
    ["x * toString", "toString", 1],
    ["x * __proto__ where __proto__ = 2", "__proto__", 2],
  ];
  for (const [text, name, init] of cases) {
    it(`reads ${JSON.stringify(text)} with '${name}' as an ordinary parameter`, () => {
      const activation = parseActivation(text);
      assert.deepEqual(Object.keys(activation.params), [name]);
      assert.ok(Object.hasOwn(activation.params, name));
      assert.deepEqual(activation.params[name], { init, learnable: true, sharing: "scalar" });
      assert.equal(Object.getPrototypeOf(activation.params), Object.prototype);
      const printed = printActivation(activation);
      assert.equal(printed, `x * ${name} where ${name} = ${init}`);
      assert.equal(printActivation(parseActivation(printed)), printed);
      assert.equal(canonicalText(activation), `${name} * x where ${name} = ${init}`);
      assert.deepEqual(derivativeActivation(activation).params, {
        [name]: activation.params[name],
      });
      const f = scalarFunction(activation.expr, initialParamValues(activation));
      assert.equal(f(1.5), 1.5 * init);
    });

    it(`act show ${JSON.stringify(text)} exits 0 and shows '${name}'`, () => {
      const run = nonlin("act", "show", text);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`formula: +x \\* ${name} where ${name} = ${init}\\n`));
      assert.match(
        run.stdout,
        new RegExp(`parameters: +${name} = ${init} \\(learnable, scalar\\)`),
      );
      assert.match(run.stdout, new RegExp(`range +\\[${-6 * init}, ${6 * init}\\]`));
    });
  }

  it("refuses an undeclared name that is a member of Object.prototype as a function", () => {
    assert.throws(() => parseActivation("constructor(x)"), /unknown function 'constructor'/);
    assert.throws(() => parseActivation("x * hasOwnProperty(x)"), /unknown function/);
  });
});

describe("numbers beyond float64's range", { timeout: 120_000 }, () => {
  const cases: [string, number, string][] = [
    ["1e999*x", 1, "1e999"],
    ["x*beta where beta = 1e999", 21, "1e999"],
    ["x*beta where beta = -1e999", 22, "1e999"],
    ["x ^ " + "9".repeat(400), 5, "9".repeat(400)],
  ];
  for (const [text, column, literal] of cases) {
    it(`refuses ${JSON.stringify(text.slice(0, 40))} at line 1, column ${column}`, () => {
      const error = syntaxErrorOf(text);
      assert.equal(error.line, 1);
      assert.equal(error.column, column);
      assert.equal(
        error.message,
        `line 1, column ${column}: the number ${literal} is too large for a float64 (the largest is about 1.8e308): write a finite number`,
      );
    });
  }

  it("act show exits 2 for 1e999*x and x*beta where beta = 1e999, writing nothing", () => {
    for (const [text, column] of [
      ["1e999*x", 1],
      ["x*beta where beta = 1e999", 21],
    ] as const) {
      const run = nonlin("act", "show", text);
      assert.equal(run.code, 2, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(`line 1, column ${column}: the number 1e999 is too large`),
      );
      assert.equal(run.stdout, "");
    }
  });

  it("still reads the largest finite numbers and underflow to 0", () => {
    assert.equal(printActivation(parseActivation("1.7e308 * x")), "1.7e+308 * x");
    assert.equal(parseActivation("x * b where b = 1e-999").params.b?.init, 0);
  });
});

describe("statistics of an argument that is one number", { timeout: 120_000 }, () => {
  const message = (op: string): string =>
    `the argument of ${op} depends neither on x nor on a per_channel or per_neuron parameter, so it is one number with no axis to reduce: take ${op} of an expression in x, or write the value itself`;
  const cases: [string, number, number, string][] = [
    ["x + mean(1)", 1, 5, "mean"],
    ["rms(2, instance)", 1, 1, "rms"],
    ["x *\n  std(beta * pi, batch) where beta = 2", 2, 3, "std"],
    ["var(exp(-3)) + amax(x)", 1, 1, "var"],
    ["x + amax(c) where c = 1 fixed scalar", 1, 5, "amax"],
  ];
  for (const [text, line, column, op] of cases) {
    it(`refuses ${JSON.stringify(text)} at line ${line}, column ${column}`, () => {
      const error = syntaxErrorOf(text);
      assert.equal(error.line, line);
      assert.equal(error.column, column);
      assert.equal(error.message, `line ${line}, column ${column}: ${message(op)}`);
    });
  }

  it("keeps statistics of x and of per-channel or per-neuron parameters", () => {
    for (const text of [
      "x - mean(x)",
      "x / std(a * x, instance)",
      "x + mean(v, batch) where v = 1 per_channel",
      "x * rms(w) where w = 2 per_neuron",
    ])
      assert.doesNotThrow(() => parseActivation(text), text);
  });

  it("act show exits 2 for x + mean(1) and rms(2, instance), naming the position", () => {
    for (const [text, column, op] of [
      ["x + mean(1)", 5, "mean"],
      ["rms(2, instance)", 1, "rms"],
    ] as const) {
      const run = nonlin("act", "show", text);
      assert.equal(run.code, 2, run.stderr);
      assert.ok(run.stderr.includes(`line 1, column ${column}: ${message(op)}`), run.stderr);
      assert.equal(run.stdout, "");
    }
  });
});

describe("limits on nesting and size", { timeout: 120_000 }, () => {
  const deep = `line 1, column COLUMN: the expression nests more than ${MAX_EXPR_DEPTH} levels deep (parentheses, calls, unary minuses and each operator of a chain such as x + x + … count): write it with fewer levels`;
  const groups = Array.from({ length: 20 }, () => `(${Array(100).fill("x").join(" + ")})`);
  const cases: [string, string, string][] = [
    [
      "2,000 nested parentheses",
      `${"(".repeat(2000)}x${")".repeat(2000)}`,
      deep.replace("COLUMN", "201"),
    ],
    ["5,000 terms x+x+…", Array(5000).fill("x").join("+"), deep.replace("COLUMN", "400")],
    ["5,000 unary minuses", `${"-".repeat(5000)}x`, deep.replace("COLUMN", "200")],
    [
      // the 2,001st node is the second x of the 11th sum
      "20 sums of 100 terms",
      groups.join(" + "),
      `line 1, column 4026: the expression has more than ${MAX_EXPR_NODES} nodes (numbers, names, operators and calls): write a shorter one`,
    ],
  ];
  for (const [name, text, message] of cases) {
    it(`refuses ${name} quickly, naming the position`, () => {
      const start = performance.now();
      const error = syntaxErrorOf(text);
      assert.ok(performance.now() - start < 500, `${performance.now() - start} ms`);
      assert.equal(error.message, message);
    });
  }

  it("act show exits 2 with the message for each, writing nothing", () => {
    for (const [, text, message] of cases) {
      const run = nonlin("act", "show", "--", text);
      assert.equal(run.code, 2, run.stderr);
      assert.ok(run.stderr.includes(message), run.stderr.slice(0, 300));
      assert.doesNotMatch(run.stderr, /call stack/);
      assert.ok(run.stderr.length < 1000, "the long line is not echoed whole");
      assert.equal(run.stdout, "");
    }
  });

  it("points into a long line with 80 characters around the column", () => {
    const error = syntaxErrorOf(Array(5000).fill("x").join("+"));
    const [, shown, caret] = error.pointer().split("\n") as [string, string, string];
    assert.equal(shown, `  …${"+x".repeat(40)}…`);
    assert.equal(caret, `${" ".repeat(43)}^`);
    assert.equal(shown[caret.indexOf("^")], "+");
    assert.equal(
      syntaxErrorOf("x +").pointer(),
      "line 1, column 4: expected an expression, found the end of the input\n  x +\n     ^",
    );
  });

  it("reads, prints and differentiates expressions within the limits", () => {
    for (const text of [
      `${"(".repeat(MAX_EXPR_DEPTH - 1)}x${")".repeat(MAX_EXPR_DEPTH - 1)}`,
      `${"sin(".repeat(MAX_EXPR_DEPTH - 1)}x${")".repeat(MAX_EXPR_DEPTH - 1)}`,
      Array(MAX_EXPR_DEPTH).fill("x").join(" * "),
      `${"-".repeat(MAX_EXPR_DEPTH - 1)}x`,
    ]) {
      const activation = parseActivation(text);
      assert.equal(
        printActivation(parseActivation(printActivation(activation))),
        printActivation(activation),
      );
      assert.doesNotThrow(() => derivative(activation.expr));
    }
  });

  it("differentiates sin nested 100 deep in under 0.2 s, matching finite differences", () => {
    const expr = parseExpr(`${"sin(".repeat(100)}x${")".repeat(100)}`);
    const start = performance.now();
    const slope = derivative(expr);
    const seconds = (performance.now() - start) / 1000;
    assert.ok(seconds < 0.2, `${seconds} s`);
    const f = scalarFunction(expr, {});
    const df = scalarFunction(slope, {});
    for (const x of [-1.3, 0.4, 2]) {
      const h = 1e-5;
      const difference = (f(x + h) - f(x - h)) / (2 * h);
      assert.ok(Math.abs(df(x) - difference) < 1e-8, `${x}: ${df(x)} vs ${difference}`);
    }
  });
});

describe("integer exponents beyond 32 bits", { timeout: 120_000 }, () => {
  it("compiles x^3000000000 (the power read the exponent as a 32-bit integer and crashed)", async () => {
    await startEngine("wasm");
    const f = buildActivationFn(parseActivation("x ^ 3000000000"), "float64");
    const y = takeValues(f(arrayFrom(new Float64Array([1, -1, 0.5]), [3], "float64"), {}));
    // 3e9 is even: 1 and (-1)^3e9 = 1; 0.5^3e9 underflows to 0
    assert.deepEqual([...y], [1, 1, 0]);
    const result = nonlin("act", "show", "x ^ 3000000000");
    assert.equal(result.code, 0, result.stderr);
  });

  it("refuses an exponent that is not a safe integer, at its position", () => {
    const error = syntaxErrorOf("x ^ 99999999999999999999");
    assert.equal(error.column, 5);
    assert.match(error.message, /the exponent of '\^' must be at most 9007199254740991 in size/);
  });
});
