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
import { holm, wilcoxonSignedRank } from "../bench/stats.js";
import { structuralHash } from "../expr/hash.js";
import { canonicalActivation } from "../expr/simplify.js";
import { printActivation } from "../expr/print.js";
import { resolveActivation, ZOO } from "../zoo/index.js";
import { activationOf } from "../zoo/entry.js";
import type { SearchConfig } from "./config.js";
import { eafoVariants } from "./eafo.js";
import { architectureConfig, convModel } from "./fitness.js";
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
  activation: string;
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
  const { heldout } = config;
  const list: HeldoutCandidate[] = heldout.baselines.map((name) => ({
    name,
    activation: name,
    role: "baseline",
    zooName: zooNameOf(name),
  }));
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
      rows: heldout.rows,
    },
    architecture,
    heldout.params ?? fitness.params,
    "candidate",
    "relu",
  );
  const input: BenchConfigInput = {
    ...base,
    candidates: candidates.map((c) =>
      architecture.kind === "conv"
        ? { name: c.name, model: convModel(c.activation, architecture.filters) }
        : { name: c.name, activation: c.activation },
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

/** Pooled paired tests of every found candidate against ReLU on the held-out test scores. */
export function heldoutHeadline(results: BenchResults, candidates: HeldoutCandidate[]): Headline {
  const accuracy = new Map(results.tasks.map((t) => [t.name, t.metric === "accuracy"]));
  const key = (t: TrialResult) => `${t.task}\u0000${t.seedIndex}`;
  const relu = new Map(
    results.trials.filter((t) => t.candidate === "relu").map((t) => [key(t), t]),
  );
  const found = candidates.filter((c) => c.role === "found");
  // every candidate but ReLU is compared (Holm over all of them); only found ones can be winners
  const compared = candidates.filter((c) => c.name !== "relu");
  const raw = compared.map((c) => {
    const scores = results.trials
      .filter((t) => t.candidate === c.name && relu.has(key(t)))
      .map((t) => {
        const r = relu.get(key(t))!.test.metric;
        const m = t.test.metric;
        return accuracy.get(t.task) ? r - m : Math.log(Math.max(m, 1e-12) / Math.max(r, 1e-12));
      });
    const test = wilcoxonSignedRank(
      scores,
      scores.map(() => 0),
      "two-sided",
    );
    const meanScore = scores.reduce((s, v) => s + v, 0) / Math.max(1, scores.length);
    return { c, scores, meanScore, pValue: test.pValue };
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
  if (!relu.size)
    return {
      verdicts,
      text: "ReLU was not among the held-out baselines: no comparison with ReLU was made.",
    };
  const text = winner
    ? `${winner.candidate} = ${winner.activation} (not in the zoo) beats ReLU on the held-out tasks: mean relative score ${winner.meanScore.toPrecision(3)} over ${winner.pairs} task×seed pairs, paired Wilcoxon p = ${winner.pValue.toPrecision(2)} (Holm ${winner.pHolm.toPrecision(2)}).`
    : `None of the ${found.length} discovered activation(s) beat ReLU on the held-out tasks at p < 0.05 (paired Wilcoxon over task×seed pairs, Holm-adjusted)` +
      (verdicts.some((v) => v.beatsRelu && foundNames.has(v.candidate))
        ? "; the ones that did are zoo entries."
        : ".");
  return winner ? { verdicts, text, winner: winner.candidate } : { verdicts, text };
}
