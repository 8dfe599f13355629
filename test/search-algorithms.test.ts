import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../src/data/rng.js";
import type { Activation, Expr } from "../src/expr/ast.js";
import { X, call, param, pow } from "../src/expr/ast.js";
import { canonicalText } from "../src/expr/hash.js";
import { parseActivation } from "../src/expr/parse.js";
import { eafoVariants } from "../src/search/eafo.js";
import { parseSearchConfig } from "../src/search/config.js";
import { runAlgorithm } from "../src/search/driver.js";
import { AgingEvolution } from "../src/search/evolution.js";
import {
  Nsga2,
  crowdingDistances,
  dominates,
  fastNonDominatedSort,
  selectSurvivors,
} from "../src/search/nsga2.js";
import { DEFAULT_SEARCH_OPTIONS, searchOptionsOf } from "../src/search/options.js";
import { RandomSearch } from "../src/search/random-search.js";
import type { Genome, Told } from "../src/search/search-state.js";
import { SearchStateError, candidateGenome } from "../src/search/search-state.js";
import type { Candidate, Objectives, SearchSpace } from "../src/search/types.js";
import { activationOf, findZooEntry } from "../src/zoo/index.js";

// ---- an independent evaluator of pointwise expressions on plain numbers (test reference) -----

function evaluate(expr: Expr, x: number, params: Record<string, number>): number {
  switch (expr.kind) {
    case "input":
      return x;
    case "const":
      return expr.value;
    case "param": {
      const value = params[expr.name];
      assert.ok(value !== undefined, `no value for parameter ${expr.name}`);
      return value;
    }
    case "pow":
      return evaluate(expr.base, x, params) ** expr.exponent;
    case "stat":
      throw new Error("statistics are not pointwise");
    case "call": {
      const [a = NaN, b = NaN, c = NaN] = expr.args.map((arg) => evaluate(arg, x, params));
      const ops: Record<string, () => number> = {
        add: () => a + b,
        mul: () => a * b,
        div: () => a / b,
        neg: () => -a,
        exp: () => Math.exp(a),
        relu: () => (a > 0 ? a : 0),
        step: () => (a > 0 ? 1 : 0),
        tanh: () => Math.tanh(a),
        where: () => (a > 0 ? b : c),
      };
      const op = ops[expr.op];
      assert.ok(op, `the test evaluator has no ${expr.op}`);
      return op();
    }
  }
}

const initsOf = (activation: Activation): Record<string, number> =>
  Object.fromEntries(Object.entries(activation.params).map(([name, spec]) => [name, spec.init]));

// ---- a toy space of Activations: a·x + b·x² + c·x³ + d·x⁴, coefficients on the grid −4…4 ------

const COEFFICIENTS = ["a", "b", "c", "d"] as const;
const GRID_HALF_WIDTH = 4;
const TARGET = [3, -2, 1, 4];

function polynomial(values: readonly number[]): Activation {
  const terms = COEFFICIENTS.map((name, i) =>
    call("mul", param(name), i === 0 ? X : pow(X, i + 1)),
  );
  return {
    expr: terms.reduce((left, right) => call("add", left, right)),
    params: Object.fromEntries(
      COEFFICIENTS.map((name, i) => [
        name,
        { init: values[i] as number, learnable: false, sharing: "scalar" as const },
      ]),
    ),
  };
}

const coefficientsOf = (activation: Activation): number[] =>
  COEFFICIENTS.map((name) => activation.params[name]?.init as number);

const polynomialSpace: SearchSpace = {
  name: "toy-polynomial",
  sample: (rng) =>
    polynomial(COEFFICIENTS.map(() => rng.integerBelow(2 * GRID_HALF_WIDTH + 1) - GRID_HALF_WIDTH)),
  mutate: (parent, rng) => {
    const values = coefficientsOf(parent);
    const i = rng.integerBelow(values.length);
    const value = values[i] as number;
    const step =
      value === GRID_HALF_WIDTH
        ? -1
        : value === -GRID_HALF_WIDTH
          ? 1
          : rng.uniform() < 0.5
            ? -1
            : 1;
    values[i] = value + step;
    return polynomial(values);
  },
};
const polynomialGenome = candidateGenome(polynomialSpace);

/** Squared error of the candidate's function against the target's on a few points: 0 only at TARGET. */
function polynomialLoss(candidate: Candidate): number {
  const target = polynomial(TARGET);
  let loss = 0;
  for (const x of [-1, -0.5, 0.5, 1, 1.5]) {
    const difference =
      evaluate(candidate.activation.expr, x, initsOf(candidate.activation)) -
      evaluate(target.expr, x, initsOf(target));
    loss += difference * difference;
  }
  return loss;
}

// ---- small genomes ------------------------------------------------------------------------

/** Strings that record their ancestry: a child is "<parent>>m<random>". */
const lineageGenome: Genome<string> = {
  sample: (rng) => `r${rng.integerBelow(1e9)}`,
  mutate: (parent, rng) => `${parent}>m${rng.integerBelow(1e9)}`,
  hash: (item) => item,
};
const parentOf = (child: string): string => child.slice(0, child.lastIndexOf(">"));

/** The integers 0…size−1 on a ring: mutation moves one step. */
function ringGenome(size: number): Genome<number> {
  return {
    sample: (rng) => rng.integerBelow(size),
    mutate: (parent, rng) => (parent + (rng.uniform() < 0.5 ? size - 1 : 1)) % size,
    hash: (item) => String(item),
  };
}

/** Resolves after `ms` milliseconds. */
const later = <V>(value: V, ms: number): Promise<V> =>
  new Promise((resolve) => setTimeout(() => resolve(value), ms));

// ---- ZDT1 (Zitzler, Deb & Thiele 2000): 30 variables in [0, 1], two objectives ---------------

const ZDT1_VARIABLES = 30;

function zdt1(x: readonly number[]): Objectives {
  const f1 = x[0] as number;
  let sum = 0;
  for (let i = 1; i < x.length; i++) sum += x[i] as number;
  const g = 1 + (9 * sum) / (x.length - 1);
  return { f1, f2: g * (1 - Math.sqrt(f1 / g)) };
}

/** SBX crossover (η = 15, one child) and polynomial mutation (η = 20, rate 1/n), Deb's operators. */
const zdt1Genome: Genome<number[]> = {
  sample: (rng) => Array.from({ length: ZDT1_VARIABLES }, () => rng.uniform()),
  crossover: (a, b, rng) =>
    a.map((ai, i) => {
      const bi = b[i] as number;
      const u = rng.uniform();
      const beta = u <= 0.5 ? (2 * u) ** (1 / 16) : (1 / (2 * (1 - u))) ** (1 / 16);
      const child = 0.5 * ((1 + beta) * ai + (1 - beta) * bi);
      return Math.min(1, Math.max(0, child));
    }),
  mutate: (parent, rng) =>
    parent.map((value) => {
      if (rng.uniform() >= 1 / ZDT1_VARIABLES) return value;
      const u = rng.uniform();
      const delta = u < 0.5 ? (2 * u) ** (1 / 21) - 1 : 1 - (2 * (1 - u)) ** (1 / 21);
      return Math.min(1, Math.max(0, value + delta));
    }),
  hash: (x) => x.join(","),
};

/** Hypervolume of the points dominated by a set and dominating `reference` (2 objectives). */
function hypervolume2d(
  points: readonly (readonly number[])[],
  reference: readonly number[],
): number {
  const [r1, r2] = reference as [number, number];
  const inside = points
    .filter(([f1, f2]) => (f1 as number) < r1 && (f2 as number) < r2)
    .sort((p, q) => (p[0] as number) - (q[0] as number));
  let volume = 0;
  let ceiling = r2;
  for (const [f1, f2] of inside) {
    if ((f2 as number) >= ceiling) continue;
    volume += (r1 - (f1 as number)) * (ceiling - (f2 as number));
    ceiling = f2 as number;
  }
  return volume;
}

const vectorOf = (objectives: Objectives): number[] => [
  objectives.f1 as number,
  objectives.f2 as number,
];

// ---- tests ----------------------------------------------------------------------------------

describe("aging evolution", () => {
  it("finds the toy optimum far more often than random search at the same budget", async () => {
    const budget = 150;
    const seeds = Array.from({ length: 10 }, (_, seed) => seed);
    const bestOf = (history: readonly Told<Candidate, number>[]): number =>
      Math.min(...history.map((entry) => entry.fitness));
    const evolutionBest: number[] = [];
    const randomBest: number[] = [];
    for (const seed of seeds) {
      const evolution = await runAlgorithm({
        genome: polynomialGenome,
        populationSize: 20,
        sampleSize: 5,
        budget,
        seed,
        evaluate: async (candidate) => polynomialLoss(candidate),
      });
      const random = await runAlgorithm({
        algorithm: "random",
        genome: polynomialGenome,
        budget,
        seed,
        evaluate: async (candidate) => polynomialLoss(candidate),
      });
      assert.equal(evolution.history().length, budget);
      assert.equal(random.history().length, budget);
      evolutionBest.push(bestOf(evolution.history()));
      randomBest.push(bestOf(random.history()));
    }
    const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
    const optimumHits = (values: number[]): number => values.filter((v) => v < 1e-12).length;
    assert.ok(
      mean(evolutionBest) < mean(randomBest) / 2,
      `mean best: evolution ${mean(evolutionBest)}, random ${mean(randomBest)}`,
    );
    assert.ok(
      optimumHits(evolutionBest) >= 3 && optimumHits(evolutionBest) > optimumHits(randomBest),
      `optimum found: evolution ${optimumHits(evolutionBest)}/10, random ${optimumHits(randomBest)}/10`,
    );
  });

  it("removes the oldest member, not the worst, step by step", () => {
    const search = new AgingEvolution(lineageGenome, {
      populationSize: 3,
      sampleSize: 50,
      seed: 7,
    });
    const [a, b, c] = [search.ask(), search.ask(), search.ask()] as string[];
    for (const member of [a, b, c])
      assert.match(member as string, /^r\d+$/, "the first P are random");
    search.tell(a as string, 1);
    search.tell(b as string, 5);
    search.tell(c as string, 7);
    assert.deepEqual(
      search.population().map((m) => m.item),
      [a, b, c],
    );

    const d = search.ask() as string;
    assert.equal(parentOf(d), a, "the tournament winner is the best member, a");
    search.tell(d, 9);
    assert.deepEqual(
      search.population().map((m) => m.item),
      [b, c, d],
      "a (the best) is the oldest and dies; d (the worst) stays",
    );
    assert.deepEqual(
      search.population().map((m) => m.index),
      [1, 2, 3],
    );

    const e = search.ask() as string;
    assert.equal(parentOf(e), b, "with a gone, b (fitness 5) wins the tournament");
    search.tell(e, 0.5);
    assert.deepEqual(
      search.population().map((m) => m.item),
      [c, d, e],
    );
    assert.equal(search.best()?.item, e);
  });

  it("never evaluates a hash twice and stops when the space is used up", async () => {
    const calls: number[] = [];
    const result = await runAlgorithm({
      genome: ringGenome(10),
      populationSize: 4,
      sampleSize: 2,
      budget: 25,
      seed: 3,
      maxRetries: 60,
      evaluate: async (item) => {
        calls.push(item);
        return Math.abs(item - 6);
      },
    });
    assert.equal(calls.length, 10, "only 10 distinct members exist");
    assert.deepEqual(
      [...calls].sort((p, q) => p - q),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.equal(result.best()?.item, 6);
    assert.equal(result.evaluationOf("6")?.fitness, 0, "the cache holds each evaluation");
  });

  it("evaluates two spellings of one function once (canonical hash of Candidates)", async () => {
    const spellings = ["x * sigmoid(x)", "sigmoid(x) * x", "tanh(x)", "x + x", "2 * x", "relu(x)"];
    const space: SearchSpace = {
      name: "spellings",
      sample: (rng) => parseActivation(spellings[rng.integerBelow(spellings.length)] as string),
      mutate: (_parent, rng) =>
        parseActivation(spellings[rng.integerBelow(spellings.length)] as string),
    };
    const seen: string[] = [];
    const result = await runAlgorithm({
      genome: candidateGenome(space),
      populationSize: 3,
      sampleSize: 2,
      budget: 20,
      seed: 11,
      evaluate: async (candidate) => {
        seen.push(candidate.text);
        return candidate.text.length;
      },
    });
    assert.equal(seen.length, 4, `four distinct functions, got ${seen.join(" | ")}`);
    assert.equal(new Set(seen).size, 4);
    assert.equal(new Set(result.history().map((entry) => entry.hash)).size, 4);
  });

  it("keeps `parallel` evaluations in flight and, in ask order, ignores their timing", async () => {
    const runWithDelays = async (delaySeed: number, parallel: number) => {
      const delays = new Rng(delaySeed);
      let running = 0;
      let most = 0;
      const order: string[] = [];
      const result = await runAlgorithm({
        genome: polynomialGenome,
        populationSize: 6,
        sampleSize: 3,
        budget: 30,
        parallel,
        seed: 5,
        evaluate: async (candidate) => {
          order.push(candidate.hash);
          running++;
          most = Math.max(most, running);
          const loss = await later(polynomialLoss(candidate), delays.integerBelow(4));
          running--;
          return loss;
        },
      });
      return { order, most, told: result.history().map((entry) => entry.hash) };
    };
    const first = await runWithDelays(1, 4);
    const second = await runWithDelays(2, 4);
    assert.equal(first.most, 4, "four evaluations were in flight at once");
    assert.equal(second.most, 4);
    assert.deepEqual(first.order, second.order, "the same asks whatever the evaluation times");
    assert.deepEqual(first.told, second.told);
    const sequential = await runWithDelays(1, 1);
    assert.equal(sequential.most, 1);
    // The n-th ask sees n − parallel + 1 results, so parallel changes the sequence (documented):
    // the first populationSize asks are random samples and agree.
    assert.deepEqual(sequential.order.slice(0, 6), first.order.slice(0, 6));
  });

  it("in completion order keeps `parallel` in flight and tells results as they finish", async () => {
    let running = 0;
    let most = 0;
    const finished: string[] = [];
    const delays = new Rng(9);
    const result = await runAlgorithm({
      genome: polynomialGenome,
      populationSize: 5,
      sampleSize: 2,
      budget: 24,
      parallel: 3,
      ordering: "completion",
      seed: 2,
      evaluate: async (candidate) => {
        running++;
        most = Math.max(most, running);
        const loss = await later(polynomialLoss(candidate), delays.integerBelow(5));
        running--;
        finished.push(candidate.hash);
        return loss;
      },
    });
    assert.equal(most, 3);
    assert.equal(result.history().length, 24);
    assert.deepEqual(
      result.history().map((entry) => entry.hash),
      finished,
      "told in finishing order",
    );
  });

  it("resumed from JSON mid-run asks exactly what the uninterrupted run asked", async () => {
    const options = {
      genome: polynomialGenome,
      populationSize: 8,
      sampleSize: 3,
      budget: 60,
      parallel: 3,
      seed: 21,
    };
    const uninterrupted: string[] = [];
    await runAlgorithm({
      ...options,
      evaluate: async (candidate) => {
        uninterrupted.push(candidate.hash);
        return later(polynomialLoss(candidate), 0);
      },
    });

    // Kill the second run after 25 tells: keep only the JSON saved at that moment.
    let saved: string | undefined;
    const beforeKill: string[] = [];
    await assert.rejects(
      runAlgorithm({
        ...options,
        evaluate: async (candidate) => {
          beforeKill.push(candidate.hash);
          return polynomialLoss(candidate);
        },
        onEvaluated: (_candidate, _fitness, search) => {
          if (search.history().length === 25) {
            saved = JSON.stringify(search.toJSON());
            throw new Error("killed");
          }
        },
      }),
      /killed/,
    );
    assert.ok(saved);
    const state = JSON.parse(saved) as { told: unknown[]; pending: unknown[] };
    assert.equal(state.told.length, 25);
    assert.equal(state.pending.length, 2, "two evaluations were in flight at the kill");

    const afterResume: string[] = [];
    const resumed = await runAlgorithm({
      ...options,
      resumeFrom: JSON.parse(saved),
      evaluate: async (candidate) => {
        afterResume.push(candidate.hash);
        return later(polynomialLoss(candidate), 0);
      },
    });
    assert.deepEqual([...beforeKill.slice(0, 25), ...afterResume], uninterrupted);
    assert.equal(resumed.history().length, 60);
    assert.equal(afterResume.length, 35, "the 2 pending plus 33 new");
  });

  it("rejects a state of another algorithm or with other settings, naming the field", async () => {
    const search = new RandomSearch(ringGenome(5), { seed: 1 });
    assert.throws(
      () => AgingEvolution.fromJSON(ringGenome(5), search.toJSON()),
      (error: unknown) => error instanceof SearchStateError && /format must be/.test(error.message),
    );
    const evolution = new AgingEvolution(ringGenome(5), {
      populationSize: 3,
      sampleSize: 2,
      seed: 1,
    });
    await assert.rejects(
      runAlgorithm({
        genome: ringGenome(5),
        populationSize: 4,
        sampleSize: 2,
        budget: 5,
        evaluate: async () => 0,
        resumeFrom: evolution.toJSON(),
      }),
      /populationSize 3, the run asks for 4/,
    );
  });
});

describe("search options", () => {
  it("a config file that sets nothing gives DEFAULT_SEARCH_OPTIONS", () => {
    const config = parseSearchConfig({
      fitness: { tasks: ["relu-kan/sin-pi-x"] },
      heldout: { tasks: ["toy/xy"] },
    });
    assert.deepEqual(searchOptionsOf(config), DEFAULT_SEARCH_OPTIONS);
    const set = searchOptionsOf({ ...config, algorithm: "nsga2", population: 9, sample: 3 });
    assert.equal(set.algorithm, "nsga2");
    assert.equal(set.populationSize, 9);
    assert.equal(set.sampleSize, 3);
  });
});

describe("random search", () => {
  it("samples without repeats and resumes to the same sequence", async () => {
    const space = ringGenome(50);
    const full: number[] = [];
    await runAlgorithm({
      algorithm: "random",
      genome: space,
      budget: 30,
      seed: 4,
      evaluate: async (item) => {
        full.push(item);
        return item;
      },
    });
    assert.equal(new Set(full).size, 30);

    const first: number[] = [];
    const partial = await runAlgorithm({
      algorithm: "random",
      genome: space,
      budget: 12,
      seed: 4,
      evaluate: async (item) => {
        first.push(item);
        return item;
      },
    });
    const second: number[] = [];
    const resumed = await runAlgorithm({
      algorithm: "random",
      genome: space,
      budget: 30,
      resumeFrom: JSON.parse(JSON.stringify(partial.toJSON())),
      evaluate: async (item) => {
        second.push(item);
        return item;
      },
    });
    assert.deepEqual([...first, ...second], full);
    assert.equal(resumed.best()?.fitness, Math.min(...full));
  });

  it("stores a failed (NaN) evaluation as +Infinity through JSON", () => {
    const search = new RandomSearch(ringGenome(5), { seed: 8 });
    const item = search.ask() as number;
    search.tell(item, NaN);
    const restored = RandomSearch.fromJSON(
      ringGenome(5),
      JSON.parse(JSON.stringify(search.toJSON())),
    );
    assert.equal(restored.history()[0]?.fitness, Infinity);
  });
});

describe("NSGA-II", () => {
  it("sorts points into non-dominated fronts (hand example)", () => {
    //          A       B       C       D       E       F       G (a copy of B)
    const points = [
      [1, 4],
      [2, 2],
      [4, 1],
      [3, 3],
      [2, 4],
      [5, 5],
      [2, 2],
    ];
    assert.ok(dominates([2, 2], [3, 3]));
    assert.ok(!dominates([2, 2], [2, 2]), "equal points do not dominate each other");
    assert.ok(!dominates([1, 4], [4, 1]));
    // A, B, C, G: nothing better. D: dominated by B, G. E: by A, B, G. F: by all.
    assert.deepEqual(fastNonDominatedSort(points), [[0, 1, 2, 6], [3, 4], [5]]);
  });

  it("computes crowding distances (hand example)", () => {
    // One front, given out of order: (0,10) (1,6) (2,5) (6,1) (10,0); both ranges are 10.
    const points = [
      [6, 1],
      [0, 10],
      [2, 5],
      [10, 0],
      [1, 6],
      [9, 9],
    ];
    const front = [0, 1, 2, 3, 4];
    // (1,6): (2−0)/10 + (10−5)/10 = 0.7; (2,5): (6−1)/10 + (6−1)/10 = 1.0;
    // (6,1): (10−2)/10 + (5−0)/10 = 1.3; the extremes: +Infinity.
    const distances = crowdingDistances(points, front);
    const expected = [1.3, Infinity, 1.0, Infinity, 0.7];
    distances.forEach((distance, i) => {
      const wanted = expected[i] as number;
      if (wanted === Infinity) assert.equal(distance, Infinity);
      else assert.ok(Math.abs(distance - wanted) < 1e-12, `point ${i}: ${distance} vs ${wanted}`);
    });
  });

  it("keeps whole fronts, then the least crowded of the cut front", () => {
    const objectives = [
      [6, 1],
      [0, 10],
      [2, 5],
      [10, 0],
      [1, 6],
      [9, 9],
      [1, 11],
    ];
    const members = objectives.map(([f1, f2], index) => ({
      item: index,
      hash: String(index),
      fitness: { f1: f1 as number, f2: f2 as number },
      index,
    }));
    // Front 0 is members 0–4 (crowding 1.3, ∞, 1.0, ∞, 0.7); keep 3: the two extremes and (6,1).
    const survivors = selectSurvivors(members, ["f1", "f2"], 3);
    assert.deepEqual(survivors.map((m) => m.item).sort(), [0, 1, 3]);
    assert.ok(survivors.every((m) => m.rank === 0));
    // Keep 6: all of front 0, then one of front 1 = {(9,9), (1,11)}: both extremes, the first wins.
    const six = selectSurvivors(members, ["f1", "f2"], 6);
    assert.deepEqual(six.map((m) => m.item).sort(), [0, 1, 2, 3, 4, 5]);
  });

  it("on ZDT1 reaches a larger hypervolume than random search at the same budget", async () => {
    // ZDT1 needs ~10⁴ evaluations to converge; at 2000 both are still far from the front.
    const budget = 6000;
    const reference = [1.1, 11];
    const nsga = await runAlgorithm({
      algorithm: "nsga2",
      genome: zdt1Genome,
      populationSize: 40,
      budget,
      seed: 1,
      evaluate: async (x) => zdt1(x),
    });
    const random = await runAlgorithm({
      algorithm: "random",
      genome: zdt1Genome,
      budget,
      seed: 1,
      objectiveNames: ["f1", "f2"],
      evaluate: async (x) => zdt1(x),
    });
    assert.equal(nsga.history().length, budget);
    assert.equal(nsga.generation, 150, "6000 / 40 = 150 generations closed");
    assert.equal(random.history().length, budget);
    const nsgaFront = nsga.result().front.map((member) => vectorOf(member.fitness));
    for (const p of nsgaFront) {
      for (const q of nsgaFront) assert.ok(!dominates(p, q), "the returned front is non-dominated");
    }
    const randomPoints = random.history().map((entry) => vectorOf(entry.fitness));
    const nsgaVolume = hypervolume2d(nsgaFront, reference);
    const randomVolume = hypervolume2d(randomPoints, reference);
    // The true front f2 = 1 − √f1 has hypervolume 1.1·11 − 2/3 ≈ 11.43 for this reference.
    assert.ok(
      nsgaVolume > randomVolume + 0.8,
      `hypervolume: NSGA-II ${nsgaVolume}, random search ${randomVolume}`,
    );
  });

  it("gives the same search for parallel = 1 and 4 and resumes mid-generation", async () => {
    const run = async (parallel: number, delaySeed: number) => {
      const delays = new Rng(delaySeed);
      const asked: string[] = [];
      const result = await runAlgorithm({
        algorithm: "nsga2",
        genome: zdt1Genome,
        populationSize: 10,
        budget: 65,
        parallel,
        seed: 3,
        ordering: "completion",
        evaluate: async (x) => {
          asked.push(zdt1Genome.hash(x));
          return later(zdt1(x), delays.integerBelow(3));
        },
      });
      return {
        asked,
        front: result
          .result()
          .front.map((m) => m.hash)
          .sort(),
      };
    };
    const one = await run(1, 1);
    const four = await run(4, 2);
    assert.equal(one.asked.length, 65);
    assert.deepEqual(four.asked, one.asked, "the same children, asked in the same order");
    assert.deepEqual(four.front, one.front);

    const search = new Nsga2(zdt1Genome, { populationSize: 10, seed: 3 });
    const asked: string[] = [];
    while (asked.length < 37) {
      const x = search.ask() as number[];
      asked.push(zdt1Genome.hash(x));
      if (asked.length !== 37) search.tell(x, zdt1(x));
    }
    const restored = Nsga2.fromJSON(zdt1Genome, JSON.parse(JSON.stringify(search.toJSON())));
    assert.equal(restored.generation, 3, "generations close at 10, 20 and 30 tells");
    assert.equal(restored.pending().length, 1);
    const rest: string[] = [];
    await runAlgorithm({
      algorithm: "nsga2",
      genome: zdt1Genome,
      populationSize: 10,
      budget: 65,
      resumeFrom: restored.toJSON(),
      evaluate: async (x) => {
        rest.push(zdt1Genome.hash(x));
        return zdt1(x);
      },
    });
    assert.deepEqual([...asked, ...rest.slice(1)], one.asked, "resumed: the same asks in order");
  });

  it("rejects objectives with a missing or unknown name", () => {
    const search = new Nsga2(ringGenome(9), {
      populationSize: 4,
      seed: 0,
      objectiveNames: ["loss", "cost"],
    });
    const item = search.ask() as number;
    assert.throws(() => search.tell(item, { loss: 1 }), /objective 'cost' is missing/);
    assert.throws(
      () => search.tell(item, { loss: 1, cost: 2, time: 3 }),
      /unknown objective 'time'/,
    );
  });
});

describe("EAFO", () => {
  const grid = Array.from({ length: 161 }, (_, i) => -4 + i * 0.05);

  it("recovers the zoo's CRReLU from ReLU", () => {
    const crrelu = findZooEntry("crrelu");
    assert.ok(crrelu);
    const variants = eafoVariants(parseActivation("relu(x)"));
    const eafo = variants.find((variant) => variant.name === "eafo");
    assert.ok(eafo);
    assert.equal(canonicalText(eafo.activation), canonicalText(activationOf(crrelu)));
    assert.deepEqual(eafo.activation.params.eps, {
      init: 0.01,
      learnable: true,
      sharing: "scalar",
    });
    for (const x of grid) {
      const reference = Math.max(x, 0) + 0.01 * x * Math.exp((-x * x) / 2);
      const value = evaluate(eafo.activation.expr, x, initsOf(eafo.activation));
      assert.ok(Math.abs(value - reference) <= 1e-12, `x = ${x}: ${value} vs ${reference}`);
    }
  });

  it("derives the per-channel, fixed, slope-preconditioned and inverse-domain variants", () => {
    const variants = eafoVariants(parseActivation("tanh(x)"));
    assert.deepEqual(
      variants.map((variant) => variant.name),
      [
        "eafo",
        "eafo-per-channel",
        "eafo-fixed-0.01",
        "eafo-fixed-0.1",
        "eafo-fixed--0.1",
        "eafo-gradient",
        "eafo-inverse",
      ],
    );
    const byName = new Map(variants.map((variant) => [variant.name, variant.activation]));
    assert.equal(byName.get("eafo-per-channel")?.params.eps?.sharing, "channel");
    assert.deepEqual(byName.get("eafo-fixed-0.1")?.params.eps, {
      init: 0.1,
      learnable: false,
      sharing: "scalar",
    });
    const eps = 0.01;
    const sech2 = (x: number): number => 1 - Math.tanh(x) ** 2;
    const gauss = (u: number): number => Math.exp((-u * u) / 2);
    const references: Record<string, (x: number) => number> = {
      // f + ε·(x·f' + f'')·exp(−x²/2), f' = sech², f'' = −2·tanh·sech²
      "eafo-gradient": (x) =>
        Math.tanh(x) + eps * (x * sech2(x) - 2 * Math.tanh(x) * sech2(x)) * gauss(x),
      // f + ε·f'·f·exp(−f²/2)
      "eafo-inverse": (x) => Math.tanh(x) + eps * sech2(x) * Math.tanh(x) * gauss(Math.tanh(x)),
      "eafo-fixed--0.1": (x) => Math.tanh(x) - 0.1 * x * gauss(x),
    };
    for (const [name, reference] of Object.entries(references)) {
      const activation = byName.get(name) as Activation;
      for (const x of grid) {
        const value = evaluate(activation.expr, x, initsOf(activation));
        assert.ok(
          Math.abs(value - reference(x)) <= 1e-12,
          `${name} at ${x}: ${value} vs ${reference(x)}`,
        );
      }
    }
    // From ReLU the slope-preconditioned gradient is CRReLU's term on the identity branch only.
    const fromRelu = eafoVariants(parseActivation("relu(x)")).find(
      (v) => v.name === "eafo-gradient",
    );
    assert.ok(fromRelu);
    for (const x of grid) {
      const reference = Math.max(x, 0) + (x > 0 ? 0.01 * x * gauss(x) : 0);
      const value = evaluate(fromRelu.activation.expr, x, initsOf(fromRelu.activation));
      assert.ok(Math.abs(value - reference) <= 1e-12, `relu eafo-gradient at ${x}`);
    }
  });

  it("keeps the base's parameters, picks a fresh ε name, and skips slopes of statistics", () => {
    const base = parseActivation("x * sigmoid(eps * x) where eps = 1.5 fixed");
    const eafo = eafoVariants(base).find((variant) => variant.name === "eafo");
    assert.ok(eafo);
    assert.deepEqual(eafo.activation.params.eps, {
      init: 1.5,
      learnable: false,
      sharing: "scalar",
    });
    assert.deepEqual(eafo.activation.params.eafo_eps, {
      init: 0.01,
      learnable: true,
      sharing: "scalar",
    });
    const ash = findZooEntry("ash");
    assert.ok(ash);
    const names = eafoVariants(activationOf(ash)).map((variant) => variant.name);
    assert.ok(!names.includes("eafo-gradient") && names.includes("eafo"));
  });
});
