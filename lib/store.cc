#include "trigger/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "embedded.h"
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
    "t.version, t.created_epoch, t.updated_epoch, e.id, e.last_event_epoch, e.next_event_epoch";
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
    "UPDATE counter SET value = value + 1 WHERE name = 'version' RETURNING value";
constexpr const char* kCounterSql = "SELECT value FROM counter WHERE name = ?";
constexpr const char* kDeleteLabelsSql = "DELETE FROM trigger_label WHERE trigger_id = ?";
constexpr const char* kInsertLabelSql =
    "INSERT INTO trigger_label (trigger_id, key, value) VALUES (?, ?, ?)";
constexpr const char* kSelectLabelsSql =
    "SELECT key, value FROM trigger_label WHERE trigger_id = ? ORDER BY key";
constexpr const char* kUserVersionSql = "PRAGMA user_version";

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
      return {ErrorKind::kBusy, where + " is busy (locked by another trigger); try again"};
    case SQLITE_READONLY:
      return {ErrorKind::kIO, "cannot write " + where + ": read-only"};
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
      return {ErrorKind::kIO, "i/o error on " + where + ": " + what};
    default:
      return {ErrorKind::kInternal, "sql error on " + where + ": " + what};
  }
}

// Run `body`, turning SQLite exceptions into errors that name the database.
template <class Body>
auto guarded(const std::string& path, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const SQLite::Exception& e) {
    return sqlite_error(path, e.getErrorCode(), e.getErrorStr());
  } catch (const nlohmann::json::exception& e) {
    return Error(ErrorKind::kIO,
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
  if (!value) throw SQLite::Exception("unexpected stored value '" + text + "'", SQLITE_CORRUPT);
  return *value;
}

// Read one row of kSelectTriggersSql.
Trigger read_trigger(SQLite::Statement& s) {
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
      throw SQLite::Exception("unexpected stored " + std::string(option) + " '" + value + "'",
                              SQLITE_CORRUPT);
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
  t.scheduled = !s.getColumn(i++).isNull();
  t.last_event_epoch = optional_int(s.getColumn(i++));
  t.next_event_epoch = optional_int(s.getColumn(i++));
  return t;
}

std::string select_triggers(const std::string& where) {
  char buffer[1024];
  std::snprintf(buffer, sizeof buffer, kSelectTriggersSql, kTriggerColumns);
  return std::string(buffer) + where + " ORDER BY t.id";
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
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Ok{};
    return Error(ErrorKind::kCannotCreate,
                 "cannot create database " + in_quotes(path) + ": " + std::strerror(errno));
  }
  ::close(fd);
  return Ok{};
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

// Apply the migrations after the database's level, in one transaction.
void migrate(SQLite::Database& db, const std::string& path) {
  SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
  int version = db.execAndGet(kUserVersionSql).getInt();
  if (version > Store::schema_version())
    throw SQLite::Exception(too_new(path, version).message(), SQLITE_CANTOPEN);
  for (int level = version; level < Store::schema_version(); ++level) {
    db.exec(kSchemaFiles[level].text);
  }
  db.exec("PRAGMA user_version = " + std::to_string(Store::schema_version()));
  transaction.commit();
}

}  // namespace

int Store::schema_version() { return static_cast<int>(kSchemaFiles_count); }

std::string Store::default_path() {
  if (geteuid() == 0) return "/var/lib/trigger/trigger.db";
  if (const char* state = std::getenv("XDG_STATE_HOME"); state != nullptr && state[0] == '/') {
    return std::string(state) + "/trigger/trigger.db";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && home[0] != '\0' ? home : ".") +
         "/.local/state/trigger/trigger.db";
}

Store::Store(std::unique_ptr<SQLite::Database> db, bool writable)
    : db_(std::move(db)), writable_(writable) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::string& path, Mode mode) {
  if (path.empty()) return usage_error("empty database path");
  bool exists = file_exists(path);
  if (mode == Mode::kReadOnly && !exists) {
    // A read-only command on a database that does not exist yet sees an empty one.
    return guarded(path, [&]() -> Result<std::unique_ptr<Store>> {
      auto db = std::make_unique<SQLite::Database>(":memory:", SQLite::OPEN_READWRITE);
      migrate(*db, path);
      return std::unique_ptr<Store>(new Store(std::move(db), false));
    });
  }
  if (mode == Mode::kReadWrite && !exists) {
    if (auto status = create_file(path); !status) return status.error();
  }
  int too_new_version = 0;
  auto opened = guarded(path, [&]() -> Result<std::unique_ptr<Store>> {
    int flags = mode == Mode::kReadOnly ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE;
    auto db = std::make_unique<SQLite::Database>(path, flags, kBusyTimeoutMs);
    // Read the level before anything that could write: a newer database is left untouched.
    int version = db->execAndGet(kUserVersionSql).getInt();
    if (version > schema_version()) {
      too_new_version = version;
      return Error(ErrorKind::kTooNew, "");
    }
    if (mode == Mode::kReadOnly) {
      if (version == schema_version()) {
        db->exec("PRAGMA foreign_keys = ON");
        return std::unique_ptr<Store>(new Store(std::move(db), false));
      }
      db.reset();
      db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE, kBusyTimeoutMs);
    }
    db->exec("PRAGMA journal_mode = WAL");
    db->exec("PRAGMA foreign_keys = ON");
    if (version < schema_version()) migrate(*db, path);
    return std::unique_ptr<Store>(new Store(std::move(db), mode == Mode::kReadWrite));
  });
  if (too_new_version != 0) return too_new(path, too_new_version);
  if (!opened && opened.error().kind() == ErrorKind::kIO && mode == Mode::kReadWrite && !exists) {
    return Error(ErrorKind::kCannotCreate, opened.error().message());
  }
  return opened;
}

Status Store::transaction(const std::function<Status()>& body) {
  const std::string path = db_->getFilename();
  return guarded(path, [&]() -> Status {
    db_->exec(writable_ ? "BEGIN IMMEDIATE" : "BEGIN");
    Status result = Error(ErrorKind::kInternal, "transaction body threw");
    try {
      result = body();
    } catch (...) {
      db_->exec("ROLLBACK");
      throw;
    }
    if (!result) {
      db_->exec("ROLLBACK");
      return result;
    }
    try {
      db_->exec("COMMIT");
    } catch (...) {
      if (sqlite3_get_autocommit(db_->getHandle()) == 0) db_->exec("ROLLBACK");
      throw;
    }
    return result;
  });
}

Result<std::int64_t> Store::bump_version() {
  SQLite::Statement statement(*db_, kBumpVersionSql);
  if (!statement.executeStep()) return Error(ErrorKind::kInternal, "version counter missing");
  return statement.getColumn(0).getInt64();
}

Result<std::int64_t> Store::counter(std::string_view name) {
  return guarded(db_->getFilename(), [&]() -> Result<std::int64_t> {
    SQLite::Statement statement(*db_, kCounterSql);
    statement.bind(1, std::string(name));
    if (!statement.executeStep())
      return Error(ErrorKind::kInternal, "no counter " + in_quotes(name));
    ++rows_visited_;
    return statement.getColumn(0).getInt64();
  });
}

Status Store::write_labels(const Trigger& trigger) {
  SQLite::Statement remove(*db_, kDeleteLabelsSql);
  remove.bind(1, static_cast<std::int64_t>(trigger.id));
  remove.exec();
  SQLite::Statement insert(*db_, kInsertLabelSql);
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
  SQLite::Statement select(*db_, kSelectLabelsSql);
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

namespace {
Status check_name_free(SQLite::Database& db, const Trigger& trigger) {
  if (!trigger.name) return Ok{};
  SQLite::Statement find(db, kFindNameSql);
  find.bind(1, *trigger.name);
  find.bind(2, static_cast<std::int64_t>(trigger.id));
  if (find.executeStep()) {
    return data_error("name " + in_quotes(*trigger.name) + " is already taken by trigger " +
                      std::to_string(find.getColumn(0).getInt64()));
  }
  return Ok{};
}
}  // namespace

Result<std::int64_t> Store::insert_trigger(const Trigger& trigger) {
  return guarded(db_->getFilename(), [&]() -> Result<std::int64_t> {
    if (auto status = check_name_free(*db_, trigger); !status) return status.error();
    auto version = bump_version();
    if (!version) return version.error();
    SQLite::Statement insert(*db_, kInsertTriggerSql);
    bind_definition(insert, trigger, *version);
    insert.exec();
    Trigger stored = trigger;
    stored.id = db_->getLastInsertRowid();
    if (auto status = write_labels(stored); !status) return status.error();
    return stored.id;
  });
}

Status Store::update_trigger(const Trigger& trigger) {
  return guarded(db_->getFilename(), [&]() -> Status {
    if (auto status = check_name_free(*db_, trigger); !status) return status;
    auto version = bump_version();
    if (!version) return version.error();
    SQLite::Statement update(*db_, kUpdateTriggerSql);
    bind_definition(update, trigger, *version);
    update.bind(23, static_cast<std::int64_t>(trigger.id));
    if (update.exec() == 0)
      return Error(ErrorKind::kNotFound, "no trigger " + std::to_string(trigger.id));
    return write_labels(trigger);
  });
}

Status Store::set_state(std::int64_t id, State state, Epoch now) {
  return guarded(db_->getFilename(), [&]() -> Status {
    auto version = bump_version();
    if (!version) return version.error();
    SQLite::Statement update(*db_, kSetStateSql);
    update.bind(1, std::string(to_string(state)));
    update.bind(2, static_cast<std::int64_t>(*version));
    update.bind(3, static_cast<std::int64_t>(now));
    update.bind(4, static_cast<std::int64_t>(id));
    if (update.exec() == 0) return Error(ErrorKind::kNotFound, "no trigger " + std::to_string(id));
    return Ok{};
  });
}

Result<Trigger> Store::find_trigger(std::string_view ref) {
  return guarded(db_->getFilename(), [&]() -> Result<Trigger> {
    bool by_id = all_digits(ref) && ref.size() < 19;
    SQLite::Statement select(*db_,
                             select_triggers(by_id ? " WHERE t.id = ?" : " WHERE t.name = ?"));
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
  return guarded(db_->getFilename(), [&]() -> Result<std::vector<Trigger>> {
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
    SQLite::Statement select(*db_, select_triggers(where));
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
