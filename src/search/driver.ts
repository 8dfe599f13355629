/**
 * The one ask/tell driver of the search: builds (or restores) the strategy a SearchOptions names —
 * aging evolution, NSGA-II or random search — and keeps `parallel` evaluations in flight until
 * the budget is spent. `nonlin search` (run-search.ts) and library callers (runAlgorithm) run the
 * same loop.
 */
import type { Rng } from "../data/rng.js";
import { AgingEvolution } from "./evolution.js";
import { Nsga2 } from "./nsga2.js";
import type { SearchOptions, TellOrdering } from "./options.js";
import { DEFAULT_SEARCH_OPTIONS } from "./options.js";
import { RandomSearch } from "./random-search.js";
import type { AskTellOptimizer, Genome } from "./search-state.js";
import { SearchStateError, objectivesFitness } from "./search-state.js";
import type { Objectives } from "./types.js";

export type { TellOrdering };

export interface DriveOptions<T, F, R = F> {
  /** Evaluations that spend budget (told plus in flight), counting those before a restore. */
  budget: number;
  /** Evaluations kept in flight at once (≥ 1). */
  parallel: number;
  evaluate: (item: T) => Promise<R>;
  /** What the algorithm is told of a result (default: the result itself). */
  fitnessOf?: (result: R) => F;
  /** Whether a told result spent budget (default: every one does); in flight always counts. */
  spendsBudget?: (result: R) => boolean;
  /** At most this many evaluations told and in flight, spent or not (default: no cap). */
  maxEvaluations?: number;
  /** Default "ask-order". */
  ordering?: TellOrdering;
  /** Awaited after each evaluation starts, before the next ask (lets an executor dispatch it). */
  afterStart?: () => Promise<void>;
  /** Called after each tell, before the next ask: a place to save the state. */
  onEvaluated?: (item: T, result: R) => void | Promise<void>;
}

type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Keeps `parallel` evaluations in flight until the budget is spent or the algorithm has nothing
 * left to ask. Pending asks of a restored search are evaluated first. If an evaluation rejects,
 * the driver waits for the others in flight, tells their results, and rethrows; the rejected one
 * stays pending, so the saved state can be resumed.
 */
export async function driveAskTell<T, F, R = F>(
  optimizer: AskTellOptimizer<T, F>,
  options: DriveOptions<T, F, R>,
): Promise<void> {
  const { budget, parallel, evaluate, onEvaluated, afterStart } = options;
  const ordering = options.ordering ?? "ask-order";
  const fitnessOf = options.fitnessOf ?? ((result: R) => result as unknown as F);
  const maxEvaluations = options.maxEvaluations ?? Infinity;
  if (!Number.isInteger(budget) || budget < 0) {
    throw new RangeError(`budget must be a non-negative integer, got ${budget}`);
  }
  if (!Number.isInteger(parallel) || parallel < 1) {
    throw new RangeError(`parallel must be a positive integer, got ${parallel}`);
  }
  interface Job {
    item: T;
    settled: Promise<Settled<R>>;
  }
  const inFlight: Job[] = [];
  // evaluations told before a restore all spent budget
  let told = optimizer.askedCount - optimizer.pending().length;
  let spent = told;
  const start = (item: T): void => {
    const settled = Promise.resolve()
      .then(() => evaluate(item))
      .then(
        (value): Settled<R> => ({ ok: true, value }),
        (error: unknown): Settled<R> => ({ ok: false, error }),
      );
    inFlight.push({ item, settled });
  };
  // synchronous unless afterStart is given, so a plain run's timing is that of a plain loop
  const refill = (): Promise<void> | undefined => {
    while (
      inFlight.length < parallel &&
      spent + inFlight.length < budget &&
      told + inFlight.length < maxEvaluations
    ) {
      const item = optimizer.ask();
      if (item === undefined) return undefined;
      start(item);
      if (afterStart) return afterStart().then(refill);
    }
    return undefined;
  };
  optimizer.pending().forEach(start);
  const filling = refill();
  if (filling) await filling;
  let failure: { error: unknown } | undefined;
  while (inFlight.length > 0) {
    let job: Job;
    if (ordering === "ask-order") job = inFlight[0] as Job;
    else
      job = await Promise.race(
        inFlight.map((candidate) => candidate.settled.then(() => candidate)),
      );
    const result = await job.settled;
    inFlight.splice(inFlight.indexOf(job), 1);
    if (!result.ok) {
      failure ??= { error: result.error };
      continue;
    }
    optimizer.tell(job.item, fitnessOf(result.value));
    told++;
    if (options.spendsBudget?.(result.value) ?? true) spent++;
    await onEvaluated?.(job.item, result.value);
    if (!failure) {
      const more = refill();
      if (more) await more;
    }
  }
  if (failure) throw failure.error;
}

/** The strategies a SearchOptions can name. */
export type SearchAlgorithm<T> =
  AgingEvolution<T> | Nsga2<T> | RandomSearch<T, number> | RandomSearch<T, Objectives>;

export interface AlgorithmSetup {
  /**
   * Objectives in order: NSGA-II's (default: the sorted names of the first told), or those of a
   * random search that records objectives instead of one number.
   */
  objectiveNames?: string[];
  /** A state from `toJSON()` (parsed JSON) to continue; its settings must match the options. */
  resumeFrom?: unknown;
}

/** Refuses a resumed state whose settings differ from the options (naming the first). */
function checkResumed<S extends object>(
  search: S,
  options: SearchOptions,
  fields: readonly (keyof S & keyof SearchOptions)[],
): S {
  for (const field of fields) {
    if (search[field] !== options[field]) {
      throw new SearchStateError(
        `the resumed state has ${field} ${String(search[field])}, the run asks for ${String(options[field])}`,
      );
    }
  }
  return search;
}

/** The strategy the options name, new or restored from `setup.resumeFrom`. */
export function createAlgorithm<T>(
  genome: Genome<T>,
  options: SearchOptions,
  setup: AlgorithmSetup = {},
): SearchAlgorithm<T> {
  const { resumeFrom, objectiveNames } = setup;
  const { seed, maxRetries } = options;
  switch (options.algorithm) {
    case "evolution":
      return resumeFrom === undefined
        ? new AgingEvolution(genome, {
            populationSize: options.populationSize,
            sampleSize: options.sampleSize,
            seed,
            maxRetries,
          })
        : checkResumed(AgingEvolution.fromJSON(genome, resumeFrom), options, [
            "populationSize",
            "sampleSize",
          ]);
    case "nsga2":
      return resumeFrom === undefined
        ? new Nsga2(genome, {
            populationSize: options.populationSize,
            seed,
            crossoverProbability: options.crossoverProbability,
            maxRetries,
            objectiveNames,
          })
        : checkResumed(Nsga2.fromJSON(genome, resumeFrom), options, ["populationSize"]);
    case "random": {
      const config = { seed, maxRetries };
      if (!objectiveNames) {
        return resumeFrom === undefined
          ? new RandomSearch<T>(genome, config)
          : RandomSearch.fromJSON<T>(genome, resumeFrom);
      }
      const codec = objectivesFitness(objectiveNames);
      return resumeFrom === undefined
        ? new RandomSearch<T, Objectives>(genome, config, codec)
        : RandomSearch.fromJSON<T, Objectives>(genome, resumeFrom, codec);
    }
  }
}

/** A seed from either an explicit seed or a generator (one 32-bit draw), else the default. */
export function resolveSeed(options: { seed?: number; rng?: Rng }): number {
  if (options.seed !== undefined) {
    if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
      throw new RangeError(`seed must be an integer in [0, 2^32), got ${options.seed}`);
    }
    return options.seed;
  }
  return options.rng ? options.rng.nextUint32() : DEFAULT_SEARCH_OPTIONS.seed;
}

/** A library run: options (defaults from DEFAULT_SEARCH_OPTIONS), the members and the judge. */
export interface AlgorithmRun<T, F, S> extends Partial<SearchOptions>, AlgorithmSetup {
  genome: Genome<T>;
  /** Draws the seed when `seed` is absent (ignored when resuming). */
  rng?: Rng;
  /** Lower is better (every objective, for objectives). */
  evaluate: (item: T) => Promise<F>;
  /** Called after each tell, before the next ask: a place to save `search.toJSON()`. */
  onEvaluated?(item: T, fitness: F, search: S): void | Promise<void>;
}

/** Runs the strategy the options name on any genome; gives back the search, finished. */
export function runAlgorithm<T>(
  run: AlgorithmRun<T, number, AgingEvolution<T>> & { algorithm?: "evolution" },
): Promise<AgingEvolution<T>>;
export function runAlgorithm<T>(
  run: AlgorithmRun<T, Objectives, Nsga2<T>> & { algorithm: "nsga2" },
): Promise<Nsga2<T>>;
export function runAlgorithm<T>(
  run: AlgorithmRun<T, Objectives, RandomSearch<T, Objectives>> & {
    algorithm: "random";
    objectiveNames: string[];
  },
): Promise<RandomSearch<T, Objectives>>;
export function runAlgorithm<T>(
  run: AlgorithmRun<T, number, RandomSearch<T, number>> & { algorithm: "random" },
): Promise<RandomSearch<T, number>>;
export async function runAlgorithm<T>(
  run: AlgorithmRun<T, unknown, SearchAlgorithm<T>>,
): Promise<SearchAlgorithm<T>> {
  const options: SearchOptions = {
    ...optionsOf(run),
    seed: run.resumeFrom === undefined ? resolveSeed(run) : DEFAULT_SEARCH_OPTIONS.seed,
  };
  const search = createAlgorithm(run.genome, options, run);
  await driveAskTell(search as AskTellOptimizer<T, unknown>, {
    budget: options.budget,
    parallel: options.parallel,
    evaluate: run.evaluate,
    ordering: options.ordering,
    onEvaluated: run.onEvaluated && ((item, fitness) => run.onEvaluated?.(item, fitness, search)),
  });
  return search;
}

/** The run's settings, each at its default where the run leaves it out. */
function optionsOf(run: Partial<SearchOptions>): SearchOptions {
  const entries = Object.entries(DEFAULT_SEARCH_OPTIONS).map(([key, fallback]) => [
    key,
    run[key as keyof SearchOptions] ?? fallback,
  ]);
  return Object.fromEntries(entries) as SearchOptions;
}
