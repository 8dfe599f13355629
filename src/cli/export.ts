/**
 * `nonlin export RUN|CHECKPOINT --to torch|onnx|jax --out DIR`: a whole trained model for use
 * outside nonlin (docs/predict-export.md). `--to torch` writes a folder PyTorch loads with torch
 * and numpy only: spec.json, weights.safetensors (a state_dict in PyTorch's layouts), a copy of the
 * torch engine's layer package (nonlin_torch/) and model.py, its loader. `--to onnx` writes
 * model.onnx (src/train/export-onnx.ts), the task's feature scaling as its first nodes and the
 * regression targets' scaling as its last. `--to jax` writes that same graph as JAX code
 * (src/train/export-jax.ts): model.py, weights.safetensors and spec.json.
 */
import { cpSync, mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import type { Command } from "commander";
import { engineLayers } from "../exec/torch-engine.js";
import { pythonPackageRoot } from "../exec/python.js";
import type { OnnxExportOptions } from "../train/export-onnx.js";
import { modelToOnnx } from "../train/export-onnx.js";
import { modelToJax } from "../train/export-jax.js";
import { encodeSafetensors } from "../train/safetensors.js";
import { torchLayouts, torchStateDict } from "../train/torch-export.js";
import type { LoadedCheckpoint } from "./checkpoint-source.js";
import { loadCheckpoint } from "./checkpoint-source.js";
import { UsageError } from "./errors.js";
import { checkOutputFolder, writeAtomically } from "./files.js";
import { makeOutput } from "./output.js";

export const MODEL_EXPORT_TARGETS = ["torch", "onnx", "jax"] as const;
type ModelExportTarget = (typeof MODEL_EXPORT_TARGETS)[number];

interface ExportOptions {
  to: string;
  out?: string;
  store?: string;
  json?: boolean;
}

/** The loader written beside the weights: fixed text (the model itself is data in spec.json). */
const MODEL_PY = `"""A model trained with nonlin, exported with \`nonlin export --to torch\`.

    import model                      # this folder on sys.path (or run from it)
    net = model.load()                # an nn.Module in eval mode; net.state_dict() is PyTorch's
    y = net(x)                        # x: [rows, features] raw feature rows, float tensor

Regression: y holds the targets in their own units; classification: logits
(torch.softmax(y, dim=1) gives the class probabilities). Needs torch and numpy only.
Run as a script, \`python3 model.py rows.csv\` prints the outputs of each row of a CSV of
feature values (a header line, then numbers in spec.json's featureNames order).
"""

import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from nonlin_torch.export import ExportedModel, load as _load  # noqa: E402


def load(folder: str = HERE) -> ExportedModel:
    return _load(folder)


if __name__ == "__main__":
    net = load()
    rows = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, ndmin=2)
    with torch.no_grad():
        outputs = net(torch.from_numpy(rows)).to(torch.float64).numpy()
    for row in outputs.reshape(outputs.shape[0], -1):
        print(",".join(repr(float(v)) for v in row))
`;

function parseTarget(text: string): ModelExportTarget {
  if ((MODEL_EXPORT_TARGETS as readonly string[]).includes(text)) return text as ModelExportTarget;
  throw new UsageError(
    `--to: unknown export target '${text}'; choose one of ${MODEL_EXPORT_TARGETS.join(", ")}`,
  );
}

/** Writes the torch folder; returns the files written. */
export function exportTorch(loaded: LoadedCheckpoint, out: string): string[] {
  const { spec, state } = loaded;
  const types = spec.layers.map((layer) => layer.type);
  const layouts = torchLayouts(types, state);
  const exported = {
    format: "nonlin-torch-export-1",
    dtype: spec.dtype,
    inputShape: spec.inputShape,
    // activations as syntax trees, as the torch engine receives them (interpreted, never exec'd)
    layers: engineLayers(spec.layers),
    stateDict: { layouts },
    ...(spec.inputScaling ? { inputScaling: spec.inputScaling } : {}),
    ...(spec.targetScaling ? { targetScaling: spec.targetScaling } : {}),
    ...(spec.task ? { task: spec.task } : {}),
  };
  const weights = encodeSafetensors(
    torchStateDict(types, state, layouts, spec.dtype, {
      input: spec.inputScaling,
      target: spec.targetScaling,
    }),
    { format: "pt" },
  );
  mkdirSync(out, { recursive: true });
  writeAtomically(join(out, "spec.json"), `${JSON.stringify(exported, null, 2)}\n`);
  writeAtomically(join(out, "weights.safetensors"), weights);
  // the engine's own layer code, so the folder works without nonlin (Python sources only)
  cpSync(join(pythonPackageRoot(), "nonlin_torch"), join(out, "nonlin_torch"), {
    recursive: true,
    filter: (source) => basename(source) !== "__pycache__" && !source.endsWith(".pyc"),
  });
  writeAtomically(join(out, "model.py"), MODEL_PY);
  return ["model.py", "spec.json", "weights.safetensors", "nonlin_torch/"];
}

/** The task's scalings, for the graph exports: raw rows in, the targets' own units out. */
function graphScalings(loaded: LoadedCheckpoint): OnnxExportOptions {
  const { inputScaling, targetScaling } = loaded.spec;
  return {
    ...(inputScaling ? { inputScaling } : {}),
    ...(targetScaling ? { targetScaling } : {}),
  };
}

/** Writes the JAX folder; returns the files written. */
export function exportJax(loaded: LoadedCheckpoint, out: string): string[] {
  const { spec, state } = loaded;
  const jax = modelToJax(spec, state, {
    ...graphScalings(loaded),
    classification: spec.task?.kind === "classification",
  });
  const exported = {
    format: "nonlin-jax-export-1",
    dtype: spec.dtype,
    inputShape: spec.inputShape,
    outputShape: jax.outputShape,
    layers: spec.layers,
    ...(spec.task ? { task: spec.task } : {}),
  };
  const weights = encodeSafetensors(jax.arrays, { format: "nonlin-jax" });
  mkdirSync(out, { recursive: true });
  writeAtomically(join(out, "spec.json"), `${JSON.stringify(exported, null, 2)}\n`);
  writeAtomically(join(out, "weights.safetensors"), weights);
  writeAtomically(join(out, "model.py"), jax.code);
  return ["model.py", "spec.json", "weights.safetensors"];
}

function exportCommand(subject: string, options: ExportOptions): void {
  const output = makeOutput(Boolean(options.json));
  const target = parseTarget(options.to);
  if (!options.out) throw new UsageError("--out: required (the folder to write the model in)");
  checkOutputFolder(options.out, "--out");
  const loaded = loadCheckpoint(subject, options.store);
  let files: string[];
  if (target === "onnx") {
    // raw rows in (the task's feature scaling is the graph's first nodes), targets' units out
    const bytes = modelToOnnx(loaded.spec, loaded.state, graphScalings(loaded));
    mkdirSync(options.out, { recursive: true });
    writeAtomically(join(options.out, "model.onnx"), bytes);
    files = ["model.onnx"];
  } else if (target === "jax") files = exportJax(loaded, options.out);
  else files = exportTorch(loaded, options.out);
  output.result(
    {
      checkpoint: loaded.dir,
      run: loaded.runId ?? null,
      to: target,
      out: options.out,
      files,
    },
    () => `wrote ${files.map((f) => join(options.out!, f)).join(", ")}`,
  );
}

export function registerExportCommand(program: Command): void {
  program
    .command("export")
    .description("export a whole trained model: PyTorch (module + state_dict), ONNX or JAX")
    .argument("<run|checkpoint>", "a fit run id (or prefix), or a checkpoint folder (fit --out)")
    .requiredOption("--to <target>", "torch, onnx or jax")
    .option("--out <dir>", "the folder to write the exported model in")
    .option("--store <path>", "run store (SQLite) to look RUN up in", "nonlin.db")
    .option("--json", "print one JSON document")
    .addHelpText(
      "after",
      `
Examples:
  nonlin export runs/iris --to torch --out iris-torch
  python3 -c "import sys; sys.path.insert(0, 'iris-torch'); import model; print(model.load())"
  nonlin export r-20261207-101500 --to onnx --out iris-onnx
  nonlin export runs/iris --to jax --out iris-jax`,
    )
    .action(exportCommand);
}
