#include "trigger/store.h"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <pwd.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "embedded.h"
#include "process.h"
#include "text.h"

namespace trigger {

extern const EmbeddedFile kSchemaFiles[];
extern const unsigned long kSchemaFiles_count;

namespace {

constexpr int kBusyTimeoutMs = 5000;

// Every statement the store runs. Keywords in capitals, explicit columns, ? placeholders.
constexpr const char* kTriggerColumns =
    "t.id, t.name, t.state, t.clock, t.clock_set_epoch, t.tz, t.action_kind, t.action_argv, "
    "t.action_env, t.action_cwd, t.misfire, t.grace_seconds, t.overlap, t.timeout_seconds, "
    "t.retries, t.backoff_seconds, t.jitter_seconds, t.dst, t.until_epoch, t.max_runs, "
    "t.version, t.created_epoch, t.updated_epoch, "
    // Scheduled: the pass has an event row for the trigger's latest version.
    "e.id IS NOT NULL AND t.version <= (SELECT value FROM counter WHERE name = 'cursor'), "
    "e.last_event_epoch, e.next_event_epoch";
constexpr int kVersionColumn = 20;  // t.version in kTriggerColumns
constexpr const char* kLastOutcomeColumn =
    "(SELECT h.outcome FROM history h WHERE h.trigger_id = t.id AND h.outcome != 'edit' "
    "ORDER BY h.id DESC LIMIT 1)";
constexpr const char* kSelectTriggersSql =
    "SELECT %s FROM trigger t LEFT JOIN trigger_event e ON e.trigger_id = t.id";
constexpr const char* kInsertTriggerSql =
    "INSERT INTO trigger (name, state, clock, clock_set_epoch, tz, action_kind, action_argv, "
    "action_env, action_cwd, misfire, grace_seconds, overlap, timeout_seconds, retries, "
    "backoff_seconds, jitter_seconds, dst, until_epoch, max_runs, version, created_epoch, "
    "updated_epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kUpdateTriggerSql =
    "UPDATE trigger SET name = ?, state = ?, clock = ?, clock_set_epoch = ?, tz = ?, "
    "action_kind = ?, action_argv = ?, action_env = ?, action_cwd = ?, misfire = ?, "
    "grace_seconds = ?, overlap = ?, timeout_seconds = ?, retries = ?, backoff_seconds = ?, "
    "jitter_seconds = ?, dst = ?, until_epoch = ?, max_runs = ?, version = ?, "
    "created_epoch = ?, updated_epoch = ? WHERE id = ?";
constexpr const char* kSetStateSql =
    "UPDATE trigger SET state = ?, version = ?, updated_epoch = ? WHERE id = ?";
constexpr const char* kFindNameSql = "SELECT id FROM trigger WHERE name = ? AND id != ?";
constexpr const char* kBumpVersionSql =
    "UPDATE counter SET value = value + 1 WHERE name = 'version'";
constexpr const char* kCounterSql = "SELECT value FROM counter WHERE name = ?";
constexpr const char* kDeleteLabelsSql = "DELETE FROM trigger_label WHERE trigger_id = ?";
constexpr const char* kInsertLabelSql =
    "INSERT INTO trigger_label (trigger_id, key, value) VALUES (?, ?, ?)";
constexpr const char* kSelectLabelsSql =
    "SELECT key, value FROM trigger_label WHERE trigger_id = ? ORDER BY key";
constexpr const char* kUserVersionSql = "PRAGMA user_version";
constexpr const char* kApplicationIdSql = "PRAGMA application_id";
constexpr const char* kFirstTableSql =
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' "
    "ORDER BY name = 'trigger' DESC, name LIMIT 1";
constexpr int kApplicationId = 1414678354;  // 'TRGR', set by schema/004_leases.sql
constexpr int kFirstLevelWithId = 4;

struct Enumerated {
  std::string_view name;
  ActionKind kind;
};
constexpr Enumerated kActionKinds[] = {
    {"log", ActionKind::kLog}, {"sh", ActionKind::kShell}, {"program", ActionKind::kProgram}};

std::string_view action_kind_name(ActionKind kind) {
  for (const auto& entry : kActionKinds) {
    if (entry.kind == kind) return entry.name;
  }
  return "log";
}

Error sqlite_error(const std::string& path, int code, const std::string& what) {
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

// A stored value that cannot be decoded: that row is damaged, not the database (kDamaged).
class DamagedValue : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Run `body`, turning SQLite exceptions into errors that name the database.
template <class Body>
auto guarded(const std::string& path, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const SQLite::Exception& e) {
    // The extended code when it refines the primary one (SQLITE_READONLY_DIRECTORY).
    int extended = e.getExtendedErrorCode();
    bool refines = extended > 0 && (extended & 0xff) == (e.getErrorCode() & 0xff);
    return sqlite_error(path, refines ? extended : e.getErrorCode(), e.getErrorStr());
  } catch (const DamagedValue& e) {
    return Error(ErrorKind::kDamaged, "database " + in_quotes(path) + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    return Error(ErrorKind::kDamaged,
                 "database " + in_quotes(path) + " holds a damaged value: " + e.what());
  }
}

std::optional<std::int64_t> optional_int(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getInt64();
}

template <class T>
void bind_optional(SQLite::Statement& statement, int index, const std::optional<T>& value) {
  if (value) {
    statement.bind(index, *value);
  } else {
    statement.bind(index);
  }
}

// Bind every definition column in kInsertTriggerSql / kUpdateTriggerSql order from 1.
void bind_definition(SQLite::Statement& s, const Trigger& t, std::int64_t version) {
  int i = 1;
  bind_optional(s, i++, t.name);
  s.bind(i++, std::string(to_string(t.state)));
  s.bind(i++, t.clock);
  s.bind(i++, static_cast<std::int64_t>(t.clock_set_epoch));
  s.bind(i++, t.tz);
  s.bind(i++, std::string(action_kind_name(t.action.kind)));
  s.bind(i++, nlohmann::json(t.action.argv).dump());
  s.bind(i++, nlohmann::json(t.action.env).dump());
  bind_optional(s, i++, t.action.cwd);
  s.bind(i++, std::string(to_string(t.policy.misfire)));
  s.bind(i++, static_cast<std::int64_t>(t.policy.grace_seconds));
  s.bind(i++, std::string(to_string(t.policy.overlap)));
  s.bind(i++, static_cast<std::int64_t>(t.policy.timeout_seconds));
  s.bind(i++, static_cast<std::int64_t>(t.policy.retries));
  s.bind(i++, static_cast<std::int64_t>(t.policy.backoff_seconds));
  s.bind(i++, static_cast<std::int64_t>(t.policy.jitter_seconds));
  s.bind(i++, std::string(to_string(t.policy.dst)));
  bind_optional(s, i++, t.policy.until_epoch);
  bind_optional(s, i++, t.policy.max_runs);
  s.bind(i++, static_cast<std::int64_t>(version));
  s.bind(i++, static_cast<std::int64_t>(t.created_epoch));
  s.bind(i++, static_cast<std::int64_t>(t.updated_epoch));
}

template <class Enum>
Enum parse_stored(std::optional<Enum> value, const std::string& text) {
  if (!value) throw DamagedValue("unexpected stored value " + in_quotes(text));
  return *value;
}

Trigger decode_trigger(SQLite::Statement& s);

// Read one row of kSelectTriggersSql; DamagedValue naming the trigger if a value is damaged.
Trigger read_trigger(SQLite::Statement& s) {
  try {
    return decode_trigger(s);
  } catch (const DamagedValue& e) {
    throw DamagedValue("trigger " + std::to_string(s.getColumn(0).getInt64()) +
                       " holds a damaged value: " + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw DamagedValue("trigger " + std::to_string(s.getColumn(0).getInt64()) +
                       " holds a damaged value: " + e.what());
  }
}

Trigger decode_trigger(SQLite::Statement& s) {
  Trigger t;
  int i = 0;
  t.id = s.getColumn(i++).getInt64();
  if (auto name = s.getColumn(i++); !name.isNull()) t.name = name.getString();
  std::string state = s.getColumn(i++).getString();
  auto parsed_state = parse_state(state);
  t.state = parse_stored(parsed_state ? std::optional<State>(*parsed_state) : std::nullopt, state);
  t.clock = s.getColumn(i++).getString();
  t.clock_set_epoch = s.getColumn(i++).getInt64();
  t.tz = s.getColumn(i++).getString();
  std::string kind = s.getColumn(i++).getString();
  std::optional<ActionKind> action_kind;
  for (const auto& entry : kActionKinds) {
    if (entry.name == kind) action_kind = entry.kind;
  }
  t.action.kind = parse_stored(action_kind, kind);
  t.action.argv =
      nlohmann::json::parse(s.getColumn(i++).getString()).get<std::vector<std::string>>();
  t.action.env =
      nlohmann::json::parse(s.getColumn(i++).getString()).get<std::vector<std::string>>();
  if (auto cwd = s.getColumn(i++); !cwd.isNull()) t.action.cwd = cwd.getString();
  Zone utc = Zone::utc();
  auto set = [&](std::string_view option, const std::string& value) {
    if (!set_policy_option(t.policy, option, value, 0, utc)) {
      throw DamagedValue("unexpected stored " + std::string(option) + " " + in_quotes(value));
    }
  };
  set("misfire", s.getColumn(i++).getString());
  t.policy.grace_seconds = s.getColumn(i++).getInt64();
  set("overlap", s.getColumn(i++).getString());
  t.policy.timeout_seconds = s.getColumn(i++).getInt64();
  t.policy.retries = s.getColumn(i++).getInt64();
  t.policy.backoff_seconds = s.getColumn(i++).getInt64();
  t.policy.jitter_seconds = s.getColumn(i++).getInt64();
  set("dst", s.getColumn(i++).getString());
  t.policy.until_epoch = optional_int(s.getColumn(i++));
  t.policy.max_runs = optional_int(s.getColumn(i++));
  t.version = s.getColumn(i++).getInt64();
  t.created_epoch = s.getColumn(i++).getInt64();
  t.updated_epoch = s.getColumn(i++).getInt64();
  t.scheduled = s.getColumn(i++).getInt() != 0;
  t.last_event_epoch = optional_int(s.getColumn(i++));
  t.next_event_epoch = optional_int(s.getColumn(i++));
  if (i < s.getColumnCount() && !s.getColumn(i).isNull())
    t.last_outcome = s.getColumn(i).getString();
  return t;
}

// The trigger select with `where` (which may carry its own ORDER BY and LIMIT).
std::string select_triggers_unordered(const std::string& where) {
  char buffer[1024];
  std::snprintf(buffer, sizeof buffer, kSelectTriggersSql, kTriggerColumns);
  return std::string(buffer) + where;
}

// For display: the trigger select with its newest outcome as an extra last column.
std::string select_triggers(const std::string& where) {
  std::string select = select_triggers_unordered(where + " ORDER BY t.id");
  return select.replace(select.find(" FROM trigger t"), 0, std::string(", ") + kLastOutcomeColumn);
}

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
    return Error(ErrorKind::kIO, "cannot open database " + in_quotes(path) + ": " +
                                     std::strerror(errno));
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
  return {ErrorKind::kIO, "database " + in_quotes(path) + " is not a trigger database (" + why + ")"};
}

// Whether the open file at `version` is trigger's, read before anything writes to it: its
// application id; or, from before level 4 (id 0), trigger's tables, or none at all (a new file).
Status identify(SQLite::Database& db, const std::string& path, int version) {
  int id = db.execAndGet(kApplicationIdSql).getInt();
  if (id == kApplicationId) return Ok{};
  if (id != 0) return not_trigger_database(path, "application id " + std::to_string(id) +
                                                     ", not trigger's");
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

// Apply the migrations after the database's level, in one transaction.
// Foreign keys are off while it runs (a migration may rebuild a table others reference, as
// SQLite documents) and checked before it commits; they are on again afterwards.
void migrate(SQLite::Database& db, const std::string& path) {
  db.exec("PRAGMA foreign_keys = OFF");
  SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
  int version = db.execAndGet(kUserVersionSql).getInt();
  if (version > Store::schema_version())
    throw SQLite::Exception(too_new(path, version).message(), SQLITE_CANTOPEN);
  for (int level = version; level < Store::schema_version(); ++level) {
    db.exec(kSchemaFiles[level].text);
  }
  {
    SQLite::Statement dangling(db, "PRAGMA foreign_key_check");
    if (dangling.executeStep()) {
      throw SQLite::Exception("a row of table " + dangling.getColumn(0).getString() +
                                  " refers to a row that does not exist",
                              SQLITE_CORRUPT);
    }
  }
  db.exec("PRAGMA user_version = " + std::to_string(Store::schema_version()));
  transaction.commit();
  db.exec("PRAGMA foreign_keys = ON");
}

// HOME, else the user's home directory in the password database (cron and sudo -i may start
// commands without HOME), else the current directory.
std::string home_directory() {
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') return home;
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(geteuid(), &entry, buffer.data(), buffer.size(), &found) == 0 &&
      found != nullptr && found->pw_dir != nullptr && found->pw_dir[0] == '/') {
    return found->pw_dir;
  }
  return ".";
}

}  // namespace

int Store::schema_version() { return static_cast<int>(kSchemaFiles_count); }

std::string Store::default_path() {
  if (geteuid() == 0) return "/var/lib/trigger/trigger.db";
  if (const char* state = std::getenv("XDG_STATE_HOME"); state != nullptr && state[0] == '/') {
    return std::string(state) + "/trigger/trigger.db";
  }
  return home_directory() + "/.local/state/trigger/trigger.db";
}

Store::Store(std::unique_ptr<SQLite::Database> db, std::string path, bool writable)
    : db_(std::move(db)),
      path_(path.empty() ? db_->getFilename() : std::move(path)),
      writable_(writable),
      env_(&Env::system()) {
  const char* real = sqlite3_db_filename(db_->getHandle(), "main");  // "" in memory
  real_path_ = real != nullptr ? real : "";
}

std::int64_t Store::steady_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             env_->steady_now().time_since_epoch())
      .count();
}

Status Store::sync_wal() {
  return guarded(path(), [&]() -> Status {
    sqlite3_file* wal = nullptr;
    int code = sqlite3_file_control(db_->getHandle(), "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
    if (code != SQLITE_OK || wal == nullptr || wal->pMethods == nullptr) return Ok{};
    code = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
    if (code != SQLITE_OK) return sqlite_error(path(), code, "cannot sync its -wal file");
    return Ok{};
  });
}

Result<std::chrono::milliseconds> Store::sync_if_due(std::chrono::milliseconds longest) {
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

void Store::keep_wal_on_close() {
  sqlite3_db_config(db_->getHandle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  // Its next opener reads the WAL back: keep it short (SQLite checkpoints past this many pages).
  db_->exec("PRAGMA wal_autocheckpoint = 100");  // (returns a row: not for run())
}

Store::~Store() {
  statements_.clear();  // before the database they belong to
}

// A statement from the cache, reset (its row and read lock released) when the use ends. A
// statement already in use further up the stack is not shared: the use gets its own.
class Store::Prepared {
 public:
  Prepared(SQLite::Statement* statement, std::unique_ptr<SQLite::Statement> own, bool* in_use)
      : statement_(statement), own_(std::move(own)), in_use_(in_use) {}
  Prepared(Prepared&& other) noexcept
      : statement_(other.statement_), own_(std::move(other.own_)), in_use_(other.in_use_) {
    other.statement_ = nullptr;
    other.in_use_ = nullptr;
  }
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;
  Prepared& operator=(Prepared&&) = delete;
  ~Prepared() {
    if (statement_ != nullptr && !own_) statement_->tryReset();
    if (in_use_ != nullptr) *in_use_ = false;
  }
  SQLite::Statement& operator*() const { return *statement_; }

 private:
  SQLite::Statement* statement_;
  std::unique_ptr<SQLite::Statement> own_;
  bool* in_use_;
};

Store::Prepared Store::prepare(const std::string& sql) {
  auto& cached = statements_[sql];
  if (!cached.statement) cached.statement = std::make_unique<SQLite::Statement>(*db_, sql);
  if (cached.in_use) {
    auto own = std::make_unique<SQLite::Statement>(*db_, sql);
    SQLite::Statement* statement = own.get();
    return Prepared(statement, std::move(own), nullptr);
  }
  cached.in_use = true;
  cached.statement->clearBindings();
  return Prepared(cached.statement.get(), nullptr, &cached.in_use);
}

// A copy in memory of the database at `path`, read with a read-only connection, migrated
// there if older; never written back.
Result<std::unique_ptr<Store>> Store::open_private_copy(const std::string& path) {
  int too_new_version = 0;
  auto opened = guarded(path, [&]() -> Result<std::unique_ptr<Store>> {
    auto copy = std::make_unique<SQLite::Database>(":memory:", SQLite::OPEN_READWRITE);
    if (file_exists(path)) {
      if (auto empty = check_not_empty(path, path, Mode::kReadOnly); !empty) return empty.error();
      SQLite::Database file(path, SQLite::OPEN_READONLY, kBusyTimeoutMs);
      int version = file.execAndGet(kUserVersionSql).getInt();
      if (auto ours = identify(file, path, version); !ours) return ours.error();
      if (version > schema_version()) {
        too_new_version = version;
        return Error(ErrorKind::kTooNew, "");
      }
      SQLite::Backup backup(*copy, file);
      int step = backup.executeStep();  // all pages, in one read transaction of the file
      if (step != SQLITE_DONE) return sqlite_error(path, step, "cannot copy it");
    }
    copy->exec("PRAGMA foreign_keys = ON");
    if (copy->execAndGet(kUserVersionSql).getInt() < schema_version()) migrate(*copy, path);
    return std::unique_ptr<Store>(new Store(std::move(copy), path, true));
  });
  if (too_new_version != 0) return too_new(path, too_new_version);
  return opened;
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, Mode mode) {
  if (path.empty()) return usage_error("empty database path");
  if (mode == Mode::kPrivateCopy) return open_private_copy(path);
  bool exists = file_exists(path);
  if (mode == Mode::kReadOnly && !exists) {
    // A read-only command on a database that does not exist yet sees an empty one.
    return guarded(path, [&]() -> Result<std::unique_ptr<Store>> {
      auto db = std::make_unique<SQLite::Database>(":memory:", SQLite::OPEN_READWRITE);
      migrate(*db, path);
      return std::unique_ptr<Store>(new Store(std::move(db), path, false));
    });
  }
  if (mode != Mode::kReadOnly && !exists) {
    if (auto status = create_file(path); !status) return status.error();
  }
  auto real = resolve_links(path);
  if (!real) return real.error();
  if (exists) {
    if (auto empty = check_not_empty(path, *real, mode); !empty) return empty.error();
  }
  int too_new_version = 0;
  auto opened = guarded(path, [&]() -> Result<std::unique_ptr<Store>> {
    // The resolved name, with no link left to follow: a link put in its place since is refused.
    int flags = (mode == Mode::kReadOnly ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE) |
                SQLITE_OPEN_NOFOLLOW;
    auto db = std::make_unique<SQLite::Database>(*real, flags, kBusyTimeoutMs);
    // Read the level before anything that could write: a newer database is left untouched.
    int version = db->execAndGet(kUserVersionSql).getInt();
    if (auto ours = identify(*db, path, version); !ours) return ours.error();
    if (version > schema_version()) {
      too_new_version = version;
      return Error(ErrorKind::kTooNew, "");
    }
    if (mode == Mode::kReadOnly) {
      if (version == schema_version()) {
        db->exec("PRAGMA foreign_keys = ON");
        return std::unique_ptr<Store>(new Store(std::move(db), path, false));
      }
      db.reset();
      db = std::make_unique<SQLite::Database>(
          *real, SQLite::OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, kBusyTimeoutMs);
    }
    db->exec("PRAGMA journal_mode = WAL");
    db->exec("PRAGMA foreign_keys = ON");
    if (version < schema_version()) migrate(*db, path);
    return std::unique_ptr<Store>(new Store(std::move(db), path, mode != Mode::kReadOnly));
  });
  if (too_new_version != 0) return too_new(path, too_new_version);
  if (!opened && opened.error().kind() == ErrorKind::kIO && mode != Mode::kReadOnly && !exists) {
    return Error(ErrorKind::kCannotCreate, opened.error().message());
  }
  return opened;
}

Status Store::transaction(const std::function<Status()>& body) {
  return run_transaction(body, false, Sync::kDurable);
}

Status Store::transaction(const std::function<Status()>& body, Sync sync) {
  return run_transaction(body, false, sync);
}

Status Store::rehearse(const std::function<Status()>& body) {
  return run_transaction(body, true, Sync::kBatched);
}

// Transaction control runs often (a savepoint per trigger fired): prepared once, not parsed
// each time.
void Store::run(const char* sql) { (*prepare(sql)).exec(); }

Status Store::run_transaction(const std::function<Status()>& body, bool roll_back, Sync sync) {
  return guarded(path(), [&]() -> Status {
    // Inside a transaction already (a rehearsal, or a caller's), nest with a savepoint.
    bool nested = sqlite3_get_autocommit(db_->getHandle()) == 0;
    // A batched commit skips the fsync (PRAGMA synchronous = NORMAL: in WAL mode a commit then
    // survives a crash of the process, and a power cut takes back whole commits only), unless
    // the oldest commit not yet on disk is kBatchWindowMs old: that commit syncs them all.
    bool durable = false;
    std::int64_t now_ms = steady_ms();
    if (!nested && writable_) {
      durable = sync == Sync::kDurable ||
                (unsynced_since_ms_ >= 0 && now_ms - unsynced_since_ms_ >= kBatchWindowMs);
      if (durable != synchronous_full_) {
        run(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        synchronous_full_ = durable;
      }
    }
    std::int64_t changes_before = sqlite3_total_changes64(db_->getHandle());
    run(nested ? "SAVEPOINT nested" : writable_ ? "BEGIN IMMEDIATE" : "BEGIN");
    // After some errors (SQLITE_FULL, SQLITE_IOERR) SQLite has already rolled the whole
    // transaction back; rolling back again would fail and hide the error.
    auto rollback = [&] {
      if (sqlite3_get_autocommit(db_->getHandle()) != 0) return;
      run(nested ? "ROLLBACK TO nested" : "ROLLBACK");
      if (nested) run("RELEASE nested");
    };
    Status result = Error(ErrorKind::kInternal, "transaction body threw");
    try {
      result = body();
    } catch (...) {
      rollback();
      throw;
    }
    if (!result || roll_back) {
      rollback();
      return result;
    }
    try {
      run(nested ? "RELEASE nested" : "COMMIT");
    } catch (...) {
      if (!nested && sqlite3_get_autocommit(db_->getHandle()) == 0) run("ROLLBACK");
      throw;
    }
    if (!nested) changes_committed_ += sqlite3_total_changes64(db_->getHandle()) - changes_before;
    if (!nested && writable_) {
      if (durable) {
        unsynced_since_ms_ = -1;
      } else if (unsynced_since_ms_ < 0 &&
                 sqlite3_total_changes64(db_->getHandle()) != changes_before) {
        unsynced_since_ms_ = now_ms;
      }
    }
    return result;
  });
}

Result<std::int64_t> Store::bump_version() {
  // Not UPDATE ... RETURNING: SQLite builds a temporary table for RETURNING on every run.
  (*prepare(kBumpVersionSql)).exec();
  auto select_prepared = prepare(kCounterSql);
  SQLite::Statement& select = *select_prepared;
  select.bind(1, std::string("version"));
  if (!select.executeStep()) return Error(ErrorKind::kInternal, "version counter missing");
  return select.getColumn(0).getInt64();
}

Result<std::int64_t> Store::counter(std::string_view name) {
  return guarded(path(), [&]() -> Result<std::int64_t> {
    auto statement_prepared = prepare(kCounterSql);
    SQLite::Statement& statement = *statement_prepared;
    statement.bind(1, std::string(name));
    if (!statement.executeStep())
      return Error(ErrorKind::kInternal, "no counter " + in_quotes(name));
    ++rows_visited_;
    return statement.getColumn(0).getInt64();
  });
}

Status Store::write_labels(const Trigger& trigger, bool replace) {
  if (replace) {
    auto remove_prepared = prepare(kDeleteLabelsSql);
    SQLite::Statement& remove = *remove_prepared;
    remove.bind(1, static_cast<std::int64_t>(trigger.id));
    remove.exec();
  }
  if (trigger.labels.empty()) return Ok{};
  auto insert_prepared = prepare(kInsertLabelSql);
  SQLite::Statement& insert = *insert_prepared;
  for (const auto& [key, value] : trigger.labels) {
    insert.bind(1, static_cast<std::int64_t>(trigger.id));
    insert.bind(2, key);
    insert.bind(3, value);
    insert.exec();
    insert.reset();
  }
  return Ok{};
}

Status Store::load_labels(std::vector<Trigger>& triggers) {
  auto select_prepared = prepare(kSelectLabelsSql);
  SQLite::Statement& select = *select_prepared;
  for (auto& trigger : triggers) {
    select.bind(1, static_cast<std::int64_t>(trigger.id));
    while (select.executeStep()) {
      ++rows_visited_;
      trigger.labels[select.getColumn(0).getString()] = select.getColumn(1).getString();
    }
    select.reset();
  }
  return Ok{};
}

Result<std::optional<std::int64_t>> Store::id_of(std::string_view name) {
  return guarded(path(), [&]() -> Result<std::optional<std::int64_t>> {
    auto find_prepared = prepare(kFindNameSql);
    SQLite::Statement& find = *find_prepared;
    find.bind(1, std::string(name));
    find.bind(2, static_cast<std::int64_t>(0));  // no trigger has id 0
    if (!find.executeStep()) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(find.getColumn(0).getInt64());
  });
}

Status Store::check_name_free(const Trigger& trigger) {
  if (!trigger.name) return Ok{};
  auto find_prepared = prepare(kFindNameSql);
  SQLite::Statement& find = *find_prepared;
  find.bind(1, *trigger.name);
  find.bind(2, static_cast<std::int64_t>(trigger.id));
  if (find.executeStep()) {
    return data_error("name " + in_quotes(*trigger.name) + " is already taken by trigger " +
                      std::to_string(find.getColumn(0).getInt64()));
  }
  return Ok{};
}

Result<std::int64_t> Store::insert_trigger(const Trigger& trigger) {
  return guarded(path(), [&]() -> Result<std::int64_t> {
    if (auto status = check_name_free(trigger); !status) return status.error();
    auto version = bump_version();
    if (!version) return version.error();
    auto insert_prepared = prepare(kInsertTriggerSql);
    SQLite::Statement& insert = *insert_prepared;
    bind_definition(insert, trigger, *version);
    insert.exec();
    Trigger stored = trigger;
    stored.id = db_->getLastInsertRowid();
    if (auto status = write_labels(stored, false); !status) return status.error();
    return stored.id;
  });
}

Status Store::update_trigger(const Trigger& trigger) {
  return guarded(path(), [&]() -> Status {
    if (auto status = check_name_free(trigger); !status) return status;
    auto version = bump_version();
    if (!version) return version.error();
    auto update_prepared = prepare(kUpdateTriggerSql);
    SQLite::Statement& update = *update_prepared;
    bind_definition(update, trigger, *version);
    update.bind(23, static_cast<std::int64_t>(trigger.id));
    if (update.exec() == 0)
      return Error(ErrorKind::kNotFound, "no trigger " + std::to_string(trigger.id));
    return write_labels(trigger, true);
  });
}

Status Store::set_state(std::int64_t id, State state, Epoch now) {
  return guarded(path(), [&]() -> Status {
    auto version = bump_version();
    if (!version) return version.error();
    auto update_prepared = prepare(kSetStateSql);
    SQLite::Statement& update = *update_prepared;
    update.bind(1, std::string(to_string(state)));
    update.bind(2, static_cast<std::int64_t>(*version));
    update.bind(3, static_cast<std::int64_t>(now));
    update.bind(4, static_cast<std::int64_t>(id));
    if (update.exec() == 0) return Error(ErrorKind::kNotFound, "no trigger " + std::to_string(id));
    return Ok{};
  });
}

Result<Trigger> Store::find_trigger(std::string_view ref) {
  return guarded(path(), [&]() -> Result<Trigger> {
    bool by_id = all_digits(ref) && ref.size() < 19;
    auto select_prepared =
        prepare(select_triggers(by_id ? " WHERE t.id = ?" : " WHERE t.name = ?"));
    SQLite::Statement& select = *select_prepared;
    if (by_id) {
      select.bind(1, static_cast<std::int64_t>(std::stoll(std::string(ref))));
    } else {
      select.bind(1, std::string(ref));
    }
    if (!select.executeStep()) return Error(ErrorKind::kNotFound, "no trigger " + in_quotes(ref));
    ++rows_visited_;
    std::vector<Trigger> found{read_trigger(select)};
    if (auto status = load_labels(found); !status) return status.error();
    return std::move(found.front());
  });
}

Result<std::vector<Trigger>> Store::list_triggers(const TriggerFilter& filter) {
  return guarded(path(), [&]() -> Result<std::vector<Trigger>> {
    std::string where;
    auto add = [&](const char* condition) {
      where += where.empty() ? " WHERE " : " AND ";
      where += condition;
    };
    if (filter.state) {
      add("t.state = ?");
    } else if (!filter.include_finished) {
      add("t.state IN ('active', 'paused')");
    }
    if (filter.name_glob) add("t.name GLOB ?");
    for (std::size_t i = 0; i < filter.labels.size(); ++i) {
      add("EXISTS (SELECT 1 FROM trigger_label l WHERE l.trigger_id = t.id AND l.key = ? AND "
          "l.value = ?)");
    }
    auto select_prepared = prepare(select_triggers(where));
    SQLite::Statement& select = *select_prepared;
    int index = 1;
    if (filter.state) select.bind(index++, std::string(to_string(*filter.state)));
    if (filter.name_glob) select.bind(index++, *filter.name_glob);
    for (const auto& [key, value] : filter.labels) {
      select.bind(index++, key);
      select.bind(index++, value);
    }
    std::vector<Trigger> triggers;
    while (select.executeStep()) {
      ++rows_visited_;
      triggers.push_back(read_trigger(select));
    }
    if (auto status = load_labels(triggers); !status) return status.error();
    return triggers;
  });
}

}  // namespace trigger

// --- run-once's tables ---------------------------------------------------------------------

namespace trigger {
namespace {

constexpr const char* kSetCounterSql = "UPDATE counter SET value = ? WHERE name = ?";
constexpr const char* kChangedSinceWhere = " WHERE t.version > ? ORDER BY t.version LIMIT ?";
constexpr const char* kSelectEventSql =
    "SELECT last_event_epoch, next_event_epoch, runs, runs_from_epoch, error FROM trigger_event "
    "WHERE trigger_id = ?";
constexpr const char* kUpsertEventSql =
    "INSERT INTO trigger_event (trigger_id, last_event_epoch, next_event_epoch, runs, "
    "runs_from_epoch, error) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (trigger_id) DO UPDATE SET "
    "last_event_epoch = excluded.last_event_epoch, next_event_epoch = excluded.next_event_epoch, "
    "runs = excluded.runs, runs_from_epoch = excluded.runs_from_epoch, error = excluded.error";
// Any state: the queued runs of a done or cancelled trigger run its action too.
constexpr const char* kCommandActionsSql =
    "SELECT EXISTS (SELECT 1 FROM trigger WHERE action_kind != 'log')";
constexpr const char* kOldestPendingSql =
    "SELECT MIN(updated_epoch) FROM trigger WHERE version > (SELECT value FROM counter WHERE name "
    "= 'cursor')";
constexpr const char* kFinishTriggerSql =
    "UPDATE trigger SET state = 'done', updated_epoch = ? WHERE id = ? AND state = 'active'";
constexpr const char* kDueTriggersSql =
    "SELECT trigger_id FROM trigger_event WHERE next_event_epoch <= ? "
    "ORDER BY next_event_epoch, id LIMIT ?";  // index order: no sort of every due row
constexpr const char* kOpenTasksSql = "SELECT COUNT(*) FROM task WHERE trigger_id = ?";
constexpr const char* kNewestQueuedSql =
    "SELECT created_epoch FROM task WHERE trigger_id = ? AND manual = 0 ORDER BY id DESC LIMIT 1";
// A serial task queued behind any task of its trigger is blocked (a new task has the highest id).
constexpr const char* kInsertTaskSql =
    "INSERT OR IGNORE INTO task (trigger_id, scheduled_epoch, manual, serial, last_epoch, "
    "due_epoch, attempt, created_epoch, blocked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, "
    "?4 = 1 AND EXISTS (SELECT 1 FROM task WHERE trigger_id = ?1))";
// When a task goes, the first task left of its trigger is runnable (the tasks behind it wait).
constexpr const char* kUnblockFirstTaskSql =
    "UPDATE task SET blocked = 0 WHERE id = (SELECT id FROM task WHERE trigger_id = ? "
    "ORDER BY id LIMIT 1) AND blocked = 1";
constexpr const char* kTaskColumns =
    "t.id, t.trigger_id, t.scheduled_epoch, t.manual, t.serial, t.last_epoch, t.due_epoch, "
    "t.attempt, t.interrupted, t.lease_owner, t.lease_expires_epoch, t.lease_host, "
    "t.lease_boot_id, t.lease_pid, t.lease_pid_start, t.lease_pgid, t.created_epoch";
constexpr int kTaskColumnCount = 17;
// Not leased. An expired lease or a dead holder's is cleared first by the pass's reclaim step
// (interrupt_task), never taken over here: its command may still run. A filter on the rows of
// task_ready, not the scan.
constexpr const char* kLeaseFreeCondition = "t.lease_owner IS NULL";
// Runnable: due (?1 is now), not blocked (a serial task behind an earlier task of its trigger)
// and not leased; the first `limit` (?2) rows of task_ready, whatever the length of the queue.
const std::string kRunnableTasksWhere =
    std::string(
        " FROM task t INDEXED BY task_ready WHERE t.blocked = 0 AND t.due_epoch <= ?1 AND ") +
    kLeaseFreeCondition + " ORDER BY t.due_epoch, t.id LIMIT ?2";
constexpr const char* kLeaseTaskSql =
    "UPDATE task SET lease_owner = ?, lease_host = ?, lease_boot_id = ?, lease_pid = ?, "
    "lease_pid_start = ?, lease_pgid = NULL, lease_expires_epoch = ?, attempt = attempt + 1 "
    "WHERE id = ? AND lease_owner IS NULL";
constexpr const char* kLeasedTasksSql =  // the partial index task_leased, in its order
    " FROM task t WHERE t.lease_owner IS NOT NULL ORDER BY t.lease_owner, t.id";
constexpr const char* kRenewLeasesSql =
    "UPDATE task SET lease_expires_epoch = ? WHERE lease_owner = ?";
// The statements below act on a lease only while it holds: the same owner, the same attempt.
constexpr const char* kSetLeaseGroupSql =
    "UPDATE task SET lease_pgid = ? WHERE id = ? AND lease_owner = ? AND attempt = ?";
constexpr const char* kDeleteLeasedTaskSql =
    "DELETE FROM task WHERE id = ? AND lease_owner = ? AND attempt = ?";
// Queued again: `attempt` is kept (retry, interrupted) or given back (never started).
constexpr const char* kRequeueTaskSql =
    "UPDATE task SET due_epoch = ?, attempt = attempt - ?, interrupted = interrupted + ?, "
    "lease_owner = NULL, lease_host = NULL, lease_boot_id = NULL, lease_pid = NULL, "
    "lease_pid_start = NULL, lease_pgid = NULL, lease_expires_epoch = NULL "
    "WHERE id = ? AND lease_owner = ? AND attempt = ?";
constexpr const char* kIdleTasksOfTriggerSql =
    "SELECT t.id, t.scheduled_epoch, t.manual, t.attempt FROM task t WHERE t.trigger_id = ? "
    "AND t.lease_owner IS NULL ORDER BY t.id";
constexpr const char* kDeleteTaskSql = "DELETE FROM task WHERE id = ?";
constexpr const char* kInsertHistorySql =
    "INSERT INTO history (trigger_id, event_id, scheduled_epoch, count, outcome, reason, manual, "
    "attempts, exit_status, started_epoch, finished_epoch, output, recorded_epoch) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kSelectHistorySql =
    "SELECT h.id, h.trigger_id, t.name, h.event_id, h.scheduled_epoch, h.count, h.outcome, "
    "h.reason, h.manual, h.attempts, h.exit_status, h.started_epoch, h.finished_epoch, h.output, "
    "h.recorded_epoch, t.tz FROM history h LEFT JOIN trigger t ON t.id = h.trigger_id";
constexpr const char* kPruneHistorySql =
    "DELETE FROM history WHERE id IN (SELECT id FROM history WHERE recorded_epoch < ? "
    "ORDER BY recorded_epoch LIMIT ?)";
constexpr const char* kPrunePassesSql =  // the latest pass is kept: status reads it
    "DELETE FROM pass WHERE id IN (SELECT id FROM pass WHERE started_epoch < ? "
    "AND id < (SELECT MAX(id) FROM pass) ORDER BY id LIMIT ?)";
constexpr const char* kBeginPassSql =
    "INSERT INTO pass (owner, started_epoch, clock_jump_seconds, host, pid, pid_start, boot_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kEndPassSql =
    "UPDATE pass SET finished_epoch = ?, duration_ms = ?, scheduled = ?, fired = ?, ran = ?, "
    "failed = ?, outcome = ?, error = ? WHERE id = ?";
constexpr const char* kPassColumns =
    "SELECT id, owner, started_epoch, finished_epoch, duration_ms, scheduled, fired, ran, failed, "
    "clock_jump_seconds, host, pid, pid_start, boot_id, outcome, error FROM pass ";
constexpr const char* kLastPassSql = "ORDER BY id DESC LIMIT 1";
constexpr const char* kRecentPassesSql = "ORDER BY id DESC LIMIT ?";  // newest first
constexpr const char* kDueFiguresSql =  // of active triggers: a pause since the last pass counts
    "SELECT COUNT(*), MIN(e.next_event_epoch) FROM trigger_event e JOIN trigger t "
    "ON t.id = e.trigger_id WHERE e.next_event_epoch <= ? AND t.state = 'active'";
constexpr const char* kTaskFiguresSql =
    "SELECT COALESCE(SUM(lease_expires_epoch IS NULL), 0), "
    "COALESCE(SUM(lease_expires_epoch > ?), 0), COALESCE(SUM(lease_expires_epoch <= ?), 0) "
    "FROM task";
constexpr const char* kFailedSinceSql =
    "SELECT COUNT(*) FROM history WHERE outcome IN ('failed', 'timed_out') AND finished_epoch >= ?";
constexpr const char* kSetAsideSql = "SELECT COUNT(*) FROM trigger_event WHERE error IS NOT NULL";
constexpr const char* kStatesSql =
    "SELECT state, COUNT(*) FROM trigger GROUP BY state ORDER BY state";

template <class Enum>
struct Named {
  Enum value;
  std::string_view name;
};

template <class Enum, std::size_t N>
std::string_view name_of(const Named<Enum> (&table)[N], Enum value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return "?";
}

constexpr Named<Outcome> kOutcomes[] = {{Outcome::kSucceeded, "succeeded"},
                                        {Outcome::kFailed, "failed"},
                                        {Outcome::kTimedOut, "timed_out"},
                                        {Outcome::kSkipped, "skipped"},
                                        {Outcome::kCoalesced, "coalesced"},
                                        {Outcome::kCancelled, "cancelled"},
                                        {Outcome::kEdit, "edit"},
                                        {Outcome::kInterrupted, "interrupted"}};

Outcome parse_outcome(const std::string& text) {
  for (const auto& entry : kOutcomes) {
    if (entry.name == text) return entry.value;
  }
  throw DamagedValue("unexpected stored outcome " + in_quotes(text));
}

Task read_task(SQLite::Statement& s) {
  Task t;
  int i = 0;
  t.id = s.getColumn(i++).getInt64();
  t.trigger_id = s.getColumn(i++).getInt64();
  t.scheduled_epoch = s.getColumn(i++).getInt64();
  t.manual = s.getColumn(i++).getInt() != 0;
  t.serial = s.getColumn(i++).getInt() != 0;
  t.last_epoch = optional_int(s.getColumn(i++));
  t.due_epoch = s.getColumn(i++).getInt64();
  t.attempt = s.getColumn(i++).getInt64();
  t.interrupted = s.getColumn(i++).getInt64();
  if (auto owner = s.getColumn(i++); !owner.isNull()) t.lease_owner = owner.getString();
  t.lease_expires_epoch = optional_int(s.getColumn(i++));
  t.lease_host = s.getColumn(i++).getString();  // "" for NULL
  t.lease_boot_id = s.getColumn(i++).getString();
  t.lease_pid = s.getColumn(i++).getInt64();  // 0 for NULL
  t.lease_pid_start = s.getColumn(i++).getInt64();
  t.lease_pgid = optional_int(s.getColumn(i++));
  t.created_epoch = s.getColumn(i++).getInt64();
  return t;
}

constexpr Named<PassOutcome> kPassOutcomes[] = {
    {PassOutcome::kOk, "ok"}, {PassOutcome::kFailed, "failed"}, {PassOutcome::kRefused, "refused"}};

constexpr Named<PassEnd> kPassEnds[] = {{PassEnd::kRunning, "running"},
                                        {PassEnd::kOk, "ok"},
                                        {PassEnd::kFailed, "failed"},
                                        {PassEnd::kRefused, "refused"},
                                        {PassEnd::kDied, "died"}};

std::optional<PassOutcome> parse_pass_outcome(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  std::string text = column.getString();
  for (const auto& entry : kPassOutcomes) {
    if (entry.name == text) return entry.value;
  }
  throw SQLite::Exception("unexpected stored pass outcome '" + text + "'", SQLITE_CORRUPT);
}

PassRecord read_pass(SQLite::Statement& s) {
  PassRecord p;
  int i = 0;
  p.id = s.getColumn(i++).getInt64();
  p.owner = s.getColumn(i++).getString();
  p.started_epoch = s.getColumn(i++).getInt64();
  p.finished_epoch = optional_int(s.getColumn(i++));
  p.duration_ms = optional_int(s.getColumn(i++));
  p.scheduled = s.getColumn(i++).getInt64();
  p.fired = s.getColumn(i++).getInt64();
  p.ran = s.getColumn(i++).getInt64();
  p.failed = s.getColumn(i++).getInt64();
  p.clock_jump_seconds = s.getColumn(i++).getInt64();
  p.host = s.getColumn(i++).getString();
  p.pid = s.getColumn(i++).getInt64();
  p.pid_start = s.getColumn(i++).getInt64();
  p.boot_id = s.getColumn(i++).getString();
  p.outcome = parse_pass_outcome(s.getColumn(i++));
  if (auto error = s.getColumn(i++); !error.isNull()) p.error = error.getString();
  return p;
}

// How the pass of `record` ended, as far as can be told at `now`.
PassEnd end_of(const PassRecord& record, Epoch now) {
  if (record.outcome) {
    switch (*record.outcome) {
      case PassOutcome::kOk:
        return PassEnd::kOk;
      case PassOutcome::kFailed:
        return PassEnd::kFailed;
      case PassOutcome::kRefused:
        return PassEnd::kRefused;
    }
  }
  if (record.finished_epoch) return PassEnd::kOk;  // finished before outcomes were recorded
  ProcessIdentity holder{record.host, record.boot_id, record.pid, record.pid_start};
  Liveness alive = liveness(holder);
  if (alive == Liveness::kDead) return PassEnd::kDied;
  if (alive == Liveness::kUnknown &&
      now - record.started_epoch > QueueFigures::kPassPresumedDeadSeconds) {
    return PassEnd::kDied;
  }
  return PassEnd::kRunning;
}

std::int64_t count_of(SQLite::Database& db, const char* sql, std::optional<std::int64_t> value) {
  SQLite::Statement select(db, sql);
  if (value) select.bind(1, *value);
  select.executeStep();
  return select.getColumn(0).getInt64();
}

}  // namespace

std::string event_id(std::int64_t trigger_id, Epoch scheduled_epoch, bool manual) {
  return std::to_string(trigger_id) + (manual ? "-m" : "-") + std::to_string(scheduled_epoch);
}

std::string_view to_string(Outcome outcome) { return name_of(kOutcomes, outcome); }
std::string_view to_string(PassOutcome outcome) { return name_of(kPassOutcomes, outcome); }
std::string_view to_string(PassEnd end) { return name_of(kPassEnds, end); }

std::string Store::path() const { return path_; }

std::int64_t Store::pages_read() const {
  int hits = 0;
  int misses = 0;
  int unused = 0;
  sqlite3_db_status(db_->getHandle(), SQLITE_DBSTATUS_CACHE_HIT, &hits, &unused, 0);
  sqlite3_db_status(db_->getHandle(), SQLITE_DBSTATUS_CACHE_MISS, &misses, &unused, 0);
  return static_cast<std::int64_t>(hits) + misses;
}

Status Store::set_counter(std::string_view name, std::int64_t value) {
  return guarded(path(), [&]() -> Status {
    auto update_prepared = prepare(kSetCounterSql);
    SQLite::Statement& update = *update_prepared;
    update.bind(1, static_cast<std::int64_t>(value));
    update.bind(2, std::string(name));
    if (update.exec() != 1) return Error(ErrorKind::kInternal, "no counter " + in_quotes(name));
    return Ok{};
  });
}

Result<std::vector<ChangedTrigger>> Store::triggers_changed_since(std::int64_t version,
                                                                  std::size_t limit) {
  return guarded(path(), [&]() -> Result<std::vector<ChangedTrigger>> {
    auto select_prepared = prepare(select_triggers_unordered(kChangedSinceWhere));
    SQLite::Statement& select = *select_prepared;
    select.bind(1, static_cast<std::int64_t>(version));
    select.bind(2, static_cast<std::int64_t>(limit));
    std::vector<ChangedTrigger> changed;
    while (select.executeStep()) {
      ++rows_visited_;
      std::int64_t id = select.getColumn(0).getInt64();
      std::int64_t row_version = select.getColumn(kVersionColumn).getInt64();
      // A damaged row is that trigger's trouble alone: the others are read on.
      Result<Trigger> trigger =
          guarded(path(), [&]() -> Result<Trigger> { return read_trigger(select); });
      changed.push_back({id, row_version, std::move(trigger)});
    }
    return changed;
  });
}

Result<Trigger> Store::trigger_for_pass(std::int64_t id) {
  return guarded(path(), [&]() -> Result<Trigger> {
    // The definition alone: no join with the event row, no scheduled flag (read as false).
    static const std::string sql = [] {
      std::string columns = kTriggerColumns;
      return "SELECT " + columns.substr(0, columns.find(", e.id IS NOT NULL")) +
             ", 0, NULL, NULL FROM trigger t WHERE t.id = ?";
    }();
    auto select_prepared = prepare(sql);
    SQLite::Statement& select = *select_prepared;
    select.bind(1, static_cast<std::int64_t>(id));
    if (!select.executeStep())
      return Error(ErrorKind::kNotFound, "no trigger " + std::to_string(id));
    ++rows_visited_;
    return read_trigger(select);
  });
}

Result<EventRow> Store::event(std::int64_t trigger_id) {
  return guarded(path(), [&]() -> Result<EventRow> {
    auto select_prepared = prepare(kSelectEventSql);
    SQLite::Statement& select = *select_prepared;
    select.bind(1, static_cast<std::int64_t>(trigger_id));
    EventRow row;
    row.trigger_id = trigger_id;
    if (select.executeStep()) {
      ++rows_visited_;
      row.exists = true;
      row.last_event_epoch = optional_int(select.getColumn(0));
      row.next_event_epoch = optional_int(select.getColumn(1));
      row.runs = select.getColumn(2).getInt64();
      row.runs_from_epoch = optional_int(select.getColumn(3));
      if (auto error = select.getColumn(4); !error.isNull()) row.error = error.getString();
    }
    return row;
  });
}

Status Store::write_event(const EventRow& row) {
  return guarded(path(), [&]() -> Status {
    auto upsert_prepared = prepare(kUpsertEventSql);
    SQLite::Statement& upsert = *upsert_prepared;
    upsert.bind(1, static_cast<std::int64_t>(row.trigger_id));
    bind_optional(upsert, 2, row.last_event_epoch);
    bind_optional(upsert, 3, row.next_event_epoch);
    upsert.bind(4, static_cast<std::int64_t>(row.runs));
    bind_optional(upsert, 5, row.runs_from_epoch);
    bind_optional(upsert, 6, row.error);
    upsert.exec();
    return Ok{};
  });
}

Status Store::finish_trigger(std::int64_t id, Epoch now) {
  return guarded(path(), [&]() -> Status {
    auto update_prepared = prepare(kFinishTriggerSql);
    SQLite::Statement& update = *update_prepared;
    update.bind(1, static_cast<std::int64_t>(now));
    update.bind(2, static_cast<std::int64_t>(id));
    update.exec();
    return Ok{};
  });
}

Result<bool> Store::has_command_actions() {
  return guarded(path(), [&]() -> Result<bool> {
    return count_of(*db_, kCommandActionsSql, std::nullopt) != 0;
  });
}

Result<std::vector<std::int64_t>> Store::due_triggers(Epoch now, std::size_t limit) {
  return guarded(path(), [&]() -> Result<std::vector<std::int64_t>> {
    auto select_prepared = prepare(kDueTriggersSql);
    SQLite::Statement& select = *select_prepared;
    select.bind(1, static_cast<std::int64_t>(now));
    select.bind(2, static_cast<std::int64_t>(limit));
    std::vector<std::int64_t> ids;
    while (select.executeStep()) {
      ++rows_visited_;
      ids.push_back(select.getColumn(0).getInt64());
    }
    return ids;
  });
}

Result<std::int64_t> Store::open_tasks(std::int64_t trigger_id) {
  return guarded(path(), [&]() -> Result<std::int64_t> {
    ++rows_visited_;
    auto select_prepared = prepare(kOpenTasksSql);
    SQLite::Statement& select = *select_prepared;
    select.bind(1, static_cast<std::int64_t>(trigger_id));
    select.executeStep();
    return select.getColumn(0).getInt64();
  });
}

Result<std::optional<Epoch>> Store::newest_queued_epoch(std::int64_t trigger_id) {
  return guarded(path(), [&]() -> Result<std::optional<Epoch>> {
    auto select_prepared = prepare(kNewestQueuedSql);
    SQLite::Statement& select = *select_prepared;
    select.bind(1, static_cast<std::int64_t>(trigger_id));
    if (!select.executeStep()) return std::optional<Epoch>();
    ++rows_visited_;
    return std::optional<Epoch>(select.getColumn(0).getInt64());
  });
}

Result<bool> Store::insert_task(const Task& task) {
  return guarded(path(), [&]() -> Result<bool> {
    auto insert_prepared = prepare(kInsertTaskSql);
    SQLite::Statement& insert = *insert_prepared;
    insert.bind(1, static_cast<std::int64_t>(task.trigger_id));
    insert.bind(2, static_cast<std::int64_t>(task.scheduled_epoch));
    insert.bind(3, task.manual ? 1 : 0);
    insert.bind(4, task.serial ? 1 : 0);
    bind_optional(insert, 5, task.last_epoch);
    insert.bind(6, static_cast<std::int64_t>(task.due_epoch));
    insert.bind(7, static_cast<std::int64_t>(task.created_epoch));
    return insert.exec() == 1;
  });
}

Result<std::vector<Task>> Store::lease_tasks(const LeaseHolder& holder, Epoch now,
                                             std::int64_t ttl_seconds, std::size_t limit) {
  return guarded(path(), [&]() -> Result<std::vector<Task>> {
    auto select_prepared = prepare(std::string("SELECT ") + kTaskColumns + kRunnableTasksWhere);
    SQLite::Statement& select = *select_prepared;
    select.bind(1, static_cast<std::int64_t>(now));
    select.bind(2, static_cast<std::int64_t>(limit));
    std::vector<Task> tasks;
    while (select.executeStep()) {
      ++rows_visited_;
      tasks.push_back(read_task(select));
    }
    auto lease_prepared = prepare(kLeaseTaskSql);
    SQLite::Statement& lease = *lease_prepared;
    for (auto& task : tasks) {
      lease.bind(1, holder.owner);
      lease.bind(2, holder.host);
      lease.bind(3, holder.boot_id);
      lease.bind(4, static_cast<std::int64_t>(holder.pid));
      lease.bind(5, static_cast<std::int64_t>(holder.pid_start));
      lease.bind(6, static_cast<std::int64_t>(now + ttl_seconds));
      lease.bind(7, static_cast<std::int64_t>(task.id));
      if (lease.exec() != 1) return Error(ErrorKind::kInternal, "task vanished while leased");
      lease.reset();
      task.lease_owner = holder.owner;
      task.lease_expires_epoch = now + ttl_seconds;
      task.lease_host = holder.host;
      task.lease_boot_id = holder.boot_id;
      task.lease_pid = holder.pid;
      task.lease_pid_start = holder.pid_start;
      task.lease_pgid.reset();
      task.attempt += 1;
    }
    return tasks;
  });
}

Result<std::vector<Task>> Store::leased_tasks() {
  return guarded(path(), [&]() -> Result<std::vector<Task>> {
    auto select_prepared = prepare(std::string("SELECT ") + kTaskColumns + kLeasedTasksSql);
    SQLite::Statement& select = *select_prepared;
    std::vector<Task> tasks;
    while (select.executeStep()) {
      ++rows_visited_;
      tasks.push_back(read_task(select));
    }
    return tasks;
  });
}

Result<std::int64_t> Store::renew_leases(const std::string& owner, Epoch expires) {
  return guarded(path(), [&]() -> Result<std::int64_t> {
    auto renew_prepared = prepare(kRenewLeasesSql);
    SQLite::Statement& renew = *renew_prepared;
    renew.bind(1, static_cast<std::int64_t>(expires));
    renew.bind(2, owner);
    return static_cast<std::int64_t>(renew.exec());
  });
}

Result<bool> Store::set_lease_group(const Task& task, std::int64_t pgid) {
  return guarded(path(), [&]() -> Result<bool> {
    auto update_prepared = prepare(kSetLeaseGroupSql);
    SQLite::Statement& update = *update_prepared;
    update.bind(1, static_cast<std::int64_t>(pgid));
    update.bind(2, static_cast<std::int64_t>(task.id));
    update.bind(3, task.lease_owner.value_or(""));
    update.bind(4, static_cast<std::int64_t>(task.attempt));
    return update.exec() == 1;
  });
}

Result<std::vector<std::pair<Task, std::string>>> Store::runnable_log_tasks(Epoch now,
                                                                            std::size_t limit) {
  return guarded(path(), [&]() -> Result<std::vector<std::pair<Task, std::string>>> {
    std::string where = kRunnableTasksWhere;
    where.replace(where.find(" WHERE "), 7,
                  // The queue first (in task_ready order), then each task's trigger.
                  " CROSS JOIN trigger g ON g.id = t.trigger_id WHERE g.action_kind = 'log' AND ");
    auto select_prepared =
        prepare(std::string("SELECT ") + kTaskColumns + ", g.action_argv" + where);
    SQLite::Statement& select = *select_prepared;
    select.bind(1, static_cast<std::int64_t>(now));
    select.bind(2, static_cast<std::int64_t>(limit));
    std::vector<std::pair<Task, std::string>> tasks;
    while (select.executeStep()) {
      ++rows_visited_;
      Task task = read_task(select);
      auto argv =
          nlohmann::json::parse(select.getColumn(kTaskColumnCount).getString()).get<std::vector<std::string>>();
      tasks.emplace_back(std::move(task), argv.empty() ? std::string() : argv.front());
    }
    return tasks;
  });
}

void Store::unblock_first_task(std::int64_t trigger_id) {
  auto unblock_prepared = prepare(kUnblockFirstTaskSql);
  SQLite::Statement& unblock = *unblock_prepared;
  unblock.bind(1, static_cast<std::int64_t>(trigger_id));
  unblock.exec();
}

Status Store::remove_task(const Task& task) {
  return guarded(path(), [&]() -> Status {
    auto remove_prepared = prepare(kDeleteTaskSql);
    SQLite::Statement& remove = *remove_prepared;
    remove.bind(1, static_cast<std::int64_t>(task.id));
    if (remove.exec() != 1) return Error(ErrorKind::kInternal, "task vanished while run");
    unblock_first_task(task.trigger_id);
    return Ok{};
  });
}

Result<bool> Store::complete_task(const Task& task, const HistoryRecord& outcome) {
  return guarded(path(), [&]() -> Result<bool> {
    auto remove_prepared = prepare(kDeleteLeasedTaskSql);
    SQLite::Statement& remove = *remove_prepared;
    remove.bind(1, static_cast<std::int64_t>(task.id));
    remove.bind(2, task.lease_owner.value_or(""));
    remove.bind(3, static_cast<std::int64_t>(task.attempt));
    if (remove.exec() != 1) return false;
    unblock_first_task(task.trigger_id);
    auto appended = append_history(outcome);
    if (!appended) return appended.error();
    return true;
  });
}

Result<bool> Store::requeue_task(const Task& task, Epoch due, Requeue how) {
  return guarded(path(), [&]() -> Result<bool> {
    auto update_prepared = prepare(kRequeueTaskSql);
    SQLite::Statement& update = *update_prepared;
    update.bind(1, static_cast<std::int64_t>(due));
    update.bind(2, how == Requeue::kUnstarted ? 1 : 0);
    update.bind(3, how == Requeue::kInterrupted ? 1 : 0);
    update.bind(4, static_cast<std::int64_t>(task.id));
    update.bind(5, task.lease_owner.value_or(""));
    update.bind(6, static_cast<std::int64_t>(task.attempt));
    return update.exec() == 1;
  });
}

Result<bool> Store::retry_task(const Task& task, Epoch due) {
  return requeue_task(task, due, Requeue::kRetry);
}

Result<bool> Store::release_task(const Task& task) {
  return requeue_task(task, task.due_epoch, Requeue::kUnstarted);
}

Result<bool> Store::interrupt_task(const Task& task, const HistoryRecord& record) {
  return guarded(path(), [&]() -> Result<bool> {
    auto requeued = requeue_task(task, task.due_epoch, Requeue::kInterrupted);
    if (!requeued || !*requeued) return requeued;
    auto appended = append_history(record);
    if (!appended) return appended.error();
    return true;
  });
}

Result<std::int64_t> Store::cancel_tasks(std::int64_t trigger_id, Epoch now) {
  return guarded(path(), [&]() -> Result<std::int64_t> {
    auto select_prepared = prepare(kIdleTasksOfTriggerSql);
    SQLite::Statement& select = *select_prepared;
    select.bind(1, static_cast<std::int64_t>(trigger_id));
    std::vector<HistoryRecord> records;
    std::vector<std::int64_t> ids;
    while (select.executeStep()) {
      ++rows_visited_;
      HistoryRecord record;
      record.trigger_id = trigger_id;
      record.scheduled_epoch = select.getColumn(1).getInt64();
      record.manual = select.getColumn(2).getInt() != 0;
      record.event_id = event_id(trigger_id, *record.scheduled_epoch, record.manual);
      record.attempts = select.getColumn(3).getInt64();
      record.outcome = Outcome::kCancelled;
      record.reason = "the trigger was cancelled before this run started";
      record.finished_epoch = now;
      record.recorded_epoch = now;
      records.push_back(record);
      ids.push_back(select.getColumn(0).getInt64());
    }
    auto remove_prepared = prepare(kDeleteTaskSql);
    SQLite::Statement& remove = *remove_prepared;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      remove.bind(1, static_cast<std::int64_t>(ids[i]));
      remove.exec();
      remove.reset();
      auto appended = append_history(records[i]);
      if (!appended) return appended.error();
    }
    if (!ids.empty()) unblock_first_task(trigger_id);  // a running task may be left
    return static_cast<std::int64_t>(ids.size());
  });
}

Result<std::int64_t> Store::append_history(const HistoryRecord& r) {
  return guarded(path(), [&]() -> Result<std::int64_t> {
    auto insert_prepared = prepare(kInsertHistorySql);
    SQLite::Statement& insert = *insert_prepared;
    int i = 1;
    insert.bind(i++, static_cast<std::int64_t>(r.trigger_id));
    bind_optional(insert, i++, r.event_id);
    bind_optional(insert, i++, r.scheduled_epoch);
    insert.bind(i++, static_cast<std::int64_t>(r.count));
    insert.bind(i++, std::string(to_string(r.outcome)));
    insert.bind(i++, r.reason);
    insert.bind(i++, r.manual ? 1 : 0);
    insert.bind(i++, static_cast<std::int64_t>(r.attempts));
    bind_optional(insert, i++, r.exit_status);
    bind_optional(insert, i++, r.started_epoch);
    bind_optional(insert, i++, r.finished_epoch);
    insert.bind(i++, r.output);
    insert.bind(i++, static_cast<std::int64_t>(r.recorded_epoch));
    insert.exec();
    return static_cast<std::int64_t>(db_->getLastInsertRowid());
  });
}

Result<std::vector<HistoryRecord>> Store::history(const HistoryFilter& filter) {
  return guarded(path(), [&]() -> Result<std::vector<HistoryRecord>> {
    std::string where;
    auto add = [&](const char* condition) {
      where += where.empty() ? " WHERE " : " AND ";
      where += condition;
    };
    if (filter.trigger_id) add("h.trigger_id = ?");
    if (filter.event_id) add("h.event_id = ?");
    if (filter.failed_only) add("h.outcome IN ('failed', 'timed_out')");
    if (filter.since) add("h.recorded_epoch >= ?");
    SQLite::Statement select(
        *db_, std::string(kSelectHistorySql) + where + " ORDER BY h.id DESC LIMIT ?");
    int index = 1;
    if (filter.trigger_id) select.bind(index++, static_cast<std::int64_t>(*filter.trigger_id));
    if (filter.event_id) select.bind(index++, *filter.event_id);
    if (filter.since) select.bind(index++, static_cast<std::int64_t>(*filter.since));
    select.bind(index++, static_cast<std::int64_t>(filter.limit));
    std::vector<HistoryRecord> records;
    while (select.executeStep()) {
      ++rows_visited_;
      HistoryRecord r;
      int i = 0;
      r.id = select.getColumn(i++).getInt64();
      r.trigger_id = select.getColumn(i++).getInt64();
      if (auto name = select.getColumn(i++); !name.isNull()) r.trigger_name = name.getString();
      if (auto id = select.getColumn(i++); !id.isNull()) r.event_id = id.getString();
      r.scheduled_epoch = optional_int(select.getColumn(i++));
      r.count = select.getColumn(i++).getInt64();
      r.outcome = parse_outcome(select.getColumn(i++).getString());
      r.reason = select.getColumn(i++).getString();
      r.manual = select.getColumn(i++).getInt() != 0;
      r.attempts = select.getColumn(i++).getInt64();
      r.exit_status = optional_int(select.getColumn(i++));
      r.started_epoch = optional_int(select.getColumn(i++));
      r.finished_epoch = optional_int(select.getColumn(i++));
      r.output = select.getColumn(i++).getString();
      r.recorded_epoch = select.getColumn(i++).getInt64();
      if (auto tz = select.getColumn(i++); !tz.isNull()) r.trigger_tz = tz.getString();
      records.push_back(std::move(r));
    }
    return records;
  });
}

Result<std::int64_t> Store::prune_history(Epoch before, std::size_t limit) {
  return guarded(path(), [&]() -> Result<std::int64_t> {
    auto prune_prepared = prepare(kPruneHistorySql);
    SQLite::Statement& prune = *prune_prepared;
    prune.bind(1, static_cast<std::int64_t>(before));
    prune.bind(2, static_cast<std::int64_t>(limit));
    std::int64_t deleted = prune.exec();
    auto passes_prepared = prepare(kPrunePassesSql);
    SQLite::Statement& passes = *passes_prepared;
    passes.bind(1, static_cast<std::int64_t>(before));
    passes.bind(2, static_cast<std::int64_t>(limit));
    passes.exec();
    return deleted;
  });
}

Result<std::int64_t> Store::begin_pass(const PassRecord& pass) {
  return guarded(path(), [&]() -> Result<std::int64_t> {
    auto insert_prepared = prepare(kBeginPassSql);
    SQLite::Statement& insert = *insert_prepared;
    insert.bind(1, pass.owner);
    insert.bind(2, static_cast<std::int64_t>(pass.started_epoch));
    insert.bind(3, static_cast<std::int64_t>(pass.clock_jump_seconds));
    insert.bind(4, pass.host);
    insert.bind(5, static_cast<std::int64_t>(pass.pid));
    insert.bind(6, static_cast<std::int64_t>(pass.pid_start));
    insert.bind(7, pass.boot_id);
    insert.exec();
    return static_cast<std::int64_t>(db_->getLastInsertRowid());
  });
}

Status Store::end_pass(const PassRecord& pass) {
  return guarded(path(), [&]() -> Status {
    auto update_prepared = prepare(kEndPassSql);
    SQLite::Statement& update = *update_prepared;
    int i = 1;
    bind_optional(update, i++, pass.finished_epoch);
    bind_optional(update, i++, pass.duration_ms);
    update.bind(i++, static_cast<std::int64_t>(pass.scheduled));
    update.bind(i++, static_cast<std::int64_t>(pass.fired));
    update.bind(i++, static_cast<std::int64_t>(pass.ran));
    update.bind(i++, static_cast<std::int64_t>(pass.failed));
    if (pass.outcome) {
      update.bind(i++, std::string(to_string(*pass.outcome)));
    } else {
      update.bind(i++);
    }
    bind_optional(update, i++, pass.error);
    update.bind(i++, static_cast<std::int64_t>(pass.id));
    update.exec();
    return Ok{};
  });
}

Result<std::optional<PassRecord>> Store::last_pass() {
  return guarded(path(), [&]() -> Result<std::optional<PassRecord>> {
    auto select_prepared = prepare(std::string(kPassColumns) + kLastPassSql);
    SQLite::Statement& select = *select_prepared;
    if (!select.executeStep()) return std::optional<PassRecord>();
    ++rows_visited_;
    return std::optional<PassRecord>(read_pass(select));
  });
}

// The latest pass, and the failures in a row among those that ended: the newest records,
// read one at a time until one that ended ok (kPassesCounted at most).
void Store::read_pass_figures(QueueFigures& figures, Epoch now) {
  auto recent_prepared = prepare(std::string(kPassColumns) + kRecentPassesSql);
  SQLite::Statement& recent = *recent_prepared;
  recent.bind(1, static_cast<std::int64_t>(QueueFigures::kPassesCounted));
  while (recent.executeStep()) {
    ++rows_visited_;
    PassRecord record = read_pass(recent);
    PassEnd end = end_of(record, now);
    if (!figures.last_pass) {
      figures.last_pass = record;
      figures.last_pass_end = end;
    }
    if (end == PassEnd::kOk) break;
    if (end == PassEnd::kRunning) continue;
    if (figures.failed_passes_in_a_row++ == 0) {
      figures.last_failed_pass = std::move(record);
      figures.last_failed_pass_end = end;
    }
  }
}

Result<QueueFigures> Store::queue_figures(Epoch now) {
  return guarded(path(), [&]() -> Result<QueueFigures> {
    QueueFigures figures;
    figures.pending_changes =
        count_of(*db_,
                 "SELECT (SELECT value FROM counter WHERE name = 'version') - "
                 "(SELECT value FROM counter WHERE name = 'cursor')",
                 std::nullopt);
    auto pending_prepared = prepare(kOldestPendingSql);
    SQLite::Statement& pending = *pending_prepared;
    pending.executeStep();
    figures.oldest_pending_epoch = optional_int(pending.getColumn(0));
    auto due_prepared = prepare(kDueFiguresSql);
    SQLite::Statement& due = *due_prepared;
    due.bind(1, static_cast<std::int64_t>(now));
    due.executeStep();
    figures.due = due.getColumn(0).getInt64();
    figures.oldest_due_epoch = optional_int(due.getColumn(1));
    auto tasks_prepared = prepare(kTaskFiguresSql);
    SQLite::Statement& tasks = *tasks_prepared;
    tasks.bind(1, static_cast<std::int64_t>(now));
    tasks.bind(2, static_cast<std::int64_t>(now));
    tasks.executeStep();
    figures.stuck = tasks.getColumn(2).getInt64();
    figures.queued = tasks.getColumn(0).getInt64();
    figures.running = tasks.getColumn(1).getInt64();
    figures.failed_last_hour = count_of(*db_, kFailedSinceSql, now - 3600);
    figures.set_aside = count_of(*db_, kSetAsideSql, std::nullopt);
    read_pass_figures(figures, now);
    auto states_prepared = prepare(kStatesSql);
    SQLite::Statement& states = *states_prepared;
    for (State state : {State::kActive, State::kPaused, State::kCancelled, State::kDone}) {
      figures.triggers_by_state[std::string(to_string(state))] = 0;
    }
    while (states.executeStep()) {
      figures.triggers_by_state[states.getColumn(0).getString()] = states.getColumn(1).getInt64();
    }
    return figures;
  });
}

}  // namespace trigger
