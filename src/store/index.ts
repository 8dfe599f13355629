/** The run store (SQLite): see docs/store.md. */
export { StoreError, StoreWriteError } from "./errors.js";
export { liveStatus, processAlive, processStarted, thisProcess } from "./liveness.js";
export type { LiveStatus, LivenessCheck } from "./liveness.js";
export { codeVersion } from "./version.js";
export { SCHEMA_VERSION } from "./schema.js";
export type { ComparedCell, ComparedRow, ComparedTask, RunComparison } from "./compare.js";
export {
  defaultStorePath,
  openStore,
  RunStore,
  TRIAL_COLUMNS,
  TRIAL_CSV_COLUMNS,
  trialsCsv,
} from "./store.js";
export type { OpenStoreOptions } from "./store.js";
export type * from "./types.js";
