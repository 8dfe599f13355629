/**
 * `--threads`: jax-js's wasm worker pool through the Worker shim (src/exec/web-worker-shim.ts).
 * Training with threads gives bit for bit the losses, validation outputs and predictions of
 * training without (the same kernels, split by rows across threads); the shim's threads start
 * only when used and let the process exit; the automatic setting uses them for conv nets only;
 * bad values exit 2.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { applyThreads, parseThreads } from "../src/cli/threads.js";
import { requestedPoolSize, settingFromEnv, THREADS_ENV } from "../src/exec/threads-preload.js";

const TIMEOUT_MS = 120_000;

function train(env: string) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "test/support/threads-train.ts"], {
    encoding: "utf8",
    env: { ...process.env, [THREADS_ENV]: env },
    timeout: TIMEOUT_MS,
  });
  assert.equal(result.status, 0, `exit ${result.status} ${result.signal ?? ""}: ${result.stderr}`);
  return JSON.parse(result.stdout) as {
    pool: number;
    started: number;
    conv: { curve: unknown[]; predictions: number[]; usedThreads: boolean };
    mlp: { curve: unknown[]; predictions: number[]; usedThreads: boolean };
  };
}

describe("--threads", () => {
  it("parses auto or a positive integer, and refuses anything else with the flag named", () => {
    assert.equal(parseThreads(undefined), "auto");
    assert.equal(parseThreads("auto"), "auto");
    assert.equal(parseThreads("1"), 1);
    assert.equal(parseThreads("4"), 4);
    for (const bad of ["0", "-2", "1.5", "two", "", "1e3", "999"])
      assert.throws(
        () => parseThreads(bad),
        (e: Error & { exitCode?: number }) =>
          e.exitCode === 2 && e.message.includes("--threads") && e.message.includes(`'${bad}'`),
        bad,
      );
  });

  it("sizes the pool from NONLIN_THREADS or the command's --threads, before jax-js loads", () => {
    assert.equal(requestedPoolSize(["node", "nonlin", "fit", "x.yaml", "--threads", "3"], {}), 3);
    assert.equal(requestedPoolSize(["node", "nonlin", "search", "--threads=2"], {}), 2);
    assert.equal(requestedPoolSize(["node", "nonlin", "fit", "--threads", "0"], {}), 1);
    // not a training command: no pool
    assert.equal(requestedPoolSize(["node", "nonlin", "act", "show", "relu"], {}), 1);
    // a parent's setting wins
    const argv = ["node", "nonlin", "fit", "--threads", "3"];
    assert.equal(requestedPoolSize(argv, { [THREADS_ENV]: "auto:2" }), 2);
    assert.equal(requestedPoolSize(argv, { [THREADS_ENV]: "1" }), 1);
    assert.equal(settingFromEnv({ [THREADS_ENV]: "auto:4" }), "auto");
    assert.equal(settingFromEnv({ [THREADS_ENV]: "2" }), 2);
    assert.equal(settingFromEnv({}), "auto");
  });

  it("automatic is off where processes leave fewer than 2 cores each; a number is obeyed", () => {
    const saved = process.env[THREADS_ENV];
    try {
      assert.equal(applyThreads(undefined, 10_000), 1);
      assert.equal(process.env[THREADS_ENV], "1");
      assert.equal(applyThreads("3", 10_000), 3);
      assert.equal(process.env[THREADS_ENV], "3");
    } finally {
      if (saved === undefined) delete process.env[THREADS_ENV];
      else process.env[THREADS_ENV] = saved;
    }
  });

  it("trains to the same numbers with 2 threads as with 1, and the process exits", () => {
    const one = train("1");
    const two = train("2");
    const auto = train("auto:2");
    assert.equal(one.pool, 1);
    assert.equal(two.pool, 2);
    assert.equal(one.started, 0);
    // the shim started its threads, and the process still ended on its own
    assert.equal(two.started, 2);
    assert.equal(one.conv.usedThreads, false);
    assert.equal(two.conv.usedThreads, true);
    assert.equal(two.mlp.usedThreads, true);
    // the automatic rule: conv nets only
    assert.equal(auto.conv.usedThreads, true);
    assert.equal(auto.mlp.usedThreads, false);
    assert.ok(one.conv.curve.length === 3 && one.conv.predictions.length === 24 * 3);
    assert.deepStrictEqual(two.conv, { ...one.conv, usedThreads: true });
    assert.deepStrictEqual(two.mlp, { ...one.mlp, usedThreads: true });
    assert.deepStrictEqual(auto.conv, { ...one.conv, usedThreads: true });
  });

  it("nonlin fit --threads 0 and --threads abc exit 2 naming the flag; --threads 2 runs and exits", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-threads-"));
    const spec = join(dir, "fit.yaml");
    writeFileSync(
      spec,
      "task: {type: formula, formula: sin(x1), train: 64, val: 16, test: 32}\n" +
        "model: {layers: [{type: dense, units: 8, activation: tanh}, {type: dense, units: 1}]}\n" +
        "phases: [{kind: gradient, epochs: 2, batch_size: 16, optimizer: {name: adam, lr: 0.01}}]\n",
    );
    const cli = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ["--import", "tsx", "src/cli/main.ts", "fit", spec, "--store", join(dir, "r.db"), ...args],
        { encoding: "utf8", timeout: TIMEOUT_MS },
      );
    for (const bad of ["0", "abc"]) {
      const r = cli("--threads", bad);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /--threads: expected 'auto' or an integer/);
    }
    const results = ["1", "2"].map((threads) => {
      const r = cli("--threads", threads, "--json");
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { phases?: unknown; results?: unknown };
    });
    assert.deepStrictEqual(
      JSON.stringify(results[0]).replace(
        /"(seconds|[a-zA-Z]*Seconds|run|id|started|finished)":[^,}]*/g,
        "",
      ),
      JSON.stringify(results[1]).replace(
        /"(seconds|[a-zA-Z]*Seconds|run|id|started|finished)":[^,}]*/g,
        "",
      ),
    );
  });

  it("search, bench and worker refuse a bad --threads with exit 2 before any work", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-threads-"));
    const runs: [string[], string][] = [
      [["search", "--preset", "quick", "--store", join(dir, "s.db"), "--out", join(dir, "s")], "0"],
      [["bench", "--preset", "kan-vs-mlp", "--quick", "--store", join(dir, "b.db")], "-1"],
      [["worker", "--redis", "redis://127.0.0.1:1"], "x"],
    ];
    for (const [args, bad] of runs) {
      const r = spawnSync(
        process.execPath,
        ["--import", "tsx", "src/cli/main.ts", ...args, `--threads=${bad}`],
        { encoding: "utf8", timeout: TIMEOUT_MS },
      );
      assert.equal(r.status, 2, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`--threads: expected 'auto' or an integer.*'${bad}'`));
    }
  });
});
