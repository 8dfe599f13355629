import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ColumnEvaluator, compileProgram } from "../src/expr/evaluate.js";
import { parseExpr } from "../src/expr/parse.js";
import * as ort from "onnxruntime-node";
import { openStore } from "../src/store/index.js";
import { jaxPython } from "./support/jax-python.js";

const dir = mkdtempSync(join(tmpdir(), "nonlin-kan-symbolic-"));
const STORE = join(dir, "runs.db");
const cli = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args, "--store", STORE], {
    encoding: "utf8",
  });

/** Largest |f − g| over 2000 random points of [−1, 1]² (f, g over x1, x2). */
function largestGap(f: string, g: string): number {
  let seed = 7;
  const uniform = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const columns = [0, 1].map(() => Float64Array.from({ length: 2000 }, uniform));
  const variables = new Map([
    ["x1", 0],
    ["x2", 1],
  ]);
  const run = (text: string) =>
    Float64Array.from(
      new ColumnEvaluator(columns).run(compileProgram(parseExpr(text), { variables })),
    );
  const a = run(f);
  const b = run(g);
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]!)), 0);
}

describe("KAN → formula through the CLI", () => {
  const out = join(dir, "hello");
  let result: ReturnType<typeof cli>;

  it("examples/hello-kan-symbolic.yaml ends with exp(sin(πx1) + x2²): equal on 2000 points to 1e-10, test RMSE ≤ 1e-6", () => {
    result = cli(["fit", "examples/hello-kan-symbolic.yaml", "--out", out, "--json"]);
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as {
      run: string;
      formula: { formula: string; latex: string; test: { rmse: number; r2: number } };
      phases: { kind: string; fixed?: { function: string }[] }[];
    };
    const { formula } = summary;
    assert.ok(largestGap(formula.formula, "exp(sin(pi*x1) + x2^2)") < 1e-10, formula.formula);
    assert.ok(formula.test.rmse <= 1e-6, `test rmse ${formula.test.rmse}`);
    assert.match(formula.latex, /\\exp/);
    const fixed = summary.phases.find((p) => p.kind === "symbolic")!.fixed!.map((e) => e.function);
    assert.deepEqual([...fixed].sort(), ["exp", "sin", "x^2"]);
    // the run store keeps the formula (an event) and the formula.json artifact
    const store = openStore(STORE);
    try {
      assert.ok(
        store.listEvents(summary.run).some((e) => e.message === `formula: ${formula.formula}`),
      );
      assert.ok(store.listArtifacts(summary.run).some((a) => a.kind === "formula"));
    } finally {
      store.close();
    }
    assert.ok(existsSync(join(out, "formula.json")));
  });

  it("kan edges lists the fixed edges of the run with their functions", () => {
    const edges = cli(["kan", "edges", out, "--json"]);
    assert.equal(edges.status, 0, edges.stderr);
    const listing = JSON.parse(edges.stdout) as {
      edges: { layer: number; state: string; fixed?: { function: string } }[];
    };
    const fixed = listing.edges.filter((e) => e.state === "fixed").map((e) => e.fixed!.function);
    assert.deepEqual(fixed.sort(), ["exp", "sin", "x^2"]);
    // the same by the run's id: the checkpoint found through the store's artifacts
    const summary = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { spec: string };
    assert.equal(summary.spec, "examples/hello-kan-symbolic.yaml");
    const store = openStore(STORE);
    const runId = store.listRuns().find((r) => r.command === "fit")!.id;
    store.close();
    const byRun = cli(["kan", "edges", runId, "--json"]);
    assert.equal(byRun.status, 0, byRun.stderr);
    assert.deepEqual(JSON.parse(byRun.stdout).edges, listing.edges);
  });

  it("kan plot draws the fixed edges, labelled with their functions", () => {
    const svg = join(dir, "hello.svg");
    const plot = cli([
      "kan",
      "plot",
      out,
      "--config",
      "examples/hello-kan-symbolic.yaml",
      "--out",
      svg,
      "--json",
    ]);
    assert.equal(plot.status, 0, plot.stderr);
    const summary = JSON.parse(plot.stdout) as { edges: { pruned: boolean; fixed?: string }[] };
    const drawn = summary.edges.filter((e) => !e.pruned);
    assert.deepEqual(drawn.map((e) => e.fixed).sort(), ["exp", "sin", "x^2"]);
    const text = readFileSync(svg, "utf8");
    assert.equal(text.match(/class="kan-edge kan-edge-fixed"/g)?.length, 3);
    for (const name of ["sin", "x^2", "exp"])
      assert.ok(text.includes(`fixed: ${name}</title>`), name);
  });

  it("kan edges ranks a trained spline edge's candidates (hello KAN before the symbolic phase)", () => {
    const spec = join(dir, "hello-splines.yaml");
    const text = readFileSync("examples/hello-kan-symbolic.yaml", "utf8");
    writeFileSync(spec, text.replace(/\n {2}- \{ kind: symbolic \}[\s\S]*$/, "\n"));
    const splines = join(dir, "splines");
    assert.equal(cli(["fit", spec, "--out", splines]).status, 0);
    const edges = cli(["kan", "edges", splines, "--top", "3", "--json"]);
    assert.equal(edges.status, 0, edges.stderr);
    const listing = JSON.parse(edges.stdout) as {
      edges: {
        layer: number;
        input: number;
        state: string;
        score: number;
        candidates?: { function: string; r2: number }[];
      }[];
    };
    const first = listing.edges.find(
      (e) => e.layer === 0 && e.input === 0 && e.state === "spline",
    )!;
    assert.equal(first.candidates!.length, 3);
    assert.equal(first.candidates![0]!.function, "sin");
    assert.ok(first.candidates![0]!.r2 > 0.999);
    assert.ok(first.score > 0);
  });

  it("kan export gives the formula as a PyTorch function equal to the plain evaluator (float64, 1e-12)", () => {
    const exported = cli(["kan", "export", out, "--to", "torch"]);
    assert.equal(exported.status, 0, exported.stderr);
    const module = join(dir, "formula_torch.py");
    writeFileSync(module, exported.stdout);
    const points = Array.from({ length: 50 }, (_, i) => [Math.sin(i) * 0.9, Math.cos(3 * i) * 0.8]);
    const script = [
      "import json, sys, torch, importlib.util",
      `spec = importlib.util.spec_from_file_location("f", ${JSON.stringify(module)})`,
      "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)",
      `x = torch.tensor(${JSON.stringify(points)}, dtype=torch.float64)`,
      "print(json.dumps(m.formula(x).tolist()))",
    ].join("\n");
    const python = spawnSync("/usr/bin/python3", ["-c", script], { encoding: "utf8" });
    assert.equal(python.status, 0, python.stderr);
    const torchValues = JSON.parse(python.stdout) as number[];
    const formula = JSON.parse(readFileSync(join(out, "formula.json"), "utf8")) as {
      formula: string;
    };
    const columns = [0, 1].map((c) => Float64Array.from(points, (p) => p[c]!));
    const plain = new ColumnEvaluator(columns).run(
      compileProgram(parseExpr(formula.formula), {
        variables: new Map([
          ["x1", 0],
          ["x2", 1],
        ]),
      }),
    );
    torchValues.forEach((v, i) =>
      assert.ok(Math.abs(v - plain[i]!) < 1e-12, `${v} vs ${plain[i]}`),
    );
    const latex = cli(["kan", "export", out, "--to", "latex"]);
    assert.match(latex.stdout, /\\exp\\left\(/);
    const bad = cli(["kan", "export", out, "--to", "onnx"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--to: expected one of latex, torch, jax, got 'onnx'/);
  });

  it("whole-model export: PyTorch, ONNX and JAX run the fixed edges to predict's values", async (t) => {
    const points = [
      [0.1, 0.2],
      [0.5, -0.3],
      [-0.7, 0.9],
    ];
    const rows = join(dir, "rows.csv");
    writeFileSync(rows, `x1,x2\n${points.map((p) => p.join(",")).join("\n")}\n`);
    const predicted = cli(["predict", out, rows]);
    assert.equal(predicted.status, 0, predicted.stderr);
    const values = predicted.stdout.trim().split("\n").slice(1).map(Number);
    points.forEach(([a, b], i) =>
      assert.ok(Math.abs(values[i]! - Math.exp(Math.sin(Math.PI * a!) + b! ** 2)) < 1e-5),
    );
    // to 1e-6: nonlin's (jax-js's) float64 exp and sin are approximations to ~4e-7 (ONNX's and
    // XLA's are correctly rounded; test/support/graph-cases.ts)
    const close = (got: number[], what: string) =>
      got.forEach((v, i) =>
        assert.ok(
          Math.abs(v - values[i]!) <= 1e-6 * Math.max(1, Math.abs(values[i]!)),
          `${what} row ${i}: ${v} vs ${values[i]}`,
        ),
      );

    const torchFolder = join(dir, "export-torch");
    assert.equal(cli(["export", out, "--to", "torch", "--out", torchFolder]).status, 0);
    const torchRun = spawnSync("/usr/bin/python3", [join(torchFolder, "model.py"), rows], {
      encoding: "utf8",
    });
    assert.equal(torchRun.status, 0, torchRun.stderr);
    close(torchRun.stdout.trim().split("\n").map(Number), "torch");

    const onnx = join(dir, "export-onnx");
    assert.equal(cli(["export", out, "--to", "onnx", "--out", onnx]).status, 0);
    const spec = JSON.parse(readFileSync(join(out, "checkpoint.json"), "utf8")) as {
      dtype: "float32" | "float64";
    };
    const session = await ort.InferenceSession.create(join(onnx, "model.onnx"));
    const data =
      spec.dtype === "float64"
        ? Float64Array.from(points.flat())
        : Float32Array.from(points.flat());
    const result = await session.run({
      [session.inputNames[0]!]: new ort.Tensor(spec.dtype, data, [3, 2]),
    });
    await session.release();
    close([...(result[session.outputNames[0]!]!.data as Float64Array)], "onnx");

    const jax = jaxPython();
    if (jax.skip !== undefined) return t.skip(jax.skip);
    const jaxFolder = join(dir, "export-jax");
    assert.equal(cli(["export", out, "--to", "jax", "--out", jaxFolder]).status, 0);
    const run = spawnSync(jax.python, [join(jaxFolder, "model.py"), rows], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    close(run.stdout.trim().split("\n").map(Number), "jax");
  });

  it("pykan's relativistic addition (locked arctanh, arctanh, tanh) reads out equal to (x1 + x2)/(1 + x1·x2)", () => {
    const run = cli(["fit", "examples/kan-relativistic.yaml", "--json"]);
    assert.equal(run.status, 0, run.stderr);
    const { formula } = JSON.parse(run.stdout) as {
      formula: { formula: string; test: { rmse: number } };
    };
    // on the task's box [−0.9, 0.9]²: largestGap samples [−1, 1]², so scale the variables
    const scaled = formula.formula.replaceAll("x1", "(0.9*x1)").replaceAll("x2", "(0.9*x2)");
    assert.ok(largestGap(scaled, "(0.9*x1 + 0.9*x2)/(1 + 0.81*x1*x2)") < 1e-10, formula.formula);
    assert.ok(formula.test.rmse < 1e-10);
  });

  it("a lock naming an edge that does not exist exits 2, naming the phase, the lock and the edge", () => {
    const spec = join(dir, "bad-lock.yaml");
    const text = readFileSync("examples/hello-kan-symbolic.yaml", "utf8").replace(
      "- { kind: symbolic }",
      "- { kind: symbolic, lock: [{ layer: 0, input: 7, unit: 0, function: sin }] }",
    );
    writeFileSync(spec, text);
    const bad = cli(["fit", spec, "--out", join(dir, "bad")]);
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /phases\[5\]\.lock\[0\]: edge 0\.7\.0 does not exist/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
  });

  it("kan edges on a folder without a checkpoint exits 2 naming it", () => {
    const bad = cli(["kan", "edges", dir]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /no checkpoint\.json/);
  });
});
