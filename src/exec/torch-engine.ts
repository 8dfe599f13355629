/**
 * The torch engine: a TrialEngine over one persistent Python child process (`python3 -m
 * nonlin_torch`, python/) speaking protocol v2 (docs/engines.md). Each split is sent once per
 * child and cached there under a hash of its bytes; a trial starts from `initialState` of the jax
 * engine unless it brings its own, so both engines train from the same parameters. A child that
 * dies fails the request in flight (a RunError: the trial is retried as any failed trial) and the
 * next request starts a new one. The child ends with this process (its stdin closes).
 *
 * Checkpoints inside a phase: the child sends `progress` answers (every N epochs, and when asked
 * to stop) in the jax engine's format, which are saved here in order; a stop is a `stop` message
 * naming the training, sent once `stopRequested()` says so, which the child honours after the
 * epoch it is in; a `resume` goes to the child with its optimiser arrays by the same leaf paths.
 */
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { InputError, RunError } from "../base/errors.js";
import type { FloatDType } from "../engine/dtype.js";
import type { LayerSpec } from "../nn/definition.js";
import { BASIS_SPACES } from "../nn/kan/selectable.js";
import type { SymbolicEdgeSpec } from "../nn/kan/symbolic-edges.js";
import { parseEdgeFunction } from "../nn/kan/symbolic-edges.js";
import { Model } from "../nn/model.js";
import { parseLayerSpec } from "../nn/registry.js";
import { evaluationRows } from "../train/memory.js";
import { initialState } from "../train/jax-engine.js";
import type { Rows } from "../train/gradient-fit.js";
import { finiteHost } from "../train/gradient-fit.js";
import type {
  EpochOutcome,
  HostArray,
  HostState,
  TrainedModel,
  TrainingCheckpoints,
  TrainingProgress,
  TrainingRequest,
  TrialEngine,
} from "../train/trial-engine.js";
import { TrainingStopped } from "../train/trial-engine.js";
import { resolveActivation } from "../zoo/index.js";
import { findPython, pythonPackageRoot } from "./python.js";
import type { Message, WireArray } from "./torch-protocol.js";
import { encodeMessage, MessageReader, PROTOCOL_VERSION } from "./torch-protocol.js";

/** The request cannot run on the torch engine (exit 2). */
export class TorchInputError extends InputError {}

/** The torch engine failed while running (exit 1; a trial is retried). */
export class TorchRunError extends RunError {}

/** What the child's `hello` says about its side. */
export interface TorchVersions {
  protocol: number;
  python: string;
  torch: string;
  numpy: string;
  devices: string[];
}

export interface TorchEngineOptions {
  /** The Python to run (else NONLIN_PYTHON, else discovery: src/exec/python.ts). */
  python?: string;
  /** cpu (default), cuda or cuda:N. */
  device?: string;
}

const TORCH_DEVICE = /^(cpu|cuda|cuda:\d+)$/;

/** Checks a --device for the torch engine by its form (whether it exists is the child's say). */
export function parseTorchDevice(device: string): string {
  if (!TORCH_DEVICE.test(device))
    throw new TorchInputError(
      `--device ${device}: the torch engine runs on cpu, cuda or cuda:N (jax's devices are wasm and webgpu)`,
    );
  return device;
}

/** Activation texts of a layer spec that travel as resolved activations (docs/engines.md). */
const ACTIVATION_FIELDS = new Set(["activation", "fn", "base", "function"]);
const BASIS_SPACE_NAMES: ReadonlySet<string> = new Set(BASIS_SPACES);

/**
 * The layer specs as the child receives them: validated with their defaults filled, every
 * activation text replaced by its resolved activation (syntax tree and parameters), nested specs
 * (conv_kan's inner layer) likewise, and kan_selectable's zoo spaces as {name, expr, params}.
 */
/** A kan layer's fixed (symbolic) edge as the torch side reads it: f as a syntax tree (`fn`). */
function fixedEdge(edge: SymbolicEdgeSpec, k: number): unknown {
  const { expr, ...rest } = edge;
  return { ...rest, fn: { expr: parseEdgeFunction(expr, `symbolic[${k}].expr`), params: {} } };
}

export function engineLayers(layers: readonly LayerSpec[]): unknown[] {
  const resolve = (value: unknown, field: string): unknown => {
    // kan_selectable's zoo spaces travel resolved, keeping their names; basis spaces stay names
    if (Array.isArray(value))
      return value.map((v) =>
        field === "spaces" && typeof v === "string" && !BASIS_SPACE_NAMES.has(v)
          ? { name: v, ...resolveActivation(v).activation }
          : resolve(v, ""),
      );
    if (value === null || typeof value !== "object") {
      if (typeof value === "string" && ACTIVATION_FIELDS.has(field))
        return resolveActivation(value).activation;
      return value;
    }
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value))
      out[key] = key === "symbolic" && Array.isArray(v) ? v.map(fixedEdge) : resolve(v, key);
    return out;
  };
  return layers.map((layer, i) => resolve(parseLayerSpec(layer, `layers[${i}]`), ""));
}

/**
 * The jax engine's evaluation batch for this model (`evaluationRows`, from its memory estimate),
 * sent so the torch side scores validation and predictions in the same batches: the same sums,
 * and memory bounded the same way (a 5,000-row validation split of a CNN is not one pass). None
 * for a model with batch statistics (one pass on both engines).
 */
function torchEvaluationRows(request: TrainingRequest): { evaluationRows?: number } {
  const rows = evaluationRows(new Model(request.layers, request.inputShape, request.dtype));
  return Number.isFinite(rows) ? { evaluationRows: rows } : {};
}

const stateArrays = (prefix: string, state: HostState): WireArray[] =>
  state.flatMap((layer, i) =>
    (["params", "buffers"] as const).flatMap((group) =>
      Object.entries(layer[group]).map(([name, array]) => ({
        name: `${prefix}${i}/${group}/${name}`,
        shape: array.shape,
        values: array.values,
      })),
    ),
  );

/** Arrays named `<layer>/<params|buffers>/<name>` (after `prefix`) as a HostState of `layers`. */
function hostStateFrom(arrays: WireArray[], layers: number, prefix = ""): HostState {
  const state: HostState = Array.from({ length: layers }, () => ({ params: {}, buffers: {} }));
  for (const array of arrays) {
    if (!array.name.startsWith(prefix)) continue;
    const [layer, group, ...rest] = array.name.slice(prefix.length).split("/");
    const slot = state[Number(layer)];
    if (!slot || (group !== "params" && group !== "buffers") || rest.length === 0)
      throw new TorchRunError(`torch engine: unexpected state array '${array.name}'`);
    slot[group][rest.join("/")] = { shape: array.shape, values: array.values };
  }
  return state;
}

/** The arrays of a progress the child does not hold already (its state travels as `init/`). */
function resumeArrays(progress: TrainingProgress): WireArray[] {
  const optimizer = Object.entries(progress.optimizer).map(([path, array]) => ({
    name: `resume/optimizer/${path}`,
    shape: array.shape,
    values: array.values,
  }));
  return progress.best
    ? [...optimizer, ...stateArrays("resume/best/", progress.best.params)]
    : optimizer;
}

/** The fields of `request.resume` (docs/engines.md). */
const resumeFields = (progress: TrainingProgress): Record<string, unknown> => ({
  epochs: progress.epochs,
  steps: progress.steps,
  sinceBest: progress.sinceBest,
  ...(progress.best ? { bestValLoss: progress.best.valLoss } : {}),
});

/** A `progress` answer as the jax engine hands its progress out. */
function progressFrom(message: Message, layers: number): TrainingProgress {
  const h = message.header;
  const optimizer: Record<string, HostArray> = {};
  for (const array of message.arrays)
    if (array.name.startsWith("optimizer/"))
      optimizer[array.name.slice("optimizer/".length)] = {
        shape: array.shape,
        values: array.values,
      };
  const progress: TrainingProgress = {
    epochs: numberOf(h.epochs),
    steps: numberOf(h.steps),
    state: hostStateFrom(message.arrays, layers, "state/"),
    optimizer,
    sinceBest: numberOf(h.sinceBest),
  };
  if (h.bestValLoss !== undefined)
    progress.best = {
      valLoss: numberOf(h.bestValLoss),
      params: hostStateFrom(message.arrays, layers, "best/"),
    };
  return progress;
}

/** How often (ms) a training with checkpoints asks `stopRequested`, besides after each epoch. */
const STOP_POLL_MS = 50;

/**
 * A training's checkpoints on this side: progress saved in order (a save may take longer than an
 * epoch; the child does not wait), and the `stop` sent once `stopRequested()` says so — polled
 * after each epoch and every STOP_POLL_MS, so a stop asked mid-epoch ends that epoch. A save
 * that fails stops the training too, and is its error.
 */
class CheckpointRelay {
  private saving: Promise<void> = Promise.resolve();
  private saveError: Error | undefined;
  private stopSent = false;
  private readonly poll: ReturnType<typeof setInterval>;
  private trainId: number | undefined;

  constructor(
    private readonly checkpoints: TrainingCheckpoints,
    private readonly child: TorchChild,
  ) {
    this.poll = setInterval(() => this.askStop(), STOP_POLL_MS);
    this.poll.unref();
  }

  started(id: number): void {
    this.trainId = id;
    this.askStop();
  }

  askStop(force = false): void {
    if (this.stopSent || this.trainId === undefined) return;
    if (!force && !(this.checkpoints.stopRequested?.() ?? false)) return;
    this.stopSent = true;
    this.child.notify({ type: "stop", train: this.trainId });
  }

  progress(progress: TrainingProgress): void {
    // a finite loss may still have left non-finite weights: the last finite checkpoint stays
    if (!finiteHost(progress.state)) return;
    this.saving = this.saving
      .then(() => (this.saveError ? undefined : this.checkpoints.save(progress)))
      .catch((error: unknown) => {
        this.saveError ??= error as Error;
        this.askStop(true);
      });
  }

  /** Waits for the saves; throws a save's error. */
  async finish(): Promise<void> {
    clearInterval(this.poll);
    await this.saving;
    if (this.saveError) throw this.saveError;
  }
}

/** A number of an answer; null (a non-finite number some writers give as null) is NaN. */
const numberOf = (value: unknown): number => (typeof value === "number" ? value : NaN);

interface Pending {
  /** Handles one answer; true when it was the last. */
  onMessage(message: Message): boolean;
  reject(error: Error): void;
}

/** One running child: framing, request ids, and what its death fails. */
class TorchChild {
  readonly splits = new Set<string>();
  versions?: TorchVersions;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited = false;
  private readonly stderrTail: string[] = [];
  private readonly onExit = (): void => {
    this.process.kill();
  };

  constructor(private readonly process: ChildProcess) {
    const reader = new MessageReader((message) => this.dispatch(message));
    process.stdout!.on("data", (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (error) {
        this.fail(`its answer could not be read (${(error as Error).message})`);
        this.process.kill();
      }
    });
    let partial = "";
    process.stderr!.setEncoding("utf8");
    process.stderr!.on("data", (text: string) => {
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        this.stderrTail.push(line);
        if (this.stderrTail.length > 20) this.stderrTail.shift();
        globalThis.process.stderr.write(`torch: ${line}\n`);
      }
    });
    process.on("error", (error) => this.fail(`it could not run (${error.message})`));
    // 'close', not 'exit': answers still in the pipe are read first
    process.on("close", (code, signal) =>
      this.fail(`it exited (${signal ? `signal ${signal}` : `code ${String(code)}`})`),
    );
    process.stdin!.on("error", () => {});
    globalThis.process.on("exit", this.onExit);
    this.idle();
  }

  get alive(): boolean {
    return !this.exited;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /**
   * Sends a request; `onAnswer` sees every answer but the last (a train's `epoch` and `progress`
   * answers); `onSent` gets the request's id (a `stop` names it).
   */
  request(
    header: Record<string, unknown>,
    arrays: WireArray[] = [],
    onAnswer?: (message: Message) => void,
    onSent?: (id: number) => void,
  ): Promise<Message> {
    if (this.exited)
      return Promise.reject(new TorchRunError("the torch engine's Python process has exited"));
    const id = this.nextId++;
    return new Promise<Message>((resolve, reject) => {
      this.pending.set(id, {
        onMessage: (message) => {
          const type = message.header.type;
          if ((type === "epoch" || type === "progress") && onAnswer) {
            onAnswer(message);
            return false;
          }
          if (type === "error") {
            const text = `torch engine: ${String(message.header.message)}`;
            reject(
              message.header.kind === "input" ? new TorchInputError(text) : new TorchRunError(text),
            );
          } else resolve(message);
          return true;
        },
        reject,
      });
      this.busy();
      this.process.stdin!.write(encodeMessage({ ...header, id }, arrays));
      onSent?.(id);
    });
  }

  /** Sends a message that has no answer (a `stop`); nothing when the child has exited. */
  notify(header: Record<string, unknown>): void {
    if (!this.exited) this.process.stdin!.write(encodeMessage(header));
  }

  close(): void {
    globalThis.process.off("exit", this.onExit);
    if (!this.exited) this.process.stdin!.end();
  }

  private dispatch(message: Message): void {
    const id = message.header.id;
    const pending = typeof id === "number" ? this.pending.get(id) : undefined;
    if (!pending) return;
    let done = true;
    try {
      done = pending.onMessage(message);
    } catch (error) {
      pending.reject(error as Error);
    }
    if (done) {
      this.pending.delete(id as number);
      if (this.pending.size === 0) this.idle();
    }
  }

  private fail(why: string): void {
    if (this.exited) return;
    this.exited = true;
    globalThis.process.off("exit", this.onExit);
    const tail = this.stderrTail.slice(-5).join(" | ");
    const error = new TorchRunError(
      `the torch engine's Python process failed: ${why}${tail ? `; its last lines: ${tail}` : ""}`,
    );
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  /** An idle child does not keep this process alive; a busy one does. */
  private idle(): void {
    this.process.unref();
    for (const stream of [this.process.stdin, this.process.stdout, this.process.stderr])
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }

  private busy(): void {
    this.process.ref();
    for (const stream of [this.process.stdin, this.process.stdout, this.process.stderr])
      (stream as unknown as { ref?: () => void } | null)?.ref?.();
  }
}

/** Digests of the splits sent, by their arrays (a task's rows are sent once, not hashed again). */
const digests = new WeakMap<Float64Array, WeakMap<Float64Array, string>>();

function splitKey(rows: Rows, inputShape: readonly number[]): string {
  let byY = digests.get(rows.x);
  if (!byY) digests.set(rows.x, (byY = new WeakMap()));
  let digest = byY.get(rows.y);
  if (!digest) {
    digest = createHash("sha256")
      .update(new Uint8Array(rows.x.buffer, rows.x.byteOffset, rows.x.byteLength))
      .update(new Uint8Array(rows.y.buffer, rows.y.byteOffset, rows.y.byteLength))
      .digest("hex")
      .slice(0, 32);
    byY.set(rows.y, digest);
  }
  return `${digest}:${rows.rows}:${inputShape.join("x")}`;
}

export class TorchEngine implements TrialEngine {
  readonly name = "torch";
  readonly device: string;
  private child?: TorchChild;
  private starting?: Promise<TorchChild>;

  constructor(private readonly options: TorchEngineOptions = {}) {
    this.device = parseTorchDevice(options.device ?? "cpu");
  }

  /** Starts the child (when none runs) and checks its protocol and the device: what `hello` said. */
  async start(): Promise<TorchVersions> {
    return (await this.running()).versions!;
  }

  async train(
    request: TrainingRequest,
    onEpoch?: (outcome: EpochOutcome) => void,
  ): Promise<TrainedModel> {
    const child = await this.running();
    const { resume, checkpoints } = request;
    const layers = engineLayers(request.layers);
    const train = await this.sendSplit(child, request.train, request.inputShape);
    const val = request.val
      ? await this.sendSplit(child, request.val, request.inputShape)
      : undefined;
    // a resumed training goes on from its progress's state (as on the jax engine)
    const initial =
      resume?.state ??
      request.initial ??
      initialState(request.layers, request.inputShape, request.dtype, request.seed);
    const relay = checkpoints ? new CheckpointRelay(checkpoints, child) : undefined;
    let answer: Message;
    try {
      answer = await child.request(
        {
          type: "train",
          request: {
            layers,
            inputShape: request.inputShape,
            dtype: request.dtype,
            loss: request.loss,
            phase: request.phase,
            train,
            ...(val !== undefined ? { val } : {}),
            seed: request.seed,
            ...(request.seconds !== undefined ? { seconds: request.seconds } : {}),
            valOutputsEachEpoch: request.valOutputsEachEpoch ?? false,
            ...torchEvaluationRows(request),
            device: this.device,
            ...(resume ? { resume: resumeFields(resume) } : {}),
            ...(checkpoints ? { checkpoint: { every: checkpoints.every ?? 0 } } : {}),
          },
        },
        [...stateArrays("init/", initial), ...(resume ? resumeArrays(resume) : [])],
        (message) => {
          if (message.header.type === "progress") {
            relay?.progress(progressFrom(message, request.layers.length));
            return;
          }
          const outcome: EpochOutcome = {
            epoch: numberOf(message.header.epoch),
            trainLoss: numberOf(message.header.trainLoss),
          };
          if (message.header.valLoss !== undefined)
            outcome.valLoss = numberOf(message.header.valLoss);
          const valOutputs = message.arrays.find((a) => a.name === "valOutputs");
          if (valOutputs) outcome.valOutputs = valOutputs.values;
          onEpoch?.(outcome);
          relay?.askStop();
        },
        (id) => relay?.started(id),
      );
    } catch (error) {
      // the saves asked for before the failure still finish: the folder keeps the last one
      await relay?.finish().catch(() => {});
      throw error;
    }
    await relay?.finish();
    if (answer.header.type === "stopped") throw new TrainingStopped(numberOf(answer.header.epochs));
    return this.trainedModel(child, answer, request.layers.length, request.inputShape);
  }

  /**
   * The outputs of a layer stack from given parameters, and the gradients of sum(y · upstream)
   * with respect to the inputs and every parameter (the `forward` request: the parity tests).
   */
  async forward(
    layers: readonly LayerSpec[],
    inputShape: readonly number[],
    dtype: FloatDType,
    state: HostState,
    x: Float64Array,
    rows: number,
    upstream: Float64Array,
  ): Promise<{ y: Float64Array; gradX: Float64Array; gradParams: HostState }> {
    const child = await this.running();
    const answer = await child.request(
      { type: "forward", layers: engineLayers(layers), inputShape, dtype, device: this.device },
      [
        ...stateArrays("init/", state),
        { name: "x", shape: [rows, ...inputShape], values: x },
        { name: "upstream", shape: [rows, upstream.length / rows], values: upstream },
      ],
    );
    const named = (name: string): Float64Array => {
      const array = answer.arrays.find((a) => a.name === name);
      if (!array) throw new TorchRunError(`torch engine: the forward answer lacks '${name}'`);
      return array.values;
    };
    return {
      y: named("y"),
      gradX: named("grad/x"),
      gradParams: hostStateFrom(
        answer.arrays.filter((a) => a.name.startsWith("grad/") && a.name !== "grad/x"),
        layers.length,
        "grad/",
      ),
    };
  }

  /** The running child's process id (none before the first request). */
  get childPid(): number | undefined {
    return this.child?.pid;
  }

  /** Ends the child (it exits when its stdin closes); a later request starts a new one. */
  close(): void {
    this.child?.close();
    this.child = undefined;
    this.starting = undefined;
  }

  private async running(): Promise<TorchChild> {
    if (this.child?.alive) return this.child;
    this.child = undefined;
    this.starting ??= this.spawnChild().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async spawnChild(): Promise<TorchChild> {
    const python = findPython(this.options.python);
    const root = pythonPackageRoot();
    const env = { ...process.env };
    env.PYTHONPATH = env.PYTHONPATH ? `${root}:${env.PYTHONPATH}` : root;
    const child = new TorchChild(
      spawn(python, ["-m", "nonlin_torch"], { env, stdio: ["pipe", "pipe", "pipe"] }),
    );
    let hello: Message;
    try {
      hello = await child.request({ type: "hello", protocol: PROTOCOL_VERSION });
    } catch (error) {
      child.close();
      throw error;
    }
    const h = hello.header;
    if (h.protocol !== PROTOCOL_VERSION) {
      child.close();
      throw new TorchInputError(
        `the torch engine's Python side (${pythonPackageRoot()}) speaks protocol ${String(h.protocol)}, ` +
          `this nonlin speaks protocol ${PROTOCOL_VERSION}: use the python/ folder of the same nonlin`,
      );
    }
    const versions: TorchVersions = {
      protocol: PROTOCOL_VERSION,
      python: String(h.python),
      torch: String(h.torch),
      numpy: String(h.numpy),
      devices: Array.isArray(h.devices) ? h.devices.map(String) : ["cpu"],
    };
    const available =
      versions.devices.includes(this.device) ||
      (this.device === "cuda" && versions.devices.some((d) => d.startsWith("cuda")));
    if (!available) {
      child.close();
      throw new TorchInputError(
        `--device ${this.device}: not available to torch ${versions.torch} of ${python} ` +
          `(it has ${versions.devices.join(", ")})`,
      );
    }
    child.versions = versions;
    this.child = child;
    return child;
  }

  private async sendSplit(
    child: TorchChild,
    rows: Rows,
    inputShape: readonly number[],
  ): Promise<string> {
    const key = splitKey(rows, inputShape);
    if (child.splits.has(key)) return key;
    await child.request({ type: "data", key }, [
      { name: "x", shape: [rows.rows, ...inputShape], values: rows.x },
      { name: "y", shape: [rows.rows, rows.y.length / rows.rows], values: rows.y },
    ]);
    child.splits.add(key);
    return key;
  }

  private trainedModel(
    child: TorchChild,
    answer: Message,
    layers: number,
    inputShape: readonly number[],
  ): TrainedModel {
    const model = answer.header.model;
    let released = false;
    return {
      trainingSeconds: Math.max(1e-9, numberOf(answer.header.trainingSeconds)),
      ...(typeof answer.header.peakRssBytes === "number" && answer.header.peakRssBytes > 0
        ? { peakMemoryBytes: answer.header.peakRssBytes }
        : {}),
      ...(typeof answer.header.cudaPeakBytes === "number"
        ? { gpuPeakMemoryBytes: answer.header.cudaPeakBytes }
        : {}),
      predict: async (x, rows) => {
        const outputs = await child.request({ type: "predict", model }, [
          { name: "x", shape: [rows, ...inputShape], values: x },
        ]);
        const y = outputs.arrays.find((a) => a.name === "y");
        if (!y) throw new TorchRunError("torch engine: the outputs answer lacks 'y'");
        return y.values;
      },
      state: async () =>
        hostStateFrom((await child.request({ type: "state", model })).arrays, layers),
      release: () => {
        if (released || !child.alive) return;
        released = true;
        child.request({ type: "release", model }).catch(() => {});
      },
    };
  }
}

let processEngine: TorchEngine | undefined;

/**
 * This process's torch engine (one child a worker process): its device from NONLIN_TORCH_DEVICE
 * (default cpu), its Python from NONLIN_PYTHON or discovery. The CLI sets both for its own
 * process, and the local pool's workers inherit them.
 */
export function processTorchEngine(): TorchEngine {
  processEngine ??= new TorchEngine({
    device: process.env.NONLIN_TORCH_DEVICE ?? "cpu",
    ...(process.env.NONLIN_PYTHON ? { python: process.env.NONLIN_PYTHON } : {}),
  });
  return processEngine;
}
