/**
 * The Python side of the torch engine (python/nonlin_torch) under `npm test`: its unit tests
 * (python/tests: frames, batch_order, the expression interpreter, optimiser steps, the worker
 * loop) run in the Python that has torch and numpy, and its batch_order is compared with
 * src/train/shuffle.ts's batchOrder on many (rows, seed, epoch). A primitive of the expression
 * language or a layer type without a torch twin fails here (layer types not yet ported are listed).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { BINARY_OPS, STAT_AXES, STAT_OPS, TERNARY_OPS, UNARY_OPS } from "../src/expr/ast.js";
import { startEngine } from "../src/engine/device.js";
import { engineLayers } from "../src/exec/torch-engine.js";
import type { LayerSpec } from "../src/nn/definition.js";
import { LAYER_DEFINITIONS } from "../src/nn/registry.js";
import { initialState } from "../src/train/jax-engine.js";
import { batchOrder } from "../src/train/shuffle.js";

const PYTHON_ROOT = join(import.meta.dirname, "..", "python");

/** NONLIN_PYTHON, else the first of python3 and Debian's /usr/bin/python3 that imports torch. */
function torchPython(): string {
  const candidates = process.env.NONLIN_PYTHON
    ? [process.env.NONLIN_PYTHON]
    : ["python3", "/usr/bin/python3"];
  const found = candidates.find(
    (python) => spawnSync(python, ["-c", "import torch, numpy"], { stdio: "ignore" }).status === 0,
  );
  assert.ok(
    found,
    `no Python with torch and numpy among ${candidates.join(", ")}: sh scripts/system-deps.sh installs python3-torch and python3-numpy`,
  );
  return found;
}

/** Layer types of the registry the torch engine does not run yet: none today. A new type gets a
 * torch twin (python/nonlin_torch/layers) or is listed here until it has one. */
const NOT_YET_ON_TORCH: string[] = [];

const python = torchPython();
const runPython = (args: string[], input?: string) =>
  spawnSync(python, args, {
    cwd: PYTHON_ROOT,
    env: { ...process.env, PYTHONPATH: PYTHON_ROOT, PYTHONDONTWRITEBYTECODE: "1" },
    encoding: "utf8",
    input,
    timeout: 300_000,
  });

describe("python/nonlin_torch", () => {
  before(async () => {
    await startEngine();
  });

  it("passes its unit tests", () => {
    const result = runPython(["-m", "unittest", "discover", "-s", "tests", "-t", "."]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /^OK$/m);
  });

  it("shuffles training rows exactly as batchOrder does", () => {
    const cases: [number, number, number][] = [];
    for (const rows of [2, 3, 17, 128, 1001])
      for (const seed of [0, 1, 42, -7, 2 ** 31 - 1, 2 ** 32 + 3, 987654321])
        for (const epoch of [0, 1, 9]) cases.push([rows, seed, epoch]);
    const script =
      "import json, sys\nfrom nonlin_torch.shuffle import batch_order\n" +
      "print(json.dumps([batch_order(r, s, e) for r, s, e in json.load(sys.stdin)]))";
    const result = runPython(["-c", script], JSON.stringify(cases));
    assert.equal(result.status, 0, result.stderr);
    const orders = JSON.parse(result.stdout) as number[][];
    cases.forEach(([rows, seed, epoch], i) =>
      assert.deepEqual(
        orders[i],
        batchOrder(rows, seed, epoch),
        `rows ${rows} seed ${seed} epoch ${epoch}`,
      ),
    );
  });

  it("has a torch twin of every primitive and of every layer type not listed as not yet ported", () => {
    const script =
      "import json\nfrom nonlin_torch import expression as e\nfrom nonlin_torch.layers import LAYER_TYPES\n" +
      "print(json.dumps({'unary': e.UNARY_OPS, 'binary': e.BINARY_OPS, 'ternary': e.TERNARY_OPS, " +
      "'stat': e.STAT_OPS, 'axes': e.STAT_AXES, 'layers': sorted(LAYER_TYPES)}))";
    const result = runPython(["-c", script]);
    assert.equal(result.status, 0, result.stderr);
    const twins = JSON.parse(result.stdout) as Record<string, string[]>;
    const sorted = (names: readonly string[]) => [...names].sort();
    assert.deepEqual(sorted(twins.unary ?? []), sorted(UNARY_OPS));
    assert.deepEqual(sorted(twins.binary ?? []), sorted(BINARY_OPS));
    assert.deepEqual(sorted(twins.ternary ?? []), sorted(TERNARY_OPS));
    assert.deepEqual(sorted(twins.stat ?? []), sorted(STAT_OPS));
    assert.deepEqual(sorted(twins.axes ?? []), sorted(STAT_AXES));
    const onTorch = new Set(twins.layers);
    const missing = LAYER_DEFINITIONS.map((d) => d.type).filter(
      (type) => !onTorch.has(type) && !NOT_YET_ON_TORCH.includes(type),
    );
    assert.deepEqual(
      missing,
      [],
      "layer types with neither a torch twin nor a NOT_YET_ON_TORCH entry",
    );
    const ported = NOT_YET_ON_TORCH.filter((type) => onTorch.has(type));
    assert.deepEqual(ported, [], "ported layer types still listed in NOT_YET_ON_TORCH");
  });

  it("gives every layer type the jax side's arrays: names, order and shapes", () => {
    const models: [LayerSpec[], number[]][] = [
      [[{ type: "dense", units: 3, activation: "prelu" }], [4]],
      [[{ type: "activation", fn: "a*x + b*relu(x)" }], [2, 2, 3]],
      [
        [{ type: "conv2d", filters: 2, kernel: 2, activation: "swish" }, { type: "flatten" }],
        [4, 4, 1],
      ],
      [
        [
          { type: "maxpool2d" },
          { type: "avgpool2d", pool_size: 1 },
          { type: "reshape", shape: [-1] },
        ],
        [4, 4, 2],
      ],
      [[{ type: "conv_kan", filters: 2, kernel: 2, inner: { type: "kan" } }], [3, 3, 1]],
      [
        [
          { type: "kan", units: 2, train_scale_base: false },
          { type: "kan_fastkan", units: 2 },
        ],
        [3],
      ],
      [
        [
          { type: "kan_relu", units: 2, train_grid: true },
          { type: "kan_chebyshev", units: 2, bias: true },
        ],
        [3],
      ],
      [
        [
          { type: "kan_fourier", units: 2 },
          { type: "kan_af", units: 2, head: "attention", function: "prelu" },
        ],
        [3],
      ],
      [
        [
          { type: "kan_rational", units: 2, groups: 1 },
          { type: "kan_daruan", units: 2 },
        ],
        [3],
      ],
      [
        [{ type: "kan_selectable", units: 2, spaces: ["bspline", "rbf", "swish", "polynomial"] }],
        [3],
      ],
      [
        [
          {
            type: "kan_selectable",
            units: 2,
            spaces: ["rbf", "swish"],
            selected: ["swish", "swish"],
          },
        ],
        [3],
      ],
      [
        [
          { type: "quadratic", units: 2 },
          { type: "evonorm_b0" },
          { type: "evonorm_s0", groups: 1 },
        ],
        [3],
      ],
    ];
    const covered = new Set(models.flatMap(([layers]) => layers.map((l) => l.type)));
    assert.deepEqual(
      LAYER_DEFINITIONS.map((d) => d.type).filter((type) => !covered.has(type)),
      [],
      "layer types this test does not build",
    );
    const script =
      "import json, sys, torch\nfrom nonlin_torch.model import Model\nout = []\n" +
      "for layers, shape in json.load(sys.stdin):\n" +
      "    m = Model(layers, shape, torch.float64)\n" +
      "    out.append([{g: [[k, list(v.shape)] for k, v in (l.param_arrays() if g == 'params' else l.buffer_arrays()).items()] for g in ('params', 'buffers')} for l in m.layers])\n" +
      "print(json.dumps(out))";
    const sent = models.map(([layers, shape]) => [engineLayers(layers), shape]);
    const result = runPython(["-c", script], JSON.stringify(sent));
    assert.equal(result.status, 0, result.stderr);
    const built = JSON.parse(result.stdout) as unknown[];
    models.forEach(([layers, shape], i) => {
      const jax = initialState(layers, shape, "float64", 1).map((layer) => ({
        params: Object.entries(layer.params).map(([name, a]) => [name, a.shape]),
        buffers: Object.entries(layer.buffers).map(([name, a]) => [name, a.shape]),
      }));
      assert.deepEqual(built[i], jax, layers.map((l) => l.type).join(", "));
    });
  });
});
