/**
 * `bench --resume RUN` and `search --resume RUN` with no config: the run's validated config is read
 * from the store. A run stopped with Ctrl-C (SIGINT, exit 130) prints the exact command that
 * resumes it, and that command finishes with the same results as an uninterrupted run.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import type { BenchResults, TrialResult } from "../src/bench/results.js";
import type { SearchResults } from "../src/search/results.js";
import { resumeCommand } from "../src/cli/run-session.js";
import { openStore } from "../src/store/index.js";

const main = join(import.meta.dirname, "../src/cli/main.ts");
const cli = (args: string[], store: string) =>
  spawnSync(
    process.execPath,
    ["--import", "tsx", main, ...args, "--store", store, "--workers", "1"],
    {
      encoding: "utf8",
      timeout: 300_000,
    },
  );

function writeConfig(dir: string, name: string, config: object): string {
  const path = join(dir, name);
  writeFileSync(path, stringify(config));
  return path;
}

/**
 * Sends SIGINT to `child` once its store holds `done` finished trials; gives the run id, the
 * child's exit code and its stderr ("" as the id if that never happened in time).
 */
async function interruptWhenDone(
  child: ChildProcess,
  store: string,
  done: number,
  limitMs = 200_000,
): Promise<{ runId: string; code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  let runId = "";
  for (let waited = 0; waited < limitMs && child.exitCode === null; waited += 25) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    if (!existsSync(store)) continue;
    let view: ReturnType<typeof openStore>;
    try {
      view = openStore(store, { mustExist: true, readonly: true });
    } catch {
      continue;
    }
    try {
      const run = view.listRuns()[0];
      if (run && view.trialCounts(run.id).done >= done) {
        runId = run.id;
        child.kill("SIGINT");
        break;
      }
    } catch {
      // not readable yet: look again
    } finally {
      view.close();
    }
  }
  if (!runId) child.kill("SIGKILL");
  const code = await exited;
  return { runId, code, stderr };
}

const start = (args: string[], store: string) =>
  spawn(process.execPath, ["--import", "tsx", main, ...args, "--store", store, "--workers", "1"], {
    stdio: ["ignore", "ignore", "pipe"],
  });

const BENCH = {
  tasks: ["toy/xy"],
  candidates: [{ activation: "relu" }, { activation: "tanh" }],
  seeds: 2,
  fairness: { mode: "params", budget: 100 },
  rows: { train: 400, val: 100, test: 100 },
  training: { epochs: 40, batch_size: 40 },
};

const SEARCH = {
  name: "tiny",
  budget: 4,
  population: 2,
  sample: 2,
  fitness: {
    tasks: ["relu-kan/sin-pi-x"],
    seeds: 1,
    params: 100,
    training: { epochs: 4, batch_size: 50 },
    rows: { train: 100, val: 50, test: 50 },
  },
  heldout: {
    tasks: ["toy/xy"],
    top_k: 2,
    seeds: 2,
    baselines: ["relu", "silu"],
    rows: { train: 100, val: 50, test: 100 },
  },
};

const trialKey = (t: TrialResult) =>
  JSON.stringify([t.task, t.candidate, t.seed, t.params, t.selectedEpoch, t.val, t.test]);

describe("resume by run id alone", { timeout: 900_000 }, () => {
  it("bench: Ctrl-C names the resume command, which finishes as an uninterrupted run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-resume-"));
    const config = writeConfig(dir, "bench.yaml", BENCH);
    const whole = cli(["bench", config, "--json", "--out", join(dir, "whole")], join(dir, "w.db"));
    assert.equal(whole.status, 0, whole.stderr);
    const expected = JSON.parse(whole.stdout) as BenchResults;

    const store = join(dir, "runs.db");
    const child = start(["bench", config, "--out", join(dir, "a")], store);
    const { runId, code, stderr } = await interruptWhenDone(child, store, 1);
    assert.ok(runId, "a trial was recorded before the interrupt");
    assert.equal(code, 130, stderr);
    assert.ok(
      stderr.includes(`interrupted: resume with nonlin bench --resume ${runId} --store ${store}`),
      stderr,
    );
    const before = openStore(store, { mustExist: true });
    const done = before.trialCounts(runId).done;
    assert.equal(before.getRun(runId)?.status, "interrupted");
    before.close();
    assert.ok(done >= 1 && done < 4, `${done} of 4 trials done at the interrupt`);

    // a run that does not exist is named
    const missing = cli(["bench", "--resume", "r-nope"], store);
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /no run 'r-nope'/);

    const resumed = cli(["bench", "--resume", runId, "--json", "--out", join(dir, "b")], store);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(
      resumed.stderr,
      new RegExp(`resuming ${runId}: ${done} trial\\(s\\) already done`),
    );
    const results = JSON.parse(resumed.stdout) as BenchResults;
    assert.deepEqual(results.trials.map(trialKey).sort(), expected.trials.map(trialKey).sort());
    assert.deepEqual(
      results.summaries.map((s) => [s.task, s.candidate, s.mean]),
      expected.summaries.map((s) => [s.task, s.candidate, s.mean]),
    );
    const after = openStore(store, { mustExist: true });
    assert.equal(after.getRun(runId)?.status, "done");
    after.close();

    // a config given with the id must still match
    const other = writeConfig(dir, "other.yaml", { ...BENCH, seeds: 3 });
    const refused = cli(["bench", other, "--resume", runId], store);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /--resume: run .* was started with another config/);
    // and the same config with the id is accepted as before
    const same = cli(
      ["bench", config, "--resume", runId, "--json", "--out", join(dir, "c")],
      store,
    );
    assert.equal(same.status, 0, same.stderr);
    assert.match(same.stderr, /4 trial\(s\) already done/);
  });

  it("search: Ctrl-C, then `search --resume RUN` gives the same search", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-resume-"));
    const config = writeConfig(dir, "search.yaml", SEARCH);
    const whole = cli(["search", config, "--json", "--out", join(dir, "whole")], join(dir, "w.db"));
    assert.equal(whole.status, 0, whole.stderr);
    const expected = JSON.parse(whole.stdout) as SearchResults;

    const store = join(dir, "runs.db");
    const child = start(["search", config, "--out", join(dir, "a")], store);
    const { runId, code, stderr } = await interruptWhenDone(child, store, 2);
    assert.ok(runId, "the search got going before the interrupt");
    assert.equal(code, 130, stderr);
    assert.ok(
      stderr.includes(`interrupted: resume with nonlin search --resume ${runId} --store ${store}`),
      stderr,
    );

    // bench refuses a search run
    const wrong = cli(["bench", "--resume", runId], store);
    assert.equal(wrong.status, 2, wrong.stderr);
    assert.match(wrong.stderr, /is a 'search' run, not a bench/);

    const resumed = cli(["search", "--resume", runId, "--json", "--out", join(dir, "b")], store);
    assert.equal(resumed.status, 0, resumed.stderr);
    const results = JSON.parse(resumed.stdout) as SearchResults;
    assert.deepEqual(
      results.outcome.evaluated.map((e) => [e.hash, e.fitness]),
      expected.outcome.evaluated.map((e) => [e.hash, e.fitness]),
    );
    assert.equal(results.headline.text, expected.headline.text);
    const after = openStore(store, { mustExist: true });
    assert.equal(after.getRun(runId)?.status, "done");
    after.close();
  });
});

describe("the resume command Ctrl-C prints", () => {
  it("names --store only when it is not the default, quotes what a shell would split", () => {
    assert.equal(resumeCommand("bench", "r-1", "nonlin.db"), "nonlin bench --resume r-1");
    assert.equal(resumeCommand("bench", "r-1", undefined), "nonlin bench --resume r-1");
    assert.equal(
      resumeCommand("search", "r-1", "/tmp/a b/it's.db", "cuda:1"),
      "nonlin search --resume r-1 --store '/tmp/a b/it'\\''s.db' --device cuda:1",
    );
  });
});
