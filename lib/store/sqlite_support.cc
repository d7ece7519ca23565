// Errors of the SQLite backend, each naming the database.
#include "store/sqlite_support.h"

#include <sqlite3.h>

namespace trigger::sqlite {

Error error_of(const std::string& path, int code, const std::string& what) {
  std::string where = "database " + in_quotes(path);
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      // SQLite does not say who holds the lock: it may be a pass, a writer or another program.
      return {ErrorKind::kBusy, where + " is busy; try again"};
    case SQLITE_READONLY:
      if (code == SQLITE_READONLY_DIRECTORY) {
        return {ErrorKind::kIO, "cannot use " + where + ": directory " +
                                    in_quotes(directory_of(path)) +
                                    " is not writable (the database keeps its -wal and -shm "
                                    "files there)"};
      }
      return {ErrorKind::kIO,
              "cannot write " + where +
                  (code == SQLITE_READONLY ? ": the file is read-only" : ": read-only")};
    case SQLITE_FULL:
      return {ErrorKind::kIO, "cannot write " + where + ": disk or database full"};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return {ErrorKind::kIO, where + " is damaged or not a trigger database (" + what + ")"};
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return {ErrorKind::kIO, "cannot open " + where + ": " + what};
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
      if (code == SQLITE_IOERR_SHMSIZE) {  // what a disk with no room left for it gives
        return {ErrorKind::kIO, "i/o error on " + where + ": cannot extend its -shm file in " +
                                    in_quotes(directory_of(path)) + " (is the disk full?)"};
      }
      return {ErrorKind::kIO, "i/o error on " + where + ": " + what};
    default:
      return {ErrorKind::kInternal, "sql error on " + where + ": " + what};
  }
}

}  // namespace trigger::sqlite
