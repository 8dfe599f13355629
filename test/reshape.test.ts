/**
 * The reshape layer: values keep their row-major order, a reshape in front of conv2d on flat rows
 * gives exactly what conv2d gives on the same rows shaped [height, width, channels], and bad
 * shapes are refused naming the layer and `shape`.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { arrayFrom } from "../src/engine/dtype.js";
import { keyFromSeed, startEngine, takeValues } from "../src/engine/index.js";
import { LayerSpecError } from "../src/nn/layer.js";
import { disposeState, Model } from "../src/nn/model.js";
import { fixedValues } from "./support/layer-check.js";

const ROWS = 3;

describe("reshape layer", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("keeps every value in row-major order and fills in -1", () => {
    const model = new Model([{ type: "reshape", shape: [2, -1, 2] }], [12], "float64");
    assert.deepEqual(model.outputShape, [2, 3, 2]);
    assert.equal(model.paramCount(), 0);
    assert.deepEqual(model.flops(), { forward: 0, backward: 0 });
    const x = fixedValues(ROWS * 12, 4);
    const y = model.apply(model.init(keyFromSeed(1)), arrayFrom(x, [ROWS, 12], "float64"));
    assert.deepEqual(y.shape, [ROWS, 2, 3, 2]);
    assert.deepEqual(takeValues(y), x);
  });

  it("before conv2d on flat rows equals conv2d on the rows shaped [h, w, c]", () => {
    const conv = { type: "conv2d", filters: 3, kernel: 2, activation: "tanh" };
    const shaped = new Model([conv, { type: "flatten" }], [4, 5, 2], "float64");
    const flat = new Model(
      [{ type: "reshape", shape: [4, 5, 2] }, conv, { type: "flatten" }],
      [40],
      "float64",
    );
    assert.deepEqual(flat.outputShape, shaped.outputShape);
    const state = shaped.init(keyFromSeed(3));
    const x = fixedValues(ROWS * 40, 9);
    const expected = takeValues(shaped.apply(state, arrayFrom(x, [ROWS, 4, 5, 2], "float64")));
    const actual = takeValues(
      flat.apply([{ params: {}, buffers: {} }, ...state], arrayFrom(x, [ROWS, 40], "float64")),
    );
    assert.deepEqual(actual, expected);
    disposeState(state);
  });

  it("refuses a shape that does not hold the input, naming the layer and shape", () => {
    const build = (shape: unknown, input = [6]): Model =>
      new Model(
        [
          { type: "dense", units: 6 },
          { type: "reshape", shape },
        ],
        input,
        "float32",
      );
    const refused = (shape: unknown, message: RegExp): void =>
      assert.throws(
        () => build(shape),
        (error: unknown) => error instanceof LayerSpecError && message.test(error.message),
      );
    refused(
      [2, 2],
      /^layers\[1\]: reshape: shape \[2, 2\] holds 4 values a sample but the input \[6\] holds 6 values a sample$/,
    );
    refused([-1, -1], /^layers\[1\]: reshape: shape \[-1, -1\] may hold -1 only once$/);
    refused(
      [4, -1],
      /^layers\[1\]: reshape: shape \[4, -1\] cannot be filled in: .* not a multiple of 4$/,
    );
    refused([0, 6], /^layers\[1\]\.shape\[0\]: sizes must be positive integers, or -1/);
    refused([2.5, 2], /^layers\[1\]\.shape\[0\]: /);
    refused([], /^layers\[1\]\.shape: /);
    refused(undefined, /^layers\[1\]\.shape: /);
  });
});
