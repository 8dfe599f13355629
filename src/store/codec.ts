/**
 * JSON that gives back exactly what it was given: plain JSON turns NaN and ±Infinity into null,
 * -0 into 0 and drops keys whose value is undefined, so a TrialResult with `val.loss: NaN` (no
 * validation split) or `width: undefined` would not read back equal. Those values are written as
 * a one-key object {"$nonlin": "NaN" | "Infinity" | "-Infinity" | "-0" | "undefined"}.
 */
const TAG = "$nonlin";

type Special = "NaN" | "Infinity" | "-Infinity" | "-0" | "undefined";

function specialOf(value: unknown): Special | undefined {
  if (value === undefined) return "undefined";
  if (typeof value !== "number") return undefined;
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  if (Object.is(value, -0)) return "-0";
  return undefined;
}

const SPECIAL_VALUES: Record<Special, unknown> = {
  NaN: NaN,
  Infinity: Infinity,
  "-Infinity": -Infinity,
  "-0": -0,
  undefined: undefined,
};

function encodeValue(value: unknown): unknown {
  const special = specialOf(value);
  if (special) return { [TAG]: special };
  if (Array.isArray(value)) return value.map(encodeValue);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = encodeValue(v);
    return out;
  }
  return value;
}

function decodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    const tag = (value as Record<string, unknown>)[TAG];
    if (keys.length === 1 && typeof tag === "string" && tag in SPECIAL_VALUES)
      return SPECIAL_VALUES[tag as Special];
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = decodeValue(v);
    return out;
  }
  return value;
}

export function encodeExactJson(value: unknown): string {
  return JSON.stringify(encodeValue(value));
}

export function decodeExactJson<T>(text: string): T {
  return decodeValue(JSON.parse(text)) as T;
}
