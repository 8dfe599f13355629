/**
 * `nonlin kan plot RUN|CHECKPOINT [--out kan.svg|kan.html]`: the network drawn as pykan's plot()
 * draws it (src/report/kan-diagram.ts), each edge's function over the range its input takes on
 * the task's training rows, its opacity from its attribution score on those rows (prune.ts).
 */
import { dirname, extname } from "node:path";
import type { Command } from "commander";
import { startEngine } from "../engine/index.js";
import { arrayFrom } from "../engine/dtype.js";
import { kanEdgeCurves, kanCurvesUnsupported } from "../nn/kan/edge-curves.js";
import { kanScores } from "../nn/kan/prune.js";
import { disposeState } from "../nn/model.js";
import type { KanDiagram } from "../report/kan-diagram.js";
import { edgeOpacity, renderKanHtml, renderKanSvg } from "../report/kan-diagram.js";
import { UsageError } from "./errors.js";
import { checkOutputFolder, writeAtomically } from "./files.js";
import { readKanSource } from "./kan-source.js";
import { kanCommandGroup } from "./kan.js";
import { makeOutput } from "./output.js";

interface KanPlotOptions {
  out: string;
  config?: string;
  store?: string;
  samples: string;
  json?: boolean;
}

/** The output's format from its name; errors name --out. */
function formatOf(out: string): "svg" | "html" {
  const ext = extname(out).toLowerCase();
  if (ext === ".svg") return "svg";
  if (ext === ".html" || ext === ".htm") return "html";
  throw new UsageError(`--out ${out}: name an .svg or .html file (the format follows the name)`);
}

function samplesOf(text: string): number {
  const samples = Number(text);
  if (!Number.isInteger(samples) || samples < 2 || samples > 10_000)
    throw new UsageError(`--samples ${text}: give a whole number of points from 2 to 10000`);
  return samples;
}

async function runKanPlot(source: string, options: KanPlotOptions): Promise<void> {
  const output = makeOutput(Boolean(options.json));
  const format = formatOf(options.out);
  const samples = samplesOf(options.samples);
  checkOutputFolder(dirname(options.out), "--out");
  await startEngine("wasm");
  const { model, state, task, checkpointDir, run, configNote } = await readKanSource(
    source,
    options,
  );
  if (configNote) output.say(configNote);
  const why = kanCurvesUnsupported(model);
  if (why) throw new UsageError(`${checkpointDir}: cannot draw this model: ${why}`);
  const rows = task.train.rows;
  const x = arrayFrom(task.train.x, [rows, task.inputs], model.dtype);
  const scores = kanScores(model, state, x);
  x.dispose();
  const curves = kanEdgeCurves(model, state, task.train.x, samples);
  disposeState(state);
  // a fixed (symbolic) edge carries its function's name as its label (edge-curves.ts)
  const edges = curves.edges.map((edge) => ({
    ...edge,
    score: scores.edges[edge.layer]![edge.from * curves.widths[edge.layer + 1]! + edge.to]!,
  }));
  const drawn = edges.filter((edge) => edge.active);
  const diagram: KanDiagram = {
    title: `KAN [${curves.widths.join(", ")}] on ${task.name}`,
    widths: curves.widths,
    edges: drawn,
    inputNames: task.featureNames,
    outputNames: task.targetNames.length === curves.widths.at(-1) ? task.targetNames : undefined,
  };
  writeAtomically(
    options.out,
    format === "svg" ? `${renderKanSvg(diagram)}\n` : `${renderKanHtml(diagram)}\n`,
  );
  const summary = {
    ...(run ? { run } : {}),
    checkpoint: checkpointDir,
    out: options.out,
    format,
    widths: curves.widths,
    edges: edges.map(({ layer, from, to, score, active, label }) => ({
      layer,
      from,
      to,
      score,
      opacity: active ? edgeOpacity(score) : 0,
      pruned: !active,
      ...(label !== undefined ? { fixed: label } : {}),
    })),
  };
  output.result(
    summary,
    () =>
      `wrote ${options.out}: KAN [${curves.widths.join(", ")}], ${drawn.length} edge(s) drawn, ${edges.length - drawn.length} pruned`,
  );
}

export function registerKanPlotCommand(program: Command): void {
  kanCommandGroup(program)
    .command("plot")
    .description(
      "draw a trained KAN as pykan's plot(): every edge's function, opacity by its score",
    )
    .argument("<source>", "a fit run id (prefix) in the store, or a checkpoint folder (fit --out)")
    .option("--out <file>", "the picture: .svg, or .html (the SVG in a page)", "kan.svg")
    .option("--config <spec>", "the fit config (needed with a checkpoint folder: its task)")
    .option("--store <path>", "run store (SQLite) to find a run in", "nonlin.db")
    .option("--samples <n>", "points per edge curve", "101")
    .option("--json", "print what was drawn as one JSON document")
    .addHelpText(
      "after",
      `
Examples:
  nonlin fit examples/hello-kan.yaml --out runs/hello
  nonlin kan plot runs/hello --config examples/hello-kan.yaml --out hello.svg
  nonlin kan plot r-20261208 --out hello.html`,
    )
    .action(runKanPlot);
}
