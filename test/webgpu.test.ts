/**
 * `--device webgpu` without a GPU: Dawn (the optional `webgpu` package) on Mesa's lavapipe, a
 * Vulkan driver on the CPU, set up by scripts/lavapipe.sh (in .ci/run; Debian 12's own Mesa 22.3
 * is refused by Dawn, see docs/engine.md). The trial engine trains an MLP and a conv net on it —
 * every read on that path is asynchronous, as jax-js's WebGPU backend requires in Node — to the
 * numbers wasm gives, within float32 rounding. Skipped, saying so, where the driver is not set up.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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

const node = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", ...args], {
    encoding: "utf8",
    timeout: 180_000,
    env: {
      ...process.env,
      VK_ICD_FILENAMES: icd,
      LD_LIBRARY_PATH: join(dir, "root/usr/lib/x86_64-linux-gnu"),
    },
  });

function train(device: string) {
  const result = node(["test/support/webgpu-train.ts", device]);
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

  it("nonlin fit --device webgpu: gradient and L-BFGS phases train, score and checkpoint; refine exits 2", () => {
    const work = mkdtempSync(join(tmpdir(), "nonlin-webgpu-"));
    const spec = join(work, "fit.yaml");
    writeFileSync(
      spec,
      "task: {type: formula, formula: sin(x1), train: 64, val: 16, test: 32}\n" +
        "model: {layers: [{type: dense, units: 8, activation: tanh}, {type: dense, units: 1}]}\n" +
        "phases: [{kind: gradient, epochs: 2, batch_size: 16, optimizer: {name: adam, lr: 0.01}}]\n",
    );
    const fit = (device: string, spec: string, ...more: string[]) =>
      node([
        "src/cli/main.ts",
        "fit",
        spec,
        "--store",
        join(work, "r.db"),
        "--device",
        device,
        ...more,
      ]);
    const metrics = (device: string) => {
      const r = fit(device, spec, "--json", "--out", join(work, device));
      assert.equal(r.status, 0, r.stderr);
      assert.ok(existsSync(join(work, device, "weights.safetensors")), device);
      const phase = (JSON.parse(r.stdout) as { phases: Record<string, { loss: number }>[] })
        .phases[0]!;
      return [phase.train!.loss, phase.val!.loss, phase.test!.loss];
    };
    assertClose(metrics("webgpu"), metrics("wasm"), "fit losses");
    // L-BFGS reads asynchronously too; refine (KAN grid work) does not: exit 2
    const lbfgs = join(work, "lbfgs.yaml");
    writeFileSync(
      lbfgs,
      "task: {type: formula, formula: sin(x1), train: 64, val: 16, test: 32}\n" +
        "model: {layers: [{type: dense, units: 8, activation: tanh}, {type: dense, units: 1}]}\n" +
        "phases: [{kind: lbfgs, steps: 2}]\n",
    );
    const lbfgsRun = fit("webgpu", lbfgs, "--json");
    assert.equal(lbfgsRun.status, 0, lbfgsRun.stderr);
    const lbfgsLoss = (JSON.parse(lbfgsRun.stdout) as { phases: { train: { loss: number } }[] })
      .phases[0]!.train.loss;
    assert.ok(Number.isFinite(lbfgsLoss) && lbfgsLoss < 0.05, `L-BFGS train loss ${lbfgsLoss}`);
    const refine = join(work, "refine.yaml");
    writeFileSync(
      refine,
      "task: {type: formula, formula: x1}\nmodel: {layers: [{type: kan, units: 1}]}\nphases: [{kind: refine, grid_size: 6}]\n",
    );
    const refused = fit("webgpu", refine);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /refine phase cannot run on --device webgpu/);
  });
});
