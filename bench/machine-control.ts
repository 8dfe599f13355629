/**
 * The machine's own scaling, with no nonlin code: a float64 loop over a 64 KB array (cache-
 * resident, like a small trial's working set) in one process, then in several at once. Where two
 * cores do not give twice the floating-point throughput (a hypervisor's vCPUs, shared caches,
 * turbo), no pool can beat this ratio: the benchmarks print it beside their own.
 */
import { spawn } from "node:child_process";

/** Seconds the loop takes in each of `processes` processes at once (the slowest). */
export async function controlSeconds(processes: number): Promise<number> {
  const loop = `const a = new Float64Array(8192).map((_, i) => i / 8192); let s = 0;
const t = performance.now();
for (let r = 0; r < 12000; r++) for (let i = 0; i < a.length; i++) { a[i] = a[i] * 0.999 + 1e-3; s += a[i] * a[i]; }
process.stdout.write(String((performance.now() - t) / 1000 + 0 * s));`;
  const runs = Array.from(
    { length: processes },
    () =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, ["-e", loop], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
        child.on("error", reject);
        child.on("close", () => resolve(Number(out)));
      }),
  );
  const seconds = await Promise.all(runs);
  return Math.max(...seconds);
}
