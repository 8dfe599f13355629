/**
 * Checks a bench config against the catalog, the zoo and the layer registry and sizes every
 * (task, candidate) cell to the fairness budget — all before any training, so a bad config exits
 * with a message naming the field and nothing half-run.
 */
import type { TaskFamily, TaskMetadata, TaskRequest } from "../data/catalog-entry.js";
import { findTask, unknownTaskMessage } from "../data/catalog.js";
import type { LayerSpec } from "../nn/definition.js";
import { LayerSpecError } from "../nn/layer.js";
import { Model } from "../nn/model.js";
import { solveWidth } from "../nn/width.js";
import { trainingStepRefusal } from "../train/memory.js";
import { resolveActivation } from "../zoo/index.js";
import { dependsOnInput } from "../expr/ast.js";
import { printActivation } from "../expr/print.js";
import type { BenchConfig, CandidateSpec } from "./config.js";
import { BenchConfigError } from "./config.js";
import {
  candidateGroup,
  candidateLayers,
  candidateName,
  isSizable,
  type NetworkShape,
} from "./candidates.js";
import type { BenchCandidateInfo } from "./results.js";

const SAMPLED_FAMILIES = new Set<TaskFamily>(["function-fitting", "feynman", "synthetic-2d"]);

/** A task of the catalog, by its metadata: whoever runs a trial makes the task by name. */
export interface PlannedTask {
  entry: TaskMetadata;
  request: Omit<TaskRequest, "seed">;
  /** The budget this task's cells were sized to (params/FLOPs mode), or the seconds (time mode). */
  budget?: number;
}

export interface PlannedCandidate {
  spec: CandidateSpec;
  info: BenchCandidateInfo;
}

/** One (task, candidate) pair, sized. */
export interface PlannedCell {
  task: number;
  candidate: number;
  width?: number;
  layers: LayerSpec[];
  params: number;
  flops: number;
  trainFlops: number;
}

export interface BenchPlan {
  config: BenchConfig;
  tasks: PlannedTask[];
  candidates: PlannedCandidate[];
  /** cells[task][candidate]. */
  cells: PlannedCell[][];
  baseline: string;
}

function describeCandidate(spec: CandidateSpec, field: string): BenchCandidateInfo {
  const name = candidateName(spec);
  const group = candidateGroup(spec);
  if (spec.activation !== undefined) {
    let resolved: ReturnType<typeof resolveActivation>;
    try {
      resolved = resolveActivation(spec.activation);
    } catch (error) {
      throw new BenchConfigError(`${field}.activation: ${(error as Error).message}`);
    }
    // a bare unknown name parses as a learnable constant: almost surely a misspelt zoo name
    if (!resolved.entry && !dependsOnInput(resolved.activation.expr))
      throw new BenchConfigError(
        `${field}.activation: '${spec.activation}' is not in the zoo (\`nonlin act list\`) and, read as an expression, does not depend on x`,
      );
    const expression = printActivation(resolved.activation);
    return {
      name,
      kind: "activation",
      group,
      description: `MLP with ${spec.activation}`,
      expression,
    };
  }
  if (spec.layer)
    return { name, kind: "layer", group, description: `stack of ${spec.layer.type} layers` };
  return {
    name,
    kind: "model",
    group,
    description: (spec.model ?? []).map((l) => l.type).join(" → "),
  };
}

function planTask(config: BenchConfig, index: number): PlannedTask {
  const raw = config.tasks[index]!;
  const item = typeof raw === "string" ? { name: raw } : raw;
  const entry = findTask(item.name);
  if (!entry) throw new BenchConfigError(`tasks[${index}]: ${unknownTaskMessage(item.name)}`);
  // config.rows sizes sampled tasks only; fixed data sets keep their own splits unless the task says
  const rows = SAMPLED_FAMILIES.has(entry.family) ? config.rows : {};
  const request: Omit<TaskRequest, "seed"> = {
    train: item.train ?? rows.train,
    val: item.val ?? rows.val,
    test: item.test ?? rows.test,
    noise: item.noise,
  };
  const budget = item.budget ?? config.fairness.budget;
  return { entry, request, budget };
}

/** Builds the cell's model specs at a width and counts it (no arrays are allocated). */
function measure(
  spec: CandidateSpec,
  shape: NetworkShape,
  width: number,
  dtype: BenchConfig["dtype"],
): { layers: LayerSpec[]; params: number; flops: number; trainFlops: number } {
  const layers = candidateLayers(spec, shape, width);
  const model = new Model(layers, shape.inputShape, dtype);
  const last = model.outputShape;
  if (last.length !== 1 || last[0] !== shape.outputs)
    throw new LayerSpecError(
      `the model gives [${last.join(", ")}] per sample but the task needs [${shape.outputs}]`,
    );
  const flops = model.flops();
  return {
    layers,
    params: model.paramCount(),
    flops: flops.forward,
    trainFlops: flops.forward + flops.backward,
  };
}

function planCell(
  config: BenchConfig,
  task: PlannedTask,
  taskIndex: number,
  candidate: PlannedCandidate,
  candidateIndex: number,
): PlannedCell {
  const field = `candidates[${candidateIndex}]`;
  const shape: NetworkShape = {
    inputShape: task.entry.inputShape,
    outputs: task.entry.outputs,
    depth: config.network.depth,
  };
  const at = (width: number) => {
    try {
      return measure(candidate.spec, shape, width, config.dtype);
    } catch (error) {
      if (error instanceof LayerSpecError)
        throw new BenchConfigError(`${field} on ${task.entry.name}: ${error.message}`);
      throw error;
    }
  };
  const { mode } = config.fairness;
  const sized = (mode === "params" || mode === "flops") && isSizable(candidate.spec);
  if (!sized)
    return {
      task: taskIndex,
      candidate: candidateIndex,
      width: config.network.width,
      ...at(config.network.width),
    };
  const budget = task.budget!;
  const cost = (width: number): number => {
    const m = at(width);
    return mode === "params" ? m.params : m.flops;
  };
  let width: number;
  try {
    width = solveWidth(cost, budget, 1 << 20);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const unit = mode === "params" ? "parameters" : "FLOPs per sample";
    const where =
      typeof config.tasks[taskIndex] === "string"
        ? "fairness.budget"
        : `tasks[${taskIndex}].budget`;
    throw new BenchConfigError(
      `${where}: no width meets ${budget} ${unit} for candidate '${candidate.info.name}' on ${task.entry.name} (width 1 already needs ${cost(1)})`,
    );
  }
  return { task: taskIndex, candidate: candidateIndex, width, ...at(width) };
}

/**
 * Refuses, before any trial, a cell whose training step wasm's 4 GiB cannot hold (jax engine):
 * the message names the layer with the largest share and the largest batch size that fits.
 */
function checkStepMemory(
  config: BenchConfig,
  tasks: PlannedTask[],
  candidates: PlannedCandidate[],
  cell: PlannedCell,
): void {
  const task = tasks[cell.task]!;
  const batch = Math.min(config.training.batch_size, task.request.train ?? Infinity);
  const model = new Model(cell.layers, task.entry.inputShape, config.dtype);
  const refusal = trainingStepRefusal(
    model,
    batch,
    `training.batch_size (candidate '${candidates[cell.candidate]!.info.name}' on ${task.entry.name})`,
  );
  if (refusal !== undefined) throw new BenchConfigError(refusal);
}

/** Validates and sizes everything; throws BenchConfigError naming the field on any problem. */
export function planBench(config: BenchConfig): BenchPlan {
  const { mode, budget } = config.fairness;
  if (
    mode !== "none" &&
    budget === undefined &&
    config.tasks.some((t) => typeof t === "string" || t.budget === undefined)
  )
    throw new BenchConfigError(
      `fairness.budget: required for mode '${mode}' (${mode === "time" ? "seconds of training per trial" : mode === "params" ? "parameters" : "forward FLOPs per sample"})`,
    );
  const tasks = config.tasks.map((_, i) => planTask(config, i));
  const candidates = config.candidates.map((spec, i) => ({
    spec,
    info: describeCandidate(spec, `candidates[${i}]`),
  }));
  const seen = new Map<string, number>();
  candidates.forEach((c, i) => {
    const previous = seen.get(c.info.name);
    if (previous !== undefined)
      throw new BenchConfigError(
        `candidates[${i}].name: '${c.info.name}' is also the name of candidates[${previous}] (names must be unique)`,
      );
    seen.set(c.info.name, i);
  });
  const baseline = config.baseline ?? candidates[0]!.info.name;
  if (!seen.has(baseline))
    throw new BenchConfigError(
      `baseline: no candidate is named '${baseline}' (candidates: ${[...seen.keys()].join(", ")})`,
    );
  const cells = tasks.map((task, t) =>
    candidates.map((candidate, c) => planCell(config, task, t, candidate, c)),
  );
  if (config.engine !== "torch")
    cells.flat().forEach((cell) => checkStepMemory(config, tasks, candidates, cell));
  return { config, tasks, candidates, cells, baseline };
}
