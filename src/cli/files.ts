/** File helpers of the CLI: config reading with named errors, writes that never leave half a file. */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { UsageError } from "./errors.js";

/** Writes a file so that a reader never sees half of it (write aside, then rename). */
export function writeAtomically(path: string, data: string | Uint8Array): void {
  const aside = `${path}.partial`;
  writeFileSync(aside, data);
  renameSync(aside, path);
}

/** Reads a YAML or JSON file; errors name the file (and the YAML position). */
export function readYamlFile(path: string): { raw: unknown; text: string } {
  if (!existsSync(path)) throw new UsageError(`${path}: no such file`);
  const text = readFileSync(path, "utf8");
  try {
    return { raw: parseYaml(text), text };
  } catch (error) {
    throw new UsageError(`${path}: not valid YAML: ${(error as Error).message}`);
  }
}
