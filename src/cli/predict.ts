/**
 * `nonlin predict RUN|CHECKPOINT DATA.csv` and `nonlin evaluate RUN|CHECKPOINT DATA.csv`: a
 * trained model on new rows, read and scaled as its task's were (docs/predict-export.md).
 */
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { readTextFile } from "../data/node/load-task.js";
import { readRowsFile } from "../data/rows-file.js";
import type { RowsRead } from "../data/rows-file.js";
import { DataError } from "../data/task.js";
import { startEngine } from "../engine/index.js";
import { disposeState } from "../nn/model.js";
import { csvText } from "../store/csv.js";
import { stateFromHost } from "../train/host-state.js";
import type { Evaluation, Predictions } from "../train/predict.js";
import { evaluatePredictions, predictRows } from "../train/predict.js";
import type { TaskCheckpoint } from "./checkpoint-source.js";
import { loadCheckpoint, requireTask } from "./checkpoint-source.js";
import { UsageError } from "./errors.js";
import { writeAtomically } from "./files.js";
import { makeOutput } from "./output.js";

interface PredictOptions {
  out?: string;
  store?: string;
  json?: boolean;
}

function readData(path: string): string {
  if (!existsSync(path)) throw new DataError(`${path}: no such file`);
  if (statSync(path).isDirectory()) throw new DataError(`${path}: a folder, not a CSV file`);
  return readTextFile(path); // gunzips .gz, as a task's own file
}

/** The checkpoint, the rows of the file and the model's predictions on them. */
async function predictFile(
  subject: string,
  data: string,
  store: string | undefined,
  labelled: boolean,
): Promise<{ loaded: TaskCheckpoint; read: RowsRead; predictions: Predictions }> {
  const loaded = requireTask(loadCheckpoint(subject, store), subject);
  const { spec } = loaded;
  const read = readRowsFile(readData(data), data, spec.task, labelled);
  await startEngine("wasm");
  const state = stateFromHost(loaded.state, spec.dtype);
  try {
    return {
      loaded,
      read,
      predictions: await predictRows(spec, spec.task, state, read.x, read.rows),
    };
  } finally {
    disposeState(state);
  }
}

const rowsOf = (values: Float64Array, rows: number): number[][] => {
  const width = values.length / Math.max(1, rows);
  return Array.from({ length: rows }, (_, r) => [...values.subarray(r * width, (r + 1) * width)]);
};

/** The predictions as a table: the predicted value(s) or class, then each class's probability. */
function predictionTable(
  checkpoint: TaskCheckpoint,
  p: Predictions,
): { columns: string[]; rows: (string | number)[][]; classNames?: string[] } {
  const task = checkpoint.spec.task;
  if (task.kind === "regression")
    return {
      columns: task.targetNames.map((name) => `predicted_${name}`),
      rows: rowsOf(p.values!, p.rows),
    };
  const classNames = task.classNames
    ? [...task.classNames]
    : Array.from({ length: task.classes ?? 2 }, (_, k) => String(k));
  const probabilities = rowsOf(p.probabilities!, p.rows);
  return {
    columns: [
      `predicted_${task.targetNames[0] ?? "class"}`,
      ...classNames.map((name) => `probability_${name}`),
    ],
    rows: p.classes!.map((k, r) => [classNames[k] as string, ...probabilities[r]!]),
    classNames,
  };
}

async function predictCommand(subject: string, data: string, options: PredictOptions) {
  const output = makeOutput(Boolean(options.json));
  if (options.out) {
    const folder = dirname(resolve(options.out));
    if (!existsSync(folder) || !statSync(folder).isDirectory())
      throw new UsageError(`--out ${options.out}: the folder ${folder} does not exist`);
    if (existsSync(options.out) && statSync(options.out).isDirectory())
      throw new UsageError(`--out ${options.out}: a folder; name the CSV file to write`);
  }
  const { loaded, predictions } = await predictFile(subject, data, options.store, false);
  const table = predictionTable(loaded, predictions);
  const text = csvText(table.columns, table.rows);
  if (options.out) {
    writeAtomically(options.out, text);
    output.say(`wrote ${predictions.rows} predictions to ${options.out}`);
  }
  const task = loaded.spec.task;
  output.result(
    {
      checkpoint: loaded.dir,
      run: loaded.runId ?? null,
      data,
      rows: predictions.rows,
      kind: task.kind,
      out: options.out ?? null,
      columns: table.columns,
      outputs: rowsOf(predictions.outputs, predictions.rows),
      ...(task.kind === "regression"
        ? { targets: task.targetNames, values: rowsOf(predictions.values!, predictions.rows) }
        : {
            classNames: table.classNames,
            classes: predictions.classes!.map((k) => table.classNames![k]),
            probabilities: rowsOf(predictions.probabilities!, predictions.rows),
          }),
    },
    () => (options.out ? `${predictions.rows} rows predicted` : text.trimEnd()),
  );
}

function describeEvaluation(evaluation: Evaluation): string {
  const m = evaluation.metrics;
  const main =
    m.accuracy !== undefined
      ? `accuracy ${(100 * m.accuracy).toFixed(2)}%, cross-entropy ${m.loss.toPrecision(6)}`
      : `rmse ${m.rmse!.toPrecision(6)}, mse ${m.loss.toPrecision(6)}` +
        (evaluation.rmseInTargetUnits
          ? ` (scaled targets); rmse in the targets' units ${evaluation.rmseInTargetUnits.map((v) => v.toPrecision(6)).join(", ")}`
          : "");
  return `${evaluation.rows} rows: ${main}`;
}

async function evaluateCommand(subject: string, data: string, options: PredictOptions) {
  const output = makeOutput(Boolean(options.json));
  const { loaded, read, predictions } = await predictFile(subject, data, options.store, true);
  const evaluation = evaluatePredictions(loaded.spec, loaded.spec.task, predictions, read.y!);
  output.result(
    {
      checkpoint: loaded.dir,
      run: loaded.runId ?? null,
      data,
      kind: loaded.spec.task.kind,
      ...evaluation,
    },
    () => describeEvaluation(evaluation),
  );
}

const STORE_HELP = "run store (SQLite) to look RUN up in";

export function registerPredictCommands(program: Command): void {
  program
    .command("predict")
    .description("a trained model's predictions (and class probabilities) for the rows of a CSV")
    .argument("<run|checkpoint>", "a fit run id (or prefix), or a checkpoint folder (fit --out)")
    .argument("<data>", "CSV with the task's feature columns (read as the task's file was)")
    .option("--out <file>", "write the predictions as CSV here (else they are printed)")
    .option("--store <path>", STORE_HELP, "nonlin.db")
    .option("--json", "print one JSON document")
    .addHelpText(
      "after",
      `
Examples:
  nonlin predict runs/iris new-flowers.csv
  nonlin predict r-20261207-101500 new-flowers.csv --out predictions.csv
  nonlin predict runs/iris new-flowers.csv --json`,
    )
    .action(predictCommand);
  program
    .command("evaluate")
    .description("a trained model's metrics (fit's: loss, RMSE or accuracy) on a labelled CSV")
    .argument("<run|checkpoint>", "a fit run id (or prefix), or a checkpoint folder (fit --out)")
    .argument("<data>", "CSV with the task's feature and target columns")
    .option("--store <path>", STORE_HELP, "nonlin.db")
    .option("--json", "print one JSON document")
    .addHelpText(
      "after",
      `
Examples:
  nonlin evaluate runs/iris held-out.csv
  nonlin evaluate r-20261207-101500 held-out.csv --json`,
    )
    .action(evaluateCommand);
}
