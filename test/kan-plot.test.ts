import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { startEngine } from "../src/engine/index.js";
import { arrayFrom } from "../src/engine/dtype.js";
import { takeValues } from "../src/engine/ownership.js";
import { keyFromSeed } from "../src/engine/random.js";
import type { LayerState } from "../src/nn/layer.js";
import { Model } from "../src/nn/model.js";
import { basisAt } from "../src/nn/kan/bspline-scalar.js";
import { kanEdgeCurves } from "../src/nn/kan/edge-curves.js";
import { kanScores } from "../src/nn/kan/prune.js";
import { decodeWeights } from "../src/train/checkpoint.js";
import { loadTask } from "../src/data/node/load-task.js";
import { readFitConfig } from "../src/cli/fit.js";
import type { KanDiagram } from "../src/report/kan-diagram.js";
import { edgeOpacity, renderKanHtml, renderKanSvg } from "../src/report/kan-diagram.js";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const dir = mkdtempSync(join(tmpdir(), "nonlin-kan-plot-"));
const STORE = join(dir, "runs.db");
const cli = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
  });

/** A KAN [2, 4, 1] trained briefly with sparsity, then pruned hard enough to mask edges. */
const SPEC = join(dir, "kan.yaml");
writeFileSync(
  SPEC,
  `task: { type: formula, formula: "sin(pi*x1) + 0*x2", train: 200, val: 0, test: 100, seed: 0 }
model:
  dtype: float64
  seed: 3
  layers:
    - { type: kan, units: 4, grid_size: 3 }
    - { type: kan, units: 1, grid_size: 3 }
phases:
  - { kind: lbfgs, steps: 20, lambda: 0.01 }
  - { kind: prune, node_threshold: 0.0, edge_threshold: 0.05 }
`,
);
const CHECKPOINT = join(dir, "ckpt");

function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

describe("kanEdgeCurves", () => {
  before(async () => {
    await startEngine("wasm");
  });

  it("samples every edge's φ over its input's data range, as the scalar B-spline formula gives", () => {
    const model = new Model(
      [
        { type: "kan", units: 3, grid_size: 4 },
        { type: "kan", units: 2, grid_size: 5, base: "identity" },
      ],
      [2],
      "float64",
    );
    const state = model.init(keyFromSeed(7));
    // mask edge 1→2 of layer 0
    const mask = takeValues(state[0]!.buffers.mask!.ref);
    mask[1 * 3 + 2] = 0;
    state[0]!.buffers.mask!.dispose();
    state[0]!.buffers.mask = arrayFrom(mask, [2, 3], "float64");
    const rows = 50;
    const x = Float64Array.from({ length: rows * 2 }, (_, k) => Math.sin(k * 1.7) * 0.9);
    const curves = kanEdgeCurves(model, state, x, 21);
    assert.deepEqual(curves.widths, [2, 3, 2]);
    assert.equal(curves.edges.length, 2 * 3 + 3 * 2);
    // layer 1's inputs: layer 0's outputs by jax-js (another implementation than the plain one)
    const hidden = takeValues(
      model.layers[0]!.apply(state[0] as LayerState, arrayFrom(x, [rows, 2], "float64")),
    );
    const inputsOf = [x, hidden];
    for (const edge of curves.edges) {
      const l = edge.layer;
      const layerState = state[l]!;
      const n = l === 0 ? 2 : 3;
      const m = l === 0 ? 3 : 2;
      const order = 3;
      const column = Array.from({ length: rows }, (_, r) => inputsOf[l]![r * n + edge.from]!);
      // jax-js's float64 exp (in SiLU) and Math.exp differ by ~1e-7 (kan-ops.ts)
      const tolerance = l === 0 ? 1e-15 : 1e-6;
      assert.ok(Math.abs(edge.x[0]! - Math.min(...column)) <= tolerance, "starts at the minimum");
      assert.ok(Math.abs(edge.x[20]! - Math.max(...column)) <= tolerance, "ends at the maximum");
      const knotsAll = takeValues(layerState.buffers.knots!.ref);
      const knotCount = knotsAll.length / n;
      const knots = knotsAll.slice(edge.from * knotCount, (edge.from + 1) * knotCount);
      const count = knotCount - 1 - order;
      const coef = takeValues(layerState.params.coef!.ref);
      const e = edge.from * m + edge.to;
      const scaleBase = takeValues(layerState.params.scale_base!.ref)[e]!;
      const scaleSp = takeValues(layerState.params.scale_sp!.ref)[e]!;
      const maskValue = takeValues(layerState.buffers.mask!.ref)[e]!;
      assert.equal(edge.active, maskValue !== 0);
      edge.x.forEach((t, s) => {
        const basis = basisAt(t, knots, order);
        let spline = 0;
        for (let c = 0; c < count; c++)
          spline += coef[(edge.from * count + c) * m + edge.to]! * basis[c]!;
        const base = l === 0 ? silu(t) : t;
        const expected = maskValue * (scaleBase * base + scaleSp * spline);
        assert.ok(
          Math.abs(edge.y[s]! - expected) < 1e-12,
          `layer ${l} edge ${edge.from}→${edge.to} at ${t}: ${edge.y[s]} vs ${expected}`,
        );
      });
    }
    assert.equal(curves.edges.filter((edge) => !edge.active).length, 1);
  });

  it("refuses layers whose edges are not B-spline functions", () => {
    const model = new Model([{ type: "dense", units: 2 }], [2], "float64");
    const state = model.init(keyFromSeed(1));
    assert.throws(
      () => kanEdgeCurves(model, state, new Float64Array(4)),
      /layers\[0\] is a dense layer, not a B-spline kan layer/,
    );
  });
});

describe("renderKanSvg", () => {
  const curve = Float64Array.from({ length: 11 }, (_, k) => k / 10);
  const diagram: KanDiagram = {
    title: 'a <KAN> & "friends"',
    widths: [2, 2, 1],
    edges: [
      { layer: 0, from: 0, to: 0, x: curve, y: curve.map((v) => v * v), score: 0.5 },
      { layer: 0, from: 1, to: 1, x: curve, y: curve.map(Math.sin), score: 0.01 },
      { layer: 1, from: 0, to: 0, x: curve, y: curve, score: 2, label: "exp(x) <fixed>" },
    ],
    inputNames: ["x<1>", "x2"],
  };
  const svg = renderKanSvg(diagram);

  it("draws one group per given edge, with pykan's opacity tanh(3·score)", () => {
    const groups = [...svg.matchAll(/<g class="kan-edge[^"]*"[^>]*opacity="([\d.]+)"/g)];
    assert.equal(groups.length, 3);
    assert.deepEqual(
      groups.map((g) => Number(g[1])),
      [Math.tanh(1.5), Math.tanh(0.03), Math.tanh(6)].map((v) => Number(v.toFixed(4))),
    );
    assert.equal(edgeOpacity(-1), 0);
    assert.equal(svg.match(/<circle class="kan-node"/g)?.length, 5);
    assert.equal(svg.match(/<polyline/g)?.length, 3);
  });

  it("labels a fixed edge with its formula, in red, and escapes every text", () => {
    assert.match(svg, /<g class="kan-edge kan-edge-fixed"[^>]*data-layer="1"/);
    assert.ok(svg.includes(">exp(x) &#60;fixed&#62;</text>"));
    assert.ok(svg.includes(">x&#60;1&#62;</text>"));
    assert.ok(svg.includes(">y1</text>"), "default output name");
    assert.ok(!svg.includes("<KAN>") && !svg.includes("<fixed>"));
    assert.equal(svg.match(/stroke="#d62728"/g)?.length, 4, "two lines, the box and the curve");
  });

  it("references nothing outside the picture", () => {
    const html = renderKanHtml(diagram);
    const withoutNamespace = html.replaceAll('xmlns="http://www.w3.org/2000/svg"', "");
    assert.ok(!/https?:\/\/|<script|\bhref=|\bsrc=|url\(/.test(withoutNamespace));
    assert.equal(html.match(/<tr><td>/g)?.length, 3, "a table row per edge");
  });
});

describe("nonlin kan plot", () => {
  let run = "";
  before(() => {
    const fit = cli(["fit", SPEC, "--out", CHECKPOINT, "--store", STORE, "--json"]);
    assert.equal(fit.status, 0, fit.stderr);
    run = (JSON.parse(fit.stdout) as { run: string }).run;
  });

  it("draws a checkpoint folder: every unpruned edge, scores as kanScores gives them", async () => {
    await startEngine("wasm");
    const out = join(dir, "folder.svg");
    const plot = cli(["kan", "plot", CHECKPOINT, "--config", SPEC, "--out", out, "--json"]);
    assert.equal(plot.status, 0, plot.stderr);
    const result = JSON.parse(plot.stdout) as {
      widths: number[];
      edges: { layer: number; from: number; to: number; score: number; pruned: boolean }[];
    };
    const saved = JSON.parse(readFileSync(join(CHECKPOINT, "checkpoint.json"), "utf8"));
    const model = new Model(saved.layers, saved.inputShape, saved.dtype);
    const state = decodeWeights(
      readFileSync(join(CHECKPOINT, "weights.safetensors")),
      model.layers.length,
      "float64",
    );
    assert.deepEqual(result.widths, [2, ...saved.layers.map((l: { units: number }) => l.units)]);
    // the scores again by the jitted jax-js path, on the same training rows (the task's seed 0)
    const task = loadTask(readFitConfig(SPEC).config.task, dir);
    const x = arrayFrom(task.train.x, [task.train.rows, 2], "float64");
    const scores = kanScores(model, state, x, "jax");
    for (const edge of result.edges) {
      const m = result.widths[edge.layer + 1]!;
      const expected = scores.edges[edge.layer]![edge.from * m + edge.to]!;
      assert.ok(Math.abs(edge.score - expected) <= 1e-6 * Math.max(1, expected), `${edge.score}`);
    }
    const masks = state.flatMap((s) => Array.from(takeValues(s.buffers.mask!.ref)));
    assert.deepEqual(
      result.edges.map((e) => e.pruned),
      masks.map((v) => v === 0),
    );
    const pruned = result.edges.filter((e) => e.pruned).length;
    assert.ok(pruned > 0, "the fixture prunes some edges");
    const svg = readFileSync(out, "utf8");
    assert.equal(svg.match(/<g class="kan-edge/g)?.length, result.edges.length - pruned);
  });

  it("draws a run of the store the same as its checkpoint folder", () => {
    const folder = join(dir, "folder.svg");
    const fromRun = join(dir, "run.svg");
    const plot = cli(["kan", "plot", run.slice(0, 20), "--store", STORE, "--out", fromRun]);
    assert.equal(plot.status, 0, plot.stderr);
    assert.match(
      plot.stdout,
      /wrote .*run\.svg: KAN \[2, \d, 1\], \d+ edge\(s\) drawn, \d+ pruned/,
    );
    if (!existsSync(folder)) return assert.fail("the folder test writes folder.svg first");
    assert.equal(readFileSync(fromRun, "utf8"), readFileSync(folder, "utf8"));
  });

  it("exits 2 naming the problem, and writes nothing, on bad input", () => {
    const out = join(dir, "never.svg");
    const cases: [string[], RegExp][] = [
      [
        [CHECKPOINT, "--out", out],
        /a checkpoint folder holds no training rows; give the fit config/,
      ],
      [
        [CHECKPOINT, "--config", SPEC, "--out", join(dir, "x.png")],
        /--out .*x\.png: name an \.svg or \.html file/,
      ],
      [["r-nope", "--store", STORE, "--out", out], /no run 'r-nope'/],
      [
        [CHECKPOINT, "--config", SPEC, "--out", out, "--samples", "1"],
        /--samples 1: give a whole number/,
      ],
      [
        [join(dir, "missing"), "--store", join(dir, "none.db"), "--out", out],
        /there is no run store/,
      ],
    ];
    for (const [args, message] of cases) {
      const plot = cli(["kan", "plot", ...args]);
      assert.equal(plot.status, 2, `${args.join(" ")}: ${plot.stderr}`);
      assert.match(plot.stderr, message);
      assert.ok(!plot.stderr.includes("    at "), "no stack trace");
    }
    assert.ok(!existsSync(out));
  });

  it("exits 2 for a model that is not a B-spline KAN", () => {
    const spec = join(dir, "mlp.yaml");
    writeFileSync(
      spec,
      `task: { type: formula, formula: "x1 + x2", train: 50, val: 0, test: 20, seed: 0 }
model: { dtype: float64, layers: [{ type: dense, units: 3, activation: tanh }, { type: dense, units: 1 }] }
phases: [{ kind: lbfgs, steps: 2 }]
`,
    );
    const ckpt = join(dir, "mlp");
    assert.equal(cli(["fit", spec, "--out", ckpt, "--store", STORE]).status, 0);
    const plot = cli(["kan", "plot", ckpt, "--config", spec, "--out", join(dir, "mlp.svg")]);
    assert.equal(plot.status, 2, plot.stderr);
    assert.match(plot.stderr, /cannot draw this model: layers\[0\] is a dense layer/);
    assert.ok(!existsSync(join(dir, "mlp.svg")));
  });

  it("renders in headless Chromium: every edge group laid out, the picture not blank", () => {
    assert.ok(
      existsSync(CHROMIUM),
      `headless Chromium is required for this test but ${CHROMIUM} does not exist: ` +
        `install the Debian package 'chromium' or set CHROMIUM to its path`,
    );
    const html = join(dir, "kan.html");
    const plot = cli(["kan", "plot", CHECKPOINT, "--config", SPEC, "--out", html, "--json"]);
    assert.equal(plot.status, 0, plot.stderr);
    const drawn = (JSON.parse(plot.stdout) as { edges: { pruned: boolean }[] }).edges.filter(
      (e) => !e.pruned,
    ).length;
    // a test page around the written page's SVG: a script measures what Chromium laid out (each
    // edge group's box) and rasterises the SVG to count its non-white pixels
    const svg = /<svg[\s\S]*<\/svg>/.exec(readFileSync(html, "utf8"))![0];
    const probe = join(dir, "probe.html");
    writeFileSync(
      probe,
      `<!DOCTYPE html><html><body>${svg}<pre id="result"></pre><script>
const groups = [...document.querySelectorAll("g.kan-edge")];
const boxes = groups.map((g) => g.getBBox()).filter((b) => b.width > 5 && b.height > 5).length;
const svg = document.querySelector("svg");
const image = new Image();
image.onload = () => {
  const canvas = document.createElement("canvas");
  canvas.width = svg.width.baseVal.value;
  canvas.height = svg.height.baseVal.value;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let dark = 0;
  for (let k = 0; k < data.length; k += 4) if (data[k] < 128 && data[k + 3] > 0) dark++;
  document.getElementById("result").textContent = JSON.stringify({ groups: groups.length, boxes, dark });
};
image.src = "data:image/svg+xml;base64," + btoa(unescape(encodeURIComponent(new XMLSerializer().serializeToString(svg))));
</script></body></html>`,
    );
    const dom = execFileSync(
      CHROMIUM,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        `--user-data-dir=${join(dir, "profile")}`,
        "--virtual-time-budget=5000",
        "--dump-dom",
        `file://${probe}`,
      ],
      { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "ignore"] },
    );
    const result = JSON.parse(/<pre id="result">([^<]*)<\/pre>/.exec(dom)![1]!) as {
      groups: number;
      boxes: number;
      dark: number;
    };
    assert.equal(result.groups, drawn);
    assert.equal(result.boxes, drawn, "every edge group has a laid-out box");
    assert.ok(result.dark > 500, `dark pixels: ${result.dark}`);
  });
});
