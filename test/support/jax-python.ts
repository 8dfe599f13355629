/**
 * The Python with JAX that the JAX export checks run what nonlin writes in: a virtual environment
 * scripts/jax-python.sh makes in the cache (Debian has no JAX package). Where it could not be
 * made, the checks are skipped with the script's reason — never passed without running.
 */
import { spawnSync } from "node:child_process";

export type JaxPython = { python: string; skip?: undefined } | { python?: undefined; skip: string };

let found: JaxPython | undefined;

export function jaxPython(): JaxPython {
  if (found) return found;
  const run = spawnSync("sh", ["scripts/jax-python.sh", "--print-python"], { encoding: "utf8" });
  const python = run.stdout.trim();
  found =
    run.status === 0 && python
      ? { python }
      : {
          skip: `no JAX to run the export in: ${run.stderr.trim() || "see scripts/jax-python.sh"}`,
        };
  return found;
}

/** Runs a Python script in the JAX environment on a JSON job; its stdout parsed as JSON. */
export function runJax<T>(python: string, script: string, jobFile: string): T {
  const run = spawnSync(python, ["-c", script, jobFile], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    // one thread each for XLA's CPU client and BLAS: the suite runs files side by side
    env: {
      ...process.env,
      PYTHONPATH: "",
      OPENBLAS_NUM_THREADS: "1",
      XLA_FLAGS: "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
      JAX_PLATFORMS: "cpu",
    },
  });
  if (run.status !== 0) throw new Error(`python (JAX) failed:\n${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
