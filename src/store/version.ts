/**
 * The code version recorded with each run: package.json's version plus the git commit when the
 * package is a git checkout, read from .git's files (no child process, no git binary needed).
 * Uncommitted changes are not detected.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The nearest folder above `start` whose package.json is nonlin's. */
function packageRoot(start: string): { root: string; version: string } | undefined {
  let dir = start;
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
        if (pkg.name === "nonlin" && typeof pkg.version === "string")
          return { root: dir, version: pkg.version };
      } catch {
        // not ours (or unreadable): keep looking upwards
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const readText = (path: string): string | undefined =>
  existsSync(path) ? readFileSync(path, "utf8").trim() : undefined;

/** The commit HEAD points at in the git checkout at `root`, if it is one. */
export function gitCommit(root: string): string | undefined {
  const dotGit = join(root, ".git");
  const stats = statSync(dotGit, { throwIfNoEntry: false });
  if (!stats) return undefined;
  let gitDir = dotGit;
  if (stats.isFile()) {
    // a worktree or submodule: ".git" is a file "gitdir: PATH"
    const pointer = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, "utf8"));
    if (!pointer) return undefined;
    gitDir = resolve(root, pointer[1]!.trim());
  }
  const head = readText(join(gitDir, "HEAD"));
  if (!head) return undefined;
  if (/^[0-9a-f]{40,64}$/.test(head)) return head; // detached HEAD
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  if (!ref) return undefined;
  // refs live in the common dir of a worktree, loose or packed
  const commonDir = readText(join(gitDir, "commondir"));
  const dirs = commonDir ? [gitDir, resolve(gitDir, commonDir)] : [gitDir];
  for (const dir of dirs) {
    const loose = readText(join(dir, ref));
    if (loose && /^[0-9a-f]{40,64}$/.test(loose)) return loose;
    const packed = readText(join(dir, "packed-refs"));
    const line = packed?.split("\n").find((l) => l.endsWith(` ${ref}`));
    if (line) return line.split(" ")[0];
  }
  return undefined;
}

/** e.g. "0.1.0+33c4aee1848b", "0.1.0" outside a checkout, "unknown" when nothing is found. */
export function codeVersion(start = dirname(fileURLToPath(import.meta.url))): string {
  try {
    const pkg = packageRoot(start);
    if (!pkg) return "unknown";
    const commit = gitCommit(pkg.root);
    return commit ? `${pkg.version}+${commit.slice(0, 12)}` : pkg.version;
  } catch {
    return "unknown";
  }
}
