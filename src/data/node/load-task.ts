/**
 * Builds the task a spec describes: `loadTask`, the one place that reads a spec's files (CSV,
 * optionally gzipped) from disk, and `prepareTask`, which downloads what a catalog task needs.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { csvTask } from "../csv.js";
import { formulaTask } from "../formula.js";
import type { TaskSpec, TaskSpecInput } from "../task-spec.js";
import { parseTaskSpec } from "../task-spec.js";
import type { Task } from "../task.js";
import { DataError } from "../task.js";
import { catalogEntry } from "./catalog.js";

/** Downloads what a catalog task needs (a no-op for every other task). */
export async function prepareTask(spec: TaskSpecInput | TaskSpec): Promise<void> {
  const parsed = parseTaskSpec(spec);
  if (parsed.type === "catalog") await catalogEntry(parsed.name).prepare?.();
}

/** Reads a file as text, gunzipping names ending in .gz. */
export function readTextFile(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error);
    throw new DataError(`path: cannot read ${path}: ${reason}`);
  }
  if (!path.toLowerCase().endsWith(".gz")) return bytes.toString("utf8");
  try {
    return gunzipSync(bytes).toString("utf8");
  } catch (error) {
    throw new DataError(`path: ${path} is not valid gzip: ${String(error)}`);
  }
}

/**
 * Builds the task a spec describes; `baseDir` resolves relative CSV paths (the spec's folder).
 * Catalog entries that download (CIFAR-10) must have been prepared: see `prepareTask`.
 */
export function loadTask(spec: TaskSpecInput | TaskSpec, baseDir = "."): Task {
  const parsed = parseTaskSpec(spec);
  if (parsed.type === "formula") return formulaTask(parsed);
  if (parsed.type === "catalog") {
    const { name, type: _type, ...request } = parsed;
    return catalogEntry(name).make(request);
  }
  const path = isAbsolute(parsed.path) ? parsed.path : resolve(baseDir, parsed.path);
  return csvTask(readTextFile(path), parsed.path, parsed);
}
