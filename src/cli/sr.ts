/** `nonlin sr data.csv --target COLUMN`: symbolic regression over the expression language. */
import { existsSync, readFileSync, statSync } from "node:fs";
import type { Command } from "commander";
import type { FrontEntry, SrResult } from "../search/sr/index.js";
import { datasetFromCsv, DEFAULT_SR_OPTIONS, symbolicRegression } from "../search/sr/index.js";
import { UsageError } from "./errors.js";
import { makeOutput } from "./output.js";

interface SrCommandOptions {
  target: string;
  budget: string;
  seed: string;
  json?: boolean;
}

function wholeNumber(text: string, option: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !(value >= min && value <= max)) {
    throw new UsageError(`${option}: must be a whole number in [${min}, ${max}], got '${text}'`);
  }
  return value;
}

/** The four fields of a front entry that the JSON contract names. */
const shown = (entry: FrontEntry) => ({
  expression: entry.expression,
  complexity: entry.complexity,
  loss: entry.loss,
  r2: entry.r2,
});

function renderFront(result: SrResult, seconds: number): string {
  const rows = result.front.map(
    (e) =>
      `${String(e.complexity).padStart(10)}  ${e.loss.toExponential(4).padStart(12)}  ${e.r2
        .toFixed(8)
        .padStart(12)}  ${e.expression}`,
  );
  const best = result.best;
  return [
    `${"complexity".padStart(10)}  ${"val MSE".padStart(12)}  ${"val R²".padStart(12)}  expression`,
    ...rows,
    "",
    `best: ${best.expression}  (complexity ${best.complexity}, val MSE ${best.loss.toExponential(4)}, val R² ${best.r2.toFixed(8)})`,
    `${result.evaluations} evaluations in ${seconds.toFixed(2)} s`,
  ].join("\n");
}

export function registerSrCommand(program: Command): void {
  program
    .command("sr")
    .description(
      "symbolic regression: search for expressions that fit a CSV column (genetic programming)",
    )
    .argument("<data.csv>", "CSV with a header line; every column except the target is a variable")
    .requiredOption("--target <column>", "the column to fit")
    .option(
      "--budget <n>",
      "candidate evaluations (one = one expression over all training rows)",
      String(DEFAULT_SR_OPTIONS.budget),
    )
    .option("--seed <s>", "seed of the search and of the train/validation split", "0")
    .option("--json", "print one JSON document")
    .addHelpText(
      "after",
      "\nExamples:\n  nonlin sr data.csv --target y\n  nonlin sr data.csv --target y --budget 50000 --seed 3 --json",
    )
    .action((file: string, options: SrCommandOptions) => {
      const output = makeOutput(Boolean(options.json));
      const budget = wholeNumber(options.budget, "--budget", 1, 1e12);
      const seed = wholeNumber(options.seed, "--seed", 0, 0xffffffff);
      if (!existsSync(file) || !statSync(file).isFile())
        throw new UsageError(`${file}: no such file`);
      const dataset = datasetFromCsv(readFileSync(file, "utf8"), file, options.target);
      output.say(
        `sr: ${dataset.rows} rows, target '${dataset.targetName}', variables ${dataset.names.join(", ")}; budget ${budget}, seed ${seed}`,
      );
      const start = performance.now();
      let reported = 0;
      const result = symbolicRegression(dataset, {
        budget,
        seed,
        // On a terminal, a line per tenth of the budget (stdout stays the result's alone).
        onProgress: process.stderr.isTTY
          ? (p) => {
              if (p.evaluations < reported + budget / 10) return;
              reported = p.evaluations;
              process.stderr.write(
                `  ${p.evaluations} / ${budget} evaluations, best training loss / variance ${p.bestNormalizedLoss.toExponential(3)}\n`,
              );
            }
          : undefined,
      });
      const seconds = (performance.now() - start) / 1000;
      output.result(
        {
          target: dataset.targetName,
          variables: dataset.names,
          trainRows: result.trainRows,
          valRows: result.valRows,
          budget,
          seed,
          evaluations: result.evaluations,
          seconds,
          front: result.front.map(shown),
          best: shown(result.best),
        },
        () => renderFront(result, seconds),
      );
    });
}
