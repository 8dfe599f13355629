/**
 * How an `sr` run is kept in the run store: its validated options as the config, one info event
 * per front member, and a last event holding the headline ("best: FORMULA (val R² …)") that
 * `runs ls` can show (storedSrHeadline reads it back).
 */
import type { EventRecord, RunStore } from "../store/index.js";
import type { FrontEntry, SrResult } from "../search/sr/index.js";

const HEADLINE_PREFIX = "best: ";

/** The one-line summary of an sr run: the chosen formula and its validation R². */
export function srHeadline(best: FrontEntry): string {
  return `${HEADLINE_PREFIX}${best.expression} (val R² ${best.r2.toPrecision(6)}, complexity ${best.complexity})`;
}

/** The headline of a stored sr run, from its events; undefined if it never finished a search. */
export function storedSrHeadline(events: readonly EventRecord[]): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i] as EventRecord;
    if (event.level === "info" && event.message.startsWith(HEADLINE_PREFIX)) return event.message;
  }
  return undefined;
}

/** A front member as an event: complexity, validation loss and R², and both forms. */
export function frontEvent(entry: FrontEntry): string {
  const raw = entry.raw.expression === entry.expression ? "" : ` (raw: ${entry.raw.expression})`;
  return `front: complexity ${entry.complexity}, val MSE ${entry.loss.toExponential(4)}, val R² ${entry.r2.toPrecision(8)}: ${entry.expression}${raw}`;
}

/** Records the front, then the headline last (storedSrHeadline takes the last one). */
export function recordSrResult(store: RunStore, runId: string, result: SrResult): void {
  for (const entry of result.front)
    store.recordEvent(runId, { level: "info", message: frontEvent(entry) });
  store.recordEvent(runId, { level: "info", message: srHeadline(result.best) });
}
