/**
 * Protocol v2 of the torch engine's child process (docs/engines.md, "The protocol"): a message is a
 * 4-byte little-endian length n, n bytes of UTF-8 JSON (the header), then the bytes of the arrays
 * the header lists under "arrays", in order (little-endian, row-major).
 */

export const PROTOCOL_VERSION = 2;

export type WireDType = "f64" | "f32" | "i32";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const ITEM_BYTES: Record<WireDType, number> = { f64: 8, f32: 4, i32: 4 };

/** An array of a message: its values as float64 on this side, whatever dtype it travelled in. */
export interface WireArray {
  name: string;
  shape: number[];
  values: Float64Array;
}

export interface Message {
  header: Record<string, unknown>;
  arrays: WireArray[];
}

interface ArrayEntry {
  name: string;
  dtype: WireDType;
  shape: number[];
}

const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** One frame; every array is sent as f64 (the Python side casts to the request's dtype). */
export function encodeMessage(header: Record<string, unknown>, arrays: WireArray[] = []): Buffer {
  const entries: ArrayEntry[] = arrays.map(({ name, shape }) => ({ name, dtype: "f64", shape }));
  const json = Buffer.from(
    JSON.stringify(arrays.length > 0 ? { ...header, arrays: entries } : header),
    "utf8",
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length, 0);
  const parts: Buffer[] = [length, json];
  for (const array of arrays) {
    if (array.values.length !== count(array.shape))
      throw new RangeError(
        `array '${array.name}': ${array.values.length} values for shape [${array.shape.join(", ")}]`,
      );
    parts.push(
      LITTLE_ENDIAN
        ? Buffer.from(array.values.buffer, array.values.byteOffset, array.values.byteLength)
        : Buffer.from(Float64Array.from(array.values, (v) => v).buffer).swap64(),
    );
  }
  return Buffer.concat(parts);
}

function decodeArray(entry: ArrayEntry, bytes: Buffer): Float64Array {
  const n = count(entry.shape);
  if (LITTLE_ENDIAN && entry.dtype !== "i32") {
    // copied into aligned memory, then read as the wire's float type
    const aligned = new Uint8Array(bytes.length);
    aligned.set(bytes);
    return entry.dtype === "f64"
      ? new Float64Array(aligned.buffer)
      : Float64Array.from(new Float32Array(aligned.buffer));
  }
  const values = new Float64Array(n);
  const read =
    entry.dtype === "f64"
      ? (i: number) => bytes.readDoubleLE(i * 8)
      : entry.dtype === "f32"
        ? (i: number) => bytes.readFloatLE(i * 4)
        : (i: number) => bytes.readInt32LE(i * 4);
  for (let i = 0; i < n; i++) values[i] = read(i);
  return values;
}

function arrayEntries(header: Record<string, unknown>): ArrayEntry[] {
  const listed = header.arrays;
  if (listed === undefined) return [];
  if (!Array.isArray(listed)) throw new Error("protocol: 'arrays' of a message is not a list");
  return listed.map((raw: unknown) => {
    const entry = raw as Partial<ArrayEntry>;
    if (
      typeof entry.name !== "string" ||
      !(entry.dtype !== undefined && entry.dtype in ITEM_BYTES) ||
      !Array.isArray(entry.shape) ||
      !entry.shape.every((d) => Number.isInteger(d) && d >= 0)
    )
      throw new Error(`protocol: bad array entry ${JSON.stringify(raw)}`);
    return entry as ArrayEntry;
  });
}

/** JSON as Python's json module writes it: NaN, Infinity and -Infinity outside strings. */
function parseHeader(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    let out = "";
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (inString) {
        out += c;
        if (c === "\\") out += text[++i] ?? "";
        else if (c === '"') inString = false;
      } else if (c === '"') {
        inString = true;
        out += c;
      } else if (text.startsWith("NaN", i)) {
        out += '"\\u0000NaN"';
        i += 2;
      } else if (text.startsWith("-Infinity", i)) {
        out += '"\\u0000-Infinity"';
        i += 8;
      } else if (text.startsWith("Infinity", i)) {
        out += '"\\u0000Infinity"';
        i += 7;
      } else out += c;
    }
    return JSON.parse(out, (_, v: unknown) =>
      typeof v === "string" && v.startsWith("\u0000") ? Number(v.slice(1)) : v,
    ) as Record<string, unknown>;
  }
}

/**
 * Splits a byte stream into messages: `push` the chunks as they come; every complete message is
 * handed to `onMessage`, in order. A malformed header throws from `push`.
 */
export class MessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the message at the front needs before it can be read (chunks are joined only then). */
  private needed = 4;

  constructor(private readonly onMessage: (message: Message) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.buffered < this.needed) return;
      const data = this.take();
      const headerBytes = data.readUInt32LE(0);
      this.needed = 4 + headerBytes;
      if (data.length < this.needed) return;
      const header = parseHeader(data.toString("utf8", 4, 4 + headerBytes));
      const entries = arrayEntries(header);
      const sizes = entries.map((e) => count(e.shape) * ITEM_BYTES[e.dtype]);
      const total = 4 + headerBytes + sizes.reduce((a, b) => a + b, 0);
      this.needed = total;
      if (data.length < total) return;
      let offset = 4 + headerBytes;
      const arrays = entries.map((entry, i) => {
        const bytes = data.subarray(offset, offset + sizes[i]!);
        offset += sizes[i]!;
        return { name: entry.name, shape: entry.shape, values: decodeArray(entry, bytes) };
      });
      const rest = data.subarray(total);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.needed = 4;
      delete header.arrays;
      this.onMessage({ header, arrays });
    }
  }

  /** The buffered bytes as one buffer (concatenated once, kept so). */
  private take(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }
}
