/**
 * The held-out evaluation — the report's headline, not the search fitness: the final top-k are
 * trained again, with more seeds, on tasks the search never used, beside ReLU, GELU and SiLU (and
 * EAFO-corrected variants of chosen activations), under the bench protocol and statistics. A
 * discovered activation "beats ReLU" when a paired Wilcoxon test over every (task, seed) pair of
 * held-out TEST scores relative to ReLU gives a Holm-adjusted p < 0.05 in its favour.
 */
import type { BenchConfig, BenchConfigInput } from "../bench/config.js";
import { parseBenchConfig } from "../bench/config.js";
import type { BenchResults, TrialResult } from "../bench/results.js";
import { holm, holmFloor, pairsForHolm, wilcoxonSignedRank } from "../bench/stats.js";
import { structuralHash } from "../expr/hash.js";
import { canonicalActivation } from "../expr/simplify.js";
import { printActivation } from "../expr/print.js";
import { resolveActivation, ZOO } from "../zoo/index.js";
import { activationOf } from "../zoo/entry.js";
import type { SearchConfig } from "./config.js";
import { eafoVariants } from "./eafo.js";
import { kanBasisOptions } from "./config.js";
import { activationModel, architectureConfig, benchCandidate } from "./fitness.js";
import type { CandidateKind } from "./subjects.js";
import { candidateModel, kanBasisTitle } from "./subjects.js";
import { kanBasisKey } from "./spaces/kan-basis.js";
import type { EvaluatedCandidate } from "./run-search.js";

export const FOUND_PREFIX = "found-";

/** The zoo entry an activation is (same canonical hash), if any. */
export function zooNameOf(text: string): string | undefined {
  const hash = structuralHash(canonicalActivation(resolveActivation(text).activation));
  return ZOO.find((entry) => structuralHash(canonicalActivation(activationOf(entry))) === hash)
    ?.name;
}

export interface HeldoutCandidate {
  name: string;
  /** An expression or zoo name, or (kind kan_basis) a basis set's spaces joined by "+". */
  activation: string;
  /** Absent: an activation. */
  kind?: CandidateKind;
  /** "baseline", "found" (from the search) or "eafo". */
  role: "baseline" | "found" | "eafo";
  /** Search fitness of a found candidate. */
  fitness?: number;
  zooName?: string;
}

/** Baselines, the top-k distinct from them, and EAFO variants: the held-out candidates. */
export function heldoutCandidates(
  config: SearchConfig,
  ranking: EvaluatedCandidate[],
): HeldoutCandidate[] {
  if (config.space === "kan_basis") return kanBasisHeldoutCandidates(config, ranking);
  const { heldout } = config;
  const list: HeldoutCandidate[] = activationBaselines(config);
  const seen = new Set(
    heldout.baselines.map((b) =>
      structuralHash(canonicalActivation(resolveActivation(b).activation)),
    ),
  );
  for (const candidate of ranking) {
    if (list.filter((c) => c.role === "found").length >= heldout.top_k) break;
    const hash = structuralHash(canonicalActivation(resolveActivation(candidate.text).activation));
    if (seen.has(hash)) continue;
    seen.add(hash);
    list.push({
      name: `${FOUND_PREFIX}${list.filter((c) => c.role === "found").length + 1}`,
      activation: candidate.text,
      role: "found",
      fitness: candidate.fitness,
      zooName: zooNameOf(candidate.text),
    });
  }
  for (const base of heldout.eafo) {
    const [variant] = eafoVariants(resolveActivation(base).activation);
    if (variant)
      list.push({
        name: `eafo(${base})`,
        activation: printActivation(variant.activation),
        role: "eafo",
      });
  }
  return list;
}

function activationBaselines(config: SearchConfig): HeldoutCandidate[] {
  return config.heldout.baselines.map((name) => ({
    name,
    activation: name,
    role: "baseline",
    zooName: zooNameOf(name),
  }));
}

/**
 * A basis search's held-out candidates: the MLP baselines (ReLU is the headline's reference), KANs
 * over the baseline basis sets (B-splines alone — pykan's KAN — and the whole universe, S-KAN's
 * setting, by default), and the top-k basis sets distinct from them.
 */
function kanBasisHeldoutCandidates(
  config: SearchConfig,
  ranking: EvaluatedCandidate[],
): HeldoutCandidate[] {
  const options = kanBasisOptions(config);
  const keyOf = (spaces: readonly string[]) => {
    const names = new Set(spaces);
    const ordered = options.universe.filter((name) => names.has(name));
    // a baseline may name spaces outside the universe: keep them, after the universe's order
    return kanBasisKey({ spaces: [...ordered, ...spaces.filter((n) => !ordered.includes(n))] });
  };
  const list = activationBaselines(config);
  const seen = new Set<string>();
  for (const set of options.baselines) {
    const key = keyOf(set);
    if (seen.has(key)) continue;
    seen.add(key);
    list.push({ name: `kan[${key}]`, activation: key, kind: "kan_basis", role: "baseline" });
  }
  let found = 0;
  for (const candidate of ranking) {
    if (found >= config.heldout.top_k) break;
    if (seen.has(candidate.text)) continue;
    seen.add(candidate.text);
    found++;
    list.push({
      name: `${FOUND_PREFIX}${found}`,
      activation: candidate.text,
      kind: "kan_basis",
      role: "found",
      fitness: candidate.fitness,
    });
  }
  return list;
}

/**
 * The held-out bench: every candidate in the first fitness architecture (an MLP template sized to
 * the parameter budget, or the conv net), on the held-out tasks, with the held-out seeds.
 */
export function heldoutConfig(config: SearchConfig, candidates: HeldoutCandidate[]): BenchConfig {
  const { heldout, fitness } = config;
  const architecture = fitness.architectures[0]!;
  const base = architectureConfig(
    {
      name: `${config.name}-heldout`,
      tasks: heldout.tasks,
      baseline: heldout.baselines.includes("relu") ? "relu" : heldout.baselines[0],
      seeds: heldout.seeds,
      seed: config.seed,
      training: heldout.training ?? fitness.training,
      dtype: config.dtype,
      ...(config.engine ? { engine: config.engine } : {}),
      rows: heldout.rows,
    },
    architecture,
    heldout.params ?? fitness.params,
    "candidate",
    activationModel("relu"),
  );
  const input: BenchConfigInput = {
    ...base,
    candidates: candidates.map((c) =>
      benchCandidate(
        c.name,
        candidateModel(config, c.kind ?? "activation", c.activation),
        architecture,
      ),
    ),
  };
  return parseBenchConfig(input);
}

export interface HeldoutVerdict {
  candidate: string;
  activation: string;
  zooName?: string;
  /** Mean relative test score against ReLU (log rmse ratio, or accuracy difference; < 0 better). */
  meanScore: number;
  pairs: number;
  pValue: number;
  pHolm: number;
  beatsRelu: boolean;
}

export interface Headline {
  verdicts: HeldoutVerdict[];
  text: string;
  /** The best discovered, non-zoo activation that beats ReLU, if any. */
  winner?: string;
}

/**
 * Per (task, seed) pair, the TEST score of `candidate` relative to `reference` on the same trial:
 * log RMSE ratio, or accuracy difference (< 0: the candidate is better).
 */
function relativeTestScores(results: BenchResults, candidate: string, reference: string): number[] {
  const accuracy = new Map(results.tasks.map((t) => [t.name, t.metric === "accuracy"]));
  const key = (t: TrialResult) => `${t.task}\u0000${t.seedIndex}`;
  const base = new Map(
    results.trials.filter((t) => t.candidate === reference).map((t) => [key(t), t]),
  );
  return results.trials
    .filter((t) => t.candidate === candidate && base.has(key(t)))
    .map((t) => {
      const r = base.get(key(t))!.test.metric;
      const m = t.test.metric;
      return accuracy.get(t.task) ? r - m : Math.log(Math.max(m, 1e-12) / Math.max(r, 1e-12));
    });
}

/** Mean and two-sided paired Wilcoxon p of relative scores (against 0). */
function pairedTest(scores: number[]): { meanScore: number; pValue: number } {
  const test = wilcoxonSignedRank(
    scores,
    scores.map(() => 0),
    "two-sided",
  );
  return {
    meanScore: scores.reduce((s, v) => s + v, 0) / Math.max(1, scores.length),
    pValue: test.pValue,
  };
}

/** Pooled paired tests of every found candidate against ReLU on the held-out test scores. */
export function heldoutHeadline(results: BenchResults, candidates: HeldoutCandidate[]): Headline {
  const hasRelu = results.trials.some((t) => t.candidate === "relu");
  const found = candidates.filter((c) => c.role === "found");
  // every candidate but ReLU is compared (Holm over all of them); only found ones can be winners
  const compared = candidates.filter((c) => c.name !== "relu");
  const raw = compared.map((c) => {
    const scores = relativeTestScores(results, c.name, "relu");
    return { c, scores, ...pairedTest(scores) };
  });
  const adjusted = holm(raw.map((r) => r.pValue));
  const verdicts: HeldoutVerdict[] = raw.map((r, i) => ({
    candidate: r.c.name,
    activation: r.c.activation,
    ...(r.c.zooName ? { zooName: r.c.zooName } : {}),
    meanScore: r.meanScore,
    pairs: r.scores.length,
    pValue: r.pValue,
    pHolm: adjusted[i] as number,
    beatsRelu: r.meanScore < 0 && (adjusted[i] as number) < 0.05,
  }));
  const foundNames = new Set(found.map((c) => c.name));
  const winners = verdicts
    .filter((v) => v.beatsRelu && !v.zooName && foundNames.has(v.candidate))
    .sort((a, b) => a.meanScore - b.meanScore);
  const winner = winners[0];
  if (!hasRelu)
    return {
      verdicts,
      text: "ReLU was not among the held-out baselines: no comparison with ReLU was made.",
    };
  const basisSearch = found.some((c) => c.kind === "kan_basis");
  const what = basisSearch ? "KAN basis set(s)" : "activation(s)";
  const verdict = winner
    ? `${winner.candidate} = ${basisSearch ? `${kanBasisTitle(winner.activation)} (not a baseline basis set)` : `${winner.activation} (not in the zoo)`} beats ${basisSearch ? "the ReLU MLP of the same parameter budget" : "ReLU"} on the held-out tasks: mean relative score ${winner.meanScore.toPrecision(3)} over ${winner.pairs} task×seed pairs, paired Wilcoxon p = ${winner.pValue.toPrecision(2)} (Holm ${winner.pHolm.toPrecision(2)}).`
    : `None of the ${found.length} discovered ${what} beat ${basisSearch ? "the ReLU MLP" : "ReLU"} on the held-out tasks at p < 0.05 (paired Wilcoxon over task×seed pairs, Holm-adjusted)` +
      (verdicts.some((v) => v.beatsRelu && foundNames.has(v.candidate))
        ? "; the ones that did are zoo entries."
        : ".");
  const text =
    verdict +
    othersThatBeatRelu(verdicts, candidates, basisSearch ? "the ReLU MLP" : "ReLU") +
    (winner ? "" : holmFloorSentence(verdicts, results.tasks.length)) +
    (basisSearch ? againstFirstBasis(results, candidates, winner?.candidate) : "");
  return winner ? { verdicts, text, winner: winner.candidate } : { verdicts, text };
}

/**
 * The table marks every candidate that beats ReLU, not only discovered ones: the headline names
 * the baselines and EAFO variants that did too, so it never reads against the table.
 */
function othersThatBeatRelu(
  verdicts: HeldoutVerdict[],
  candidates: HeldoutCandidate[],
  reference: string,
): string {
  const roles = new Map(candidates.map((c) => [c.name, c]));
  const others = verdicts.filter((v) => v.beatsRelu && roles.get(v.candidate)?.role !== "found");
  if (others.length === 0) return "";
  const described = others.map((v) => {
    const c = roles.get(v.candidate)!;
    const base = c.name.match(/^eafo\((.*)\)$/)?.[1];
    const zoo = c.role === "eafo" ? zooNameOf(c.activation) : undefined;
    const what =
      c.role === "eafo"
        ? `the EAFO-corrected variant${base ? ` of ${base}` : ""}${zoo ? `, zoo: ${zoo}` : ""}`
        : "a baseline";
    return `${v.candidate} (${what}) beats ${reference}: mean relative score ${v.meanScore.toPrecision(3)} over ${v.pairs} task×seed pairs, Holm p = ${v.pHolm.toPrecision(2)}`;
  });
  return ` Among the candidates the search did not find, ${described.join("; ")}.`;
}

/**
 * When too few task×seed pairs were pooled for any of the comparisons to reach Holm p < 0.05
 * (the smallest is comparisons × 2/2^pairs), the headline says so and how many seeds would do.
 */
function holmFloorSentence(verdicts: HeldoutVerdict[], tasks: number): string {
  if (verdicts.length === 0) return "";
  const pairs = Math.min(...verdicts.map((v) => v.pairs));
  const floor = holmFloor(pairs, verdicts.length).untied;
  if (floor < 0.05) return "";
  const seeds = Math.ceil(pairsForHolm(verdicts.length) / Math.max(1, tasks));
  return (
    ` No candidate could have: with ${pairs} task×seed pairs and ${verdicts.length} comparisons with ReLU, ` +
    `the smallest Holm-adjusted p is ${verdicts.length} × 2/2^${pairs} = ${Number(floor.toPrecision(3))} (≥ 0.05); ` +
    `run at least ${seeds} held-out seeds (heldout.seeds) on ${tasks} task(s).`
  );
}

/**
 * A basis search also asks whether choosing the bases beats the first basis baseline (pykan's
 * B-spline KAN by default): the winner's (else the best found set's) paired test against it.
 */
function againstFirstBasis(
  results: BenchResults,
  candidates: HeldoutCandidate[],
  winner: string | undefined,
): string {
  const reference = candidates.find((c) => c.role === "baseline" && c.kind === "kan_basis");
  const found = candidates.filter((c) => c.role === "found");
  if (!reference || found.length === 0) return "";
  const tested = found.map((c) => ({
    c,
    ...pairedTest(relativeTestScores(results, c.name, reference.name)),
  }));
  const chosen =
    tested.find((t) => t.c.name === winner) ??
    tested.reduce((b, t) => (t.meanScore < b.meanScore ? t : b));
  return ` Against ${reference.name} (${kanBasisTitle(reference.activation)}), ${chosen.c.name} scores ${chosen.meanScore.toPrecision(3)} (paired Wilcoxon p = ${chosen.pValue.toPrecision(2)}, not adjusted).`;
}
