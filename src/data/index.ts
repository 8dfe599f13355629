/**
 * Tasks (data sets) for `nonlin fit`: formula tasks, CSV tasks, splits and normalisation; the
 * browser-safe part (node/ reads files: node/load-task.ts, node/catalog.ts).
 */
export type { Task, TaskKind, TaskSplit } from "./task.js";
export { DataError, takeRows } from "./task.js";
export type { Box, CompiledFormula, FormulaTaskOptions } from "./formula.js";
export { boxBounds, compileFormulas, formulaTask } from "./formula.js";
export type { CsvRecord, CsvTaskOptions, HeaderMode } from "./csv.js";
export { csvTask, parseCsv } from "./csv.js";
export type { SplitFractions, SplitIndices } from "./split.js";
export { shuffledSplit } from "./split.js";
export type { Normalization, Scaling } from "./normalize.js";
export { applyScaling, fitScaling, invertScaling } from "./normalize.js";
export { Rng, splitmix64 } from "./rng.js";
export type { CsvTaskSpec, FormulaTaskSpec, TaskSpec, TaskSpecInput } from "./task-spec.js";
export type {
  CatalogEntry,
  TaskFamily,
  TaskMetadata,
  TaskMetric,
  TaskRequest,
} from "./catalog-entry.js";
export { findTask, TASK_CATALOG } from "./catalog.js";
export { sampledTask } from "./formula.js";
export {
  catalogTaskSchema,
  csvTaskSchema,
  formulaTaskSchema,
  parseTaskSpec,
  taskSpecSchema,
} from "./task-spec.js";
