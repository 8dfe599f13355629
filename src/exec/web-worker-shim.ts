/**
 * A Web Worker over node:worker_threads — just what jax-js's wasm worker pool (WasmWorkerPool)
 * asks of the browser's `Worker`: `new Worker(url, { type: "module" })` with a `blob:` URL of a
 * classic script that sets `self.onmessage` and calls `postMessage`; `postMessage`, `onmessage`,
 * `onerror` and `terminate` on the parent's side. Node has no global `Worker`, so jax-js runs
 * single-threaded unless this is installed before @jax-js/jax is first imported (it checks for
 * `Worker` and `SharedArrayBuffer` when its wasm backend is created, at import, and sizes its pool
 * from `navigator.hardwareConcurrency`).
 *
 * jax-js's protocol is request–reply: every message it posts is answered by one message. A worker
 * thread keeps the process alive only while a reply is owed (it is `ref`'d then and `unref`'d when
 * the last reply arrives), so a finished command exits with its pool idle and no thread left.
 */
import { resolveObjectURL } from "node:buffer";
import { availableParallelism } from "node:os";
import { Worker as NodeWorker } from "node:worker_threads";

/**
 * Runs in the worker thread: reads the script's text (the Blob of its `blob:` URL, handed over as
 * workerData — blob URLs do not cross threads), gives it the browser names it uses, evaluates it
 * as a classic script, then delivers messages (those sent meanwhile wait in the port).
 */
const BOOTSTRAP = `
const { parentPort, workerData } = require("node:worker_threads");
globalThis.self = globalThis;
globalThis.postMessage = (data) => parentPort.postMessage(data);
Promise.resolve(typeof workerData === "string" ? workerData : workerData.text()).then((source) => {
  (0, eval)(source);
  parentPort.on("message", (data) => {
    if (typeof self.onmessage === "function") self.onmessage({ data });
  });
});
`;

interface MessageEventLike {
  data: unknown;
}
interface ErrorEventLike {
  message: string;
  error: unknown;
}

const live = new Set<NodeWorker>();

/** The subset of the Web Worker API jax-js uses. */
export class WebWorkerShim {
  onmessage: ((event: MessageEventLike) => void) | null = null;
  onerror: ((event: ErrorEventLike) => void) | null = null;
  readonly #worker: NodeWorker;
  #owed = 0;

  constructor(url: string | URL, options: { type?: string } = {}) {
    void options;
    const href = String(url);
    let script: unknown;
    if (href.startsWith("blob:")) {
      script = resolveObjectURL(href);
      if (!script) throw new Error(`Worker: no Blob behind ${href}`);
    } else if (href.startsWith("data:")) {
      const comma = href.indexOf(",");
      const meta = href.slice(5, comma);
      const body = href.slice(comma + 1);
      script = meta.endsWith(";base64")
        ? Buffer.from(body, "base64").toString("utf8")
        : decodeURIComponent(body);
    } else {
      throw new Error(`Worker: only blob: and data: URLs are supported here, got ${href}`);
    }
    this.#worker = new NodeWorker(BOOTSTRAP, { eval: true, workerData: script });
    this.#worker.unref();
    live.add(this.#worker);
    this.#worker.on("message", (data: unknown) => {
      if (this.#owed > 0 && --this.#owed === 0) this.#worker.unref();
      this.onmessage?.({ data });
    });
    this.#worker.on("error", (error: unknown) => {
      this.onerror?.({ message: error instanceof Error ? error.message : String(error), error });
    });
    this.#worker.on("exit", () => live.delete(this.#worker));
  }

  postMessage(data: unknown): void {
    if (this.#owed++ === 0) this.#worker.ref();
    this.#worker.postMessage(data);
  }

  terminate(): void {
    live.delete(this.#worker);
    void this.#worker.terminate();
  }

  /** Threads this shim has started that have not exited (for tests). */
  static liveThreads(): number {
    return live.size;
  }
}

/**
 * Makes jax-js's worker pool available with `threads` threads: a global `Worker` (this shim) and
 * `navigator.hardwareConcurrency`. Must run before @jax-js/jax is first imported. Does nothing for
 * `threads` < 2 (jax-js then runs every kernel on the calling thread, as without the shim).
 */
export function installWorkerShim(threads: number): boolean {
  if (!(threads >= 2)) return false;
  const g = globalThis as unknown as { Worker?: unknown; navigator?: Record<string, unknown> };
  if (typeof g.Worker === "undefined") g.Worker = WebWorkerShim;
  const navigator = g.navigator ?? {};
  Object.defineProperty(globalThis, "navigator", {
    value: { ...navigator, hardwareConcurrency: threads },
    configurable: true,
    writable: true,
  });
  return true;
}

export function coresHere(): number {
  return availableParallelism();
}
