/**
 * The README's test command sets up what the tests use: `npm test` first runs
 * scripts/system-deps.sh (package.json "pretest"), which finds missing system programs and installs
 * them from Debian's packages; .ci/run calls the same script. Here the script runs for real with
 * PATH pointing at folders that do or do not hold programs of those names.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

const SCRIPT = join(import.meta.dirname, "..", "scripts", "system-deps.sh");
const folder = mkdtempSync(join(tmpdir(), "nonlin-system-deps-"));
after(() => rmSync(folder, { recursive: true, force: true }));

/** A folder holding executables of these names (each exits 0), for PATH. */
function programs(name: string, names: string[]): string {
  const dir = join(folder, name);
  mkdirSync(dir, { recursive: true });
  for (const program of names) {
    writeFileSync(join(dir, program), "#!/bin/sh\nexit 0\n");
    chmodSync(join(dir, program), 0o755);
  }
  return dir;
}

/** A stand-in for Debian's Python: one that imports torch and numpy (exit 0) or lacks them. */
function python(hasTorch: boolean): string {
  const path = join(programs(hasTorch ? "torch" : "no-torch", []), "python3");
  writeFileSync(path, `#!/bin/sh\nexit ${hasTorch ? 0 : 1}\n`);
  chmodSync(path, 0o755);
  return path;
}

const run = (path: string, args: string[] = [], hasTorch = true) =>
  spawnSync("/bin/sh", [SCRIPT, ...args], {
    env: { PATH: path, SYSTEM_DEPS_PYTHON: python(hasTorch) },
    encoding: "utf8",
  });

describe("scripts/system-deps.sh (what npm test sets up)", () => {
  it("does nothing when chromium, redis-server and openssl are there", () => {
    const result = run(programs("all", ["chromium", "redis-server", "openssl", "id"]));
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout + result.stderr, "");
  });

  it("names exactly the missing programs and the command that installs them", () => {
    const result = run(programs("some", ["chromium"]), ["--dry-run"]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      result.stdout,
      "would install: redis-server openssl (apt-get install -y redis-server openssl)\n",
    );
  });

  it("installs python3-torch and python3-numpy where Python cannot import torch", () => {
    const all = programs("all", ["chromium", "redis-server", "openssl", "id"]);
    const result = run(all, ["--dry-run"], false);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      result.stdout,
      "would install: python3-torch python3-numpy (apt-get install -y python3-torch python3-numpy)\n",
    );
  });

  it("exits 2 with the install command where there is no apt-get", () => {
    const result = run(programs("none", ["id"]));
    assert.equal(result.status, 2);
    assert.equal(
      result.stderr,
      "error: the tests need chromium redis-server openssl; install them with your system's package manager (on Debian: apt-get install -y chromium redis-server openssl)\n",
    );
  });

  it("runs before the tests (npm's pretest) and in CI", () => {
    const scripts = JSON.parse(readFileSync("package.json", "utf8")).scripts;
    assert.equal(
      scripts.pretest,
      "sh scripts/system-deps.sh && sh scripts/lavapipe.sh && sh scripts/jax-python.sh",
    );
    assert.match(readFileSync(".ci/run", "utf8"), /^sh scripts\/system-deps\.sh$/m);
  });
});

describe("scripts/jax-python.sh (JAX for the JAX export checks)", () => {
  const script = join(import.meta.dirname, "..", "scripts", "jax-python.sh");
  const runJaxScript = (path: string, cache: string) =>
    spawnSync("/bin/sh", [script, "--print-python"], {
      env: { PATH: path, NONLIN_CACHE: cache },
      encoding: "utf8",
    });

  it("without python3 it exits 0, says the checks will be skipped, and leaves nothing", () => {
    const cache = join(folder, "jax-cache-none");
    const result = runJaxScript(programs("no-python", ["rm", "touch"]), cache);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /no python3 on PATH; the JAX export checks will be skipped/);
    assert.equal(existsSync(cache), false);
  });

  it("when the install fails it says so, names its log, and removes the half-made environment", () => {
    // a python3 whose venv step fails, as an interpreter without the venv module does
    const dir = programs("broken-python", []);
    writeFileSync(join(dir, "python3"), "#!/bin/sh\necho 'No module named venv' >&2\nexit 1\n");
    chmodSync(join(dir, "python3"), 0o755);
    const cache = join(folder, "jax-cache-broken");
    const result = runJaxScript(`${dir}:/usr/bin:/bin`, cache);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      /could not install jax 0\.10\.2 \(see .*jax-venv-0\.10\.2\.log\); the JAX export checks will be skipped/,
    );
    assert.equal(existsSync(join(cache, "jax-venv-0.10.2")), false);
    assert.match(readFileSync(join(cache, "jax-venv-0.10.2.log"), "utf8"), /No module named venv/);
  });
});
