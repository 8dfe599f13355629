/**
 * CIFAR-10 (Krizhevsky 2009, "Learning Multiple Layers of Features from Tiny Images"): 50 000
 * training and 10 000 test colour images, 32×32, 10 classes. The "binary version" archive is
 * downloaded once into the cache (src/data/node/download.ts); each record of its data_batch_1..5.bin
 * and test_batch.bin is 1 label byte and 3072 pixel bytes (1024 red, 1024 green, 1024 blue,
 * each row-major): the channel-first [3, 32, 32] layout, which `imageRows` makes channels last.
 */
import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { gunzipSync } from "node:zlib";
import type { CatalogEntry } from "../../catalog-entry.js";
import { CIFAR10_CLASS_NAMES, CIFAR10_INFO } from "../../images/image-sets.js";
import type { ImageDataSet, ImageSet } from "../../images/image-task.js";
import { checkImageSet, imageEntry } from "../../images/image-task.js";
import { readTar } from "../../images/tar.js";
import { DataError } from "../../task.js";
import type { Checksum } from "../download.js";
import { bytesChecksum, cachedPath, checkDigest, downloadToCache } from "../download.js";

export const CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
export const CIFAR10_FILE = "cifar-10-binary.tar.gz";
/** The MD5 published on https://www.cs.toronto.edu/~kriz/cifar.html. */
export const CIFAR10_CHECKSUM: Checksum = {
  algorithm: "md5",
  hex: "c32a1d4ab5d03f1284b67883e8d87530",
};
const SIDE = 32;
const PIXELS = 3 * SIDE * SIDE;
const RECORD = 1 + PIXELS;
const TRAIN_BATCHES = [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`);
const TEST_BATCH = "test_batch.bin";

/** Where the archive comes from and goes to; tests inject a local server and a temporary folder. */
export interface Cifar10Options {
  readonly url?: string;
  readonly cacheDir?: string;
  /** Default: the published MD5 of the archive. */
  readonly checksum?: Checksum;
  readonly onProgress?: (received: number, total: number | undefined) => void;
}

const downloadOptions = (options: Cifar10Options) => ({
  url: options.url ?? CIFAR10_URL,
  fileName: CIFAR10_FILE,
  checksum: options.checksum ?? CIFAR10_CHECKSUM,
  ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
  ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
});

/** Downloads the archive into the cache unless it is there already; returns its path. */
export function prepareCifar10(options: Cifar10Options = {}): Promise<string> {
  return downloadToCache(downloadOptions(options));
}

function records(bytes: Uint8Array, file: string): ImageSet {
  if (bytes.length % RECORD !== 0) {
    throw new DataError(
      `${file}: ${bytes.length} bytes is not a whole number of ${RECORD}-byte records (1 label + ${PIXELS} pixels)`,
    );
  }
  const count = bytes.length / RECORD;
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let r = 0; r < count; r++) {
    labels[r] = bytes[r * RECORD] as number;
    pixels.set(bytes.subarray(r * RECORD + 1, (r + 1) * RECORD), r * PIXELS);
  }
  return checkImageSet({ pixels, labels, count }, PIXELS, CIFAR10_CLASS_NAMES.length, file);
}

function concatenate(sets: readonly ImageSet[]): ImageSet {
  const count = sets.reduce((total, set) => total + set.count, 0);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let row = 0;
  for (const set of sets) {
    pixels.set(set.pixels, row * PIXELS);
    labels.set(set.labels, row);
    row += set.count;
  }
  return { pixels, labels, count };
}

/** Reads the binary-version archive (gzipped tar) from its bytes; `file` names it in errors. */
export function parseCifar10Archive(gzipped: Uint8Array, file: string): ImageDataSet {
  let tar: Uint8Array;
  try {
    tar = gunzipSync(gzipped);
  } catch (error) {
    throw new DataError(`${file}: cannot gunzip: ${String(error)}`);
  }
  const byName = new Map(
    readTar(tar, file)
      .filter((entry) => entry.type === "file")
      .map((entry) => [basename(entry.name), entry] as const),
  );
  const missing = [...TRAIN_BATCHES, TEST_BATCH].filter((name) => !byName.has(name));
  if (missing.length > 0) {
    throw new DataError(`${file}: the archive has no ${missing.join(", ")}`);
  }
  const batch = (name: string): ImageSet => {
    const entry = byName.get(name);
    return records(entry?.data ?? new Uint8Array(), `${file}:${entry?.name ?? name}`);
  };
  const meta = byName.get("batches.meta.txt");
  if (meta !== undefined) {
    const names = new TextDecoder()
      .decode(meta.data)
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "");
    if (names.join(",") !== CIFAR10_CLASS_NAMES.join(",")) {
      throw new DataError(
        `${file}:${meta.name}: class names ${names.join(", ")} are not CIFAR-10's ${CIFAR10_CLASS_NAMES.join(", ")}`,
      );
    }
  }
  return {
    train: concatenate(TRAIN_BATCHES.map(batch)),
    test: batch(TEST_BATCH),
    shape: CIFAR10_INFO.shape,
    classNames: CIFAR10_CLASS_NAMES,
  };
}

const loaded = new Map<string, ImageDataSet>();

/**
 * Reads the cached archive (synchronously: catalog entries make tasks synchronously), checking
 * its checksum. A missing archive is a DataError saying how to get it; nothing is downloaded here.
 */
export function loadCifar10(options: Cifar10Options = {}): ImageDataSet {
  const download = downloadOptions(options);
  const path = cachedPath(download);
  let stamp: string;
  try {
    const info = statSync(path);
    stamp = `${path}:${info.size}:${info.mtimeMs}:${download.checksum.algorithm}:${download.checksum.hex}`;
  } catch {
    throw new DataError(
      `image/cifar10: ${path} is not there yet. Download it first with the entry's prepare() ` +
        `(prepareCifar10 in src/data/node/images/cifar10.ts), or download ${download.url} by hand and ` +
        `copy it there (its ${download.checksum.algorithm} must be ${download.checksum.hex}); ` +
        `the cache folder is set by NONLIN_CACHE (default ~/.cache/nonlin).`,
    );
  }
  const cached = loaded.get(stamp);
  if (cached !== undefined) return cached;
  const buffer = readFileSync(path);
  checkDigest(
    bytesChecksum(buffer, download.checksum.algorithm),
    download.checksum,
    `${path} (delete it to download it again)`,
  );
  const data = parseCifar10Archive(buffer, path);
  loaded.set(stamp, data);
  return data;
}

/** A catalog entry that also knows how to download its data (`prepare`, async). */
export interface DownloadableCatalogEntry extends CatalogEntry {
  prepare(): Promise<string>;
}

/** The CIFAR-10 entry for a given source and cache; CIFAR10_ENTRY uses the defaults. */
export function cifar10Entry(options: Cifar10Options = {}): DownloadableCatalogEntry {
  return {
    ...imageEntry({
      ...CIFAR10_INFO,
      source: `CIFAR-10 binary version (${options.url ?? CIFAR10_URL}); pixels scaled to [0, 1] (byte / 255)`,
      load: () => loadCifar10(options),
    }),
    prepare: () => prepareCifar10(options),
  };
}

export const CIFAR10_ENTRY: DownloadableCatalogEntry = cifar10Entry();
