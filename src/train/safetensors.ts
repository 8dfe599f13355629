/**
 * The safetensors checkpoint format (https://huggingface.co/docs/safetensors), F32 and F64:
 *   8 bytes   N, the header length, unsigned 64-bit little-endian
 *   N bytes   JSON header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {…}},
 *             padded with spaces so the data starts 8-byte aligned
 *   rest      the tensors' bytes, little-endian, row-major, at [begin, end) of this buffer,
 *             contiguous with no gaps or overlaps.
 * Written as the reference implementation does (metadata first, then tensors ordered by dtype
 * width, widest first, then by name), so files compare byte for byte. Pure Uint8Array/DataView:
 * no Node built-ins, so it runs in a browser too.
 */
import { RunError } from "../base/errors.js";

export type SafetensorsDType = "F32" | "F64";

export type SafeTensor =
  | { dtype: "F32"; shape: number[]; data: Float32Array }
  | { dtype: "F64"; shape: number[]; data: Float64Array };

export interface SafetensorsContents {
  tensors: Record<string, SafeTensor>;
  /** The `__metadata__` map; empty when the file has none. */
  metadata: Record<string, string>;
}

export class SafetensorsError extends RunError {
  override name = "SafetensorsError";
}

const BYTES_PER_ELEMENT: Record<SafetensorsDType, number> = { F32: 4, F64: 8 };
const METADATA_KEY = "__metadata__";
/** The reference implementation refuses larger headers (a guard against absurd lengths). */
const MAX_HEADER_BYTES = 100_000_000;
const HEADER_ALIGNMENT = 8;

function elementCount(shape: readonly number[]): number {
  return shape.reduce((count, size) => count * size, 1);
}

function isDType(value: unknown): value is SafetensorsDType {
  return value === "F32" || value === "F64";
}

function describeShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function checkShape(name: string, shape: unknown): number[] {
  if (
    !Array.isArray(shape) ||
    !shape.every((size) => typeof size === "number" && Number.isSafeInteger(size) && size >= 0)
  )
    throw new SafetensorsError(
      `tensor '${name}': shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`,
    );
  return shape as number[];
}

function checkMetadata(metadata: unknown): Record<string, string> {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))
    throw new SafetensorsError(`${METADATA_KEY} must be an object of strings`);
  for (const [key, value] of Object.entries(metadata))
    if (typeof value !== "string")
      throw new SafetensorsError(
        `${METADATA_KEY} '${key}' must be a string, got ${JSON.stringify(value)}`,
      );
  return { ...(metadata as Record<string, string>) };
}

/** Tensors in file order: widest dtype first, then by name (as the reference implementation). */
function fileOrder(names: string[], tensors: Record<string, SafeTensor>): string[] {
  return [...names].sort((a, b) => {
    const width =
      BYTES_PER_ELEMENT[(tensors[b] as SafeTensor).dtype] -
      BYTES_PER_ELEMENT[(tensors[a] as SafeTensor).dtype];
    return width !== 0 ? width : a < b ? -1 : a > b ? 1 : 0;
  });
}

export function encodeSafetensors(
  tensors: Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0)
    header[METADATA_KEY] = checkMetadata(metadata);
  const names = fileOrder(Object.keys(tensors), tensors);
  let offset = 0;
  for (const name of names) {
    const tensor = tensors[name] as SafeTensor;
    if (name === "" || name === METADATA_KEY)
      throw new SafetensorsError(`'${name}' cannot name a tensor`);
    if (!isDType(tensor.dtype))
      throw new SafetensorsError(
        `tensor '${name}': unsupported dtype '${String(tensor.dtype)}' (F32 or F64)`,
      );
    const expectedArray = tensor.dtype === "F32" ? Float32Array : Float64Array;
    if (!(tensor.data instanceof expectedArray))
      throw new SafetensorsError(
        `tensor '${name}': ${tensor.dtype} data must be a ${expectedArray.name}`,
      );
    const shape = checkShape(name, tensor.shape);
    if (elementCount(shape) !== tensor.data.length)
      throw new SafetensorsError(
        `tensor '${name}': shape ${describeShape(shape)} holds ${elementCount(shape)} values but data has ${tensor.data.length}`,
      );
    const end = offset + tensor.data.length * BYTES_PER_ELEMENT[tensor.dtype];
    header[name] = { dtype: tensor.dtype, shape: [...shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
  const bytes = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const name of names) {
    const tensor = tensors[name] as SafeTensor;
    if (tensor.dtype === "F32")
      for (const value of tensor.data) {
        view.setFloat32(position, value, true);
        position += 4;
      }
    else
      for (const value of tensor.data) {
        view.setFloat64(position, value, true);
        position += 8;
      }
  }
  return bytes;
}

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

function readHeaderEntry(name: string, info: unknown): HeaderEntry {
  if (typeof info !== "object" || info === null || Array.isArray(info))
    throw new SafetensorsError(`tensor '${name}': header entry must be an object`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== "string") throw new SafetensorsError(`tensor '${name}': dtype is missing`);
  if (!isDType(dtype))
    throw new SafetensorsError(
      `tensor '${name}': unsupported dtype '${dtype}' (nonlin reads F32 and F64)`,
    );
  const checkedShape = checkShape(name, shape);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => typeof o === "number" && Number.isSafeInteger(o) && o >= 0)
  )
    throw new SafetensorsError(
      `tensor '${name}': data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`,
    );
  const [begin, end] = offsets as [number, number];
  if (end < begin)
    throw new SafetensorsError(
      `tensor '${name}': data_offsets [${begin}, ${end}] end before they begin`,
    );
  const needed = elementCount(checkedShape) * BYTES_PER_ELEMENT[dtype];
  if (end - begin !== needed)
    throw new SafetensorsError(
      `tensor '${name}': shape ${describeShape(checkedShape)} ${dtype} needs ${needed} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  return { name, dtype, shape: checkedShape, begin, end };
}

function readHeader(bytes: Uint8Array, view: DataView): { header: unknown; dataStart: number } {
  if (bytes.length < 8)
    throw new SafetensorsError(
      `truncated file: ${bytes.length} bytes, fewer than the 8-byte header length`,
    );
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES))
    throw new SafetensorsError(
      `header length ${declared} exceeds the ${MAX_HEADER_BYTES}-byte limit: not a safetensors file?`,
    );
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.length)
    throw new SafetensorsError(
      `truncated file: the header length says ${headerLength} bytes but only ${bytes.length - 8} follow`,
    );
  const headerBytes = bytes.subarray(8, 8 + headerLength);
  if (headerBytes[0] !== 0x7b) throw new SafetensorsError("the header must start with '{'");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError("the header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsError(`the header is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    throw new SafetensorsError("the header must be a JSON object");
  return { header, dataStart: 8 + headerLength };
}

/** Checks that the entries tile the data buffer exactly: from 0, no gaps, overlaps or tail. */
function checkLayout(entries: HeaderEntry[], dataLength: number): void {
  let expected = 0;
  let previous: HeaderEntry | undefined;
  for (const entry of entries) {
    if (entry.begin < expected)
      throw new SafetensorsError(
        `tensor '${entry.name}': data_offsets [${entry.begin}, ${entry.end}] overlap tensor '${previous?.name}'`,
      );
    if (entry.begin > expected)
      throw new SafetensorsError(
        `tensor '${entry.name}': data_offsets [${entry.begin}, ${entry.end}] leave a gap at byte ${expected}`,
      );
    if (entry.end > dataLength)
      throw new SafetensorsError(
        `truncated file: tensor '${entry.name}' ends at byte ${entry.end} of the data but only ${dataLength} bytes follow the header`,
      );
    expected = entry.end;
    previous = entry;
  }
  if (expected !== dataLength)
    throw new SafetensorsError(
      `${dataLength - expected} bytes after the last tensor are not described by the header`,
    );
}

export function decodeSafetensors(bytes: Uint8Array): SafetensorsContents {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { header, dataStart } = readHeader(bytes, view);
  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) metadata = checkMetadata(info);
    else entries.push(readHeaderEntry(name, info));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkLayout(entries, bytes.length - dataStart);
  const tensors: Record<string, SafeTensor> = {};
  for (const entry of entries) {
    const count = elementCount(entry.shape);
    const start = dataStart + entry.begin;
    if (entry.dtype === "F32") {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(start + 4 * i, true);
      tensors[entry.name] = { dtype: "F32", shape: entry.shape, data };
    } else {
      const data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(start + 8 * i, true);
      tensors[entry.name] = { dtype: "F64", shape: entry.shape, data };
    }
  }
  return { tensors, metadata };
}
