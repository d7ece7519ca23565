-- trigger schema, level 11: the user a trigger runs as (--user NAME).
--
-- run_as_user: the name of the user whose uid, groups and HOME the command and its on-failure
-- hook get (`--user NAME`, like the user field of /etc/cron.d). NULL: none, the pass's own.
-- It is honoured only from a database owned by root, by a pass run by root; any other pass
-- records such a run failed instead of running it.
ALTER TABLE trigger ADD COLUMN run_as_user TEXT CHECK (run_as_user IS NULL OR run_as_user != '');
