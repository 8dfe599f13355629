/**
 * A whole search's trials per minute on 1 and on 2 local workers — the issue's figure: "with a
 * local pool of 2 workers on 2 cores, a search's trials per minute are at least 1.7x those of one
 * worker". Runs `nonlin search --preset quick` (from dist/: run `npm run build` first) end to end
 * with `--workers 1` (everything in one process) and `--workers 2` (two worker processes; the
 * command's process asks, tells and records), alternating A B A B so that a machine whose speed
 * drifts (a shared host) weighs on both alike. Trials are those the run store recorded (fitness
 * and held-out trials; screenings are not trials), over the command's wall-clock time, process
 * start included. Both modes must find the same result: the search is a function of its config.
 * A third mode pins the one-worker command to one core (taskset, Linux): a single worker also
 * uses the idle core through V8's background threads (compiler, GC), which 2 workers cannot.
 *
 * Reference measured in the same run: the machine's own scaling for two processes (machine-control).
 * With `--reference DIR` (another checkout, built: e.g. the previous commit in a git worktree),
 * each of 1 and 2 workers also runs that checkout's CLI, alternating with this one, and the ratio
 * of trials per minute this / reference is printed per mode; both must find the same result.
 * Run: npm run build && node --import tsx bench/search-throughput.ts [--repeat N] [--preset P]
 *      [--reference DIR]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { controlSeconds } from "./machine-control.js";

const TARGET = 1.7;
const option = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1]! : fallback;
};
const REPEAT = Number(option("--repeat", "3"));
const PRESET = option("--preset", "quick");
/** Candidates in flight (the preset's own when not given). */
const PARALLEL = option("--parallel", "");
/** Candidate trainings (the preset's own when not given): a longer search amortises start-up. */
const BUDGET = option("--budget", "");
const REFERENCE = option("--reference", "");
const cliOf = (root: string) => {
  const path = join(root, "dist", "src", "cli", "main.js");
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build there first`);
  return path;
};
const cli = cliOf(join(import.meta.dirname, ".."));

interface SearchRun {
  seconds: number;
  trials: number;
  found: string;
}

/** The first core this process may use (the one-core baseline is pinned there). */
const firstCore = /Cpus_allowed_list:\s*(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];

type Mode = "1" | "1 on one core" | "2";

function search(mode: Mode, cliPath = cli): SearchRun {
  const workers = mode === "2" ? 2 : 1;
  const dir = mkdtempSync(join(tmpdir(), "nonlin-search-throughput-"));
  try {
    const store = join(dir, "runs.db");
    const started = performance.now();
    // the one-core baseline: every thread of the process on one core (V8's compiler and GC
    // threads included), the usual baseline of a scaling figure
    const pin = mode === "1 on one core" ? ["taskset", "-c", firstCore ?? "0"] : [];
    const child = spawnSync(
      pin[0] ?? process.execPath,
      [
        ...pin.slice(1),
        ...(pin.length > 0 ? [process.execPath] : []),
        cliPath,
        ...["search", "--preset", PRESET, "--workers", String(workers), "--store", store],
        ...(PARALLEL ? ["--parallel", PARALLEL] : []),
        ...(BUDGET ? ["--budget", BUDGET] : []),
      ],
      { cwd: dir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    const seconds = (performance.now() - started) / 1000;
    if (child.status !== 0) throw new Error(`search failed (${child.status}): ${child.stderr}`);
    const db = new Database(store, { readonly: true });
    const { n } = db.prepare("SELECT count(*) AS n FROM trials WHERE status = 'done'").get() as {
      n: number;
    };
    db.close();
    const [folder] = readdirSync(join(dir, "runs"));
    const run = readFileSync(join(dir, "runs", folder!, "results.json"));
    const results = JSON.parse(run.toString()) as {
      headline: unknown;
      outcome: { ranking: { text: string; fitness: number }[] };
    };
    // what the search found: the same in every run, whatever ran its jobs
    const found = JSON.stringify({
      headline: results.headline,
      ranking: results.outcome.ranking.map((c) => [c.text, c.fitness]),
    });
    return { seconds, trials: n, found };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const median = (values: number[]) => [...values].sort((x, y) => x - y)[values.length >> 1]!;
const perMinute = (r: SearchRun) => (r.trials / r.seconds) * 60;

console.log(
  `nonlin search --preset ${PRESET}${PARALLEL ? ` --parallel ${PARALLEL}` : ""}${BUDGET ? ` --budget ${BUDGET}` : ""}, ${REPEAT} × (1 worker, 2 workers), alternating; ${availableParallelism()} cores; load average ${load()}`,
);
if (REFERENCE) {
  const reference = cliOf(REFERENCE);
  const trees = { this: cli, reference } as const;
  const byTree: Record<string, SearchRun[]> = {};
  for (let r = 0; r < REPEAT; r++)
    for (const mode of ["1", "2"] as const) {
      // alternate which tree goes first, so a drifting machine weighs on both alike
      const order =
        r % 2 === 0 ? (["this", "reference"] as const) : (["reference", "this"] as const);
      for (const tree of order) {
        const run = search(mode, trees[tree]);
        (byTree[`${tree} ${mode}`] ??= []).push(run);
        console.log(
          `  ${tree} ${mode} worker(s): ${run.trials} trials in ${run.seconds.toFixed(1)} s = ${perMinute(run).toFixed(1)} trials/min`,
        );
      }
    }
  const found = new Set(Object.values(byTree).flatMap((runs) => runs.map((r) => r.found)));
  if (found.size !== 1)
    throw new Error(`the trees found different results:\n${[...found].join("\n")}`);
  for (const mode of ["1", "2"] as const) {
    const here = median(byTree[`this ${mode}`]!.map(perMinute));
    const there = median(byTree[`reference ${mode}`]!.map(perMinute));
    console.log(
      `${mode} worker(s), this / reference (${REFERENCE}), median of ${REPEAT}: ${there.toFixed(1)} → ${here.toFixed(1)} trials/min = ${(here / there).toFixed(3)}x`,
    );
  }
  console.log(`same ranking and headline in every run of both trees; load average ${load()}`);
  process.exit(0);
}
const modes: Mode[] = firstCore === undefined ? ["1", "2"] : ["1", "1 on one core", "2"];
const runs: Record<Mode, SearchRun[]> = { "1": [], "1 on one core": [], "2": [] };
for (let r = 0; r < REPEAT; r++) {
  for (const mode of modes) {
    const run = search(mode);
    runs[mode].push(run);
    console.log(
      `  ${mode} worker(s): ${run.trials} trials in ${run.seconds.toFixed(1)} s = ${perMinute(run).toFixed(1)} trials/min`,
    );
  }
}
const found = new Set(modes.flatMap((mode) => runs[mode].map((r) => r.found)));
if (found.size !== 1)
  throw new Error(`the runs found different results:\n${[...found].join("\n")}`);
const one = median(runs["1"].map(perMinute));
const two = median(runs["2"].map(perMinute));
const pinned =
  runs["1 on one core"].length > 0 ? median(runs["1 on one core"].map(perMinute)) : NaN;
const machine = ((await controlSeconds(1)) / (await controlSeconds(2))) * 2;
console.log(
  `2 workers / 1 worker (median of ${REPEAT}): ${one.toFixed(1)} → ${two.toFixed(1)} trials/min = ${(two / one).toFixed(2)}x (target ≥ ${TARGET}x); 2 workers on 2 cores / 1 worker on one core: ${pinned.toFixed(1)} → ${two.toFixed(1)} = ${(two / pinned).toFixed(2)}x; the machine's own ratio for 2 processes ${machine.toFixed(2)}x; same ranking and headline in every run; load average ${load()}`,
);
