# trigger(1): root's pass every minute, on root's database /var/lib/trigger/trigger.db.
# The test keeps the line silent once the package is removed but not purged (this file is a
# conffile, kept until purge). To use the systemd timer instead, comment the line out and run
# `systemctl enable --now trigger.timer` (both at once are safe: passes share the queue).
* * * * * root [ -x /usr/bin/trigger ] && /usr/bin/trigger run-once
