/** Errors of the run store that a user can act on (a path, a run id): exit code 2 in the CLI. */
export class StoreError extends Error {
  override name = "StoreError";
}
