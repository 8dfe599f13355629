/**
 * The built-in task catalog: what every named task is (formula suites, Feynman equations,
 * synthetic 2-D sets, shipped tabular data, image data sets), found by name. Browser-safe:
 * metadata only; node/catalog.ts has the entries that make the file-backed tasks.
 */
import type { TaskMetadata } from "./catalog-entry.js";
import { IMAGE_METADATA } from "./images/image-sets.js";
import { FORMULA_SUITES } from "./suites/index.js";
import { SYNTHETIC_TASKS } from "./synthetic.js";
import { TABULAR_METADATA } from "./tabular-sets.js";

export const TASK_CATALOG: readonly TaskMetadata[] = [
  ...FORMULA_SUITES,
  ...SYNTHETIC_TASKS,
  ...TABULAR_METADATA,
  ...IMAGE_METADATA,
];

export function findTask(name: string): TaskMetadata | undefined {
  return TASK_CATALOG.find((entry) => entry.name === name);
}

/** "unknown task 'name' (did you mean …? …)", for errors that put the field in front. */
export function unknownTaskMessage(name: string): string {
  return `unknown task '${name}' (did you mean ${similarTaskNames(name)
    .map((n) => `'${n}'`)
    .join(", ")}? \`nonlin bench --list-tasks\` lists them all)`;
}

/** Up to `count` catalog names closest to `name` (shared prefix, then edit distance), for errors. */
export function similarTaskNames(name: string, count = 3): string[] {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0] as number;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = row[j] as number;
        row[j] = Math.min(
          current + 1,
          (row[j - 1] as number) + 1,
          previous + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
        previous = current;
      }
    }
    return row[b.length] as number;
  };
  return TASK_CATALOG.map((entry) => ({ name: entry.name, d: distance(name, entry.name) }))
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, count)
    .map((entry) => entry.name);
}
