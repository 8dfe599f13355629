/**
 * The store's schema as a list of migration steps. `PRAGMA user_version` holds the number of steps
 * applied; opening a store applies the missing ones in one transaction, and a store whose version
 * is above SCHEMA_VERSION (written by a newer nonlin) is refused. Never edit a released step:
 * append a new one.
 */
export interface Migration {
  /** The user_version the store has after this step. */
  version: number;
  description: string;
  sql: string;
}

/** `PRAGMA application_id` of a nonlin store: "nlin" in ASCII, to tell it from other SQLite files. */
export const APPLICATION_ID = 0x6e6c696e;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "runs, trials (with final metrics and cost) and per-epoch metrics",
    sql: `
      CREATE TABLE runs (
        id               TEXT PRIMARY KEY,
        command          TEXT NOT NULL,
        config_json      TEXT NOT NULL,
        config_hash      TEXT NOT NULL,
        code_version     TEXT NOT NULL,
        machine_cpus     INTEGER NOT NULL,
        machine_platform TEXT NOT NULL,
        machine_node     TEXT NOT NULL,
        machine_device   TEXT NOT NULL,
        started          TEXT NOT NULL,
        finished         TEXT,
        status           TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted'))
      ) STRICT;

      CREATE TABLE trials (
        run_id            TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        trial_id          TEXT NOT NULL,
        task              TEXT NOT NULL,
        candidate         TEXT NOT NULL,
        seed_index        INTEGER NOT NULL,
        seed              INTEGER NOT NULL,
        config_hash       TEXT NOT NULL,
        metric            TEXT,
        status            TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
        attempts          INTEGER NOT NULL DEFAULT 0,
        started           TEXT,
        finished          TEXT,
        error             TEXT,
        -- final metrics (NULL until done; NaN is stored as NULL, the exact value is in result_json)
        val_loss          REAL,
        val_metric        REAL,
        test_loss         REAL,
        test_metric       REAL,
        test_auc          REAL,
        selected_epoch    INTEGER,
        epochs            INTEGER,
        diverged          INTEGER,
        -- cost
        width             INTEGER,
        params            INTEGER,
        flops             REAL,
        train_flops       REAL,
        seconds_per_epoch REAL,
        throughput        REAL,
        peak_memory_bytes REAL,
        wall_seconds      REAL,
        -- the TrialResult exactly as recorded (see codec.ts)
        result_json       TEXT,
        PRIMARY KEY (run_id, trial_id)
      ) STRICT;
      CREATE INDEX trials_by_status ON trials (run_id, status);

      CREATE TABLE epochs (
        run_id     TEXT NOT NULL,
        trial_id   TEXT NOT NULL,
        epoch      INTEGER NOT NULL,
        train_loss REAL,
        val_loss   REAL,
        val_metric REAL,
        PRIMARY KEY (run_id, trial_id, epoch),
        FOREIGN KEY (run_id, trial_id) REFERENCES trials (run_id, trial_id) ON DELETE CASCADE
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description:
      "artifacts (files a run wrote, with their sha256) and events (messages for the user)",
    sql: `
      CREATE TABLE artifacts (
        id       INTEGER PRIMARY KEY,
        run_id   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        trial_id TEXT,
        kind     TEXT NOT NULL,
        path     TEXT NOT NULL,
        sha256   TEXT NOT NULL,
        created  TEXT NOT NULL
      ) STRICT;
      CREATE INDEX artifacts_by_run ON artifacts (run_id);

      CREATE TABLE events (
        id       INTEGER PRIMARY KEY,
        run_id   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        trial_id TEXT,
        time     TEXT NOT NULL,
        level    TEXT NOT NULL CHECK (level IN ('info', 'warn', 'error')),
        message  TEXT NOT NULL
      ) STRICT;
      CREATE INDEX events_by_run ON events (run_id);
    `,
  },
  {
    version: 3,
    description:
      "the process that owns a run (pid and host name), so a run whose process was killed shows as interrupted",
    sql: `
      ALTER TABLE runs ADD COLUMN pid INTEGER;
      ALTER TABLE runs ADD COLUMN host TEXT;
    `,
  },
  {
    version: 4,
    description:
      "when a run's owner process started (boot id and start time), so a pid reused by a later process is not taken for the run's",
    sql: `
      ALTER TABLE runs ADD COLUMN pid_started TEXT;
    `,
  },
  {
    version: 5,
    description:
      "the trial engine of a run and its library versions (JSON), NULL for jax (docs/engines.md)",
    sql: `
      ALTER TABLE runs ADD COLUMN machine_engine TEXT;
      ALTER TABLE runs ADD COLUMN machine_versions TEXT;
    `,
  },
  {
    version: 6,
    description:
      "a run's name, output folder and headline; a fit's phases (final metrics per split, diverged) and learning curve",
    sql: `
      ALTER TABLE runs ADD COLUMN name TEXT;
      ALTER TABLE runs ADD COLUMN out_dir TEXT;
      ALTER TABLE runs ADD COLUMN headline TEXT;

      CREATE TABLE fit_phases (
        run_id       TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        phase        INTEGER NOT NULL,
        kind         TEXT NOT NULL,
        task         TEXT NOT NULL,
        metric       TEXT,
        diverged     INTEGER NOT NULL,
        seconds      REAL,
        params       INTEGER,
        -- NaN is stored as NULL (as in trials)
        train_loss   REAL,
        train_metric REAL,
        val_loss     REAL,
        val_metric   REAL,
        test_loss    REAL,
        test_metric  REAL,
        PRIMARY KEY (run_id, phase)
      ) STRICT;

      CREATE TABLE fit_epochs (
        run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        phase      INTEGER NOT NULL,
        epoch      INTEGER NOT NULL,
        train_loss REAL,
        val_loss   REAL,
        val_metric REAL,
        PRIMARY KEY (run_id, phase, epoch)
      ) STRICT, WITHOUT ROWID;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
