/** A structural hash: equal for activations with one canonical form (used to deduplicate). */
import type { Activation } from "./ast.js";
import { printActivation } from "./print.js";
import { canonicalActivation } from "./simplify.js";

/** 64-bit FNV-1a of a string, as 16 hex digits. */
export function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * prime) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}

export function canonicalText(activation: Activation): string {
  return printActivation(canonicalActivation(activation));
}

export function structuralHash(activation: Activation): string {
  return fnv1a64(canonicalText(activation));
}
