-- trigger schema, level 9 here (assigned level 10; the merger renumbers; issue 12.5 and 12.6):
-- the boot clock and lock groups.
--
-- A trigger with a boot clock (--on-boot [--delay D]) fires once per boot of the machine. Its
-- event row remembers the boot (the kernel's boot id) the pass scheduled it for: a pass in a
-- later boot finds it through trigger_on_boot (the boot-clock triggers only, whatever the
-- number of others) and gives it that boot's occurrence.
ALTER TABLE trigger_event ADD COLUMN boot_id TEXT;
CREATE INDEX trigger_on_boot ON trigger (id) WHERE clock GLOB '--on-boot*';
