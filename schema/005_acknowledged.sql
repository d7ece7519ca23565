-- trigger schema, level 5: failures acknowledged, for `trigger status`.
--
-- A trigger is failing while it is active and its newest run outcome (succeeded, failed or
-- timed_out) failed or timed out and is newer than the history id up to which its failures are
-- acknowledged: by `trigger reset-failed`, a pause or a cancel. NULL: none acknowledged.
ALTER TABLE trigger_event ADD COLUMN failures_acknowledged_id INTEGER;

-- The newest run outcome of a trigger in one index lookup, whatever edits, skips and
-- coalesced runs came after it: status reads it for every trigger.
CREATE INDEX history_run_outcome ON history (trigger_id, id)
  WHERE outcome = 'succeeded' OR outcome = 'failed' OR outcome = 'timed_out';
