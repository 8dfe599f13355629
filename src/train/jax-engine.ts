/**
 * The embedded trial engine: jax-js (wasm, or WebGPU where it can read buffers). A trial's model,
 * jitted step and forward pass come from the per-process cache (trial-kernels.ts); training is
 * `fitGradient`; predictions run through the compiled forward pass.
 */
import type { FloatDType } from "../engine/dtype.js";
import { arrayFrom } from "../engine/dtype.js";
import { takeValues } from "../engine/ownership.js";
import { keyFromSeed } from "../engine/random.js";
import type { LayerSpec, ModelState } from "../nn/model.js";
import { disposeState, Model, splitState } from "../nn/model.js";
import { fitGradient } from "./gradient-fit.js";
import { hostStateOf, stateFromHost } from "./host-state.js";
import { trialKernels } from "./trial-kernels.js";
import type {
  EpochOutcome,
  HostState,
  TrainedModel,
  TrainingRequest,
  TrialEngine,
} from "./trial-engine.js";

/**
 * The initial parameters and buffers of a trial: the model's `init` from the trial seed (jax-js's
 * threefry keys), on the host. Another engine running the same trial is handed these.
 */
export function initialState(
  layers: readonly LayerSpec[],
  inputShape: readonly number[],
  dtype: FloatDType,
  seed: number,
): HostState {
  const state = new Model(layers, inputShape, dtype).init(keyFromSeed(seed));
  const host = hostStateOf(state);
  disposeState(state);
  return host;
}

function train(request: TrainingRequest, onEpoch?: (outcome: EpochOutcome) => void): TrainedModel {
  const { phase, loss, val } = request;
  const { kernels, release } = trialKernels({
    layers: request.layers,
    inputShape: request.inputShape,
    dtype: request.dtype,
    loss,
    optimizer: phase.optimizer,
  });
  const { model, forward } = kernels;
  const outputsOf = (state: ModelState, x: Float64Array, rows: number): Float64Array =>
    takeValues(forward.apply(state, arrayFrom(x, [rows, ...model.inputShape], model.dtype)));
  let evaluationSeconds = 0;
  const started = performance.now();
  const initial = request.initial
    ? stateFromHost(request.initial, model.dtype)
    : model.init(keyFromSeed(request.seed));
  const state = fitGradient(
    model,
    initial,
    request.train,
    val,
    phase,
    loss,
    request.seed,
    (report, epochState) => {
      const outcome: EpochOutcome = { epoch: report.epoch, trainLoss: report.trainLoss };
      if (report.valLoss !== undefined) {
        outcome.valLoss = report.valLoss;
        if (request.valOutputsEachEpoch && val) {
          // scoring the curve is reporting, not training: its time is left out of s/epoch
          const evalStart = performance.now();
          outcome.valOutputs = outputsOf(epochState, val.x, val.rows);
          evaluationSeconds += (performance.now() - evalStart) / 1000;
        }
      }
      onEpoch?.(outcome);
    },
    {
      forward,
      step: kernels.step(splitState(initial).params),
      ...(request.seconds !== undefined ? { seconds: request.seconds } : {}),
    },
  );
  const trainingSeconds = Math.max(1e-9, (performance.now() - started) / 1000 - evaluationSeconds);
  let released = false;
  return {
    trainingSeconds,
    predict: async (x, rows) => outputsOf(state, x, rows),
    state: async () => hostStateOf(state),
    release() {
      if (released) return;
      released = true;
      release();
      disposeState(state);
    },
  };
}

export const jaxEngine: TrialEngine = {
  name: "jax",
  train: async (request, onEpoch) => train(request, onEpoch),
};
