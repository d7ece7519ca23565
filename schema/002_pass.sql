-- trigger schema, level 2: the run-once pass. Only run-once writes these tables, except that
-- commands append their edits to `history` and `fire` queues manual tasks.

-- What the pass knows of each trigger besides its times: how many occurrences it has fired
-- since its clock was last set (for --max-runs) and why its clock was set aside, if it was.
ALTER TABLE trigger_event ADD COLUMN runs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trigger_event ADD COLUMN runs_from_epoch INTEGER;  -- runs count from this clock setting
ALTER TABLE trigger_event ADD COLUMN error TEXT;

-- Queued and leased work: one row per occurrence (or manual run) until its final outcome.
CREATE TABLE task (
  id INTEGER PRIMARY KEY,
  trigger_id INTEGER NOT NULL REFERENCES trigger (id) ON DELETE CASCADE,
  scheduled_epoch INTEGER NOT NULL,    -- the occurrence (for a manual run: when it was asked)
  manual INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1)),
  serial INTEGER NOT NULL DEFAULT 1 CHECK (serial IN (0, 1)),  -- waits for earlier tasks of its trigger
  last_epoch INTEGER,                  -- the occurrence before it (TRIGGER_LAST_EPOCH)
  due_epoch INTEGER NOT NULL,          -- not before: jitter and retry backoff
  attempt INTEGER NOT NULL DEFAULT 0,  -- attempts started
  lease_owner TEXT,
  lease_expires_epoch INTEGER,
  created_epoch INTEGER NOT NULL,
  UNIQUE (trigger_id, scheduled_epoch, manual)
);

CREATE INDEX task_due ON task (due_epoch);
CREATE INDEX task_lease ON task (lease_expires_epoch) WHERE lease_expires_epoch IS NOT NULL;

-- Every occurrence's outcome, every skipped or coalesced run of them, and every edit.
CREATE TABLE history (
  id INTEGER PRIMARY KEY,
  trigger_id INTEGER NOT NULL,
  event_id TEXT,                       -- TRIGGER_EVENT_ID of the occurrence
  scheduled_epoch INTEGER,             -- for a record of several occurrences, the last
  count INTEGER NOT NULL DEFAULT 1,
  outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'timed_out', 'skipped',
                                           'coalesced', 'cancelled', 'edit')),
  reason TEXT,
  manual INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  exit_status INTEGER,
  started_epoch INTEGER,
  finished_epoch INTEGER,
  output TEXT,
  recorded_epoch INTEGER NOT NULL
);

CREATE INDEX history_trigger ON history (trigger_id, id);
CREATE INDEX history_recorded ON history (recorded_epoch);
CREATE INDEX history_failed ON history (finished_epoch) WHERE outcome IN ('failed', 'timed_out');

-- One row per run-once pass.
CREATE TABLE pass (
  id INTEGER PRIMARY KEY,
  owner TEXT NOT NULL,
  started_epoch INTEGER NOT NULL,
  finished_epoch INTEGER,
  duration_ms INTEGER,
  scheduled INTEGER NOT NULL DEFAULT 0,
  fired INTEGER NOT NULL DEFAULT 0,
  ran INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  clock_jump_seconds INTEGER NOT NULL DEFAULT 0,  -- now minus the previous pass's start, when negative
  note TEXT
);
