/**
 * `nonlin kan edges RUN|CHECKPOINT`: every edge of a trained B-spline KAN with its attribution
 * score and state — a spline with its top library candidates and their R² (pykan's
 * suggest_symbolic), a fixed edge with its function and constants, or pruned. The edges are
 * sampled on the run's training inputs, so the task comes from the run's config (RUN) or from a
 * fit spec (CHECKPOINT: `--config`, else the spec named in the folder's results.json).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { kanCommandGroup } from "./kan.js";
import { DEFAULT_EDGE_FIT } from "../analysis/edge-fit.js";
import { DEFAULT_EDGE_LIBRARY } from "../analysis/edge-library.js";
import { startEngine } from "../engine/index.js";
import { arrayFrom, takeValues } from "../engine/index.js";
import { KanLayer } from "../nn/kan/bspline.js";
import { SYMBOLIC_AFFINE } from "../nn/kan/symbolic-edges.js";
import { edgeCandidates } from "../train/kan-symbolic.js";
import { kanScores } from "../nn/kan/prune.js";
import { UsageError } from "./errors.js";
import { makeOutput } from "./output.js";
import { readKanSource } from "./kan-source.js";
import { registerKanExportCommand } from "./kan-export.js";

interface KanEdgesOptions {
  config?: string;
  store?: string;
  top?: string;
  json?: boolean;
}

/**
 * The fit config to read the task from: --config, else (a checkpoint folder) the spec its
 * results.json names — fit writes it there; a run's stored config is kan-source.ts's default.
 */
function configFor(target: string, options: KanEdgesOptions): string | undefined {
  if (options.config) return options.config;
  const results = join(target, "results.json");
  if (!existsSync(target) || !statSync(target).isDirectory() || !existsSync(results))
    return undefined;
  const { spec } = JSON.parse(readFileSync(results, "utf8")) as { spec?: string };
  return spec && existsSync(spec) ? spec : undefined;
}

function parseTop(text: string | undefined): number {
  if (text === undefined) return 5;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`--top: expected a positive integer, got '${text}'`);
  return value;
}

async function runKanEdges(target: string, options: KanEdgesOptions): Promise<void> {
  const output = makeOutput(Boolean(options.json));
  const top = parseTop(options.top);
  await startEngine("wasm");
  const source = await readKanSource(target, {
    config: configFor(target, options),
    store: options.store,
  });
  const { model, state, task, checkpointDir: dir } = source;
  const kanIndex = model.layers.findIndex((layer) => !(layer instanceof KanLayer));
  if (kanIndex >= 0)
    throw new UsageError(`${dir}: layers[${kanIndex}] is not a B-spline kan layer`);
  const x = arrayFrom(task.train.x, [task.train.rows, ...model.inputShape], model.dtype);
  const candidates = edgeCandidates(model, state, x, DEFAULT_EDGE_LIBRARY, DEFAULT_EDGE_FIT);
  const scores = kanScores(model, state, x).edges;
  x.dispose();
  const edges = model.layers.flatMap((layer, l) => {
    const kan = layer as KanLayer;
    const s = state[l]!;
    const mask = takeValues(kan.array(s, "mask"));
    const affine = kan.symbolic.count > 0 ? takeValues(kan.array(s, SYMBOLIC_AFFINE)) : undefined;
    return Array.from({ length: kan.inputs * kan.units }, (_, e) => {
      const input = Math.floor(e / kan.units);
      const unit = e % kan.units;
      const at = { layer: l, input, unit, score: scores[l]![e]! };
      const k = kan.symbolic.edges.findIndex((f) => f.input === input && f.unit === unit);
      if (k >= 0) {
        const [a, b, c, d] = Array.from(affine!.subarray(4 * k, 4 * k + 4));
        const edge = kan.symbolic.edges[k]!;
        return {
          ...at,
          state: "fixed" as const,
          fixed: { function: edge.name ?? edge.expr, expr: edge.expr, a, b, c, d },
        };
      }
      if (mask[e] === 0) return { ...at, state: "pruned" as const };
      const found = candidates.find((c) => c.layer === l && c.input === input && c.unit === unit);
      return {
        ...at,
        state: "spline" as const,
        candidates: (found?.fits ?? []).slice(0, top).map((fit) => ({
          function: fit.name,
          r2: fit.r2,
          score: fit.score,
          a: fit.a,
          b: fit.b,
          c: fit.c,
          d: fit.d,
        })),
      };
    });
  });
  output.result({ checkpoint: dir, task: task.name, edges }, () =>
    edges
      .map((edge) => {
        const head = `edge ${edge.layer}.${edge.input}.${edge.unit}  score ${edge.score.toExponential(3)}  ${edge.state}`;
        if (edge.state === "fixed")
          return `${head}: ${edge.fixed.function}  (a ${edge.fixed.a}, b ${edge.fixed.b}, c ${edge.fixed.c}, d ${edge.fixed.d})`;
        if (edge.state === "pruned") return head;
        return `${head}\n${edge.candidates
          .map(
            (c) =>
              `    ${c.function.padEnd(10)} R² ${c.r2.toFixed(6)}  score ${c.score.toFixed(3)}`,
          )
          .join("\n")}`;
      })
      .join("\n"),
  );
}

export function registerKanCommands(program: Command): void {
  const kan = kanCommandGroup(program);
  registerKanExportCommand(kan);
  kan
    .command("edges")
    .description("each edge's importance score and its top symbolic candidates with R²")
    .argument("<target>", "a fit run (id or prefix) with a checkpoint, or a checkpoint folder")
    .option("--config <file>", "the fit spec a checkpoint folder was trained from (its task)")
    .option("--top <n>", "candidates shown per edge", "5")
    .option("--store <path>", "run store (SQLite) to find RUN in", "nonlin.db")
    .option("--json", "print the edges as one JSON document")
    .addHelpText(
      "after",
      `
Examples:
  nonlin fit examples/hello-kan.yaml --out runs/hello
  nonlin kan edges runs/hello
  nonlin kan edges runs/hello --config examples/hello-kan.yaml --top 3 --json`,
    )
    .action(runKanEdges);
}
