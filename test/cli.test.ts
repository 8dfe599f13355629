import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

function nonlin(...args: string[]): { code: number; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
  });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

describe("nonlin act", { timeout: 120_000 }, () => {
  it("lists the zoo as JSON with nothing else on stdout", () => {
    const run = nonlin("act", "list", "--json");
    assert.equal(run.code, 0);
    const rows = JSON.parse(run.stdout) as { name: string; text: string; hash: string }[];
    assert.ok(rows.length >= 35);
    assert.ok(rows.some((row) => row.name === "crrelu" && /eps = 0.01/.test(row.text)));
  });

  it("shows a zoo entry's measured properties and writes an SVG of f and f'", () => {
    const svg = join(mkdtempSync(join(tmpdir(), "nonlin-")), "relu.svg");
    const run = nonlin("act", "show", "relu", "--json", "--svg", svg);
    assert.equal(run.code, 0, run.stderr);
    const shown = JSON.parse(run.stdout) as {
      latex: string;
      properties: {
        range: { min: number; max: number };
        slope: { min: number; max: number };
        monotonicity: string;
        lipschitzEstimate: number;
        valueAtZero: number;
      };
    };
    assert.deepEqual(shown.properties.range, { min: 0, max: 6 });
    assert.deepEqual(shown.properties.slope, { min: 0, max: 1 });
    assert.equal(shown.properties.monotonicity, "increasing");
    assert.equal(shown.properties.valueAtZero, 0);
    assert.ok(Math.abs(shown.properties.lipschitzEstimate - 1) < 1e-9);
    assert.match(run.stderr, /wrote .*relu\.svg/);
    const picture = readFileSync(svg, "utf8");
    assert.match(picture, /^<svg /);
    assert.equal(picture.match(/<polyline /g)?.length, 2);
  });

  it("says an activation that overflows on the grid is unbounded there, not Lipschitz NaN", () => {
    const run = nonlin("act", "show", "exp(exp(x))");
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /NaN \(largest/);
    // f(x) = exp(exp(x)) is not finite from x = 4.49 on (the engine's exp overflows there)
    assert.match(
      run.stdout,
      /Lipschitz {4}unbounded on \[-6, 6\]: f overflows or is NaN at \d+ of 1201 points \(x = [\d.]+ … 6\)/,
    );
    assert.match(run.stdout, /monotonic {4}increasing \(where f is finite\)/);
    const json = nonlin("act", "show", "exp(exp(x))", "--json");
    const shown = JSON.parse(json.stdout) as {
      properties: {
        lipschitzEstimate: number | null;
        nonFinite?: { count: number; lastX: number };
      };
    };
    assert.equal(shown.properties.lipschitzEstimate, null, "Infinity in JSON");
    assert.ok(shown.properties.nonFinite && shown.properties.nonFinite.count > 0);
    assert.equal(shown.properties.nonFinite.lastX, 6);
  });

  it("shows an expression given as text, with its parameters", () => {
    const run = nonlin("act", "show", "x * sigmoid(beta * x) where beta = 2");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /beta = 2 \(learnable, scalar\)/);
    assert.match(run.stdout, /monotonic\s+non-monotonic/);
  });

  it("exports to PyTorch as a module with nn.Parameters", () => {
    const run = nonlin("act", "export", "crrelu", "--to", "torch");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /class Crrelu\(nn\.Module\)/);
    assert.match(run.stdout, /nn\.Parameter\(/);
    assert.match(run.stdout, /def forward\(self, x/);
  });

  const badExpressions: [string, RegExp][] = [
    ["x +", /line 1, column 4: expected an expression, found the end of the input/],
    ["foo(x)", /line 1, column 1: unknown function 'foo'/],
    ["sigmoid(x, x)", /line 1, column 1: sigmoid takes 1 argument, got 2/],
  ];
  for (const [text, message] of badExpressions) {
    it(`exits with 2 and names the position for ${JSON.stringify(text)}`, () => {
      const run = nonlin("act", "show", text);
      assert.equal(run.code, 2);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
      assert.equal(run.stdout, "");
    });
  }

  it("exits with 2 for an unknown export target and an unknown option", () => {
    const target = nonlin("act", "export", "relu", "--to", "onnx");
    assert.equal(target.code, 2);
    assert.match(
      target.stderr,
      /--to: unknown export target 'onnx'; choose one of torch, jax, latex, js/,
    );
    const option = nonlin("act", "list", "--colour");
    assert.equal(option.code, 2);
    assert.match(option.stderr, /unknown option '--colour'/);
  });
});

describe("exit codes", { timeout: 120_000 }, () => {
  it("exits with 2 for a device that does not exist, before anything runs or is recorded", () => {
    const store = join(mkdtempSync(join(tmpdir(), "nonlin-")), "runs.db");
    const run = nonlin("fit", "examples/hello-kan.yaml", "--device", "cuda", "--store", store);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr, "error: unknown device 'cuda': choose one of wasm, webgpu\n");
    assert.equal(run.stdout, "");
    assert.equal(existsSync(store), false);
  });

  for (const args of [
    ["bench", "--preset", "kan-vs-mlp", "--quick"],
    ["search", "--preset", "quick"],
  ])
    it(`exits with 2 for --device cuda in ${args[0]}, with no store and no --out folder`, () => {
      const dir = mkdtempSync(join(tmpdir(), "nonlin-"));
      const [store, out] = [join(dir, "runs.db"), join(dir, "out")];
      const run = nonlin(...args, "--device", "cuda", "--store", store, "--out", out);
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stderr, "error: unknown device 'cuda': choose one of wasm, webgpu\n");
      assert.equal(run.stdout, "");
      assert.equal(existsSync(store), false);
      assert.equal(existsSync(out), false);
    });
});
