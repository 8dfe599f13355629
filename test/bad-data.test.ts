/**
 * Data that cannot be trained on is refused before any work, exit 2, with a message naming the
 * file and what is wrong: a CSV task with a non-finite cell or too few rows for its split.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

const nonlin = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
  });

/** A folder holding data.csv with `csv` as its text. */
function folderWith(csv: string): string {
  const dir = mkdtempSync(join(tmpdir(), "nonlin-bad-data-"));
  writeFileSync(join(dir, "data.csv"), csv);
  return dir;
}

const FIT_SPEC =
  "task: {type: csv, path: data.csv}\n" +
  "model:\n  layers:\n    - {type: dense, units: 4, activation: tanh}\n    - {type: dense, units: 1}\n" +
  "phases: [{kind: gradient, epochs: 2}]\n";

/** `nonlin fit` of FIT_SPEC on `csv`: exits 2 with `message`, no store and no --out folder. */
function assertFitRefuses(csv: string, message: RegExp): void {
  const dir = folderWith(csv);
  writeFileSync(join(dir, "spec.yaml"), FIT_SPEC);
  const [store, out] = [join(dir, "runs.db"), join(dir, "out")];
  const run = nonlin("fit", join(dir, "spec.yaml"), "--store", store, "--out", out);
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, message);
  assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
  assert.equal(existsSync(store), false, "no store");
  assert.equal(existsSync(out), false, "no output folder");
}

const rows = (count: number): string =>
  Array.from({ length: count }, (_, i) => `${i},${2 * i},${3 * i}\n`).join("");

describe("nonlin fit: a CSV task it cannot train on", { timeout: 120_000 }, () => {
  it("refuses a non-finite cell (1e999, -inf), naming file, line and column", () => {
    assertFitRefuses(
      `a,b,y\n${rows(20)}1e999,1,2\n`,
      /^error: data\.csv line 22, column 'a': '1e999' is not a finite number/m,
    );
    assertFitRefuses(
      `a,b,y\n${rows(5)}1,2,-inf\n${rows(5)}`,
      /^error: data\.csv line 7, column 'y': '-inf' is not a finite number/m,
    );
  });

  it("refuses a one-row CSV: too few rows for the split, and how many it takes", () => {
    assertFitRefuses(
      "a,b,y\n1,2,3\n",
      /^error: data\.csv: 1 row is too few for split val 0\.15 \/ test 0\.15 \(they give 1 train, 0 validation and 0 test rows\); it takes at least 4 rows$/m,
    );
  });
});
