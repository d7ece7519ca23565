-- trigger schema, level 6: a trigger may have no timeout (`--timeout none`, the default for new
-- triggers). It is stored as NULL, as --until and --max-runs store "none": the absence of a
-- value rather than a number that every reader would have to know means "never" (0 reads as
-- "at once"). The CHECK still refuses zero and negative timeouts. Existing triggers keep their
-- stored timeout. The table is rebuilt as in level 3 (foreign keys off around the migration,
-- checked before it commits); rows and ids are kept (its indexes are its UNIQUE constraints).

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
  timeout_seconds INTEGER CHECK (timeout_seconds > 0),  -- NULL: no timeout
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
