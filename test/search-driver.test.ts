/**
 * The search driver with `parallel` candidates in flight, against stand-ins for the executor whose
 * jobs finish in a scrambled order after random delays: the search must be the same whatever the
 * timing (each ask sees only what the config decides), never have more than `parallel`
 * candidates in flight, and spend the training budget exactly while rejects cost none of it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BenchConfig } from "../src/bench/config.js";
import type { TrialResult } from "../src/bench/results.js";
import { fnv1a64 } from "../src/expr/hash.js";
import { parseSearchConfig } from "../src/search/config.js";
import type { RunConfigs, RunScreen, SearchOutcome } from "../src/search/run-search.js";
import { runSearch } from "../src/search/run-search.js";

const CONFIG = parseSearchConfig({
  name: "driver",
  space: "core_units",
  algorithm: "evolution",
  budget: 12,
  population: 4,
  sample: 2,
  parallel: 3,
  seed: 3,
  proxy_guide: "none",
  fitness: {
    tasks: ["relu-kan/sin-pi-x", "synthetic/spirals"],
    seeds: 2,
    params: 100,
    training: { epochs: 2, batch_size: 50 },
    rows: { train: 100, val: 50, test: 50 },
  },
  heldout: { tasks: ["toy/xy"], top_k: 2, seeds: 2, baselines: ["relu"] },
});

/** A number in [0, 1) fixed by the text (stands for a trained metric). */
const unit = (text: string) => Number.parseInt(fnv1a64(text).slice(0, 8), 16) / 2 ** 32;

interface Stand {
  screen: RunScreen;
  runConfigs: RunConfigs;
  /** Most candidates screened or trained at once. */
  maxInFlight: () => number;
}

/** Jobs that answer after a delay drawn from `timing`: the same answers, a different order. */
function standIns(timing: number): Stand {
  let inFlight = 0;
  let most = 0;
  const later = <T>(key: string, value: () => T): Promise<T> =>
    new Promise((resolve) => setTimeout(() => resolve(value()), unit(`${timing}:${key}`) * 8));
  const screen: RunScreen = async (request) => {
    most = Math.max(most, ++inFlight);
    // every third candidate (by its text) is rejected at the static stage
    const passed = unit(request.activation) > 1 / 3;
    const result = await later(request.activation, () => ({
      screening: {
        passed,
        ...(passed ? {} : { rejectedAt: "static" as const }),
        stages: [
          { passed, stage: "static" as const, reason: "stand-in", seconds: 0, measures: {} },
        ],
        seconds: 0,
      },
    }));
    if (!passed) inFlight--;
    return result;
  };
  const runConfigs: RunConfigs = async (configs: BenchConfig[], label) => {
    if (label === "reference relu") most = Math.max(most, ++inFlight);
    const trials = await later(label, () =>
      configs.map((config) =>
        config.tasks.flatMap((task) =>
          Array.from({ length: config.seeds }, (_, seedIndex): TrialResult => {
            const name = typeof task === "string" ? task : task.name;
            const metric = 0.1 + unit(`${config.candidates[0]!.name}:${name}:${seedIndex}`);
            return {
              task: name,
              candidate: config.candidates[0]!.name ?? "",
              seedIndex,
              seed: seedIndex,
              params: 100,
              flops: 0,
              trainFlops: 0,
              epochs: 2,
              selectedEpoch: 1,
              secondsPerEpoch: 0.01,
              throughput: 1,
              peakMemoryBytes: 0,
              curve: [],
              val: { loss: metric, metric },
              test: { loss: metric, metric },
            };
          }),
        ),
      ),
    );
    inFlight--;
    return trials;
  };
  return { screen, runConfigs, maxInFlight: () => most };
}

const evaluatedOf = (outcome: SearchOutcome) =>
  outcome.evaluated.map((e) => [e.hash, e.fitness, e.rejectedAt ?? "trained"]);

describe("search driver with candidates in flight", () => {
  it("is the same search whatever order its jobs finish in", async () => {
    const outcomes: SearchOutcome[] = [];
    const stands: Stand[] = [];
    for (const timing of [1, 2, 3]) {
      const stand = standIns(timing);
      stands.push(stand);
      outcomes.push(await runSearch(CONFIG, stand.runConfigs, stand.screen));
    }
    const [first, ...others] = outcomes.map(evaluatedOf);
    for (const other of others) assert.deepEqual(other, first);
    const trained = outcomes[0]!.evaluated.filter((e) => !e.rejectedAt);
    const rejected = outcomes[0]!.evaluated.filter((e) => e.rejectedAt);
    assert.equal(trained.length, CONFIG.budget, "the budget of trainings is spent exactly");
    assert.ok(rejected.length > 0, "some candidates were rejected (they cost no budget)");
    for (const stand of stands) {
      assert.ok(stand.maxInFlight() <= CONFIG.parallel, `in flight ${stand.maxInFlight()}`);
      assert.ok(stand.maxInFlight() >= 2, "candidates did overlap");
    }
  });

  it("with parallel 1, evaluates one candidate at a time", async () => {
    const stand = standIns(1);
    const outcome = await runSearch({ ...CONFIG, parallel: 1 }, stand.runConfigs, stand.screen);
    assert.equal(stand.maxInFlight(), 1);
    assert.equal(outcome.evaluated.filter((e) => !e.rejectedAt).length, CONFIG.budget);
  });
});
