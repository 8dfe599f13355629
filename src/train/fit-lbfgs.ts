/**
 * Full-batch training with L-BFGS, as pykan's fit(opt="LBFGS"): each step is one L-BFGS step of
 * up to 20 iterations; while step < stop_grid_update_step, every KAN grid is refitted to the data
 * every stop_grid_update_step/grid_update_num steps (pykan: 50/10 = every 5 steps). After a grid
 * update the curvature history is dropped (pykan keeps it, though the parameters moved).
 *
 * Two evaluators of the same objective: jax-js (objective.ts, any model) and plain TypeScript
 * (kan-fast/, on nn/kan/plain/'s kernels) for float64 stacks of B-spline KAN layers (SiLU or identity base) with the MSE loss,
 * which "auto" picks for them: it visits only the order+1 non-zero B-splines per point and pays no
 * per-kernel costs, 5–10x faster on hello KAN (docs/benchmarks.md, "Hello KAN speed").
 */
import type { numpy as np } from "@jax-js/jax";
import { disposeTree, takeValues } from "../engine/ownership.js";
import type { Model, ModelState } from "../nn/model.js";
import { joinState, splitState } from "../nn/model.js";
import { FlatLayout } from "./flat.js";
import { regridModel } from "./kan-grid.js";
import type { LbfgsOptions } from "./lbfgs.js";
import { Lbfgs } from "./lbfgs.js";
import type { LossName } from "./loss.js";
import type { FlatObjective, KanPenalty } from "./objective.js";
import { makeFlatObjective, PYKAN_PENALTY } from "./objective.js";
import { plainKanUnsupported, plainKanWork } from "../nn/kan/plain/support.js";
import { PlainKanObjective } from "./kan-fast/kan-objective.js";

/** Which code evaluates the objective: "auto" = plain where supported (and within its memory
 * limit), else jax. */
export type Evaluator = "auto" | "plain" | "jax";

/**
 * Largest forward pass (rows × edges × (order+1) multiply-adds) that "auto" hands to the plain
 * evaluator. Not a speed crossover: plain was 3–10x faster than jax-js (float64) at every size
 * measured, up to 1.3e8 (bench/micro-kan-crossover.ts); the limit bounds its memory (with the
 * penalty it keeps every edge's outputs, rows × edges doubles: ~100 MB at the limit).
 */
export const PLAIN_KAN_MAX_WORK = 5e7;

export interface LbfgsFitOptions {
  steps: number;
  loss: LossName;
  penalty: KanPenalty;
  updateGrid: boolean;
  gridUpdateNum: number;
  stopGridUpdateStep: number;
  lbfgs: Partial<LbfgsOptions>;
  evaluator: Evaluator;
}

export const PYKAN_FIT: LbfgsFitOptions = {
  steps: 50,
  loss: "mse",
  penalty: PYKAN_PENALTY,
  updateGrid: true,
  gridUpdateNum: 10,
  stopGridUpdateStep: 50,
  lbfgs: {},
  evaluator: "auto",
};

export interface StepReport {
  step: number;
  loss: number;
  evaluations: number;
  evaluator: "plain" | "jax";
}

/** Why the plain objective cannot run: the model's dtype, then the loss, then its layers. */
function plainObjectiveUnsupported(model: Model, loss: LossName): string | undefined {
  if (model.dtype === "float64" && loss !== "mse") return "it has the mse loss only";
  return plainKanUnsupported(model);
}

/** The evaluator that runs for this model and data; throws if "plain" is asked but unsupported. */
export function chooseEvaluator(
  model: Model,
  rows: number,
  loss: LossName,
  evaluator: Evaluator,
): "plain" | "jax" {
  if (evaluator === "jax") return "jax";
  const unsupported = plainObjectiveUnsupported(model, loss);
  if (evaluator === "plain") {
    if (unsupported) throw new Error(`the plain kan evaluator cannot run: ${unsupported}`);
    return "plain";
  }
  return !unsupported && plainKanWork(model, rows) <= PLAIN_KAN_MAX_WORK ? "plain" : "jax";
}

/** Trains in place of `state` (consumed); returns the possibly rebuilt model and its state.
 * Asynchronous: the objective's values are read as `readValues` reads (engine/threads.ts). */
export async function fitLbfgs(
  model: Model,
  state: ModelState,
  x: np.Array,
  y: np.Array,
  options: Partial<LbfgsFitOptions> = {},
  onStep?: (report: StepReport) => void,
): Promise<{ model: Model; state: ModelState }> {
  const o = { ...PYKAN_FIT, ...options };
  const every = Math.max(1, Math.floor(o.stopGridUpdateStep / o.gridUpdateNum));
  let { params, buffers } = splitState(state);
  const layout = new FlatLayout(params);
  /** The trainable values as one vector; the arrays are released (L-BFGS owns the values). */
  const takeFlat = async (records: typeof params): Promise<Float64Array> => {
    const values = await layout.read(records);
    disposeTree(records);
    return values;
  };
  const flat = await takeFlat(params);
  const evaluator = chooseEvaluator(model, x.shape[0] as number, o.loss, o.evaluator);
  const xValues = evaluator === "plain" ? takeValues(x.ref) : undefined;
  const yValues = evaluator === "plain" ? takeValues(y.ref) : undefined;
  const makeObjective = (): FlatObjective => {
    if (!xValues || !yValues)
      return makeFlatObjective(model, layout, buffers, x, y, o.loss, o.penalty);
    const plain = new PlainKanObjective(model, layout, buffers, xValues, yValues, o.penalty);
    return Object.assign((values: Float64Array) => plain.evaluate(values), { dispose() {} });
  };
  let objective = makeObjective();
  const optimiser = new Lbfgs(objective, flat, o.lbfgs);
  for (let step = 0; step < o.steps; step++) {
    if (o.updateGrid && step % every === 0 && step < o.stopGridUpdateStep) {
      const current = joinState(layout.toArrays(optimiser.params, model.dtype), buffers);
      const updated = regridModel(model, current, x);
      ({ params, buffers } = splitState(updated.state));
      objective.dispose();
      objective = makeObjective();
      optimiser.reset(await takeFlat(params));
      optimiser.setObjective(objective);
    }
    const loss = await optimiser.step();
    onStep?.({ step, loss, evaluations: optimiser.evaluations, evaluator });
  }
  objective.dispose();
  return { model, state: joinState(layout.toArrays(optimiser.params, model.dtype), buffers) };
}
