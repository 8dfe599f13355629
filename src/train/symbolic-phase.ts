/**
 * The `symbolic` phase of `fit` and the formula at the end of a fit: the phase's config turned
 * into kan-symbolic.ts's options (errors name the field), and the read-out of a model whose
 * edges are all fixed over the task's variable names, in the task's own units.
 */
import type { numpy as np } from "@jax-js/jax";
import { InputError } from "../base/errors.js";
import type { EdgeFunction } from "../analysis/edge-library.js";
import {
  DEFAULT_EDGE_LIBRARY,
  edgeFunctionOf,
  EdgeLibraryError,
} from "../analysis/edge-library.js";
import type { Task } from "../data/task.js";
import type { Expr } from "../expr/ast.js";
import { call, num } from "../expr/ast.js";
import { parseExpr } from "../expr/parse.js";
import { KanLayer } from "../nn/kan/bspline.js";
import type { FormulaInput } from "../nn/kan/formula.js";
import { formulaUnavailable } from "../nn/kan/formula.js";
import type { Model, ModelState } from "../nn/model.js";
import type { SymbolicPhase } from "./fit-spec.js";
import type { FormulaData, KanFormulaResult } from "./kan-formula.js";
import { kanFormulaResult } from "./kan-formula.js";
import type { EdgeFallback, EdgeSamples, FixedEdge } from "./kan-symbolic.js";
import { fixSymbolicEdges, KanSymbolicError } from "./kan-symbolic.js";

/** The phase's library: default names, else expressions of x; errors name the entry. */
export function phaseLibrary(phase: SymbolicPhase, field: string): EdgeFunction[] {
  if (!phase.library) return [...DEFAULT_EDGE_LIBRARY];
  return phase.library.map((entry, k) => {
    try {
      return edgeFunctionOf(entry);
    } catch (error) {
      if (error instanceof EdgeLibraryError)
        throw new KanSymbolicError(`${field}.library[${k}]: ${error.message}`);
      throw error;
    }
  });
}

/** Symbolic regression on an edge's samples within `budget` evaluations (handed in by the CLI). */
export type BudgetedEdgeFallback = (
  samples: EdgeSamples,
  budget: number,
) => ReturnType<EdgeFallback>;

/** Runs a symbolic phase on training inputs x (borrowed); consumes state. */
export function runSymbolicPhase(
  model: Model,
  state: ModelState,
  x: np.Array,
  phase: SymbolicPhase,
  field: string,
  fallback?: BudgetedEdgeFallback,
): { model: Model; state: ModelState; fixed: FixedEdge[] } {
  return fixSymbolicEdges(
    model,
    state,
    x,
    {
      library: phaseLibrary(phase, field),
      r2Threshold: phase.r2_threshold,
      auto: phase.auto,
      lock: phase.lock,
      fit: {
        aRange: phase.a_range,
        bRange: phase.b_range,
        gridPoints: phase.grid_points,
        simplicityWeight: phase.simplicity_weight,
      },
      ...(fallback && phase.sr_budget > 0
        ? { fallback: (samples: EdgeSamples) => fallback(samples, phase.sr_budget) }
        : {}),
    },
    field,
  );
}

/** The task's feature names where they can be variables of an expression, else x1, x2, … */
export function formulaVariableNames(task: Task): string[] {
  const usable = (name: string): boolean => {
    try {
      const expr = parseExpr(name);
      return expr.kind === "param" && expr.name === name;
    } catch (error) {
      if (error instanceof InputError) return false;
      throw error;
    }
  };
  const names = task.featureNames;
  return names.length === task.inputs && names.every(usable) && new Set(names).size === names.length
    ? [...names]
    : Array.from({ length: task.inputs }, (_, i) => `x${i + 1}`);
}

/** Split columns in the task's units (normalisation undone) and its target. */
function formulaData(task: Task, split: Task["train"]): FormulaData {
  const n = task.inputs;
  const fs = task.featureScaling;
  const ts = task.targetScaling;
  return {
    columns: Array.from({ length: n }, (_, i) =>
      Float64Array.from({ length: split.rows }, (_, r) => {
        const v = split.x[r * n + i] as number;
        return fs ? v * (fs.scale[i] as number) + (fs.shift[i] as number) : v;
      }),
    ),
    target: Float64Array.from({ length: split.rows }, (_, r) => {
      const v = split.y[r * task.outputs] as number;
      return ts ? v * (ts.scale[0] as number) + (ts.shift[0] as number) : v;
    }),
  };
}

/** The model's inputs and output in the task's own units: stored x = (x − shift)/scale. */
function inTaskUnits(
  task: Task,
  names: string[],
): { inputs: FormulaInput[]; output: (e: Expr) => Expr } {
  const fs = task.featureScaling;
  const ts = task.targetScaling;
  return {
    inputs: names.map((name, i) =>
      fs
        ? {
            name,
            coef: 1 / (fs.scale[i] as number),
            constant: -(fs.shift[i] as number) / (fs.scale[i] as number),
          }
        : { name },
    ),
    output: (e) =>
      ts ? call("add", call("mul", e, num(ts.scale[0] as number)), num(ts.shift[0] as number)) : e,
  };
}

/**
 * The formula of a regression model with one output whose edges are all fixed, or why there is
 * none (a string). State borrowed.
 */
export function fitFormula(
  model: Model,
  state: ModelState,
  task: Task,
): KanFormulaResult | { unavailable: string } {
  // checked first, from the specs alone: models without fixed edges read nothing from the device
  if (!model.layers.some((layer) => layer instanceof KanLayer && layer.symbolic.count > 0))
    return { unavailable: "no edge is fixed (a symbolic phase fixes them)" };
  if (task.kind !== "regression" || task.outputs !== 1)
    return { unavailable: "a formula is read out for regression with one output only" };
  if (!model.layers.every((layer) => layer instanceof KanLayer))
    return { unavailable: "not every layer is a B-spline kan layer" };
  const why = formulaUnavailable(model, state);
  if (why) return { unavailable: why };
  const names = formulaVariableNames(task);
  return kanFormulaResult(
    model,
    state,
    names,
    formulaData(task, task.train),
    formulaData(task, task.test),
    inTaskUnits(task, names),
  );
}
