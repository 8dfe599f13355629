/**
 * A minimal reader of tar archives (POSIX ustar and GNU tar, as `tar czf` writes them): enough
 * to list regular files and their bytes. Headers are 512-byte blocks (name at 0, octal size at
 * 124, checksum at 148, type at 156, "ustar" magic at 257, name prefix at 345); file data follows,
 * padded to 512 bytes; two zero blocks end the archive. GNU long names ('L') and pax 'path'
 * records ('x') are honoured; other entry types are listed with their type letter.
 */
import { DataError } from "../task.js";

export interface TarEntry {
  /** Path inside the archive, e.g. "cifar-10-batches-bin/data_batch_1.bin". */
  readonly name: string;
  /** "file", "directory", or the raw type letter of anything else. */
  readonly type: string;
  /** The entry's bytes (a view into the archive). */
  readonly data: Uint8Array;
}

const BLOCK = 512;
const decoder = new TextDecoder();

function text(bytes: Uint8Array, from: number, length: number): string {
  const field = bytes.subarray(from, from + length);
  const end = field.indexOf(0);
  return decoder.decode(end === -1 ? field : field.subarray(0, end));
}

/** A numeric header field: octal ASCII, or GNU base-256 (high bit of the first byte set). */
function numberField(bytes: Uint8Array, from: number, length: number): number {
  if (((bytes[from] as number) & 0x80) !== 0) {
    let value = (bytes[from] as number) & 0x7f;
    for (let k = 1; k < length; k++) value = value * 256 + (bytes[from + k] as number);
    return value;
  }
  const digits = text(bytes, from, length).trim();
  if (digits === "") return 0;
  if (!/^[0-7]+$/.test(digits)) return Number.NaN;
  return parseInt(digits, 8);
}

/** Every entry of a tar archive, in order; `file` names the archive in errors. */
export function readTar(archive: Uint8Array, file: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return entries; // end-of-archive marker
    const fail = (problem: string): never => {
      throw new DataError(`${file}: tar header at byte ${offset}: ${problem}`);
    };
    // The checksum is the byte sum of the header with its own 8-byte field read as spaces.
    let sum = 8 * 0x20;
    for (let k = 0; k < BLOCK; k++) if (k < 148 || k >= 156) sum += header[k] as number;
    const stored = numberField(header, 148, 8);
    if (stored !== sum) fail(`checksum ${stored} does not match the header's byte sum ${sum}`);
    const size = numberField(header, 124, 12);
    if (!Number.isFinite(size)) fail("the size field is not an octal number");
    const dataStart = offset + BLOCK;
    if (dataStart + size > archive.length) {
      fail(`entry needs ${size} bytes, the archive ends after ${archive.length - dataStart}`);
    }
    const data = archive.subarray(dataStart, dataStart + size);
    const typeFlag = String.fromCharCode(header[156] as number);
    let name = text(header, 0, 100);
    if (text(header, 257, 6) === "ustar") {
      const prefix = text(header, 345, 155);
      if (prefix !== "") name = `${prefix}/${name}`; // POSIX only: GNU's magic is "ustar "
    }
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (typeFlag === "L") {
      longName = text(data, 0, data.length);
      continue;
    }
    if (typeFlag === "x") {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(decoder.decode(data));
      if (path) longName = path[1];
      continue;
    }
    if (typeFlag === "g") continue;
    if (longName !== undefined) {
      name = longName;
      longName = undefined;
    }
    const type =
      typeFlag === "0" || typeFlag === "\0" || typeFlag === "7"
        ? "file"
        : typeFlag === "5"
          ? "directory"
          : typeFlag;
    entries.push({ name, type, data });
  }
  if (archive.length === 0) throw new DataError(`${file}: empty tar archive`);
  if (offset < archive.length) {
    throw new DataError(
      `${file}: truncated tar archive: ${archive.length - offset} bytes left where a 512-byte header should be`,
    );
  }
  return entries; // no end marker: tolerated, as GNU tar does (with a warning)
}
