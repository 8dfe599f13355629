import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { arrayFrom, keyFromSeed, startEngine, takeValues } from "../src/engine/index.js";
import { KanLayer, kanSpecSchema } from "../src/nn/kan/bspline.js";
import { paramCount } from "../src/nn/layer.js";
import { Model } from "../src/nn/model.js";
import { regridModel } from "../src/train/kan-grid.js";
import type { Values } from "./support/layer-check.js";
import { checkLayerAgainstReference, fixedValues } from "./support/layer-check.js";

/** The cardinal cubic B-spline (support [0, 4)), written out piece by piece. */
function cardinalCubic(u: number): number {
  if (u < 0 || u >= 4) return 0;
  if (u < 1) return u ** 3 / 6;
  if (u < 2) return (-3 * u ** 3 + 12 * u ** 2 - 12 * u + 4) / 6;
  if (u < 3) return (3 * u ** 3 - 24 * u ** 2 + 60 * u - 44) / 6;
  return (4 - u) ** 3 / 6;
}
const silu = (x: number): number => x / (1 + Math.exp(-x));

/** KAN layer reference on a uniform grid of G cells on [low, high], order 3. */
function kanReference(n: number, m: number, grid: number, low: number, high: number) {
  const h = (high - low) / grid;
  const count = grid + 3;
  return (p: Values, b: Values, x: Float64Array): Float64Array => {
    const batch = x.length / n;
    const y = new Float64Array(batch * m);
    for (let s = 0; s < batch; s++)
      for (let j = 0; j < m; j++) {
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const xi = x[s * n + i]!;
          let spline = 0;
          for (let c = 0; c < count; c++)
            spline +=
              p.coef![(i * count + c) * m + j]! * cardinalCubic((xi - (low + (c - 3) * h)) / h);
          const e = i * m + j;
          sum += b.mask![e]! * (p.scale_base![e]! * silu(xi) + p.scale_sp![e]! * spline);
        }
        y[s * m + j] = sum;
      }
    return y;
  };
}

const spec = (fields: Record<string, unknown>) => kanSpecSchema.parse({ type: "kan", ...fields });

describe("KAN layer (B-spline)", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("matches the cardinal cubic B-spline reference in values and gradients", () => {
    const layer = new KanLayer(
      spec({ units: 3, grid_size: 4, grid_range: [-1.5, 1.5] }),
      [2],
      "float64",
    );
    const state = layer.init(keyFromSeed(3));
    checkLayerAgainstReference(
      layer,
      state,
      kanReference(2, 3, 4, -1.5, 1.5),
      fixedValues(6 * 2, 7, 1.4),
    );
  });

  it("counts parameters by hand (pykan's hello KAN has 120)", () => {
    const model = new Model(
      [
        { type: "kan", units: 5 },
        { type: "kan", units: 1 },
      ],
      [2],
      "float64",
    );
    // per edge: grid 3 + order 3 = 6 coefficients, scale_base, scale_sp
    assert.equal(model.paramCount(), 2 * 5 * (6 + 2) + 5 * 1 * (6 + 2));
    const frozen = new KanLayer(
      spec({ units: 4, grid_size: 5, train_scale_base: false }),
      [3],
      "float32",
    );
    assert.equal(paramCount(frozen), 3 * 4 * 8 + 3 * 4);
  });

  it("keeps its curves through a grid update and a grid extension (least-squares refit)", () => {
    const model = new Model(
      [
        { type: "kan", units: 3 },
        { type: "kan", units: 1 },
      ],
      [2],
      "float64",
    );
    const state = model.init(keyFromSeed(4));
    const x = arrayFrom(fixedValues(400 * 2, 11), [400, 2], "float64");
    const before = takeValues(model.apply(state, x.ref));
    const updated = regridModel(model, state, x, 10);
    assert.equal((updated.model.layers[0] as KanLayer).spec.grid_size, 10);
    const after = takeValues(updated.model.apply(updated.state, x.ref));
    const worst = before.reduce((m, v, i) => Math.max(m, Math.abs(v - after[i]!)), 0);
    const scale = before.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(worst < 1e-3 * scale, `largest change ${worst} (output scale ${scale})`);
  });

  it("rejects bad specs naming the field", () => {
    const bad = kanSpecSchema.safeParse({ type: "kan", units: 2, grid_range: [1, -1] });
    assert.equal(bad.success, false);
    assert.match(JSON.stringify(bad.error?.issues[0]?.path), /grid_range/);
    assert.throws(
      () => new Model([{ type: "kan", units: 2, grid_size: 0 }], [2], "float64"),
      /layers\[0\]\.grid_size/,
    );
    assert.throws(
      () => new Model([{ type: "kan", units: 2, base: "prelu" }], [2], "float64"),
      /base/,
    );
  });
});
