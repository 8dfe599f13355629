/** `act show` of an expression names the zoo entry it equals (the same canonical form). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { canonicalText } from "../src/expr/hash.js";
import { parseActivation } from "../src/expr/parse.js";
import { ZOO, activationOf, zooEntryEqualTo } from "../src/zoo/index.js";

describe("the zoo entry an expression equals", () => {
  it("finds mish for x * tanh(softplus(x)) and silu for sigmoid(x)*x, written differently", () => {
    assert.equal(zooEntryEqualTo(parseActivation("x * tanh(softplus(x))"))?.name, "mish");
    assert.equal(zooEntryEqualTo(parseActivation("sigmoid(x)*x"))?.name, "silu");
  });

  it("finds none for a different function or different parameter values", () => {
    assert.equal(zooEntryEqualTo(parseActivation("x * sigmoid(2 * x)")), undefined);
    assert.equal(zooEntryEqualTo(parseActivation("x^3 + x")), undefined);
  });

  it("maps every zoo entry to itself or to the first entry of the same canonical form", () => {
    for (const entry of ZOO) {
      const found = zooEntryEqualTo(activationOf(entry))!;
      assert.equal(canonicalText(activationOf(found)), canonicalText(activationOf(entry)));
      assert.ok(ZOO.indexOf(found) <= ZOO.indexOf(entry), entry.name);
    }
  });

  it("nonlin act show says it, in text and in --json", () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "act", "show", ...args], {
        encoding: "utf8",
      });
    const text = run("x * tanh(softplus(x))");
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^ {2}zoo: {10}equals mish \(the same canonical form/m);
    const json = run("x * tanh(softplus(x))", "--json");
    assert.equal(JSON.parse(json.stdout).equalsZooEntry, "mish");
    assert.equal(JSON.parse(run("mish", "--json").stdout).equalsZooEntry, null);
  });
});
