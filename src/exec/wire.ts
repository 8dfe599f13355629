/**
 * Results as text for Redis: JSON turns NaN and ±Infinity into null and -0 into 0, but a trial
 * without a validation split scores NaN (a rejected screening, Infinity) and results must come
 * back bit-identical, so those numbers travel as tagged objects. Finite doubles survive JSON
 * exactly (shortest round-trip form).
 */
import type { Job, ResultOf } from "./job.js";

type AnyResult = ResultOf<Job>;

const TAG = "$number";
type Tagged = { [TAG]: "NaN" | "Infinity" | "-Infinity" | "-0" };

function tag(value: number): Tagged | number {
  if (Number.isNaN(value)) return { [TAG]: "NaN" };
  if (value === Infinity) return { [TAG]: "Infinity" };
  if (value === -Infinity) return { [TAG]: "-Infinity" };
  if (Object.is(value, -0)) return { [TAG]: "-0" };
  return value;
}

export function encodeResult(result: AnyResult): string {
  return JSON.stringify(result, (_key, value: unknown) =>
    typeof value === "number" ? tag(value) : value,
  );
}

export function decodeResult(text: string): AnyResult {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === "object" && TAG in value) {
      const tagged = (value as Tagged)[TAG];
      return tagged === "-0" ? -0 : Number(tagged);
    }
    return value;
  }) as AnyResult;
}
