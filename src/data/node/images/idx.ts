/**
 * Reader of the IDX format of the MNIST files (LeCun et al., http://yann.lecun.com/exdb/mnist/):
 * a 4-byte magic number (two zero bytes, an element-type byte, the number of dimensions), then
 * one big-endian uint32 per dimension, then the elements in row-major order. Only unsigned bytes
 * (type 0x08, what MNIST uses) are read; the other types are named in the error.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { DataError } from "../../task.js";

/** An n-dimensional array of bytes, row-major; `data` may share the file's buffer. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

const hex = (value: number): string => `0x${value.toString(16).padStart(2, "0")}`;

/** Parses IDX bytes; `file` names the source in errors. The data is a view, not a copy. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const fail = (problem: string): never => {
    throw new DataError(`${file}: not a valid IDX file: ${problem}`);
  };
  if (bytes.length < 4) fail(`${bytes.length} bytes, shorter than the 4-byte magic number`);
  const [zero0, zero1, type, rank] = bytes as unknown as [number, number, number, number];
  if (zero0 !== 0 || zero1 !== 0) {
    fail(`the magic number must start with two zero bytes, got ${hex(zero0)} ${hex(zero1)}`);
  }
  if (type !== 0x08) {
    const name = TYPE_NAMES[type];
    fail(
      name === undefined
        ? `unknown element type ${hex(type)}`
        : `element type ${hex(type)} (${name}) is not supported; only ${hex(0x08)} (unsigned byte)`,
    );
  }
  if (rank === 0) fail("the magic number declares 0 dimensions");
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    fail(
      `truncated header: ${rank} dimensions need ${headerBytes} bytes, the file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let elements = 1;
  for (let d = 0; d < rank; d++) {
    const size = view.getUint32(4 + 4 * d, false); // IDX is big-endian
    dims.push(size);
    elements *= size;
  }
  const available = bytes.length - headerBytes;
  if (available < elements) {
    fail(
      `truncated data: dimensions [${dims.join(", ")}] need ${elements} bytes after the ` +
        `${headerBytes}-byte header, the file has ${available}`,
    );
  }
  if (available > elements) {
    fail(
      `${available - elements} bytes after the ${elements} bytes that dimensions ` +
        `[${dims.join(", ")}] need`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Reads an IDX file (gzipped or not: gzip is recognised by its magic bytes 1f 8b). */
export function readIdxFile(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(
      `${path}: cannot read: ${code === "ENOENT" ? "no such file" : String(error)}`,
    );
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new DataError(`${path}: starts like gzip but cannot be gunzipped: ${String(error)}`);
    }
  }
  // A plain Uint8Array view, not the Buffer subclass: loops over a mix of both run slower.
  return parseIdx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/** Checks that an IDX array has the expected shape; −1 in `expected` matches any size. */
export function expectIdxShape(array: IdxArray, expected: readonly number[], file: string): void {
  const matches =
    array.dims.length === expected.length &&
    expected.every((size, d) => size === -1 || array.dims[d] === size);
  if (!matches) {
    const wanted = expected.map((size) => (size === -1 ? "n" : String(size))).join(", ");
    throw new DataError(`${file}: expected dimensions [${wanted}], got [${array.dims.join(", ")}]`);
  }
}
