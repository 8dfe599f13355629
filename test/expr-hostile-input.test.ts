/**
 * The expression language against hostile text (issue 18): names that are members of
 * Object.prototype, and more defects added below.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { derivativeActivation } from "../src/expr/derivative.js";
import { initialParamValues, scalarFunction } from "../src/expr/evaluate.js";
import { canonicalText } from "../src/expr/hash.js";
import { parseActivation } from "../src/expr/parse.js";
import { printActivation } from "../src/expr/print.js";

function nonlin(...args: string[]): { code: number; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
  });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
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
