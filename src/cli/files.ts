/**
 * File helpers of the CLI: config reading with named errors, output folders checked before any
 * work, writes that never leave half a file.
 */
import type { Stats } from "node:fs";
import { mkdtempSync, readFileSync, renameSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
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

/**
 * Checks before any work that `dir` can become an output folder (it is a folder we may write in,
 * or can be created), leaving nothing behind; `what` names it in messages (e.g. "--out").
 */
export function checkOutputFolder(dir: string, what: string): void {
  let existing = resolve(dir);
  let stats = statIfAny(existing);
  while (!stats) {
    existing = dirname(existing);
    stats = statIfAny(existing);
  }
  const shown = existing === resolve(dir) ? dir : existing;
  if (!stats.isDirectory())
    throw new UsageError(
      `${what} ${dir}: ${shown} is a file, not a folder; name a folder to write the results in`,
    );
  // a folder made and removed at once: access(2) says yes to root even where mkdir fails (/proc)
  try {
    rmdirSync(mkdtempSync(join(existing, ".nonlin-out-check-")));
  } catch (error) {
    throw new UsageError(
      `${what} ${dir}: cannot write in ${shown} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); name a folder you can write to`,
    );
  }
}
