/**
 * Catalog entries for targets written as plain TypeScript functions of named variables, each
 * sampled uniformly on its own box per split (the sampling of src/data/formula.ts, so a suite
 * task and the same formula typed by hand give the same rows for the same seed).
 */
import type { CatalogEntry, TaskFamily, TaskRequest } from "../catalog-entry.js";
import type { CompiledFormula } from "../formula.js";
import { sampledTask } from "../formula.js";
import type { Task } from "../task.js";
import { DataError } from "../task.js";

/** One input of a target and the interval it is drawn from. */
export interface Variable {
  readonly name: string;
  readonly low: number;
  readonly high: number;
}

/** Row counts used when a request leaves them out. */
export interface SplitSizes {
  readonly train: number;
  readonly val: number;
  readonly test: number;
}

/** The sizes most suites use: pykan's create_dataset draws 1000 train and 1000 test points. */
export const DEFAULT_SIZES: SplitSizes = { train: 1000, val: 200, test: 1000 };

/** A target of the catalog: y = f(x1, …, xd) with each xj uniform on [low, high]. */
export interface PointTarget {
  /** Catalog name, `prefix/name`. */
  readonly name: string;
  readonly family: TaskFamily;
  /** The formula as text, for reports. */
  readonly formula: string;
  /** Name of the target column. */
  readonly output: string;
  readonly variables: readonly Variable[];
  /** The target at one point, arguments in the order of `variables`. */
  readonly f: (...x: number[]) => number;
  readonly sizes: SplitSizes;
  /** Where the target comes from (paper, file, commit). */
  readonly citation: string;
}

/** `names` all on the same interval. */
export function variablesOn(
  names: readonly string[],
  low: number,
  high: number,
): readonly Variable[] {
  return names.map((name) => ({ name, low, high }));
}

/** x1..xd all on the same interval. */
export function indexedVariables(d: number, low: number, high: number): readonly Variable[] {
  return variablesOn(
    Array.from({ length: d }, (_, j) => `x${j + 1}`),
    low,
    high,
  );
}

/** "theta ∈ [1, 3], sigma ∈ [1, 3]", or "x1…x100 ∈ [-1, 1]" for long lists on one interval. */
export function describeRanges(variables: readonly Variable[]): string {
  const first = variables[0];
  if (first === undefined) return "no variables";
  const last = variables[variables.length - 1] as Variable;
  const shared = variables.every((v) => v.low === first.low && v.high === first.high);
  if (shared && variables.length > 6) {
    return `${first.name}…${last.name} ∈ [${first.low}, ${first.high}]`;
  }
  return variables.map((v) => `${v.name} ∈ [${v.low}, ${v.high}]`).join(", ");
}

/** "y = formula; ranges": one line for reports. */
export function describeTarget(target: PointTarget): string {
  return `${target.output} = ${target.formula}; ${describeRanges(target.variables)}`;
}

/** The target as a point function over a row-major table (what sampledTask evaluates). */
export function compileTarget(target: PointTarget): CompiledFormula {
  const d = target.variables.length;
  const row = new Array<number>(d).fill(0);
  const f = target.f;
  return {
    text: target.formula,
    variables: d,
    evaluate(values, offset = 0) {
      for (let j = 0; j < d; j++) row[j] = values[offset + j] as number;
      return f(...row);
    },
  };
}

function checkCount(field: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
    throw new DataError(`${field}: row count must be a whole number ≥ 0, got ${value}`);
  }
}

function checkRequest(request: TaskRequest): void {
  const { seed, noise } = request;
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) {
    throw new DataError(`seed: must be an integer in [0, 2^32), got ${seed}`);
  }
  checkCount("train", request.train);
  checkCount("val", request.val);
  checkCount("test", request.test);
  if (noise !== undefined && !(Number.isFinite(noise) && noise >= 0)) {
    throw new DataError(`noise: must be a finite standard deviation ≥ 0, got ${noise}`);
  }
}

/** Samples the target's task for a request (sizes left out take the target's defaults). */
export function makePointTask(target: PointTarget, request: TaskRequest): Task {
  checkRequest(request);
  const noise = request.noise ?? 0;
  return sampledTask({
    name: target.name,
    targets: [compileTarget(target)],
    box: target.variables.map((v) => [v.low, v.high] as const),
    train: request.train ?? target.sizes.train,
    val: request.val ?? target.sizes.val,
    test: request.test ?? target.sizes.test,
    seed: request.seed,
    noise,
    featureNames: target.variables.map((v) => v.name),
    targetNames: [target.output],
    source:
      `${target.citation}: ${describeTarget(target)}, seed ${request.seed}` +
      (noise > 0 ? `, noise ${noise} on train and val` : ""),
  });
}

/** The catalog entry of a target: regression, ranked by RMSE. */
export function pointTaskEntry(target: PointTarget): CatalogEntry {
  return {
    name: target.name,
    family: target.family,
    kind: "regression",
    metric: "rmse",
    inputShape: [target.variables.length],
    outputs: 1,
    description: describeTarget(target),
    make: (request) => makePointTask(target, request),
  };
}
