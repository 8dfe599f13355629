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

describe("config files", { timeout: 300_000 }, () => {
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
