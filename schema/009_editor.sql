-- trigger schema, level 9: who made each edit.
--
-- An edit record (outcome 'edit': create, update, schedule, import, pause, resume, cancel,
-- reset-failed, delete --keep-history) names who made it: the real uid of the process, its
-- login name in the password database (NULL when it has none) and SUDO_USER when that was set.
-- All three are NULL in run outcomes and in edits recorded before this level; editor_uid is
-- set exactly when the record names an editor.
ALTER TABLE history ADD COLUMN editor_uid INTEGER;
ALTER TABLE history ADD COLUMN editor_user TEXT;
ALTER TABLE history ADD COLUMN editor_sudo_user TEXT;
