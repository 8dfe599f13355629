/** `nonlin sr data.csv --target COLUMN`: symbolic regression over the expression language. */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { cpus, platform } from "node:os";
import { basename, resolve } from "node:path";
import type { Command } from "commander";
import type { FrontEntry, ModelSelection, SrOptions, SrResult } from "../search/sr/index.js";
import {
  checkSrOptions,
  datasetFromCsv,
  DEFAULT_SR_OPTIONS,
  displayName,
  MODEL_SELECTIONS,
  parseArgumentSizes,
  parseNested,
  parseOperators,
  symbolicRegression,
} from "../search/sr/index.js";
import { defaultStorePath, openStore } from "../store/index.js";
import { UsageError } from "./errors.js";
import { makeOutput } from "./output.js";
import { recordFailure } from "./run-session.js";
import { recordSrResult } from "./sr-record.js";

interface SrCommandOptions {
  target: string;
  budget: string;
  seed: string;
  operators?: string;
  maxsize: string;
  maxdepth: string;
  nested?: string;
  constraints?: string;
  select: string;
  store?: string;
  json?: boolean;
}

/** The largest --maxsize and --maxdepth (PySR warns above a few dozen; this is a sanity bound). */
const MAX_LIMIT = 1000;

function wholeNumber(text: string, option: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !(value >= min && value <= max)) {
    throw new UsageError(`${option}: must be a whole number in [${min}, ${max}], got '${text}'`);
  }
  return value;
}

/** The fields of a front entry that the JSON contract names: rounded, and raw as searched. */
const shown = (entry: FrontEntry) => ({
  expression: entry.expression,
  complexity: entry.complexity,
  loss: entry.loss,
  r2: entry.r2,
  raw: entry.raw,
});

/**
 * The search options the command line sets, every one checked here: bad input exits 2 before
 * the data is read or the store is opened.
 */
function searchOptions(options: SrCommandOptions): Partial<SrOptions> {
  const operators = options.operators
    ? parseOperators(options.operators)
    : { binary: [...DEFAULT_SR_OPTIONS.binary], unary: [...DEFAULT_SR_OPTIONS.unary] };
  if (!(MODEL_SELECTIONS as readonly string[]).includes(options.select))
    throw new UsageError(
      `--select: must be one of ${MODEL_SELECTIONS.join(", ")}, got '${options.select}'`,
    );
  const partial: Partial<SrOptions> = {
    budget: wholeNumber(options.budget, "--budget", 1, 1e12),
    seed: wholeNumber(options.seed, "--seed", 0, 0xffffffff),
    maxSize: wholeNumber(options.maxsize, "--maxsize", 1, MAX_LIMIT),
    maxDepth: wholeNumber(options.maxdepth, "--maxdepth", 1, MAX_LIMIT),
    ...operators,
    nested: options.nested ? parseNested(options.nested, operators) : new Map(),
    argumentSizes: options.constraints
      ? parseArgumentSizes(options.constraints, operators)
      : new Map(),
    selection: options.select as ModelSelection,
  };
  checkSrOptions({ ...DEFAULT_SR_OPTIONS, ...partial });
  return partial;
}

/** The options as the store keeps them (JSON): operators by the names users write. */
function storedConfig(file: string, target: string, options: Partial<SrOptions>) {
  return {
    data: resolve(file),
    dataSha256: createHash("sha256").update(readFileSync(file)).digest("hex"),
    target,
    budget: options.budget,
    seed: options.seed,
    operators: [...(options.binary ?? []), ...(options.unary ?? [])].map(displayName),
    maxsize: options.maxSize,
    maxdepth: options.maxDepth,
    nested: Object.fromEntries(
      [...(options.nested ?? new Map())].map(([outer, inner]) => [
        displayName(outer),
        Object.fromEntries([...inner].map(([op, n]) => [displayName(op), n])),
      ]),
    ),
    constraints: Object.fromEntries(
      [...(options.argumentSizes ?? new Map())].map(([op, sizes]) => [displayName(op), sizes]),
    ),
    select: options.selection,
  };
}

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
    ...(best.raw.expression === best.expression
      ? []
      : [`  before rounding: ${best.raw.expression}  (val R² ${best.raw.r2.toFixed(8)})`]),
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
    .option(
      "--operators <list>",
      `operators to search with, PySR's names, comma-separated (default: ${[...DEFAULT_SR_OPTIONS.binary, ...DEFAULT_SR_OPTIONS.unary].map(displayName).join(",")})`,
    )
    .option(
      "--maxsize <n>",
      "largest complexity (node count) of a formula (PySR's maxsize)",
      String(DEFAULT_SR_OPTIONS.maxSize),
    )
    .option(
      "--maxdepth <n>",
      "largest depth of a formula's tree (PySR's maxdepth)",
      String(DEFAULT_SR_OPTIONS.maxDepth),
    )
    .option(
      "--nested <spec>",
      "PySR's nested_constraints, e.g. 'sin:sin=0,cos=0;exp:exp=0' (no sin or cos inside a sin, no exp inside an exp)",
    )
    .option(
      "--constraints <spec>",
      "PySR's constraints (largest size of each argument, -1 for none), e.g. '/:-1,3;sin:5'",
    )
    .option(
      "--select <how>",
      `model selection, PySR's: ${MODEL_SELECTIONS.join(" | ")}`,
      DEFAULT_SR_OPTIONS.selection,
    )
    .option("--store <path>", "run store (SQLite) to record the run in", "nonlin.db")
    .option("--json", "print one JSON document")
    .addHelpText(
      "after",
      `
Examples:
  nonlin sr data.csv --target y
  nonlin sr data.csv --target y --budget 50000 --seed 3 --json
  nonlin sr data.csv --target y --operators "+,-,*,/,sin,exp" --maxsize 20 --nested "sin:sin=0"
  nonlin sr data.csv --target y --select accuracy --store results/nonlin.db`,
    )
    .action((file: string, options: SrCommandOptions) => {
      const output = makeOutput(Boolean(options.json));
      const partial = searchOptions(options);
      if (!existsSync(file) || !statSync(file).isFile())
        throw new UsageError(`${file}: no such file`);
      const dataset = datasetFromCsv(readFileSync(file, "utf8"), file, options.target);
      const budget = partial.budget as number;
      const seed = partial.seed as number;
      const config = storedConfig(file, dataset.targetName, partial);
      const configHash = createHash("sha256")
        .update(JSON.stringify(config))
        .digest("hex")
        .slice(0, 16);
      // input is checked: now the store (a bad --store exits 2 with nothing run)
      const store = openStore(options.store ?? defaultStorePath());
      const runId = store.createRun({
        command: "sr",
        config,
        configHash,
        name: basename(file),
        machine: {
          cpus: cpus().length,
          platform: platform(),
          node: process.version,
          device: "cpu",
        },
      });
      try {
        output.say(
          `sr: ${dataset.rows} rows, target '${dataset.targetName}', variables ${dataset.names.join(", ")}; budget ${budget}, seed ${seed}; run ${runId} (store ${store.path})`,
        );
        const start = performance.now();
        let reported = 0;
        const result = symbolicRegression(dataset, {
          ...partial,
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
        recordSrResult(store, runId, result);
        store.finishRun(runId, "done");
        output.result(
          {
            run: runId,
            target: dataset.targetName,
            variables: dataset.names,
            trainRows: result.trainRows,
            valRows: result.valRows,
            budget,
            seed,
            select: partial.selection,
            evaluations: result.evaluations,
            seconds,
            front: result.front.map(shown),
            best: shown(result.best),
          },
          () => renderFront(result, seconds),
        );
      } catch (error) {
        recordFailure(store, runId, error);
        throw error;
      } finally {
        store.close();
      }
    });
}
