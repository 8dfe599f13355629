/** Symbolic regression: genetic programming over the expression language (docs/sr.md). */
export type { SrDataset, SplitData } from "./dataset.js";
export { datasetFromCsv, isVariableName, makeDataset, MIN_ROWS, splitRows } from "./dataset.js";
export type { FrontEntry } from "./front.js";
export { BEST_LOSS_FACTOR, chooseBest, EXACT_LOSS_FLOOR, paretoFront } from "./front.js";
export type { BinaryPrimitive, UnaryPrimitive } from "./operators.js";
export { DEFAULT_BINARY, DEFAULT_UNARY } from "./operators.js";
export type { SrOptions, SrProgress, SrResult } from "./search.js";
export { DEFAULT_SR_OPTIONS, SrOptionsError, symbolicRegression } from "./search.js";
