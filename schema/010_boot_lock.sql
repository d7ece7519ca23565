-- trigger schema, level 10: the boot clock (--on-boot) and lock groups (--lock).
--
-- A trigger with a boot clock (--on-boot [--delay D]) fires once per boot of the machine. Its
-- event row remembers the boot (the kernel's boot id) the pass scheduled it for: a pass in a
-- later boot finds it through trigger_on_boot (the boot-clock triggers only, whatever the
-- number of others) and gives it that boot's occurrence.
ALTER TABLE trigger_event ADD COLUMN boot_id TEXT;
CREATE INDEX trigger_on_boot ON trigger (id) WHERE clock GLOB '--on-boot*';

-- Lock groups (--lock NAME): a JSON array of names, sorted, each once; '[]' for none. A task
-- whose trigger shares a name with the trigger of a leased (running) task is not leased; it
-- stays queued. trigger_locked holds the triggers with locks only, for the pass to find the
-- tasks that wait for one.
ALTER TABLE trigger ADD COLUMN locks TEXT NOT NULL DEFAULT '[]';
CREATE INDEX trigger_locked ON trigger (id) WHERE locks != '[]';
-- When a pass first found the task runnable but for a lock held by a running task; the run's
-- history says how long it waited. Cleared when it is queued again (a retry waits afresh).
ALTER TABLE task ADD COLUMN lock_wait_since INTEGER;
