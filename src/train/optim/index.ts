/** Optimisers as composable gradient transforms (see transform.ts for the contract). */
export * from "./transform.js";
export * from "./tree-ops.js";
export * from "./schedule.js";
export * from "./scale.js";
export * from "./clip.js";
export * from "./weight-decay.js";
export * from "./sgd.js";
export * from "./adam.js";
export * from "./spec.js";
