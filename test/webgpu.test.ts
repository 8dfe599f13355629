/**
 * `--device webgpu` without a GPU: Dawn (the optional `webgpu` package) on Mesa's lavapipe, a
 * Vulkan driver on the CPU, set up by scripts/lavapipe.sh (in .ci/run; Debian 12's own Mesa 22.3
 * is refused by Dawn, see docs/engine.md). The trial engine trains an MLP and a conv net on it —
 * every read on that path is asynchronous, as jax-js's WebGPU backend requires in Node — to the
 * numbers wasm gives, within float32 rounding. Skipped, saying so, where the driver is not set up.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cacheDirectory } from "../src/data/node/download.js";

const dir = join(cacheDirectory(), "lavapipe");
const icd = join(dir, "lvp.json");
const hasDawn = existsSync("node_modules/webgpu/package.json");
const skip = !hasDawn
  ? "the optional webgpu package is not installed"
  : !existsSync(icd)
    ? `no software Vulkan driver at ${icd}: run sh scripts/lavapipe.sh`
    : false;

interface Trained {
  curve: number[];
  predictions: number[];
}

function train(device: string) {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "test/support/webgpu-train.ts", device],
    {
      encoding: "utf8",
      timeout: 180_000,
      env: {
        ...process.env,
        VK_ICD_FILENAMES: icd,
        LD_LIBRARY_PATH: join(dir, "root/usr/lib/x86_64-linux-gnu"),
      },
    },
  );
  assert.equal(result.status, 0, `exit ${result.status} ${result.signal ?? ""}: ${result.stderr}`);
  return JSON.parse(result.stdout) as { adapter: string | null; mlp: Trained; conv: Trained };
}

function assertClose(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i] as number, expected[i] as number];
    assert.ok(Math.abs(a - e) <= 1e-4 * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs ${e}`);
  }
}

describe("webgpu on a software adapter (lavapipe)", { skip }, () => {
  it("trains an MLP and a conv net to wasm's numbers (float32 rounding)", () => {
    const gpu = train("webgpu");
    const cpu = train("wasm");
    assert.match(gpu.adapter ?? "", /llvmpipe/);
    assert.equal(gpu.mlp.curve.length, 6);
    for (const kind of ["mlp", "conv"] as const) {
      assert.ok(gpu[kind].curve.every(Number.isFinite), kind);
      assertClose(gpu[kind].curve, cpu[kind].curve, `${kind} losses`);
      assertClose(gpu[kind].predictions, cpu[kind].predictions, `${kind} predictions`);
    }
  });
});
