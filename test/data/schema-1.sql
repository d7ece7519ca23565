-- A level-1 database (trigger 0.1.0) with two triggers, frozen: store_test migrates it forward.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE trigger (
  id INTEGER PRIMARY KEY,
  name TEXT UNIQUE,                    -- optional; never all digits, so ID|NAME is unambiguous
  state TEXT NOT NULL CHECK (state IN ('active', 'paused', 'cancelled', 'done')),
  clock TEXT NOT NULL,                 -- canonical clock text, e.g. "--every 1h --from @..."
  clock_set_epoch INTEGER NOT NULL,    -- when the clock was set: no fire time at or before it
  tz TEXT NOT NULL,                    -- IANA zone resolved at create
  action_kind TEXT NOT NULL CHECK (action_kind IN ('log', 'sh', 'program')),
  action_argv TEXT NOT NULL,           -- JSON array: [message] | [script] | [program, args...]
  action_env TEXT NOT NULL DEFAULT '[]',  -- JSON array of "K=V"
  action_cwd TEXT,
  misfire TEXT NOT NULL CHECK (misfire IN ('all', 'latest', 'skip')),
  grace_seconds INTEGER NOT NULL CHECK (grace_seconds > 0),
  overlap TEXT NOT NULL CHECK (overlap IN ('skip', 'queue', 'allow')),
  timeout_seconds INTEGER NOT NULL CHECK (timeout_seconds > 0),
  retries INTEGER NOT NULL CHECK (retries >= 0),
  backoff_seconds INTEGER NOT NULL CHECK (backoff_seconds > 0),
  jitter_seconds INTEGER NOT NULL CHECK (jitter_seconds >= 0),
  dst TEXT NOT NULL DEFAULT 'auto' CHECK (dst IN ('auto', 'once', 'literal')),
  until_epoch INTEGER,
  max_runs INTEGER CHECK (max_runs > 0),
  version INTEGER NOT NULL UNIQUE,     -- counter.version at its last change
  created_epoch INTEGER NOT NULL,
  updated_epoch INTEGER NOT NULL
);
INSERT INTO "trigger" VALUES(1,'level1','active','--every 1h --from 2026-12-01T08:00:00Z',1796112000,'UTC','sh','["echo hi"]','[]',NULL,'latest',300,'skip',3600,0,30,0,'auto',NULL,NULL,1,1796112000,1796112000);
INSERT INTO "trigger" VALUES(2,'paused1','paused','--never',1796112000,'UTC','log','["x"]','[]',NULL,'latest',300,'skip',3600,0,30,0,'auto',NULL,NULL,2,1796112000,1796112000);
CREATE TABLE trigger_label (
  trigger_id INTEGER NOT NULL REFERENCES trigger (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (trigger_id, key)
) WITHOUT ROWID;
INSERT INTO trigger_label VALUES(1,'k','v');
CREATE TABLE trigger_event (
  id INTEGER PRIMARY KEY,
  trigger_id INTEGER NOT NULL UNIQUE REFERENCES trigger (id) ON DELETE CASCADE,
  last_event_epoch INTEGER,
  next_event_epoch INTEGER
);
CREATE TABLE counter (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counter VALUES('cursor',0);
INSERT INTO counter VALUES('version',2);
CREATE INDEX trigger_label_key_value ON trigger_label (key, value);
CREATE INDEX trigger_event_next ON trigger_event (next_event_epoch);
COMMIT;
PRAGMA user_version = 1;
