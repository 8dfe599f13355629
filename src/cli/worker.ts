/**
 * `nonlin worker --redis URL`: run trials from a Redis queue on this machine until stopped. Start
 * as many as you like, on any machines that reach the Redis server; a coordinator (`nonlin bench`
 * or `search` with --redis) enqueues the trials and collects the results. A trial runs on the
 * engine its run chose; `--engine torch --device cuda` says where this machine's torch children
 * run (each worker process owns one) and checks Python, torch and the device before any job.
 */
import type { Command } from "commander";
import { availableParallelism } from "node:os";
import { DEFAULT_QUEUE } from "../exec/redis.js";
import { runWorker } from "../exec/redis-worker.js";
import { chooseEngine, DEVICE_HELP, ENGINE_HELP, PYTHON_HELP } from "./engine-choice.js";
import { processTorchEngine } from "../exec/torch-engine.js";
import { UsageError } from "./errors.js";
import { applyThreads, THREADS_HELP } from "./threads.js";

interface WorkerOptions {
  redis: string;
  concurrency?: string;
  queue: string;
  engine?: string;
  device?: string;
  python?: string;
  threads?: string;
  lockDuration: string;
  stalledInterval: string;
}

function positiveInt(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`${flag}: expected a positive integer, got '${text}'`);
  return value;
}

async function runWorkerCommand(options: WorkerOptions): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const concurrency =
    options.concurrency === undefined
      ? availableParallelism()
      : positiveInt("--concurrency", options.concurrency);
  applyThreads(options.threads, concurrency);
  const engine = await chooseEngine(options);
  if (engine.torch) {
    // this process only checked the set-up: its worker processes own the children that train
    processTorchEngine().close();
    say(
      `torch engine: torch ${engine.torch.versions.torch} on ${engine.torch.device} (Python ${engine.torch.versions.python})`,
    );
  }
  const handle = await runWorker(options.redis, {
    queueName: options.queue,
    concurrency,
    device: engine.jaxDevice,
    lockDurationMs: positiveInt("--lock-duration", options.lockDuration),
    stalledIntervalMs: positiveInt("--stalled-interval", options.stalledInterval),
    log: say,
  });
  await new Promise<void>((resolve) => {
    let signals = 0;
    const stop = (signal: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        say(`${signal}: finishing the running trial(s); ${signal} again to stop them now`);
        void handle.close().then(resolve);
      } else {
        say(`${signal}: stopping the running trial(s); other workers will retry them`);
        void handle.close(true).then(resolve);
      }
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  say("worker stopped");
}

export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description("run trials from a Redis queue (start one per machine; any number of machines)")
    .requiredOption(
      "--redis <url>",
      "redis://[user:password@]host:port[/db], or rediss:// for TLS (CA from NODE_EXTRA_CA_CERTS)",
    )
    .option(
      "--concurrency <n>",
      "trials at a time, one worker process each (default: one per core)",
    )
    .option("--queue <name>", "queue name", DEFAULT_QUEUE)
    .option("--engine <engine>", ENGINE_HELP)
    .option("--device <device>", DEVICE_HELP)
    .option("--python <path>", PYTHON_HELP)
    .option("--threads <n>", THREADS_HELP)
    .option("--lock-duration <ms>", "job lock, renewed every half of it", "30000")
    .option(
      "--stalled-interval <ms>",
      "how often to look for jobs of dead workers (recovered after lock + this)",
      "30000",
    )
    .addHelpText(
      "after",
      `
Examples:
  nonlin worker --redis redis://127.0.0.1:6379
  nonlin worker --redis redis://:PASSWORD@queue.example.org:6379 --concurrency 8
  nonlin worker --redis rediss://user:PASSWORD@queue.example.org:6380 --queue nightly

Stop with Ctrl-C (finishes the running trials) or twice (running trials go back to the queue).`,
    )
    .action(runWorkerCommand);
}
