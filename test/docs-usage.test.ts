/**
 * The usage block at the top of docs/bench.md and docs/search.md promises only options the
 * command has, with the same argument (`--resume RUN` for `--resume <run>`, or the values
 * themselves: `--device wasm|webgpu`), and docs/bench.md's output folder lists only the files
 * bench writes there.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Command } from "commander";
import { registerBenchCommand } from "../src/cli/bench.js";
import { registerSearchCommand } from "../src/cli/search.js";

/** Each `--flag ARG` (or bare `--flag`) in the first fenced block of a doc. */
function documentedFlags(path: string): Map<string, string | undefined> {
  const block = /```\n([\s\S]*?)```/.exec(readFileSync(path, "utf8"))![1]!;
  const flags = new Map<string, string | undefined>();
  for (const [, flag, arg] of block.matchAll(/(--[a-z-]+)(?: ([^\s\]]+))?/g))
    flags.set(flag!, arg?.startsWith("--") ? undefined : arg);
  return flags;
}

/** Each option of a registered command: its long flag and its argument's name. */
function commandFlags(register: (program: Command) => void): Map<string, string | undefined> {
  const program = new Command();
  register(program);
  const command = program.commands[0]!;
  return new Map(command.options.map((o) => [o.long!, /<([^>]+)>/.exec(o.flags)?.[1]] as const));
}

describe("command docs", () => {
  for (const [doc, register] of [
    ["docs/bench.md", registerBenchCommand],
    ["docs/search.md", registerSearchCommand],
  ] as const)
    it(`${doc} promises only options the command has, with their arguments`, () => {
      const real = commandFlags(register);
      for (const [flag, arg] of documentedFlags(doc)) {
        assert.ok(real.has(flag), `${doc}: ${flag} is not an option`);
        const wanted = real.get(flag);
        if (wanted === undefined) assert.equal(arg, undefined, `${doc}: ${flag} takes nothing`);
        else if (!arg?.includes("|"))
          assert.equal(arg, wanted.toUpperCase(), `${doc}: ${flag} takes ${wanted}`);
      }
    });

  it("docs/bench.md lists only the files bench writes in its output folder", () => {
    const text = readFileSync("docs/bench.md", "utf8");
    const output = text.slice(
      text.indexOf("## Output"),
      text.indexOf("\n## ", text.indexOf("## Output") + 1),
    );
    const named = [...output.matchAll(/`([\w.-]+\.(?:jsonl?|md|html|csv))`/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(named)].sort(), ["report.html", "report.md", "results.json"]);
  });
});
