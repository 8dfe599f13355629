/**
 * Which Python runs the torch engine: `--python PATH` or `NONLIN_PYTHON`, else the first of
 * `python3` on PATH and Debian's `/usr/bin/python3` that imports torch and numpy (a pyenv
 * `python3` often lacks torch where Debian's python3-torch is installed). Found once a process.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../base/errors.js";

export class PythonNotFoundError extends InputError {}

export const INSTALL_TORCH =
  "install them with 'apt install python3-torch python3-numpy' (Debian, Ubuntu) or 'pip install torch numpy', " +
  "or name a Python that has them with --python PATH or NONLIN_PYTHON";

/** Why `python` cannot run the torch engine, or undefined when it imports torch and numpy. */
function importProblem(python: string): string | undefined {
  const probe = spawnSync(python, ["-c", "import torch, numpy"], {
    encoding: "utf8",
    timeout: 60_000,
    stdio: ["ignore", "ignore", "pipe"],
  });
  if (probe.error) return (probe.error as NodeJS.ErrnoException).code ?? probe.error.message;
  if (probe.status !== 0) {
    const lines = probe.stderr.trim().split("\n");
    return lines[lines.length - 1] || `exit ${String(probe.status)}`;
  }
  return undefined;
}

const found = new Map<string, string>();

/**
 * The Python to run: `explicit` (from --python), else NONLIN_PYTHON, else the first candidate that
 * imports torch and numpy. Throws PythonNotFoundError (exit 2) with the command that installs them.
 */
export function findPython(
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
  candidates: readonly string[] = ["python3", "/usr/bin/python3"],
): string {
  const named = explicit ?? env.NONLIN_PYTHON;
  const cacheKey = `${named ?? ""}\u0000${candidates.join("\u0000")}\u0000${env.PATH ?? ""}`;
  const cached = found.get(cacheKey);
  if (cached) return cached;
  if (named !== undefined) {
    const source = explicit !== undefined ? "--python" : "NONLIN_PYTHON";
    const problem = importProblem(named);
    if (problem)
      throw new PythonNotFoundError(
        `${source} ${named} cannot run the torch engine (${problem}): it needs torch and numpy; ${INSTALL_TORCH}`,
      );
    found.set(cacheKey, named);
    return named;
  }
  const problems: string[] = [];
  for (const candidate of candidates) {
    const problem = importProblem(candidate);
    if (!problem) {
      found.set(cacheKey, candidate);
      return candidate;
    }
    problems.push(`${candidate}: ${problem}`);
  }
  throw new PythonNotFoundError(
    `the torch engine needs Python 3 with torch and numpy, and none was found (${problems.join("; ")}); ${INSTALL_TORCH}`,
  );
}

/**
 * The folder holding the `nonlin_torch` package (the repository's python/), found from this
 * module's own place so it works from src/ (tsx) and from dist/.
 */
export function pythonPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "python");
    if (existsSync(join(candidate, "nonlin_torch"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new PythonNotFoundError(
        "the torch engine's Python package (python/nonlin_torch) is missing from this installation",
      );
    dir = parent;
  }
}
