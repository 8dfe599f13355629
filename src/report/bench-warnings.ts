/**
 * What a reader must know before trusting a bench report's numbers, said up front by the terminal
 * table, report.md and report.html alike: when no comparison with the baseline can be significant
 * (the Holm floor of the seeds).
 */
import type { BenchResults } from "../bench/results.js";
import { holmFloor, pairsForHolm } from "../bench/stats.js";

/** Significance level of the marks (bench/summary.ts). */
const ALPHA = 0.05;

const significant3 = (p: number): string => String(Number(p.toPrecision(3)));

/** The Holm floor of the bench's design: `seeds` pairs, every other candidate against the baseline. */
function holmFloorWarning(results: BenchResults): string | undefined {
  const seeds = results.seeds;
  const challengers = results.candidates.filter((c) => c.name !== results.baseline).length;
  if (challengers === 0) return undefined;
  const floor = holmFloor(seeds, challengers);
  if (floor.untied < ALPHA) return undefined;
  const needed = pairsForHolm(challengers, ALPHA);
  const formula = `${challengers} × 2/2^${seeds} = ${significant3(floor.untied)}`;
  const what =
    floor.tied >= ALPHA
      ? "No candidate can be significantly better or worse than the baseline"
      : "Almost no candidate can be significantly better or worse than the baseline";
  const ties =
    floor.tied < ALPHA
      ? ` unless all of a candidate's differences from the baseline are equal in size (then the normal approximation reaches ${significant3(floor.tied)})`
      : "";
  return (
    `${what}: with ${seeds} seed(s) and ${challengers} challenger(s) the smallest Holm-adjusted p ` +
    `of a paired Wilcoxon test is ${formula} (≥ ${ALPHA})${ties}. ` +
    `Run at least ${needed} seeds for a difference to be able to reach p < ${ALPHA}.`
  );
}

/** Every warning of a bench run, most important first (empty when there is nothing to say). */
export function benchWarnings(results: BenchResults): string[] {
  const floor = holmFloorWarning(results);
  return [...(floor !== undefined ? [floor] : [])];
}
