/** The run store (SQLite): see docs/store.md. */
export { StoreError } from "./errors.js";
export { codeVersion } from "./version.js";
export { SCHEMA_VERSION } from "./schema.js";
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
