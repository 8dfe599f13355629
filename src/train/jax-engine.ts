/**
 * The embedded trial engine: jax-js (wasm, or WebGPU where it can read buffers). A trial's model,
 * jitted step and forward pass come from the per-process cache (trial-kernels.ts); training is
 * `fitGradient`; predictions run through the compiled forward pass.
 */
import type { FloatDType } from "../engine/dtype.js";
import { keyFromSeed } from "../engine/random.js";
import { readValues, useThreadsFor } from "../engine/threads.js";
import type { LayerSpec, ModelState } from "../nn/model.js";
import { disposeState, Model, splitState } from "../nn/model.js";
import { outputsInBatches } from "./forward.js";
import { fitGradient } from "./gradient-fit.js";
import { hostStateOf, readHostState, stateFromHost } from "./host-state.js";
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

/**
 * The automatic `--threads` rule (docs/engine.md, "Threads"): jax-js's worker pool pays one
 * message round trip per kernel, so it helps only where kernels are large — conv nets (measured
 * 1.5x on 2 threads); MLPs and KANs got slower.
 */
export function threadsHelp(layers: readonly LayerSpec[]): boolean {
  return layers.some((layer) => layer.type === "conv2d" || layer.type === "conv_kan");
}

async function train(
  request: TrainingRequest,
  onEpoch?: (outcome: EpochOutcome) => void,
): Promise<TrainedModel> {
  const { phase, loss, val } = request;
  const { kernels, release } = trialKernels({
    layers: request.layers,
    inputShape: request.inputShape,
    dtype: request.dtype,
    loss,
    optimizer: phase.optimizer,
  });
  const { model, forward } = kernels;
  useThreadsFor(threadsHelp(request.layers));
  // in evaluation batches (forward.ts): peak memory set by the batch, not the split
  const outputsOf = (state: ModelState, x: Float64Array, rows: number): Promise<Float64Array> =>
    outputsInBatches(forward, model, state, x, rows, readValues);
  let evaluationSeconds = 0;
  const started = performance.now();
  const from = request.resume?.state ?? request.initial;
  const initial = from ? stateFromHost(from, model.dtype) : model.init(keyFromSeed(request.seed));
  let state: ModelState;
  try {
    state = await fitGradient(
      model,
      initial,
      request.train,
      val,
      phase,
      loss,
      request.seed,
      async (report, epochState) => {
        const outcome: EpochOutcome = { epoch: report.epoch, trainLoss: report.trainLoss };
        if (report.valLoss !== undefined) {
          outcome.valLoss = report.valLoss;
          if (request.valOutputsEachEpoch && val) {
            // scoring the curve is reporting, not training: its time is left out of s/epoch
            const evalStart = performance.now();
            outcome.valOutputs = await outputsOf(epochState, val.x, val.rows);
            evaluationSeconds += (performance.now() - evalStart) / 1000;
          }
        }
        onEpoch?.(outcome);
      },
      {
        forward,
        step: kernels.step(splitState(initial).params),
        ...(request.seconds !== undefined ? { seconds: request.seconds } : {}),
        ...(request.resume ? { resume: request.resume } : {}),
        ...(request.checkpoints ? { checkpoints: request.checkpoints } : {}),
      },
    );
  } catch (error) {
    // a stopped or failed training leaves nothing to predict with: its kernels go back
    release();
    throw error;
  }
  const trainingSeconds = Math.max(1e-9, (performance.now() - started) / 1000 - evaluationSeconds);
  let released = false;
  return {
    trainingSeconds,
    predict: async (x, rows) => outputsOf(state, x, rows),
    state: () => readHostState(state),
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
  train: (request, onEpoch) => train(request, onEpoch),
};
