/**
 * Basis choice for S-KAN nodes (Yang et al. 2024, "Activation Space Selectable Kolmogorov-Arnold
 * Networks"): a candidate is a set of activation spaces a `kan_selectable` layer chooses among
 * (see src/nn/kan/selectable.ts) — B-splines, Gaussian RBFs, Fourier terms, polynomials, or any
 * pointwise zoo activation.
 *
 * A candidate is not an activation of the expression language, so this space has its own small
 * type instead of implementing SearchSpace. Use: draw `KanBasisCandidate`s, turn each into a
 * bench layer candidate with `kanBasisLayer(candidate)` — `{type: "kan_selectable", spaces}` —
 * and de-duplicate by `kanBasisKey`. Spaces are kept in the order of the universe, so equal sets
 * are equal lists.
 */
import type { Rng } from "../../data/rng.js";
import { isPointwise } from "../../expr/ast.js";
import { BASIS_SPACES } from "../../nn/kan/selectable.js";
import { activationOf, findZooEntry } from "../../zoo/index.js";
import { pick } from "./tree-ops.js";

export interface KanBasisCandidate {
  /** Names of activation spaces, a subset of the universe in its order. */
  readonly spaces: readonly string[];
}

/** The spaces drawn from by default: every built-in basis and five common zoo activations. */
export const DEFAULT_KAN_UNIVERSE: readonly string[] = [
  ...BASIS_SPACES,
  "silu",
  "tanh",
  "relu",
  "gelu",
  "gaussian",
];

export interface KanBasisSpaceOptions {
  universe?: readonly string[];
  /** Most spaces in one candidate (default 3). */
  maxSpaces?: number;
}

/** A stable key of a candidate (equal sets, equal keys). */
export function kanBasisKey(candidate: KanBasisCandidate): string {
  return candidate.spaces.join("+");
}

/** The bench layer candidate: a `kan_selectable` layer choosing among the candidate's spaces. */
export function kanBasisLayer(
  candidate: KanBasisCandidate,
  extra: Record<string, unknown> = {},
): { type: "kan_selectable"; spaces: string[] } & Record<string, unknown> {
  return { ...extra, type: "kan_selectable", spaces: [...candidate.spaces] };
}

export class KanBasisSpace {
  readonly name = "kan-basis";
  readonly universe: readonly string[];
  readonly maxSpaces: number;

  constructor(options: KanBasisSpaceOptions = {}) {
    this.universe = options.universe ?? DEFAULT_KAN_UNIVERSE;
    this.maxSpaces = Math.min(options.maxSpaces ?? 3, this.universe.length);
    if (this.universe.length < 2)
      throw new RangeError("kan-basis: the universe needs at least two spaces");
    if (new Set(this.universe).size !== this.universe.length)
      throw new RangeError("kan-basis: the universe lists a space twice");
    for (const name of this.universe) {
      if ((BASIS_SPACES as readonly string[]).includes(name)) continue;
      const entry = findZooEntry(name);
      if (!entry)
        throw new RangeError(
          `kan-basis: unknown space '${name}': use ${BASIS_SPACES.join(", ")} or a zoo name`,
        );
      if (!isPointwise(activationOf(entry).expr))
        throw new RangeError(
          `kan-basis: '${name}' depends on other units; a space must be pointwise`,
        );
    }
    if (!Number.isInteger(this.maxSpaces) || this.maxSpaces < 1)
      throw new RangeError("kan-basis: maxSpaces must be a positive integer");
  }

  private ordered(names: Iterable<string>): KanBasisCandidate {
    const chosen = new Set(names);
    return { spaces: this.universe.filter((name) => chosen.has(name)) };
  }

  /** A random non-empty subset of 1..maxSpaces spaces. */
  sample(rng: Rng): KanBasisCandidate {
    const count = 1 + rng.integerBelow(this.maxSpaces);
    const pool = [...this.universe];
    const chosen: string[] = [];
    for (let i = 0; i < count; i++) chosen.push(...pool.splice(rng.integerBelow(pool.length), 1));
    return this.ordered(chosen);
  }

  /** Adds, removes or swaps one space (always a different set). */
  mutate(parent: KanBasisCandidate, rng: Rng): KanBasisCandidate {
    const inside = this.universe.filter((name) => parent.spaces.includes(name));
    const outside = this.universe.filter((name) => !parent.spaces.includes(name));
    const moves: ("add" | "remove" | "swap")[] = [];
    if (outside.length > 0 && inside.length < this.maxSpaces) moves.push("add");
    if (inside.length > 1) moves.push("remove");
    if (outside.length > 0 && inside.length > 0) moves.push("swap");
    const kept = [...inside];
    switch (pick(rng, moves)) {
      case "add":
        return this.ordered([...kept, pick(rng, outside)]);
      case "remove":
        kept.splice(rng.integerBelow(kept.length), 1);
        return this.ordered(kept);
      case "swap":
        kept.splice(rng.integerBelow(kept.length), 1, pick(rng, outside));
        return this.ordered(kept);
    }
  }

  /** Each space of either parent is kept with probability 1/2 (at least one, at most maxSpaces). */
  crossover(a: KanBasisCandidate, b: KanBasisCandidate, rng: Rng): KanBasisCandidate {
    const union = this.universe.filter(
      (name) => a.spaces.includes(name) || b.spaces.includes(name),
    );
    let chosen = union.filter(() => rng.uniform() < 0.5);
    if (chosen.length === 0) chosen = [pick(rng, union)];
    while (chosen.length > this.maxSpaces) chosen.splice(rng.integerBelow(chosen.length), 1);
    return this.ordered(chosen);
  }
}
