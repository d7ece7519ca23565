// Whether commands may be run from a SQLite database file (SPEC §9, trigger-run-once(1)
// "Safety"): the files SQLite really uses, and every directory on the way to them, must be
// such that only the invoking user or root can change what they hold, as sshd's StrictModes
// asks of authorized_keys. Private to lib/: the SQLite store's check_writers() calls it.
#pragma once

#include <string>

#include "trigger/error.h"

namespace trigger {

/// The check of the database whose file is `real` (absolute, every symbolic link resolved,
/// as SQLite opened it; "" for a database in memory, which passes), naming the files as
/// `given` spells them when that is the same file. kUnsafe naming the file or directory and
/// its mode or owner when anyone but the invoking user or root could change what SQLite
/// reads. Checked: the database, its -wal and -shm files (absent, or regular files of the user
/// or root that only their owner can write), its directory (the same, for a directory), and
/// every directory above it up to / (owned by the user or root, and writable by its owner alone
/// unless it has the sticky bit, as /tmp does). Each call stats the files again.
Status check_database_files(const std::string& real, const std::string& given);

/// Whether the database whose file is `real` (as for check_database_files(), which is to be
/// checked first) is owned by root, as a database must be whose commands may run as other
/// users (--user): kUnsafe "database 'GIVEN' is owned by uid N, not by root" when it is not,
/// or when it cannot be read; ok for a database in memory ("").
Status check_database_owned_by_root(const std::string& real, const std::string& given);

/// check_database_files() and check_database_owned_by_root() of the database at `path`, which
/// need not exist: then the directories on its way that do are checked, so that one created
/// there by root could be changed by root alone. Links in what exists are resolved.
Status check_root_database_location(const std::string& path);

/// check_database_files() of the database at `path`, resolved through any symbolic links as
/// Store::open resolves it: ok when nothing is there.
Status check_database_safety(const std::string& path);

}  // namespace trigger
