#!/usr/bin/env node
/** The `nonlin` command. */
// first: jax-js looks for a Worker when it is imported (--threads)
import "../exec/threads-preload.js";
import { Command, CommanderError } from "commander";
import { EXIT_BAD_INPUT } from "../base/errors.js";
import { registerActCommands } from "./act.js";
import { registerBenchCommand } from "./bench.js";
import { registerSearchCommand } from "./search.js";
import { describeError, exitCodeOf } from "./errors.js";
import { registerExportCommand } from "./export.js";
import { registerFitCommand } from "./fit.js";
import { registerKanCommands } from "./kan-edges.js";
import { registerKanPlotCommand } from "./kan-plot.js";
import { registerPredictCommands } from "./predict.js";
import { registerRunsCommand } from "./runs.js";
import { registerSrCommand } from "./sr.js";
import { registerTourCommand } from "./tour.js";
import { registerWorkerCommand } from "./worker.js";

function buildProgram(): Command {
  const program = new Command("nonlin")
    .description(
      "a workbench for neuron nonlinearities: define, train, discover and compare them fairly",
    )
    .showHelpAfterError()
    .exitOverride();
  registerActCommands(program);
  registerFitCommand(program);
  registerKanCommands(program);
  registerBenchCommand(program);
  registerSearchCommand(program);
  registerPredictCommands(program);
  registerExportCommand(program);
  registerRunsCommand(program);
  registerKanPlotCommand(program);
  registerSrCommand(program);
  registerTourCommand(program);
  registerWorkerCommand(program);
  for (const command of program.commands.flatMap((c) => [c, ...c.commands])) command.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit with 0; every other commander error is a usage error
      return error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    process.stderr.write(`${describeError(error)}\n`);
    return exitCodeOf(error);
  }
}

process.exitCode = await main(process.argv);
