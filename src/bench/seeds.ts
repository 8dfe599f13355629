/**
 * Per-trial seeds. A trial's seed depends only on the bench seed, the task's name and the seed
 * index — not on the candidate and not on any position in the config — so every candidate sees
 * the same data split, initialisation key and batch order at a given seed index (comparisons are
 * paired), and reordering tasks or candidates changes no result.
 */
import { splitmix64 } from "../data/rng.js";

/** FNV-1a 64-bit of a string (UTF-16 code units), as a bigint. */
function fnv1a64(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash;
}

/** A 32-bit seed for (bench seed, task name, seed index). */
export function trialSeed(benchSeed: number, taskName: string, seedIndex: number): number {
  const mixed = fnv1a64(`${benchSeed}\u0000${taskName}\u0000${seedIndex}`);
  const [output] = splitmix64(mixed);
  return Number(output & 0xffffffffn);
}
