/**
 * Candidates and their de-duplication: every activation a space proposes is canonicalised,
 * printed and hashed once; a pool keeps one candidate per hash and caches what was computed for
 * it (rejection records, proxies, trial results), so a function reached twice — `x*sigmoid(x)`
 * and `sigmoid(x)*x` — is judged once.
 */
import type { Rng } from "../data/rng.js";
import type { Activation } from "../expr/ast.js";
import { fnv1a64 } from "../expr/hash.js";
import { printActivation } from "../expr/print.js";
import { canonicalActivation } from "../expr/simplify.js";
import type { Candidate, SearchSpace } from "./types.js";

/**
 * A candidate of an activation. `text` and `hash` are those of the canonical form (as
 * structuralHash computes them); `activation` is the object given, not its canonical copy, so a
 * space that remembers its own activations (the core-unit space) can still vary it.
 */
export function makeCandidate(activation: Activation, origin: string): Candidate {
  const text = printActivation(canonicalActivation(activation));
  return { activation, text, hash: fnv1a64(text), origin };
}

/** One candidate per hash, and a cache of one result per hash. */
export class CandidatePool<Result = unknown> {
  private readonly byHash = new Map<string, Candidate>();
  private readonly results = new Map<string, Result>();
  /** Offers of a hash already in the pool. */
  duplicates = 0;

  get size(): number {
    return this.byHash.size;
  }

  has(hash: string): boolean {
    return this.byHash.has(hash);
  }

  get(hash: string): Candidate | undefined {
    return this.byHash.get(hash);
  }

  /** Adds the candidate unless its hash is known; true when it was new. */
  offer(candidate: Candidate): boolean {
    if (this.byHash.has(candidate.hash)) {
      this.duplicates++;
      return false;
    }
    this.byHash.set(candidate.hash, candidate);
    return true;
  }

  /** Every candidate, in the order first offered. */
  candidates(): Candidate[] {
    return [...this.byHash.values()];
  }

  resultOf(hash: string): Result | undefined {
    return this.results.get(hash);
  }

  setResult(hash: string, result: Result): void {
    this.results.set(hash, result);
  }

  /** The cached result of the candidate's hash, computed (and the candidate offered) on first use. */
  evaluate(candidate: Candidate, compute: (candidate: Candidate) => Result): Result {
    this.offer(candidate);
    if (this.results.has(candidate.hash)) return this.results.get(candidate.hash) as Result;
    const result = compute(this.byHash.get(candidate.hash) as Candidate);
    this.results.set(candidate.hash, result);
    return result;
  }
}

/**
 * Draws samples from a space until `count` new candidates entered the pool or `maxDraws` samples
 * were drawn; returns the new candidates (origin: the space's name).
 */
export function sampleDistinct(
  space: SearchSpace,
  rng: Rng,
  pool: CandidatePool<unknown>,
  count: number,
  maxDraws = 20 * count,
): Candidate[] {
  const fresh: Candidate[] = [];
  for (let draw = 0; draw < maxDraws && fresh.length < count; draw++) {
    const candidate = makeCandidate(space.sample(rng), `${space.name} sample`);
    if (pool.offer(candidate)) fresh.push(candidate);
  }
  return fresh;
}

/** A mutant of a candidate, with its origin recorded. */
export function mutateCandidate(space: SearchSpace, parent: Candidate, rng: Rng): Candidate {
  return makeCandidate(space.mutate(parent.activation, rng), `mutation of ${parent.hash}`);
}

/** A crossover child of two candidates (a mutant of `a` when the space has no crossover). */
export function crossCandidates(
  space: SearchSpace,
  a: Candidate,
  b: Candidate,
  rng: Rng,
): Candidate {
  if (!space.crossover) return mutateCandidate(space, a, rng);
  return makeCandidate(
    space.crossover(a.activation, b.activation, rng),
    `crossover of ${a.hash} × ${b.hash}`,
  );
}
