/**
 * The two engines give the same trial (docs/engines.md, "The same trial"): from identical
 * parameters and inputs, every zoo activation (through an activation layer) and every layer type
 * the torch engine runs (the others are refused naming --engine jax) give the same outputs and
 * gradients on the torch engine as on jax-js — float64 to 1e-9 relative
 * without transcendental functions, float32 to 1e-4; with transcendental functions float64 to
 * 2e-5 (TRANSCENDENTAL_BOUND: jax-js's own float64 accuracy) while torch's outputs match the plain
 * float64 evaluator to 1e-12. A whole short float64 trial gives the same validation curve to 1e-6,
 * and `nonlin bench` on a small MLP config (two tasks, two candidates, two seeds) gives the same
 * test metrics trial by trial (1e-4, float32) and the same verdicts on both engines. Needs Python 3
 * with torch and numpy (scripts/system-deps.sh installs Debian's python3-torch).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import type { BenchResults } from "../src/bench/results.js";
import type { FloatDType } from "../src/engine/dtype.js";
import { startEngine } from "../src/engine/index.js";
import { keyFromSeed } from "../src/engine/random.js";
import { TorchEngine, TorchInputError } from "../src/exec/torch-engine.js";
import type { Expr } from "../src/expr/ast.js";
import { isPointwise } from "../src/expr/ast.js";
import { initialParamValues, scalarFunction } from "../src/expr/evaluate.js";
import type { LayerSpec } from "../src/nn/definition.js";
import { findLayerDefinition, LAYER_DEFINITIONS, parseLayerSpec } from "../src/nn/registry.js";
import { gradientPhaseSchema } from "../src/train/fit-spec.js";
import { jaxEngine } from "../src/train/jax-engine.js";
import type { EpochOutcome, HostState, TrainingRequest } from "../src/train/trial-engine.js";
import { resolveActivation, ZOO } from "../src/zoo/index.js";
import { LAYER_CASES } from "./support/layer-cases.js";
import { fixedValues, layerGradients, layerOutput, valuesOf } from "./support/layer-check.js";

/** Functions computed by library approximations that may differ in the last bits between engines. */
const TRANSCENDENTAL = new Set([
  "exp",
  "log",
  "sin",
  "cos",
  "tanh",
  "sinh",
  "cosh",
  "asinh",
  "atan",
  "sigmoid",
  "erf",
  "softplus",
  "gaussian",
  "sinc",
]);

function transcendental(expr: Expr): boolean {
  switch (expr.kind) {
    case "call":
      return TRANSCENDENTAL.has(expr.op) || expr.args.some(transcendental);
    case "pow":
      return transcendental(expr.base);
    case "stat":
      return transcendental(expr.arg);
    default:
      return false;
  }
}

/**
 * The largest difference between `actual` and `expected`, relative to the array's scale (its
 * largest magnitude): where a function cancels to near 0 (tanhshrink near 0, sine far from it),
 * an elementwise ratio measures jax-js's float64 transcendentals, which are accurate to about
 * 1e-7 (measured: sin 6e-7 at x = 3, tanh 3e-6 at x = 1e-3), not the engines' agreement.
 */
function relativeError(actual: Float64Array, expected: Float64Array): number {
  assert.equal(actual.length, expected.length, "lengths");
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (a === e) continue;
    const error = Math.abs(a - e) / Math.max(scale, 1e-300);
    worst = Math.max(worst, Number.isNaN(error) ? Infinity : error);
  }
  return worst;
}

/**
 * Float64 agreement where transcendental functions are involved. The issue asks 1e-6; jax-js's
 * float64 exp, log and sin are accurate to about 2e-6 (softplus on [-3, 3]: 2.2e-6 from the plain
 * float64 value, torch 1e-16), so the engines differ by up to 9e-6 (sine, sin(30x)); torch's own
 * accuracy is checked against the plain evaluator to 1e-12 below.
 */
const TRANSCENDENTAL_BOUND = 2e-5;

const ROWS = 5;
const FEATURES = 4;

interface Compared {
  outputs: number;
  input: number;
  params: number;
  /** Torch's outputs against the plain float64 evaluator (pointwise activations only). */
  plain?: number;
}

/** One layer on both engines from the same parameters: the worst relative errors. */
async function compareLayer(
  torch: TorchEngine,
  raw: LayerSpec,
  dtype: FloatDType,
  seed: number,
  inputShape: readonly number[] = [FEATURES],
): Promise<Compared> {
  const spec = parseLayerSpec(raw, "layer");
  const layer = findLayerDefinition(spec.type)!.build(spec, inputShape, dtype);
  const state = layer.init(keyFromSeed(seed));
  const x = fixedValues(ROWS * inputShape.reduce((a, b) => a * b, 1), seed + 1, 3);
  const outputsCount = ROWS * layer.outputShape.reduce((a, b) => a * b, 1);
  const upstream = fixedValues(outputsCount, seed + 2);
  const y = layerOutput(layer, state, x);
  const grads = layerGradients(layer, state, x, upstream);
  const params = valuesOf(state.params);
  const buffers = valuesOf(state.buffers);
  const host: HostState = [
    {
      params: Object.fromEntries(
        Object.entries(params).map(([name, values]) => [
          name,
          { shape: [...state.params[name]!.shape], values },
        ]),
      ),
      buffers: Object.fromEntries(
        Object.entries(buffers).map(([name, values]) => [
          name,
          { shape: [...state.buffers[name]!.shape], values },
        ]),
      ),
    },
  ];
  const answer = await torch.forward([raw], inputShape, dtype, host, x, ROWS, upstream);
  let paramsError = 0;
  for (const [name, expected] of Object.entries(grads.params)) {
    const got = answer.gradParams[0]!.params[name];
    assert.ok(got, `torch gives no gradient for parameter '${name}'`);
    paramsError = Math.max(paramsError, relativeError(got.values, expected));
  }
  const compared: Compared = {
    outputs: relativeError(answer.y, y),
    input: relativeError(answer.gradX, grads.input),
    params: paramsError,
  };
  if (spec.type === "activation" && dtype === "float64") {
    const activation = resolveActivation(spec.fn as string).activation;
    if (isPointwise(activation.expr)) {
      const f = scalarFunction(activation.expr, initialParamValues(activation));
      compared.plain = relativeError(answer.y, x.map(f));
    }
  }
  return compared;
}

const torch = new TorchEngine();

before(async () => {
  await startEngine("wasm");
  await torch.start();
});
after(() => torch.close());

describe("torch parity: layers", { timeout: 600_000 }, () => {
  for (const dtype of ["float64", "float32"] as const)
    it(`every zoo activation gives jax-js's outputs and gradients (${dtype})`, async () => {
      const failures: string[] = [];
      for (const [i, entry] of ZOO.entries()) {
        const bound =
          dtype === "float32"
            ? 1e-4
            : transcendental(resolveActivation(entry.name).activation.expr)
              ? TRANSCENDENTAL_BOUND
              : 1e-9;
        try {
          const errors = await compareLayer(
            torch,
            { type: "activation", fn: entry.name },
            dtype,
            100 + i,
          );
          for (const [what, error] of Object.entries(errors)) {
            const limit = what === "plain" ? 1e-12 : bound;
            if (!(error <= limit)) failures.push(`${entry.name}: ${what} ${error} > ${limit}`);
          }
        } catch (error) {
          failures.push(`${entry.name}: ${(error as Error).message.split("\n")[0]}`);
        }
      }
      assert.deepEqual(failures, []);
    });

  for (const [activation, bound64] of [
    ["identity", 1e-9],
    ["relu", 1e-9],
    ["x^3 - 0.5*x", 1e-9],
    ["gelu", 1e-6],
    ["tanh", 1e-6],
  ] as const)
    it(`a dense layer with activation '${activation}' agrees (float64 ${bound64}, float32 1e-4)`, async () => {
      for (const dtype of ["float64", "float32"] as const) {
        const errors = await compareLayer(torch, { type: "dense", units: 3, activation }, dtype, 7);
        const bound = dtype === "float64" ? bound64 : 1e-4;
        for (const [what, error] of Object.entries(errors))
          assert.ok(error <= bound, `${dtype} ${what}: ${error} > ${bound}`);
      }
    });
});

describe("torch parity: every layer type", { timeout: 600_000 }, () => {
  it("has a case for every registered layer type", () => {
    assert.deepEqual(
      LAYER_DEFINITIONS.map((d) => d.type).filter((type) => !LAYER_CASES[type]),
      [],
    );
  });

  it("gives jax-js's outputs and gradients for every type it runs, and refuses the others as input", async (t) => {
    const failures: string[] = [];
    const refused: string[] = [];
    for (const [type, { spec, inputShape, exact }] of Object.entries(LAYER_CASES))
      for (const dtype of ["float64", "float32"] as const) {
        const bound = dtype === "float32" ? 1e-4 : exact ? 1e-9 : TRANSCENDENTAL_BOUND;
        try {
          const errors = await compareLayer(torch, spec, dtype, 5, inputShape);
          for (const [what, error] of Object.entries(errors))
            if (!(error <= bound)) failures.push(`${type} ${dtype}: ${what} ${error} > ${bound}`);
        } catch (error) {
          if (
            error instanceof TorchInputError &&
            /not available on the torch engine yet; --engine jax runs it/.test(error.message)
          ) {
            if (dtype === "float64") refused.push(type);
          } else failures.push(`${type} ${dtype}: ${(error as Error).message.split("\n")[0]}`);
        }
      }
    t.diagnostic(`not on the torch engine yet: ${refused.join(", ") || "none"}`);
    assert.deepEqual(failures, []);
  });
});

/** A small regression split: y = sin(x0) + x1·x2 on fixed inputs. */
function split(rows: number, seed: number) {
  const x = fixedValues(rows * 3, seed, 2);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) y[r] = Math.sin(x[r * 3]!) + x[r * 3 + 1]! * x[r * 3 + 2]!;
  return { x, y, rows };
}

describe("torch parity: a whole trial", { timeout: 600_000 }, () => {
  for (const optimizer of [
    { name: "adam", lr: 1e-2 },
    { name: "sgd", lr: 5e-2, momentum: 0.9 },
  ])
    it(`a short float64 trial (${optimizer.name}) gives jax-js's validation curve to 1e-6`, async () => {
      const request: TrainingRequest = {
        layers: [
          { type: "dense", units: 16, activation: "tanh" },
          { type: "dense", units: 8, activation: "relu" },
          { type: "dense", units: 1 },
        ],
        inputShape: [3],
        dtype: "float64",
        loss: "mse",
        phase: gradientPhaseSchema.parse({
          kind: "gradient",
          optimizer,
          epochs: 6,
          batch_size: 32,
        }),
        train: split(200, 1),
        val: split(60, 2),
        seed: 11,
        valOutputsEachEpoch: true,
      };
      const curves: EpochOutcome[][] = [];
      const predictions: Float64Array[] = [];
      for (const engine of [jaxEngine, torch]) {
        const curve: EpochOutcome[] = [];
        const model = await engine.train(request, (outcome) => curve.push(outcome));
        curves.push(curve);
        predictions.push(await model.predict(request.val!.x, request.val!.rows));
        model.release();
      }
      const [jax, pt] = curves as [EpochOutcome[], EpochOutcome[]];
      assert.equal(pt.length, jax.length);
      for (const [e, point] of jax.entries()) {
        const other = pt[e]!;
        assert.equal(other.epoch, point.epoch);
        for (const [what, a, b] of [
          ["trainLoss", other.trainLoss, point.trainLoss],
          ["valLoss", other.valLoss!, point.valLoss!],
        ] as const)
          assert.ok(Math.abs(a - b) <= 1e-6 * Math.abs(b), `epoch ${e} ${what}: ${a} vs ${b}`);
        assert.ok(
          relativeError(other.valOutputs!, point.valOutputs!) <= 1e-6,
          `epoch ${e} outputs`,
        );
      }
      assert.ok(relativeError(predictions[1]!, predictions[0]!) <= 1e-6, "selected predictions");
    });
});

describe("torch parity: nonlin bench", { timeout: 600_000 }, () => {
  it("gives the same test metrics trial by trial (1e-4, float32) and the same verdicts", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-parity-"));
    const config = join(dir, "bench.yaml");
    writeFileSync(
      config,
      stringify({
        name: "parity",
        tasks: ["relu-kan/sin-pi-x", "toy/xy"],
        candidates: [{ activation: "tanh" }, { activation: "relu" }],
        seeds: 2,
        rows: { train: 200, val: 100, test: 200 },
        training: { optimizer: { name: "adam", lr: 1e-2 }, epochs: 8, batch_size: 50, patience: 0 },
        network: { depth: 1, width: 8 },
        fairness: { mode: "none" },
      }),
    );
    const results: BenchResults[] = [];
    const runs: string[] = [];
    for (const engine of ["jax", "torch"]) {
      const out = join(dir, engine);
      const run = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "src/cli/main.ts",
          "bench",
          config,
          "--engine",
          engine,
          "--workers",
          "1",
          "--store",
          join(dir, "runs.db"),
          "--out",
          out,
          "--json",
        ],
        { encoding: "utf8" },
      );
      assert.equal(run.status, 0, run.stderr);
      results.push(JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as BenchResults);
      runs.push((JSON.parse(run.stdout) as { run: string }).run);
    }
    const shown = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "runs",
        "show",
        runs[1]!,
        "--store",
        join(dir, "runs.db"),
      ],
      { encoding: "utf8" },
    );
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /engine {5}torch \(torch \S+, numpy \S+, python \S+\)/);
    const [jax, pt] = results as [BenchResults, BenchResults];
    assert.equal(jax.machine.engine, undefined);
    assert.equal(pt.machine.engine, "torch");
    assert.equal(pt.machine.device, "cpu");
    assert.ok(pt.machine.versions?.torch, "torch's version is recorded");
    const report = readFileSync(join(dir, "torch", "report.md"), "utf8");
    assert.match(report, /Engine: torch \(torch \S+, numpy \S+, python \S+\)/);
    assert.equal(pt.trials.length, 8);
    const key = (t: { task: string; candidate: string; seedIndex: number }) =>
      `${t.task}/${t.candidate}/${t.seedIndex}`;
    const byKey = new Map(jax.trials.map((trial) => [key(trial), trial]));
    let worst = 0;
    for (const trial of pt.trials) {
      const other = byKey.get(key(trial))!;
      assert.ok(other, key(trial));
      assert.equal(trial.selectedEpoch, other.selectedEpoch, `${key(trial)} selected epoch`);
      const difference = Math.abs(trial.test.metric - other.test.metric);
      worst = Math.max(worst, difference / Math.max(1, Math.abs(other.test.metric)));
      assert.ok(
        difference <= 1e-4 * Math.max(1, Math.abs(other.test.metric)),
        `${key(trial)}: test metric ${trial.test.metric} (torch) vs ${other.test.metric} (jax)`,
      );
    }
    t.diagnostic(`largest test-metric difference: ${worst.toExponential(2)}`);
    const verdict = (r: BenchResults) =>
      r.summaries.map((s) => [
        s.task,
        s.candidate,
        s.vsBaseline?.better ?? null,
        s.vsBaseline?.significant ?? null,
      ]);
    assert.deepEqual(verdict(pt), verdict(jax));
    assert.deepEqual(
      pt.ranks.map((r) => r.candidate),
      jax.ranks.map((r) => r.candidate),
    );
  });
});
