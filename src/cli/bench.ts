/**
 * `nonlin bench <config.yaml> | --preset NAME`: the fair comparison. The config is checked and
 * every cell sized before any training; each finished trial is appended (and flushed) to
 * trials.jsonl so a killed run keeps it and `--resume DIR` skips it; results.json, report.md and
 * report.html are written at the end.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { cpus, platform } from "node:os";
import { join } from "node:path";
import { MultiBar, Presets } from "cli-progress";
import type { Command } from "commander";
import { TASK_CATALOG } from "../data/catalog.js";
import { parseDeviceName, startEngine } from "../engine/index.js";
import type { BenchConfig } from "../bench/config.js";
import { BenchConfigError, parseBenchConfig } from "../bench/config.js";
import { planBench } from "../bench/plan.js";
import { PRESET_NAMES, presetConfig } from "../bench/presets.js";
import type { BenchResults, TrialResult } from "../bench/results.js";
import { runBench } from "../bench/run.js";
import { benchHtml } from "../report/bench-html.js";
import { benchMarkdown } from "../report/bench-markdown.js";
import { benchTable } from "../report/bench-table.js";
import { UsageError } from "./errors.js";
import { appendLineDurably, readYamlFile, writeAtomically } from "./files.js";
import { makeOutput } from "./output.js";

interface BenchOptions {
  preset?: string;
  quick?: boolean;
  out?: string;
  resume?: string;
  seeds?: string;
  device: string;
  json?: boolean;
  listTasks?: boolean;
}

const TRIALS_FILE = "trials.jsonl";

/** The config of the command line: a file or a preset, with --quick and --seeds applied. */
function readConfig(file: string | undefined, options: BenchOptions): BenchConfig {
  if (file && options.preset) throw new UsageError("give a config file or --preset NAME, not both");
  if (!file && !options.preset)
    throw new UsageError(
      `give a config file or --preset NAME (presets: ${PRESET_NAMES.join(", ")})`,
    );
  let raw: unknown;
  if (options.preset) {
    if (!(PRESET_NAMES as readonly string[]).includes(options.preset))
      throw new UsageError(
        `--preset: unknown preset '${options.preset}' (presets: ${PRESET_NAMES.join(", ")})`,
      );
    raw = presetConfig(options.preset, Boolean(options.quick));
  } else {
    raw = readYamlFile(file as string).raw;
    if (options.quick)
      throw new UsageError("--quick: only presets can be shrunk; edit the config file instead");
  }
  if (options.seeds !== undefined) {
    const seeds = Number(options.seeds);
    if (!Number.isInteger(seeds) || seeds < 1)
      throw new UsageError(`--seeds: expected a positive integer, got '${options.seeds}'`);
    raw = { ...(raw as object), seeds };
  }
  try {
    return parseBenchConfig(raw);
  } catch (error) {
    if (error instanceof BenchConfigError && file)
      throw new BenchConfigError(`${file}: ${error.message.split("\n").join(`\n${file}: `)}`);
    throw error;
  }
}

const hashOf = (config: BenchConfig): string =>
  createHash("sha256").update(JSON.stringify(config)).digest("hex").slice(0, 16);

/** Trials already in a run directory; a last line cut short by a kill is ignored. */
function readDoneTrials(dir: string): TrialResult[] {
  const path = join(dir, TRIALS_FILE);
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, "utf8").split("\n");
  return lines.flatMap((line) => {
    if (line.trim() === "") return [];
    try {
      return [JSON.parse(line) as TrialResult];
    } catch {
      return [];
    }
  });
}

function defaultOutDir(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return join("runs", `bench-${name}-${stamp}`);
}

function writeReports(dir: string, results: BenchResults): void {
  writeAtomically(join(dir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeAtomically(join(dir, "report.md"), benchMarkdown(results));
  writeAtomically(join(dir, "report.html"), benchHtml(results));
}

function listTasks(json: boolean): void {
  const output = makeOutput(json);
  const rows = TASK_CATALOG.map((e) => ({
    name: e.name,
    family: e.family,
    kind: e.kind,
    metric: e.metric,
    inputShape: e.inputShape,
    outputs: e.outputs,
    description: e.description,
  }));
  output.result(rows, () =>
    rows
      .map(
        (r) => `${r.name.padEnd(28)} ${r.family.padEnd(17)} ${r.kind.padEnd(15)} ${r.description}`,
      )
      .join("\n"),
  );
}

async function runBenchCommand(file: string | undefined, options: BenchOptions): Promise<void> {
  const json = Boolean(options.json);
  if (options.listTasks) return listTasks(json);
  const output = makeOutput(json);
  const device = parseDeviceName(options.device);
  const config = readConfig(file, options);
  const plan = planBench(config);
  const configHash = hashOf(config);
  const dir = options.resume ?? options.out ?? defaultOutDir(config.name);
  let done: TrialResult[] = [];
  if (options.resume) {
    const saved = join(options.resume, "config.json");
    if (!existsSync(saved)) throw new UsageError(`--resume: ${saved} not found`);
    const previous = JSON.parse(readFileSync(saved, "utf8")) as { hash: string };
    if (previous.hash !== configHash)
      throw new UsageError(
        `--resume: ${options.resume} was written for another config (hash ${previous.hash}, this one ${configHash})`,
      );
    done = readDoneTrials(options.resume);
    // drop a line a kill cut short, so the trials appended next start on a line of their own
    writeAtomically(
      join(options.resume, TRIALS_FILE),
      done.map((trial) => `${JSON.stringify(trial)}\n`).join(""),
    );
    output.say(`resuming: ${done.length} trial(s) already done`);
  }
  mkdirSync(dir, { recursive: true });
  writeAtomically(
    join(dir, "config.json"),
    `${JSON.stringify({ hash: configHash, config }, null, 2)}\n`,
  );
  await startEngine(device);
  for (const task of plan.tasks) await task.entry.prepare?.();
  const total = plan.tasks.length * config.seeds * plan.candidates.length;
  output.say(
    `bench ${config.name}: ${plan.tasks.length} task(s) × ${plan.candidates.length} candidate(s) × ${config.seeds} seed(s) = ${total} trials, fairness ${config.fairness.mode}${config.fairness.budget ? ` ${config.fairness.budget}` : ""}; writing ${dir}`,
  );
  const tty = process.stderr.isTTY && !json;
  const bars = tty
    ? new MultiBar(
        {
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
          format: "{label} [{bar}] {value}/{total} {info}",
          etaBuffer: 20,
        },
        Presets.shades_classic,
      )
    : undefined;
  const trialsBar = bars?.create(total, 0, { label: "trials", info: "ETA {eta_formatted}" });
  const epochBar = bars?.create(config.training.epochs, 0, { label: "epochs", info: "" });
  if (trialsBar) trialsBar.update(0, { info: "" });
  const started = performance.now();
  let ran = 0;
  const results = runBench(
    plan,
    (t, seed) => plan.tasks[t]!.entry.make({ ...plan.tasks[t]!.request, seed }),
    {
      done,
      machine: { cpus: cpus().length, platform: platform(), node: process.version, device },
      memory: () => process.memoryUsage().rss,
      onTrialStart(ref) {
        epochBar?.update(0, { info: `${ref.task} · ${ref.candidate} · seed ${ref.seedIndex}` });
      },
      onEpoch(epoch, of, loss) {
        epochBar?.setTotal(of);
        epochBar?.update(epoch, {
          info: `loss ${loss.toExponential(3)}`,
        });
      },
      onTrialEnd(ref, result) {
        const fresh = !done.includes(result);
        if (fresh) {
          appendLineDurably(join(dir, TRIALS_FILE), JSON.stringify(result));
          ran++;
        }
        const elapsed = (performance.now() - started) / 1000;
        const left = total - ref.index - 1;
        const eta = ran > 0 ? (elapsed / ran) * left : 0;
        if (trialsBar) trialsBar.update(ref.index + 1, { info: `ETA ${Math.round(eta)} s` });
        else if (fresh)
          output.say(
            `[${ref.index + 1}/${total}] ${ref.task} · ${ref.candidate} · seed ${ref.seedIndex}: test ${result.test.metric.toPrecision(4)} (${result.epochs} epochs, ${result.secondsPerEpoch.toFixed(3)} s/epoch)${result.diverged ? " DIVERGED" : ""}`,
          );
      },
    },
  );
  bars?.stop();
  writeReports(dir, results);
  output.result(
    results,
    () =>
      `${benchTable(results, { color: false })}\nwrote ${dir}/results.json, report.md, report.html`,
  );
}

export function registerBenchCommand(program: Command): void {
  program
    .command("bench")
    .description("compare nonlinearities fairly: tasks × candidates × seeds at matched budget")
    .argument("[config]", "bench config (YAML or JSON)")
    .option("--preset <name>", `a built-in comparison (${PRESET_NAMES.join(", ")})`)
    .option("--quick", "shrink the preset to finish in a few minutes on 2 cores")
    .option("--seeds <n>", "override the number of seeds")
    .option("--out <dir>", "write trials.jsonl, results.json, report.md, report.html here")
    .option("--resume <dir>", "continue a run: trials already in DIR/trials.jsonl are kept")
    .option("--device <device>", "wasm or webgpu", "wasm")
    .option("--list-tasks", "list the task catalog and exit")
    .option("--json", "print the results as one JSON document")
    .addHelpText(
      "after",
      `
Examples:
  nonlin bench --preset kan-vs-mlp --quick
  nonlin bench --preset activations --out runs/zoo
  nonlin bench my-bench.yaml --seeds 10 --json
  nonlin bench --list-tasks`,
    )
    .action(runBenchCommand);
}
