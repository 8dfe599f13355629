/**
 * Genetic-programming symbolic regression in the style of PySR (Cranmer 2023): several
 * populations evolved by regularised evolution (Real et al. 2019: a tournament picks the parent,
 * the child replaces the oldest member), a score with PySR's adaptive parsimony (the normalised
 * loss times e^(scaling · frequency of the candidate's size), plus parsimony · size), every child
 * reduced to the language's canonical form (src/expr/simplify.ts) and looked up by its canonical
 * text so that a duplicate costs no evaluation, Levenberg–Marquardt on the constants of promising
 * children, a hall of fame of the best expression per size, and migration between populations.
 *
 * Deterministic for a seed: one generator drives everything, and the budget counts evaluations
 * (runs of a tree over all training rows), never time.
 */
import { Rng } from "../../data/rng.js";
import type { Expr } from "../../expr/ast.js";
import { printExpr } from "../../expr/print.js";
import { canonicalCandidate } from "./canonical.js";
import { SrOptionsError } from "./errors.js";
import type { SrDataset } from "./dataset.js";
import { splitRows } from "./dataset.js";
import type { Program } from "../../expr/evaluate.js";
import { ColumnEvaluator, compileProgram, meanSquaredError } from "../../expr/evaluate.js";
import type { Limits } from "./constraints.js";
import { limitsChecker } from "./constraints.js";
import type { FrontEntry, ModelSelection } from "./front.js";
import { chooseModel, MODEL_SELECTIONS, paretoFront } from "./front.js";
import { roundConstants } from "./round-constants.js";
import { fitConstants } from "./levenberg-marquardt.js";
import type { Primitives } from "./operators.js";
import { crossover, DEFAULT_BINARY, DEFAULT_UNARY, mutate, randomTree } from "./operators.js";
import { constantsOf, sizeOf, withConstants } from "./tree.js";

/** Kept here too: its home was this module. */
export { SrOptionsError } from "./errors.js";

/** The search's settings; its limits on a candidate (size, depth, operators, nesting, argument
 * sizes) are constraints.ts's `Limits`, which the search checks every candidate against. */
export interface SrOptions extends Limits {
  /** Evaluations of the search (one = one tree run over every training row). */
  readonly budget: number;
  readonly seed: number;
  readonly populations: number;
  readonly populationSize: number;
  readonly tournamentSize: number;
  /** Probability that a tournament takes its best member (else the next, and so on). */
  readonly tournamentProbability: number;
  /** Largest size of a tree in the initial populations. */
  readonly initialSize: number;
  /** Share of the rows held out for validation (the front's loss and R²). */
  readonly valFraction: number;
  /** Added to the normalised loss per node (PySR's parsimony). */
  readonly parsimony: number;
  /** PySR's adaptive parsimony: the score is multiplied by e^(this · frequency of the size). */
  readonly adaptiveParsimony: number;
  readonly crossoverProbability: number;
  /** Probability that a child that is not better than its parent gets its constants fitted. */
  readonly optimizeProbability: number;
  /** Probability that a child better than its parent gets its constants fitted. */
  readonly improvedFitProbability: number;
  /** Levenberg–Marquardt steps for a child. */
  readonly fitIterations: number;
  /** Levenberg–Marquardt trials of a larger λ per step for a child, before giving up. */
  readonly fitTrials: number;
  /** Levenberg–Marquardt steps for the hall of fame at the end. */
  readonly polishIterations: number;
  /** Probability that a new leaf is a constant. */
  readonly constantProbability: number;
  /** Members replaced by hall-of-fame copies after each population's turn. */
  readonly migrants: number;
  /** PySR's model_selection: how `best` is chosen from the front. */
  readonly selection: ModelSelection;
  /** Called after each population's turn. */
  readonly onProgress?: (progress: SrProgress) => void;
}

export interface SrProgress {
  readonly evaluations: number;
  readonly budget: number;
  /** Lowest training MSE so far, divided by the variance of the training target. */
  readonly bestNormalizedLoss: number;
  /** The best expression of each size so far (training MSE), simplest first. */
  readonly hallOfFame: readonly {
    readonly text: string;
    readonly size: number;
    readonly loss: number;
  }[];
}

export const DEFAULT_SR_OPTIONS: SrOptions = {
  budget: 200_000,
  seed: 0,
  populations: 15,
  populationSize: 30,
  tournamentSize: 10,
  tournamentProbability: 0.8,
  maxSize: 30,
  maxDepth: 10,
  initialSize: 6,
  valFraction: 0.25,
  parsimony: 0.0032,
  adaptiveParsimony: 20,
  crossoverProbability: 0.05,
  optimizeProbability: 0.1,
  improvedFitProbability: 1,
  fitIterations: 8,
  fitTrials: 5,
  polishIterations: 50,
  constantProbability: 0.4,
  migrants: 2,
  unary: DEFAULT_UNARY,
  binary: DEFAULT_BINARY,
  nested: new Map(),
  argumentSizes: new Map(),
  selection: "best",
};

/** Relative loss at which constant fitting stops (exact to float64 rounding). */
const FIT_LOSS_FLOOR = 1e-24;
/** Levenberg–Marquardt trials of λ per step in the final polish. */
const POLISH_TRIALS = 10;

export interface SrResult {
  /** Pareto front of complexity against validation MSE, simplest first (constants rounded). */
  readonly front: FrontEntry[];
  /** The member chosen by `selection`. */
  readonly best: FrontEntry;
  /** Evaluations spent: the search, the final polish, the validation runs and the rounding trials. */
  readonly evaluations: number;
  readonly trainRows: number;
  readonly valRows: number;
}

interface Member {
  readonly expr: Expr;
  readonly text: string;
  readonly size: number;
  /** Training MSE. */
  readonly loss: number;
  readonly birth: number;
  readonly fitted: boolean;
}

/** Throws SrOptionsError (bad input) for options the search cannot run with. */
export function checkSrOptions(options: SrOptions): void {
  const positive: (keyof SrOptions)[] = [
    "budget",
    "populations",
    "populationSize",
    "tournamentSize",
    "maxSize",
    "maxDepth",
    "initialSize",
  ];
  for (const key of positive) {
    const value = options[key] as number;
    if (!(Number.isInteger(value) && value >= 1))
      throw new SrOptionsError(`${key}: must be a whole number ≥ 1, got ${value}`);
  }
  if (!(Number.isInteger(options.seed) && options.seed >= 0 && options.seed <= 0xffffffff))
    throw new SrOptionsError(`seed: must be an integer in [0, 2^32), got ${options.seed}`);
  if (options.tournamentSize > options.populationSize)
    throw new SrOptionsError(
      `tournamentSize: ${options.tournamentSize} is larger than populationSize ${options.populationSize}`,
    );
  if (!(options.valFraction > 0 && options.valFraction < 1))
    throw new SrOptionsError(`valFraction: must lie in (0, 1), got ${options.valFraction}`);
  if (options.unary.length + options.binary.length === 0)
    throw new SrOptionsError("operators: at least one unary or binary operator is needed");
  if (!MODEL_SELECTIONS.includes(options.selection))
    throw new SrOptionsError(
      `selection: must be one of ${MODEL_SELECTIONS.join(", ")}, got '${options.selection}'`,
    );
}

function variance(values: Float64Array): number {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let sum = 0;
  for (const v of values) sum += (v - mean) * (v - mean);
  return sum / values.length;
}

/** Runs the search on a data set; see the module comment and docs/sr.md. */
export function symbolicRegression(dataset: SrDataset, partial: Partial<SrOptions> = {}): SrResult {
  const options: SrOptions = { ...DEFAULT_SR_OPTIONS, ...partial };
  checkSrOptions(options);
  const rng = new Rng(options.seed);
  const split = splitRows(dataset, options.valFraction, rng);
  const variables = new Map(dataset.names.map((name, j) => [name, j]));
  // x³ as x·x·x: the rounding symbolic regression has always used
  const compile = (expr: Expr): Program => compileProgram(expr, { variables, cubeAsProduct: true });
  const train = new ColumnEvaluator(split.trainColumns);
  const target = split.trainTarget;
  const trainVariance = Math.max(variance(target), Number.MIN_VALUE);
  // Constant fitting stops at 1e-24 of the variance: the fit is then exact to float64 rounding.
  const lossFloor = FIT_LOSS_FLOOR * trainVariance;
  const primitives: Primitives = {
    variables: dataset.names,
    unary: options.unary,
    binary: options.binary,
    constantProbability: options.constantProbability,
  };
  // every candidate keeps these, checked on its canonical form (constraints.ts)
  const allowed = limitsChecker(options);
  const cache = new Map<string, number>();
  const sizeCounts = new Float64Array(options.maxSize + 1);
  let sizeTotal = 0;
  let births = 0;
  const hallOfFame: (Member | undefined)[] = new Array(options.maxSize + 1).fill(undefined);
  let bestNormalizedLoss = Infinity;

  const lossOf = (expr: Expr, text: string): number => {
    const cached = cache.get(text);
    if (cached !== undefined) return cached;
    if (cache.size > 500_000) cache.clear();
    const loss = train.meanSquaredError(compile(expr), target);
    cache.set(text, loss);
    return loss;
  };

  const fit = (member: Member, iterations: number, trials: number): Member => {
    const program = compile(member.expr);
    if (program.constants.length === 0 || !Number.isFinite(member.loss))
      return { ...member, fitted: true };
    const result = fitConstants(train, program, target, {
      iterations,
      lossFloor,
      trials,
    });
    if (!(result.loss < member.loss)) return { ...member, fitted: true };
    const expr = withConstants(member.expr, result.constants);
    const text = printExpr(expr);
    cache.set(text, result.loss);
    return { ...member, expr, text, loss: result.loss, fitted: true };
  };

  /** The canonical child, evaluated and (if promising) fitted; undefined when it breaks a limit. */
  const consider = (candidate: Expr, parentLoss: number): Member | undefined => {
    const expr = canonicalCandidate(candidate);
    if (!allowed(expr)) return undefined;
    const size = sizeOf(expr);
    const text = printExpr(expr);
    let member: Member = {
      expr,
      text,
      size,
      loss: lossOf(expr, text),
      birth: births++,
      fitted: false,
    };
    const promising =
      (member.loss < parentLoss && rng.uniform() < options.improvedFitProbability) ||
      rng.uniform() < options.optimizeProbability;
    if (promising && constantsOf(expr).length > 0)
      member = fit(member, options.fitIterations, options.fitTrials);
    return member;
  };

  const record = (member: Member): Member => {
    const holder = hallOfFame[member.size];
    if (holder === undefined || member.loss < holder.loss) {
      const fitted = member.fitted ? member : fit(member, options.fitIterations, options.fitTrials);
      hallOfFame[member.size] = fitted;
      bestNormalizedLoss = Math.min(bestNormalizedLoss, fitted.loss / trainVariance);
      return fitted;
    }
    return member;
  };

  const score = (member: Member): number => {
    const normalised = member.loss / trainVariance;
    const frequency = sizeTotal > 0 ? (sizeCounts[member.size] as number) / sizeTotal : 0;
    return (
      normalised * Math.exp(options.adaptiveParsimony * frequency) + options.parsimony * member.size
    );
  };

  const tournament = (population: Member[]): Member => {
    const n = population.length;
    const order = Array.from({ length: n }, (_, i) => i);
    const entrants: Member[] = [];
    for (let i = 0; i < options.tournamentSize; i++) {
      const j = i + rng.integerBelow(n - i);
      [order[i], order[j]] = [order[j] as number, order[i] as number];
      entrants.push(population[order[i] as number] as Member);
    }
    const scored = entrants.map((member) => ({ member, score: score(member) }));
    scored.sort((a, b) => a.score - b.score || a.member.birth - b.member.birth);
    for (const entry of scored)
      if (rng.uniform() < options.tournamentProbability) return entry.member;
    return (scored[scored.length - 1] as { member: Member }).member;
  };

  const replaceOldest = (population: Member[], child: Member): void => {
    let oldest = 0;
    for (let i = 1; i < population.length; i++)
      if ((population[i] as Member).birth < (population[oldest] as Member).birth) oldest = i;
    const leaving = population[oldest] as Member;
    sizeCounts[leaving.size] = (sizeCounts[leaving.size] as number) - 1;
    sizeCounts[child.size] = (sizeCounts[child.size] as number) + 1;
    population[oldest] = child;
  };

  const exhausted = (): boolean => train.evaluations >= options.budget;

  // Initial populations: small random trees.
  const populations: Member[][] = [];
  for (let p = 0; p < options.populations; p++) {
    const population: Member[] = [];
    while (population.length < options.populationSize) {
      const size = 1 + rng.integerBelow(Math.min(options.initialSize, options.maxSize));
      const member = consider(randomTree(size, primitives, rng), Infinity);
      if (member === undefined) continue;
      population.push(record(member));
      sizeCounts[member.size] = (sizeCounts[member.size] as number) + 1;
      sizeTotal++;
    }
    populations.push(population);
  }

  while (!exhausted()) {
    for (let p = 0; p < populations.length && !exhausted(); p++) {
      const population = populations[p] as Member[];
      for (let step = 0; step < options.populationSize && !exhausted(); step++) {
        let child: Member | undefined;
        for (let attempt = 0; attempt < 10 && child === undefined; attempt++) {
          if (rng.uniform() < options.crossoverProbability) {
            const a = tournament(population);
            const b = tournament(population);
            child = consider(crossover(a.expr, b.expr, rng), Math.min(a.loss, b.loss));
          } else {
            const parent = tournament(population);
            child = consider(
              mutate(parent.expr, primitives, rng, options.initialSize),
              parent.loss,
            );
          }
        }
        if (child !== undefined) replaceOldest(population, record(child));
      }
      // Migration: copies of the hall of fame and of another population's winner come in.
      const famous = hallOfFame.filter((m): m is Member => m !== undefined);
      for (let m = 0; m < options.migrants && famous.length > 0; m++) {
        const migrant = famous[rng.integerBelow(famous.length)] as Member;
        replaceOldest(population, { ...migrant, birth: births++ });
      }
      if (populations.length > 1) {
        const other =
          populations[(p + 1 + rng.integerBelow(populations.length - 1)) % populations.length];
        const migrant = tournament(other as Member[]);
        replaceOldest(population, { ...migrant, birth: births++ });
      }
      options.onProgress?.({
        evaluations: train.evaluations,
        budget: options.budget,
        bestNormalizedLoss,
        hallOfFame: hallOfFame
          .filter((m): m is Member => m !== undefined)
          .map(({ text, size, loss }) => ({ text, size, loss })),
      });
    }
  }

  // Polish the hall of fame's constants, judge every member on the validation rows, and round
  // its constants as far as the validation loss allows (round-constants.ts).
  const validation = new ColumnEvaluator(split.valColumns);
  const valVariance = variance(split.valTarget);
  const valLoss = (expr: Expr): number =>
    meanSquaredError(validation.run(compile(expr)), split.valTarget);
  const r2Of = (loss: number): number =>
    valVariance > 0 ? 1 - loss / valVariance : loss === 0 ? 1 : 0;
  const entries: FrontEntry[] = [];
  for (const member of hallOfFame) {
    if (member === undefined || !Number.isFinite(member.loss)) continue;
    let polished = fit(member, options.polishIterations, POLISH_TRIALS);
    let raw = canonicalCandidate(polished.expr);
    // new constants can fold (to 0 or 1) into a form the limits refuse: keep the unpolished one
    if (!allowed(raw)) {
      polished = member;
      raw = member.expr;
    }
    const rawLoss = valLoss(raw);
    const rounded = roundConstants(raw, { lossOf: valLoss, allowed, targetVariance: valVariance });
    const loss = rounded === raw ? rawLoss : valLoss(rounded);
    entries.push({
      expression: printExpr(rounded),
      complexity: sizeOf(rounded),
      loss,
      r2: r2Of(loss),
      trainLoss: polished.loss,
      raw: {
        expression: printExpr(raw),
        complexity: sizeOf(raw),
        loss: rawLoss,
        r2: r2Of(rawLoss),
      },
    });
  }
  const front = paretoFront(entries);
  return {
    front,
    best: chooseModel(front, options.selection, valVariance),
    evaluations: train.evaluations + validation.evaluations,
    trainRows: split.trainTarget.length,
    valRows: split.valTarget.length,
  };
}
