-- trigger schema, level 8: history kept per trigger (--history-keep, --history-runs).
--
-- A trigger keeps its history records younger than history_keep_seconds, and, whatever their
-- age, its creation record and its newest history_runs run outcomes (succeeded, failed or
-- timed_out). Existing triggers get the defaults: 30 days and 10 runs.
ALTER TABLE trigger ADD COLUMN history_keep_seconds INTEGER NOT NULL DEFAULT 2592000
  CHECK (history_keep_seconds > 0);
ALTER TABLE trigger ADD COLUMN history_runs INTEGER NOT NULL DEFAULT 10
  CHECK (history_runs >= 0);

-- When a record may be pruned: recorded_epoch plus its trigger's history_keep_seconds, set
-- when it is written (30 days for a trigger that is gone). The pruner takes the records whose
-- time has come, a slice at a time, through history_expires: it deletes each, unless it is
-- kept whatever its age, and then clears its expires_epoch (NULL: kept, never looked at again
-- by the pruner). A run outcome that a newer one pushes out of its trigger's newest
-- history_runs gets its expires_epoch back, and a change of --history-keep or --history-runs
-- sets those of all the trigger's records afresh, so a kept record is read again only when
-- it may have stopped being kept. An idle pass finds nothing due in one index lookup, however
-- many old records are kept.
ALTER TABLE history ADD COLUMN expires_epoch INTEGER;
UPDATE history SET expires_epoch = recorded_epoch + 2592000;
CREATE INDEX history_expires ON history (expires_epoch) WHERE expires_epoch IS NOT NULL;
-- The kept run outcomes (expires_epoch NULL) by trigger: a new run outcome looks here for the
-- one it pushes out. Few rows: a run outcome is kept this way only once it is older than its
-- trigger's keep, so only triggers that run less often than history_runs per keep have any.
CREATE INDEX history_kept_runs ON history (trigger_id) WHERE expires_epoch IS NULL AND
  (outcome = 'succeeded' OR outcome = 'failed' OR outcome = 'timed_out');
