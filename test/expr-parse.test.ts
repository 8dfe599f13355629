import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exprEquals, num, stat } from "../src/expr/ast.js";
import { ExprSyntaxError } from "../src/expr/errors.js";
import { canonicalText, structuralHash } from "../src/expr/hash.js";
import { parseActivation } from "../src/expr/parse.js";
import { printActivation } from "../src/expr/print.js";
import { canonicalActivation } from "../src/expr/simplify.js";

function syntaxErrorOf(text: string): ExprSyntaxError {
  try {
    parseActivation(text);
  } catch (error) {
    assert.ok(error instanceof ExprSyntaxError, `expected ExprSyntaxError, got ${String(error)}`);
    return error;
  }
  assert.fail(`'${text}' parsed without error`);
}

describe("parsing", () => {
  it("reads an undeclared name as a learnable scalar parameter initialised to 1", () => {
    const swish = parseActivation("x * sigmoid(beta * x)");
    assert.deepEqual(swish.params, { beta: { init: 1, learnable: true, sharing: "scalar" } });
  });

  it("reads declarations with init, fixed and sharing modifiers", () => {
    const act = parseActivation("a * x + b where a = -0.5 fixed per_channel, b = 2e-3 per_neuron");
    assert.deepEqual(act.params, {
      a: { init: -0.5, learnable: false, sharing: "channel" },
      b: { init: 0.002, learnable: true, sharing: "neuron" },
    });
  });

  it("gives unary minus lower precedence than ^ and higher than *", () => {
    assert.equal(printActivation(parseActivation("-x^2")), "-x^2");
    assert.ok(exprEquals(parseActivation("-x^2").expr, parseActivation("-(x^2)").expr));
    assert.ok(exprEquals(parseActivation("-x*y").expr, parseActivation("(-x)*y").expr));
    assert.ok(exprEquals(parseActivation("x**3").expr, parseActivation("x^3").expr));
  });

  it("reads square, cube, reciprocal and pow as powers and division", () => {
    assert.equal(
      printActivation(parseActivation("square(x) + cube(x) + reciprocal(x) + pow(x, -2)")),
      "x^2 + x^3 + 1 / x + x^-2",
    );
  });

  const badInputs: [string, number, number, RegExp][] = [
    ["x +", 1, 4, /expected an expression, found the end of the input/],
    ["foo(x)", 1, 1, /unknown function 'foo'/],
    ["sigmoid(x, x)", 1, 1, /sigmoid takes 1 argument, got 2/],
    ["max(x)", 1, 1, /max takes 2 arguments, got 1/],
    ["x ^ 2.5", 1, 5, /exponent of '\^' must be an integer literal/],
    ["exp + 1", 1, 1, /'exp' is a function/],
    ["(x + 1", 1, 7, /expected '\)' to close '\('/],
    ["x $ 2", 1, 3, /unexpected character '\$'/],
    ["x\n  * )", 2, 5, /expected an expression, found '\)'/],
    ["a * x where b = 1", 1, 13, /parameter 'b' is declared but not used/],
    ["a * x where a = 1, a = 2", 1, 20, /declared twice/],
    ["mean(x, rows)", 1, 9, /axis of mean must be one of feature, batch, instance/],
    ["x x", 1, 3, /unexpected 'x' after a complete expression/],
  ];
  for (const [text, line, column, problem] of badInputs) {
    it(`rejects ${JSON.stringify(text)} at line ${line}, column ${column}`, () => {
      const error = syntaxErrorOf(text);
      assert.equal(error.line, line);
      assert.equal(error.column, column);
      assert.match(error.message, problem);
      assert.match(error.message, new RegExp(`^line ${line}, column ${column}: `));
      assert.match(error.pointer(), /\^$/);
    });
  }
});

describe("printing and canonical form", () => {
  const texts = [
    "x * sigmoid(beta * x) where beta = 1",
    "x - (a + b) * -2 where a = 1, b = 1",
    "(-2)^2 + (x^2)^3",
    "mean(x, batch) / std(x) + rms(x, instance) - amax(x)",
    "surrogate(sign(sin(w * x)), sin(w * x)) where w = 3.5 fixed per_channel",
    "where(x - 1, x / (1 + abs(x)), -x^-3) + 1e-7 * exp(-x^2 / 2)",
  ];
  for (const text of texts) {
    it(`round-trips ${text}`, () => {
      const printed = printActivation(parseActivation(text));
      assert.equal(printActivation(parseActivation(printed)), printed);
      const canonical = canonicalActivation(parseActivation(text));
      const canonicalPrinted = printActivation(canonical);
      assert.ok(
        exprEquals(parseActivation(canonicalPrinted).expr, canonical.expr),
        canonicalPrinted,
      );
      assert.equal(canonicalText(parseActivation(canonicalPrinted)), canonicalPrinted);
    });
  }

  const sameCandidates: [string, string][] = [
    ["x*sigmoid(x)", "sigmoid(x)*x"],
    ["x + x", "2*x"],
    ["x*x*x", "x^3"],
    ["-(-x)", "x"],
    ["a + b + x", "x + (b + a)"],
    ["max(x, max(0, x))", "max(0, x)"],
    ["x - y + y", "x"],
    ["(2*x)^2", "4*x^2"],
    ["relu(x) + 0.01*x*gaussian(x)", "0.01*gaussian(x)*x + relu(x)"],
  ];
  for (const [a, b] of sameCandidates) {
    it(`gives ${a} and ${b} one hash`, () => {
      assert.equal(canonicalText(parseActivation(a)), canonicalText(parseActivation(b)));
      assert.equal(structuralHash(parseActivation(a)), structuralHash(parseActivation(b)));
    });
  }

  it("keeps different candidates apart, parameter inits included", () => {
    const hashes = [
      "x*sigmoid(x)",
      "x*tanh(x)",
      "x*sigmoid(2*x)",
      "x*sigmoid(b*x) where b = 2",
      "x*sigmoid(b*x)",
    ].map((text) => structuralHash(parseActivation(text)));
    assert.equal(new Set(hashes).size, hashes.length);
  });

  const simplifications: [string, string][] = [
    ["0*a*x + 1", "1"],
    ["x^-2", "1 / x^2"],
    ["exp(log(2))", "2"],
    ["abs(-x)", "abs(x)"],
    ["stopgrad(2 + 3) * x", "5 * x"],
    ["where(1, x, 3)", "x"],
    ["surrogate(tanh(x), tanh(x))", "tanh(x)"],
    ["x/1 + 0", "x"],
  ];
  for (const [input, output] of simplifications) {
    it(`simplifies ${input} to ${output}`, () => {
      assert.equal(canonicalText(parseActivation(input)), output);
    });
  }

  it("simplifies a tree's mean(3) to 3 (text refuses a statistic of a constant)", () => {
    assert.equal(canonicalText({ expr: stat("mean", num(3)), params: {} }), "3");
  });

  it("does not rewrite a/a to 1 (the safe division differs near 0)", () => {
    assert.equal(canonicalText(parseActivation("x / x")), "x / x");
  });
});
