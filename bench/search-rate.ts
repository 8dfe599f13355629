/**
 * Candidate evaluations per minute of `nonlin search`, with and without the rejection stages and
 * zero-cost proxies (issue 6's benchmark), on the quick preset's fitness protocol with a smaller
 * budget, through the CLI (pool of 2 workers, a fresh store each time).
 * Run: npx tsx bench/search-rate.ts [budget]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { searchPreset } from "../src/search/presets.js";
import type { SearchResults } from "../src/search/results.js";

const budget = Number(process.argv[2] ?? 12);
const dir = mkdtempSync(join(tmpdir(), "nonlin-search-rate-"));
const variants = {
  "rejection + proxies": {},
  "no rejection, no proxies": {
    rejection: { static: false, quality: false, stability: false },
    proxies: false,
    proxy_guide: "none",
  },
} as const;
const rates: Record<string, number> = {};
for (const [label, change] of Object.entries(variants)) {
  const config = join(dir, `${label.replace(/\W+/g, "-")}.yaml`);
  writeFileSync(
    config,
    stringify({
      ...searchPreset("quick"),
      ...change,
      budget,
      heldout: { tasks: ["toy/xy"], seeds: 1, top_k: 1, baselines: ["relu"] },
    }),
  );
  const out = join(dir, label.replace(/\W+/g, "-"));
  const load = loadavg()[0]!;
  const run = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/main.ts",
      "search",
      config,
      "--workers",
      "2",
      "--store",
      `${out}.db`,
      "--out",
      out,
    ],
    { encoding: "utf8" },
  );
  if (run.status !== 0) throw new Error(run.stderr);
  const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as SearchResults;
  const { outcome } = results;
  rates[label] = results.candidatesPerMinute;
  console.log(
    `${label}: ${outcome.evaluated.length} candidates (${outcome.ranking.length} trained, ${outcome.evaluated.length - outcome.ranking.length} rejected) — ${results.candidatesPerMinute.toFixed(1)} candidates/min, ${results.trainingsPerMinute.toFixed(1)} trainings/min (load ${load.toFixed(1)})`,
  );
}
const [withScreening, without] = Object.values(rates) as [number, number];
console.log(`candidates/min with screening ÷ without: ${(withScreening / without).toFixed(2)}`);
