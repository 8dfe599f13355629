/**
 * pykan's grid extension reproduced (REFERENCES.md §5, pykan's docs/Example/Example_1): runs
 * examples/kan-grid-extension.yaml (KAN [2, 1, 1], grids 3 → 10 → 20 → 50 → 100, 200 L-BFGS steps
 * each) once per model seed, prints the test RMSE after each grid beside pykan's documented
 * figures, and draws test RMSE against grid size and against parameter count (log–log) to an SVG.
 *
 * Run: node --import tsx bench/kan-grid-extension.ts [--seeds 10] [--svg docs/kan-grid-extension.svg]
 *        [--pykan FILE.jsonl]
 * --pykan: pykan's own runs on this machine, JSON lines as written by
 *   /usr/bin/python3 bench/pykan_reference.py grid --pykan PYKAN_DIR --seed S [--grids 3,10,…];
 *   runs over all five grids are drawn beside nonlin's, and every run's first grid is counted
 *   (how many seeds leave the plateau).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { readFitConfig } from "../src/cli/fit.js";
import { loadTask } from "../src/data/node/load-task.js";
import { startEngine } from "../src/engine/index.js";
import type { LegendEntry, Point } from "../src/report/plot.js";
import {
  axes,
  colorAt,
  frameOf,
  legend,
  logScale,
  paddedLogRange,
  polyline,
  scatter,
  svgOpen,
  xRange,
  yRange,
} from "../src/report/plot.js";
import { arrayFrom } from "../src/engine/dtype.js";
import { takeValues } from "../src/engine/ownership.js";
import type { Model, ModelState } from "../src/nn/model.js";
import { jaxEngine } from "../src/train/jax-engine.js";
import { runFit } from "../src/train/run-fit.js";

const SPEC = "examples/kan-grid-extension.yaml";
/** pykan's docs/Example/Example_1_function_fitting (test RMSE after each grid). */
const PYKAN_DOCUMENTED = [1.53e-2, 3.29e-4, 4.04e-5, 1.24e-5, 1.74e-3];

const argument = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1]! : fallback;
};
const seedCount = Number(argument("--seeds", "10"));
const svgPath = argument("--svg", "docs/kan-grid-extension.svg");
const pykanFile = argument("--pykan", "");

interface SeedRun {
  seed: number;
  rmse: number[];
  trainRmse: number[];
  /** Test RMSE on the test rows inside the training rows' box. */
  insideRmse: number[];
  params: number[];
  seconds: number;
}

await startEngine("wasm");
const { config } = readFitConfig(SPEC);
const grids = [
  Number(config.model.layers[0]!.grid_size),
  ...config.phases.flatMap((phase) => (phase.kind === "refine" ? [phase.grid_size] : [])),
];
const task = loadTask(config.task, "examples");
// test rows inside the box of the training rows: the splines extrapolate outside it, over grid
// cells no training point constrains, and at fine grids those few rows dominate the test RMSE
const inputs = task.inputs;
const column = (split: "train" | "test", i: number) =>
  Array.from({ length: task[split].rows }, (_, r) => task[split].x[r * inputs + i]!);
const box = Array.from({ length: inputs }, (_, i) => {
  const values = column("train", i);
  return [Math.min(...values), Math.max(...values)] as const;
});
const insideRows = Array.from({ length: task.test.rows }, (_, r) => r).filter((r) =>
  box.every(([low, high], i) => {
    const v = task.test.x[r * inputs + i]!;
    return v >= low && v <= high;
  }),
);
const insideX = Float64Array.from(
  insideRows.flatMap((r) => Array.from(task.test.x.subarray(r * inputs, (r + 1) * inputs))),
);
function insideRmse(model: Model, state: ModelState): number {
  const out = takeValues(
    model.apply(state, arrayFrom(insideX, [insideRows.length, inputs], model.dtype)),
  );
  const sum = insideRows.reduce((s, r, k) => s + (out[k]! - task.test.y[r]!) ** 2, 0);
  return Math.sqrt(sum / insideRows.length);
}
const runs: SeedRun[] = [];
for (let seed = 0; seed < seedCount; seed++) {
  const started = performance.now();
  const inside: number[] = [];
  const { results } = await runFit(
    jaxEngine,
    { ...config, model: { ...config.model, seed } },
    task,
    {
      onPhase(result, model, state) {
        if (result.kind === "lbfgs") inside.push(insideRmse(model, state));
      },
    },
  );
  const fits = results.filter((r) => r.kind === "lbfgs");
  runs.push({
    seed,
    rmse: fits.map((r) => r.test!.rmse!),
    trainRmse: fits.map((r) => r.train.rmse!),
    insideRmse: inside,
    params: fits.map((r) => r.params),
    seconds: (performance.now() - started) / 1000,
  });
  console.log(
    `seed ${seed}: test ${fits.map((r) => r.test!.rmse!.toExponential(2)).join("  ")}; train ${fits.map((r) => r.train.rmse!.toExponential(2)).join("  ")}; test inside the training box ${inside.map((v) => v.toExponential(2)).join("  ")}  (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
}

interface PykanRun {
  seed: number;
  rows: { grid: number; test_rmse: number; seconds: number }[];
}
const pykanAll: PykanRun[] = pykanFile
  ? readFileSync(pykanFile, "utf8")
      .split("\n")
      // pykan prints its own progress lines on stdout too: the results are the JSON lines
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as PykanRun)
  : [];

const pykanRuns = pykanAll.filter((p) => p.rows.length === grids.length);

console.log(
  `test rows inside the training rows' box: ${insideRows.length} of ${task.test.rows} (box ${box.map(([low, high]) => `[${low.toFixed(5)}, ${high.toFixed(5)}]`).join(" × ")})`,
);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
/** Seeds whose first grid left the plateau near RMSE 0.6 (a local minimum most seeds stay in). */
const PLATEAU = 0.1;
const escaped = runs.filter((r) => r.rmse[0]! < PLATEAU);
const medians = grids.map((_, g) => median(runs.map((r) => r.rmse[g]!)));
const escapedMedians = grids.map((_, g) =>
  escaped.length ? median(escaped.map((r) => r.rmse[g]!)) : NaN,
);
const params = runs[0]!.params;

const e = (v: number) => v.toExponential(2);
console.log(
  `\ngrid | params | pykan (docs) | ${pykanRuns.map((p) => `pykan here seed ${p.seed}`).join(" | ")} | nonlin median of ${runs.length} seeds | nonlin median of the ${escaped.length} seed(s) below ${PLATEAU} at grid ${grids[0]} | ${runs.map((r) => `seed ${r.seed}`).join(" | ")}`,
);
grids.forEach((grid, g) =>
  console.log(
    `${grid} | ${params[g]} | ${e(PYKAN_DOCUMENTED[g]!)} | ${pykanRuns.map((p) => e(p.rows[g]!.test_rmse)).join(" | ")} | ${e(medians[g]!)} | ${e(escapedMedians[g]!)} | ${runs.map((r) => e(r.rmse[g]!)).join(" | ")}`,
  ),
);
const firstGrid = (rmse: { seed: number; first: number }[], who: string) =>
  console.log(
    `${who}: ${rmse.filter((r) => r.first < PLATEAU).length} of ${rmse.length} seeds below ${PLATEAU} after grid ${grids[0]} (${rmse.map((r) => `seed ${r.seed} ${e(r.first)}`).join(", ")})`,
  );
console.log("");
firstGrid(
  runs.map((r) => ({ seed: r.seed, first: r.rmse[0]! })),
  "nonlin",
);
if (pykanAll.length)
  firstGrid(
    pykanAll.map((p) => ({ seed: p.seed, first: p.rows[0]!.test_rmse })),
    "pykan here",
  );
console.log(
  `\nnonlin seconds per seed (5 grids): median ${median(runs.map((r) => r.seconds)).toFixed(1)}; ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(2)}`,
);

/** One log–log panel of test RMSE against `xs` (grid sizes or parameter counts). */
function panel(xs: number[], xLabel: string, offsetX: number): string {
  const frame = frameOf(470, 380, { left: 64, right: 16, top: 40, bottom: 48 });
  const every = [
    ...runs.flatMap((r) => r.rmse),
    ...PYKAN_DOCUMENTED,
    ...pykanRuns.flatMap((p) => p.rows.map((row) => row.test_rmse)),
  ];
  const x = logScale(paddedLogRange(xs), xRange(frame));
  const y = logScale(paddedLogRange(every), yRange(frame));
  const at = (values: number[]): Point[] => xs.map((v, g) => ({ x: v, y: values[g]! }));
  // the spline approximation rate for order 3: RMSE ∝ G^−4 (pykan's plot draws the same line),
  // through the documented grid-3 figure, drawn where it stays inside the plot
  const theory = grids.map((grid) => {
    const value = PYKAN_DOCUMENTED[0]! * (grid / grids[0]!) ** -4;
    return value >= y.domain[0] ? value : NaN;
  });
  const body = [
    axes(frame, x, y, { xLabel, yLabel: "test RMSE", grid: true }),
    ...runs.map((r) => polyline(at(r.rmse), x, y, { color: "#1f77b4", width: 0.8, dash: "2 2" })),
    polyline(at(escapedMedians), x, y, { color: colorAt(0), width: 2.5 }),
    scatter(at(escapedMedians), x, y, { color: colorAt(0) }),
    polyline(at(PYKAN_DOCUMENTED), x, y, { color: colorAt(1), width: 2.5 }),
    scatter(at(PYKAN_DOCUMENTED), x, y, { color: colorAt(1), filled: false }),
    ...pykanRuns.map((p) =>
      polyline(at(p.rows.map((row) => row.test_rmse)), x, y, { color: colorAt(2), width: 1.2 }),
    ),
    polyline(at(theory), x, y, { color: "#777", width: 1, dash: "6 4" }),
  ];
  return `<g transform="translate(${offsetX} 0)">\n${body.join("\n")}\n</g>`;
}

const entries: LegendEntry[] = [
  {
    label: `nonlin, median of the ${escaped.length} of ${runs.length} seeds that leave the plateau at grid ${grids[0]}`,
    color: colorAt(0),
    marker: "disc",
  },
  { label: "nonlin, each seed (the others stay near 0.3–0.6)", color: "#1f77b4", dash: "2 2" },
  { label: "pykan (documented)", color: colorAt(1), marker: "ring" },
  ...(pykanRuns.length
    ? [{ label: `pykan here (torch 1.13), ${pykanRuns.length} seed(s)`, color: colorAt(2) }]
    : []),
  { label: "G^-4 (cubic splines)", color: "#777", dash: "6 4" },
];
const title =
  "Grid extension, KAN [2, 1, 1] on exp(sin(πx) + y²): test RMSE after 200 L-BFGS steps per grid";
const svg = [
  svgOpen(940, 380 + 20 + entries.length * 16, title),
  `<rect width="100%" height="100%" fill="white"/>`,
  `<text x="470" y="20" text-anchor="middle" font-size="14">${title}</text>`,
  panel(grids, "grid size G", 0),
  panel(params, "parameters", 470),
  `<g transform="translate(80 392)">${legend(entries, 0, 0)}</g>`,
  `</svg>`,
].join("\n");
writeFileSync(svgPath, `${svg}\n`);
console.log(`wrote ${svgPath}`);
