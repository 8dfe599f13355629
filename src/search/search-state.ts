/**
 * What every search algorithm here shares: a genome (how to sample, vary and hash a member of the
 * space) and an ask/tell optimiser whose whole state is JSON (driver.ts runs one).
 *
 * Randomness is counter-based: the n-th call of `ask()` draws from `new Rng(seed, n)` (stream n of
 * the seed). The generator's state therefore never needs exporting — (seed, number of asks) is
 * the whole random state — and a search restored from JSON draws exactly what the original would
 * have drawn. (The Rng class keeps its words private, and src/data/rng.ts is not ours to change.)
 */
import { InputError } from "../base/errors.js";
import { Rng } from "../data/rng.js";
import { makeCandidate } from "./candidate.js";
import type { Candidate, Objectives, SearchSpace } from "./types.js";

export { makeCandidate };

/** How an algorithm sees the members of a search space, whatever they are. */
export interface Genome<T> {
  sample(rng: Rng): T;
  /** A small random change of `parent`. */
  mutate(parent: T, rng: Rng): T;
  /** A child mixing two parents (optional). */
  crossover?(a: T, b: T, rng: Rng): T;
  /** Equal for members that must not be evaluated twice. */
  hash(item: T): string;
  /** To JSON-safe data and back; identity when absent (then T must survive JSON as it is). */
  encode?(item: T): unknown;
  decode?(data: unknown): T;
}

/**
 * The production genome: the members are Candidates of a SearchSpace. `activation` is kept as the
 * space produced it (so the space can read its own structure when mutating); `text` and `hash` are
 * of the canonical form, so two spellings of one function are evaluated once.
 */
export function candidateGenome(space: SearchSpace): Genome<Candidate> {
  const genome: Genome<Candidate> = {
    sample: (rng) => makeCandidate(space.sample(rng), `${space.name}: sample`),
    mutate: (parent, rng) =>
      makeCandidate(
        space.mutate(parent.activation, rng),
        `${space.name}: mutation of ${parent.hash}`,
      ),
    hash: (candidate) => candidate.hash,
  };
  const crossover = space.crossover?.bind(space);
  if (crossover) {
    genome.crossover = (a, b, rng) =>
      makeCandidate(
        crossover(a.activation, b.activation, rng),
        `${space.name}: crossover of ${a.hash} and ${b.hash}`,
      );
  }
  return genome;
}

/** A state that cannot be restored (wrong format, a field missing or of the wrong type). */
export class SearchStateError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = "SearchStateError";
  }
}

/** The generator of the n-th ask of a search with this seed. */
export function askRng(seed: number, askIndex: number): Rng {
  return new Rng(seed, askIndex);
}

/** A told evaluation; `index` is its place in tell order (its birth, for aging). */
export interface Told<T, F> {
  readonly item: T;
  readonly hash: string;
  readonly fitness: F;
  readonly index: number;
}

/** What a driver needs from an algorithm. `undefined` from ask() means "nothing to ask now". */
export interface AskTellOptimizer<T, F> {
  ask(): T | undefined;
  tell(item: T, fitness: F): void;
  /** Asked but not yet told, in ask order (after a restore: to evaluate again). */
  pending(): T[];
  /** Told plus pending: what counts against a budget. */
  readonly askedCount: number;
}

/** How an algorithm checks, stores and restores the values evaluations return. */
export interface FitnessCodec<F> {
  /** Checks a told value and puts it in its stored form (failures become +Infinity). */
  normalize(value: F): F;
  /** To JSON (which has no Infinity: a failed value is written as null) and back. */
  encode(value: F): unknown;
  decode(data: unknown, field: string): F;
}

/** Lower is better; NaN and +Infinity both mean "failed" and are stored as +Infinity. */
export function normalizeFitness(value: number, what = "fitness"): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `${what} must be a number, got ${typeof value} (objectives need objectivesFitness)`,
    );
  }
  if (Number.isNaN(value) || value === Infinity) return Infinity;
  if (value === -Infinity) throw new RangeError(`${what} must not be -Infinity`);
  return value;
}

function decodeNumber(data: unknown, field: string): number {
  if (data === null) return Infinity;
  if (typeof data !== "number") throw new SearchStateError(`${field} must be a number or null`);
  return data;
}

/** One number per evaluation, lower is better. */
export const scalarFitness: FitnessCodec<number> = {
  normalize: (value) => normalizeFitness(value),
  encode: (value) => (Number.isFinite(value) ? value : null),
  decode: decodeNumber,
};

/** The objectives in a fixed order; a missing or unknown name is an error. */
export function objectiveVector(objectives: Objectives, names: readonly string[]): number[] {
  for (const key of Object.keys(objectives)) {
    if (!names.includes(key)) {
      throw new RangeError(`unknown objective '${key}' (expected ${names.join(", ")})`);
    }
  }
  return names.map((name) => {
    const value = objectives[name];
    if (typeof value !== "number") throw new RangeError(`objective '${name}' is missing`);
    return value;
  });
}

/** Several named objectives per evaluation, all minimised. */
export interface ObjectivesCodec extends FitnessCodec<Objectives> {
  /** The objective names in order: as given, else the sorted names of the first told value. */
  names(): readonly string[] | undefined;
}

export function objectivesFitness(names?: readonly string[]): ObjectivesCodec {
  let fixed = names && [...names];
  return {
    names: () => fixed,
    normalize(value) {
      if (typeof value !== "object" || value === null) {
        throw new TypeError("objectives must be a record of numbers");
      }
      fixed ??= Object.keys(value).sort();
      if (fixed.length === 0) throw new RangeError("objectives must name at least one value");
      const vector = objectiveVector(value, fixed);
      const normalised: Objectives = {};
      fixed.forEach((name, m) => {
        normalised[name] = normalizeFitness(vector[m] as number, `objective '${name}'`);
      });
      return normalised;
    },
    encode(value) {
      const encoded: Record<string, number | null> = {};
      for (const [name, v] of Object.entries(value)) encoded[name] = Number.isFinite(v) ? v : null;
      return encoded;
    },
    decode(data, field) {
      if (typeof data !== "object" || data === null || Array.isArray(data)) {
        throw new SearchStateError(`${field} must be an object`);
      }
      const decoded: Objectives = {};
      for (const [name, v] of Object.entries(data))
        decoded[name] = decodeNumber(v, `${field}.${name}`);
      fixed ??= Object.keys(decoded).sort();
      return decoded;
    },
  };
}

/** The JSON common to every algorithm here. */
export interface CommonState {
  seed: number;
  maxRetries: number;
  /** How many times ask() has been called (each call owns one random stream). */
  asks: number;
  told: { item: unknown; fitness: unknown }[];
  pending: unknown[];
}

/**
 * Bookkeeping shared by the algorithms: the ask counter, the told history (the cache of
 * evaluations, by hash), the pending asks and de-duplication.
 */
export abstract class AskTellSearch<T, F> implements AskTellOptimizer<T, F> {
  protected asks = 0;
  private readonly toldList: Told<T, F>[] = [];
  private readonly toldByHash = new Map<string, Told<T, F>>();
  private readonly pendingByHash = new Map<string, T>();

  protected constructor(
    readonly genome: Genome<T>,
    readonly codec: FitnessCodec<F>,
    readonly seed: number,
    /** How many times a duplicate child is re-drawn before giving up on that route. */
    readonly maxRetries: number,
  ) {
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
      throw new RangeError(`maxRetries must be a non-negative integer, got ${maxRetries}`);
    }
  }

  get askedCount(): number {
    return this.toldList.length + this.pendingByHash.size;
  }

  get askCalls(): number {
    return this.asks;
  }

  pending(): T[] {
    return [...this.pendingByHash.values()];
  }

  /** Every evaluation told so far, in tell order. */
  history(): readonly Told<T, F>[] {
    return this.toldList;
  }

  /** The cached evaluation of a hash, if told. */
  evaluationOf(hash: string): Told<T, F> | undefined {
    return this.toldByHash.get(hash);
  }

  /** Evaluated or being evaluated. */
  isSeen(hash: string): boolean {
    return this.toldByHash.has(hash) || this.pendingByHash.has(hash);
  }

  ask(): T | undefined {
    if (!this.readyToPropose()) return undefined;
    const rng = askRng(this.seed, this.asks);
    this.asks++;
    const item = this.propose(rng);
    if (item !== undefined) this.pendingByHash.set(this.genome.hash(item), item);
    return item;
  }

  tell(item: T, fitness: F): void {
    const hash = this.genome.hash(item);
    if (!this.pendingByHash.has(hash)) {
      throw new Error(
        this.toldByHash.has(hash)
          ? `candidate ${hash} was already told`
          : `candidate ${hash} was never asked`,
      );
    }
    const entry: Told<T, F> = {
      item: this.pendingByHash.get(hash) as T,
      hash,
      fitness: this.codec.normalize(fitness),
      index: this.toldList.length,
    };
    this.pendingByHash.delete(hash);
    this.toldList.push(entry);
    this.toldByHash.set(hash, entry);
    this.afterTell(entry);
  }

  /**
   * False while the algorithm must wait for results (a generation barrier): ask() then returns
   * undefined without using up a random stream, so the timing of evaluations changes nothing.
   */
  protected readyToPropose(): boolean {
    return true;
  }

  /** The next member to evaluate, drawn from `rng` only; undefined if none can be found now. */
  protected abstract propose(rng: Rng): T | undefined;
  protected abstract afterTell(entry: Told<T, F>): void;

  /** The first of up to 1 + maxRetries draws whose hash was never seen. */
  protected firstUnseen(draw: () => T): T | undefined {
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      const item = draw();
      if (!this.isSeen(this.genome.hash(item))) return item;
    }
    return undefined;
  }

  /** A child of `parent` never seen before: re-mutated, then (as a last resort) sampled afresh. */
  protected unseenChild(make: () => T, rng: Rng): T | undefined {
    return this.firstUnseen(make) ?? this.firstUnseen(() => this.genome.sample(rng));
  }

  protected encodeItem(item: T): unknown {
    return this.genome.encode ? this.genome.encode(item) : item;
  }

  protected decodeItem(data: unknown): T {
    return this.genome.decode ? this.genome.decode(data) : (data as T);
  }

  protected commonState(): CommonState {
    return {
      seed: this.seed,
      maxRetries: this.maxRetries,
      asks: this.asks,
      told: this.toldList.map((entry) => ({
        item: this.encodeItem(entry.item),
        fitness: this.codec.encode(entry.fitness),
      })),
      pending: this.pending().map((item) => this.encodeItem(item)),
    };
  }

  /** Loads the common part; afterTell is NOT replayed (each algorithm restores its own state). */
  protected restoreCommon(state: CommonState): void {
    if (!Number.isInteger(state.asks) || state.asks < 0) {
      throw new SearchStateError("asks must be a non-negative integer");
    }
    if (!Array.isArray(state.told)) throw new SearchStateError("told must be an array");
    if (!Array.isArray(state.pending)) throw new SearchStateError("pending must be an array");
    this.asks = state.asks;
    state.told.forEach((entry, index) => {
      const item = this.decodeItem(entry.item);
      const told: Told<T, F> = {
        item,
        hash: this.genome.hash(item),
        fitness: this.codec.decode(entry.fitness, `told[${index}].fitness`),
        index,
      };
      this.toldList.push(told);
      this.toldByHash.set(told.hash, told);
    });
    for (const data of state.pending) {
      const item = this.decodeItem(data);
      this.pendingByHash.set(this.genome.hash(item), item);
    }
  }
}

/** Reads the common fields of a state object, naming the first one that is wrong. */
export function readCommonState(data: unknown, format: string): CommonState & { format: string } {
  if (typeof data !== "object" || data === null)
    throw new SearchStateError("state must be an object");
  const record = data as Record<string, unknown>;
  if (record.format !== format) {
    throw new SearchStateError(`format must be "${format}", got ${JSON.stringify(record.format)}`);
  }
  for (const field of ["seed", "maxRetries", "asks"] as const) {
    if (typeof record[field] !== "number") throw new SearchStateError(`${field} must be a number`);
  }
  for (const field of ["told", "pending"] as const) {
    if (!Array.isArray(record[field])) throw new SearchStateError(`${field} must be an array`);
  }
  return record as unknown as CommonState & { format: string };
}
