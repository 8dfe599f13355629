/**
 * Formula tasks: y = f(x1, …, xd) written in the expression language, sampled uniformly and
 * independently on a box for each split, as pykan's create_dataset does (Liu et al. 2024, KAN).
 *
 * Variables are the names x1, x2, …; `x` alone stands for x1 in a formula of one variable; `pi`
 * and `e` are the language's constants. Values follow the language's scalar meaning
 * (src/expr/scalar.ts), so log, sqrt and division are the safe forms training uses:
 * log(a) = log(max(|a|, 1e-7)), sqrt(a) = sqrt(max(a, 1e-7)), a/b with |b| ≥ 1e-7.
 *
 * `sampledTask` does the sampling for any point function (a `CompiledFormula`), so the built-in
 * catalog's suites (src/data/suites) share it with plain TypeScript targets.
 */
import type { Expr } from "../expr/ast.js";
import { dependsOnInput, paramNamesOf, someNode } from "../expr/ast.js";
import { ConstantStatisticError, ExprSyntaxError } from "../expr/errors.js";
import { pointFunction } from "../expr/evaluate.js";
import { parseActivation } from "../expr/parse.js";
import { Rng } from "./rng.js";
import type { Task, TaskSplit } from "./task.js";
import { DataError } from "./task.js";

const VARIABLE = /^x([1-9]\d*)$/;

/** A box: one [low, high] for every variable, or one per variable. */
export type Box = readonly [number, number] | readonly (readonly [number, number])[];

export interface FormulaTaskOptions {
  readonly name?: string;
  /** One formula per output. */
  readonly formula: string | readonly string[];
  /** Number of inputs d; default: the largest index among x1..xd used. */
  readonly variables?: number;
  readonly box: Box;
  readonly train: number;
  readonly val: number;
  readonly test: number;
  readonly seed: number;
  /** Standard deviation of Gaussian noise added to train and val targets (test stays clean). */
  readonly noise: number;
}

/** A formula ready to evaluate at a point `values[offset .. offset + variables)`. */
export interface CompiledFormula {
  readonly text: string;
  readonly variables: number;
  evaluate(values: ArrayLike<number>, offset?: number): number;
}

interface Analysed {
  readonly text: string;
  readonly field: string;
  readonly expr: Expr;
  readonly usesX: boolean;
  readonly highestIndex: number;
}

function analyse(text: string, field: string): Analysed {
  const noStatistics = new DataError(
    `${field}: statistics (mean, var, std, rms, amax) have no meaning in a formula of one point`,
  );
  let expr: Expr;
  try {
    expr = parseActivation(text).expr;
  } catch (error) {
    // to the parser a statistic of variables alone is one number; here, statistics are the problem
    if (error instanceof ConstantStatisticError) throw noStatistics;
    if (error instanceof ExprSyntaxError) throw new DataError(`${field}: ${error.pointer()}`);
    throw error;
  }
  if (someNode(expr, (node) => node.kind === "stat")) throw noStatistics;
  const names = paramNamesOf(expr);
  const unknown = names.filter((name) => !VARIABLE.test(name));
  if (unknown.length > 0) {
    throw new DataError(
      `${field}: unknown name${unknown.length === 1 ? "" : "s"} ${unknown.map((n) => `'${n}'`).join(", ")} in '${text}': ` +
        "variables are x1, x2, … (x alone for one variable); pi and e are constants",
    );
  }
  const indices = names.map((name) => Number(VARIABLE.exec(name)?.[1]));
  const usesX = dependsOnInput(expr);
  if (usesX && indices.length > 0) {
    throw new DataError(
      `${field}: '${text}' mixes x with x1, x2, …: write x1 instead of x when naming variables`,
    );
  }
  return { text, field, expr, usesX, highestIndex: Math.max(usesX ? 1 : 0, ...indices) };
}

/**
 * Parses formulas that share variables x1..xd. `variables` defaults to the largest index used;
 * given, it may exceed it (inputs the target ignores) but not fall below it.
 */
export function compileFormulas(
  texts: readonly string[],
  variables?: number,
  field = "formula",
): CompiledFormula[] {
  const analysed = texts.map((text, i) =>
    analyse(text, texts.length === 1 ? field : `${field}[${i}]`),
  );
  const highest = Math.max(1, ...analysed.map((a) => a.highestIndex));
  const count = variables ?? highest;
  if (count < highest) {
    throw new DataError(`variables: ${count}, but the formula uses x${highest}`);
  }
  for (const a of analysed) {
    if (a.usesX && count !== 1) {
      throw new DataError(
        `${a.field}: x stands for x1 only in a formula of one variable; with ${count} variables write x1, x2, …`,
      );
    }
  }
  // x1..xd read columns 0..d−1; x alone (one variable) reads column 0
  const columns = new Map(Array.from({ length: count }, (_, j) => [`x${j + 1}`, j]));
  return analysed.map((a) => ({
    text: a.text,
    variables: count,
    evaluate: pointFunction(a.expr, { variables: columns, input: 0 }, count),
  }));
}

/** One [low, high] per variable, checked. */
export function boxBounds(box: Box, variables: number): [number, number][] {
  const isSingle = box.length === 2 && typeof box[0] === "number";
  const bounds = isSingle
    ? Array.from({ length: variables }, () => [box[0], box[1]] as [number, number])
    : (box as readonly (readonly [number, number])[]).map(([l, h]) => [l, h] as [number, number]);
  if (bounds.length !== variables) {
    throw new DataError(
      `box: ${bounds.length} intervals for ${variables} variables: give one [low, high] per variable, or one for all`,
    );
  }
  bounds.forEach(([low, high], i) => {
    if (!(low < high)) {
      throw new DataError(
        `box${isSingle ? "" : `[${i}]`}: low must be below high, got [${low}, ${high}]`,
      );
    }
  });
  return bounds;
}

/** Streams of the generator: each split draws its own, so sizes do not change other splits. */
const STREAM = { trainX: 0, valX: 1, testX: 2, trainNoise: 3, valNoise: 4 } as const;

function sampleSplit(
  formulas: readonly CompiledFormula[],
  bounds: readonly [number, number][],
  rows: number,
  seed: number,
  xStream: number,
  noise: number,
  noiseStream: number | undefined,
): TaskSplit {
  const d = bounds.length;
  const outputs = formulas.length;
  const x = new Float64Array(rows * d);
  const y = new Float64Array(rows * outputs);
  const rng = new Rng(seed, xStream);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < d; j++) {
      const [low, high] = bounds[j] as [number, number];
      x[r * d + j] = rng.uniformIn(low, high);
    }
  }
  const noiseRng = noise > 0 && noiseStream !== undefined ? new Rng(seed, noiseStream) : undefined;
  for (let r = 0; r < rows; r++) {
    formulas.forEach((formula, k) => {
      const value = formula.evaluate(x, r * d);
      if (!Number.isFinite(value)) {
        const point = Array.from(x.subarray(r * d, (r + 1) * d)).join(", ");
        throw new DataError(`formula: '${formula.text}' is ${value} at (${point})`);
      }
      y[r * outputs + k] = value + (noiseRng ? noise * noiseRng.normal() : 0);
    });
  }
  return { x, y, rows };
}

const formatBounds = (bounds: readonly [number, number][]): string =>
  bounds.every(([l, h]) => l === bounds[0]?.[0] && h === bounds[0]?.[1])
    ? `[${bounds[0]?.[0]}, ${bounds[0]?.[1]}]^${bounds.length}`
    : bounds.map(([l, h]) => `[${l}, ${h}]`).join("×");

/** What a sampled task is made of: targets as point functions, the box, sizes and the seed. */
export interface SampledTaskOptions {
  readonly name: string;
  /** One target per output; all read the same `variables` inputs. */
  readonly targets: readonly CompiledFormula[];
  readonly box: Box;
  readonly train: number;
  readonly val: number;
  readonly test: number;
  readonly seed: number;
  /** Standard deviation of Gaussian noise added to train and val targets (test stays clean). */
  readonly noise: number;
  /** Default: x1..xd. */
  readonly featureNames?: readonly string[];
  /** Default: y for one target, y1..yk for several. */
  readonly targetNames?: readonly string[];
  /** Default: the formulas with the box, seed and noise. */
  readonly source?: string;
}

/**
 * Samples a task from point functions (a parsed formula, or a plain TypeScript function such as
 * the built-in catalog's suites use): x uniform on the box, independently for train, val and test.
 */
export function sampledTask(options: SampledTaskOptions): Task {
  const { targets, seed, noise } = options;
  const first = targets[0];
  if (first === undefined) throw new DataError("targets: at least one target is needed");
  const d = first.variables;
  targets.forEach((target, k) => {
    if (target.variables !== d) {
      throw new DataError(
        `targets[${k}]: '${target.text}' reads ${target.variables} variables, the first reads ${d}`,
      );
    }
  });
  const bounds = boxBounds(options.box, d);
  const featureNames = options.featureNames ?? Array.from({ length: d }, (_, j) => `x${j + 1}`);
  if (featureNames.length !== d) {
    throw new DataError(`featureNames: ${featureNames.length} names for ${d} variables`);
  }
  const targetNames =
    options.targetNames ?? (targets.length === 1 ? ["y"] : targets.map((_, k) => `y${k + 1}`));
  if (targetNames.length !== targets.length) {
    throw new DataError(`targetNames: ${targetNames.length} names for ${targets.length} targets`);
  }
  return {
    name: options.name,
    inputs: d,
    outputs: targets.length,
    kind: "regression",
    train: sampleSplit(
      targets,
      bounds,
      options.train,
      seed,
      STREAM.trainX,
      noise,
      STREAM.trainNoise,
    ),
    val: sampleSplit(targets, bounds, options.val, seed, STREAM.valX, noise, STREAM.valNoise),
    test: sampleSplit(targets, bounds, options.test, seed, STREAM.testX, 0, undefined),
    featureNames: [...featureNames],
    targetNames: [...targetNames],
    source:
      options.source ??
      `formula ${targets.map((t) => `'${t.text}'`).join(", ")} on ${formatBounds(bounds)}, seed ${seed}` +
        (noise > 0 ? `, noise ${noise} on train and val` : ""),
  };
}

/** Samples a formula task: x uniform on the box, independently for train, val and test. */
export function formulaTask(options: FormulaTaskOptions): Task {
  const texts = typeof options.formula === "string" ? [options.formula] : [...options.formula];
  return sampledTask({
    name: options.name ?? texts.join("; "),
    targets: compileFormulas(texts, options.variables),
    box: options.box,
    train: options.train,
    val: options.val,
    test: options.test,
    seed: options.seed,
    noise: options.noise,
  });
}
