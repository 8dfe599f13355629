/**
 * Whole-model export to JAX (src/train/export-jax.ts) and the activations' JAX export
 * (src/expr/export/jax.ts), run in real JAX (scripts/jax-python.sh, pinned): every exported model
 * is run by JAX and compared with nonlin's own forward pass on the same weights and inputs — the
 * cases and tolerances of the ONNX export's test (test/support/graph-cases.ts), float32 and
 * float64. The exported function must also be a JAX function as JAX users use one: jit gives the
 * same values, and its gradients are nonlin's (central differences of nonlin's outputs; nonlin's
 * stopgrad and surrogate gradients). One Python process runs every case.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { before, describe, it } from "node:test";
import { startEngine } from "../src/engine/device.js";
import { isPointwise } from "../src/expr/ast.js";
import { initialParamValues, scalarFunction } from "../src/expr/evaluate.js";
import { exportActivation } from "../src/expr/export/index.js";
import type { LayerSpec } from "../src/nn/model.js";
import { LAYER_DEFINITIONS } from "../src/nn/registry.js";
import { modelToJax } from "../src/train/export-jax.js";
import type { OnnxExportOptions } from "../src/train/export-onnx.js";
import { initialState } from "../src/train/jax-engine.js";
import { encodeSafetensors } from "../src/train/safetensors.js";
import type { HostState } from "../src/train/trial-engine.js";
import { activationOf, ZOO } from "../src/zoo/index.js";
import type { Case } from "./support/graph-cases.js";
import {
  CNN_LAYERS,
  EXPRESSIONS,
  KAN_LAYERS,
  LAYER_GRAPH_CASES,
  MLP_LAYERS,
  nonlinOutputs,
  perturbed,
  toleranceOf,
  uniform,
  worstError,
} from "./support/graph-cases.js";
import { jaxPython, runJax } from "./support/jax-python.js";

const dir = mkdtempSync(join(tmpdir(), "nonlin-jax-export-"));
const ROWS = 37;

interface ModelJob {
  name: string;
  folder: string;
  x: number[];
  shape: number[];
  dtype: string;
}
interface ActivationJob {
  name: string;
  file: string;
  fn: string;
  x: number[];
  shape: number[];
}
interface GradientJob {
  name: string;
  folder: string;
  x: number[];
  shape: number[];
}
interface Results {
  models: Record<string, { values: number[]; dtype: string }>;
  activations: Record<string, number[]>;
  gradients: Record<
    string,
    { jit: number[]; eager: number[]; dx: number[]; params: Record<string, boolean> }
  >;
}

/** What each check expects, filled in as the jobs are written. */
const expected = new Map<string, { outputs: Float64Array; tolerance: number }>();
const jobs = {
  models: [] as ModelJob[],
  activations: [] as ActivationJob[],
  gradients: [] as GradientJob[],
};

let exports = 0;

/** Writes a model's export (model.py, weights.safetensors) to a folder of its own. */
function writeExport(c: Case, state: HostState, options: OnnxExportOptions = {}): string {
  const folder = join(dir, `model-${exports++}`);
  mkdirSync(folder, { recursive: true });
  const jax = modelToJax(
    { layers: c.layers, inputShape: c.inputShape, dtype: c.dtype ?? "float32" },
    state,
    options,
  );
  writeFileSync(join(folder, "model.py"), jax.code);
  writeFileSync(join(folder, "weights.safetensors"), encodeSafetensors(jax.arrays));
  return folder;
}

/** A random model of `c` (seeded init, every param perturbed) on random inputs, as a job. */
function modelJob(name: string, c: Case, seed: number, low = -2, high = 2): void {
  const state = perturbed(initialState(c.layers, c.inputShape, c.dtype ?? "float32", seed), seed);
  const width = c.inputShape.reduce((a, b) => a * b, 1);
  const x = uniform(ROWS * width, seed + 7, low, high);
  const outputs = nonlinOutputs(c, state, x, ROWS);
  assert.ok(outputs.every(Number.isFinite), `${name}: nonlin's outputs are finite`);
  const folder = writeExport(c, state);
  expected.set(name, { outputs, tolerance: toleranceOf(c) });
  jobs.models.push({
    name,
    folder,
    x: [...x],
    shape: [ROWS, ...c.inputShape],
    dtype: c.dtype ?? "float32",
  });
}

const [MLP, CNN, KAN] = [MLP_LAYERS, CNN_LAYERS, KAN_LAYERS];
/** Activations whose gradients nonlin defines itself, then a linear layer (so the gradient with
 * respect to x is Σ W2·f'(z)·W1, whatever values f takes). */
const GRADIENT_MODEL: LayerSpec[] = [
  {
    type: "dense",
    units: 3,
    activation: "surrogate(step(x), sigmoid(x)) + stopgrad(x^2) + tanh(x)",
  },
  { type: "dense", units: 2 },
];

/** Polynomial pieces only (splines and an identity base), for central differences. */
const KAN_POLYNOMIAL: LayerSpec[] = [
  { type: "kan", units: 4, grid_size: 5, order: 3, base: "x" },
  { type: "kan", units: 2, grid_size: 3, order: 2, base: "x" },
];

/** Central differences of nonlin's summed outputs with respect to each input value. */
function centralDifferences(c: Case, state: HostState, x: Float64Array, rows: number) {
  const h = 1e-5;
  const sum = (v: Float64Array) => nonlinOutputs(c, state, v, rows).reduce((a, b) => a + b, 0);
  return Float64Array.from(x, (value, i) => {
    const plus = Float64Array.from(x);
    const minus = Float64Array.from(x);
    plus[i] = value + h;
    minus[i] = value - h;
    return (sum(plus) - sum(minus)) / (2 * h);
  });
}

/** Every layer type (conv_kan's inner layers too) a list of cases uses. */
function typesOf(cases: Case[]): Set<string> {
  const types = new Set<string>();
  for (const c of cases)
    for (const layer of c.layers) {
      types.add(layer.type);
      const inner = (layer as { inner?: { type: string } }).inner;
      if (inner) types.add(inner.type);
    }
  return types;
}

let results: Results | undefined;
let gradientCase: { state: HostState; x: Float64Array; rows: number } | undefined;
const python = jaxPython();

/** Skips the test (saying why) where there is no JAX; else the results. */
function resultsOr(t: TestContext): Results | undefined {
  if (python.skip !== undefined) {
    t.skip(python.skip);
    return undefined;
  }
  assert.ok(results, "the JAX run finished");
  return results;
}

const RUNNER = String.raw`
import importlib.util, json, os, sys
import numpy as np

job = json.load(open(sys.argv[1]))
out = {"models": {}, "activations": {}, "gradients": {}}

def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

# float32 models first: a float64 model's module turns JAX's 64-bit types on for the process
models = sorted(job["models"], key=lambda case: case["dtype"] == "float64")
for k, case in enumerate(models):
    module = load(os.path.join(case["folder"], "model.py"), "exported_%d" % k)
    params = module.load_params(case["folder"])
    x = np.asarray(case["x"], dtype=module.DTYPE).reshape(case["shape"])
    y = module.apply(params, x)
    out["models"][case["name"]] = {"values": np.asarray(y, np.float64).ravel().tolist(), "dtype": str(y.dtype)}

import jax
jax.config.update("jax_enable_x64", True)
for k, case in enumerate(job["activations"]):
    module = load(case["file"], "activation_%d" % k)
    x = np.asarray(case["x"], dtype=np.float64).reshape(case["shape"])
    y = getattr(module, case["fn"])(x, module.init_params(case["shape"][-1]))
    out["activations"][case["name"]] = np.asarray(y, np.float64).ravel().tolist()

for k, case in enumerate(job["gradients"]):
    module = load(os.path.join(case["folder"], "model.py"), "gradient_%d" % k)
    params = module.load_params(case["folder"])
    x = np.asarray(case["x"], dtype=module.DTYPE).reshape(case["shape"])
    total = lambda p, v: module.apply(p, v).sum()
    by_params = jax.grad(total)(params, x)
    out["gradients"][case["name"]] = {
        "eager": np.asarray(module.apply(params, x)).ravel().tolist(),
        "jit": np.asarray(jax.jit(module.apply)(params, x)).ravel().tolist(),
        "dx": np.asarray(jax.grad(total, argnums=1)(params, x)).ravel().tolist(),
        "params": {name: bool(np.all(np.isfinite(g))) and g.shape == params[name].shape for name, g in by_params.items()},
    }
print(json.dumps(out))
`;

/**
 * The gradient nonlin defines for GRADIENT_MODEL's summed outputs with respect to x, by hand with
 * JavaScript's Math: Σ_o d/dx_j = Σ_k W1[j,k]·f'(z_k)·Σ_o W2[k,o] with z = x·W1 + b1 and f' the
 * activation's derivative by nonlin's rules — sigmoid' for surrogate(step, sigmoid), 0 for
 * stopgrad(z²), tanh'. (A difference quotient of the values cannot see the first two.)
 */
function gradientByHand(state: HostState, x: Float64Array, rows: number): Float64Array {
  const w1 = state[0]!.params.w!.values;
  const b1 = state[0]!.params.b!.values;
  const w2 = state[1]!.params.w!.values;
  const [n, k, o] = [3, 3, 2];
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++)
    for (let u = 0; u < k; u++) {
      let z = b1[u]!;
      for (let j = 0; j < n; j++) z += x[r * n + j]! * w1[j * k + u]!;
      const s = 1 / (1 + Math.exp(-z));
      const slope = s * (1 - s) + (1 - Math.tanh(z) ** 2);
      let downstream = 0;
      for (let q = 0; q < o; q++) downstream += w2[u * o + q]!;
      for (let j = 0; j < n; j++) out[r * n + j]! += w1[j * k + u]! * slope * downstream;
    }
  return out;
}

before(() => {
  startEngine("wasm");
  modelJob("MLP", { layers: MLP, inputShape: [5] }, 1);
  modelJob("MLP, float64", { layers: MLP, inputShape: [5], dtype: "float64" }, 2);
  modelJob("CNN", { layers: CNN, inputShape: [10, 9, 2] }, 3, 0, 1);
  modelJob("CNN, float64", { layers: CNN, inputShape: [10, 9, 2], dtype: "float64" }, 3, 0, 1);
  modelJob("B-spline KAN", { layers: KAN, inputShape: [3] }, 4, -1.6, 1.6);
  modelJob("B-spline KAN, float64", { layers: KAN, inputShape: [3], dtype: "float64" }, 4);
  for (const [name, c] of LAYER_GRAPH_CASES) {
    modelJob(name, c, 21, -1.5, 1.5);
    modelJob(`${name}, float64`, { ...c, dtype: "float64" }, 22, -1.5, 1.5);
  }
  for (const [name, text] of Object.entries(EXPRESSIONS)) {
    const layers: LayerSpec[] = [
      { type: "dense", units: 6, activation: text },
      { type: "dense", units: 2 },
    ];
    modelJob(`expression ${name}`, { layers, inputShape: [3] }, 31, -3, 3);
    // atan too: JAX has float64 Atan (onnxruntime does not)
    modelJob(
      `expression ${name}, float64`,
      { layers, inputShape: [3], dtype: "float64" },
      32,
      -4,
      4,
    );
  }
  for (const entry of ZOO)
    modelJob(
      `zoo ${entry.name}`,
      {
        layers: [
          { type: "dense", units: 6, activation: entry.name },
          { type: "dense", units: 2 },
        ],
        inputShape: [3],
      },
      41,
      -3,
      3,
    );

  // the task's scalings in the graph: raw rows in, the targets' units out
  {
    const c: Case = { layers: MLP, inputShape: [5] };
    const state = perturbed(initialState(MLP, [5], "float32", 7), 7);
    const inputScaling = {
      kind: "standard" as const,
      shift: [10, -3, 0, 1, 2],
      scale: [4, 0.5, 1, 2, 3],
    };
    const targetScaling = { kind: "standard" as const, shift: [100, -1, 0], scale: [20, 2, 1] };
    const raw = uniform(ROWS * 5, 3, -5, 15);
    const stored = raw.map((v, i) => (v - inputScaling.shift[i % 5]!) / inputScaling.scale[i % 5]!);
    const model = nonlinOutputs(c, state, stored, ROWS);
    const outputs = model.map(
      (v, i) => v * targetScaling.scale[i % 3]! + targetScaling.shift[i % 3]!,
    );
    const folder = writeExport(c, state, { inputScaling, targetScaling });
    expected.set("scaled", { outputs, tolerance: 1e-5 });
    jobs.models.push({ name: "scaled", folder, x: [...raw], shape: [ROWS, 5], dtype: "float32" });
  }

  // each zoo activation's own export (nonlin act export NAME --to jax), at its initial values
  for (const [k, entry] of ZOO.entries()) {
    const c: Case = {
      layers: [{ type: "activation", fn: entry.name }],
      inputShape: [4],
      dtype: "float64",
    };
    const x = uniform(ROWS * 4, 50 + k, -3, 3);
    const state = initialState(c.layers, c.inputShape, "float64", 1);
    const activation = activationOf(entry);
    const fn = `f_${k}`;
    const file = join(dir, `activation_${k}.py`);
    writeFileSync(file, exportActivation(activation, "jax", fn));
    // pointwise ones against nonlin's plain float64 evaluator (JavaScript's Math: exact to 1e-9),
    // the others (statistics) against nonlin's model, within jax-js's float64 accuracy
    const exact = isPointwise(activation.expr)
      ? scalarFunction(activation.expr, initialParamValues(activation))
      : undefined;
    expected.set(`act ${entry.name}`, {
      outputs: exact ? x.map(exact) : nonlinOutputs(c, state, x, ROWS),
      tolerance: exact ? 1e-9 : toleranceOf(c),
    });
    jobs.activations.push({ name: entry.name, file, fn, x: [...x], shape: [ROWS, 4] });
  }

  // gradients: a float64 model whose activations use nonlin's own gradient rules
  {
    const c: Case = { layers: GRADIENT_MODEL, inputShape: [3], dtype: "float64" };
    const state = perturbed(initialState(GRADIENT_MODEL, [3], "float64", 9), 9);
    const rows = 4;
    const x = uniform(rows * 3, 12, -2, 2);
    const folder = writeExport(c, state);
    jobs.gradients.push({ name: "gradient", folder, x: [...x], shape: [rows, 3] });
    expected.set("gradient outputs", {
      outputs: nonlinOutputs(c, state, x, rows),
      tolerance: toleranceOf(c),
    });
    gradientCase = { state, x, rows };
  }
  // a B-spline KAN with an identity base (only + and ×: nonlin's float64 values are exact enough
  // for central differences), knots moved off the uniform grid
  {
    const c: Case = { layers: KAN_POLYNOMIAL, inputShape: [3], dtype: "float64" };
    const state = perturbed(initialState(KAN_POLYNOMIAL, [3], "float64", 5), 5);
    const knots = state[0]!.buffers.knots!;
    knots.values = knots.values.map((v, j) => v + 0.03 * Math.sin(j));
    const rows = 5;
    const x = uniform(rows * 3, 13, -0.9, 0.9);
    const folder = writeExport(c, state);
    jobs.gradients.push({ name: "kan", folder, x: [...x], shape: [rows, 3] });
    expected.set("kan gradient", {
      outputs: centralDifferences(c, state, x, rows),
      tolerance: 1e-7,
    });
  }

  if (python.skip !== undefined) return;
  const jobFile = join(dir, "jobs.json");
  writeFileSync(jobFile, JSON.stringify(jobs));
  results = runJax<Results>(python.python, RUNNER, jobFile);
});

/** Asserts the JAX values of check `name` against nonlin's; gives the worst error. */
function agrees(name: string, got: number[] | undefined): number {
  const want = expected.get(name);
  assert.ok(want && got, `${name}: both sides ran`);
  const worst = worstError(Float64Array.from(got), want.outputs);
  assert.ok(worst <= want.tolerance, `${name}: worst relative error ${worst} > ${want.tolerance}`);
  return worst;
}

describe("JAX export: every model of the ONNX export's checks, run by JAX", () => {
  it("covers every registered layer type", () => {
    const cases = [MLP, CNN, KAN, ...LAYER_GRAPH_CASES.map(([, c]) => c.layers)].map((layers) => ({
      layers,
      inputShape: [1],
    }));
    const used = typesOf(cases);
    assert.deepEqual(
      LAYER_DEFINITIONS.map((d) => d.type).filter((type) => !used.has(type)),
      [],
    );
  });

  it("each model gives nonlin's outputs, in the model's dtype", (t) => {
    const got = resultsOr(t);
    if (!got) return;
    const failures: string[] = [];
    for (const job of jobs.models) {
      const result: Results["models"][string] | undefined = got.models[job.name];
      try {
        assert.equal(result?.dtype, job.dtype, `${job.name}: JAX computed in ${result?.dtype}`);
        agrees(job.name, result?.values);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    t.diagnostic(`${jobs.models.length} models`);
    assert.deepEqual(failures, []);
  });

  it("the task's scalings: raw rows in, the targets in their own units out", (t) => {
    const got = resultsOr(t);
    if (!got) return;
    agrees("scaled", got.models.scaled?.values);
  });
});

describe("JAX export: a JAX function", () => {
  it("jit gives apply's values", (t) => {
    const got = resultsOr(t)?.gradients.gradient;
    if (!got) return;
    agrees("gradient outputs", got.eager);
    const worst = worstError(Float64Array.from(got.jit), Float64Array.from(got.eager));
    assert.ok(worst <= 1e-12, `jit differs by ${worst}`);
  });

  it("its input gradient is nonlin's, surrogate and stopgrad rules included", (t) => {
    const got = resultsOr(t)?.gradients.gradient;
    if (!got) return;
    const { state, x, rows } = gradientCase!;
    const worst = worstError(Float64Array.from(got.dx), gradientByHand(state, x, rows));
    assert.ok(worst <= 1e-12, `input gradient differs from nonlin's by ${worst}`);
  });

  it("a B-spline KAN's input gradient (autodiff through Cox–de Boor) is central differences of nonlin's values", (t) => {
    const got = resultsOr(t)?.gradients.kan;
    if (!got) return;
    agrees("kan gradient", got.dx);
  });

  it("every array of params has a finite gradient of its own shape", (t) => {
    const got = resultsOr(t)?.gradients.gradient;
    if (!got) return;
    assert.ok(Object.keys(got.params).length >= 4);
    assert.deepEqual(
      Object.entries(got.params).filter(([, ok]) => !ok),
      [],
    );
  });
});

describe("activation export (act export --to jax), run by JAX", () => {
  it("every zoo activation gives nonlin's values at its initial parameters (float64)", (t) => {
    const got = resultsOr(t);
    if (!got) return;
    const failures: string[] = [];
    for (const job of jobs.activations)
      try {
        agrees(`act ${job.name}`, got.activations[job.name]);
      } catch (error) {
        failures.push((error as Error).message);
      }
    t.diagnostic(`${jobs.activations.length} activations`);
    assert.deepEqual(failures, []);
  });
});
