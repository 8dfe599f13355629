/**
 * Downloads a data file once into the cache folder (NONLIN_CACHE, default ~/.cache/nonlin):
 * bytes go to `<file>.part`, an interrupted download resumes with an HTTP Range request, the
 * finished file's checksum is verified, and only then is it renamed into place (atomically), so
 * the cache never holds a partial or corrupt file under the final name.
 */
import { createHash } from "node:crypto";
import { closeSync, createReadStream, openSync, writeSync } from "node:fs";
import { mkdir, rename, stat, unlink } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DataError } from "../task.js";

export type ChecksumAlgorithm = "md5" | "sha256";

export interface Checksum {
  readonly algorithm: ChecksumAlgorithm;
  /** Lower-case hex digest. */
  readonly hex: string;
}

export interface DownloadOptions {
  readonly url: string;
  /** Default: cacheDirectory(). */
  readonly cacheDir?: string;
  /** Name in the cache folder; default: the last segment of the URL's path. */
  readonly fileName?: string;
  readonly checksum?: Checksum;
  /** Tries in all; a try that was cut off after receiving bytes is resumed by the next (default 3). */
  readonly attempts?: number;
  /** Give up on a connection that sends nothing for this long (default 30 s). */
  readonly timeoutMs?: number;
  readonly maxRedirects?: number;
  /** Called as bytes arrive: bytes of the file held so far, and its full size when known. */
  readonly onProgress?: (received: number, total: number | undefined) => void;
}

/** The cache folder: $NONLIN_CACHE, or ~/.cache/nonlin. */
export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.NONLIN_CACHE;
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : join(homedir(), ".cache", "nonlin");
}

/** Where `downloadToCache(options)` puts (or finds) the file. */
export function cachedPath(
  options: Pick<DownloadOptions, "url" | "cacheDir" | "fileName">,
): string {
  const name = options.fileName ?? basename(new URL(options.url).pathname);
  if (name === "" || name === "." || name === "..") {
    throw new DataError(`download: cannot name a file after ${options.url}; give fileName`);
  }
  return join(options.cacheDir ?? cacheDirectory(), name);
}

/** Hex digest of bytes in memory. */
export function bytesChecksum(bytes: Uint8Array, algorithm: ChecksumAlgorithm): string {
  return createHash(algorithm).update(bytes).digest("hex");
}

/** Hex digest of a file, streamed (no need to hold it in memory). */
export async function fileChecksum(path: string, algorithm: ChecksumAlgorithm): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

/** A DataError when `actual` differs from the expected digest; `what` names the file. */
export function checkDigest(actual: string, checksum: Checksum, what: string): void {
  if (actual !== checksum.hex.toLowerCase()) {
    throw new DataError(
      `${what}: ${checksum.algorithm} checksum mismatch: expected ${checksum.hex.toLowerCase()}, got ${actual}`,
    );
  }
}

const sizeOf = async (path: string): Promise<number | undefined> => {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
};

const removeIfPresent = async (path: string): Promise<void> => {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
};

/** How to get the file without this code, for every "cannot download" message. */
function byHand(options: DownloadOptions, target: string): string {
  const sum = options.checksum
    ? ` (its ${options.checksum.algorithm} must be ${options.checksum.hex.toLowerCase()})`
    : "";
  return (
    `To place it by hand, download ${options.url} elsewhere and copy it to ${target}${sum}; ` +
    `the cache folder is set by NONLIN_CACHE (default ~/.cache/nonlin).`
  );
}

/** One GET; resolves with the response head, rejects on connection errors and the idle timeout. */
function get(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<IncomingMessage> {
  const send =
    url.protocol === "https:" ? httpsRequest : url.protocol === "http:" ? httpRequest : null;
  if (send === null) {
    return Promise.reject(new DataError(`download: unsupported protocol in ${url.href}`));
  }
  return new Promise((resolve, reject) => {
    const request = send(url, { method: "GET", headers }, resolve);
    request.setTimeout(timeoutMs, () =>
      request.destroy(
        Object.assign(new Error(`no data for ${timeoutMs} ms`), { code: "ETIMEDOUT" }),
      ),
    );
    request.on("error", reject);
    request.end();
  });
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;
const UNSATISFIED_RANGE = /^bytes \*\/(\d+)$/;

type Step = { readonly done: boolean; readonly progressed: boolean };

/**
 * One try: asks for the bytes after what `.part` holds (following redirects) and appends them,
 * or rewrites `.part` from the start when the server ignores the Range header (status 200).
 */
async function downloadStep(
  options: DownloadOptions,
  partPath: string,
  target: string,
): Promise<Step> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const offset = (await sizeOf(partPath)) ?? 0;
  let url = new URL(options.url);
  let response: IncomingMessage;
  for (let redirects = 0; ; redirects++) {
    try {
      response = await get(url, offset > 0 ? { Range: `bytes=${offset}-` } : {}, timeoutMs);
    } catch (error) {
      if (error instanceof DataError) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? "";
      const kept = offset > 0 ? ` (${offset} bytes kept in ${partPath} for the next try)` : "";
      throw new DataError(
        `cannot download ${url.href}: ${code ? `${code}: ` : ""}${(error as Error).message}${kept}. ` +
          `Is this machine offline? ${byHand(options, target)}`,
      );
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status < 300 || status >= 400 || location === undefined) break;
    response.resume();
    if (redirects >= (options.maxRedirects ?? 5)) {
      throw new DataError(`cannot download ${options.url}: more than ${redirects} redirects`);
    }
    url = new URL(location, url);
  }
  const status = response.statusCode ?? 0;
  let flags: "a" | "w";
  let total: number | undefined;
  if (status === 206) {
    const match = CONTENT_RANGE.exec(response.headers["content-range"] ?? "");
    if (match === null || Number(match[1]) !== offset) {
      // Not the bytes we asked for: start again from nothing rather than splice a wrong part.
      response.resume();
      await removeIfPresent(partPath);
      return { done: false, progressed: true };
    }
    flags = "a";
    total = match[3] === "*" ? undefined : Number(match[3]);
  } else if (status === 200) {
    flags = "w"; // the server sends the whole file (it ignored Range, or we asked for all)
    const length = response.headers["content-length"];
    total = length === undefined ? undefined : Number(length);
  } else if (status === 416 && offset > 0) {
    response.resume();
    const match = UNSATISFIED_RANGE.exec(response.headers["content-range"] ?? "");
    if (match !== null && Number(match[1]) === offset) return { done: true, progressed: false };
    await removeIfPresent(partPath);
    return { done: false, progressed: true };
  } else {
    response.resume();
    throw new DataError(
      `cannot download ${url.href}: HTTP ${status} ${response.statusMessage ?? ""}. ${byHand(options, target)}`,
    );
  }
  let received = flags === "a" ? offset : 0;
  const startedAt = received;
  // each chunk is written to the .part file before it is counted, so a connection cut at any
  // moment leaves exactly the counted bytes on disk for the next try to resume from (a buffered
  // write stream could drop queued chunks when the pipeline fails)
  const fd = openSync(partPath, flags);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      try {
        writeSync(fd, chunk);
        received += chunk.length;
        options.onProgress?.(received, total);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  try {
    await pipeline(response, sink);
  } catch (error) {
    throw Object.assign(new Error(String((error as Error).message)), {
      progressed: received > startedAt,
      received,
      total,
    });
  } finally {
    closeSync(fd);
  }
  if (total !== undefined && received !== total) {
    if (received > total) {
      await removeIfPresent(partPath);
      throw new DataError(
        `download of ${url.href}: got ${received} bytes, the server said ${total}`,
      );
    }
    throw Object.assign(new Error("the connection closed early"), {
      progressed: received > startedAt,
      received,
      total,
    });
  }
  return { done: true, progressed: true };
}

/**
 * Makes sure the file of `options.url` is in the cache and returns its path. A cached file is
 * checked against `checksum` (a mismatch is an error: it was placed by hand or damaged). Errors
 * are DataErrors that name the URL and the cache path and say how to place the file by hand.
 */
export async function downloadToCache(options: DownloadOptions): Promise<string> {
  const target = cachedPath(options);
  const partPath = `${target}.part`;
  if ((await sizeOf(target)) !== undefined) {
    if (options.checksum) {
      checkDigest(
        await fileChecksum(target, options.checksum.algorithm),
        options.checksum,
        `${target} (cached copy of ${options.url}; delete it to download again)`,
      );
    }
    return target;
  }
  await mkdir(options.cacheDir ?? cacheDirectory(), { recursive: true });
  const attempts = Math.max(1, options.attempts ?? 3);
  for (let attempt = 1; ; attempt++) {
    let step: Step;
    try {
      step = await downloadStep(options, partPath, target);
    } catch (error) {
      if (error instanceof DataError) throw error;
      const { progressed, received, total } = error as {
        progressed?: boolean;
        received?: number;
        total?: number;
      };
      if (progressed && attempt < attempts) continue;
      throw new DataError(
        `download of ${options.url} was cut off (${(error as Error).message}) after ` +
          `${received ?? 0}${total === undefined ? "" : ` of ${total}`} bytes; run again to resume ` +
          `from ${partPath}. ${byHand(options, target)}`,
      );
    }
    if (step.done) break;
    if (attempt >= attempts) {
      throw new DataError(
        `download of ${options.url}: the server's ranges never matched; ${byHand(options, target)}`,
      );
    }
  }
  if (options.checksum) {
    const actual = await fileChecksum(partPath, options.checksum.algorithm);
    if (actual !== options.checksum.hex.toLowerCase()) {
      await removeIfPresent(partPath);
      checkDigest(actual, options.checksum, `download of ${options.url} (deleted, nothing cached)`);
    }
  }
  await rename(partPath, target);
  return target;
}
