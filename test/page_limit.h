// A full disk, simulated through SQLite itself: while a PageLimit lives, every connection the
// process opens gets `PRAGMA max_page_count = 1`, which SQLite raises to the database's current
// size, so any write that needs one more page fails with SQLITE_FULL. It reaches the store's
// private connection without a hook in the library (sqlite3_auto_extension).
#pragma once

#include <sqlite3.h>

class PageLimit {
 public:
  PageLimit() { sqlite3_auto_extension(reinterpret_cast<void (*)()>(&apply)); }
  ~PageLimit() { sqlite3_cancel_auto_extension(reinterpret_cast<void (*)()>(&apply)); }
  PageLimit(const PageLimit&) = delete;
  PageLimit& operator=(const PageLimit&) = delete;

 private:
  static int apply(sqlite3* db, const char**, const sqlite3_api_routines*) {
    // A database that cannot be read yet (too new, damaged) fails here and later, in the store.
    sqlite3_exec(db, "PRAGMA max_page_count = 1", nullptr, nullptr, nullptr);
    return SQLITE_OK;
  }
};
