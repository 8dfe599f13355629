import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import assert from "node:assert/strict";
import ts from "typescript";

import { ExprError } from "../src/expr/errors.js";
import { EXPORT_TARGETS, exportActivation } from "../src/expr/export/index.js";
import { parseActivation } from "../src/expr/parse.js";

type Vector = readonly number[];
type Exported = (x: Vector, p?: Record<string, unknown>) => number[];

const EPS = 1e-7;

/** Every pointwise operation at least once. */
const ALL_OPS =
  "abs(x) + exp(-x) + sin(x) * cos(x) + tanh(x) + sinh(x / 3) - cosh(x / 4) + asinh(x) + atan(x)" +
  " + sigmoid(x) + erf(x) + softplus(x) + relu(x) + step(x) + sign(x) + gaussian(x) + sinc(x)" +
  " + stopgrad(x) + max(x, 0.5) + min(x, -0.5) + where(x - 1, x^2, -x) + log(x) + sqrt(x)" +
  " + 1 / x + x^-2 + x^3 + surrogate(x, 2 * x)";

const SOURCES = {
  swish: "x * sigmoid(beta * x)",
  bump: "relu(x) + eps * x * exp(-x^2/2) where eps = 0.01",
  rmsnorm: "x / rms(x) * g where g = 1 per_channel",
  spiking: "surrogate(sign(sin(w*x)), sin(w*x)) where w = 3 fixed",
  allOps: ALL_OPS,
  log: "log(x)",
  reciprocal: "1/x",
  sqrt: "sqrt(x)",
  erf: "erf(x)",
  sinc: "sinc(x)",
  stats: "(x - mean(x)) / std(x) + amax(x) + var(x, instance) + 0 * mean(x - mean(x))",
  neuron: "lambda * tanh(a1 * x) - 2 where lambda = 2 fixed per_neuron, a1 = 0.5 per_channel",
  constant: "2 + exp(1)",
} as const;

const INPUTS: Vector = [
  -4, -2.5, -1, -0.3, -1e-5, -1e-9, 0, 1e-9, 2e-5, 0.25, 0.7, 1, 1.5, 2.9999, 3, 3.7,
];

// ---------------------------------------------------------------- independent references

/** erf by composite Simpson integration of 2/sqrt(pi) exp(-t^2) over [0, a]. */
function erfBySimpson(a: number): number {
  const intervals = 20000;
  const h = a / intervals;
  let sum = 1 + Math.exp(-a * a);
  for (let k = 1; k < intervals; k++) {
    const t = k * h;
    sum += (k % 2 === 1 ? 4 : 2) * Math.exp(-t * t);
  }
  return (2 / Math.sqrt(Math.PI)) * (h / 3) * sum;
}

const safeDen = (b: number): number => (b >= 0 ? Math.max(b, EPS) : Math.min(b, -EPS));
const refLog = (a: number): number => Math.log(Math.max(Math.abs(a), EPS));
const refSqrt = (a: number): number => Math.sqrt(Math.max(a, EPS));
const refSinc = (a: number): number => (Math.abs(a) < 1e-4 ? 1 - (a * a) / 6 : Math.sin(a) / a);
const refSoftplus = (a: number): number => Math.log(1 + Math.exp(a));
const refSigmoid = (a: number): number => 1 / (1 + Math.exp(-a));
const mean = (v: Vector): number => v.reduce((s, a) => s + a, 0) / v.length;
const variance = (v: Vector): number => mean(v.map((a) => (a - mean(v)) ** 2));

function refAllOps(x: number): number {
  return (
    Math.abs(x) +
    Math.exp(-x) +
    Math.sin(x) * Math.cos(x) +
    Math.tanh(x) +
    Math.sinh(x / 3) -
    Math.cosh(x / 4) +
    Math.log(x + Math.sqrt(x * x + 1)) +
    Math.atan(x) +
    refSigmoid(x) +
    erfBySimpson(x) +
    refSoftplus(x) +
    (x > 0 ? x : 0) +
    (x > 0 ? 1 : 0) +
    (x > 0 ? 1 : x < 0 ? -1 : 0) +
    Math.exp(-x * x) +
    refSinc(x) +
    x +
    Math.max(x, 0.5) +
    Math.min(x, -0.5) +
    (x - 1 > 0 ? x * x : -x) +
    refLog(x) +
    refSqrt(x) +
    1 / safeDen(x) +
    1 / safeDen(x * x) +
    x * x * x +
    x
  );
}

// ---------------------------------------------------------------- helpers

const workDir = mkdtempSync(join(tmpdir(), "nonlin-export-"));
writeFileSync(join(workDir, "package.json"), '{ "type": "module" }\n');
after(() => rmSync(workDir, { recursive: true, force: true }));

const written = new Map<string, string>();

/** Writes the js export of `source` as a .ts module, imports it and returns the function. */
async function loadJs(key: string, source: string): Promise<Exported> {
  const text = exportActivation(parseActivation(source), "js", key);
  const file = join(workDir, `${key}.ts`);
  writeFileSync(file, text);
  written.set(file, text);
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const fn = module[key];
  assert.equal(typeof fn, "function", `the module exports ${key}`);
  return fn as Exported;
}

function assertClose(actual: Vector, expected: Vector, tolerance: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  actual.forEach((value, i) => {
    const want = expected[i] as number;
    const error = Math.abs(value - want) / Math.max(1, Math.abs(want));
    assert.ok(
      error <= tolerance,
      `${label}[${i}] (x = ${INPUTS[i]}): got ${value}, expected ${want}, error ${error}`,
    );
  });
}

function pythonParses(source: string): { ok: boolean; skipped: boolean; stderr: string } {
  const result = spawnSync("python3", ["-c", "import ast,sys; ast.parse(sys.stdin.read())"], {
    input: source,
    encoding: "utf8",
  });
  if (result.error !== undefined) return { ok: false, skipped: true, stderr: String(result.error) };
  return { ok: result.status === 0, skipped: false, stderr: result.stderr };
}

// ---------------------------------------------------------------- tests

describe("exportActivation", () => {
  test("lists its targets", () => {
    assert.deepEqual([...EXPORT_TARGETS], ["torch", "jax", "latex", "js"]);
  });

  test("rejects an unknown target", () => {
    const activation = parseActivation("x");
    assert.throws(() => exportActivation(activation, "onnx" as never, "f"), ExprError);
  });

  test("the exporters import no Node built-ins", () => {
    const dir = new URL("../src/expr/export/", import.meta.url);
    for (const file of readdirSync(dir)) {
      const text = readFileSync(new URL(file, dir), "utf8");
      const imports = [...text.matchAll(/from\s+"([^"]+)"/g)].map((match) => match[1] as string);
      for (const spec of imports) {
        assert.ok(spec.startsWith("./") || spec.startsWith("../"), `${file} imports ${spec}`);
      }
    }
  });
});

describe("js export", () => {
  test("swish matches x * sigmoid(beta * x), with default and given beta", async () => {
    const swish = await loadJs("swish", SOURCES.swish);
    assertClose(
      swish(INPUTS),
      INPUTS.map((x) => x * refSigmoid(x)),
      1e-15,
      "swish",
    );
    assertClose(
      swish(INPUTS, { beta: 1.7 }),
      INPUTS.map((x) => x / (1 + Math.exp(-1.7 * x))),
      1e-15,
      "swish beta",
    );
  });

  test("a fixed-init scalar parameter and a Gaussian bump", async () => {
    const bump = await loadJs("bump", SOURCES.bump);
    const expected = INPUTS.map((x) => Math.max(x, 0) + 0.01 * x * Math.exp(-(x * x) / 2));
    assertClose(bump(INPUTS), expected, 1e-15, "bump");
  });

  test("rms normalisation hoists the statistic and indexes per-channel parameters", async () => {
    const rmsnorm = await loadJs("rmsnorm", SOURCES.rmsnorm);
    const text = written.get(join(workDir, "rmsnorm.ts")) as string;
    const loop = text.indexOf("for (let i = 0; i < n; i++)");
    assert.ok(text.indexOf("const s0 = _rms(x);") > 0, "rms is hoisted");
    assert.ok(text.indexOf("const s0 = _rms(x);") < loop, "before the element loop");
    const rms = Math.sqrt(Math.max(mean(INPUTS.map((x) => x * x)), EPS));
    assertClose(
      rmsnorm(INPUTS),
      INPUTS.map((x) => x / rms),
      1e-15,
      "rmsnorm",
    );
    const g = INPUTS.map((_, i) => 0.5 + i / 10);
    assertClose(
      rmsnorm(INPUTS, { g }),
      INPUTS.map((x, i) => (x / rms) * (g[i] as number)),
      1e-15,
      "rmsnorm g",
    );
    assert.throws(() => rmsnorm(INPUTS, { g: [1, 2] }), RangeError);
    // rms of an all-zero vector is sqrt(eps), not zero
    assert.deepEqual(rmsnorm([0, 0]), [0, 0]);
  });

  test("surrogate computes the value of its first argument", async () => {
    const spiking = await loadJs("spiking", SOURCES.spiking);
    assertClose(
      spiking(INPUTS),
      INPUTS.map((x) => Math.sign(Math.sin(3 * x))),
      0,
      "spiking",
    );
    assertClose(
      spiking(INPUTS, { w: 2 }),
      INPUTS.map((x) => Math.sign(Math.sin(2 * x))),
      0,
      "spiking w",
    );
  });

  test("every pointwise operation", async () => {
    const allOps = await loadJs("allOps", SOURCES.allOps);
    assertClose(allOps(INPUTS), INPUTS.map(refAllOps), 1e-13, "allOps");
  });

  test("safe log, division and square root; sinc at and near zero", async () => {
    const log = await loadJs("log", SOURCES.log);
    assertClose(log(INPUTS), INPUTS.map(refLog), 1e-15, "log");
    assert.equal(log([0])[0], Math.log(EPS));
    assert.equal(log([-2])[0], Math.log(2));

    const reciprocal = await loadJs("reciprocal", SOURCES.reciprocal);
    assertClose(
      reciprocal(INPUTS),
      INPUTS.map((x) => 1 / safeDen(x)),
      1e-15,
      "1/x",
    );
    assert.deepEqual(reciprocal([0, -1e-9, 1e-9, -0.5]), [1e7, -1e7, 1e7, -2]);

    const sqrt = await loadJs("sqrt", SOURCES.sqrt);
    assertClose(sqrt(INPUTS), INPUTS.map(refSqrt), 1e-15, "sqrt");
    assert.equal(sqrt([-1])[0], Math.sqrt(EPS));

    const sinc = await loadJs("sinc", SOURCES.sinc);
    assertClose(sinc(INPUTS), INPUTS.map(refSinc), 1e-15, "sinc");
    assert.deepEqual(sinc([0]), [1]);
    assert.equal(sinc([2])[0], Math.sin(2) / 2);
    assert.equal(sinc([1e-5])[0], 1 - 1e-10 / 6);
  });

  test("erf agrees with Simpson integration to 1e-13", async () => {
    const erf = await loadJs("erf", SOURCES.erf);
    const xs = [...INPUTS, -6, -3.2, 2.5, 4.5, 5.9];
    const got = erf(xs);
    xs.forEach((x, i) => {
      const error = Math.abs((got[i] as number) - erfBySimpson(x));
      assert.ok(error < 1e-13, `erf(${x}): got ${got[i]}, error ${error}`);
    });
    assert.deepEqual(erf([0, Infinity, -Infinity]), [0, 1, -1]);
    assert.ok(Number.isNaN(erf([NaN])[0]));
  });

  test("statistics over the feature vector; instance equals feature on one sample", async () => {
    const stats = await loadJs("stats", SOURCES.stats);
    const m = mean(INPUTS);
    const std = Math.sqrt(Math.max(variance(INPUTS), EPS));
    const amax = Math.max(...INPUTS);
    const expected = INPUTS.map((x) => (x - m) / std + amax + variance(INPUTS));
    assertClose(stats(INPUTS), expected, 1e-14, "stats");
  });

  test("per-neuron and per-channel arrays, fixed parameters in p", async () => {
    const neuron = await loadJs("neuron", SOURCES.neuron);
    assertClose(
      neuron(INPUTS),
      INPUTS.map((x) => 2 * Math.tanh(0.5 * x) - 2),
      1e-15,
      "neuron",
    );
    const lambda = INPUTS.map((_, i) => i);
    const a1 = INPUTS.map(() => -1);
    assertClose(
      neuron(INPUTS, { lambda, a1 }),
      INPUTS.map((x, i) => i * Math.tanh(-x) - 2),
      1e-15,
      "neuron p",
    );
  });

  test("a constant expression still maps every element", async () => {
    const constant = await loadJs("constant", SOURCES.constant);
    assert.deepEqual(constant([1, 2, 3]), [2 + Math.E, 2 + Math.E, 2 + Math.E]);
  });

  test("emits only the helpers it uses", () => {
    const swish = exportActivation(parseActivation(SOURCES.swish), "js", "swish");
    assert.match(swish, /function _sigmoid\(/);
    assert.doesNotMatch(swish, /_erf|_safeDiv|_EPS|_mean/);
    const recip = exportActivation(parseActivation(SOURCES.reciprocal), "js", "recip");
    assert.match(recip, /const _EPS = 1e-7;/);
    assert.match(recip, /function _safeDiv\(/);
    assert.doesNotMatch(recip, /_sigmoid|_erf/);
  });

  test("batch statistics cannot be exported to js", () => {
    for (const source of ["x - mean(x, batch)", "x / std(x, batch)", "amax(sin(x), batch) * x"]) {
      const activation = parseActivation(source);
      assert.throws(
        () => exportActivation(activation, "js", "f"),
        (error: unknown) =>
          error instanceof ExprError &&
          /batch statistic/.test(error.message) &&
          /torch or jax/.test(error.message),
      );
      // torch and jax can compute them
      assert.match(exportActivation(activation, "torch", "f"), /"batch"/);
      assert.match(exportActivation(activation, "jax", "f"), /"batch"/);
    }
  });

  test("names become valid identifiers", () => {
    const text = exportActivation(parseActivation("x"), "js", "gelu-tanh approx");
    assert.match(text, /export function gelu_tanh_approx\(/);
    assert.match(exportActivation(parseActivation("x"), "js", "class"), /export function class_\(/);
    assert.match(exportActivation(parseActivation("x"), "js", "2x"), /export function f_2x\(/);
  });

  test("the generated sources compile under strict TypeScript", async () => {
    for (const [key, source] of Object.entries(SOURCES)) await loadJs(key, source);
    const files = [...written.keys()];
    const program = ts.createProgram(files, {
      strict: true,
      noUncheckedIndexedAccess: true,
      noUnusedLocals: true,
      noUnusedParameters: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ES2022,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      types: [],
      noEmit: true,
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const where = diagnostic.file?.fileName ?? "";
      return `${where}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`;
    });
    assert.deepEqual(diagnostics, []);
  });
});

describe("torch export", () => {
  test("valid Python for every sample activation", (t) => {
    for (const [key, source] of Object.entries(SOURCES)) {
      const text = exportActivation(parseActivation(source), "torch", key);
      const result = pythonParses(text);
      if (result.skipped) return t.skip("python3 is not available");
      assert.ok(result.ok, `${key}:\n${result.stderr}\n${text}`);
    }
  });

  test("a module class with parameters and buffers", () => {
    const swish = exportActivation(parseActivation(SOURCES.swish), "torch", "swish_beta");
    assert.match(swish, /^import torch$/m);
    assert.match(swish, /^from torch import nn$/m);
    assert.match(swish, /^class SwishBeta\(nn\.Module\):$/m);
    assert.match(swish, /def __init__\(self, num_channels: int = 1\) -> None:/);
    assert.match(swish, /self\.beta = nn\.Parameter\(torch\.full\(\(\), 1\.0\)\)/);
    assert.match(swish, /def forward\(self, x: torch\.Tensor\) -> torch\.Tensor:/);
    assert.match(swish, /return x \* torch\.sigmoid\(self\.beta \* x\)/);
    assert.doesNotMatch(swish, /def _safe_div|_EPS/);

    const spiking = exportActivation(parseActivation(SOURCES.spiking), "torch", "spiking");
    assert.match(spiking, /self\.register_buffer\("w", torch\.full\(\(\), 3\.0\)\)/);
    assert.doesNotMatch(spiking, /nn\.Parameter/);
    assert.match(spiking, /return g \+ \(f - g\)\.detach\(\)/);

    const rmsnorm = exportActivation(parseActivation(SOURCES.rmsnorm), "torch", "rms norm");
    assert.match(rmsnorm, /^class RmsNorm\(nn\.Module\):$/m);
    assert.match(rmsnorm, /self\.g = nn\.Parameter\(torch\.full\(\(num_channels,\), 1\.0\)\)/);
    assert.match(rmsnorm, /_safe_div\(x, _rms\(x, "feature"\)\) \* self\.g/);

    const neuron = exportActivation(parseActivation(SOURCES.neuron), "torch", "neuron");
    assert.match(neuron, /feature_shape: Optional\[Tuple\[int, \.\.\.\]\] = None/);
    assert.match(neuron, /self\.register_buffer\("lambda_", torch\.full\(feature_shape, 2\.0\)\)/);
    assert.match(neuron, /self\.a1 = nn\.Parameter\(torch\.full\(\(num_channels,\), 0\.5\)\)/);
  });

  test("safe helpers, emitted only when used", () => {
    const text = exportActivation(
      parseActivation("1/x + log(x) + sqrt(x) + sinc(x)"),
      "torch",
      "f",
    );
    assert.match(text, /^_EPS = 1e-7$/m);
    assert.match(
      text,
      /torch\.where\(b >= 0, torch\.clamp\(b, min=_EPS\), torch\.clamp\(b, max=-_EPS\)\)/,
    );
    assert.match(text, /torch\.log\(torch\.clamp\(torch\.abs\(a\), min=_EPS\)\)/);
    assert.match(text, /torch\.sqrt\(torch\.clamp\(a, min=_EPS\)\)/);
    assert.match(text, /def _sinc\(a\):/);
    assert.match(
      text,
      /return _safe_div\(1\.0, x\) \+ _safe_log\(x\) \+ _safe_sqrt\(x\) \+ _sinc\(x\)/,
    );
    assert.doesNotMatch(text, /def _mean|def _softplus/);
  });

  test("constants become tensors where torch needs them", () => {
    const text = exportActivation(parseActivation("max(x, 0.5) + 2 + exp(1)"), "torch", "f");
    assert.match(
      text,
      /torch\.maximum\(x, x\.new_tensor\(0\.5\)\) \+ 2\.0 \+ torch\.exp\(x\.new_tensor\(1\.0\)\)/,
    );
    const constant = exportActivation(parseActivation("2"), "torch", "f");
    assert.match(constant, /return torch\.zeros_like\(x\) \+ 2\.0/);
  });
});

describe("jax export", () => {
  test("valid Python for every sample activation", (t) => {
    for (const [key, source] of Object.entries(SOURCES)) {
      const text = exportActivation(parseActivation(source), "jax", key);
      const result = pythonParses(text);
      if (result.skipped) return t.skip("python3 is not available");
      assert.ok(result.ok, `${key}:\n${result.stderr}\n${text}`);
    }
  });

  test("init_params and the function", () => {
    const spiking = exportActivation(parseActivation(SOURCES.spiking), "jax", "spiking");
    assert.match(spiking, /^import jax$/m);
    assert.match(spiking, /^import jax\.numpy as jnp$/m);
    assert.match(spiking, /^def init_params\(num_channels=1\):$/m);
    assert.match(spiking, /"w": jnp\.full\(\(\), 3\.0\),/);
    assert.match(spiking, /^FIXED_PARAMS = \("w",\)$/m);
    assert.match(spiking, /^def spiking\(x, params\):$/m);
    assert.match(spiking, /jax\.lax\.stop_gradient\(params\["w"\]\)/);
    assert.match(spiking, /g \+ jax\.lax\.stop_gradient\(f - g\)/);

    const rmsnorm = exportActivation(parseActivation(SOURCES.rmsnorm), "jax", "rmsnorm");
    assert.match(rmsnorm, /"g": jnp\.full\(\(num_channels,\), 1\.0\),/);
    assert.match(rmsnorm, /^FIXED_PARAMS = \(\)$/m);
    assert.match(rmsnorm, /return _safe_div\(x, _rms\(x, "feature"\)\) \* params\["g"\]/);

    const erf = exportActivation(parseActivation("erf(x) + sigmoid(x)"), "jax", "f");
    assert.match(erf, /return jax\.lax\.erf\(x\) \+ jax\.nn\.sigmoid\(x\)/);
  });
});

describe("latex export", () => {
  const cases: [string, string][] = [
    ["x * sigmoid(beta * x)", "x \\sigma\\left(\\beta x\\right)"],
    [
      "relu(x) + eps * x * exp(-x^2/2) where eps = 0.01",
      "\\operatorname{ReLU}\\left(x\\right) + \\mathrm{eps} x \\exp\\left(\\frac{-x^{2}}{2}\\right)",
    ],
    ["x / rms(x) * g", "\\frac{x}{\\operatorname{rms}_{\\text{feature}}\\left(x\\right)} g"],
    [
      "erf(x) * 2 - (x + 1)^2",
      "\\operatorname{erf}\\left(x\\right) \\cdot 2 - \\left(x + 1\\right)^{2}",
    ],
    [
      "stopgrad(alpha1 * x) + w_out * mean(x, batch)",
      "\\operatorname{sg}\\left(\\alpha_{1} x\\right) + w_{\\mathrm{out}} \\mu_{\\text{batch}}\\left(x\\right)",
    ],
    ["-(x + 1) * 1e-7", "-\\left(x + 1\\right) \\cdot 10^{-7}"],
    [
      "where(x, x, 0.5 * x)",
      "\\begin{cases} x & x > 0 \\\\ 0.5 x & \\text{otherwise} \\end{cases}",
    ],
    [
      "a1 / sqrt(x) + sinc(pi * x)",
      "\\frac{a_{1}}{\\sqrt{x}} + \\operatorname{sinc}\\left(\\pi x\\right)",
    ],
    [
      "softplus(x) - max(x, 0) * abs(Omega)",
      "\\operatorname{softplus}\\left(x\\right) - \\max\\left(x, 0\\right) \\left|\\Omega\\right|",
    ],
    ["gaussian(x) + x^-1", "\\exp\\left(-x^{2}\\right) + x^{-1}"],
  ];
  for (const [source, expected] of cases) {
    test(source, () => {
      assert.equal(exportActivation(parseActivation(source), "latex", "f"), expected);
    });
  }
});
