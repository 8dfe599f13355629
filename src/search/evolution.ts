/**
 * Regularised (aging) evolution — Real, Aggarwal, Huang & Le 2019, "Regularized Evolution for
 * Image Classifier Architecture Search" (Algorithm 1): fill a population of P with random members;
 * then repeatedly sample S members (with replacement), mutate the best of the sample, add the
 * child and remove the OLDEST member (not the worst), so every member dies young and a lucky
 * evaluation cannot dominate for ever.
 *
 * Fitness is LOWER-IS-BETTER (a loss, an error rate); NaN or +Infinity marks a failed evaluation.
 * Asynchronous form: the population is the P most recently TOLD members; ask() samples randomly
 * until P members have been asked, then draws tournaments from the told population. A child whose
 * hash was already evaluated (or is in flight) is re-mutated up to `maxRetries` times, then a fresh
 * random sample is tried as often; if every draw is a duplicate, ask() returns undefined.
 */
import type { Rng } from "../data/rng.js";
import { DEFAULT_SEARCH_OPTIONS } from "./options.js";
import type { Genome, Told } from "./search-state.js";
import { AskTellSearch, readCommonState, scalarFitness } from "./search-state.js";

export interface AgingEvolutionConfig {
  populationSize: number;
  sampleSize: number;
  seed: number;
  /** Re-draws of a duplicate child before giving up on it (default: SearchOptions'). */
  maxRetries?: number;
}

export const AGING_EVOLUTION_FORMAT = "nonlin.search.aging-evolution/1";

/** The JSON of a search: enough to continue it exactly. */
export interface AgingEvolutionState {
  format: typeof AGING_EVOLUTION_FORMAT;
  populationSize: number;
  sampleSize: number;
  seed: number;
  maxRetries: number;
  asks: number;
  /** Every evaluation in tell order; the population is the last `populationSize` of them. */
  told: { item: unknown; fitness: number | null }[];
  pending: unknown[];
}

export class AgingEvolution<T> extends AskTellSearch<T, number> {
  readonly populationSize: number;
  readonly sampleSize: number;
  /** Oldest first; an entry's `index` (tell order) is its birth. */
  private readonly members: Told<T, number>[] = [];

  constructor(genome: Genome<T>, config: AgingEvolutionConfig) {
    super(
      genome,
      scalarFitness,
      config.seed,
      config.maxRetries ?? DEFAULT_SEARCH_OPTIONS.maxRetries,
    );
    for (const field of ["populationSize", "sampleSize"] as const) {
      const value = config[field];
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`${field} must be a positive integer, got ${value}`);
      }
    }
    this.populationSize = config.populationSize;
    this.sampleSize = config.sampleSize;
  }

  /** The current population, oldest first (`index` = when it was told). */
  population(): readonly Told<T, number>[] {
    return this.members;
  }

  /** The best evaluation so far (lowest fitness; the earliest on ties). */
  best(): Told<T, number> | undefined {
    let best: Told<T, number> | undefined;
    for (const entry of this.history()) if (!best || entry.fitness < best.fitness) best = entry;
    return best;
  }

  protected propose(rng: Rng): T | undefined {
    if (this.askCalls <= this.populationSize || this.members.length === 0) {
      return this.firstUnseen(() => this.genome.sample(rng));
    }
    const parent = this.tournamentWinner(rng);
    return this.unseenChild(() => this.genome.mutate(parent.item, rng), rng);
  }

  /** The best of `sampleSize` members drawn uniformly with replacement (first drawn wins ties). */
  private tournamentWinner(rng: Rng): Told<T, number> {
    let winner: Told<T, number> | undefined;
    for (let draw = 0; draw < this.sampleSize; draw++) {
      const contender = this.members[rng.integerBelow(this.members.length)] as Told<T, number>;
      if (!winner || contender.fitness < winner.fitness) winner = contender;
    }
    return winner as Told<T, number>;
  }

  protected afterTell(entry: Told<T, number>): void {
    this.members.push(entry);
    if (this.members.length > this.populationSize) this.members.shift();
  }

  toJSON(): AgingEvolutionState {
    return {
      format: AGING_EVOLUTION_FORMAT,
      populationSize: this.populationSize,
      sampleSize: this.sampleSize,
      ...this.commonState(),
    } as AgingEvolutionState;
  }

  static fromJSON<T>(genome: Genome<T>, data: unknown): AgingEvolution<T> {
    const state = readCommonState(data, AGING_EVOLUTION_FORMAT) as AgingEvolutionState;
    const search = new AgingEvolution(genome, state);
    search.restoreCommon(state);
    search.members.push(...search.history().slice(-search.populationSize));
    return search;
  }
}
