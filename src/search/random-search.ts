/**
 * Random search: independent samples of the space, never one hash twice. The baseline every
 * search is reported against ("NAS evaluation is frustratingly hard", Yang et al. 2020: report the
 * gain over random sampling at the same budget). Fitness is a lower-is-better number by default;
 * with `codec: objectivesFitness()` each evaluation returns Objectives (all minimised), the
 * baseline for NSGA-II.
 */
import type { Rng } from "../data/rng.js";
import type { FitnessCodec, Genome, Told, TellOrdering } from "./search-state.js";
import {
  AskTellSearch,
  candidateGenome,
  driveAskTell,
  readCommonState,
  resolveSeed,
  scalarFitness,
} from "./search-state.js";
import type { Candidate, SearchSpace } from "./types.js";

export const RANDOM_SEARCH_FORMAT = "nonlin.search.random/1";

export interface RandomSearchState {
  format: typeof RANDOM_SEARCH_FORMAT;
  seed: number;
  maxRetries: number;
  asks: number;
  told: { item: unknown; fitness: unknown }[];
  pending: unknown[];
}

export class RandomSearch<T, F = number> extends AskTellSearch<T, F> {
  constructor(
    genome: Genome<T>,
    config: { seed: number; maxRetries?: number },
    codec: FitnessCodec<F> = scalarFitness as unknown as FitnessCodec<F>,
  ) {
    super(genome, codec, config.seed, config.maxRetries ?? 10);
  }

  /** The lowest scalar fitness so far (the earliest on ties); undefined for objectives. */
  best(): Told<T, F> | undefined {
    let best: Told<T, F> | undefined;
    for (const entry of this.history()) {
      if (typeof entry.fitness !== "number") return undefined;
      if (!best || entry.fitness < (best.fitness as number)) best = entry;
    }
    return best;
  }

  protected propose(rng: Rng): T | undefined {
    return this.firstUnseen(() => this.genome.sample(rng));
  }

  protected afterTell(): void {}

  toJSON(): RandomSearchState {
    return { format: RANDOM_SEARCH_FORMAT, ...this.commonState() };
  }

  static fromJSON<T, F = number>(
    genome: Genome<T>,
    data: unknown,
    codec?: FitnessCodec<F>,
  ): RandomSearch<T, F> {
    const state = readCommonState(data, RANDOM_SEARCH_FORMAT);
    const search = new RandomSearch<T, F>(genome, state, codec);
    search.restoreCommon(state);
    return search;
  }
}

interface RunRandomSearchCommon<T, F> {
  budget: number;
  parallel?: number;
  seed?: number;
  rng?: Rng;
  maxRetries?: number;
  ordering?: TellOrdering;
  /** What evaluate returns (default: one lower-is-better number). */
  codec?: FitnessCodec<F>;
  evaluate: (item: T) => Promise<F>;
  onEvaluated?: (item: T, fitness: F, search: RandomSearch<T, F>) => void | Promise<void>;
  resumeFrom?: unknown;
}

export interface RandomSearchResult<T, F> {
  /** Lowest scalar fitness (undefined for objectives). */
  best: Told<T, F> | undefined;
  history: readonly Told<T, F>[];
  search: RandomSearch<T, F>;
}

/** Runs random search on Candidates of a space, or on any genome. */
export function runRandomSearch<F = number>(
  options: RunRandomSearchCommon<Candidate, F> & { space: SearchSpace },
): Promise<RandomSearchResult<Candidate, F>>;
export function runRandomSearch<T, F = number>(
  options: RunRandomSearchCommon<T, F> & { genome: Genome<T> },
): Promise<RandomSearchResult<T, F>>;
export async function runRandomSearch<T, F>(
  options: RunRandomSearchCommon<T, F> & { genome?: Genome<T>; space?: SearchSpace },
): Promise<RandomSearchResult<T, F>> {
  const genome = options.genome ?? (candidateGenome(options.space as SearchSpace) as Genome<never>);
  const search =
    options.resumeFrom === undefined
      ? new RandomSearch<T, F>(
          genome,
          { seed: resolveSeed(options), maxRetries: options.maxRetries },
          options.codec,
        )
      : RandomSearch.fromJSON<T, F>(genome, options.resumeFrom, options.codec);
  await driveAskTell(search, {
    budget: options.budget,
    parallel: options.parallel ?? 1,
    evaluate: options.evaluate,
    ordering: options.ordering,
    onEvaluated:
      options.onEvaluated && ((item, fitness) => options.onEvaluated?.(item, fitness, search)),
  });
  return { best: search.best(), history: search.history(), search };
}
