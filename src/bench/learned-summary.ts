/**
 * The learned activation parameters of one candidate on one task, over its seeds: per parameter
 * the mean and sample sd of each trial's value (per channel or per neuron: of the trial's mean
 * over its values), with the extremes of every single value.
 */
import type { LearnedParamSummary, TrialResult } from "./results.js";
import { summarize } from "./stats.js";

/** `runs`: one candidate's trials on one task. Undefined when none learned a parameter. */
export function summarizeLearned(runs: readonly TrialResult[]): LearnedParamSummary[] | undefined {
  const byName = new Map<string, NonNullable<TrialResult["learned"]>>();
  for (const run of runs)
    for (const param of run.learned ?? []) {
      const seen = byName.get(param.name);
      if (seen) seen.push(param);
      else byName.set(param.name, [param]);
    }
  if (byName.size === 0) return undefined;
  return [...byName.values()].map((params) => {
    const first = params[0]!;
    // a diverged trial's parameters can be non-finite: they are left out and n says so
    const means = params.map((p) => p.mean).filter(Number.isFinite);
    const stats = means.length > 0 ? summarize(means) : { n: 0, mean: NaN, sd: NaN };
    const finite = params.filter((p) => Number.isFinite(p.min) && Number.isFinite(p.max));
    return {
      name: first.name,
      layer: first.layer,
      activation: first.activation,
      parameter: first.parameter,
      sharing: first.sharing,
      initial: first.initial,
      n: stats.n,
      mean: stats.mean,
      sd: stats.sd,
      min: finite.length > 0 ? Math.min(...finite.map((p) => p.min)) : NaN,
      max: finite.length > 0 ? Math.max(...finite.map((p) => p.max)) : NaN,
    };
  });
}
