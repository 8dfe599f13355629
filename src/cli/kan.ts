/** The `nonlin kan` command group: a trained KAN's edges (`plot`; `edges` lists them). */
import type { Command } from "commander";

/** The `kan` group of the program, made on first use, so each subcommand registers on its own. */
export function kanCommandGroup(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === "kan") ??
    program
      .command("kan")
      .description("a trained KAN's edges: their functions, scores and formulas")
  );
}
