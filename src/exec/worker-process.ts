/**
 * Entry of a worker process (forked by ChildWorker): starts the engine once, then runs the jobs
 * it is sent (trials, screenings), one at a time, and reports epochs and the result over IPC.
 * Training is synchronous, so this process is busy for a whole job; its parent stays free.
 */
// first: jax-js looks for a Worker when it is imported (NONLIN_THREADS from the parent)
import { settingFromEnv } from "./threads-preload.js";
import { Worker } from "node:worker_threads";
import { parseDeviceName, setThreadSetting, startEngine } from "../engine/index.js";
import { executeJob } from "./job.js";
import type { Job } from "./job.js";
import type { ChildMessage, ParentMessage } from "./protocol.js";

/** Progress is for people: at most ten epoch messages a second (the first always goes). */
const EPOCH_MESSAGE_MS = 100;

const send = (message: ChildMessage): void => {
  process.send?.(message);
};

async function run(job: Job): Promise<void> {
  try {
    let last = -Infinity;
    const result = await executeJob(job, {
      memory: () => process.memoryUsage().rss,
      onEpoch(epoch, of, loss) {
        const now = performance.now();
        if (now - last < EPOCH_MESSAGE_MS && epoch < of) return;
        last = now;
        send({ type: "epoch", id: job.id, epoch, of, loss });
      },
    });
    send({ type: "result", id: job.id, result });
  } catch (error) {
    send({
      type: "error",
      id: job.id,
      message: error instanceof Error ? error.message : String(error),
    });
  }
}

/**
 * The parent holds the other end of stdin (a pipe it never writes): the pipe ends when the parent
 * dies, however it dies. A thread watches it, so the process ends even while its main thread is
 * busy in a synchronous trial (the 'disconnect' event waits for the trial to finish).
 */
const PARENT_WATCH = `
const { Socket } = require("node:net");
const stdin = new Socket({ fd: 0, readable: true, writable: false });
const leave = () => process.kill(process.pid, "SIGKILL");
stdin.on("data", () => {}).on("end", leave).on("close", leave).on("error", leave);
`;

// an orphan (its parent was killed) finishes nothing more
new Worker(PARENT_WATCH, { eval: true, execArgv: [] }).unref();
process.on("disconnect", () => process.exit(0));
// Ctrl-C reaches the whole process group; a Redis worker's parent decides what it means
if (process.argv.includes("--ignore-sigint")) process.on("SIGINT", () => {});
setThreadSetting(settingFromEnv(process.env));
await startEngine(parseDeviceName(process.argv[2] ?? "wasm"));
process.on("message", (message: ParentMessage) => {
  if (message.type === "run") void run(message.job);
});
send({ type: "ready" });
