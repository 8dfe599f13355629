/**
 * The search driver: asks the algorithm for candidates one at a time, screens each (static checks,
 * gradient stability, a short quality run), computes its zero-cost proxies, trains the survivors
 * through the bench protocol (`runConfigs`: the caller runs the trials on an executor and records
 * them in the run store — finished trials come back from the store instead of being retrained),
 * and tells the algorithm the fitness. Evaluations are told in ask order, one at a time, so a
 * search is a pure function of its config: a resumed run asks the same candidates again and gets
 * their trials back from the store. No Node built-ins here.
 */
import type { BenchConfig } from "../bench/config.js";
import type { TrialResult } from "../bench/results.js";
import { findTask } from "../data/catalog.js";
import type { SearchConfig } from "./config.js";
import { activationModel, fitnessConfigs, REFERENCE, relativeFitness } from "./fitness.js";
import { createAlgorithm, driveAskTell } from "./driver.js";
import { Nsga2 } from "./nsga2.js";
import { searchOptionsOf } from "./options.js";
import { kendallTau } from "./rank-correlation.js";
import type { ScreeningRecord } from "./screening/screener.js";
import type { RejectionStage } from "./screening/stage.js";
import { summarizeScreening } from "./screening/summary.js";
import type { ScreenRequest, ScreenResult } from "./screen-job.js";
import type { CandidateKind, Subject, SubjectKind } from "./subjects.js";
import { activationSubjects, candidateModel, kanBasisSubjects } from "./subjects.js";
import type { Objectives } from "./types.js";

export type RunConfigs = (configs: BenchConfig[], label: string) => Promise<TrialResult[][]>;
/** Screens one activation (rejection stages, proxies) where the trials run: see screen-job.ts. */
export type RunScreen = (request: ScreenRequest) => Promise<ScreenResult>;

/** A candidate's screening (when it had one) and its record. */
interface Evaluation {
  record: EvaluatedCandidate;
  screening?: ScreeningRecord;
}

export interface EvaluatedCandidate {
  /** An expression, or (kind kan_basis) a basis set's spaces joined by "+". */
  text: string;
  hash: string;
  origin: string;
  /** Absent in results written before basis sets could be searched: an activation. */
  kind?: CandidateKind;
  /** Mean score against ReLU on the fitness trials (lower is better); Infinity when rejected. */
  fitness: number;
  /** Node count of the expression, or spaces in a basis set (NSGA-II's second objective). */
  complexity: number;
  rejectedAt?: RejectionStage;
  reason?: string;
  proxies?: Record<string, number>;
  /** Seconds spent screening, on proxies, and training the fitness trials. */
  seconds: { screening: number; proxies: number; training: number };
}

export interface SearchProgress {
  considered: number;
  trained: number;
  budget: number;
  best?: EvaluatedCandidate;
  last: EvaluatedCandidate;
  rejected: number;
}

export interface SearchOutcome {
  evaluated: EvaluatedCandidate[];
  screening: ReturnType<typeof summarizeScreening>;
  proxyCorrelations: { proxy: string; kendallTau: number; n: number }[];
  /** Best first, rejected and failed candidates excluded. */
  ranking: EvaluatedCandidate[];
  trainingSeconds: number;
}

export async function runSearch(
  config: SearchConfig,
  runConfigs: RunConfigs,
  screen: RunScreen,
  onProgress?: (progress: SearchProgress) => void,
): Promise<SearchOutcome> {
  return config.space === "kan_basis"
    ? searchLoop(config, kanBasisSubjects(config), runConfigs, screen, onProgress)
    : searchLoop(config, activationSubjects(config), runConfigs, screen, onProgress);
}

async function searchLoop<T extends Subject>(
  config: SearchConfig,
  subjects: SubjectKind<T>,
  runConfigs: RunConfigs,
  screen: RunScreen,
  onProgress?: (progress: SearchProgress) => void,
): Promise<SearchOutcome> {
  const higherIsBetter = (task: string) => findTask(task)?.metric === "accuracy";
  const reference = await runConfigs(
    fitnessConfigs(config, REFERENCE, activationModel("relu")),
    "reference relu",
  );
  // the stages judge a pointwise activation: a basis set has none to judge
  const stages: RejectionStage[] =
    subjects.kind === "activation"
      ? (["static", "stability", "quality"] as const).filter((stage) => config.rejection[stage])
      : [];
  const search = createAlgorithm(
    subjects.genome,
    searchOptionsOf(config),
    config.algorithm === "nsga2" ? { objectiveNames: ["fitness", "complexity"] } : {},
  );
  const evaluated: EvaluatedCandidate[] = [];
  const screenings: ScreeningRecord[] = [];
  let trained = 0;
  let trainingSeconds = 0;
  // rejected candidates cost no training budget; the cap on candidates considered keeps a space
  // that yields only rejects from running forever
  const maxConsidered = 5 * config.budget;

  /** Screens a candidate (on the executor), then trains it if it passed; never throws for a reject. */
  const evaluate = async (candidate: T): Promise<Evaluation> => {
    const record: EvaluatedCandidate = {
      text: candidate.text,
      hash: candidate.hash,
      origin: candidate.origin,
      kind: subjects.kind,
      fitness: Infinity,
      complexity: subjects.complexity(candidate),
      seconds: { screening: 0, proxies: 0, training: 0 },
    };
    let screening: ScreeningRecord | undefined;
    if (subjects.activation(candidate) && (stages.length > 0 || config.proxies)) {
      const screened = await screen({
        activation: candidate.text,
        stages: [...stages],
        proxies: config.proxies,
      });
      screening = screened.screening;
      if (screening) record.seconds.screening = screening.seconds;
      if (screening && !screening.passed) {
        record.rejectedAt = screening.rejectedAt;
        record.reason = screening.stages[screening.stages.length - 1]?.reason;
        return { record, screening };
      }
      if (screened.proxies) {
        record.proxies = screened.proxies.values;
        record.seconds.proxies = screened.proxies.seconds;
      }
    }
    const configs = fitnessConfigs(
      config,
      candidate.hash,
      candidateModel(config, subjects.kind, candidate.text),
    );
    const results = await runConfigs(configs, candidate.text);
    // compute time of its trials (they may have run beside other candidates' on other workers)
    record.seconds.training = results
      .flat()
      .reduce((sum, t) => sum + t.secondsPerEpoch * t.epochs, 0);
    record.fitness = relativeFitness(results, reference, higherIsBetter);
    return { record, screening };
  };

  /** Records a told candidate and reports progress. */
  const conclude = (_candidate: T, { record, screening }: Evaluation): void => {
    if (screening) screenings.push(screening);
    if (!record.rejectedAt) {
      trained++;
      trainingSeconds += record.seconds.training;
    }
    evaluated.push(record);
    const ranking = evaluated.filter((e) => Number.isFinite(e.fitness));
    const best = ranking.reduce<EvaluatedCandidate | undefined>(
      (b, e) => (!b || e.fitness < b.fitness ? e : b),
      undefined,
    );
    onProgress?.({
      considered: evaluated.length,
      trained,
      budget: config.budget,
      best,
      last: record,
      rejected: evaluated.length - trained,
    });
  };

  // Up to `parallel` candidates are in flight — asked, then screened and trained on the executor,
  // all at once — and told in ask order. A candidate is asked only when the one `parallel` places
  // before it has been told, and only while the told trainings plus those in flight stay within
  // the budget (a rejected candidate spends none of it). What each ask sees therefore depends on
  // the config alone, never on timing or on the number of workers: a search stays a pure
  // function of its config, whatever runs its jobs. `parallel: 1` is one at a time.
  await driveAskTell<T, number | Objectives, Evaluation>(search, {
    budget: config.budget,
    parallel: config.parallel,
    maxEvaluations: maxConsidered,
    ordering: "ask-order",
    evaluate,
    fitnessOf: ({ record }) =>
      search instanceof Nsga2
        ? { fitness: record.fitness, complexity: record.complexity }
        : record.fitness,
    spendsBudget: ({ record }) => !record.rejectedAt,
    // let the executor send this candidate's first job before the next ask (sampling computes
    // proxies on this thread: asking 4 candidates in a row kept 2 workers idle for ~0.7 s)
    afterStart: nextTurn,
    onEvaluated: conclude,
  });
  const meanTraining = trained > 0 ? trainingSeconds / trained : 0;
  return {
    evaluated,
    screening: summarizeScreening(screenings, meanTraining, stages),
    proxyCorrelations: proxyCorrelations(evaluated),
    ranking: evaluated
      .filter((e) => Number.isFinite(e.fitness))
      .sort((a, b) => a.fitness - b.fitness || a.complexity - b.complexity),
    trainingSeconds,
  };
}

/** Resolves after the event loop's next turn (I/O and timers run in between). */
const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Kendall's τ-b between each proxy and the trained fitness, over the trained candidates. */
function proxyCorrelations(evaluated: EvaluatedCandidate[]): SearchOutcome["proxyCorrelations"] {
  const trained = evaluated.filter((e) => Number.isFinite(e.fitness) && e.proxies);
  const names = Object.keys(trained[0]?.proxies ?? {});
  return names.map((proxy) => {
    const pairs = trained.filter((e) => Number.isFinite(e.proxies![proxy]));
    // τ with −fitness, so a positive τ means "a higher proxy value goes with a better candidate"
    const tau =
      pairs.length >= 3
        ? kendallTau(
            pairs.map((e) => e.proxies![proxy] as number),
            pairs.map((e) => -e.fitness),
          )
        : NaN;
    return { proxy, kendallTau: tau, n: pairs.length };
  });
}
