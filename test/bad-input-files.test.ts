/**
 * Files a user names that cannot be used (issue 18): an oversized config, a folder as the config,
 * an output folder that cannot be written, a 0-byte store. Each exits 2 with a message naming it
 * before any work, and writes nothing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { MAX_CONFIG_BYTES, readYamlFile } from "../src/cli/files.js";

const main = join(import.meta.dirname, "../src/cli/main.ts");

function nonlin(args: string[]): { code: number; stderr: string; seconds: number } {
  const started = performance.now();
  const run = spawnSync(process.execPath, ["--import", "tsx", main, ...args], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return {
    code: run.status ?? -1,
    stderr: run.stderr,
    seconds: (performance.now() - started) / 1000,
  };
}

const tempDir = () => mkdtempSync(join(tmpdir(), "nonlin-bad-files-"));

const tinyBench = {
  tasks: ["toy/xy"],
  candidates: [{ activation: "relu" }, { activation: "tanh" }],
  seeds: 2,
  fairness: { mode: "params", budget: 100 },
  rows: { train: 100, val: 50, test: 100 },
  training: { epochs: 3, batch_size: 50 },
};

describe("config files", { timeout: 300_000 }, () => {
  it("refuses a 50 MB config (a 25-million-item list) with exit 2 and the limit, in under 2 s", () => {
    const dir = tempDir();
    const big = join(dir, "big.yaml");
    writeFileSync(big, `name: big\njunk: [${"1,".repeat(25_000_000)}1]\n`);
    const bytes = statSync(big).size;
    assert.ok(bytes > 50_000_000);
    const refusal = new RegExp(
      `big\\.yaml: ${bytes} bytes, more than a config may have \\(1048576 bytes, 1 MiB\\)`,
    );

    const inProcess = performance.now();
    assert.throws(() => readYamlFile(big), refusal);
    assert.ok(performance.now() - inProcess < 500, "refused by its size, not parsed");

    for (const command of ["bench", "fit", "search"]) {
      // the CLI's own start (loading its modules) is measured by refusing a missing file
      const start = nonlin([command, join(dir, "missing.yaml")]);
      assert.equal(start.code, 2, start.stderr);
      const store = join(dir, `${command}.db`);
      const run = nonlin([command, big, "--store", store]);
      assert.equal(run.code, 2, `${command}: ${run.stderr}`);
      assert.match(run.stderr, refusal);
      assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
      assert.ok(
        run.seconds < start.seconds + 2,
        `${command} took ${run.seconds} s, a missing file ${start.seconds} s`,
      );
      assert.equal(existsSync(store), false, "no store");
    }
  });

  it("reads a config of exactly the limit", () => {
    const path = join(tempDir(), "padded.yaml");
    const head = "name: padded\n";
    writeFileSync(path, head + "#".repeat(MAX_CONFIG_BYTES - head.length - 1) + "\n");
    assert.deepEqual(readYamlFile(path).raw, { name: "padded" });
  });

  it("refuses a folder given as the config with exit 2, saying so", () => {
    const dir = tempDir();
    const folder = join(dir, "configs");
    mkdirSync(folder);
    for (const command of ["bench", "fit", "search"]) {
      const store = join(dir, `${command}.db`);
      const run = nonlin([command, folder, "--store", store]);
      assert.equal(run.code, 2, `${command}: ${run.stderr}`);
      assert.match(
        run.stderr,
        /configs: is a directory; give the config file \(YAML or JSON\) itself/,
      );
      assert.doesNotMatch(run.stderr, /EISDIR/);
      assert.equal(existsSync(store), false, "no store");
    }
  });
});

describe("--out checked before any work", { timeout: 300_000 }, () => {
  it("bench, fit and search refuse an --out that is a file with exit 2, writing nothing", () => {
    const dir = tempDir();
    const config = join(dir, "bench.yaml");
    writeFileSync(config, stringify(tinyBench));
    const file = join(dir, "taken");
    writeFileSync(file, "a file\n");
    for (const args of [
      ["bench", config, "--workers", "1"],
      ["fit", "examples/hello-kan.yaml"],
      ["search", "--preset", "quick", "--budget", "1", "--workers", "1"],
    ]) {
      const store = join(dir, `${args[0]}.db`);
      const run = nonlin([...args, "--out", file, "--store", store]);
      assert.equal(run.code, 2, `${args[0]}: ${run.stderr}`);
      assert.match(run.stderr, /--out .*taken: .*taken is a file, not a folder/);
      assert.doesNotMatch(run.stderr, /EEXIST/);
      assert.equal(existsSync(store), false, `${args[0]}: no store`);
    }
    // a folder below a file cannot be made either
    const below = nonlin([
      "bench",
      config,
      "--out",
      join(file, "sub"),
      "--store",
      join(dir, "b.db"),
    ]);
    assert.equal(below.code, 2, below.stderr);
    assert.match(below.stderr, /--out .*taken\/sub: .*taken is a file, not a folder/);
    assert.deepEqual(readdirSync(dir).sort(), ["bench.yaml", "taken"]);
  });

  it("bench refuses an --out that cannot be created (/proc/nope) with exit 2, at once", (t) => {
    if (!existsSync("/proc/self")) return t.skip("needs Linux's /proc");
    const dir = tempDir();
    const config = join(dir, "bench.yaml");
    writeFileSync(config, stringify(tinyBench));
    const store = join(dir, "runs.db");
    const run = nonlin([
      "bench",
      config,
      "--out",
      "/proc/nope",
      "--store",
      store,
      "--workers",
      "1",
    ]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--out \/proc\/nope: cannot write in \/proc \(ENOENT\)/);
    assert.equal(existsSync(store), false, "no store");
    assert.equal(existsSync("/proc/nope"), false);
  });
});

describe("runs on a 0-byte store", { timeout: 120_000 }, () => {
  it("runs ls and runs show refuse an empty file with exit 2 and leave it 0 bytes", () => {
    const dir = tempDir();
    const empty = join(dir, "empty.db");
    writeFileSync(empty, "");
    for (const args of [
      ["runs", "ls"],
      ["runs", "show", "r-2026"],
    ]) {
      const run = nonlin([...args, "--store", empty]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /no run store at .*empty\.db: the file is empty/);
      assert.equal(statSync(empty).size, 0, "still 0 bytes");
      assert.deepEqual(readdirSync(dir), ["empty.db"], "no -wal or -shm file");
    }
  });
});
