/**
 * What a search searches over, as the driver sees it. Two kinds of candidate:
 *  - activations (core units, trees, graphs): expressions of the language, screened by the
 *    rejection stages, ordered by zero-cost proxies, trained on the MLP template or the conv net;
 *  - KAN basis sets (the kan_basis space): which activation spaces a selectable KAN layer may
 *    choose among, trained as networks of `kan_selectable` layers. The rejection stages and the
 *    proxies are defined on a pointwise activation, so a basis set goes straight to training.
 * Either way a candidate is a text (an expression, or spaces joined by "+"), a hash for
 * de-duplication and a model the bench protocol trains.
 */
import type { Activation } from "../expr/ast.js";
import { parseActivation } from "../expr/parse.js";
import { resolveActivation } from "../zoo/index.js";
import type { SearchConfig } from "./config.js";
import { kanBasisOptions } from "./config.js";
import type { SearchModel } from "./fitness.js";
import { activationModel } from "./fitness.js";
import { featureSpectrum, gradientSignalToNoise, kernelProxies } from "./proxies.js";
import type { Genome } from "./search-state.js";
import { candidateGenome, makeCandidate } from "./search-state.js";
import type { KanBasisCandidate } from "./spaces/kan-basis.js";
import { KanBasisSpace, kanBasisKey, kanBasisLayer } from "./spaces/kan-basis.js";
import { CoreUnitSpace } from "./spaces/core-units.js";
import { GraphSpace } from "./spaces/graphs.js";
import { TreeSpace } from "./spaces/trees.js";
import type { Candidate, SearchSpace } from "./types.js";

export type CandidateKind = "activation" | "kan_basis";

export interface Subject {
  /** An expression's canonical text, or a basis set's spaces joined by "+". */
  text: string;
  hash: string;
  origin: string;
}

/** How the driver handles one kind of candidate. */
export interface SubjectKind<T extends Subject> {
  kind: CandidateKind;
  genome: Genome<T>;
  /** The activation to screen and to compute proxies on; none for a basis set. */
  activation(subject: T): Activation | undefined;
  /** NSGA-II's second objective: expression nodes, or spaces in the set. */
  complexity(subject: T): number;
}

/** The model a candidate of this kind and text is trained as. */
export function candidateModel(
  config: SearchConfig,
  kind: CandidateKind,
  text: string,
): SearchModel {
  if (kind === "activation") return activationModel(text);
  return { kind: "layer", layer: kanBasisLayer(kanBasisOf(text), kanBasisOptions(config).layer) };
}

/** A basis set from its text ("bspline+fourier"). */
export const kanBasisOf = (text: string): KanBasisCandidate => ({
  spaces: text.split("+").map((name) => name.trim()),
});

/** Displayed name of a basis set. */
export const kanBasisTitle = (text: string): string =>
  `KAN over {${kanBasisOf(text).spaces.join(", ")}}`;

export function makeSpace(name: SearchConfig["space"]): SearchSpace {
  if (name === "trees") return new TreeSpace();
  if (name === "graphs") return new GraphSpace();
  return new CoreUnitSpace();
}

const nodeCount = (activation: Activation): number => {
  let count = 0;
  const visit = (node: Activation["expr"]): void => {
    count++;
    if (node.kind === "call") node.args.forEach(visit);
    if (node.kind === "pow") visit(node.base);
    if (node.kind === "stat") visit(node.arg);
  };
  visit(activation.expr);
  return count;
};

/** A proxy's value for ordering samples (higher is better); failures order last. */
function guideValue(guide: SearchConfig["proxy_guide"], candidate: Candidate): number {
  if (guide === "none") return 0;
  try {
    const value = zeroCostProxyValue(guide, candidate.activation);
    return Number.isFinite(value) ? value : -Infinity;
  } catch {
    return -Infinity;
  }
}

function zeroCostProxyValue(
  guide: Exclude<SearchConfig["proxy_guide"], "none">,
  activation: Activation,
): number {
  if (guide === "featureRank") return featureSpectrum(activation).effectiveRank;
  if (guide === "gradientSnr") return gradientSignalToNoise(activation);
  return kernelProxies(activation).chiAtUnitFixedPoint;
}

/**
 * Activation candidates: the user's start_from activations are asked first (the neuro-symbolic
 * route); every other random sample is the best of `proxy_pool` draws by the guiding proxy — how
 * the zero-cost proxies order candidates before any training.
 */
export function activationSubjects(config: SearchConfig): SubjectKind<Candidate> {
  const base = candidateGenome(makeSpace(config.space));
  const queue = config.start_from.map((text) =>
    makeCandidate(resolveActivation(text).activation, `start_from: ${text}`),
  );
  const pool = config.proxy_guide === "none" ? 1 : config.proxy_pool;
  const sample = (rng: Parameters<Genome<Candidate>["sample"]>[0]): Candidate => {
    const draws = Array.from({ length: pool }, () => base.sample(rng));
    if (draws.length === 1) return draws[0]!;
    const scored = draws.map((c) => ({ c, v: guideValue(config.proxy_guide, c) }));
    const best = scored.reduce((b, s) => (s.v > b.v ? s : b));
    return { ...best.c, origin: `${best.c.origin} (best of ${pool} by ${config.proxy_guide})` };
  };
  return {
    kind: "activation",
    genome: { ...base, sample: (rng) => queue.shift() ?? sample(rng) },
    activation: (candidate) => candidate.activation,
    complexity: (candidate) => nodeCount(parseActivation(candidate.text)),
  };
}

export interface KanBasisSubject extends Subject, KanBasisCandidate {}

/** KAN basis sets: start_from sets first, then random subsets, mutations and crossovers. */
export function kanBasisSubjects(config: SearchConfig): SubjectKind<KanBasisSubject> {
  const options = kanBasisOptions(config);
  const space = new KanBasisSpace({ universe: options.universe, maxSpaces: options.maxSpaces });
  const subject = (candidate: KanBasisCandidate, origin: string): KanBasisSubject => {
    const key = kanBasisKey(candidate);
    return { spaces: candidate.spaces, text: key, hash: key, origin };
  };
  // a start set is put in the universe's order, so equal sets share a key
  const queue = config.start_from.map((text) => {
    const names = new Set(kanBasisOf(text).spaces);
    return subject(
      { spaces: options.universe.filter((name) => names.has(name)) },
      `start_from: ${text}`,
    );
  });
  return {
    kind: "kan_basis",
    genome: {
      sample: (rng) => queue.shift() ?? subject(space.sample(rng), `${space.name}: sample`),
      mutate: (parent, rng) =>
        subject(space.mutate(parent, rng), `${space.name}: mutation of ${parent.hash}`),
      crossover: (a, b, rng) =>
        subject(space.crossover(a, b, rng), `${space.name}: crossover of ${a.hash} and ${b.hash}`),
      hash: (item) => item.hash,
    },
    activation: () => undefined,
    complexity: (item) => item.spaces.length,
  };
}
