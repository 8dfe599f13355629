/**
 * The Swish search space (Ramachandran, Zoph & Le 2017, "Searching for Activation Functions"):
 * an activation is built by composing core units b(u₁(·), u₂(·)) of a binary function b of two
 * unary functions. Unit 1 reads x twice; unit k > 1 reads the previous unit's output on its left
 * and x or any earlier unit's output on its right; the last unit is the activation.
 *
 * Unary functions (the paper's 25): x, −x, |x|, x², x³, √x, βx, x + β, log(|x| + ε), eˣ, sin,
 * cos, sinh, cosh, tanh, asinh, atan, sinc, max(x, 0), min(x, 0), σ(x), log(1 + eˣ), exp(−x²),
 * erf, β.
 * Binary functions (the paper's 10): x₁ + x₂, x₁·x₂, x₁ − x₂, x₁/(x₂ + ε), max, min, σ(x₁)·x₂,
 * exp(−β(x₁ − x₂)²), exp(−β|x₁ − x₂|), βx₁ + (1 − β)x₂.
 * The ε forms are the language's safe forms (log|a| and a/b clamp |a|, |b| at 1e-7). Every β is a
 * learnable scalar, its own parameter `b1`, `b2`, … (βx and β start at 1, x + β at 0, the blend's
 * β at 0.5, the kernels' β at 1).
 *
 * The space remembers the genome of every activation it makes (a WeakMap keyed by the activation
 * object), so mutation and crossover act on units. An activation it did not make (parsed from
 * text, or canonicalised) is varied by point mutation of its tree over the same primitives.
 */
import type { Rng } from "../../data/rng.js";
import type { Activation, Expr, ParamSpec } from "../../expr/ast.js";
import { call, num, pow, X } from "../../expr/ast.js";
import type { SearchSpace } from "../types.js";
import type { PrimitiveSet, UnaryPrimitive } from "./tree-ops.js";
import {
  describeActivation,
  ParamTable,
  pick,
  pointMutation,
  renumberParams,
  subtreeCrossover,
  weightedIndex,
} from "./tree-ops.js";

export const CORE_UNARY = [
  "x",
  "neg",
  "abs",
  "square",
  "cube",
  "sqrt",
  "scale",
  "shift",
  "log",
  "exp",
  "sin",
  "cos",
  "sinh",
  "cosh",
  "tanh",
  "asinh",
  "atan",
  "sinc",
  "relu",
  "min0",
  "sigmoid",
  "softplus",
  "gaussian",
  "erf",
  "const",
] as const;
export type CoreUnary = (typeof CORE_UNARY)[number];

export const CORE_BINARY = [
  "add",
  "mul",
  "sub",
  "div",
  "max",
  "min",
  "sigmoid_gate",
  "gauss_diff",
  "laplace_diff",
  "blend",
] as const;
export type CoreBinary = (typeof CORE_BINARY)[number];

/** One core unit b(u_left(left input), u_right(right input)). */
export interface CoreUnit {
  readonly binary: CoreBinary;
  readonly left: CoreUnary;
  readonly right: CoreUnary;
  /** 0: x; k ≥ 1: the output of unit k (1-based), an earlier unit. Unit 1 must read x (0). */
  readonly rightInput: number;
}

export interface CoreUnitGenome {
  readonly units: readonly CoreUnit[];
}

const scalarParam = (init: number): ParamSpec => ({ init, learnable: true, sharing: "scalar" });
const neg = (a: Expr): Expr => call("neg", a);

function unaryExpr(unary: CoreUnary, z: Expr, table: ParamTable): Expr {
  switch (unary) {
    case "x":
      return z;
    case "square":
      return pow(z, 2);
    case "cube":
      return pow(z, 3);
    case "scale":
      return call("mul", table.fresh(scalarParam(1)), z);
    case "shift":
      return call("add", z, table.fresh(scalarParam(0)));
    case "min0":
      return call("min", z, num(0));
    case "const":
      return table.fresh(scalarParam(1));
    default:
      // log is the language's safe log|z|; the rest are ops of the same name
      return call(unary, z);
  }
}

function binaryExpr(binary: CoreBinary, a: Expr, b: Expr, table: ParamTable): Expr {
  switch (binary) {
    case "add":
    case "mul":
    case "div":
    case "max":
    case "min":
      return call(binary, a, b);
    case "sub":
      return call("add", a, neg(b));
    case "sigmoid_gate":
      return call("mul", call("sigmoid", a), b);
    case "gauss_diff":
      return call(
        "exp",
        neg(call("mul", table.fresh(scalarParam(1)), pow(call("add", a, neg(b)), 2))),
      );
    case "laplace_diff":
      return call(
        "exp",
        neg(call("mul", table.fresh(scalarParam(1)), call("abs", call("add", a, neg(b))))),
      );
    case "blend": {
      const beta = table.fresh(scalarParam(0.5));
      return call("add", call("mul", beta, a), call("mul", call("add", num(1), neg(beta)), b));
    }
  }
}

const GENOMES = new WeakMap<Activation, CoreUnitGenome>();

/** The genome of an activation made by a core-unit space (undefined for any other activation). */
export function coreUnitGenomeOf(activation: Activation): CoreUnitGenome | undefined {
  return GENOMES.get(activation);
}

export function checkGenome(genome: CoreUnitGenome): void {
  if (genome.units.length === 0)
    throw new RangeError("core units: a genome needs at least one unit");
  genome.units.forEach((unit, i) => {
    if (!(CORE_BINARY as readonly string[]).includes(unit.binary))
      throw new RangeError(`core units: units[${i}].binary: unknown '${unit.binary}'`);
    for (const side of ["left", "right"] as const)
      if (!(CORE_UNARY as readonly string[]).includes(unit[side]))
        throw new RangeError(`core units: units[${i}].${side}: unknown '${unit[side]}'`);
    if (!Number.isInteger(unit.rightInput) || unit.rightInput < 0 || unit.rightInput > i)
      throw new RangeError(
        `core units: units[${i}].rightInput must be 0 (x) or an earlier unit 1..${i}, got ${unit.rightInput}`,
      );
  });
}

/** The activation of a genome (registered, so the space can vary it unit by unit). */
export function buildCoreUnits(genome: CoreUnitGenome): Activation {
  checkGenome(genome);
  const table = new ParamTable();
  const outputs: Expr[] = [X];
  genome.units.forEach((unit, i) => {
    const leftInput = outputs[i] as Expr;
    const rightInput = outputs[unit.rightInput] as Expr;
    const left = unaryExpr(unit.left, leftInput, table);
    const right = unaryExpr(unit.right, rightInput, table);
    outputs.push(binaryExpr(unit.binary, left, right, table));
  });
  const activation = renumberParams(outputs[outputs.length - 1] as Expr, table.specs, "b");
  GENOMES.set(activation, { units: genome.units.map((unit) => ({ ...unit })) });
  return activation;
}

/** The single-node unary functions of the space, for point mutation of foreign parents. */
const FALLBACK_PRIMITIVES: PrimitiveSet = {
  unary: [
    ...(
      [
        "neg",
        "abs",
        "sqrt",
        "log",
        "exp",
        "sin",
        "cos",
        "sinh",
        "cosh",
        "tanh",
        "asinh",
        "atan",
        "sinc",
        "relu",
        "sigmoid",
        "softplus",
        "gaussian",
        "erf",
      ] as const
    ).map((op) => ({ kind: "call", op }) as UnaryPrimitive),
    { kind: "pow", exponent: 2 },
    { kind: "pow", exponent: 3 },
  ],
  binary: ["add", "mul", "div", "max", "min"],
  leafWeights: { input: 0.7, constant: 0, param: 0.3 },
  binaryFraction: 0.5,
  leafProbability: 0.3,
  constant: () => 1,
  paramSpec: () => scalarParam(1),
  paramPrefix: "b",
};

export interface CoreUnitSpaceOptions {
  /** Most core units composed (default 2). */
  maxUnits?: number;
}

const ATTEMPTS = 20;
/** Weights of: change a unary, change the binary, rewire the right input, add or drop a unit. */
const MUTATION_WEIGHTS = [0.5, 0.25, 0.1, 0.15];

export class CoreUnitSpace implements SearchSpace {
  readonly name = "core-units";
  readonly maxUnits: number;

  constructor(options: CoreUnitSpaceOptions = {}) {
    this.maxUnits = options.maxUnits ?? 2;
    if (!Number.isInteger(this.maxUnits) || this.maxUnits < 1)
      throw new RangeError(`core units: maxUnits must be a positive integer, got ${this.maxUnits}`);
  }

  private randomUnit(index: number, rng: Rng): CoreUnit {
    return {
      binary: pick(rng, CORE_BINARY),
      left: pick(rng, CORE_UNARY),
      right: pick(rng, CORE_UNARY),
      rightInput: rng.integerBelow(index + 1),
    };
  }

  /** A random genome of 1..maxUnits units. */
  sampleGenome(rng: Rng): CoreUnitGenome {
    const count = 1 + rng.integerBelow(this.maxUnits);
    return { units: Array.from({ length: count }, (_, i) => this.randomUnit(i, rng)) };
  }

  sample(rng: Rng): Activation {
    let activation = buildCoreUnits(this.sampleGenome(rng));
    for (
      let attempt = 1;
      attempt < ATTEMPTS && !describeActivation(activation).usesInput;
      attempt++
    )
      activation = buildCoreUnits(this.sampleGenome(rng));
    return activation;
  }

  /** One unit-level change of a genome. */
  mutateGenome(genome: CoreUnitGenome, rng: Rng): CoreUnitGenome {
    const units = genome.units.map((unit) => ({ ...unit }));
    const i = rng.integerBelow(units.length);
    const unit = units[i] as CoreUnit;
    switch (weightedIndex(rng, MUTATION_WEIGHTS)) {
      case 0: {
        const side = rng.uniform() < 0.5 ? "left" : "right";
        const others = CORE_UNARY.filter((u) => u !== unit[side]);
        units[i] = { ...unit, [side]: pick(rng, others) };
        break;
      }
      case 1:
        units[i] = {
          ...unit,
          binary: pick(
            rng,
            CORE_BINARY.filter((b) => b !== unit.binary),
          ),
        };
        break;
      case 2: {
        const choices = Array.from({ length: i + 1 }, (_, k) => k).filter(
          (k) => k !== unit.rightInput,
        );
        // unit 1 can only read x: rewire its right unary instead
        if (choices.length === 0)
          units[i] = {
            ...unit,
            right: pick(
              rng,
              CORE_UNARY.filter((u) => u !== unit.right),
            ),
          };
        else units[i] = { ...unit, rightInput: pick(rng, choices) };
        break;
      }
      default:
        if (units.length < this.maxUnits && (units.length === 1 || rng.uniform() < 0.5))
          units.push(this.randomUnit(units.length, rng));
        else if (units.length > 1) units.pop();
        else units[0] = this.randomUnit(0, rng);
    }
    return { units };
  }

  mutate(parent: Activation, rng: Rng): Activation {
    const genome = coreUnitGenomeOf(parent);
    const before = describeActivation(parent).hash;
    let fallback = parent;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const child = genome
        ? buildCoreUnits(this.mutateGenome(genome, rng))
        : pointMutation(parent, FALLBACK_PRIMITIVES, rng);
      const after = describeActivation(child);
      if (!after.usesInput) continue;
      if (after.hash !== before) return child;
      fallback = child;
    }
    return fallback;
  }

  /** Unit-wise uniform crossover: the child has the length of a random parent, and each unit
   * comes from either parent (right inputs clamped to stay valid). */
  crossover(a: Activation, b: Activation, rng: Rng): Activation {
    const genomeA = coreUnitGenomeOf(a);
    const genomeB = coreUnitGenomeOf(b);
    if (!genomeA || !genomeB)
      return subtreeCrossover(a, b, FALLBACK_PRIMITIVES, rng, { maxDepth: 12, maxSize: 48 });
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const length = (rng.uniform() < 0.5 ? genomeA : genomeB).units.length;
      const units = Array.from({ length }, (_, i) => {
        const fromA = genomeA.units[i];
        const fromB = genomeB.units[i];
        const chosen = (
          fromA && fromB ? (rng.uniform() < 0.5 ? fromA : fromB) : (fromA ?? fromB)
        ) as CoreUnit;
        return { ...chosen, rightInput: Math.min(chosen.rightInput, i) };
      });
      const child = buildCoreUnits({ units });
      if (describeActivation(child).usesInput) return child;
    }
    return a;
  }
}
