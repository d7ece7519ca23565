// The SQLite backend's connection: opening, identifying and migrating the file, transactions
// and their durability, the sync window, statistics, the end-of-pass WAL choice and the file
// safety check.
#include <SQLiteCpp/Backup.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "embedded.h"
#include "store/file_safety.h"
#include "store/sqlite_store.h"

namespace trigger {

extern const EmbeddedFile kSchemaFiles[];
extern const unsigned long kSchemaFiles_count;

namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr int kApplicationId = 1414678354;  // 'TRGR', set by schema/004_leases.sql
constexpr int kFirstLevelWithId = 4;

constexpr const char* kUserVersionSql = "PRAGMA user_version";
constexpr const char* kApplicationIdSql = "PRAGMA application_id";
constexpr const char* kFirstTableSql =
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' "
    "ORDER BY name = 'trigger' DESC, name LIMIT 1";
constexpr const char* kForeignKeyCheckSql = "PRAGMA foreign_key_check";
constexpr const char* kForeignKeysOnSql = "PRAGMA foreign_keys = ON";
constexpr const char* kForeignKeysOffSql = "PRAGMA foreign_keys = OFF";
constexpr const char* kWalModeSql = "PRAGMA journal_mode = WAL";
constexpr const char* kNoJournalSql = "PRAGMA journal_mode = OFF";
// An idle pass leaves its WAL for the next opener to read back: keep it short (SQLite
// checkpoints past this many pages).
constexpr const char* kShortWalSql = "PRAGMA wal_autocheckpoint = 100";
constexpr const char* kSyncFullSql = "PRAGMA synchronous = FULL";
constexpr const char* kSyncNormalSql = "PRAGMA synchronous = NORMAL";
// Transaction control runs often (a savepoint per trigger fired): prepared once, not parsed
// each time.
constexpr const char* kBeginSql = "BEGIN";
constexpr const char* kBeginImmediateSql = "BEGIN IMMEDIATE";
constexpr const char* kCommitSql = "COMMIT";
constexpr const char* kRollbackSql = "ROLLBACK";
constexpr const char* kSavepointSql = "SAVEPOINT nested";
constexpr const char* kRollbackToSavepointSql = "ROLLBACK TO nested";
constexpr const char* kReleaseSavepointSql = "RELEASE nested";

// Create the missing directories of `path`'s parent with mode 0700.
Status make_parent_directories(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return Ok{};
  std::string directory = path.substr(0, slash);
  struct stat info;
  if (stat(directory.c_str(), &info) == 0) return Ok{};
  if (auto status = make_parent_directories(directory); !status) return status;
  if (mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error(ErrorKind::kCannotCreate,
                 "cannot create directory " + in_quotes(directory) + ": " + std::strerror(errno));
  }
  return Ok{};
}

// Create an empty database file with mode 0600 if none exists.
Status create_file(const std::string& path) {
  if (auto status = make_parent_directories(path); !status) return status;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Ok{};
    return Error(ErrorKind::kCannotCreate,
                 "cannot create database " + in_quotes(path) + ": " + std::strerror(errno));
  }
  ::close(fd);
  return Ok{};
}

// The file SQLite is to open: `path` made absolute with every symbolic link resolved, so that
// SQLite (which keeps the -wal and -shm files next to the name it opens) and the safety checks
// of a pass see the same files.
Result<std::string> resolve_links(const std::string& path) {
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) {
    return Error(ErrorKind::kIO,
                 "cannot open database " + in_quotes(path) + ": " + std::strerror(errno));
  }
  std::string real = resolved;
  std::free(resolved);
  return real;
}

bool file_exists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

Error too_new(const std::string& path, int version) {
  return {ErrorKind::kTooNew, "database " + in_quotes(path) + " is from a newer trigger (schema " +
                                  std::to_string(version) + ", this one knows up to " +
                                  std::to_string(Store::schema_version()) + "); upgrade trigger"};
}

Error not_trigger_database(const std::string& path, const std::string& why) {
  return {ErrorKind::kIO,
          "database " + in_quotes(path) + " is not a trigger database (" + why + ")"};
}

// Whether the open file at `version` is trigger's, read before anything writes to it: its
// application id; or, from before level 4 (id 0), trigger's tables, or none at all (a new file).
Status identify(SQLite::Database& db, const std::string& path, int version) {
  int id = db.execAndGet(kApplicationIdSql).getInt();
  if (id == kApplicationId) return Ok{};
  if (id != 0)
    return not_trigger_database(path, "application id " + std::to_string(id) + ", not trigger's");
  std::string level = "level " + std::to_string(version);
  if (version >= kFirstLevelWithId) {
    return not_trigger_database(path, level + " without trigger's application id");
  }
  SQLite::Statement first(db, kFirstTableSql);
  std::optional<std::string> table;
  if (first.executeStep()) table = first.getColumn(0).getString();
  if (version == 0 && table) {
    return not_trigger_database(
        path, "it holds tables of another application, such as " + in_quotes(*table));
  }
  if (version > 0 && table != "trigger") {
    return not_trigger_database(path, level + " without trigger's tables");
  }
  return Ok{};
}

// The level of an open file, once it is known to be trigger's and not too new.
Result<int> readable_level(SQLite::Database& db, const std::string& path) {
  // Read the level before anything that could write: a newer database is left untouched.
  int version = db.execAndGet(kUserVersionSql).getInt();
  if (auto ours = identify(db, path, version); !ours) return ours.error();
  if (version > Store::schema_version()) return too_new(path, version);
  return version;
}

// An existing empty file was meant to hold triggers (or was never a database): only the
// commands that create triggers make it a new one.
Status check_not_empty(const std::string& path, const std::string& real, Store::Mode mode) {
  struct stat info;
  if (mode == Store::Mode::kCreate || stat(real.c_str(), &info) != 0 || info.st_size != 0) {
    return Ok{};
  }
  return Error(ErrorKind::kIO, "database " + in_quotes(path) +
                                   " is an empty file, not a trigger database (create or import "
                                   "makes one)");
}

// Throw if a row refers to a row that does not exist (after a migration).
void check_foreign_keys(SQLite::Database& db) {
  SQLite::Statement dangling(db, kForeignKeyCheckSql);
  if (dangling.executeStep()) {
    throw SQLite::Exception("a row of table " + dangling.getColumn(0).getString() +
                                " refers to a row that does not exist",
                            SQLITE_CORRUPT);
  }
}

// Apply the migrations after level `version`, in the transaction of the caller.
void apply_migrations(SQLite::Database& db, int version) {
  for (int level = version; level < Store::schema_version(); ++level) {
    db.exec(kSchemaFiles[level].text);
  }
  check_foreign_keys(db);
  // The level written is this build's: a number, not text from outside.
  db.exec("PRAGMA user_version = " + std::to_string(Store::schema_version()));
}

// The level read again under the migration's transaction (the lock a migration is made
// under): another process may have migrated the file since it was first read.
int level_under_lock(SQLite::Database& db, const std::string& path) {
  int version = db.execAndGet(kUserVersionSql).getInt();
  if (version > Store::schema_version())
    throw SQLite::Exception(too_new(path, version).message(), SQLITE_CANTOPEN);
  return version;
}

// Apply the migrations after the database's level, in one transaction (a database in memory).
// Foreign keys are off while it runs (a migration may rebuild a table others reference, as
// SQLite documents) and checked before it commits; they are on again afterwards.
void migrate(SQLite::Database& db, const std::string& path) {
  db.exec(kForeignKeysOffSql);
  SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
  apply_migrations(db, level_under_lock(db, path));
  transaction.commit();
  db.exec(kForeignKeysOnSql);
}

Error copy_refused(const std::string& path, int level, const std::string& copy,
                   const std::string& why) {
  return {ErrorKind::kIO, "cannot upgrade database " + in_quotes(path) + " from schema " +
                              std::to_string(level) + ": cannot keep a copy of it as " +
                              in_quotes(copy) + ": " + why + "; nothing was changed"};
}

// Make sure a rename in `file`'s directory is on disk.
void sync_directory_of(const std::string& file) {
  int fd = ::open(directory_of(file).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Copy the file `real` to `copy` while the caller holds the migration's lock (so nothing
// writes it meanwhile), through COPY.tmp (mode 0600, synced, then renamed over any older copy):
// the copy is whole or not there. It is read by a connection of its own: SQLite's backup does
// not read from a connection in a write transaction. Returns why it could not be made.
std::optional<std::string> keep_copy(const std::string& real, const std::string& copy) {
  std::string partial = copy + ".tmp";
  ::unlink(partial.c_str());  // what a crash left half written
  int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return std::string(std::strerror(errno));
  ::close(fd);
  std::string why;
  try {
    SQLite::Database source(real, SQLite::OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, kBusyTimeoutMs);
    SQLite::Database target(partial, SQLite::OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW);
    target.exec(kNoJournalSql);  // a file renamed only once it is whole
    SQLite::Backup backup(target, source);
    if (int step = backup.executeStep(); step != SQLITE_DONE) why = sqlite3_errstr(step);
  } catch (const SQLite::Exception& e) {
    why = e.getErrorStr();
  }
  if (why.empty() && ::rename(partial.c_str(), copy.c_str()) != 0) why = std::strerror(errno);
  if (!why.empty()) {
    ::unlink(partial.c_str());
    return why;
  }
  sync_directory_of(copy);
  return std::nullopt;
}

// The name the copy of `path` (resolved to `real`) at `level` is given in messages: through
// the location, unless the location is itself a symbolic link.
std::string copy_name(const std::string& path, const std::string& real, int level) {
  std::string suffix = ".schema" + std::to_string(level) + ".bak";
  struct stat info;
  bool link = lstat(path.c_str(), &info) == 0 && S_ISLNK(info.st_mode);
  return (link ? real : path) + suffix;
}

// migrate() for a file (SQLite opened `real`): a file at level > 0 is first copied beside
// it, under the same lock (keep_copy). What was done, or the copy's error, nothing changed.
Result<std::optional<Store::Upgrade>> migrate_file(SQLite::Database& db, const std::string& path,
                                                   const std::string& real) {
  db.exec(kForeignKeysOffSql);
  SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
  int version = level_under_lock(db, path);
  std::optional<Store::Upgrade> upgrade;
  if (version > 0 && version < Store::schema_version()) {
    std::string name = copy_name(path, real, version);
    if (auto why = keep_copy(real, real + ".schema" + std::to_string(version) + ".bak")) {
      return copy_refused(path, version, name, *why);
    }
    upgrade = Store::Upgrade{version, Store::schema_version(), name};
  }
  if (version < Store::schema_version()) apply_migrations(db, version);
  transaction.commit();
  db.exec(kForeignKeysOnSql);
  return upgrade;
}

}  // namespace

int Store::schema_version() { return static_cast<int>(kSchemaFiles_count); }

SqliteStore::SqliteStore(std::unique_ptr<SQLite::Database> db, std::string path, bool writable)
    : db_(std::move(db)),
      path_(path.empty() ? db_->getFilename() : std::move(path)),
      writable_(writable),
      env_(&Env::system()) {
  const char* real = sqlite3_db_filename(db_->getHandle(), "main");  // "" in memory
  real_path_ = real != nullptr ? real : "";
}

SqliteStore::~SqliteStore() {
  statements_.clear();  // before the database they belong to
}

// A copy in memory of the database at `path`, read with a read-only connection, migrated
// there if older; never written back.
Result<std::unique_ptr<Store>> SqliteStore::open_private_copy(const std::string& path) {
  return sqlite::guarded(path, [&]() -> Result<std::unique_ptr<Store>> {
    auto copy = std::make_unique<SQLite::Database>(":memory:", SQLite::OPEN_READWRITE);
    if (file_exists(path)) {
      if (auto empty = check_not_empty(path, path, Mode::kReadOnly); !empty) return empty.error();
      SQLite::Database file(path, SQLite::OPEN_READONLY, kBusyTimeoutMs);
      if (auto level = readable_level(file, path); !level) return level.error();
      SQLite::Backup backup(*copy, file);
      int step = backup.executeStep();  // all pages, in one read transaction of the file
      if (step != SQLITE_DONE) return sqlite::error_of(path, step, "cannot copy it");
    }
    copy->exec(kForeignKeysOnSql);
    if (copy->execAndGet(kUserVersionSql).getInt() < schema_version()) migrate(*copy, path);
    return std::unique_ptr<Store>(new SqliteStore(std::move(copy), path, true));
  });
}

// A read-only command on a database that does not exist yet sees an empty one.
Result<std::unique_ptr<Store>> SqliteStore::open_missing(const std::string& path) {
  return sqlite::guarded(path, [&]() -> Result<std::unique_ptr<Store>> {
    auto db = std::make_unique<SQLite::Database>(":memory:", SQLite::OPEN_READWRITE);
    migrate(*db, path);
    auto store = std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db), path, false));
    store->missing_ = true;
    return std::unique_ptr<Store>(std::move(store));
  });
}

Result<std::unique_ptr<Store>> SqliteStore::open_file(const std::string& path, Mode mode) {
  if (mode == Mode::kPrivateCopy) return open_private_copy(path);
  bool exists = file_exists(path);
  if (mode == Mode::kReadOnly && !exists) return open_missing(path);
  if (mode != Mode::kReadOnly && !exists) {
    if (auto status = create_file(path); !status) return status.error();
  }
  auto real = resolve_links(path);
  if (!real) return real.error();
  if (exists) {
    if (auto empty = check_not_empty(path, *real, mode); !empty) return empty.error();
  }
  auto opened = sqlite::guarded(path, [&]() -> Result<std::unique_ptr<Store>> {
    // The resolved name, with no link left to follow: a link put in its place since is refused.
    int flags = (mode == Mode::kReadOnly ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE) |
                SQLITE_OPEN_NOFOLLOW;
    auto db = std::make_unique<SQLite::Database>(*real, flags, kBusyTimeoutMs);
    auto version = readable_level(*db, path);
    if (!version) return version.error();
    if (mode == Mode::kReadOnly) {
      if (*version == schema_version()) {
        db->exec(kForeignKeysOnSql);
        return std::unique_ptr<Store>(new SqliteStore(std::move(db), path, false));
      }
      db.reset();  // an older file is migrated first, if it can be written
      db = std::make_unique<SQLite::Database>(*real, SQLite::OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
                                              kBusyTimeoutMs);
    }
    db->exec(kWalModeSql);
    db->exec(kForeignKeysOnSql);
    std::optional<Upgrade> upgrade;
    if (*version < schema_version()) {
      auto migrated = migrate_file(*db, path, *real);
      if (!migrated) return migrated.error();
      upgrade = *migrated;
    }
    auto store =
        std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db), path, mode != Mode::kReadOnly));
    store->upgrade_ = std::move(upgrade);
    return std::unique_ptr<Store>(std::move(store));
  });
  if (!opened && opened.error().kind() == ErrorKind::kIO && mode != Mode::kReadOnly && !exists) {
    return Error(ErrorKind::kCannotCreate, opened.error().message());
  }
  return opened;
}

sqlite::Prepared SqliteStore::statement(const char* sql) {
  auto& cached = statements_[sql];
  if (!cached.statement) cached.statement = std::make_unique<SQLite::Statement>(*db_, sql);
  if (cached.in_use) {
    auto own = std::make_unique<SQLite::Statement>(*db_, sql);
    SQLite::Statement* statement = own.get();
    return sqlite::Prepared(statement, std::move(own), nullptr);
  }
  cached.in_use = true;
  cached.statement->clearBindings();
  return sqlite::Prepared(cached.statement.get(), nullptr, &cached.in_use);
}

std::int64_t SqliteStore::steady_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             env_->steady_now().time_since_epoch())
      .count();
}

Status SqliteStore::sync_wal() {
  return guarded([&]() -> Status {
    sqlite3_file* wal = nullptr;
    int code = sqlite3_file_control(db_->getHandle(), "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
    if (code != SQLITE_OK || wal == nullptr || wal->pMethods == nullptr) return Ok{};
    code = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
    if (code != SQLITE_OK) return sqlite::error_of(path_, code, "cannot sync its -wal file");
    return Ok{};
  });
}

Result<std::chrono::milliseconds> SqliteStore::sync_if_due(std::chrono::milliseconds longest) {
  if (unsynced_since_ms_ < 0) return longest;
  std::int64_t age = steady_ms() - unsynced_since_ms_;
  if (age < kBatchWindowMs) {
    return std::min(longest, std::chrono::milliseconds(kBatchWindowMs - age));
  }
  if (auto synced = sync_wal(); !synced) return synced.error();
  unsynced_since_ms_ = -1;
  ++timed_syncs_;
  return longest;
}

void SqliteStore::keep_wal_on_close() {
  // Folding the WAL in on close costs two fsyncs; the next command that closes last does it.
  sqlite3_db_config(db_->getHandle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  db_->exec(kShortWalSql);  // (returns a row: not for run())
}

Store::Stats SqliteStore::stats() const {
  int hits = 0;
  int misses = 0;
  int unused = 0;
  sqlite3_db_status(db_->getHandle(), SQLITE_DBSTATUS_CACHE_HIT, &hits, &unused, 0);
  sqlite3_db_status(db_->getHandle(), SQLITE_DBSTATUS_CACHE_MISS, &misses, &unused, 0);
  Stats stats;
  stats.rows_read = rows_read_;
  stats.blocks_read = static_cast<std::int64_t>(hits) + misses;
  stats.timed_syncs = timed_syncs_;
  stats.changes_committed = changes_committed_;
  return stats;
}

Status SqliteStore::check_writers() const { return check_database_files(real_path_, path_); }

Status SqliteStore::check_root_only() const {
  if (auto writers = check_writers(); !writers) return writers;
  return check_database_owned_by_root(real_path_, path_);
}

// A batched commit skips the fsync (PRAGMA synchronous = NORMAL: in WAL mode a commit then
// survives a crash of the process, and a power cut takes back whole commits only).
void SqliteStore::choose_sync(bool durable) {
  if (durable == synchronous_full_) return;
  run(durable ? kSyncFullSql : kSyncNormalSql);
  synchronous_full_ = durable;
}

// After a commit: count its changes, and start or close the window of unsynced commits.
void SqliteStore::note_commit(bool durable, std::int64_t changes_before, std::int64_t now_ms) {
  std::int64_t changed = sqlite3_total_changes64(db_->getHandle()) - changes_before;
  changes_committed_ += changed;
  if (!writable_) return;
  if (durable) {
    unsynced_since_ms_ = -1;
  } else if (unsynced_since_ms_ < 0 && changed != 0) {
    unsynced_since_ms_ = now_ms;
  }
}

Status SqliteStore::run_transaction(const std::function<Status()>& body, Ending ending, Sync sync) {
  return guarded([&]() -> Status {
    // Inside a transaction already (a rehearsal, or a caller's), nest with a savepoint.
    bool nested = sqlite3_get_autocommit(db_->getHandle()) == 0;
    // A batched commit is made durable when the oldest commit not yet on disk is
    // kBatchWindowMs old: that commit syncs them all.
    std::int64_t now_ms = steady_ms();
    bool durable = !nested && writable_ &&
                   (sync == Sync::kDurable ||
                    (unsynced_since_ms_ >= 0 && now_ms - unsynced_since_ms_ >= kBatchWindowMs));
    if (!nested && writable_) choose_sync(durable);
    std::int64_t changes_before = sqlite3_total_changes64(db_->getHandle());
    run(nested ? kSavepointSql : writable_ ? kBeginImmediateSql : kBeginSql);
    // After some errors (SQLITE_FULL, SQLITE_IOERR) SQLite has already rolled the whole
    // transaction back; rolling back again would fail and hide the error.
    auto rollback = [&] {
      if (sqlite3_get_autocommit(db_->getHandle()) != 0) return;
      run(nested ? kRollbackToSavepointSql : kRollbackSql);
      if (nested) run(kReleaseSavepointSql);
    };
    Status result = Error(ErrorKind::kInternal, "transaction body threw");
    try {
      result = body();
    } catch (...) {
      rollback();
      throw;
    }
    if (!result || ending == Ending::kRollBack) {
      rollback();
      return result;
    }
    try {
      run(nested ? kReleaseSavepointSql : kCommitSql);
    } catch (...) {
      if (!nested && sqlite3_get_autocommit(db_->getHandle()) == 0) run(kRollbackSql);
      throw;
    }
    if (!nested) note_commit(durable, changes_before, now_ms);
    return result;
  });
}

}  // namespace trigger
