import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SafeTensor } from "../src/train/safetensors.js";
import { decodeSafetensors, encodeSafetensors } from "../src/train/safetensors.js";

/** A file from its parts, built by hand: 8-byte little-endian header length, header, data. */
function fileFrom(header: string, data: ArrayLike<number> = []): Uint8Array {
  const json = Array.from(header, (c) => {
    assert.ok(c.charCodeAt(0) < 128, "fixtures keep to ASCII");
    return c.charCodeAt(0);
  });
  const n = json.length;
  const length = [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff, 0, 0, 0, 0];
  return Uint8Array.from([...length, ...json, ...Array.from(data)]);
}

const hexBytes = (hex: string): number[] =>
  Array.from(hex.replace(/\s+/g, "").match(/../g) ?? [], (byte) => parseInt(byte, 16));

/**
 * Written by the reference implementation (Python safetensors 0.8.0, safetensors.numpy.save) for
 *   {w: float32 [[1, -2], [0.5, 3]], b: float64 [0.25, -1, 1e-300], s: float32 7 (shape [])}
 * with metadata {step: "12", format: "nonlin"}: metadata first, F64 before F32, then by name,
 * header padded with 3 spaces to 216 = 27·8 bytes.
 */
const REFERENCE_HEADER =
  '{"__metadata__":{"step":"12","format":"nonlin"},' +
  '"b":{"dtype":"F64","shape":[3],"data_offsets":[0,24]},' +
  '"s":{"dtype":"F32","shape":[],"data_offsets":[24,28]},' +
  '"w":{"dtype":"F32","shape":[2,2],"data_offsets":[28,44]}}   ';
const REFERENCE_DATA = hexBytes(`
  000000000000d03f 000000000000f0bf 59f3f8c21f6ea501
  0000e040
  0000803f 000000c0 0000003f 00004040`);
const referenceFile = (): Uint8Array => fileFrom(REFERENCE_HEADER, REFERENCE_DATA);

const referenceTensors = (): Record<string, SafeTensor> => ({
  w: { dtype: "F32", shape: [2, 2], data: Float32Array.from([1, -2, 0.5, 3]) },
  b: { dtype: "F64", shape: [3], data: Float64Array.from([0.25, -1, 1e-300]) },
  s: { dtype: "F32", shape: [], data: Float32Array.from([7]) },
});

function assertSameTensors(
  actual: Record<string, SafeTensor>,
  expected: Record<string, SafeTensor>,
) {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [name, tensor] of Object.entries(expected)) {
    const got = actual[name]!;
    assert.equal(got.dtype, tensor.dtype, `${name} dtype`);
    assert.deepEqual(got.shape, tensor.shape, `${name} shape`);
    assert.equal(got.data.constructor, tensor.data.constructor, `${name} array type`);
    assert.equal(got.data.length, tensor.data.length, `${name} length`);
    tensor.data.forEach((value, i) =>
      assert.ok(
        Object.is(got.data[i], value),
        `${name}[${i}]: got ${got.data[i]}, expected ${value}`,
      ),
    );
  }
}

describe("safetensors", () => {
  it("decodes a file written by the reference implementation", () => {
    assert.equal(REFERENCE_HEADER.length, 216);
    const { tensors, metadata } = decodeSafetensors(referenceFile());
    assertSameTensors(tensors, referenceTensors());
    assert.deepEqual(metadata, { step: "12", format: "nonlin" });
  });

  it("encodes that file byte for byte", () => {
    const bytes = encodeSafetensors(referenceTensors(), { step: "12", format: "nonlin" });
    assert.deepEqual(Array.from(bytes), Array.from(referenceFile()));
  });

  it("round-trips F32 and F64 tensors with metadata, bit for bit", () => {
    const f32 = Float32Array.from({ length: 24 }, (_, i) =>
      Math.fround(Math.sin(i + 1) * 10 ** (i % 7)),
    );
    const tensors: Record<string, SafeTensor> = {
      "layers/0/w": { dtype: "F32", shape: [4, 1, 6], data: f32 },
      "layers/0/act.a": {
        dtype: "F64",
        shape: [3],
        data: Float64Array.from([Math.PI, -0, 5e-324]),
      },
      special: {
        dtype: "F64",
        shape: [2, 2],
        data: Float64Array.from([NaN, Infinity, -Infinity, 1 / 3]),
      },
      empty: { dtype: "F32", shape: [0, 5], data: new Float32Array(0) },
      scalar: { dtype: "F64", shape: [], data: Float64Array.from([-2.5]) },
    };
    const metadata = { spec: JSON.stringify({ type: "dense", units: 3 }), note: "ünïcode ✓" };
    const bytes = encodeSafetensors(tensors, metadata);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(headerLength % 8, 0, "the data starts 8-byte aligned");
    const decoded = decodeSafetensors(bytes);
    assertSameTensors(decoded.tensors, tensors);
    assert.deepEqual(decoded.metadata, metadata);

    // A view into a larger buffer, at an odd offset, reads the same.
    const embedded = new Uint8Array(bytes.length + 3);
    embedded.set(bytes, 3);
    assertSameTensors(decodeSafetensors(embedded.subarray(3)).tensors, tensors);
  });

  it("writes no __metadata__ when none is given and reads a file without one", () => {
    const bytes = encodeSafetensors({
      x: { dtype: "F32", shape: [1], data: Float32Array.from([2]) },
    });
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + bytes[0]!));
    assert.equal(header, '{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}' + "  "); // 54 + 2 = 56 = 7·8
    assert.deepEqual(decodeSafetensors(bytes).metadata, {});
    assert.deepEqual(decodeSafetensors(fileFrom("{}      ")).tensors, {});
  });

  const entry = (dtype: string, shape: number[], begin: number, end: number) =>
    `{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;

  it("rejects truncated and malformed files with errors naming the tensor", () => {
    const whole = referenceFile();
    const cases: [Uint8Array, RegExp][] = [
      [whole.subarray(0, 5), /truncated file: 5 bytes, fewer than the 8-byte header length/],
      [
        whole.subarray(0, 100),
        /truncated file: the header length says 216 bytes but only 92 follow/,
      ],
      [
        whole.subarray(0, whole.length - 4),
        /truncated file: tensor 'w' ends at byte 44 .* only 40 bytes/,
      ],
      [Uint8Array.from([...whole, 0, 0, 0, 0]), /4 bytes after the last tensor/],
      [
        fileFrom(`{"x":${entry("BF16", [2], 0, 4)}}`, [0, 0, 0, 0]),
        /tensor 'x': unsupported dtype 'BF16'/,
      ],
      [
        fileFrom(`{"x":${entry("F32", [3], 0, 8)}}`, new Array(8).fill(0)),
        /tensor 'x': shape \[3\] F32 needs 12 bytes but data_offsets \[0, 8\] span 8/,
      ],
      [
        fileFrom(
          `{"a":${entry("F32", [2], 0, 8)},"b":${entry("F32", [2], 4, 12)}}`,
          new Array(12).fill(0),
        ),
        /tensor 'b': data_offsets \[4, 12\] overlap tensor 'a'/,
      ],
      [
        fileFrom(
          `{"a":${entry("F32", [2], 0, 8)},"b":${entry("F32", [2], 12, 20)}}`,
          new Array(20).fill(0),
        ),
        /tensor 'b': data_offsets \[12, 20\] leave a gap at byte 8/,
      ],
      [
        fileFrom(
          `{"a":${entry("F64", [1], 0, 8)},"b":${entry("F64", [1000], 8, 8008)}}`,
          new Array(16).fill(0),
        ),
        /truncated file: tensor 'b' ends at byte 8008/,
      ],
      [
        fileFrom(`{"x":${entry("F32", [0], 8, 0)}}`),
        /tensor 'x': data_offsets \[8, 0\] end before they begin/,
      ],
      [
        fileFrom(`{"x":{"dtype":"F32","shape":[1]}}`, [0, 0, 0, 0]),
        /tensor 'x': data_offsets must be/,
      ],
      [
        fileFrom(`{"x":${entry("F32", [-1], 0, 0)}}`),
        /tensor 'x': shape must be a list of non-negative integers/,
      ],
      [fileFrom(`{"__metadata__":{"epoch":3}}`), /__metadata__ 'epoch' must be a string/],
      [fileFrom(`{"x": oops}`), /the header is not valid JSON/],
      [fileFrom(`["x"]`), /the header must start with '\{'/],
    ];
    for (const [bytes, message] of cases) assert.throws(() => decodeSafetensors(bytes), message);
  });

  it("refuses to encode inconsistent tensors, naming them", () => {
    assert.throws(
      () => encodeSafetensors({ w: { dtype: "F32", shape: [2, 2], data: new Float32Array(3) } }),
      /tensor 'w': shape \[2, 2\] holds 4 values but data has 3/,
    );
    assert.throws(
      () =>
        encodeSafetensors({
          w: { dtype: "F32", shape: [2], data: new Float64Array(2) as unknown as Float32Array },
        }),
      /tensor 'w': F32 data must be a Float32Array/,
    );
    assert.throws(
      () =>
        encodeSafetensors({ __metadata__: { dtype: "F64", shape: [], data: new Float64Array(1) } }),
      /'__metadata__' cannot name a tensor/,
    );
    assert.throws(
      () => encodeSafetensors({}, { epoch: 3 as unknown as string }),
      /__metadata__ 'epoch' must be a string/,
    );
  });
});
