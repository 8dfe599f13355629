/** What the run store keeps, as the API hands it out (absent values are null, JSON-friendly). */
export type RunStatus = "running" | "done" | "failed" | "interrupted";
export type TrialStatus = "pending" | "running" | "done" | "failed";
export type EventLevel = "info" | "warn" | "error";

export const RUN_STATUSES: readonly RunStatus[] = ["running", "done", "failed", "interrupted"];
export const EVENT_LEVELS: readonly EventLevel[] = ["info", "warn", "error"];

export interface Machine {
  cpus: number;
  platform: string;
  node: string;
  device: string;
  /** Absent: jax. The torch engine records "torch" and its library versions (torch, numpy, python). */
  engine?: string;
  versions?: Record<string, string>;
}

/** The process that runs (or last ran) a run: set by createRun and reopenRun. */
export interface RunOwner {
  pid: number;
  /** os.hostname() of its machine. */
  host: string;
  /**
   * When the process started ("BOOT_ID:TICKS", Linux /proc), so a later process given the same
   * pid is not taken for it; absent where unknown (other systems, runs before schema 4).
   */
  started?: string;
}

export interface NewRun {
  /** The command that started the run: "bench", "search", "fit". */
  command: string;
  /** The full validated config (stored as JSON). */
  config: unknown;
  configHash: string;
  machine: Machine;
  /** Default: package.json's version + git commit (see version.ts). */
  codeVersion?: string;
  /** What `runs ls` calls the run: the config file's name or the preset's. */
  name?: string;
  /** The folder the run writes its files (and a fit its checkpoints) to. */
  outDir?: string;
}

export interface RunRecord {
  id: string;
  command: string;
  config: unknown;
  configHash: string;
  codeVersion: string;
  machine: Machine;
  /** ISO 8601 UTC times. */
  started: string;
  finished: string | null;
  /** As stored: a run whose process was killed stays 'running' (see liveness.ts). */
  status: RunStatus;
  /** Null for runs recorded before schema 3. */
  owner: RunOwner | null;
  /** The config file's or preset's name; null before schema 6 or when none was given. */
  name: string | null;
  outDir: string | null;
  /** The headline the command stored when it finished (search, fit); null where it stored none. */
  headline: string | null;
}

export interface TrialCounts {
  total: number;
  pending: number;
  running: number;
  done: number;
  failed: number;
}

/** A line of `nonlin runs ls`. */
export interface RunListing {
  id: string;
  command: string;
  /** As stored (see RunRecord.status). */
  status: RunStatus;
  started: string;
  finished: string | null;
  configHash: string;
  owner: RunOwner | null;
  trials: TrialCounts;
  name: string | null;
  /** "jax/wasm", "torch/cuda:0": the trial engine and its device. */
  engine: string;
  /**
   * One line: the stored headline, else computed from what is recorded — bench: the best
   * candidate and its mean test metric; fit: its test metric; a running run: its progress.
   */
  headline: string | null;
}

/** A trial to register: its identity (the TrialJob id hash) and names. */
export interface TrialEntry {
  id: string;
  task: string;
  candidate: string;
  seedIndex: number;
  seed: number;
  /** The task's metric ("rmse", "accuracy"): sets the leaderboard's direction. */
  metric?: string;
  /** Default: the run's config hash. */
  configHash?: string;
}

/** One trial with its final metrics and cost: a row of the export (and of the CSV). */
export interface TrialRow {
  runId: string;
  trialId: string;
  task: string;
  candidate: string;
  seedIndex: number;
  seed: number;
  configHash: string;
  metric: string | null;
  status: TrialStatus;
  attempts: number;
  started: string | null;
  finished: string | null;
  error: string | null;
  valLoss: number | null;
  valMetric: number | null;
  testLoss: number | null;
  testMetric: number | null;
  testAuc: number | null;
  selectedEpoch: number | null;
  epochs: number | null;
  diverged: boolean | null;
  width: number | null;
  params: number | null;
  flops: number | null;
  trainFlops: number | null;
  secondsPerEpoch: number | null;
  throughput: number | null;
  peakMemoryBytes: number | null;
  /** Seconds from startTrial to finishTrial (or as given to finishTrial). */
  wallSeconds: number | null;
}

export interface EpochRow {
  trialId: string;
  epoch: number;
  trainLoss: number | null;
  valLoss: number | null;
  valMetric: number | null;
}

export interface EventRecord {
  runId: string;
  trialId: string | null;
  time: string;
  level: EventLevel;
  message: string;
}

export interface NewEvent {
  level: EventLevel;
  message: string;
  trialId?: string;
}

export interface ArtifactRecord {
  runId: string;
  trialId: string | null;
  kind: string;
  path: string;
  sha256: string;
  created: string;
}

export interface NewArtifact {
  kind: string;
  path: string;
  trialId?: string;
  /** Default: the sha256 of the file at `path`, read now. */
  sha256?: string;
}

/** Per task and candidate, over the trials that finished. */
export interface LeaderboardRow {
  task: string;
  candidate: string;
  metric: string | null;
  /** Finished trials (the mean is over these). */
  n: number;
  failed: number;
  diverged: number;
  meanTestMetric: number | null;
  /** Sample standard deviation (n − 1); null below 2 trials. */
  sdTestMetric: number | null;
  meanTestAuc: number | null;
  params: number | null;
  secondsPerEpoch: number | null;
  /** 1 = best within the task; null when the metric's direction is unknown or n = 0. */
  rank: number | null;
}

export interface RunSummary {
  run: RunRecord;
  trials: TrialCounts;
  leaderboard: LeaderboardRow[];
  /** A fit run's phases with their metrics (empty for other commands). */
  fitPhases: FitPhaseRow[];
  /** The run's warnings and errors, oldest first (the last 20). */
  problems: EventRecord[];
}

/** A finished (or diverged) fit phase: metrics per split after it, as `runs` gives them. */
export interface FitPhaseRow {
  phase: number;
  kind: string;
  /** The task's name (as bench names its tasks). */
  task: string;
  /** "rmse" or "accuracy": what the *Metric columns hold. */
  metric: string | null;
  diverged: boolean;
  seconds: number | null;
  params: number | null;
  trainLoss: number | null;
  trainMetric: number | null;
  valLoss: number | null;
  valMetric: number | null;
  testLoss: number | null;
  testMetric: number | null;
}

/** One epoch of a fit's gradient phase. */
export interface FitEpochRow {
  phase: number;
  epoch: number;
  trainLoss: number | null;
  valLoss: number | null;
  valMetric: number | null;
}

export interface RunExport {
  run: RunRecord;
  trials: TrialRow[];
  epochs: EpochRow[];
  /** A fit run's phases and learning curve (empty for other commands). */
  fitPhases: FitPhaseRow[];
  fitEpochs: FitEpochRow[];
  events: EventRecord[];
  artifacts: ArtifactRecord[];
}
