/** `nonlin tour`: the main job until search exists — a short walk through the zoo and the language. */
import type { Command } from "commander";
import { measureProperties } from "../analysis/properties.js";
import { startEngine } from "../engine/index.js";
import { canonicalText, structuralHash } from "../expr/hash.js";
import { exportActivation } from "../expr/export/index.js";
import { parseActivation } from "../expr/parse.js";
import { ZOO, resolveActivation } from "../zoo/index.js";
import { makeOutput } from "./output.js";

const TOUR_NAMES = ["relu", "gelu", "swish", "crrelu", "polynorm", "biper"];

export function registerTourCommand(program: Command): void {
  program
    .command("tour")
    .description("a quick tour: a few zoo entries, their measured properties, one export")
    .option("--json", "print one JSON document")
    .action(async (options: { json?: boolean }) => {
      const out = makeOutput(Boolean(options.json));
      await startEngine("wasm");
      out.say(`nonlin: ${ZOO.length} activations in the zoo. A few of them, measured on [-6, 6]:`);
      const rows = TOUR_NAMES.map((name) => {
        const { activation } = resolveActivation(name);
        const p = measureProperties(activation);
        return {
          name,
          canonical: canonicalText(activation),
          range: [p.range.min, p.range.max],
          slope: [p.slope.min, p.slope.max],
          monotonicity: p.monotonicity,
          lipschitzEstimate: p.lipschitzEstimate,
        };
      });
      const same = [parseActivation("x*sigmoid(x)"), parseActivation("sigmoid(x)*x")].map(
        structuralHash,
      );
      const torch = exportActivation(resolveActivation("swish").activation, "torch", "swish");
      out.result({ activations: rows, sameCandidateHashes: same, swishTorch: torch }, () =>
        [
          ...rows.map(
            (r) =>
              `  ${r.name.padEnd(9)} range [${r.range.map((v) => v.toFixed(3)).join(", ")}]  slope [${r.slope
                .map((v) => v.toFixed(3))
                .join(", ")}]  ${r.monotonicity.padEnd(13)}  ${r.canonical}`,
          ),
          "",
          `x*sigmoid(x) and sigmoid(x)*x are one candidate: hashes ${same.join(" = ")}`,
          "",
          "swish exported to PyTorch:",
          torch.trimEnd(),
          "",
          "Next: nonlin act list · nonlin act show gelu --svg gelu.svg · nonlin act export crrelu --to jax",
        ].join("\n"),
      );
    });
}
