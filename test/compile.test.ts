import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { grad, numpy as np } from "@jax-js/jax";
import { arrayFrom, startEngine, takeValues } from "../src/engine/index.js";
import { derivativeActivation } from "../src/expr/derivative.js";
import { ExprError } from "../src/expr/errors.js";
import { buildActivationFn, compileActivation, initParams } from "../src/expr/compile.js";
import { parseActivation } from "../src/expr/parse.js";

const POINTS = [-2.3, -1.1, -0.42, 0.37, 0.9, 2.6];

function evaluate(text: string, xs: number[], dtype: "float32" | "float64" = "float64"): number[] {
  const activation = parseActivation(text);
  const fn = compileActivation(activation, dtype);
  const values = Array.from(
    takeValues(
      fn(arrayFrom(xs, [1, xs.length], dtype), initParams(activation, [xs.length], dtype)),
    ),
  );
  fn.dispose();
  return values;
}

function autodiffSlopes(text: string, xs: number[]): number[] {
  const activation = parseActivation(text);
  const fn = buildActivationFn(activation, "float64");
  const gradient = grad((x: np.Array) =>
    fn(x, initParams(activation, [xs.length], "float64")).sum(),
  );
  return Array.from(takeValues(gradient(arrayFrom(xs, [1, xs.length], "float64"))));
}

/** jax-js's wasm transcendentals have about float32 accuracy even on float64 arrays. */
function assertClose(got: number[], want: number[], tolerance = 1e-4): void {
  got.forEach((value, i) => {
    const expected = want[i] as number;
    assert.ok(
      Math.abs(value - expected) <= tolerance * (1 + Math.abs(expected)),
      `at ${i}: got ${value}, want ${expected}`,
    );
  });
}

describe("compiled expressions", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("compute the safe operations as defined", () => {
    assertClose(evaluate("1 / x", [0, 1e-9, -1e-9, 4]), [1e7, 1e7, -1e7, 0.25]);
    assertClose(evaluate("log(x)", [0, -Math.E, 2]), [Math.log(1e-7), 1, Math.log(2)]);
    assertClose(evaluate("sqrt(x)", [-4, 0, 9]), [Math.sqrt(1e-7), Math.sqrt(1e-7), 3]);
    assertClose(evaluate("x^-2", [0.5, -2]), [4, 0.25]);
    assertClose(evaluate("sinc(x)", [0, 1e-5, 2]), [1, 1 - 1e-10 / 6, Math.sin(2) / 2]);
    assertClose(evaluate("where(x, 1, -1) + step(x) + sign(x)", [-2, 0, 3]), [-2, -1, 3]);
  });

  it("give the same values jitted as op by op, in float32 and float64", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const activation = parseActivation(
        "x * tanh(softplus(x)) + 0.1 * erf(x) - min(x, gaussian(x))",
      );
      const jitted = compileActivation(activation, dtype);
      const eager = buildActivationFn(activation, dtype);
      const a = takeValues(jitted(arrayFrom(POINTS, [2, 3], dtype), {}));
      const b = takeValues(eager(arrayFrom(POINTS, [2, 3], dtype), {}));
      // fused kernels may use other approximations of exp and log than single ops
      assertClose(Array.from(a), Array.from(b), 1e-6);
      jitted.dispose();
    }
  });

  it("compute erf in float64 to 5e-8 (jax-js's own erf errs by 1.6e-7 at 0.5)", () => {
    // erf to 16 digits (Abramowitz & Stegun table 7.1)
    const [a, b, c] = evaluate("erf(x)", [0.5, 1.7, 3.1]);
    assert.ok(Math.abs((a as number) - 0.5204998778130465) < 5e-8, `erf(0.5) = ${a}`);
    assert.ok(Math.abs((b as number) - 0.9837904585907746) < 5e-8, `erf(1.7) = ${b}`);
    assert.ok(Math.abs((c as number) - 0.9999883513426328) < 5e-8, `erf(3.1) = ${c}`);
  });

  it("broadcast per-channel and per-neuron parameters over their axes", () => {
    const activation = parseActivation("a * x + b where a = 2 per_channel, b = 0 per_neuron");
    const fn = compileActivation(activation, "float64");
    const params = {
      a: arrayFrom([1, 10, 100], [3], "float64"),
      b: arrayFrom([1, 2, 3, 4, 5, 6], [2, 3], "float64"),
    };
    const init = initParams(activation, [2, 3], "float64");
    assert.deepEqual(init.a?.shape, [3]);
    assert.deepEqual(init.b?.shape, [2, 3]);
    Object.values(init).forEach((value) => value.dispose());
    const y = takeValues(
      fn(arrayFrom([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2], [2, 2, 3], "float64"), params),
    );
    assert.deepEqual(Array.from(y), [2, 12, 103, 5, 15, 106, 3, 22, 203, 6, 25, 206]);
    fn.dispose();
  });

  it("reduce statistics over the feature, batch and instance axes", () => {
    const rows = [1, 2, 3, 5, 7, 9];
    assert.deepEqual(evaluateShaped("mean(x)", rows, [2, 3]), [2, 2, 2, 7, 7, 7]);
    assert.deepEqual(evaluateShaped("mean(x, batch)", rows, [2, 3]), [3, 4.5, 6, 3, 4.5, 6]);
    assert.deepEqual(evaluateShaped("amax(x, instance)", rows, [2, 3]), [3, 3, 3, 9, 9, 9]);
    assertClose(
      evaluateShaped("var(x)", rows, [2, 3]),
      [2 / 3, 2 / 3, 2 / 3, 8 / 3, 8 / 3, 8 / 3],
      1e-12,
    );
    assertClose(evaluateShaped("rms(x)", rows, [2, 3]).slice(0, 1), [Math.sqrt(14 / 3)], 1e-12);
  });

  it("forward a surrogate's first argument and differentiate its second", () => {
    const text = "surrogate(sign(sin(3 * x)), sin(3 * x))";
    assert.deepEqual(
      evaluate(text, POINTS),
      POINTS.map((v) => Math.sign(Math.sin(3 * v))),
    );
    assertClose(
      autodiffSlopes(text, POINTS),
      POINTS.map((v) => 3 * Math.cos(3 * v)),
    );
    assert.deepEqual(
      autodiffSlopes("stopgrad(x^2) + x", POINTS),
      POINTS.map(() => 1),
    );
  });

  const derivativeCases = [
    "x * sigmoid(beta * x) where beta = 1.3",
    "0.5 * x * (1 + erf(x / sqrt(2)))",
    "x * tanh(softplus(x))",
    "x / (x^2 - 4)",
    "log(x) + sqrt(x^2 + 1) + asinh(x) + atan(x)",
    "sinc(x) + gaussian(x) + sinh(x) - cosh(x / 2)",
    "max(x, 0.3 * x) + min(x, 1) + abs(x - 0.1) + relu(x)",
    "where(x, exp(-x), cos(x)) + x^-3 + 1/x",
  ];
  for (const text of derivativeCases) {
    it(`has a symbolic derivative equal to autodiff and to finite differences: ${text}`, () => {
      const slopesSymbolic = evaluateDerivative(text, POINTS);
      assertClose(slopesSymbolic, autodiffSlopes(text, POINTS), 1e-6);
      const h = 1e-3;
      const up = evaluate(
        text,
        POINTS.map((v) => v + h),
      );
      const down = evaluate(
        text,
        POINTS.map((v) => v - h),
      );
      const finite = up.map((v, i) => (v - (down[i] as number)) / (2 * h));
      assertClose(slopesSymbolic, finite, 2e-3);
    });
  }

  it("refuses a symbolic derivative of a statistic, naming it", () => {
    assert.throws(
      () => derivativeActivation(parseActivation("x / rms(x)")),
      (error: unknown) => {
        assert.ok(error instanceof ExprError);
        assert.match(error.message, /pointwise.*rms\(…\) is a statistic over the feature axis/);
        return true;
      },
    );
  });
});

function evaluateShaped(text: string, values: number[], shape: number[]): number[] {
  const activation = parseActivation(text);
  const fn = buildActivationFn(activation, "float64");
  return Array.from(takeValues(fn(arrayFrom(values, shape, "float64"), {})));
}

function evaluateDerivative(text: string, xs: number[]): number[] {
  const activation = derivativeActivation(parseActivation(text));
  const fn = buildActivationFn(activation, "float64");
  return Array.from(
    takeValues(
      fn(arrayFrom(xs, [1, xs.length], "float64"), initParams(activation, [xs.length], "float64")),
    ),
  );
}
