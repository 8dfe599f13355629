/**
 * Engine start-up: picks the jax-js device (wasm by default, webgpu on request) exactly once.
 *
 * jax-js needs `init('wasm')` alone where no GPU exists: `init()` with no argument tries every
 * backend and fails as a whole when the WebGPU one throws (see shared/gpu/README.md).
 */
import { defaultDevice, init } from "@jax-js/jax";
import { InputError } from "../base/errors.js";

export type DeviceName = "wasm" | "webgpu";
export const DEVICE_NAMES: readonly DeviceName[] = ["wasm", "webgpu"];

/** The device asked for cannot be used here (unknown, no GPU adapter, no Dawn): exit 2. */
export class EngineError extends InputError {
  override name = "EngineError";
}

let started: DeviceName | undefined;

/** Node 20 has no Float16Array, but jax-js tests `instanceof Float16Array` when it wraps a
 * Float64Array; a stand-in class makes that test false instead of throwing. */
function ensureFloat16ArrayName(): void {
  const g = globalThis as { Float16Array?: unknown };
  if (typeof g.Float16Array === "undefined") {
    g.Float16Array = class Float16ArrayUnavailable {
      constructor() {
        throw new EngineError("float16 arrays need Node >= 22; nonlin computes in float32/float64");
      }
    };
  }
}

/** In Node, WebGPU comes from the optional `webgpu` package (Dawn). jax-js reads both
 * `navigator.gpu` and `navigator.userAgent`, so both are set. */
async function provideNodeWebGpu(): Promise<void> {
  const g = globalThis as { navigator?: { gpu?: unknown; userAgent?: string } };
  if (g.navigator?.gpu) return;
  let dawn: { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
  try {
    const moduleName = "webgpu";
    dawn = (await import(moduleName)) as typeof dawn;
  } catch (error) {
    throw new EngineError(
      `--device webgpu needs the optional 'webgpu' package (Dawn), which could not be loaded: ${String(error)}`,
    );
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  Object.defineProperty(globalThis, "navigator", {
    value: { ...(g.navigator ?? {}), gpu, userAgent: g.navigator?.userAgent ?? "node" },
    configurable: true,
    writable: true,
  });
}

async function assertAdapterExists(): Promise<void> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } })
    .navigator?.gpu;
  const adapter = gpu ? await gpu.requestAdapter() : null;
  if (!adapter) {
    throw new EngineError(
      "--device webgpu: no WebGPU adapter was found (no GPU, or no Vulkan driver visible to Dawn). " +
        "Use --device wasm, or see shared/gpu/README.md for the GPU machine set-up.",
    );
  }
}

/** Starts jax-js on one device and makes it the default. Idempotent for the same device. */
export async function startEngine(device: DeviceName = "wasm"): Promise<DeviceName> {
  if (started === device) return device;
  if (started !== undefined) {
    throw new EngineError(`the engine already runs on ${started}; one device per process`);
  }
  ensureFloat16ArrayName();
  if (device === "webgpu") {
    await provideNodeWebGpu();
    await assertAdapterExists();
  }
  const available = await init(device);
  if (!available.includes(device)) {
    throw new EngineError(`jax-js could not start the ${device} device`);
  }
  defaultDevice(device);
  started = device;
  return device;
}

export function parseDeviceName(text: string): DeviceName {
  if ((DEVICE_NAMES as readonly string[]).includes(text)) return text as DeviceName;
  throw new EngineError(`unknown device '${text}': choose one of ${DEVICE_NAMES.join(", ")}`);
}
