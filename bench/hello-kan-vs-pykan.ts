/**
 * The whole hello-KAN pipeline, nonlin beside pykan on this machine, alternating, each run a fresh
 * process: `nonlin fit examples/hello-kan.yaml` (L-BFGS 50 with λ 1e-3 → prune → 50 → refine 10
 * → 50) as a user runs it, and pykan's hellokan notebook (the same steps, then auto_symbolic and
 * 50 more steps) by bench/pykan_reference.py, which also times each of pykan's stages. Prints the
 * medians and the ratios: the whole process, and the part both do (pykan without its symbolic
 * stages).
 *
 * Run: node --import tsx bench/hello-kan-vs-pykan.ts --pykan /tmp/pykan [--repeat 3] [--spec S]
 * (pykan: a checkout of github.com/KindXiaoming/pykan; Debian's /usr/bin/python3 with torch.)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const argument = (name: string, fallback?: string): string => {
  const at = process.argv.indexOf(name);
  if (at > 0) return process.argv[at + 1]!;
  if (fallback === undefined) throw new Error(`${name} is required`);
  return fallback;
};
const pykan = argument("--pykan");
const repeat = Number(argument("--repeat", "3"));
const spec = argument("--spec", "examples/hello-kan.yaml");
const python = argument("--python", "/usr/bin/python3");
const store = join(mkdtempSync(join(tmpdir(), "hello-kan-vs-pykan-")), "runs.db");

interface PykanResult {
  seconds: number;
  stages: Record<string, number>;
  test_rmse: Record<string, number>;
  formula: string;
}

function timed(command: string, args: string[]): { wall: number; stdout: string } {
  const started = performance.now();
  const child = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  const wall = (performance.now() - started) / 1000;
  if (child.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${child.stderr}`);
  return { wall, stdout: child.stdout };
}

const times = {
  nonlin: [] as number[],
  pykan: [] as number[],
  pykanTraining: [] as number[],
  pykanSymbolic: [] as number[],
};
let pykanLast: PykanResult | undefined;
for (let r = 0; r < repeat; r++)
  for (const which of r % 2 === 0 ? ["nonlin", "pykan"] : ["pykan", "nonlin"]) {
    const load = loadavg()[0]!;
    if (which === "nonlin") {
      const run = timed(process.execPath, [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "fit",
        spec,
        "--store",
        store,
        "--json",
      ]);
      const phases = (JSON.parse(run.stdout) as { phases: { test: { rmse: number } }[] }).phases;
      const nonlinRmse = phases.at(-1)!.test.rmse;
      times.nonlin.push(run.wall);
      console.log(
        `nonlin: ${run.wall.toFixed(2)} s, test rmse ${nonlinRmse.toExponential(3)} (load ${load.toFixed(2)})`,
      );
    } else {
      const run = timed(python, ["bench/pykan_reference.py", "hello", "--pykan", pykan]);
      const result = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as PykanResult;
      const symbolic = result.stages.auto_symbolic! + result.stages.lbfgs_symbolic!;
      times.pykan.push(run.wall);
      times.pykanSymbolic.push(symbolic);
      times.pykanTraining.push(result.seconds - symbolic);
      pykanLast = result;
      console.log(
        `pykan: ${run.wall.toFixed(2)} s process (${result.seconds.toFixed(2)} s pipeline, of which auto_symbolic + its fit ${symbolic.toFixed(2)} s), rmse before symbolic ${result.test_rmse.lbfgs_refined!.toExponential(3)}, formula ${result.formula} (load ${load.toFixed(2)})`,
      );
    }
  }
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const nonlin = median(times.nonlin);
const pykanTraining = median(times.pykanTraining);
console.log(`\nmedians of ${repeat}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}):`);
console.log(`  nonlin fit ${spec} (whole process): ${nonlin.toFixed(2)} s`);
console.log(
  `  pykan whole process (incl. import torch, auto_symbolic): ${median(times.pykan).toFixed(2)} s`,
);
console.log(
  `  pykan train + prune + refine stages: ${pykanTraining.toFixed(2)} s; auto_symbolic + fit: ${median(times.pykanSymbolic).toFixed(2)} s`,
);
console.log(
  `  ratio pykan process / nonlin process: ${(median(times.pykan) / nonlin).toFixed(2)}x`,
);
console.log(
  `  ratio pykan training stages / nonlin process: ${(pykanTraining / nonlin).toFixed(2)}x`,
);
console.log(`  last pykan test rmse per stage: ${JSON.stringify(pykanLast?.test_rmse)}`);
