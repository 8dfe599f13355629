/**
 * Scale-out through a real redis-server: a coordinator (RedisExecutor, in this process) and two
 * `nonlin worker` processes; one worker is SIGKILLed in the middle of a trial and every trial still
 * completes exactly once, with results equal to executeTrialJob's, while the live worker — whose
 * trials outlast its lock — is never declared stalled. The server asks for a password: the right
 * one works, a wrong or missing one and an unreachable server fail fast with a clear error.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { QueueEvents } from "bullmq";
import { parseBenchConfig } from "../src/bench/config.js";
import { planBench } from "../src/bench/plan.js";
import type { TrialResult } from "../src/bench/results.js";
import { startEngine } from "../src/engine/index.js";
import { ExecError, runOne } from "../src/exec/executor.js";
import type { TrialOutcome } from "../src/exec/job.js";
import { executeTrialJob, jobsOf, screenJob } from "../src/exec/job.js";
import { RedisExecutor } from "../src/exec/redis.js";
import {
  bullConnection,
  probeRedis,
  redactUrl,
  redisOptionsFromUrl,
} from "../src/exec/redis-connection.js";
import { decodeResult, encodeResult } from "../src/exec/wire.js";
import { NoWorkerWatch } from "../src/exec/worker-watch.js";
import type { ScreenRequest } from "../src/search/screen-job.js";
import { executeScreen } from "../src/search/screen-job.js";
import { untimed } from "./support/untimed.js";

const PASSWORD = "s3cret pass/word";
const QUEUE = "test-trials";
/** Short locks so recovery from a killed worker takes about a second: lost after 0.5 s, checked every 0.25 s. */
const LOCK_MS = 500;
const STALLED_MS = 250;
/** Long enough that a trial outlasts the lock (only renewal keeps it). */
const EPOCHS = 4000;

/** Each trial trains about 1-4 s here (checked below), longer than lock + check interval: a worker that
 * could not renew its lock while training would have its trial declared stalled. */
const CONFIG = parseBenchConfig({
  tasks: ["toy/xy"],
  candidates: [{ activation: "relu" }, { activation: "tanh" }],
  seeds: 2,
  rows: { train: 200, val: 50, test: 100 },
  training: { epochs: EPOCHS, batch_size: 50, patience: 0 },
  fairness: { mode: "none" },
});
const JOBS = jobsOf(planBench(CONFIG));
const SCREEN: ScreenRequest = {
  activation: "x * tanh(softplus(x))",
  stages: ["static", "stability", "quality"],
  proxies: true,
};

type Launched = ChildProcess & { lines: string[] };
const children: Launched[] = [];
const temp = mkdtempSync(join(tmpdir(), "nonlin-redis-"));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Spawns a process in its own process group (so `after` can end it and anything it forked). */
function launch(command: string, args: string[], env = process.env): Launched {
  const child = spawn(command, args, {
    cwd: process.cwd(),
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  }) as Launched;
  child.lines = [];
  let partial = "";
  const read = (chunk: Buffer) => {
    const text = partial + chunk.toString("utf8");
    const lines = text.split("\n");
    partial = lines.pop()!;
    child.lines.push(...lines);
  };
  child.stdout!.on("data", read);
  child.stderr!.on("data", read);
  children.push(child);
  return child;
}

function waitFor(what: string, test: () => boolean, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = setInterval(() => {
      if (test()) {
        clearInterval(tick);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(tick);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 20);
  });
}

/** Exit code, or the signal that ended the process. */
const exited = (child: ChildProcess): Promise<number | NodeJS.Signals> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode ?? child.signalCode!)
    : new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal!)));

function startWorker(url: string, env = process.env, queue = QUEUE, extra: string[] = []) {
  return launch(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/main.ts",
      "worker",
      "--redis",
      url,
      "--queue",
      queue,
      "--concurrency",
      "1",
      "--lock-duration",
      String(LOCK_MS),
      "--stalled-interval",
      String(STALLED_MS),
      ...extra,
    ],
    env,
  );
}

function comparable(result: TrialResult) {
  const { secondsPerEpoch: _s, throughput: _t, peakMemoryBytes: _m, ...rest } = result;
  // JSON has no `undefined`: a field absent and a field set to undefined are the same data
  return JSON.parse(encodeResult(rest as TrialResult), (_k, v) => v) as unknown;
}

let port = 0;
let url = "";

before(async () => {
  port = await freePort();
  url = `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`;
  const redis = launch("redis-server", [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    temp,
    "--requirepass",
    PASSWORD,
  ]);
  await waitFor("redis-server", () => redis.lines.some((l) => /Ready to accept/.test(l)), 10_000);
});

after(() => {
  // NONLIN_TEST_DEBUG=1 shows what redis-server and the workers printed
  if (process.env.NONLIN_TEST_DEBUG)
    for (const child of children) console.error(child.spawnargs.slice(-12).join(" "), child.lines);
  for (const child of children) {
    try {
      process.kill(-child.pid!, "SIGKILL"); // the whole group: a worker and its trial processes
    } catch {
      // already gone
    }
  }
  rmSync(temp, { recursive: true, force: true });
});

describe("Redis URLs and the result wire format", () => {
  it("reads host, port, user, password, database and TLS from the URL", () => {
    assert.deepEqual(redisOptionsFromUrl("redis://127.0.0.1:6380"), {
      host: "127.0.0.1",
      port: 6380,
    });
    assert.deepEqual(redisOptionsFromUrl("rediss://bob:p%40ss@queue.example.org/3"), {
      host: "queue.example.org",
      port: 6379,
      username: "bob",
      password: "p@ss",
      db: 3,
      tls: { servername: "queue.example.org" },
    });
    assert.equal(redisOptionsFromUrl("redis://[::1]:7000").host, "::1");
    assert.throws(() => redisOptionsFromUrl("http://host:6379"), /unsupported scheme 'http:'/);
    assert.throws(() => redisOptionsFromUrl("redis://host/zero"), /database 'zero'/);
    assert.throws(() => redisOptionsFromUrl("not a url"), ExecError);
    assert.equal(redactUrl("redis://:hunter2@h:1"), "redis://:***@h:1");
  });

  it("tells of a queue without workers once, and again only after workers came and went", () => {
    const watch = new NoWorkerWatch(1000, 0);
    // [time ms, workers seen, notice due?]
    const looks: [number, number, boolean][] = [
      [500, 0, false],
      [999, 0, false],
      [1000, 0, true], // a second without any worker
      [1500, 0, false], // told already
      [5000, 0, false],
      [6000, 2, false], // workers came
      [6500, 0, false], // ... and all went away: the clock starts again
      [7400, 0, false],
      [7500, 0, true],
      [9000, 0, false],
      [9100, 1, false],
      [9200, 0, false],
      [9300, 1, false], // back before a second passed: nothing to tell
      [20000, 1, false],
    ];
    for (const [now, workers, due] of looks)
      assert.equal(watch.observe(workers, now), due, `${now}`);
  });

  it("keeps NaN, ±Infinity and -0 through JSON", () => {
    const result = { val: { loss: NaN, metric: -Infinity }, test: { loss: -0, metric: 0.1 + 0.2 } };
    const back = decodeResult(
      encodeResult(result as unknown as TrialResult),
    ) as unknown as typeof result;
    assert.ok(Number.isNaN(back.val.loss));
    assert.equal(back.val.metric, -Infinity);
    assert.ok(Object.is(back.test.loss, -0));
    assert.equal(back.test.metric, 0.1 + 0.2);
  });
});

// generous limits: on a shared, loaded 2-core machine the same work can take three times as long
describe("BullMQ executor with two worker processes", { timeout: 120_000 }, () => {
  it("completes every trial exactly once when a worker is SIGKILLed mid-trial", async () => {
    const first = startWorker(url);
    const second = startWorker(url);
    const executor = new RedisExecutor(url, { queueName: QUEUE, backoffMs: 200 });
    const stalled: string[] = [];
    const events = new QueueEvents(QUEUE, { connection: bullConnection(url) });
    events.on("stalled", ({ jobId }) => stalled.push(jobId));
    await events.waitUntilReady();
    const outcomes = new Map<string, TrialOutcome>();
    let victim: string | undefined;
    const epochs: [string, number, number][] = [];
    const killer = (async () => {
      // "start <id>" on the worker's stderr: it took a trial; 200 ms later it is mid-trial (1-4 s)
      await waitFor("the first worker's first trial", () =>
        first.lines.some((l) => l.startsWith("start ")),
      );
      victim = first.lines.find((l) => l.startsWith("start "))!.split(" ")[1]!;
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(!first.lines.some((l) => l.startsWith("done ")), "killed too late");
      process.kill(first.pid!, "SIGKILL");
    })();
    try {
      await executor.run(JOBS, {
        onEpoch: (job, epoch, of) => void epochs.push([job.id, epoch, of]),
        onResult(outcome) {
          assert.ok(!outcomes.has(outcome.job.id), `a second result for ${outcome.job.id}`);
          outcomes.set(outcome.job.id, outcome);
        },
      });
      await killer;
    } finally {
      await executor.close();
      await events.close();
    }
    assert.ok(victim && JOBS.some((j) => j.id === victim));
    assert.equal(await exited(first), "SIGKILL");
    // every trial once, equal to running it here
    await startEngine("wasm");
    assert.equal(outcomes.size, JOBS.length);
    for (const job of JOBS) {
      const outcome = outcomes.get(job.id)!;
      assert.ok(outcome.result, `${job.id}: ${outcome.error}`);
      assert.deepStrictEqual(comparable(outcome.result), comparable(await executeTrialJob(job)));
      assert.equal(outcome.attempts, job.id === victim ? 2 : 1, job.id);
      // a trial holds its lock longer than the lock lasts: only renewal keeps it
      const seconds = outcome.result.secondsPerEpoch * outcome.result.epochs;
      assert.ok(seconds > (LOCK_MS + STALLED_MS) / 1000, `trial trained ${seconds} s`);
    }
    // progress came through the queue (job.updateProgress, at most once a second per trial)
    assert.ok(epochs.length > 0);
    for (const [id, epoch, of] of epochs) {
      assert.ok(JOBS.some((j) => j.id === id));
      assert.ok(epoch >= 1 && epoch <= EPOCHS && of === EPOCHS, `${epoch}/${of}`);
    }
    // the killed worker's trial was recovered by stalled-job detection and run by the other one;
    // the live worker held its lock through trials longer than the lock, so nothing else stalled
    assert.deepEqual(stalled, [victim]);
    const done = () =>
      [...first.lines, ...second.lines].filter((l) => l.startsWith("done ")).map((l) => l.slice(5));
    assert.deepEqual(done().sort(), JOBS.map((j) => j.id).sort());
    assert.ok(second.lines.includes(`done ${victim}`));
    // enqueuing the same trials again runs nothing: the stored results come back as they were
    const again = new RedisExecutor(url, { queueName: QUEUE });
    const repeated: TrialOutcome[] = [];
    await again.run(JOBS, { onResult: (o) => void repeated.push(o) });
    await again.close();
    assert.equal(repeated.length, JOBS.length);
    for (const outcome of repeated)
      assert.deepStrictEqual(outcome.result, outcomes.get(outcome.job.id)!.result);
    assert.equal(done().length, JOBS.length);
    second.kill("SIGTERM");
    assert.equal(await exited(second), 0);
    assert.ok(second.lines.includes("worker stopped"));
  });
});

describe("a coordinator without workers", { timeout: 60_000 }, () => {
  it("keeps waiting, says once that no worker is connected (no password shown), then finishes when one comes; a screening run beside it is told nothing twice", async () => {
    const queue = "test-no-worker";
    const executor = new RedisExecutor(url, { queueName: queue, noWorkerNoticeSeconds: 1 });
    const notices: { at: number; message: string }[] = [];
    executor.onNotice = (message) => notices.push({ at: Date.now(), message });
    const jobs = jobsOf(
      planBench({ ...CONFIG, seeds: 1, training: { ...CONFIG.training, epochs: 2 } }),
    );
    const outcomes: TrialOutcome[] = [];
    const started = Date.now();
    const running = executor.run(jobs, { onResult: (o) => void outcomes.push(o) });
    // a second run at the same time (a search's screening beside its trials): one notice for both
    const screening = runOne(executor, screenJob(SCREEN));
    let worker: Launched | undefined;
    try {
      await waitFor("the no-worker notice", () => notices.length > 0, 8000);
      const waited = (notices[0]!.at - started) / 1000;
      assert.ok(waited >= 1 && waited < 5, `told after ${waited} s`);
      assert.equal(outcomes.length, 0, "nothing ran");
      const shown = `redis://:***@127.0.0.1:${port}`;
      assert.equal(
        notices[0]!.message,
        `no nonlin worker is connected to ${shown} (queue ${queue}) after 1 s; still waiting — start one with: nonlin worker --redis ${shown} --queue ${queue}`,
      );
      worker = startWorker(url, process.env, queue);
      await running;
      const screened = await screening;
      await startEngine("wasm");
      assert.deepStrictEqual(untimed(screened), untimed(await executeScreen(SCREEN)));
      assert.equal(screened.screening?.passed, true);
    } finally {
      await executor.close();
    }
    // the worker took a few seconds to start (node + tsx): no second notice in that time
    assert.equal(notices.length, 1);
    assert.ok(!notices[0]!.message.includes(PASSWORD));
    assert.ok(!notices[0]!.message.includes(encodeURIComponent(PASSWORD)));
    assert.deepEqual(outcomes.map((o) => o.job.id).sort(), jobs.map((j) => j.id).sort());
    assert.ok(outcomes.every((o) => o.result !== undefined));
    worker.kill("SIGTERM");
    assert.equal(await exited(worker), 0);
  });
});

describe("a torch worker", { timeout: 120_000 }, () => {
  it("runs the trials of a torch run (nonlin worker --engine torch), as this process would", async () => {
    const queue = "test-torch";
    const config = parseBenchConfig({
      ...CONFIG,
      engine: "torch",
      seeds: 1,
      training: { ...CONFIG.training, epochs: 3 },
    });
    const jobs = jobsOf(planBench(config));
    const worker = startWorker(url, process.env, queue, ["--engine", "torch", "--device", "cpu"]);
    const executor = new RedisExecutor(url, { queueName: queue });
    const outcomes: TrialOutcome[] = [];
    try {
      await executor.run(jobs, { onResult: (o) => void outcomes.push(o) });
    } finally {
      await executor.close();
    }
    assert.ok(
      worker.lines.some((l) => /^torch engine: torch \S+ on cpu/.test(l)),
      worker.lines.join("\n"),
    );
    await startEngine("wasm");
    for (const outcome of outcomes) {
      assert.ok(outcome.result, outcome.error);
      const here = await executeTrialJob(outcome.job);
      assert.deepStrictEqual(comparable(outcome.result), comparable(here));
    }
    assert.equal(outcomes.length, jobs.length);
    worker.kill("SIGTERM");
    assert.equal(await exited(worker), 0);
  });
});

describe("Redis connection failures are quick and clear", { timeout: 60_000 }, () => {
  it("refuses a wrong or missing password and a closed port, in the coordinator and the CLI", async () => {
    const closed = `redis://127.0.0.1:${await freePort()}`;
    const wrong = `redis://:wrong@127.0.0.1:${port}`;
    const cases: [string, RegExp][] = [
      [wrong, /password \(or user name\) was refused/],
      [`redis://127.0.0.1:${port}`, /asks for a password/],
      [closed, /ECONNREFUSED/],
    ];
    const workers = cases.map(([bad]) => ({ started: Date.now(), child: startWorker(bad) }));
    for (const [bad, reason] of cases) {
      const started = Date.now();
      const executor = new RedisExecutor(bad, { queueName: QUEUE });
      await assert.rejects(
        executor.run(JOBS, { onResult() {} }),
        (error: Error) => error instanceof ExecError && reason.test(error.message),
      );
      await executor.close();
      assert.ok(Date.now() - started < 3000, `${bad}: ${Date.now() - started} ms`);
    }
    for (const [index, { started, child }] of workers.entries()) {
      const code = await exited(child);
      const seconds = (Date.now() - started) / 1000;
      assert.notEqual(code, 0);
      const text = child.lines.join("\n");
      assert.match(text, /error: cannot use Redis at redis:\/\/.*127\.0\.0\.1/);
      assert.match(text, cases[index]![1]);
      assert.doesNotMatch(text, /wrong@/, "the password is not printed");
      // node + tsx start-up included
      assert.ok(seconds < 15, `${seconds} s`);
    }
  });

  for (const args of [
    ["bench", "--preset", "kan-vs-mlp", "--quick"],
    ["search", "--preset", "quick"],
  ])
    it(`${args[0]} refuses a wrong password before it records a run: exit 2, no store, no --out`, () => {
      const dir = mkdtempSync(join(temp, "cli-"));
      const [store, out] = [join(dir, "runs.db"), join(dir, "out")];
      const run = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "src/cli/main.ts",
          ...args,
          "--redis",
          `redis://:wrong@127.0.0.1:${port}`,
        ].concat(["--store", store, "--out", out]),
        { encoding: "utf8" },
      );
      assert.equal(run.status, 2, run.stderr);
      assert.match(
        run.stderr,
        /error: cannot use Redis at .*password \(or user name\) was refused/,
      );
      assert.doesNotMatch(run.stderr, /wrong@/, "the password is not printed");
      assert.equal(existsSync(store), false, "no store made");
      assert.equal(existsSync(out), false, "no --out folder made");
    });
});

/** A throw-away CA and a server certificate for 127.0.0.1, made with openssl. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const files = {
    ca: join(dir, "ca.pem"),
    cert: join(dir, "server.pem"),
    key: join(dir, "server.key"),
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const openssl = (...args: string[]) => {
    const run = spawnSync("openssl", args, { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
  };
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    join(dir, "ca.key"),
    "-out",
    files.ca,
    "-days",
    "1",
    "-subj",
    "/CN=nonlin test CA",
  );
  openssl(
    "req",
    ...ec,
    "-keyout",
    files.key,
    "-out",
    join(dir, "server.csr"),
    "-subj",
    "/CN=127.0.0.1",
  );
  openssl(
    "x509",
    "-req",
    "-in",
    join(dir, "server.csr"),
    "-CA",
    files.ca,
    "-CAkey",
    join(dir, "ca.key"),
    "-CAcreateserial",
    "-out",
    files.cert,
    "-days",
    "1",
    "-extfile",
    join(dir, "san.ext"),
  );
  return files;
}

describe("rediss:// (TLS)", { timeout: 60_000 }, () => {
  it("runs trials over TLS with the CA given, and refuses an unknown certificate clearly", async () => {
    const files = makeCertificates(temp);
    const tlsPort = await freePort();
    const server = launch("redis-server", [
      "--port",
      "0",
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      temp,
      "--tls-port",
      String(tlsPort),
      "--tls-cert-file",
      files.cert,
      "--tls-key-file",
      files.key,
      "--tls-ca-cert-file",
      files.ca,
      "--tls-auth-clients",
      "no",
    ]);
    await waitFor(
      "redis-server with TLS",
      () => server.lines.some((l) => /Ready to accept/.test(l)),
      10_000,
    );
    const tlsUrl = `rediss://127.0.0.1:${tlsPort}`;
    // the worker trusts the CA the standard Node way; the coordinator through `connection`
    const worker = startWorker(tlsUrl, { ...process.env, NODE_EXTRA_CA_CERTS: files.ca });
    const executor = new RedisExecutor(tlsUrl, {
      queueName: QUEUE,
      connection: { tls: { ca: readFileSync(files.ca, "utf8") } },
    });
    const jobs = jobsOf(
      planBench({ ...CONFIG, seeds: 1, training: { ...CONFIG.training, epochs: 2 } }),
    );
    const outcomes: TrialOutcome[] = [];
    try {
      await executor.run(jobs, { onResult: (o) => void outcomes.push(o) });
    } finally {
      await executor.close();
    }
    assert.deepEqual(outcomes.map((o) => o.job.id).sort(), jobs.map((j) => j.id).sort());
    await startEngine("wasm");
    for (const outcome of outcomes)
      assert.deepStrictEqual(
        comparable(outcome.result!),
        comparable(await executeTrialJob(outcome.job)),
      );
    assert.ok(worker.lines.some((l) => l.startsWith(`worker ready: queue ${QUEUE} at rediss://`)));
    worker.kill("SIGTERM");
    assert.equal(await exited(worker), 0);
    // without the CA the certificate is not trusted, and the error says so
    await assert.rejects(
      probeRedis(tlsUrl),
      (error: Error) => error instanceof ExecError && /certificate/i.test(error.message),
    );
    // a plain connection to the TLS port does not get an answer it understands
    await assert.rejects(probeRedis(`redis://127.0.0.1:${tlsPort}`, {}, 1500), ExecError);
  });
});
