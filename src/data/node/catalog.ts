/**
 * The built-in catalog's entries with their makers: the tasks of TASK_CATALOG (../catalog.ts), in
 * its order, each able to make its task (and to download what it needs first). Formula and
 * synthetic entries are pure computation; tabular and image entries read files.
 */
import type { CatalogEntry } from "../catalog-entry.js";
import { unknownTaskMessage } from "../catalog.js";
import { FORMULA_SUITES } from "../suites/index.js";
import { SYNTHETIC_TASKS } from "../synthetic.js";
import { DataError } from "../task.js";
import { IMAGE_TASKS } from "./images/index.js";
import { TABULAR_TASKS } from "./tabular.js";

export const CATALOG_ENTRIES: readonly CatalogEntry[] = [
  ...FORMULA_SUITES,
  ...SYNTHETIC_TASKS,
  ...TABULAR_TASKS,
  ...IMAGE_TASKS,
];

/** The entry of the task named `name`; an unknown name is a DataError on `task.name`. */
export function catalogEntry(name: string): CatalogEntry {
  const entry = CATALOG_ENTRIES.find((candidate) => candidate.name === name);
  if (!entry) throw new DataError(`task.name: ${unknownTaskMessage(name)}`);
  return entry;
}
