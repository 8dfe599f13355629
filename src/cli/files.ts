/** File helpers of the CLI: config reading with named errors, writes that never leave half a file. */
import type { Stats } from "node:fs";
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { UsageError } from "./errors.js";

/** Writes a file so that a reader never sees half of it (write aside, then rename). */
export function writeAtomically(path: string, data: string | Uint8Array): void {
  const aside = `${path}.partial`;
  writeFileSync(aside, data);
  renameSync(aside, path);
}

/** The file's stats, or undefined where nothing is (a missing name, or a file named as a folder). */
function statIfAny(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new UsageError(`${path}: cannot be read (${code ?? (error as Error).message})`);
  }
}

/**
 * The largest config file read (1 MiB): real configs are a few kB, and parsing a file of tens of
 * MB (a list of millions of items) takes gigabytes of memory before V8 aborts.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads a YAML or JSON file; errors name the file (and the YAML position). */
export function readYamlFile(path: string): { raw: unknown; text: string } {
  const stats = statIfAny(path);
  if (!stats) throw new UsageError(`${path}: no such file`);
  if (stats.isDirectory())
    throw new UsageError(`${path}: is a directory; give the config file (YAML or JSON) itself`);
  if (stats.size > MAX_CONFIG_BYTES)
    throw new UsageError(
      `${path}: ${stats.size} bytes, more than a config may have (${MAX_CONFIG_BYTES} bytes, 1 MiB); give the config file, not data`,
    );
  const text = readFileSync(path, "utf8");
  try {
    return { raw: parseYaml(text), text };
  } catch (error) {
    throw new UsageError(`${path}: not valid YAML: ${(error as Error).message}`);
  }
}
