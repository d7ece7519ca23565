-- trigger schema, level 7: failure hooks, and a record of every attempt.
--
-- A trigger may have an on-failure hook (`--on-failure-sh TEXT`, systemd's OnFailure=): a
-- shell text run when an occurrence ends failed or timed out after its last retry. NULL: none.
ALTER TABLE trigger ADD COLUMN on_failure_sh TEXT;

-- Two new outcomes, neither of which accounts for an occurrence (count 0):
--   'retried'  an attempt that failed or timed out and is tried again: its exit status and
--              output are kept, so every attempt's output is, not only the last one's;
--   'hook'     the result of an on-failure hook, with the occurrence's event id.
-- Neither is a run outcome: the newest run outcome (history_run_outcome) that says whether a
-- trigger is failing is still its occurrences' succeeded, failed or timed_out. The history
-- table is rebuilt for its CHECK as in level 3; rows, ids and indexes are kept.
CREATE TABLE history_new (
  id INTEGER PRIMARY KEY,
  trigger_id INTEGER NOT NULL,
  event_id TEXT,
  scheduled_epoch INTEGER,
  count INTEGER NOT NULL DEFAULT 1,
  outcome TEXT NOT NULL CHECK (outcome = 'succeeded' OR outcome = 'failed' OR
                               outcome = 'timed_out' OR outcome = 'skipped' OR
                               outcome = 'coalesced' OR outcome = 'cancelled' OR
                               outcome = 'edit' OR outcome = 'interrupted' OR
                               outcome = 'retried' OR outcome = 'hook'),
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
CREATE INDEX history_run_outcome ON history (trigger_id, id)
  WHERE outcome = 'succeeded' OR outcome = 'failed' OR outcome = 'timed_out';
