/**
 * What a reader must know before trusting a bench report's numbers, said up front by the terminal
 * table, report.md and report.html alike: when no comparison with the baseline can be significant
 * (the Holm floor of the seeds), when a candidate was sized to a handful of hidden units, and when
 * a test split is too small to tell candidates apart.
 */
import type { BenchResults } from "../bench/results.js";
import { holmFloor, pairsForHolm } from "../bench/stats.js";
import { formatCount, higherIsBetter, trialsOf } from "./bench-format.js";

/** Significance level of the marks (bench/summary.ts). */
const ALPHA = 0.05;

/** Below this many hidden units a candidate is not a fair stand-in for its kind. */
export const NARROW_WIDTH = 8;
/** Below this many test rows one row moves the metric by more than 1%. */
export const SMALL_TEST_ROWS = 100;

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

/** Hidden widths the solver gave a task × candidate's trials (none for fixed model specs). */
export function trialWidths(results: BenchResults, task: string, candidate: string): number[] {
  return trialsOf(results, task, candidate)
    .map((t) => t.width)
    .filter((w): w is number => w !== undefined);
}

/** One width, a range over seeds, or — for fixed model specs. */
export function widthText(widths: readonly number[]): string {
  if (widths.length === 0) return "—";
  const low = Math.min(...widths);
  const high = Math.max(...widths);
  return low === high ? formatCount(low) : `${formatCount(low)}–${formatCount(high)}`;
}

function narrowWidthWarnings(results: BenchResults): string[] {
  return results.tasks.flatMap((task) => {
    const narrow = results.candidates.flatMap((c) => {
      const widths = trialWidths(results, task.name, c.name);
      const smallest = widths.length > 0 ? Math.min(...widths) : Infinity;
      return smallest < NARROW_WIDTH ? [`${c.name} at width ${smallest}`] : [];
    });
    if (narrow.length === 0) return [];
    return [
      `${task.name}: ${narrow.join(", ")} — fewer than ${NARROW_WIDTH} hidden units, so the budget ` +
        `rather than the nonlinearity may decide the score; raise fairness.budget (or the task's budget).`,
    ];
  });
}

function smallTestWarnings(results: BenchResults): string[] {
  return results.tasks.flatMap((task) => {
    const rows = task.rows.test;
    if (rows >= SMALL_TEST_ROWS) return [];
    const step = higherIsBetter(task.metric)
      ? `one row is ${(100 / Math.max(1, rows)).toFixed(1)}% of the test accuracy, so candidates within that of each other may tie`
      : `its ${task.metric} moves with every row, so small differences are noise`;
    return [
      `${task.name}: the test split has only ${formatCount(rows)} row(s) (fewer than ${SMALL_TEST_ROWS}): ${step}; ` +
        `give a sampled task more test rows (the task's test in the config).`,
    ];
  });
}

/** Every warning of a bench run, most important first (empty when there is nothing to say). */
export function benchWarnings(results: BenchResults): string[] {
  const floor = holmFloorWarning(results);
  return [
    ...(floor !== undefined ? [floor] : []),
    ...narrowWidthWarnings(results),
    ...smallTestWarnings(results),
  ];
}
