/**
 * Shared types of the search: a candidate is an activation of the expression language (printable,
 * canonical, hashed for de-duplication); a search space samples and varies them with a seeded
 * generator. src/search stays free of Node built-ins (a browser build can run a search).
 */
import type { Rng } from "../data/rng.js";
import type { Activation } from "../expr/ast.js";

export interface Candidate {
  activation: Activation;
  /** Canonical text (printActivation of the canonical form): what reports and exports show. */
  text: string;
  /** Structural hash of the canonical form: equal functions written alike share it. */
  hash: string;
  /** Where it came from: the space's name and, for offspring, "mutation of <hash>" etc. */
  origin: string;
}

export interface SearchSpace {
  readonly name: string;
  /** A random member of the space. */
  sample(rng: Rng): Activation;
  /** A small random change (one node, one primitive, one constant). */
  mutate(parent: Activation, rng: Rng): Activation;
  /** A child mixing two parents (optional: not every space has a meaningful crossover). */
  crossover?(a: Activation, b: Activation, rng: Rng): Activation;
}

/** One objective value per name; every objective is minimised (negate what should be maximised). */
export type Objectives = Record<string, number>;
