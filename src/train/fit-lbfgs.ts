/**
 * Full-batch training with L-BFGS, as pykan's fit(opt="LBFGS"): each step is one L-BFGS step of
 * up to 20 iterations; while step < stop_grid_update_step, every KAN grid is refitted to the data
 * every stop_grid_update_step/grid_update_num steps (pykan: 50/10 = every 5 steps). After a grid
 * update the curvature history is dropped (pykan keeps it, though the parameters moved).
 */
import type { numpy as np } from "@jax-js/jax";
import { disposeTree } from "../engine/ownership.js";
import type { Model, ModelState } from "../nn/model.js";
import { joinState, splitState } from "../nn/model.js";
import { FlatLayout } from "./flat.js";
import { regridModel } from "./kan-grid.js";
import type { LbfgsOptions } from "./lbfgs.js";
import { Lbfgs } from "./lbfgs.js";
import type { LossName } from "./loss.js";
import type { KanPenalty } from "./objective.js";
import { makeFlatObjective, PYKAN_PENALTY } from "./objective.js";

export interface LbfgsFitOptions {
  steps: number;
  loss: LossName;
  penalty: KanPenalty;
  updateGrid: boolean;
  gridUpdateNum: number;
  stopGridUpdateStep: number;
  lbfgs: Partial<LbfgsOptions>;
}

export const PYKAN_FIT: LbfgsFitOptions = {
  steps: 50,
  loss: "mse",
  penalty: PYKAN_PENALTY,
  updateGrid: true,
  gridUpdateNum: 10,
  stopGridUpdateStep: 50,
  lbfgs: {},
};

export interface StepReport {
  step: number;
  loss: number;
  evaluations: number;
}

/** Trains in place of `state` (consumed); returns the possibly rebuilt model and its state. */
export function fitLbfgs(
  model: Model,
  state: ModelState,
  x: np.Array,
  y: np.Array,
  options: Partial<LbfgsFitOptions> = {},
  onStep?: (report: StepReport) => void,
): { model: Model; state: ModelState } {
  const o = { ...PYKAN_FIT, ...options };
  const every = Math.max(1, Math.floor(o.stopGridUpdateStep / o.gridUpdateNum));
  let { params, buffers } = splitState(state);
  const layout = new FlatLayout(params);
  /** The trainable values as one vector; the arrays are released (L-BFGS owns the values). */
  const takeFlat = (records: typeof params): Float64Array => {
    const values = layout.flatten(records);
    disposeTree(records);
    return values;
  };
  const flat = takeFlat(params);
  let objective = makeFlatObjective(model, layout, buffers, x, y, o.loss, o.penalty);
  const optimiser = new Lbfgs(objective, flat, o.lbfgs);
  for (let step = 0; step < o.steps; step++) {
    if (o.updateGrid && step % every === 0 && step < o.stopGridUpdateStep) {
      const current = joinState(layout.toArrays(optimiser.params, model.dtype), buffers);
      const updated = regridModel(model, current, x);
      ({ params, buffers } = splitState(updated.state));
      objective.dispose();
      objective = makeFlatObjective(model, layout, buffers, x, y, o.loss, o.penalty);
      optimiser.reset(takeFlat(params));
      optimiser.setObjective(objective);
    }
    const loss = optimiser.step();
    onStep?.({ step, loss, evaluations: optimiser.evaluations });
  }
  objective.dispose();
  return { model, state: joinState(layout.toArrays(optimiser.params, model.dtype), buffers) };
}
