/**
 * Random search: independent samples of the space, never one hash twice. The baseline every
 * search is reported against ("NAS evaluation is frustratingly hard", Yang et al. 2020: report the
 * gain over random sampling at the same budget). Fitness is a lower-is-better number by default;
 * with `codec: objectivesFitness()` each evaluation returns Objectives (all minimised), the
 * baseline for NSGA-II.
 */
import type { Rng } from "../data/rng.js";
import { DEFAULT_SEARCH_OPTIONS } from "./options.js";
import type { FitnessCodec, Genome, Told } from "./search-state.js";
import { AskTellSearch, readCommonState, scalarFitness } from "./search-state.js";

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
    super(genome, codec, config.seed, config.maxRetries ?? DEFAULT_SEARCH_OPTIONS.maxRetries);
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
