/**
 * Symbolic regression on ten AI Feynman equations (docs/sr.md): each equation's catalog rows
 * (src/data/suites/feynman.ts, uniform on its ranges), searched with `symbolicRegression`, and
 * counted as recovered when the chosen expression's validation R² exceeds 0.9999.
 * Run: npx tsx bench/sr-feynman.ts [--budget N] [--rows N] [--seed S] [--only ID,ID]
 *      [--options JSON]  (overrides of SrOptions, e.g. '{"populations": 4}')
 */
import { FEYNMAN_TARGETS } from "../src/data/suites/feynman.js";
import { makePointTask } from "../src/data/suites/point-task.js";
import type { SrOptions } from "../src/search/sr/index.js";
import { makeDataset, symbolicRegression } from "../src/search/sr/index.js";

/** The ten equations: one to five variables, products, quotients, sums, sqrt, exp, sin, cos. */
export const SR_FEYNMAN_IDS = [
  "I.6.2a",
  "I.10.7",
  "I.12.4",
  "I.13.4",
  "I.18.12",
  "I.27.6",
  "I.34.8",
  "I.39.22",
  "II.38.14",
  "III.17.37",
] as const;

const R2_RECOVERED = 0.9999;

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

const budget = Number(argument("--budget", "200000"));
const rows = Number(argument("--rows", "500"));
const seed = Number(argument("--seed", "0"));
const only = argument("--only", "");
const overrides = JSON.parse(argument("--options", "{}")) as Partial<SrOptions>;
const ids = only === "" ? [...SR_FEYNMAN_IDS] : only.split(",");

let recovered = 0;
let totalSeconds = 0;
console.log(
  `budget ${budget} evaluations, ${rows} rows (75% train / 25% validation), seed ${seed}`,
);
for (const id of ids) {
  const target = FEYNMAN_TARGETS.find((t) => t.name === `feynman/${id}`);
  if (target === undefined) throw new Error(`no Feynman equation ${id}`);
  const task = makePointTask(target, { seed, train: rows, val: 0, test: 0 });
  const d = task.inputs;
  const columns = Array.from({ length: d }, (_, j) =>
    Float64Array.from({ length: rows }, (_, r) => task.train.x[r * d + j] as number),
  );
  const dataset = makeDataset(
    target.variables.map((v) => v.name),
    columns,
    target.output,
    Float64Array.from(task.train.y),
  );
  const start = performance.now();
  const result = symbolicRegression(dataset, { budget, seed, ...overrides });
  const seconds = (performance.now() - start) / 1000;
  totalSeconds += seconds;
  const ok = result.best.r2 > R2_RECOVERED;
  if (ok) recovered++;
  if (process.argv.includes("--brief")) {
    console.log(
      `${id.padEnd(10)} ${ok ? "ok  " : "MISS"} R² ${result.best.r2.toFixed(8)} ${seconds.toFixed(1)} s c${result.best.complexity} ${result.best.expression.slice(0, 90)}`,
    );
    continue;
  }
  console.log(
    `${id.padEnd(10)} ${ok ? "recovered" : "missed   "} R² ${result.best.r2.toFixed(10)}  ` +
      `${seconds.toFixed(1).padStart(6)} s  ${result.evaluations} evals  complexity ${result.best.complexity}\n` +
      `  true:  ${target.output} = ${target.formula}\n  found: ${result.best.expression}`,
  );
}
console.log(
  `recovered ${recovered} of ${ids.length} (validation R² > ${R2_RECOVERED}), total ${totalSeconds.toFixed(1)} s`,
);
