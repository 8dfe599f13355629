/**
 * `nonlin kan export RUN|CHECKPOINT --to latex|torch|jax`: the formula a fit read out of its KAN
 * (formula.json, written by `fit --out` when every edge ended fixed) as LaTeX, or as a PyTorch or
 * JAX function of x [..., n] (src/expr/export/formula.ts).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { FormulaTarget } from "../expr/export/formula.js";
import { exportFormula, FORMULA_TARGETS } from "../expr/export/formula.js";
import { parseExpr } from "../expr/parse.js";
import { defaultStorePath, openStore } from "../store/index.js";
import type { KanFormulaResult } from "../train/kan-formula.js";
import { UsageError } from "./errors.js";

interface KanExportOptions {
  to?: string;
  store?: string;
}

/** formula.json of a checkpoint folder, or the formula artifact of a run. */
function formulaFile(target: string, storePath: string | undefined): string {
  if (existsSync(target) && statSync(target).isDirectory()) {
    const file = join(target, "formula.json");
    if (!existsSync(file))
      throw new UsageError(
        `${target}: no formula.json (fit writes one with --out when every kan edge ends fixed)`,
      );
    return file;
  }
  const store = openStore(storePath ?? defaultStorePath());
  try {
    let runId: string;
    try {
      runId = store.findRun(target).id;
    } catch (error) {
      throw new UsageError(
        `${target}: neither a folder nor a run (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    const artifact = store.listArtifacts(runId).find((a) => a.kind === "formula");
    if (!artifact)
      throw new UsageError(`run ${runId} has no formula (it needs --out and every edge fixed)`);
    return artifact.path;
  } finally {
    store.close();
  }
}

function runKanExport(target: string, options: KanExportOptions): void {
  const to = options.to;
  if (!to || !(FORMULA_TARGETS as readonly string[]).includes(to))
    throw new UsageError(`--to: expected one of ${FORMULA_TARGETS.join(", ")}, got '${to ?? ""}'`);
  const saved = JSON.parse(
    readFileSync(formulaFile(target, options.store), "utf8"),
  ) as KanFormulaResult;
  process.stdout.write(
    `${exportFormula(parseExpr(saved.formula), saved.variables, to as FormulaTarget)}\n`,
  );
}

export function registerKanExportCommand(kan: Command): void {
  kan
    .command("export")
    .description("a fit's read-out formula as LaTeX, or a PyTorch or JAX function")
    .argument("<target>", "a fit run (id or prefix) or its --out folder")
    .requiredOption("--to <target>", `one of ${FORMULA_TARGETS.join(", ")}`)
    .option("--store <path>", "run store (SQLite) to find RUN in", "nonlin.db")
    .addHelpText(
      "after",
      `
Examples:
  nonlin fit examples/hello-kan-symbolic.yaml --out runs/hello-symbolic
  nonlin kan export runs/hello-symbolic --to torch > formula.py`,
    )
    .action(runKanExport);
}
