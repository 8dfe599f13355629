import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { grad, jit, numpy as np } from "@jax-js/jax";
import type { FloatDType } from "../src/engine/dtype.js";
import { arrayFrom } from "../src/engine/dtype.js";
import { keyFromSeed, startEngine, takeValues } from "../src/engine/index.js";
import type { Key } from "../src/engine/random.js";
import { normalSample } from "../src/engine/random.js";
import type { Conv2dSpec, InnerLayerBuilder, PoolSpec } from "../src/nn/conv/index.js";
import { convolveIm2col, convolveShifted } from "../src/nn/conv/conv2d.js";
import {
  CONV_LAYERS,
  Conv2dLayer,
  ConvKanLayer,
  FlattenLayer,
  makeConvKanDefinition,
  PoolLayer,
} from "../src/nn/conv/index.js";
import { DenseLayer } from "../src/nn/dense.js";
import type { FlopCount, Layer, LayerState, ShapeRecord } from "../src/nn/layer.js";
import { LayerSpecError, paramCount } from "../src/nn/layer.js";
import type { Values } from "./support/layer-check.js";
import {
  assertClose,
  checkLayerAgainstReference,
  fixedValues,
  layerOutput,
} from "./support/layer-check.js";

/** Linear layers are exact in float64 up to rounding; finite differences of them nearly so. */
const TIGHT = { rel: 1e-8, abs: 1e-9 };

interface Image {
  height: number;
  width: number;
  channels: number;
}

/** Output size and leading padding of one axis, written out from the TensorFlow/JAX rule. */
function axis(n: number, k: number, s: number, padding: "valid" | "same") {
  if (padding === "valid") return { out: Math.floor((n - k) / s) + 1, before: 0 };
  const out = Math.ceil(n / s);
  return { out, before: Math.floor(Math.max((out - 1) * s + k - n, 0) / 2) };
}

/** x[b, r, c, ch] of a flat row-major batch, 0 outside the image (zero padding). */
function pixel(x: Float64Array, im: Image, b: number, r: number, c: number, ch: number): number {
  if (r < 0 || r >= im.height || c < 0 || c >= im.width) return 0;
  return x[((b * im.height + r) * im.width + c) * im.channels + ch] as number;
}

interface ConvGeometry {
  im: Image;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padding: "valid" | "same";
}

/**
 * Direct convolution: y[b,i,j,f] = act(Σ x[b, sh·i+di−top, sw·j+dj−left, c]·w[di,dj,c,f] + b[f]),
 * w flat [kh, kw, cin, filters].
 */
function convReference(
  g: ConvGeometry,
  filters: number,
  act: (z: number, p: Values, f: number) => number = (z) => z,
) {
  const rows = axis(g.im.height, g.kh, g.sh, g.padding);
  const cols = axis(g.im.width, g.kw, g.sw, g.padding);
  return (p: Values, _b: Values, x: Float64Array): Float64Array => {
    const batch = x.length / (g.im.height * g.im.width * g.im.channels);
    const y = new Float64Array(batch * rows.out * cols.out * filters);
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < rows.out; i++)
        for (let j = 0; j < cols.out; j++)
          for (let f = 0; f < filters; f++) {
            let z = p.b ? (p.b[f] as number) : 0;
            for (let di = 0; di < g.kh; di++)
              for (let dj = 0; dj < g.kw; dj++)
                for (let c = 0; c < g.im.channels; c++) {
                  const r = g.sh * i + di - rows.before;
                  const col = g.sw * j + dj - cols.before;
                  const w = p.w![((di * g.kw + dj) * g.im.channels + c) * filters + f] as number;
                  z += pixel(x, g.im, b, r, col, c) * w;
                }
            y[((b * rows.out + i) * cols.out + j) * filters + f] = act(z, p, f);
          }
    return y;
  };
}

/** Pooling reference: reduce the window of each output over plain loops. */
function poolReference(im: Image, ph: number, pw: number, sh: number, sw: number, kind: string) {
  const oh = Math.floor((im.height - ph) / sh) + 1;
  const ow = Math.floor((im.width - pw) / sw) + 1;
  return (_p: Values, _b: Values, x: Float64Array): Float64Array => {
    const batch = x.length / (im.height * im.width * im.channels);
    const y = new Float64Array(batch * oh * ow * im.channels);
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let c = 0; c < im.channels; c++) {
            let max = -Infinity;
            let sum = 0;
            for (let di = 0; di < ph; di++)
              for (let dj = 0; dj < pw; dj++) {
                const v = pixel(x, im, b, sh * i + di, sw * j + dj, c);
                max = Math.max(max, v);
                sum += v;
              }
            y[((b * oh + i) * ow + j) * im.channels + c] = kind === "max" ? max : sum / (ph * pw);
          }
    return y;
  };
}

function convLayer(
  fields: Partial<Conv2dSpec> & { filters: number; kernel: Conv2dSpec["kernel"] },
  inputShape: number[],
  dtype: FloatDType = "float64",
): Conv2dLayer {
  const spec: Conv2dSpec = {
    type: "conv2d",
    stride: 1,
    padding: "valid",
    bias: true,
    activation: "identity",
    init: "he_normal",
    ...fields,
  };
  return new Conv2dLayer(spec, inputShape, dtype);
}

/** Bias set to non-zero values so a missing bias add would show. */
function withRandomBias(state: LayerState, filters: number, dtype: FloatDType): LayerState {
  if (state.params.b) {
    state.params.b.dispose();
    state.params.b = arrayFrom(fixedValues(filters, 7, 0.5), [filters], dtype);
  }
  return state;
}

const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

describe("conv2d", () => {
  before(async () => {
    await startEngine("wasm");
  });

  const cases: { name: string; g: ConvGeometry; bias: boolean; out: number[] }[] = [
    {
      name: "valid, stride 1, 3x3",
      g: { im: { height: 5, width: 4, channels: 2 }, kh: 3, kw: 3, sh: 1, sw: 1, padding: "valid" },
      bias: true,
      out: [3, 2, 3],
    },
    {
      name: "same, stride 1, 3x2 kernel (asymmetric padding)",
      g: { im: { height: 4, width: 5, channels: 2 }, kh: 3, kw: 2, sh: 1, sw: 1, padding: "same" },
      bias: true,
      out: [4, 5, 3],
    },
    {
      name: "same, stride 2, odd sizes",
      g: { im: { height: 5, width: 6, channels: 2 }, kh: 3, kw: 3, sh: 2, sw: 2, padding: "same" },
      bias: false,
      out: [3, 3, 3],
    },
    {
      name: "valid, stride 2, 2x2 kernel",
      g: { im: { height: 6, width: 5, channels: 2 }, kh: 2, kw: 2, sh: 2, sw: 2, padding: "valid" },
      bias: true,
      out: [3, 2, 3],
    },
    {
      name: "valid, stride [2, 1], kernel [3, 2]",
      g: { im: { height: 7, width: 4, channels: 2 }, kh: 3, kw: 2, sh: 2, sw: 1, padding: "valid" },
      bias: true,
      out: [3, 3, 3],
    },
  ];

  for (const { name, g, bias, out } of cases)
    it(`matches a direct convolution loop: ${name} (values and gradients, float64)`, () => {
      const inputShape = [g.im.height, g.im.width, g.im.channels];
      const layer = convLayer(
        {
          filters: 3,
          kernel: [g.kh, g.kw],
          stride: g.sh === g.sw ? g.sh : [g.sh, g.sw],
          padding: g.padding,
          bias,
        },
        inputShape,
      );
      assert.deepEqual(layer.outputShape, out);
      const state = withRandomBias(layer.init(keyFromSeed(3)), 3, "float64");
      assert.deepEqual(Object.keys(state.params).sort(), bias ? ["b", "w"] : ["w"]);
      assert.deepEqual(state.params.w!.shape, [g.kh, g.kw, 2, 3]);
      const x = fixedValues(2 * sizeOf(inputShape), 11);
      checkLayerAgainstReference(layer, state, convReference(g, 3), x, TIGHT);
    });

  // stride 1 runs as matmuls over shifted rows (convolveShifted): one input channel (a broadcast
  // product), channels and filters not multiples of 4, a kernel larger than the image, 1x1
  const shiftedCases: { name: string; g: ConvGeometry; filters: number; batch: number }[] = [
    {
      name: "1 channel, same 3x3",
      g: { im: { height: 5, width: 6, channels: 1 }, kh: 3, kw: 3, sh: 1, sw: 1, padding: "same" },
      filters: 4,
      batch: 2,
    },
    {
      name: "5 channels, 6 filters, same 3x3",
      g: { im: { height: 6, width: 5, channels: 5 }, kh: 3, kw: 3, sh: 1, sw: 1, padding: "same" },
      filters: 6,
      batch: 2,
    },
    {
      name: "same 5x4 kernel on a 3x3 image (every window partly padding)",
      g: { im: { height: 3, width: 3, channels: 2 }, kh: 5, kw: 4, sh: 1, sw: 1, padding: "same" },
      filters: 3,
      batch: 2,
    },
    {
      name: "1x1 kernel",
      g: { im: { height: 3, width: 4, channels: 3 }, kh: 1, kw: 1, sh: 1, sw: 1, padding: "valid" },
      filters: 2,
      batch: 3,
    },
  ];
  for (const { name, g, filters, batch } of shiftedCases)
    it(`matches a direct convolution loop, stride 1: ${name} (values and gradients, float64)`, () => {
      const inputShape = [g.im.height, g.im.width, g.im.channels];
      const layer = convLayer(
        { filters, kernel: [g.kh, g.kw], padding: g.padding, bias: true },
        inputShape,
      );
      const rows = axis(g.im.height, g.kh, 1, g.padding).out;
      const cols = axis(g.im.width, g.kw, 1, g.padding).out;
      assert.deepEqual(layer.outputShape, [rows, cols, filters]);
      const state = withRandomBias(layer.init(keyFromSeed(8)), filters, "float64");
      const x = fixedValues(batch * sizeOf(inputShape), 21);
      checkLayerAgainstReference(layer, state, convReference(g, filters), x, TIGHT);
    });

  // the CNN benchmark's two convolutions (bench/cnn-throughput.ts) at a smaller batch, and a
  // channel count whose matmul splits its reduction (matmul2d): shifted rows against im2col
  for (const [name, shape, filters, batch] of [
    ["28x28x1 -> 8, same 3x3", [28, 28, 1], 8, 3],
    ["14x14x6 -> 8, same 3x3", [14, 14, 6], 8, 6],
    ["9x8x4 -> 4, valid 3x2", [9, 8, 4], 4, 2],
  ] as const)
    it(`gives im2col's values and gradients with shifted rows: ${name} (float64, 1e-9)`, () => {
      const kernel: [number, number] = name.includes("3x2") ? [3, 2] : [3, 3];
      const padding = name.includes("valid") ? "valid" : "same";
      const layer = convLayer({ filters, kernel, padding, bias: false }, [...shape]);
      const g = layer.geometry;
      const w = normalSample(keyFromSeed(9), [kernel[0], kernel[1], shape[2], filters], "float64");
      const x = arrayFrom(
        fixedValues(batch * sizeOf([...shape]), 23),
        [batch, ...shape],
        "float64",
      );
      const r = arrayFrom(
        fixedValues(batch * sizeOf([...layer.outputShape]), 24),
        [batch, ...layer.outputShape],
        "float64",
      );
      const results = [convolveShifted, convolveIm2col].map((convolve) => {
        const loss = (kernelArg: np.Array, input: np.Array): np.Array =>
          convolve(input, kernelArg, g).mul(r.ref).sum();
        const [dw, dx] = grad(loss, { argnums: [0, 1] })(w.ref, x.ref) as unknown as [
          np.Array,
          np.Array,
        ];
        return {
          y: takeValues(convolve(x.ref, w.ref, g)),
          dw: takeValues(dw),
          dx: takeValues(dx),
        };
      });
      w.dispose();
      x.dispose();
      r.dispose();
      const [shifted, im2col] = results as [(typeof results)[0], (typeof results)[0]];
      const close = { rel: 1e-9, abs: 1e-12 };
      assertClose(shifted.y, im2col.y, "y", close);
      assertClose(shifted.dw, im2col.dw, "d/dw", close);
      assertClose(shifted.dx, im2col.dx, "d/dx", close);
      assert.ok(shifted.y.some((v) => v !== 0) && shifted.dw.some((v) => v !== 0));
    });

  it("refuses a stride above 1 in convolveShifted", () => {
    const layer = convLayer({ filters: 2, kernel: 3, stride: 2 }, [6, 6, 1]);
    const w = np.zeros([3, 3, 1, 2], { dtype: np.float64 });
    const x = np.zeros([1, 6, 6, 1], { dtype: np.float64 });
    assert.throws(() => convolveShifted(x, w, layer.geometry), /stride 1 only/);
    w.dispose();
    x.dispose();
  });

  it("applies a per-channel PReLU after the convolution (its slope is a [filters] param)", () => {
    const g: ConvGeometry = {
      im: { height: 4, width: 4, channels: 2 },
      kh: 3,
      kw: 3,
      sh: 1,
      sw: 1,
      padding: "same",
    };
    const layer = convLayer(
      {
        filters: 3,
        kernel: 3,
        padding: "same",
        activation: "max(x, 0) + a*min(x, 0) where a = 0.25 per_channel",
      },
      [4, 4, 2],
    );
    const state = withRandomBias(layer.init(keyFromSeed(4)), 3, "float64");
    assert.deepEqual(state.params["act.a"]!.shape, [3]);
    state.params["act.a"]!.dispose();
    state.params["act.a"] = arrayFrom([0.1, 0.2, 0.3], [3], "float64");
    const prelu = (z: number, p: Values, f: number): number =>
      z > 0 ? z : (p["act.a"]![f] as number) * z;
    const x = fixedValues(2 * 4 * 4 * 2, 12);
    checkLayerAgainstReference(layer, state, convReference(g, 3, prelu), x, TIGHT);
  });

  it("gives the same values under jit (float32)", () => {
    const layer = convLayer(
      { filters: 4, kernel: 3, stride: 2, padding: "same" },
      [7, 6, 3],
      "float32",
    );
    const state = layer.init(keyFromSeed(5));
    const x = fixedValues(3 * 7 * 6 * 3, 13);
    const eager = layerOutput(layer, state, x);
    const jitted = jit((params: Record<string, np.Array>, input: np.Array) =>
      layer.apply({ params, buffers: {} }, input),
    );
    const input = arrayFrom(x, [3, 7, 6, 3], "float32");
    const params = { w: state.params.w!.ref, b: state.params.b!.ref };
    assertClose(takeValues(jitted(params, input)), eager, "jit", { rel: 1e-5, abs: 1e-6 });
  });

  it("initialises he_normal with fan-in kh·kw·cin", () => {
    const layer = convLayer({ filters: 64, kernel: 3 }, [8, 8, 16], "float64");
    const state = layer.init(keyFromSeed(6));
    const w = takeValues(state.params.w!);
    const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
    // 9216 draws: the sample variance is within ±3% of 2/(3·3·16) with overwhelming probability.
    assert.ok(Math.abs(variance / (2 / 144) - 1) < 0.06, `variance ${variance}`);
    assert.deepEqual(takeValues(state.params.b!), new Float64Array(64));
  });

  it("counts parameters and FLOPs by hand", () => {
    const layer = convLayer(
      { filters: 8, kernel: 3, padding: "same", activation: "relu" },
      [28, 28, 1],
      "float32",
    );
    assert.deepEqual(layer.outputShape, [28, 28, 8]);
    assert.equal(paramCount(layer), 3 * 3 * 1 * 8 + 8);
    // 28·28 positions × 9 taps × 8 filters multiply-adds, then a bias add and a relu per output.
    const forward = 2 * 28 * 28 * 9 * 8 + 28 * 28 * 8 + 28 * 28 * 8;
    assert.deepEqual(layer.flops(), { forward, backward: 2 * forward });

    const strided = convLayer({ filters: 5, kernel: [3, 2], stride: 2, bias: false }, [9, 7, 4]);
    // Ho = ⌊(9−3)/2⌋+1 = 4, Wo = ⌊(7−2)/2⌋+1 = 3
    assert.deepEqual(strided.outputShape, [4, 3, 5]);
    assert.equal(paramCount(strided), 3 * 2 * 4 * 5);
    assert.equal(strided.flops().forward, 2 * 4 * 3 * (3 * 2 * 4) * 5);
  });

  it("is listed in CONV_LAYERS with the documented defaults", () => {
    const definition = CONV_LAYERS.find((d) => d.type === "conv2d")!;
    const spec = definition.schema.parse({ type: "conv2d", filters: 4, kernel: 3 });
    assert.deepEqual(spec, {
      type: "conv2d",
      filters: 4,
      kernel: 3,
      stride: 1,
      padding: "valid",
      bias: true,
      activation: "identity",
      init: "he_normal",
    });
    assert.deepEqual(definition.build(spec, [8, 8, 3], "float32").outputShape, [6, 6, 4]);
    assert.deepEqual(
      CONV_LAYERS.map((d) => d.type),
      ["conv2d", "maxpool2d", "avgpool2d", "flatten"],
    );
  });

  it("rejects bad specs, naming the field", () => {
    const schema = CONV_LAYERS.find((d) => d.type === "conv2d")!.schema;
    const failingPath = (value: unknown): string => {
      const result = schema.safeParse(value);
      assert.equal(result.success, false, JSON.stringify(value));
      return result.error!.issues.map((issue) => issue.path.join(".")).join(",");
    };
    assert.equal(
      failingPath({ type: "conv2d", filters: 4, kernel: 3, padding: "full" }),
      "padding",
    );
    assert.equal(failingPath({ type: "conv2d", filters: 0, kernel: 3 }), "filters");
    assert.equal(failingPath({ type: "conv2d", filters: 2, kernel: [3] }), "kernel");
    assert.equal(failingPath({ type: "conv2d", filters: 2, kernel: 3, stride: 0 }), "stride");
    assert.equal(failingPath({ type: "conv2d", filters: 2 }), "kernel");
    const unknown = schema.safeParse({ type: "conv2d", filters: 2, kernel: 3, kernel_size: 3 });
    assert.match(JSON.stringify(unknown.error!.issues), /kernel_size/);

    assert.throws(
      () => convLayer({ filters: 2, kernel: 3 }, [28, 28]),
      (e: unknown) =>
        e instanceof LayerSpecError && /conv2d needs image inputs.*\[28, 28\]/.test(e.message),
    );
    assert.throws(
      () => convLayer({ filters: 2, kernel: 5 }, [4, 4, 1]),
      (e: unknown) =>
        e instanceof LayerSpecError && /kernel 5x5 is larger than the input 4x4/.test(e.message),
    );
    assert.throws(
      () => convLayer({ filters: 2, kernel: [2, 5] }, [4, 4, 1]),
      /kernel 2x5 is larger than the input 4x4/,
    );
    assert.throws(
      () => convLayer({ filters: 2, kernel: 3, activation: "tanh(x" }, [4, 4, 1]),
      (e: unknown) => e instanceof LayerSpecError && /^activation:/.test(e.message),
    );
    assert.throws(() => convLayer({ filters: 0, kernel: 3 }, [4, 4, 1]), /filters/);
    // "same" padding keeps a kernel larger than the image well defined (all windows padded).
    assert.deepEqual(
      convLayer({ filters: 2, kernel: 5, padding: "same" }, [4, 4, 1]).outputShape,
      [4, 4, 2],
    );
  });
});

function poolLayer(
  spec: Omit<PoolSpec, "stride"> & { stride?: PoolSpec["stride"] },
  shape: number[],
) {
  return new PoolLayer(spec, shape, "float64");
}

describe("maxpool2d and avgpool2d", () => {
  before(async () => {
    await startEngine("wasm");
  });

  const im = { height: 7, width: 6, channels: 2 };
  const shape = [7, 6, 2];
  const configs = [
    {
      label: "2x2, default stride 2 (odd height: last row dropped)",
      size: 2,
      stride: undefined,
      p: [2, 2, 2, 2],
      out: [3, 3, 2],
    },
    { label: "3x3 stride 2 (overlapping)", size: 3, stride: 2, p: [3, 3, 2, 2], out: [3, 2, 2] },
    {
      label: "[2, 3] stride 1",
      size: [2, 3] as [number, number],
      stride: 1,
      p: [2, 3, 1, 1],
      out: [6, 4, 2],
    },
  ];

  for (const kind of ["max", "avg"] as const)
    for (const c of configs)
      it(`${kind}pool2d matches plain loops: ${c.label} (values and gradients)`, () => {
        const layer = poolLayer(
          { type: `${kind}pool2d`, pool_size: c.size, stride: c.stride },
          shape,
        );
        assert.deepEqual(layer.outputShape, c.out);
        const state = layer.init(keyFromSeed(1));
        const [ph, pw, sh, sw] = c.p as [number, number, number, number];
        // Distinct random values: no ties, so max is differentiable and finite differences agree.
        const x = fixedValues(2 * 7 * 6 * 2, 21);
        const reference = poolReference(im, ph, pw, sh, sw, kind);
        checkLayerAgainstReference(layer, state, reference, x, TIGHT);
      });

  it("maxpool2d gives a tie's whole gradient to the first tied value in the window", () => {
    const layer = poolLayer({ type: "maxpool2d", pool_size: 2 }, [2, 4, 1]);
    // Window 1 ties at all four values; window 2 ties at its 2nd and 3rd (row-major).
    const x = arrayFrom([1, 1, 0, 2, 1, 1, 2, 0.5], [1, 2, 4, 1], "float64");
    const dx = grad((input: np.Array) => layer.apply({ params: {}, buffers: {} }, input).sum())(x);
    assert.deepEqual(Array.from(takeValues(dx)), [1, 0, 0, 1, 0, 0, 0, 0]);
  });

  it("counts FLOPs by hand and has no parameters", () => {
    const max = poolLayer({ type: "maxpool2d", pool_size: 2 }, [28, 28, 8]);
    const avg = poolLayer({ type: "avgpool2d", pool_size: 2 }, [28, 28, 8]);
    assert.deepEqual(max.outputShape, [14, 14, 8]);
    assert.equal(paramCount(max) + paramCount(avg), 0);
    // 3 comparisons per output; average: 3 adds and 1 multiply per output.
    assert.deepEqual(max.flops(), { forward: 14 * 14 * 8 * 3, backward: 2 * 14 * 14 * 8 * 3 });
    assert.equal(avg.flops().forward, 14 * 14 * 8 * 4);
  });

  it("has the documented defaults and rejects bad specs, naming the field", () => {
    const schema = CONV_LAYERS.find((d) => d.type === "maxpool2d")!.schema;
    assert.deepEqual(schema.parse({ type: "maxpool2d" }), { type: "maxpool2d", pool_size: 2 });
    const bad = schema.safeParse({ type: "maxpool2d", pool_size: 2, padding: "same" });
    assert.equal(bad.success, false);
    assert.match(JSON.stringify(bad.error!.issues), /padding/);
    const zero = schema.safeParse({ type: "maxpool2d", pool_size: 0 });
    assert.deepEqual(zero.error!.issues[0]!.path, ["pool_size"]);
    assert.throws(
      () => poolLayer({ type: "maxpool2d", pool_size: 3 }, [2, 2, 4]),
      (e: unknown) =>
        e instanceof LayerSpecError &&
        /maxpool2d: pool_size 3x3 is larger than the input 2x2/.test(e.message),
    );
    assert.throws(
      () => poolLayer({ type: "avgpool2d", pool_size: 2 }, [16]),
      /avgpool2d needs image inputs/,
    );
  });
});

describe("flatten", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("flattens [H, W, C] row-major with channels fastest", () => {
    const layer = new FlattenLayer([2, 3, 2], "float64");
    assert.deepEqual(layer.outputShape, [12]);
    assert.equal(paramCount(layer), 0);
    assert.deepEqual(layer.flops(), { forward: 0, backward: 0 });
    // x[b, h, w, c] = 1000·b + 100·h + 10·w + c; flat index (h·3 + w)·2 + c.
    const x = new Float64Array(2 * 12);
    const expected = new Float64Array(2 * 12);
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 2; h++)
        for (let w = 0; w < 3; w++)
          for (let c = 0; c < 2; c++) {
            const value = 1000 * b + 100 * h + 10 * w + c;
            x[((b * 2 + h) * 3 + w) * 2 + c] = value;
            expected[b * 12 + (h * 3 + w) * 2 + c] = value;
          }
    const state = layer.init(keyFromSeed(1));
    assert.deepEqual(layerOutput(layer, state, x), expected);
    assert.deepEqual(
      Array.from(layerOutput(layer, state, x).slice(12, 16)),
      [1000, 1001, 1010, 1011],
    );
  });
});

/**
 * A small polynomial KAN written here (not another helper's file): every edge i→j carries
 * φ_ij(x) = Σ_{k=1..3} c[k−1, i, j]·x^k, and y_j = Σ_i φ_ij(x_i). Coefficients flat [3, n, m].
 */
class PowerKanLayer implements Layer {
  readonly kind = "test_power_kan";
  readonly outputShape: readonly number[];

  constructor(
    readonly units: number,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    this.outputShape = [units];
  }

  get inputs(): number {
    return this.inputShape[0] as number;
  }

  paramShapes(): ShapeRecord {
    return { c: [3, this.inputs, this.units] };
  }

  init(key: Key): LayerState {
    return {
      params: { c: normalSample(key, [3, this.inputs, this.units], this.dtype).mul(0.3) },
      buffers: {},
    };
  }

  apply(state: LayerState, x: np.Array): np.Array {
    const x2 = x.ref.mul(x.ref);
    const x3 = x2.ref.mul(x.ref);
    const basis = np.concatenate([x, x2, x3], 1);
    return np.matmul(basis, state.params.c!.ref.reshape([3 * this.inputs, this.units]));
  }

  flops(): FlopCount {
    const forward = 2 * this.inputs + 2 * 3 * this.inputs * this.units;
    return { forward, backward: 2 * forward };
  }
}

const testBuilder: InnerLayerBuilder = (spec, inputShape, dtype) => {
  const units = spec.units as number;
  if (spec.type === "dense")
    return new DenseLayer(
      {
        type: "dense",
        units,
        activation: String(spec.activation ?? "identity"),
        bias: true,
        init: "lecun_normal",
      },
      inputShape,
      dtype,
    );
  if (spec.type === "power_kan") return new PowerKanLayer(units, inputShape, dtype);
  if (spec.type === "flatten") return new FlattenLayer(inputShape, dtype);
  throw new LayerSpecError(`unknown layer type '${spec.type}'`);
};

/** conv_kan reference: the inner function applied to each zero-padded window (di, dj, c). */
function convKanReference(
  g: ConvGeometry,
  filters: number,
  inner: (window: number[], p: Values, f: number) => number,
) {
  const rows = axis(g.im.height, g.kh, g.sh, g.padding);
  const cols = axis(g.im.width, g.kw, g.sw, g.padding);
  return (p: Values, _b: Values, x: Float64Array): Float64Array => {
    const batch = x.length / (g.im.height * g.im.width * g.im.channels);
    const y = new Float64Array(batch * rows.out * cols.out * filters);
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < rows.out; i++)
        for (let j = 0; j < cols.out; j++) {
          const window: number[] = [];
          for (let di = 0; di < g.kh; di++)
            for (let dj = 0; dj < g.kw; dj++)
              for (let c = 0; c < g.im.channels; c++)
                window.push(
                  pixel(x, g.im, b, g.sh * i + di - rows.before, g.sw * j + dj - cols.before, c),
                );
          for (let f = 0; f < filters; f++)
            y[((b * rows.out + i) * cols.out + j) * filters + f] = inner(window, p, f);
        }
    return y;
  };
}

describe("conv_kan", () => {
  before(async () => {
    await startEngine("wasm");
  });

  const definition = makeConvKanDefinition(testBuilder);
  const build = (fields: Record<string, unknown>, shape: number[]): Layer =>
    definition.build(definition.schema.parse({ type: "conv_kan", ...fields }), shape, "float64");

  it("with a dense tanh inner equals a tanh convolution (values and gradients)", () => {
    const g: ConvGeometry = {
      im: { height: 5, width: 4, channels: 2 },
      kh: 3,
      kw: 2,
      sh: 2,
      sw: 1,
      padding: "same",
    };
    const layer = build(
      {
        filters: 3,
        kernel: [3, 2],
        stride: [2, 1],
        padding: "same",
        inner: { type: "dense", activation: "tanh" },
      },
      [5, 4, 2],
    );
    assert.ok(layer instanceof ConvKanLayer);
    assert.deepEqual(layer.outputShape, [3, 4, 3]);
    const state = layer.init(keyFromSeed(8));
    state.params.b!.dispose();
    state.params.b = arrayFrom([0.3, -0.2, 0.1], [3], "float64");
    // Dense weight w[(di·kw + dj)·cin + c, f]: the window's flat order.
    const inner = (window: number[], p: Values, f: number): number =>
      Math.tanh(window.reduce((z, v, k) => z + v * (p.w![k * 3 + f] as number), p.b![f] as number));
    checkLayerAgainstReference(
      layer,
      state,
      convKanReference(g, 3, inner),
      fixedValues(2 * 5 * 4 * 2, 9),
    );
  });

  it("with a polynomial KAN inner matches its per-edge sum (tight float64)", () => {
    const g: ConvGeometry = {
      im: { height: 4, width: 4, channels: 2 },
      kh: 2,
      kw: 2,
      sh: 1,
      sw: 1,
      padding: "valid",
    };
    const layer = build({ filters: 2, kernel: 2, inner: { type: "power_kan" } }, [4, 4, 2]);
    const state = layer.init(keyFromSeed(9));
    const n = 2 * 2 * 2;
    const inner = (window: number[], p: Values, f: number): number => {
      let y = 0;
      for (let i = 0; i < n; i++)
        for (let k = 1; k <= 3; k++)
          y += (p.c![((k - 1) * n + i) * 2 + f] as number) * (window[i] as number) ** k;
      return y;
    };
    checkLayerAgainstReference(
      layer,
      state,
      convKanReference(g, 2, inner),
      fixedValues(2 * 4 * 4 * 2, 10),
      TIGHT,
    );
  });

  it("counts the inner's parameters, and its FLOPs once per window", () => {
    const layer = build(
      { filters: 6, kernel: 3, padding: "same", inner: { type: "power_kan" } },
      [10, 8, 3],
    );
    assert.equal(paramCount(layer), 3 * (3 * 3 * 3) * 6);
    const perWindow = 2 * 27 + 2 * 3 * 27 * 6;
    assert.deepEqual(layer.flops(), {
      forward: 10 * 8 * perWindow,
      backward: 2 * 10 * 8 * perWindow,
    });
    const dense = build({ filters: 4, kernel: 3, stride: 2, inner: { type: "dense" } }, [9, 9, 2]);
    assert.deepEqual(dense.outputShape, [4, 4, 4]);
    assert.equal(paramCount(dense), 18 * 4 + 4);
    assert.equal(dense.flops().forward, 4 * 4 * (2 * 18 * 4 + 4));
  });

  it("rejects bad specs, naming the field", () => {
    const missing = definition.schema.safeParse({ type: "conv_kan", filters: 2, kernel: 3 });
    assert.deepEqual(missing.error!.issues[0]!.path, ["inner"]);
    const untyped = definition.schema.safeParse({
      type: "conv_kan",
      filters: 2,
      kernel: 3,
      inner: { degree: 3 },
    });
    assert.deepEqual(untyped.error!.issues[0]!.path, ["inner", "type"]);
    assert.throws(
      () => build({ filters: 2, kernel: 3, inner: { type: "dense", units: 5 } }, [6, 6, 1]),
      (e: unknown) =>
        e instanceof LayerSpecError &&
        /inner\.units \(5\) differs from filters \(2\)/.test(e.message),
    );
    assert.throws(
      () => build({ filters: 2, kernel: 3, inner: { type: "nope" } }, [6, 6, 1]),
      (e: unknown) =>
        e instanceof LayerSpecError &&
        /^conv_kan: inner: unknown layer type 'nope'/.test(e.message),
    );
    assert.throws(
      () => build({ filters: 2, kernel: 3, inner: { type: "flatten" } }, [6, 6, 1]),
      /conv_kan: inner \(type 'flatten'\) must map a window to \[2\] \(filters\), it gives \[9\]/,
    );
    assert.throws(
      () => build({ filters: 2, kernel: 7, inner: { type: "dense" } }, [6, 6, 1]),
      /conv_kan: kernel 7x7 is larger than the input 6x6/,
    );
    assert.throws(
      () => build({ filters: 2, kernel: 3, inner: { type: "dense" } }, [36]),
      /conv_kan needs image inputs/,
    );
  });
});
