/**
 * The formula suites of the built-in catalog: the KAN paper's toys, the ReLU-KAN fitting suite,
 * All-KAN's fitting and fractal targets, and the 100 AI Feynman equations (docs/tasks-formula.md).
 */
import type { CatalogEntry } from "../catalog-entry.js";
import { ALL_KAN_TARGETS } from "./all-kan.js";
import { FEYNMAN_TARGETS } from "./feynman.js";
import type { PointTarget } from "./point-task.js";
import { pointTaskEntry } from "./point-task.js";
import { RELU_KAN_TARGETS } from "./relu-kan.js";
import { TOY_TARGETS } from "./toys.js";

export { ALL_KAN_TARGETS, FEYNMAN_TARGETS, RELU_KAN_TARGETS, TOY_TARGETS };
export type { PointTarget, SplitSizes, Variable } from "./point-task.js";
export { makePointTask, pointTaskEntry } from "./point-task.js";

/** Every target of the formula suites, toys first. */
export const FORMULA_TARGETS: readonly PointTarget[] = [
  ...TOY_TARGETS,
  ...RELU_KAN_TARGETS,
  ...ALL_KAN_TARGETS,
  ...FEYNMAN_TARGETS,
];

export const FORMULA_SUITES: readonly CatalogEntry[] = FORMULA_TARGETS.map(pointTaskEntry);
