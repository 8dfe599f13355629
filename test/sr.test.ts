import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
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
import type { FrontEntry } from "../src/search/sr/index.js";
import {
  chooseBest,
  isVariableName,
  makeDataset,
  paretoFront,
  symbolicRegression,
} from "../src/search/sr/index.js";
import { canonicalCandidate } from "../src/search/sr/canonical.js";
import { ColumnEvaluator, compileProgram } from "../src/expr/evaluate.js";
import { fitConstants } from "../src/search/sr/levenberg-marquardt.js";

// ---- an independent per-row reference: the language's safe forms written out here ----------

const EPS = 1e-7;
const safeDen = (b: number): number => (b >= 0 ? Math.max(b, EPS) : Math.min(b, -EPS));

function reference(expr: Expr, row: Record<string, number>): number {
  switch (expr.kind) {
    case "const":
      return expr.value;
    case "param": {
      const value = row[expr.name];
      if (value === undefined) throw new Error(`no variable ${expr.name}`);
      return value;
    }
    case "pow": {
      const base = reference(expr.base, row);
      let product = 1;
      for (let i = 0; i < Math.abs(expr.exponent); i++) product *= base;
      return expr.exponent >= 0 ? product : 1 / safeDen(product);
    }
    case "call": {
      const [a = NaN, b = NaN] = expr.args.map((arg) => reference(arg, row));
      switch (expr.op) {
        case "add":
          return a + b;
        case "mul":
          return a * b;
        case "div":
          return a / safeDen(b);
        case "neg":
          return -a;
        case "abs":
          return Math.abs(a);
        case "exp":
          return Math.exp(a);
        case "log":
          return Math.log(Math.max(Math.abs(a), EPS));
        case "sqrt":
          return Math.sqrt(Math.max(a, EPS));
        case "sin":
          return Math.sin(a);
        case "cos":
          return Math.cos(a);
        case "tanh":
          return Math.tanh(a);
        case "atan":
          return Math.atan(a);
        case "max":
          return Math.max(a, b);
        default:
          throw new Error(`reference has no ${expr.op}`);
      }
    }
    default:
      throw new Error(`reference has no ${expr.kind}`);
  }
}

/** Node count, counted here (a power is one node above its base). */
function countNodes(expr: Expr): number {
  if (expr.kind === "call") return 1 + expr.args.reduce((n, arg) => n + countNodes(arg), 0);
  if (expr.kind === "pow") return 1 + countNodes(expr.base);
  return 1;
}

const closeTo = (actual: number, expected: number, relative: number, what: string): void =>
  assert.ok(
    Math.abs(actual - expected) <= relative * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );

/** Every front entry: parses back to itself, complexity = node count, and the front is ordered. */
function checkFront(front: readonly FrontEntry[], best: FrontEntry): void {
  assert.ok(front.length >= 1);
  front.forEach((entry, i) => {
    const parsed = parseExpr(entry.expression);
    assert.equal(printExpr(parsed), entry.expression, "print(parse(e)) = e");
    assert.equal(countNodes(parsed), entry.complexity, `complexity of ${entry.expression}`);
    assert.ok(entry.loss >= 0 && Number.isFinite(entry.loss));
    assert.ok(entry.r2 <= 1);
    const previous = front[i - 1];
    if (previous) {
      assert.ok(entry.complexity > previous.complexity, "front ordered by complexity");
      assert.ok(entry.loss < previous.loss, "each entry lowers the loss");
    }
  });
  assert.ok(front.some((entry) => entry.expression === best.expression));
}

// ---- the CLI as a subprocess ----------------------------------------------------------------

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

const dir = mkdtempSync(join(tmpdir(), "nonlin-sr-"));
function writeCsv(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

// ---- PySR's quick start ---------------------------------------------------------------------

/** X = 2·randn(100, 5) from the project's generator, y = 2.5382·cos(x3) + x0² − 0.5. */
function quickStart(): { rows: number[][]; truth: (row: number[]) => number } {
  const rng = new Rng(2024);
  const truth = (r: number[]) => 2.5382 * Math.cos(r[3] as number) + (r[0] as number) ** 2 - 0.5;
  const rows = Array.from({ length: 100 }, () => Array.from({ length: 5 }, () => 2 * rng.normal()));
  return { rows, truth };
}

/** Terms of a flattened sum. */
function sumTerms(expr: Expr): Expr[] {
  return expr.kind === "call" && expr.op === "add" ? expr.args.flatMap(sumTerms) : [expr];
}

const isCosX3 = (e: Expr): boolean =>
  e.kind === "call" && e.op === "cos" && e.args[0]?.kind === "param" && e.args[0].name === "x3";

/** A constant times something: [constant, factor], or undefined. */
function scaled(e: Expr): [number, Expr] | undefined {
  if (e.kind !== "call" || e.op !== "mul") return undefined;
  const [a, b] = e.args as [Expr, Expr];
  if (a.kind === "const") return [a.value, b];
  if (b.kind === "const") return [b.value, a];
  return undefined;
}

/**
 * Matches c1·cos(x3) + x0^2 + c2, terms in any order, and returns c1 and c2. The canonical form
 * keeps a constant factor outside a sum, so c1·(cos(x3) + c3) + x0^2 (the same nine nodes, with
 * c2 = c1·c3) is accepted too.
 */
function matchQuickStart(expr: Expr): { c1: number; c2: number } | undefined {
  const terms = sumTerms(expr);
  const square = terms.filter(
    (t) => t.kind === "pow" && t.exponent === 2 && t.base.kind === "param" && t.base.name === "x0",
  );
  const rest = terms.filter((t) => !square.includes(t));
  if (square.length !== 1) return undefined;
  if (rest.length === 2) {
    const constant = rest.find((t) => t.kind === "const");
    const term = scaled(rest.find((t) => t !== constant) as Expr);
    if (constant?.kind !== "const" || term === undefined || !isCosX3(term[1])) return undefined;
    return { c1: term[0], c2: constant.value };
  }
  if (rest.length === 1) {
    const term = scaled(rest[0] as Expr);
    if (term === undefined) return undefined;
    const inner = sumTerms(term[1]);
    const c3 = inner.find((t) => t.kind === "const");
    const cosine = inner.find((t) => t !== c3);
    if (inner.length !== 2 || c3?.kind !== "const" || !isCosX3(cosine as Expr)) return undefined;
    return { c1: term[0], c2: term[0] * c3.value };
  }
  return undefined;
}

const QUICK_START_BUDGET = 100_000;

describe("nonlin sr: PySR's quick start", { timeout: 180_000 }, () => {
  it("the structural check accepts the two nine-node forms and nothing else", () => {
    const match = (text: string) => matchQuickStart(simplify(parseExpr(text)));
    assert.deepEqual(match("x0^2 + 2.5 * cos(x3) - 0.5"), { c1: 2.5, c2: -0.5 });
    assert.deepEqual(match("-0.5 + cos(x3) * 2 + x0^2"), { c1: 2, c2: -0.5 });
    assert.deepEqual(match("x0^2 + 2 * (cos(x3) - 0.25)"), { c1: 2, c2: -0.5 });
    for (const wrong of [
      "x0^2 + 2.5 * sin(x3) - 0.5",
      "x0^2 + 2.5 * cos(x2) - 0.5",
      "x0^3 + 2.5 * cos(x3) - 0.5",
      "1.1 * x0^2 + 2.5 * cos(x3) - 0.5",
      "x0^2 + 2.5 * cos(x3)",
      "x0^2 + 2.5 * cos(x3) - 0.5 + x1",
    ])
      assert.equal(match(wrong), undefined, wrong);
  });

  it(`recovers 2.5382·cos(x3) + x0² − 0.5 exactly (budget ${QUICK_START_BUDGET}, seed 0)`, async () => {
    const { rows, truth } = quickStart();
    const csv = ["x0,x1,x2,x3,x4,y", ...rows.map((r) => [...r, truth(r)].join(","))].join("\n");
    const run = await nonlin(
      "sr",
      writeCsv("quick-start.csv", `${csv}\n`),
      "--target",
      "y",
      "--budget",
      String(QUICK_START_BUDGET),
      "--seed",
      "0",
      "--store",
      join(dir, "quick-start.db"),
      "--json",
    );
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as {
      front: FrontEntry[];
      best: FrontEntry;
      evaluations: number;
      seconds: number;
    };
    // The JSON contract: front and best with exactly these fields (raw: before rounding).
    for (const entry of [...result.front, result.best]) {
      assert.deepEqual(Object.keys(entry).sort(), [
        "complexity",
        "expression",
        "loss",
        "r2",
        "raw",
      ]);
      assert.deepEqual(Object.keys(entry.raw).sort(), ["complexity", "expression", "loss", "r2"]);
    }
    assert.ok(
      result.evaluations >= QUICK_START_BUDGET && result.evaluations < 1.2 * QUICK_START_BUDGET,
    );
    checkFront(result.front, result.best);

    const canonical = simplify(parseExpr(result.best.expression));
    const match = matchQuickStart(canonical);
    assert.ok(match, `best ${result.best.expression} is not c1·cos(x3) + x0^2 + c2`);
    closeTo(match.c1, 2.5382, 1e-3, "c1");
    closeTo(match.c2, -0.5, 1e-3, "c2");
    // And as a function: equal to the truth at fresh points to 1e-6 relative.
    const rng = new Rng(7);
    for (let k = 0; k < 50; k++) {
      const point = Array.from({ length: 5 }, () => 3 * rng.normal());
      const row = Object.fromEntries(point.map((v, j) => [`x${j}`, v]));
      closeTo(reference(canonical, row), truth(point), 1e-6, `at ${point.join(", ")}`);
    }
    assert.ok(result.best.r2 > 1 - 1e-12);
  });
});

// ---- Feynman equations (the full ten are in bench/sr-feynman.ts) ----------------------------

const FEYNMAN_IN_TEST = ["I.34.8", "I.18.12", "II.38.14"];
const FEYNMAN_BUDGET = 60_000;
const FEYNMAN_ROWS = 300;

describe("symbolic regression on Feynman equations", { timeout: 180_000 }, () => {
  for (const id of FEYNMAN_IN_TEST) {
    it(`${id}: validation R² > 0.9999 with ${FEYNMAN_BUDGET} evaluations, and on fresh rows`, () => {
      const target = FEYNMAN_TARGETS.find((t) => t.name === `feynman/${id}`);
      assert.ok(target);
      const task = makePointTask(target, { seed: 0, train: FEYNMAN_ROWS, val: 0, test: 200 });
      const d = task.inputs;
      const names = target.variables.map((v) => v.name);
      const columns = names.map((_, j) =>
        Float64Array.from({ length: FEYNMAN_ROWS }, (_, r) => task.train.x[r * d + j] as number),
      );
      const result = symbolicRegression(
        makeDataset(names, columns, target.output, Float64Array.from(task.train.y)),
        { budget: FEYNMAN_BUDGET, seed: 0 },
      );
      checkFront(result.front, result.best);
      assert.ok(result.best.r2 > 0.9999, `${id}: ${result.best.expression} R² ${result.best.r2}`);
      // The test split was never seen: R² there, by the reference evaluator.
      const found = parseExpr(result.best.expression);
      const y = Array.from(task.test.y);
      const mean = y.reduce((a, b) => a + b, 0) / y.length;
      let residual = 0;
      let total = 0;
      y.forEach((value, r) => {
        const row = Object.fromEntries(names.map((name, j) => [name, task.test.x[r * d + j]]));
        residual += (reference(found, row as Record<string, number>) - value) ** 2;
        total += (value - mean) ** 2;
      });
      assert.ok(1 - residual / total > 0.9999, `${id}: test R² ${1 - residual / total}`);
    });
  }
});

// ---- pieces ---------------------------------------------------------------------------------

describe("sr evaluation", () => {
  const rng = new Rng(5);
  const n = 64;
  const a = Float64Array.from({ length: n }, () => 3 * rng.normal());
  const b = Float64Array.from({ length: n }, () => 3 * rng.normal());
  b[0] = 0; // a zero denominator
  a[1] = b[1] as number; // a zero difference inside log and sqrt
  const variables = new Map([
    ["a", 0],
    ["b", 1],
  ]);

  it("computes whole columns like a per-row reference, safe forms included", () => {
    const texts = [
      "a + b * 2.5 - 1",
      "a / b",
      "a / (a - b)",
      "log(a - b) + sqrt(a - b)",
      "log(b) * sqrt(-a)",
      "exp(a / 3) * cos(b)^3 - tanh(a / b)",
      "abs(a)^-2 + (a - b)^-1",
      "-a^3 + b^2 * sin(a)",
      "atan(a) + max(a, b)",
      "a",
      "2.5",
    ];
    const evaluator = new ColumnEvaluator([a, b]);
    for (const text of texts) {
      const expr = parseExpr(text);
      const column = evaluator.run(compileProgram(expr, { variables, cubeAsProduct: true }));
      for (let i = 0; i < n; i++) {
        const expected = reference(expr, { a: a[i] as number, b: b[i] as number });
        closeTo(column[i] as number, expected, 1e-12, `${text} at row ${i}`);
      }
    }
    assert.equal(evaluator.evaluations, texts.length);
  });

  it("rewrites division by a constant as a product, keeping the value", () => {
    assert.equal(
      printExpr(canonicalCandidate(parseExpr("cos(a) / 0.5 + 3 * cos(a)"))),
      "5 * cos(a)",
    );
    assert.equal(printExpr(canonicalCandidate(parseExpr("a / (2 * 4)"))), "0.125 * a");
    // A denominator below the safe epsilon keeps its safe value.
    const tiny = canonicalCandidate(parseExpr("a / 1e-9"));
    closeTo(reference(tiny, { a: 3, b: 0 }), 3 / 1e-7, 1e-12, "a / 1e-9");
  });

  it("takes constants from slots in pre-order", () => {
    const expr = parseExpr("2 * a + 3 / (b - 5)");
    const program = compileProgram(expr, { variables });
    assert.deepEqual(Array.from(program.constants), [2, 3, -5]);
    const column = new ColumnEvaluator([a, b]).run(program, Float64Array.from([7, 11, 13]));
    const other = parseExpr("7 * a + 11 / (b + 13)");
    for (let i = 0; i < n; i++)
      closeTo(column[i] as number, reference(other, { a: a[i]!, b: b[i]! }), 1e-12, `row ${i}`);
  });

  it("fits the constants of c0·exp(c1·a) + c2 by Levenberg–Marquardt", () => {
    const x = Float64Array.from({ length: 80 }, (_, i) => -2 + i / 20);
    const y = Float64Array.from(x, (v) => 1.7 * Math.exp(-0.8 * v) + 0.3);
    const program = compileProgram(parseExpr("1 * exp(0.1 * a) + 0"), {
      variables: new Map([["a", 0]]),
    });
    const evaluator = new ColumnEvaluator([x]);
    const fit = fitConstants(evaluator, program, y, { iterations: 100, lossFloor: 0 });
    closeTo(fit.constants[0] as number, 1.7, 1e-8, "c0");
    closeTo(fit.constants[1] as number, -0.8, 1e-8, "c1");
    closeTo(fit.constants[2] as number, 0.3, 1e-8, "c2");
    assert.ok(fit.loss < 1e-20);
  });
});

describe("sr front and best", () => {
  const entry = (complexity: number, loss: number): FrontEntry => {
    const raw = { expression: `e${complexity}`, complexity, loss, r2: 1 - loss };
    return { ...raw, trainLoss: loss, raw };
  };

  it("keeps only entries that lower the loss of every simpler one", () => {
    const front = paretoFront([
      entry(5, 0.5),
      entry(1, 2),
      entry(3, 1),
      entry(4, 1.5),
      entry(7, 0.5),
    ]);
    assert.deepEqual(
      front.map((e) => e.complexity),
      [1, 3, 5],
    );
  });

  it("chooses by −Δlog(loss)/Δcomplexity among entries within 1.5x of the lowest", () => {
    // Within 1.5 × 8.9e-4: complexities 5, 7, 9; scores ln(1000)/2 = 3.45, ln(1/0.9)/2, ln(0.9/0.89)/2.
    const front = [entry(1, 10), entry(3, 1), entry(5, 1e-3), entry(7, 9e-4), entry(9, 8.9e-4)];
    assert.equal(chooseBest(front, 1).complexity, 5);
    // Exact fits (below 1e-12 of the variance) tie, so the simplest exact one is chosen.
    const exact = [entry(1, 3), entry(6, 1e-9), entry(9, 1e-31), entry(11, 1e-33)];
    assert.equal(chooseBest(exact, 1).complexity, 9);
  });
});

describe("sr data", () => {
  it("accepts as variables only names that read back as parameters", () => {
    for (const name of ["x0", "speed", "m_0", "Ef", "theta1"])
      assert.ok(isVariableName(name), name);
    for (const name of ["x", "pi", "e", "sin", "where", "a b", "1a", "", "a-b", "pow"])
      assert.ok(!isVariableName(name), name);
  });

  it("is deterministic: the same seed gives the same front", () => {
    const { rows, truth } = quickStart();
    const names = ["x0", "x1", "x2", "x3", "x4"];
    const dataset = makeDataset(
      names,
      names.map((_, j) => Float64Array.from(rows, (r) => r[j] as number)),
      "y",
      Float64Array.from(rows, truth),
    );
    const first = symbolicRegression(dataset, { budget: 8000, seed: 3 });
    const second = symbolicRegression(dataset, { budget: 8000, seed: 3 });
    assert.deepEqual(second.front, first.front);
    assert.deepEqual(second.best, first.best);
    assert.equal(second.evaluations, first.evaluations);
    checkFront(first.front, first.best);
  });
});

describe("nonlin sr: bad input exits 2 with a message naming it", { timeout: 120_000 }, () => {
  it("missing file, missing column, bad cells, bad names, too few rows, a huge target, bad options", async () => {
    const good = writeCsv(
      "good.csv",
      ["a,b,y", ...Array.from({ length: 20 }, (_, i) => `${i},${i % 3},${2 * i}`)].join("\n"),
    );
    const cases: { args: string[]; message: RegExp }[] = [
      { args: [join(dir, "absent.csv"), "--target", "y"], message: /absent\.csv: no such file/ },
      { args: [good, "--target", "z"], message: /no column 'z'.*its columns: a, b, y/ },
      { args: [good], message: /required option '--target/ },
      {
        args: [
          writeCsv("text.csv", "a,y\n1,2\n2,oops\n3,4\n4,5\n5,6\n6,7\n7,8\n8,9\n9,10\n10,11\n"),
          "--target",
          "y",
        ],
        message: /text\.csv line 3, column 'y': 'oops' is not a finite number/,
      },
      {
        args: [writeCsv("short.csv", "a,y\n1,2\n2,3\n3,4\n"), "--target", "y"],
        message: /too few rows: 3, sr needs at least 10/,
      },
      {
        args: [
          writeCsv(
            "names.csv",
            ["x,y", ...Array.from({ length: 12 }, (_, i) => `${i},${i}`)].join("\n"),
          ),
          "--target",
          "y",
        ],
        message: /column 'x': not usable as a variable name/,
      },
      {
        args: [
          writeCsv(
            "huge.csv",
            ["a,y", ...Array.from({ length: 12 }, (_, i) => `${i},${i + 1}e300`)].join("\n"),
          ),
          "--target",
          "y",
        ],
        message:
          /column 'y': values as large as 1\.20e\+301 overflow float64 in sr's squared errors; divide the column by 1e301 and multiply the formula found by 1e301/,
      },
      {
        args: [good, "--target", "y", "--budget", "lots"],
        message: /--budget: must be a whole number/,
      },
    ];
    const runs = await Promise.all(cases.map((c) => nonlin("sr", ...c.args)));
    runs.forEach((run, i) => {
      const { message } = cases[i] as { message: RegExp };
      assert.equal(run.code, 2, `${message}: exit ${run.code}, ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, "");
    });
  });
});
