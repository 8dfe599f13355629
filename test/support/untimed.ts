/** Screening results compared across executors: every field but the measured seconds. */
import type { ScreenResult } from "../../src/search/screen-job.js";

/** A screening without its measured seconds (they differ run to run). */
export const untimed = (result: ScreenResult): unknown =>
  JSON.parse(JSON.stringify(result, (key, value: unknown) => (key === "seconds" ? 0 : value)));
