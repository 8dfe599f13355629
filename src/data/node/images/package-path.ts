/** Where an installed npm package lives, found the way Node resolves imports from this file. */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { DataError } from "../../task.js";

/** The folder of npm package `name` (works under tsx and from the compiled dist/ alike). */
export function packageDir(name: string): string {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
  } catch (error) {
    throw new DataError(
      `the npm package '${name}' is not installed (run npm install in the nonlin folder): ` +
        String(error),
    );
  }
}
