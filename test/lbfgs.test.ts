import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Evaluation } from "../src/train/lbfgs.js";
import { Lbfgs, strongWolfe } from "../src/train/lbfgs.js";

/** Rosenbrock in n dimensions, with its exact gradient. */
function rosenbrock(x: Float64Array): Evaluation {
  let loss = 0;
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i]!;
    const b = x[i + 1]!;
    loss += 100 * (b - a * a) ** 2 + (1 - a) ** 2;
    grad[i]! += -400 * a * (b - a * a) - 2 * (1 - a);
    grad[i + 1]! += 200 * (b - a * a);
  }
  return { loss, grad };
}

describe("L-BFGS", () => {
  it("minimises the 10-D Rosenbrock function to its minimum at (1, …, 1)", async () => {
    const optimiser = new Lbfgs(rosenbrock, new Float64Array(10).fill(-1.2));
    for (let step = 0; step < 20; step++) await optimiser.step();
    const x = optimiser.params;
    assert.ok(rosenbrock(x).loss < 1e-16, `loss ${rosenbrock(x).loss}`);
    for (const v of x) assert.ok(Math.abs(v - 1) < 1e-8, `x = ${v}`);
  });

  it("solves a convex quadratic in at most n+1 iterations of one step", async () => {
    // f(x) = ½ xᵀAx − bᵀx with A = diag(1..5): minimum at x = b/A
    const a = [1, 2, 3, 4, 5];
    const b = [1, -1, 2, -2, 3];
    const f = (x: Float64Array): Evaluation => ({
      loss: x.reduce((s, v, i) => s + 0.5 * a[i]! * v * v - b[i]! * v, 0),
      grad: x.map((v, i) => a[i]! * v - b[i]!),
    });
    const optimiser = new Lbfgs(f, new Float64Array(5), { maxIter: 20 });
    await optimiser.step();
    optimiser.params.forEach((v, i) =>
      assert.ok(Math.abs(v - b[i]! / a[i]!) < 1e-9, `x${i} = ${v}`),
    );
  });

  for (const t0 of [3, 0.1]) {
    it(`line search from t0 = ${t0} returns a step meeting both strong-Wolfe conditions`, async () => {
      // f(x) = x⁴/4 − x, minimum at 1; from 0 along +1. t0 = 3 overshoots (zoom), 0.1 falls
      // short (extrapolation).
      const f = (x: Float64Array): Evaluation => ({
        loss: x[0]! ** 4 / 4 - x[0]!,
        grad: Float64Array.of(x[0]! ** 3 - 1),
      });
      const x0 = Float64Array.of(0);
      const start = f(x0);
      const gtd = start.grad[0]!;
      const result = await strongWolfe(f, x0, t0, Float64Array.of(1), start.loss, start.grad, gtd);
      assert.ok(result.loss <= start.loss + 1e-4 * result.t * gtd, "sufficient decrease");
      assert.ok(Math.abs(result.grad[0]!) <= 0.9 * Math.abs(gtd), "curvature condition");
      assert.ok(result.evaluations <= 6, `${result.evaluations} evaluations`);
    });
  }
});
