/**
 * `nonlin sr` as PySR users drive it: operators, maxsize / maxdepth, nesting and argument-size
 * constraints, model selection, rounded constants, noisy data, and the run store.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Rng } from "../src/data/rng.js";
import { FEYNMAN_TARGETS } from "../src/data/suites/feynman.js";
import { makePointTask } from "../src/data/suites/point-task.js";
import type { Expr } from "../src/expr/ast.js";
import { parseExpr } from "../src/expr/parse.js";
import { printExpr } from "../src/expr/print.js";
import { simplify } from "../src/expr/simplify.js";
import { ColumnEvaluator, compileProgram, meanSquaredError } from "../src/expr/evaluate.js";
import type { FrontEntry, Limits } from "../src/search/sr/index.js";
import {
  chooseModel,
  limitsChecker,
  makeDataset,
  parseArgumentSizes,
  parseNested,
  parseOperators,
  roundConstants,
  SrOptionsError,
  symbolicRegression,
} from "../src/search/sr/index.js";
import { openStore } from "../src/store/index.js";
import { storedSrHeadline } from "../src/cli/sr-record.js";

// ---- helpers written here, independent of the search's own ---------------------------------

function nodeCount(expr: Expr): number {
  if (expr.kind === "call") return 1 + expr.args.reduce((n, arg) => n + nodeCount(arg), 0);
  if (expr.kind === "pow") return 1 + nodeCount(expr.base);
  return 1;
}

function depth(expr: Expr): number {
  if (expr.kind === "call") return 1 + Math.max(...expr.args.map(depth));
  if (expr.kind === "pow") return 1 + depth(expr.base);
  return 1;
}

/** Every node label in the tree: call ops, "pow", "const", "param". */
function labels(expr: Expr): string[] {
  if (expr.kind === "call") return [expr.op, ...expr.args.flatMap(labels)];
  if (expr.kind === "pow") return ["pow", ...labels(expr.base)];
  return [expr.kind];
}

/** Largest number of `inner` calls strictly below any `outer` call, on one path. */
function worstNesting(expr: Expr, outer: string, inner: string): number {
  const below = (node: Expr): number => {
    const children = node.kind === "call" ? node.args : node.kind === "pow" ? [node.base] : [];
    let most = 0;
    for (const child of children) {
      const own = child.kind === "call" && child.op === inner ? 1 : 0;
      most = Math.max(most, own + below(child));
    }
    return most;
  };
  let worst = 0;
  const visit = (node: Expr): void => {
    if (node.kind === "call" && node.op === outer) worst = Math.max(worst, below(node));
    const children = node.kind === "call" ? node.args : node.kind === "pow" ? [node.base] : [];
    children.forEach(visit);
  };
  visit(expr);
  return worst;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function nonlin(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), "nonlin-sr-controls-"));

/** y = 2·a·sin(b) + a·b on 120 rows from the project's generator. */
function smallDataset() {
  const rng = new Rng(11);
  const a = Float64Array.from({ length: 120 }, () => 1 + 2 * rng.uniform());
  const b = Float64Array.from({ length: 120 }, () => 3 * rng.uniform());
  const y = Float64Array.from(a, (v, i) => 2 * v * Math.sin(b[i] as number) + v * (b[i] as number));
  return makeDataset(["a", "b"], [a, b], "y", y);
}

// ---- operators ------------------------------------------------------------------------------

describe("sr operators (PySR's names)", () => {
  it("reads binary and unary operators from one list, by symbol or name", () => {
    assert.deepEqual(parseOperators("+,-,*,/,sin,exp"), {
      binary: ["add", "sub", "mul", "div"],
      unary: ["sin", "exp"],
    });
    assert.deepEqual(parseOperators(" add , mul, square,cube, max "), {
      binary: ["add", "mul", "max"],
      unary: ["square", "cube"],
    });
    assert.deepEqual(parseOperators("*,*,cos"), { binary: ["mul"], unary: ["cos"] });
  });

  it("refuses unknown names, naming them, and '^' with the reason", () => {
    assert.throws(
      () => parseOperators("+,tan"),
      /--operators: unknown operator 'tan' \(known: binary: \+ - \* \/ max min; unary: neg abs exp/,
    );
    assert.throws(
      () => parseOperators("+,^"),
      /'\^' is not available: the language's powers have integer exponents/,
    );
    assert.throws(() => parseOperators(" , "), /--operators: no operator named/);
    assert.throws(() => parseOperators("stopgrad"), SrOptionsError);
  });

  it("reads nesting and argument-size constraints in PySR's meaning, naming bad parts", () => {
    const inUse = parseOperators("+,*,/,sin,cos,exp");
    const nested = parseNested("sin:sin=0,cos=0; exp:exp=1", inUse);
    assert.deepEqual(
      [...nested].map(([k, v]) => [k, [...v]]),
      [
        [
          "sin",
          [
            ["sin", 0],
            ["cos", 0],
          ],
        ],
        ["exp", [["exp", 1]]],
      ],
    );
    const sizes = parseArgumentSizes("/:-1,3;sin:5", inUse);
    assert.deepEqual(
      [...sizes],
      [
        ["div", [-1, 3]],
        ["sin", [5]],
      ],
    );
    assert.throws(
      () => parseNested("sin:tanh=0", inUse),
      /--nested: 'tanh' is not one of the operators in use \(\+ \* \/ sin cos exp\)/,
    );
    assert.throws(
      () => parseNested("sin:cos=-1", inUse),
      /--nested: 'cos=-1' in 'sin:cos=-1' is not INNER=N/,
    );
    assert.throws(() => parseNested("sin", inUse), /--nested: 'sin' is not OPERATOR:/);
    assert.throws(() => parseNested("sin:cos=0;sin:sin=0", inUse), /--nested: 'sin' appears twice/);
    assert.throws(() => parseArgumentSizes("/:3", inUse), /--constraints: '\/:3' needs two sizes/);
    assert.throws(() => parseArgumentSizes("sin:0", inUse), /a size of 0 allows nothing/);
  });
});

// ---- limits ---------------------------------------------------------------------------------

describe("sr limits on every candidate", () => {
  const limits = (over: Partial<Limits>): Limits => ({
    maxSize: 30,
    maxDepth: 10,
    ...parseOperators("+,-,*,/,sin,cos,exp"),
    nested: new Map(),
    argumentSizes: new Map(),
    ...over,
  });
  const ok = (l: Limits, text: string) => limitsChecker(l)(simplify(parseExpr(text)));

  it("counts nesting as SymbolicRegression.jl does: the most on one path, the outer not counted", () => {
    const inUse = parseOperators("+,-,*,/,sin,cos,exp");
    const l = limits({ nested: parseNested("sin:sin=0,cos=0;cos:cos=1", inUse) });
    assert.ok(ok(l, "sin(a) + sin(b)"));
    assert.ok(ok(l, "sin(a + exp(b))"));
    assert.ok(!ok(l, "sin(cos(a))"));
    assert.ok(!ok(l, "exp(sin(a * sin(b)))"));
    assert.ok(ok(l, "cos(cos(a))"));
    assert.ok(ok(l, "cos(cos(a) + cos(b))"), "two cos side by side are one level");
    assert.ok(!ok(l, "cos(cos(cos(a)))"));
  });

  it("checks size, depth, argument sizes and the operators in use", () => {
    assert.ok(ok(limits({ maxSize: 5 }), "a * b + 1"));
    assert.ok(!ok(limits({ maxSize: 5 }), "a * b + sin(a)"));
    assert.ok(ok(limits({ maxDepth: 3 }), "sin(a * b)"));
    assert.ok(!ok(limits({ maxDepth: 3 }), "sin(a * exp(b))"));
    const inUse = parseOperators("+,-,*,/,sin,cos,exp");
    const sized = limits({ argumentSizes: parseArgumentSizes("sin:3;/:-1,1", inUse) });
    assert.ok(ok(sized, "sin(a * b) / b"));
    assert.ok(!ok(sized, "sin(a * b + 1)"));
    assert.ok(!ok(sized, "a / (b + 1)"));
    assert.ok(!ok(limits({}), "tanh(a)"), "tanh is not in use");
    // the canonical form writes a - b as a + neg(b), b + b as 2 * b, and x * x as x^2
    const sums = limits({ ...parseOperators("+,-"), nested: new Map() });
    assert.ok(ok(sums, "a - b + b + a"));
    assert.ok(!ok(sums, "a * b"), "a product of two variables needs *");
    assert.ok(ok(limits({ ...parseOperators("*") }), "a * a"));
  });

  it("no front member breaks --maxsize, --maxdepth, the operators or the constraints", () => {
    const inUse = parseOperators("+,-,*,sin,cos");
    const result = symbolicRegression(smallDataset(), {
      budget: 15_000,
      seed: 1,
      ...inUse,
      maxSize: 11,
      maxDepth: 4,
      nested: parseNested("sin:sin=0,cos=0;cos:sin=0,cos=0", inUse),
      argumentSizes: parseArgumentSizes("sin:3", inUse),
    });
    assert.ok(result.front.length >= 3);
    for (const entry of result.front) {
      for (const text of [entry.expression, entry.raw.expression]) {
        const expr = parseExpr(text);
        assert.ok(nodeCount(expr) <= 11, `size of ${text}`);
        assert.ok(depth(expr) <= 4, `depth of ${text}`);
        for (const label of labels(expr))
          assert.ok(
            ["add", "neg", "mul", "pow", "sin", "cos", "const", "param"].includes(label),
            `${label} in ${text}`,
          );
        for (const outer of ["sin", "cos"])
          for (const inner of ["sin", "cos"])
            assert.equal(worstNesting(expr, outer, inner), 0, `${inner} inside ${outer}: ${text}`);
        const sinArgs: Expr[] = [];
        const collect = (node: Expr): void => {
          if (node.kind === "call") {
            if (node.op === "sin") sinArgs.push(node.args[0] as Expr);
            node.args.forEach(collect);
          } else if (node.kind === "pow") collect(node.base);
        };
        collect(expr);
        for (const arg of sinArgs) assert.ok(nodeCount(arg) <= 3, `sin argument in ${text}`);
      }
    }
  });
});

// ---- model selection ------------------------------------------------------------------------

describe("sr model selection (PySR's best | accuracy | score)", () => {
  const entry = (complexity: number, loss: number): FrontEntry => {
    const raw = { expression: `e${complexity}`, complexity, loss, r2: 1 - loss };
    return { ...raw, trainLoss: loss, raw };
  };
  // scores: c3 ln(10)/2 = 1.151, c5 ln(2)/2 = 0.347, c8 ln(5)/3 = 0.536, c10 ln(0.1/0.09)/2 = 0.053
  const front = [entry(1, 10), entry(3, 1), entry(5, 0.5), entry(8, 0.1), entry(10, 0.09)];

  it("accuracy: the lowest loss; score: the highest score; best: the highest score within 1.5x of the lowest", () => {
    assert.equal(chooseModel(front, "accuracy", 100).complexity, 10);
    assert.equal(chooseModel(front, "score", 100).complexity, 3);
    assert.equal(chooseModel(front, "best", 100).complexity, 8);
  });

  it("exact fits tie below 1e-12 of the variance: accuracy then takes the simplest exact one", () => {
    const exact = [entry(1, 3), entry(6, 1e-9), entry(9, 1e-31), entry(11, 1e-33)];
    assert.equal(chooseModel(exact, "accuracy", 1).complexity, 9);
    assert.equal(chooseModel(exact, "best", 1).complexity, 9);
    // score: c6 ln(3e9)/5 = 4.37 beats c9 ln(1e-9/1e-12)/3 = 2.30
    assert.equal(chooseModel(exact, "score", 1).complexity, 6);
  });
});

// ---- rounding -------------------------------------------------------------------------------

describe("sr rounds constants where the validation loss allows", () => {
  const rng = new Rng(3);
  const dist = Float64Array.from({ length: 80 }, () => 0.5 + 3 * rng.uniform());
  const variables = new Map([["dist", 0]]);
  const evaluator = new ColumnEvaluator([dist]);
  const context = (target: Float64Array) => {
    const mean = target.reduce((a, b) => a + b, 0) / target.length;
    return {
      lossOf: (expr: Expr) =>
        meanSquaredError(evaluator.run(compileProgram(expr, { variables })), target),
      allowed: () => true,
      targetVariance: target.reduce((a, b) => a + (b - mean) ** 2, 0) / target.length,
    };
  };
  const rounded = (text: string, target: Float64Array) =>
    printExpr(roundConstants(simplify(parseExpr(text)), context(target)));

  it("1.0000000000883866 / exp(dist) on exact data prints 1 / exp(dist)", () => {
    const exact = Float64Array.from(dist, (d) => 1 / Math.exp(d));
    assert.equal(rounded("1.0000000000883866 / exp(dist)", exact), "1 / exp(dist)");
  });

  it("keeps every digit an exact fit needs, and drops a constant that does nothing", () => {
    const exact = Float64Array.from(dist, (d) => 2.5382 * Math.cos(d) - 0.5);
    assert.equal(
      rounded("2.5382000000001 * cos(dist) - 0.49999999999", exact),
      "2.5382 * cos(dist) - 0.5",
    );
    assert.equal(
      rounded("2.5382 * cos(dist) - 0.5 + 1e-13 * dist", exact),
      "2.5382 * cos(dist) - 0.5",
    );
  });

  it("on noisy data, rounds to the digits the noise leaves (loss within 1% of the raw fit)", () => {
    const noise = new Rng(4);
    const noisy = Float64Array.from(dist, (d) => 1.5 * Math.sqrt(d) + 0.05 * noise.normal());
    const text = rounded("1.4987612 * sqrt(dist) + 0.00123", noisy);
    assert.equal(text, "1.5 * sqrt(dist)");
    const c = context(noisy);
    const raw = c.lossOf(simplify(parseExpr("1.4987612 * sqrt(dist) + 0.00123")));
    assert.ok(c.lossOf(parseExpr(text)) <= 1.01 * raw);
    // a constant the data pins down is not rounded away
    assert.notEqual(rounded("1.2 * sqrt(dist)", noisy), "sqrt(dist)");
  });
});

// ---- noisy data -----------------------------------------------------------------------------

describe("sr on noisy data (Gaussian noise, σ = 0.05 · std(y))", { timeout: 120_000 }, () => {
  /** y plus noise of 0.05 times its own standard deviation, and the R² that noise allows. */
  function noisy(clean: ArrayLike<number>, seed: number) {
    const n = clean.length;
    const values = Array.from(clean);
    const mean = values.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    const rng = new Rng(seed);
    const sigma = 0.05 * sd;
    // R² of the true formula: 1 − σ² / (var(clean) + σ²)
    return {
      y: Float64Array.from(values, (v) => v + sigma * rng.normal()),
      ceiling: 1 - sigma ** 2 / (sd ** 2 + sigma ** 2),
    };
  }
  const canonical = (text: string) => printExpr(simplify(parseExpr(text)));

  it("recovers I.18.12, tau = r·F·sin(theta), as F * r * sin(theta) with R² at the noise ceiling", () => {
    const target = FEYNMAN_TARGETS.find((t) => t.name === "feynman/I.18.12");
    assert.ok(target);
    const rows = 300;
    const task = makePointTask(target, { seed: 0, train: rows, val: 0, test: 0 });
    const d = task.inputs;
    const names = target.variables.map((v) => v.name);
    const columns = names.map((_, j) =>
      Float64Array.from({ length: rows }, (_, r) => task.train.x[r * d + j] as number),
    );
    const { y, ceiling } = noisy(task.train.y, 17);
    const result = symbolicRegression(makeDataset(names, columns, "tau", y), {
      budget: 40_000,
      seed: 0,
    });
    const best = result.best;
    assert.equal(
      canonical(best.expression),
      canonical("r * F * sin(theta)"),
      `best: ${best.expression}`,
    );
    // the validation split's R² within sampling error (75 rows) of the ceiling
    assert.ok(
      Math.abs(best.r2 - ceiling) < 0.5 * (1 - ceiling),
      `R² ${best.r2}, ceiling ${ceiling}`,
    );
  });

  it("recovers E = m·v²/2 with its constant rounded to 0.5", () => {
    const rng = new Rng(23);
    const rows = 200;
    const m = Float64Array.from({ length: rows }, () => 1 + 4 * rng.uniform());
    const v = Float64Array.from({ length: rows }, () => 1 + 4 * rng.uniform());
    const { y, ceiling } = noisy(
      Array.from(m, (mi, i) => 0.5 * mi * (v[i] as number) ** 2),
      29,
    );
    const result = symbolicRegression(makeDataset(["m", "v"], [m, v], "E", y), {
      budget: 20_000,
      seed: 0,
    });
    const best = result.best;
    assert.equal(best.expression, canonical("0.5 * m * v^2"), `best: ${best.expression}`);
    // the search's own constant had all its digits: rounding made it 0.5
    const raw = parseExpr(best.raw.expression);
    assert.ok(raw.kind === "call" && labels(raw).filter((l) => l === "const").length >= 1);
    assert.notEqual(best.raw.expression, best.expression);
    assert.ok(
      Math.abs(best.r2 - ceiling) < 0.5 * (1 - ceiling),
      `R² ${best.r2}, ceiling ${ceiling}`,
    );
  });
});

// ---- the command line and the run store -----------------------------------------------------

describe("nonlin sr: options and the run store", { timeout: 120_000 }, () => {
  const csv = join(dir, "torque.csv");
  const rng = new Rng(5);
  const lines = ["F,r,theta,tau"];
  for (let i = 0; i < 60; i++) {
    const [F, r, theta] = [1 + 4 * rng.uniform(), 1 + 4 * rng.uniform(), 3 * rng.uniform()];
    lines.push([F, r, theta, F * r * Math.sin(theta)].join(","));
  }
  writeFileSync(csv, `${lines.join("\n")}\n`);

  it("bad options exit 2 naming the option, with no run recorded", async () => {
    const store = join(dir, "bad.db");
    const cases: [string[], RegExp][] = [
      [["--operators", "+,tan"], /--operators: unknown operator 'tan'/],
      [
        ["--operators", "+,*", "--nested", "sin:sin=0"],
        /--nested: 'sin' is not one of the operators in use/,
      ],
      [["--constraints", "*:3"], /--constraints: '\*:3' needs two sizes/],
      [["--maxsize", "0"], /--maxsize: must be a whole number in \[1, 1000\], got '0'/],
      [["--maxdepth", "deep"], /--maxdepth: must be a whole number/],
      [["--select", "fastest"], /--select: must be one of best, accuracy, score, got 'fastest'/],
    ];
    const runs = await Promise.all(
      cases.map(([args]) => nonlin("sr", csv, "--target", "tau", "--store", store, ...args)),
    );
    runs.forEach((run, i) => {
      const [, message] = cases[i] as [string[], RegExp];
      assert.equal(run.code, 2, `${message}: exit ${run.code}, ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
      assert.equal(run.stdout, "");
    });
    assert.ok(!existsSync(store), "no store was created");
  });

  it("records the run: command sr, its options as config, the front and the headline", async () => {
    const store = join(dir, "runs.db");
    const run = await nonlin(
      "sr",
      csv,
      "--target",
      "tau",
      "--budget",
      "8000",
      "--seed",
      "2",
      "--operators",
      "+,*,-,sin",
      "--maxsize",
      "12",
      "--maxdepth",
      "5",
      "--nested",
      "sin:sin=0",
      "--select",
      "accuracy",
      "--store",
      store,
      "--json",
    );
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as {
      run: string;
      select: string;
      front: (FrontEntry & { raw: FrontEntry })[];
      best: FrontEntry;
    };
    assert.equal(result.select, "accuracy");
    for (const entry of [...result.front, result.best]) {
      assert.deepEqual(Object.keys(entry).sort(), [
        "complexity",
        "expression",
        "loss",
        "r2",
        "raw",
      ]);
      assert.deepEqual(Object.keys(entry.raw).sort(), ["complexity", "expression", "loss", "r2"]);
      assert.ok(entry.complexity <= 12);
    }
    // accuracy: the lowest validation loss on the front
    const lowest = Math.min(...result.front.map((e) => e.loss));
    assert.equal(result.best.loss, lowest);

    const opened = openStore(store, { mustExist: true, readonly: true });
    try {
      const record = opened.getRun(result.run);
      assert.ok(record);
      assert.equal(record.command, "sr");
      assert.equal(record.status, "done");
      const config = record.config as Record<string, unknown>;
      assert.deepEqual(config.operators, ["+", "*", "-", "sin"]);
      assert.equal(config.maxsize, 12);
      assert.equal(config.maxdepth, 5);
      assert.deepEqual(config.nested, { sin: { sin: 0 } });
      assert.equal(config.select, "accuracy");
      assert.equal(config.budget, 8000);
      assert.equal(config.target, "tau");
      const events = opened.listEvents(result.run);
      const frontEvents = events.filter((e) => e.message.startsWith("front: "));
      assert.equal(frontEvents.length, result.front.length);
      assert.equal(
        storedSrHeadline(events),
        `best: ${result.best.expression} (val R² ${result.best.r2.toPrecision(6)}, complexity ${result.best.complexity})`,
      );
    } finally {
      opened.close();
    }
  });
});
