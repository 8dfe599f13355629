/** Symbolic regression: genetic programming over the expression language (docs/sr.md). */
export type { SrDataset, SplitData } from "./dataset.js";
export { datasetFromCsv, isVariableName, makeDataset, MIN_ROWS, splitRows } from "./dataset.js";
export type { ArgumentConstraints, Limits, NestedConstraints } from "./constraints.js";
export { limitsChecker, namesOf } from "./constraints.js";
export { SrOptionsError } from "./errors.js";
export type { FrontEntry, ModelSelection, RawEntry } from "./front.js";
export {
  BEST_LOSS_FACTOR,
  chooseBest,
  chooseModel,
  EXACT_LOSS_FLOOR,
  frontScores,
  MODEL_SELECTIONS,
  paretoFront,
} from "./front.js";
export type { OperatorSet, Primitive } from "./operator-names.js";
export { displayName, KNOWN_OPERATOR_NAMES, parseOperators } from "./operator-names.js";
export type { BinaryPrimitive, UnaryPrimitive } from "./operators.js";
export { DEFAULT_BINARY, DEFAULT_UNARY } from "./operators.js";
export { parseArgumentSizes, parseNested } from "./parse-constraints.js";
export { RELATIVE_LOSS_TOLERANCE, roundConstants } from "./round-constants.js";
export type { SrOptions, SrProgress, SrResult } from "./search.js";
export { checkSrOptions, DEFAULT_SR_OPTIONS, symbolicRegression } from "./search.js";
