/**
 * Every setting of the activation search's ask/tell loop — which algorithm, its population and
 * tournament, the budget, how many evaluations are in flight, the seed — in one documented object
 * with its defaults, as SymbolicRegression.jl's `Options` (and `SrOptions` in ./sr). The search
 * config file (config.ts) takes its defaults from here and maps onto it with searchOptionsOf.
 */
import type { SearchConfig } from "./config.js";

/**
 * In which order results are told when several evaluations are in flight.
 * - "ask-order": told in the order they were asked (a result that finishes early waits for the
 *   older ones). The n-th ask then always sees exactly the first n − parallel + 1 results, so the
 *   search is the same whatever the timing of the evaluations (reproducible, resumable).
 * - "completion": told as they finish (Real et al.'s asynchronous workers: no idle worker), so
 *   the sequence depends on evaluation times.
 */
export type TellOrdering = "ask-order" | "completion";

export const SEARCH_ALGORITHMS = ["evolution", "nsga2", "random"] as const;
export type SearchAlgorithmName = (typeof SEARCH_ALGORITHMS)[number];

export interface SearchOptions {
  /**
   * The strategy that proposes candidates: aging evolution (evolution.ts), NSGA-II over
   * (fitness, complexity) (nsga2.ts), or independent random samples (random-search.ts).
   */
  readonly algorithm: SearchAlgorithmName;
  /**
   * Evaluations the search may spend, counting those of a resumed state (`nonlin search`:
   * candidate trainings; a candidate rejected by screening costs none).
   */
  readonly budget: number;
  /**
   * Evaluations in flight at once. Part of the search's definition, not of the machine: with
   * ask-order tells, candidate n is asked once candidate n − parallel is told.
   */
  readonly parallel: number;
  /** Seed of the counter-based random streams: the n-th ask draws from stream n. */
  readonly seed: number;
  /** Population of aging evolution (the most recently told) and of NSGA-II (the survivors). */
  readonly populationSize: number;
  /** Tournament size of aging evolution: members drawn, with replacement, to pick a parent. */
  readonly sampleSize: number;
  /** NSGA-II: probability of crossover before mutation, when the space has a crossover. */
  readonly crossoverProbability: number;
  /** Re-draws of a duplicate child (a hash already told or in flight) before giving up on it. */
  readonly maxRetries: number;
  /** When several evaluations are in flight: tell in ask order, or as they finish. */
  readonly ordering: TellOrdering;
}

export const DEFAULT_SEARCH_OPTIONS: SearchOptions = {
  algorithm: "evolution",
  budget: 60,
  parallel: 1,
  seed: 0,
  populationSize: 16,
  sampleSize: 4,
  crossoverProbability: 0.9,
  maxRetries: 10,
  ordering: "ask-order",
};

/** The options a search config file sets (the rest at their defaults). */
export function searchOptionsOf(config: SearchConfig): SearchOptions {
  return {
    ...DEFAULT_SEARCH_OPTIONS,
    algorithm: config.algorithm,
    budget: config.budget,
    parallel: config.parallel,
    seed: config.seed,
    populationSize: config.population,
    sampleSize: config.sample,
  };
}
