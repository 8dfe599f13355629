/**
 * The downloader against a real HTTP server on 127.0.0.1 (started here, port 0) that serves a
 * small CIFAR-format tar.gz written by this test: redirects, checksums, an interrupted download
 * resumed with a Range request, a server that ignores Range, and no server at all (offline).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { cacheDirectory, downloadToCache } from "../src/data/node/download.js";
import { cifar10Entry } from "../src/data/node/images/cifar10.js";
import { DataError } from "../src/data/task.js";

/** A POSIX ustar header + data, written from the format description (not from the reader). */
function tarEntry(directory: string, name: string, data: Uint8Array): Uint8Array {
  const header = new Uint8Array(512);
  const put = (text: string, at: number) => header.set(new TextEncoder().encode(text), at);
  put(name, 0);
  put("0000644\0", 100);
  put("0000000\0", 108);
  put("0000000\0", 116);
  put(data.length.toString(8).padStart(11, "0") + "\0", 124);
  put("00000000000\0", 136);
  put("        ", 148);
  put("0", 156);
  put("ustar\0", 257);
  put("00", 263);
  put(directory, 345); // the path prefix field: the reader must join it with the name
  const sum = header.reduce((total, b) => total + b, 0);
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  const padded = new Uint8Array(512 + Math.ceil(data.length / 512) * 512);
  padded.set(header, 0);
  padded.set(data, 512);
  return padded;
}

/** Fake CIFAR records: label (b + r) % 10, pixels from a small LCG (so gzip cannot shrink them). */
const RECORDS = 2;
function fakeBatch(b: number): Uint8Array {
  const bytes = new Uint8Array(RECORDS * 3073);
  let state = 12345 + b;
  for (let r = 0; r < RECORDS; r++) {
    bytes[r * 3073] = (b + r) % 10;
    for (let k = 1; k < 3073; k++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      bytes[r * 3073 + k] = state >>> 24;
    }
  }
  return bytes;
}
const BATCHES = [
  "data_batch_1",
  "data_batch_2",
  "data_batch_3",
  "data_batch_4",
  "data_batch_5",
  "test_batch",
];
const tarParts = BATCHES.map((name, b) =>
  tarEntry("cifar-10-batches-bin", `${name}.bin`, fakeBatch(b)),
);
const tarBytes = new Uint8Array(tarParts.reduce((total, part) => total + part.length, 0) + 1024);
tarParts.reduce((at, part) => (tarBytes.set(part, at), at + part.length), 0);
const ARCHIVE = new Uint8Array(gzipSync(tarBytes));
const SHA256 = createHash("sha256").update(ARCHIVE).digest("hex");
const MD5 = createHash("md5").update(ARCHIVE).digest("hex");

type Handler = (request: IncomingMessage, response: ServerResponse, index: number) => void;
interface Logged {
  readonly path: string;
  readonly range: string | undefined;
}

let handler: Handler = () => undefined;
const log: Logged[] = [];
const server = createServer((request, response) => {
  log.push({ path: request.url ?? "", range: request.headers.range });
  handler(request, response, log.length - 1);
});
let base = "";

/** Serves ARCHIVE from `from` on, honouring Range when `ranges` is true. */
function serveArchive(request: IncomingMessage, response: ServerResponse, ranges = true): void {
  const match = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
  if (ranges && match) {
    const from = Number(match[1]);
    response.writeHead(206, {
      "Content-Length": ARCHIVE.length - from,
      "Content-Range": `bytes ${from}-${ARCHIVE.length - 1}/${ARCHIVE.length}`,
    });
    response.end(ARCHIVE.subarray(from));
    return;
  }
  response.writeHead(200, { "Content-Length": ARCHIVE.length });
  response.end(ARCHIVE);
}

/** Sends the head and the first `bytes` bytes, then drops the connection. */
function cutOff(response: ServerResponse, bytes: number): void {
  response.writeHead(200, { "Content-Length": ARCHIVE.length });
  // a graceful close (FIN) after the bytes: destroy() can reset the connection and drop bytes the
  // client had not read yet, which made "how much arrived before the cut" depend on timing
  response.write(ARCHIVE.subarray(0, bytes), () => response.socket?.end());
}

let dir = "";
const fresh = (name: string): string => join(dir, name, "nested", "cache");

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "nonlin-download-"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
  server.closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
});

const rejectsDataError = async (run: Promise<unknown>, ...parts: string[]): Promise<string> => {
  let message = "";
  await assert.rejects(run, (error: unknown) => {
    assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
    for (const part of parts)
      assert.ok(error.message.includes(part), `'${part}' not in: ${error.message}`);
    message = error.message;
    return true;
  });
  return message;
};

describe("downloadToCache", () => {
  test("the fixture archive is big enough to cut off in the middle", () => {
    assert.ok(ARCHIVE.length > 30000, `archive is ${ARCHIVE.length} bytes`);
  });

  test("follows a redirect, checks sha256 and renames the file into place", async () => {
    log.length = 0;
    handler = (request, response) => {
      if (request.url === "/old/cifar.tar.gz") {
        response.writeHead(302, { Location: "/files/cifar.tar.gz" });
        response.end();
      } else serveArchive(request, response);
    };
    const cacheDir = fresh("redirect");
    const path = await downloadToCache({
      url: `${base}/old/cifar.tar.gz`,
      cacheDir,
      checksum: { algorithm: "sha256", hex: SHA256 },
    });
    assert.equal(path, join(cacheDir, "cifar.tar.gz"));
    assert.deepEqual(new Uint8Array(readFileSync(path)), ARCHIVE);
    assert.equal(existsSync(`${path}.part`), false);
    assert.deepEqual(
      log.map((entry) => entry.path),
      ["/old/cifar.tar.gz", "/files/cifar.tar.gz"],
    );
    // A second call finds the cached file (checksum verified) and sends no request.
    assert.equal(
      await downloadToCache({
        url: `${base}/old/cifar.tar.gz`,
        cacheDir,
        checksum: { algorithm: "sha256", hex: SHA256 },
      }),
      path,
    );
    assert.equal(log.length, 2);
  });

  test("a checksum mismatch is an error and leaves no file in the cache", async () => {
    handler = (request, response) => serveArchive(request, response);
    const cacheDir = fresh("mismatch");
    const wrong = "0123456789abcdef0123456789abcdef";
    await rejectsDataError(
      downloadToCache({
        url: `${base}/a.tar.gz`,
        cacheDir,
        checksum: { algorithm: "md5", hex: wrong },
      }),
      "checksum mismatch",
      wrong,
      MD5,
      `${base}/a.tar.gz`,
    );
    assert.equal(existsSync(join(cacheDir, "a.tar.gz")), false);
    assert.equal(existsSync(join(cacheDir, "a.tar.gz.part")), false);
  });

  test("an interrupted download keeps .part; the next call resumes it with a Range request", async () => {
    log.length = 0;
    const cut = 20000;
    handler = (request, response, index) =>
      index === 0 ? cutOff(response, cut) : serveArchive(request, response);
    const cacheDir = fresh("resume");
    const options = {
      url: `${base}/b.tar.gz`,
      cacheDir,
      checksum: { algorithm: "md5", hex: MD5 },
      attempts: 1,
    } as const;
    await rejectsDataError(
      downloadToCache(options),
      "cut off",
      "run again to resume",
      `${join(cacheDir, "b.tar.gz")}.part`,
    );
    const partPath = join(cacheDir, "b.tar.gz.part");
    const kept = readFileSync(partPath);
    assert.ok(kept.length > 0 && kept.length <= cut, `.part holds ${kept.length} bytes`);
    assert.deepEqual(new Uint8Array(kept), ARCHIVE.subarray(0, kept.length));
    assert.equal(existsSync(join(cacheDir, "b.tar.gz")), false);
    const path = await downloadToCache(options);
    assert.deepEqual(
      log.map((entry) => entry.range),
      [undefined, `bytes=${kept.length}-`],
    );
    assert.deepEqual(new Uint8Array(readFileSync(path)), ARCHIVE);
    assert.equal(existsSync(partPath), false);
  });

  test("with attempts left, one call resumes by itself", async () => {
    log.length = 0;
    handler = (request, response, index) =>
      index === 0 ? cutOff(response, 15000) : serveArchive(request, response);
    const cacheDir = fresh("retry");
    const path = await downloadToCache({
      url: `${base}/c.tar.gz`,
      cacheDir,
      checksum: { algorithm: "sha256", hex: SHA256 },
    });
    assert.equal(log.length, 2);
    assert.match(log[1]?.range ?? "", /^bytes=[1-9]\d*-$/);
    assert.deepEqual(new Uint8Array(readFileSync(path)), ARCHIVE);
  });

  test("a server that ignores Range: the download restarts from the first byte", async () => {
    log.length = 0;
    handler = (request, response) => serveArchive(request, response, false);
    const cacheDir = fresh("norange");
    const options = {
      url: `${base}/d.tar.gz`,
      cacheDir,
      checksum: { algorithm: "md5", hex: MD5 },
    } as const;
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(join(cacheDir, "d.tar.gz.part"), new Uint8Array(5000).fill(0xee)); // stale bytes
    log.length = 0;
    const path = await downloadToCache(options);
    assert.deepEqual(
      log.map((entry) => entry.range),
      ["bytes=5000-"],
    );
    assert.deepEqual(new Uint8Array(readFileSync(path)), ARCHIVE);
  });

  test("a 206 answer for other bytes than asked is thrown away and the download restarts", async () => {
    log.length = 0;
    handler = (request, response, index) => {
      if (index === 0) {
        response.writeHead(206, {
          "Content-Length": 100,
          "Content-Range": `bytes 0-99/${ARCHIVE.length}`,
        });
        response.end(ARCHIVE.subarray(0, 100));
      } else serveArchive(request, response);
    };
    const cacheDir = fresh("badrange");
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(join(cacheDir, "e.tar.gz.part"), ARCHIVE.subarray(0, 3000));
    log.length = 0;
    const path = await downloadToCache({
      url: `${base}/e.tar.gz`,
      cacheDir,
      checksum: { algorithm: "md5", hex: MD5 },
    });
    assert.deepEqual(
      log.map((entry) => entry.range),
      ["bytes=3000-", undefined],
    );
    assert.deepEqual(new Uint8Array(readFileSync(path)), ARCHIVE);
  });

  test("offline (connection refused): the message names the URL, the cache path and how to place the file", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const cacheDir = fresh("offline");
    const url = `http://127.0.0.1:${port}/cifar-10-binary.tar.gz`;
    await rejectsDataError(
      downloadToCache({ url, cacheDir, checksum: { algorithm: "md5", hex: MD5 } }),
      `cannot download ${url}`,
      "ECONNREFUSED",
      "offline",
      join(cacheDir, "cifar-10-binary.tar.gz"),
      "NONLIN_CACHE",
      MD5,
    );
    assert.equal(existsSync(join(cacheDir, "cifar-10-binary.tar.gz")), false);
  });

  test("HTTP errors and silent servers are DataErrors", async () => {
    handler = (_request, response) => {
      response.writeHead(404);
      response.end();
    };
    await rejectsDataError(
      downloadToCache({ url: `${base}/f.tar.gz`, cacheDir: fresh("404") }),
      "HTTP 404",
      `${base}/f.tar.gz`,
    );
    handler = () => undefined; // never answers
    await rejectsDataError(
      downloadToCache({ url: `${base}/g.tar.gz`, cacheDir: fresh("silent"), timeoutMs: 200 }),
      "ETIMEDOUT",
      `${base}/g.tar.gz`,
    );
  });

  test("a cached file with the wrong checksum is reported, not replaced", async () => {
    const cacheDir = fresh("corrupt");
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(join(cacheDir, "h.tar.gz"), "not the archive");
    log.length = 0;
    await rejectsDataError(
      downloadToCache({
        url: `${base}/h.tar.gz`,
        cacheDir,
        checksum: { algorithm: "md5", hex: MD5 },
      }),
      "checksum mismatch",
      join(cacheDir, "h.tar.gz"),
      "delete it",
    );
    assert.equal(log.length, 0);
    assert.equal(readFileSync(join(cacheDir, "h.tar.gz"), "utf8"), "not the archive");
  });

  test("the cache folder is $NONLIN_CACHE, or ~/.cache/nonlin", () => {
    assert.equal(cacheDirectory({ NONLIN_CACHE: "/data/cache" }), "/data/cache");
    assert.equal(cacheDirectory({}), join(homedir(), ".cache", "nonlin"));
  });
});

test("the CIFAR-10 entry downloads from an injected URL into an injected cache, then makes the task", async () => {
  log.length = 0;
  handler = (request, response) => serveArchive(request, response);
  const cacheDir = fresh("cifar");
  const entry = cifar10Entry({
    url: `${base}/mirror/cifar-10-binary.tar.gz`,
    cacheDir,
    checksum: { algorithm: "md5", hex: MD5 },
  });
  const path = await entry.prepare();
  assert.equal(path, join(cacheDir, "cifar-10-binary.tar.gz"));
  const task = entry.make({ seed: 2, val: 3 });
  assert.equal(task.train.rows + task.val.rows, 5 * RECORDS);
  assert.equal(task.test.rows, RECORDS);
  assert.deepEqual(task.inputShape, [32, 32, 3]);
  const testBatch = fakeBatch(5);
  for (let r = 0; r < RECORDS; r++) {
    assert.equal(task.test.y[r], (5 + r) % 10);
    for (const k of [0, 1500, 3071]) {
      // files are channel-first, task rows channels-last
      const at = (k % 1024) * 3 + Math.floor(k / 1024);
      assert.equal(task.test.x[r * 3072 + at], (testBatch[r * 3073 + 1 + k] as number) / 255);
    }
  }
  await entry.prepare(); // cached: no second download
  assert.equal(log.length, 1);
});
