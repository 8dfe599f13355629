/**
 * NSGA-II — Deb, Pratap, Agarwal & Meyarivan 2002, "A Fast and Elitist Multiobjective Genetic
 * Algorithm: NSGA-II": fast non-dominated sorting into fronts, crowding distance within a front,
 * binary tournaments on (rank, then crowding), and elitist (μ+λ) replacement: parents and
 * offspring compete and the best N by (front, crowding) survive. Every objective is MINIMISED.
 *
 * Ask/tell form, one generation at a time: ask() hands out the N children of the current
 * generation (the first generation: N random members) and returns undefined once all are asked;
 * when the last one is told, the generation closes. Children are bred from the parents fixed for
 * the generation, from the ask's own random stream, and are merged in ASK order, so the search is
 * the same whatever the number of evaluations in flight and whatever order they finish in.
 *
 * Choices the paper leaves open: one child per pair of tournament winners (crossover with
 * probability `crossoverProbability` when the genome has one, then always a mutation); ranks and
 * crowding distances are recomputed on the surviving population (the paper reuses those of the
 * merged population; the survivors' fronts are the same, the cut front's distances differ
 * slightly). A failed objective (NaN) counts as +Infinity.
 */
import type { Rng } from "../data/rng.js";
import { DEFAULT_SEARCH_OPTIONS } from "./options.js";
import type { Genome, ObjectivesCodec, Told } from "./search-state.js";
import {
  AskTellSearch,
  SearchStateError,
  objectiveVector,
  objectivesFitness,
  readCommonState,
} from "./search-state.js";
import type { Objectives } from "./types.js";

/** a dominates b: no worse in every objective and better in one (all minimised). */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let m = 0; m < a.length; m++) {
    const [x, y] = [a[m] as number, b[m] as number];
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

/** Deb et al.'s fast non-dominated sort: the fronts as lists of indices, first front first. */
export function fastNonDominatedSort(points: readonly (readonly number[])[]): number[][] {
  const dominated: number[][] = points.map(() => []);
  const dominationCount = points.map(() => 0);
  const fronts: number[][] = [[]];
  for (let p = 0; p < points.length; p++) {
    for (let q = 0; q < points.length; q++) {
      if (p === q) continue;
      if (dominates(points[p] as number[], points[q] as number[]))
        (dominated[p] as number[]).push(q);
      else if (dominates(points[q] as number[], points[p] as number[])) dominationCount[p]!++;
    }
    if (dominationCount[p] === 0) (fronts[0] as number[]).push(p);
  }
  for (let i = 0; (fronts[i] as number[]).length > 0; i++) {
    const next: number[] = [];
    for (const p of fronts[i] as number[]) {
      for (const q of dominated[p] as number[]) {
        dominationCount[q]!--;
        if (dominationCount[q] === 0) next.push(q);
      }
    }
    next.sort((a, b) => a - b);
    fronts.push(next);
  }
  fronts.pop();
  return fronts;
}

/**
 * Crowding distance of each member of `front` (indices into `points`), in the order of `front`:
 * per objective, the boundary members get +Infinity and the others the normalised gap between
 * their two neighbours. An objective with no finite spread adds nothing.
 */
export function crowdingDistances(
  points: readonly (readonly number[])[],
  front: readonly number[],
): number[] {
  const distance = front.map(() => 0);
  if (front.length === 0) return distance;
  const objectives = (points[front[0] as number] as number[]).length;
  for (let m = 0; m < objectives; m++) {
    const value = (position: number): number =>
      (points[front[position] as number] as number[])[m] as number;
    const order = front.map((_, position) => position).sort((a, b) => value(a) - value(b) || a - b);
    const first = order[0] as number;
    const last = order[order.length - 1] as number;
    distance[first] = Infinity;
    distance[last] = Infinity;
    const range = value(last) - value(first);
    if (!(range > 0) || !Number.isFinite(range)) continue;
    for (let k = 1; k < order.length - 1; k++) {
      const gap = (value(order[k + 1] as number) - value(order[k - 1] as number)) / range;
      distance[order[k] as number]! += gap;
    }
  }
  return distance;
}

export interface RankedMember<T> extends Told<T, Objectives> {
  /** 0 for the first (non-dominated) front. */
  readonly rank: number;
  readonly crowding: number;
}

/** Ranks and crowding distances of a whole population. */
function rankAll<T>(
  members: readonly Told<T, Objectives>[],
  names: readonly string[],
): RankedMember<T>[] {
  const points = members.map((member) => objectiveVector(member.fitness, names));
  const ranked: RankedMember<T>[] = new Array(members.length);
  fastNonDominatedSort(points).forEach((front, rank) => {
    const crowding = crowdingDistances(points, front);
    front.forEach((index, position) => {
      ranked[index] = {
        ...(members[index] as Told<T, Objectives>),
        rank,
        crowding: crowding[position] as number,
      };
    });
  });
  return ranked;
}

/** Elitist replacement: whole fronts while they fit, then the least crowded of the cut front. */
export function selectSurvivors<T>(
  members: readonly Told<T, Objectives>[],
  names: readonly string[],
  size: number,
): RankedMember<T>[] {
  const points = members.map((member) => objectiveVector(member.fitness, names));
  const survivors: Told<T, Objectives>[] = [];
  for (const front of fastNonDominatedSort(points)) {
    if (survivors.length + front.length <= size) {
      survivors.push(...front.map((index) => members[index] as Told<T, Objectives>));
      continue;
    }
    const crowding = crowdingDistances(points, front);
    const byCrowding = front
      .map((index, position) => ({ index, distance: crowding[position] as number }))
      .sort((a, b) => b.distance - a.distance || a.index - b.index);
    for (const { index } of byCrowding.slice(0, size - survivors.length)) {
      survivors.push(members[index] as Told<T, Objectives>);
    }
    break;
  }
  return rankAll(survivors, names);
}

export interface Nsga2Config {
  populationSize: number;
  seed: number;
  /** Probability of crossover before mutation, when the genome has a crossover (default: SearchOptions'). */
  crossoverProbability?: number;
  maxRetries?: number;
  /** The objectives, in order; default: the sorted names of the first told objectives. */
  objectiveNames?: string[];
}

export const NSGA2_FORMAT = "nonlin.search.nsga2/1";

export interface Nsga2State {
  format: typeof NSGA2_FORMAT;
  populationSize: number;
  crossoverProbability: number;
  objectiveNames: string[] | null;
  seed: number;
  maxRetries: number;
  asks: number;
  generation: number;
  /** Hashes of the parents of the current generation (their evaluations are in `told`). */
  parents: string[];
  /** Hashes of this generation's children in ask order (told, or still pending). */
  children: string[];
  /** How many children this generation will have (below N only if the space ran dry). */
  childTarget: number;
  told: { item: unknown; fitness: unknown }[];
  pending: unknown[];
}

export class Nsga2<T> extends AskTellSearch<T, Objectives> {
  readonly populationSize: number;
  readonly crossoverProbability: number;
  private readonly objectives: ObjectivesCodec;
  private generationIndex = 0;
  private parents: RankedMember<T>[] = [];
  private childHashes: string[] = [];
  private childTarget: number;

  constructor(genome: Genome<T>, config: Nsga2Config) {
    const objectives = objectivesFitness(config.objectiveNames);
    super(genome, objectives, config.seed, config.maxRetries ?? DEFAULT_SEARCH_OPTIONS.maxRetries);
    this.objectives = objectives;
    if (!Number.isInteger(config.populationSize) || config.populationSize < 2) {
      throw new RangeError(`populationSize must be an integer ≥ 2, got ${config.populationSize}`);
    }
    const crossoverProbability =
      config.crossoverProbability ?? DEFAULT_SEARCH_OPTIONS.crossoverProbability;
    if (!(crossoverProbability >= 0 && crossoverProbability <= 1)) {
      throw new RangeError(`crossoverProbability must lie in [0, 1], got ${crossoverProbability}`);
    }
    this.populationSize = config.populationSize;
    this.crossoverProbability = crossoverProbability;
    this.childTarget = config.populationSize;
  }

  /** Generations closed so far (0 while the random first population is evaluated). */
  get generation(): number {
    return this.generationIndex;
  }

  get objectiveNames(): readonly string[] | undefined {
    return this.objectives.names();
  }

  /** The parents of the current generation, ranked. */
  parentPopulation(): readonly RankedMember<T>[] {
    return this.parents;
  }

  /**
   * The population as it stands: survivors of the parents and the children told so far (so a
   * budget that ends inside a generation still uses every evaluation), and its first front.
   */
  result(): { population: RankedMember<T>[]; front: RankedMember<T>[] } {
    const told = this.toldChildren();
    const names = this.objectives.names();
    const population =
      told.length === 0 || !names
        ? [...this.parents]
        : selectSurvivors([...this.parents, ...told], names, this.populationSize);
    return { population, front: population.filter((member) => member.rank === 0) };
  }

  private toldChildren(): Told<T, Objectives>[] {
    return this.childHashes
      .map((hash) => this.evaluationOf(hash))
      .filter((entry): entry is Told<T, Objectives> => entry !== undefined);
  }

  protected override readyToPropose(): boolean {
    return this.childHashes.length < this.childTarget;
  }

  protected propose(rng: Rng): T | undefined {
    const child =
      this.parents.length === 0
        ? this.firstUnseen(() => this.genome.sample(rng))
        : this.unseenChild(() => this.breed(rng), rng);
    if (child === undefined) {
      // The space ran dry for now: this generation ends with the children it has.
      this.childTarget = this.childHashes.length;
      if (this.toldChildren().length === this.childTarget) this.closeGeneration();
      return undefined;
    }
    this.childHashes.push(this.genome.hash(child));
    return child;
  }

  private breed(rng: Rng): T {
    const mother = this.tournamentWinner(rng);
    const father = this.tournamentWinner(rng);
    const crossover = this.genome.crossover;
    const mixed =
      crossover && rng.uniform() < this.crossoverProbability
        ? crossover.call(this.genome, mother.item, father.item, rng)
        : mother.item;
    return this.genome.mutate(mixed, rng);
  }

  /** Binary tournament on the crowded comparison: lower rank, then larger crowding distance. */
  private tournamentWinner(rng: Rng): RankedMember<T> {
    const a = this.parents[rng.integerBelow(this.parents.length)] as RankedMember<T>;
    const b = this.parents[rng.integerBelow(this.parents.length)] as RankedMember<T>;
    if (a.rank !== b.rank) return a.rank < b.rank ? a : b;
    return b.crowding > a.crowding ? b : a;
  }

  protected afterTell(): void {
    if (
      this.childHashes.length === this.childTarget &&
      this.toldChildren().length === this.childTarget
    ) {
      this.closeGeneration();
    }
  }

  private closeGeneration(): void {
    const names = this.objectives.names();
    if (names) {
      this.parents = selectSurvivors(
        [...this.parents, ...this.toldChildren()],
        names,
        this.populationSize,
      );
    }
    this.generationIndex++;
    this.childHashes = [];
    this.childTarget = this.populationSize;
  }

  toJSON(): Nsga2State {
    return {
      format: NSGA2_FORMAT,
      populationSize: this.populationSize,
      crossoverProbability: this.crossoverProbability,
      objectiveNames: this.objectiveNames ? [...this.objectiveNames] : null,
      generation: this.generationIndex,
      parents: this.parents.map((member) => member.hash),
      children: [...this.childHashes],
      childTarget: this.childTarget,
      ...this.commonState(),
    };
  }

  static fromJSON<T>(genome: Genome<T>, data: unknown): Nsga2<T> {
    const state = readCommonState(data, NSGA2_FORMAT) as Nsga2State;
    for (const field of ["parents", "children"] as const) {
      if (!Array.isArray(state[field])) throw new SearchStateError(`${field} must be an array`);
    }
    for (const field of [
      "generation",
      "childTarget",
      "populationSize",
      "crossoverProbability",
    ] as const) {
      if (typeof state[field] !== "number") throw new SearchStateError(`${field} must be a number`);
    }
    const search = new Nsga2(genome, {
      populationSize: state.populationSize,
      seed: state.seed,
      crossoverProbability: state.crossoverProbability,
      maxRetries: state.maxRetries,
      objectiveNames: state.objectiveNames ?? undefined,
    });
    search.restoreCommon(state);
    const parents = state.parents.map((hash, i) => {
      const entry = search.evaluationOf(hash);
      if (!entry)
        throw new SearchStateError(`parents[${i}] (${hash}) is not among the told evaluations`);
      return entry;
    });
    const pendingHashes = new Set(search.pending().map((item) => genome.hash(item)));
    state.children.forEach((hash, i) => {
      if (!search.evaluationOf(hash) && !pendingHashes.has(hash)) {
        throw new SearchStateError(`children[${i}] (${hash}) is neither told nor pending`);
      }
    });
    const names = search.objectives.names();
    search.parents = names ? rankAll(parents, names) : [];
    search.generationIndex = state.generation;
    search.childHashes = [...state.children];
    search.childTarget = state.childTarget;
    return search;
  }
}
