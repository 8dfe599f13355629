/** What a `nonlin search` run writes as results.json (reports are rebuilt from it). */
import type { BenchResults } from "../bench/results.js";
import type { SearchConfig } from "./config.js";
import type { Headline, HeldoutCandidate } from "./heldout.js";
import type { SearchOutcome } from "./run-search.js";

export interface SearchResults {
  version: 1;
  run: string;
  config: SearchConfig;
  machine: BenchResults["machine"];
  started: string;
  finished: string;
  outcome: SearchOutcome;
  heldoutCandidates: HeldoutCandidate[];
  heldout: BenchResults;
  headline: Headline;
  /** Candidates considered (screened, and trained if they passed) per minute of search. */
  candidatesPerMinute: number;
  /** Candidates trained per minute of search. */
  trainingsPerMinute: number;
  seconds: number;
}
