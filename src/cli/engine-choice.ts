/**
 * `--engine jax|torch`, `--device` and `--python` (docs/engines.md): which trial engine a command
 * trains on and where. jax runs in this process on wasm or webgpu; torch runs in one Python child
 * per worker process on cpu, cuda or cuda:N. Choosing torch starts this process's child once, so a
 * missing Python, torch or CUDA device exits 2 before any run is recorded; the local pool's
 * workers inherit the choice through NONLIN_TORCH_DEVICE and NONLIN_PYTHON.
 */
import type { DeviceName } from "../engine/device.js";
import { parseDeviceName } from "../engine/index.js";
import type { TorchVersions } from "../exec/torch-engine.js";
import { parseTorchDevice, processTorchEngine } from "../exec/torch-engine.js";
import { UsageError } from "./errors.js";

export const ENGINES = ["jax", "torch"] as const;
export type EngineName = (typeof ENGINES)[number];

export const ENGINE_HELP = "trial engine: jax (embedded, default) or torch (Python with PyTorch)";
export const DEVICE_HELP = "jax: wasm (default) or webgpu; torch: cpu (default), cuda or cuda:N";
export const PYTHON_HELP =
  "the Python of the torch engine (default: NONLIN_PYTHON, else python3 or /usr/bin/python3 with torch)";

export interface EngineOptions {
  engine?: string;
  device?: string;
  python?: string;
}

export interface EngineChoice {
  engine: EngineName;
  /** The device jax-js starts on in every process (torch runs still draw initial states on it). */
  jaxDevice: DeviceName;
  /** The torch engine's device and its child's versions. */
  torch?: { device: string; versions: TorchVersions };
}

/** The engine a command line and config ask for: the flag wins, then the config, then jax. */
export function engineName(flag: string | undefined, configured?: EngineName): EngineName {
  if (flag === undefined) return configured ?? "jax";
  if (!(ENGINES as readonly string[]).includes(flag))
    throw new UsageError(`--engine: expected jax or torch, got '${flag}'`);
  return flag as EngineName;
}

/** Checks the device for the engine and, for torch, starts this process's child (exit 2 if it cannot). */
export async function chooseEngine(
  options: EngineOptions,
  configured?: EngineName,
): Promise<EngineChoice> {
  const engine = engineName(options.engine, configured);
  if (engine === "jax") {
    if (options.python !== undefined)
      throw new UsageError("--python: only the torch engine runs Python (add --engine torch)");
    return { engine, jaxDevice: parseDeviceName(options.device ?? "wasm") };
  }
  const device = parseTorchDevice(options.device ?? "cpu");
  process.env.NONLIN_TORCH_DEVICE = device;
  if (options.python !== undefined) process.env.NONLIN_PYTHON = options.python;
  const versions = await processTorchEngine().start();
  return { engine, jaxDevice: "wasm", torch: { device, versions } };
}

/** What a run records of its engine beside the machine: nothing for jax (its records stay as they were). */
export function engineRecord(choice: EngineChoice): {
  device?: string;
  engine?: string;
  versions?: Record<string, string>;
} {
  if (!choice.torch) return {};
  const { versions } = choice.torch;
  return {
    device: choice.torch.device,
    engine: "torch",
    versions: { torch: versions.torch, numpy: versions.numpy, python: versions.python },
  };
}

/**
 * Checks a jax device as early as before (the first thing a command does) unless the device or
 * the flag points at torch, whose choice waits for the config (`engine:`).
 */
export function checkJaxDeviceEarly(options: EngineOptions): void {
  if (options.engine === "torch" || /^(cpu|cuda(:\d+)?)$/.test(options.device ?? "")) return;
  parseDeviceName(options.device ?? "wasm");
}

/** The config with its engine as chosen: `engine: torch`, or no field for jax (its hash unchanged). */
export function withEngine<C extends { engine?: EngineName }>(config: C, engine: EngineName): C {
  const { engine: _dropped, ...rest } = config;
  return (engine === "torch" ? { ...rest, engine } : rest) as C;
}

/**
 * Ends the torch child that `chooseEngine` started to check the set-up, unless this process trains
 * (`--workers 1` without --redis): pool and Redis workers own their own children.
 */
export function releaseCheckedChild(
  choice: EngineChoice,
  options: { workers?: string; redis?: string },
): void {
  if (choice.torch && (options.workers !== "1" || options.redis !== undefined))
    processTorchEngine().close();
}
