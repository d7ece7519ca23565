-- trigger schema, level 4: heartbeat leases, a ready flag for the queue, pass outcomes, and the
-- application id that marks the file as trigger's.

-- The application id 'TRGR' in the file header: another application's SQLite file (which has
-- another id, or none and tables of its own) is refused untouched.
PRAGMA application_id = 1414678354;

-- A lease names the pass that holds it, so that a pass on the same host can tell at once that
-- its holder is dead (process gone, pid reused, or a new boot) and the command group it left.
-- lease_expires_epoch is renewed by the holder's heartbeat while the command runs.
ALTER TABLE task ADD COLUMN lease_host TEXT;
ALTER TABLE task ADD COLUMN lease_pid INTEGER;        -- the pass holding the lease
ALTER TABLE task ADD COLUMN lease_pid_start INTEGER;  -- its start time (/proc/PID/stat field 22)
ALTER TABLE task ADD COLUMN lease_boot_id TEXT;       -- /proc/sys/kernel/random/boot_id
ALTER TABLE task ADD COLUMN lease_pgid INTEGER;       -- the command's process group, once started
ALTER TABLE task ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;  -- attempts cut short by a
                                                                   -- dead pass: not --retries
-- The leased tasks, for the pass's reclaim step and heartbeat: as many rows as are running,
-- however long the queue.
CREATE INDEX task_leased ON task (lease_owner, id) WHERE lease_owner IS NOT NULL;

-- A serial task behind an earlier task of its trigger is blocked; the store unblocks the first
-- task of a trigger when the one before it goes. The next runnable task is then the first row
-- of task_ready, whatever the length of the queue.
ALTER TABLE task ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked = 0 OR blocked = 1);
UPDATE task SET blocked = 1 WHERE serial = 1 AND EXISTS (
  SELECT 1 FROM task p WHERE p.trigger_id = task.trigger_id AND p.id < task.id);
CREATE INDEX task_ready ON task (due_epoch, id) WHERE blocked = 0;
CREATE INDEX task_trigger ON task (trigger_id, id);

-- How each pass ended, and who ran it: status reports failed, refused and dead passes.
ALTER TABLE pass ADD COLUMN host TEXT;
ALTER TABLE pass ADD COLUMN pid INTEGER;
ALTER TABLE pass ADD COLUMN pid_start INTEGER;
ALTER TABLE pass ADD COLUMN boot_id TEXT;
ALTER TABLE pass ADD COLUMN outcome TEXT CHECK (outcome IS NULL OR outcome = 'ok' OR
  outcome = 'failed' OR outcome = 'refused');  -- NULL while running (or when it died)
ALTER TABLE pass ADD COLUMN error TEXT;        -- the failure or refusal, one line

-- A new outcome, 'interrupted': an attempt cut short because the pass running it died (count 0:
-- no occurrence is accounted for by it; the occurrence runs again). The history table is
-- rebuilt for its CHECK as in level 3; rows, ids and indexes are kept.
CREATE TABLE history_new (
  id INTEGER PRIMARY KEY,
  trigger_id INTEGER NOT NULL,
  event_id TEXT,
  scheduled_epoch INTEGER,
  count INTEGER NOT NULL DEFAULT 1,
  outcome TEXT NOT NULL CHECK (outcome = 'succeeded' OR outcome = 'failed' OR
                               outcome = 'timed_out' OR outcome = 'skipped' OR
                               outcome = 'coalesced' OR outcome = 'cancelled' OR
                               outcome = 'edit' OR outcome = 'interrupted'),
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
