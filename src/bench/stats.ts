/**
 * Statistics for the fair benchmark: summaries over seeds, paired tests against the baseline,
 * multiple-comparison correction, rank tests over tasks, and the derived scores in results.json.
 * Pure TypeScript (browser-safe); see docs/statistics.md for formulas, sources and choices.
 */
export { summarize, type Summary } from "./stats/summary.js";
export {
  wilcoxonSignedRank,
  signedRankNullCounts,
  smallestTwoSidedP,
  WILCOXON_EXACT_MAX_N,
  type Alternative,
  type WilcoxonOptions,
  type WilcoxonResult,
} from "./stats/wilcoxon.js";
export { holm, holmFloor, pairsForHolm } from "./stats/holm.js";
export {
  averageRanks,
  friedman,
  nemenyiCriticalDifference,
  nemenyiQ,
  type FriedmanOptions,
  type FriedmanResult,
} from "./stats/ranks.js";
export { rocAucMacro, type RocAucOptions } from "./stats/roc-auc.js";
export { improvementOverRandom, parameterEfficiency } from "./stats/relative.js";
export { tiedRanks, type TiedRanks } from "./stats/tied-ranks.js";
export {
  chiSquareCdf,
  chiSquareSurvival,
  logGamma,
  normalCdf,
  normalQuantile,
  normalSurvival,
  regularizedGammaP,
  regularizedGammaQ,
  regularizedIncompleteBeta,
  studentizedRangeCdf,
  studentizedRangeQuantile,
  studentTCdf,
  studentTQuantile,
} from "./stats/special-functions.js";
