-- trigger schema, level 3: the same tables, with their CHECK constraints written as OR chains.
-- SQLite evaluates `x IN ('a', 'b', 'c')` (more than two constants) by building a temporary
-- table for the list on every INSERT and UPDATE: five of them per trigger written, one per
-- history record. `x = 'a' OR x = 'b' OR ...` accepts exactly the same values at a fraction of
-- the cost. Both tables are rebuilt the way SQLite documents (foreign keys off around the
-- migration, checked before it commits); rows, ids and indexes are kept.

CREATE TABLE trigger_new (
  id INTEGER PRIMARY KEY,
  name TEXT UNIQUE,
  state TEXT NOT NULL CHECK (state = 'active' OR state = 'paused' OR state = 'cancelled' OR
                             state = 'done'),
  clock TEXT NOT NULL,
  clock_set_epoch INTEGER NOT NULL,
  tz TEXT NOT NULL,
  action_kind TEXT NOT NULL CHECK (action_kind = 'log' OR action_kind = 'sh' OR
                                   action_kind = 'program'),
  action_argv TEXT NOT NULL,
  action_env TEXT NOT NULL DEFAULT '[]',
  action_cwd TEXT,
  misfire TEXT NOT NULL CHECK (misfire = 'all' OR misfire = 'latest' OR misfire = 'skip'),
  grace_seconds INTEGER NOT NULL CHECK (grace_seconds > 0),
  overlap TEXT NOT NULL CHECK (overlap = 'skip' OR overlap = 'queue' OR overlap = 'allow'),
  timeout_seconds INTEGER NOT NULL CHECK (timeout_seconds > 0),
  retries INTEGER NOT NULL CHECK (retries >= 0),
  backoff_seconds INTEGER NOT NULL CHECK (backoff_seconds > 0),
  jitter_seconds INTEGER NOT NULL CHECK (jitter_seconds >= 0),
  dst TEXT NOT NULL DEFAULT 'auto' CHECK (dst = 'auto' OR dst = 'once' OR dst = 'literal'),
  until_epoch INTEGER,
  max_runs INTEGER CHECK (max_runs > 0),
  version INTEGER NOT NULL UNIQUE,
  created_epoch INTEGER NOT NULL,
  updated_epoch INTEGER NOT NULL
);
INSERT INTO trigger_new (id, name, state, clock, clock_set_epoch, tz, action_kind, action_argv,
                         action_env, action_cwd, misfire, grace_seconds, overlap, timeout_seconds,
                         retries, backoff_seconds, jitter_seconds, dst, until_epoch, max_runs,
                         version, created_epoch, updated_epoch)
  SELECT id, name, state, clock, clock_set_epoch, tz, action_kind, action_argv, action_env,
         action_cwd, misfire, grace_seconds, overlap, timeout_seconds, retries, backoff_seconds,
         jitter_seconds, dst, until_epoch, max_runs, version, created_epoch, updated_epoch
  FROM trigger;
DROP TABLE trigger;
ALTER TABLE trigger_new RENAME TO trigger;

CREATE TABLE history_new (
  id INTEGER PRIMARY KEY,
  trigger_id INTEGER NOT NULL,
  event_id TEXT,
  scheduled_epoch INTEGER,
  count INTEGER NOT NULL DEFAULT 1,
  outcome TEXT NOT NULL CHECK (outcome = 'succeeded' OR outcome = 'failed' OR
                               outcome = 'timed_out' OR outcome = 'skipped' OR
                               outcome = 'coalesced' OR outcome = 'cancelled' OR
                               outcome = 'edit'),
  reason TEXT,
  manual INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  exit_status INTEGER,
  started_epoch INTEGER,
  finished_epoch INTEGER,
  output TEXT,
  recorded_epoch INTEGER NOT NULL
);
INSERT INTO history_new (id, trigger_id, event_id, scheduled_epoch, count, outcome, reason, manual,
                         attempts, exit_status, started_epoch, finished_epoch, output,
                         recorded_epoch)
  SELECT id, trigger_id, event_id, scheduled_epoch, count, outcome, reason, manual, attempts,
         exit_status, started_epoch, finished_epoch, output, recorded_epoch
  FROM history;
DROP TABLE history;
ALTER TABLE history_new RENAME TO history;
CREATE INDEX history_trigger ON history (trigger_id, id);
CREATE INDEX history_recorded ON history (recorded_epoch);
CREATE INDEX history_failed ON history (finished_epoch) WHERE outcome IN ('failed', 'timed_out');
