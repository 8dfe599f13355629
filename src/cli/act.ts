/** `nonlin act list | show | export`: the zoo and any expression. */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import type { ActivationProperties } from "../analysis/properties.js";
import { measureProperties } from "../analysis/properties.js";
import { startEngine } from "../engine/index.js";
import type { Activation } from "../expr/ast.js";
import { EXPORT_TARGETS, exportActivation } from "../expr/export/index.js";
import type { ExportTarget } from "../expr/export/index.js";
import { canonicalText, structuralHash } from "../expr/hash.js";
import { printActivation } from "../expr/print.js";
import { renderCurveSvg } from "../report/svg.js";
import { ZOO, resolveActivation, zooEntryEqualTo } from "../zoo/index.js";
import type { ZooEntry } from "../zoo/index.js";
import { UsageError } from "./errors.js";
import { makeOutput } from "./output.js";

function parameterRows(activation: Activation): object[] {
  return Object.entries(activation.params).map(([name, spec]) => ({ name, ...spec }));
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(6);
}

/** A grid point without float noise: 4.49, not 4.49000 or 4.4900000000000002. */
const gridX = (x: number): string => String(Number(x.toPrecision(6)));

function identifierFor(entry: ZooEntry | undefined): string {
  return entry
    ? entry.name.replace(/-([a-z0-9])/g, (_, ch: string) => ch.toUpperCase())
    : "activation";
}

function renderShow(
  subject: string,
  activation: Activation,
  entry: ZooEntry | undefined,
  latex: string,
  properties: ActivationProperties,
  equalTo: ZooEntry | undefined,
): string {
  const p = properties;
  const lines = [
    entry ? `${entry.name} — ${entry.family}` : subject,
    entry ? `  source:       ${entry.source}` : "",
    entry?.notes ? `  notes:        ${entry.notes}` : "",
    !entry && equalTo
      ? `  zoo:          equals ${equalTo.name} (the same canonical form; \`nonlin act show ${equalTo.name}\`)`
      : "",
    `  formula:      ${printActivation(activation)}`,
    `  canonical:    ${canonicalText(activation)}`,
    `  LaTeX:        ${latex}`,
    `  parameters:   ${
      Object.entries(activation.params)
        .map(
          ([name, s]) =>
            `${name} = ${s.init} (${s.learnable ? "learnable" : "fixed"}, ${s.sharing})`,
        )
        .join("; ") || "none"
    }`,
    `  measured on [${p.interval.join(", ")}] with ${p.samples} points${p.contextDependent ? " (context-dependent: one unit among standard-normal neighbours)" : ""}:`,
    `    range        [${formatNumber(p.range.min)}, ${formatNumber(p.range.max)}]`,
    `    slope        [${formatNumber(p.slope.min)}, ${formatNumber(p.slope.max)}]`,
    `    monotonic    ${p.monotonicity}${p.nonFinite ? " (where f is finite)" : ""}`,
    `    f(0), f'(0)  ${formatNumber(p.valueAtZero)}, ${formatNumber(p.slopeAtZero)}`,
    p.nonFinite
      ? `    Lipschitz    unbounded on [${p.interval.join(", ")}]: f overflows or is NaN at ${p.nonFinite.count} of ${p.samples} points (x = ${gridX(p.nonFinite.firstX)} … ${gridX(p.nonFinite.lastX)})`
      : `    Lipschitz    ${formatNumber(p.lipschitzEstimate)} (largest difference quotient on the grid)`,
  ];
  return lines.filter((line) => line !== "").join("\n");
}

function parseTarget(text: string): ExportTarget {
  if ((EXPORT_TARGETS as readonly string[]).includes(text)) return text as ExportTarget;
  throw new UsageError(
    `--to: unknown export target '${text}'; choose one of ${EXPORT_TARGETS.join(", ")}`,
  );
}

export function registerActCommands(program: Command): void {
  const act = program.command("act").description("the activation zoo and the expression language");

  act
    .command("list")
    .description("list the zoo")
    .option("--json", "print one JSON document")
    .addHelpText("after", "\nExamples:\n  nonlin act list\n  nonlin act list --json")
    .action((options: { json?: boolean }) => {
      const out = makeOutput(Boolean(options.json));
      const rows = ZOO.map((entry) => ({
        ...entry,
        hash: structuralHash(resolveActivation(entry.name).activation),
      }));
      out.result(rows, () => {
        const width = Math.max(...ZOO.map((entry) => entry.name.length));
        return ZOO.map(
          (entry) => `${entry.name.padEnd(width)}  ${entry.family.padEnd(17)}  ${entry.text}`,
        ).join("\n");
      });
    });

  act
    .command("show <activation>")
    .description(
      "formula, LaTeX, parameters and measured properties of a zoo name or an expression",
    )
    .option("--svg <file>", "write a plot of f and f' as SVG")
    .option("--json", "print one JSON document")
    .addHelpText(
      "after",
      `\nExamples:\n  nonlin act show gelu\n  nonlin act show "x * sigmoid(beta * x) where beta = 1.5" --svg swish.svg\n  nonlin act show crrelu --json`,
    )
    .action(async (subject: string, options: { svg?: string; json?: boolean }) => {
      const out = makeOutput(Boolean(options.json));
      const { activation, entry } = resolveActivation(subject);
      const equalTo = entry ? undefined : zooEntryEqualTo(activation);
      const latex = exportActivation(activation, "latex", identifierFor(entry));
      await startEngine("wasm");
      const properties = measureProperties(activation);
      if (options.svg) {
        const title = entry ? entry.name : printActivation(activation);
        writeFileSync(options.svg, renderCurveSvg({ title, ...properties.curve }));
        out.say(`wrote ${options.svg}`);
      }
      const { curve: _curve, ...measured } = properties;
      out.result(
        {
          name: entry?.name ?? null,
          family: entry?.family ?? null,
          source: entry?.source ?? null,
          equalsZooEntry: equalTo?.name ?? null,
          formula: printActivation(activation),
          canonical: canonicalText(activation),
          hash: structuralHash(activation),
          latex,
          parameters: parameterRows(activation),
          properties: measured,
        },
        () => renderShow(subject, activation, entry, latex, properties, equalTo),
      );
    });

  act
    .command("export <activation>")
    .description("export a zoo name or an expression to PyTorch, JAX, LaTeX or TypeScript")
    .requiredOption("--to <target>", `one of ${EXPORT_TARGETS.join(", ")}`)
    .option("--json", "print one JSON document")
    .addHelpText(
      "after",
      `\nExamples:\n  nonlin act export crrelu --to torch > crrelu.py\n  nonlin act export "x * tanh(softplus(x))" --to latex`,
    )
    .action((subject: string, options: { to: string; json?: boolean }) => {
      const out = makeOutput(Boolean(options.json));
      const target = parseTarget(options.to);
      const { activation, entry } = resolveActivation(subject);
      const code = exportActivation(activation, target, identifierFor(entry));
      out.result({ name: entry?.name ?? null, target, code }, () => code.trimEnd());
    });
}
