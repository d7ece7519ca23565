#include "trigger/store.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "embedded.h"
#include "page_limit.h"
#include "process.h"

namespace trigger {
extern const EmbeddedFile kSchemaFiles[];
extern const unsigned long kSchemaFiles_count;
}  // namespace trigger

using trigger::ClockKind;
using trigger::ErrorKind;
using trigger::State;
using trigger::Store;
using trigger::Trigger;

namespace {

constexpr trigger::Epoch kNow = 1800000000;

// A fresh directory, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/trigger-store-test-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path_ = pattern;
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

unsigned mode_of(const std::string& path) {
  struct stat info;
  REQUIRE(stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

std::unique_ptr<Store> open_store(const std::string& path,
                                  Store::Mode mode = Store::Mode::kReadWrite) {
  auto store = Store::open(path, mode);
  INFO((store.ok() ? "" : store.error().message()));
  REQUIRE(store.ok());
  return std::move(*store);
}

Trigger make_trigger(const char* name, std::vector<std::string> labels = {}) {
  trigger::TriggerSpec spec;
  if (name != nullptr) spec.name = name;
  spec.clock = {ClockKind::kEvery, "1h", std::nullopt};
  spec.tz = "UTC";
  spec.action =
      *trigger::make_action(trigger::ActionKind::kShell, {"echo hi"}, {"A=1"}, std::string("/tmp"));
  spec.labels = std::move(labels);
  spec.policy = {{"until", "2030-01-01"}, {"jitter", "10s"}};
  auto built = trigger::build_trigger(spec, kNow);
  REQUIRE(built.ok());
  return *built;
}

std::int64_t insert(Store& store, const Trigger& trigger) {
  std::int64_t id = 0;
  auto status = store.transaction([&]() -> trigger::Status {
    auto inserted = store.insert_trigger(trigger);
    if (!inserted) return inserted.error();
    id = *inserted;
    return trigger::Ok{};
  });
  REQUIRE(status.ok());
  return id;
}

void exec_sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

// The first column of the first row of `sql`, as text.
std::string query_text(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  std::string text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return text;
}

}  // namespace

TEST_CASE("schema files are numbered 001, 002, ... without gaps", "[store]") {
  REQUIRE(trigger::kSchemaFiles_count >= 1);
  CHECK(Store::schema_version() == static_cast<int>(trigger::kSchemaFiles_count));
  for (unsigned long i = 0; i < trigger::kSchemaFiles_count; ++i) {
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "%03lu_", i + 1);
    INFO(trigger::kSchemaFiles[i].name);
    CHECK(std::string(trigger::kSchemaFiles[i].name).rfind(prefix, 0) == 0);
  }
}

TEST_CASE("a new database is created 0600 in directories created 0700, at the current level",
          "[store]") {
  TempDir dir;
  mode_t old_umask = umask(0);  // modes must not depend on the caller's umask
  auto path = dir.file("a/b/trigger.db");
  {
    auto store = open_store(path);
    auto version = store->counter("version");
    REQUIRE(version.ok());
    CHECK(*version == 0);
  }
  umask(old_umask);
  CHECK(mode_of(path) == 0600);
  CHECK(mode_of(dir.file("a/b")) == 0700);
  CHECK(mode_of(dir.file("a")) == 0700);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  CHECK(sqlite3_column_int(statement, 0) == Store::schema_version());
  sqlite3_finalize(statement);
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0))) == "wal");
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

TEST_CASE("migrations apply to an empty file and re-opening changes nothing", "[store]") {
  TempDir dir;
  auto path = dir.file("trigger.db");
  { std::ofstream empty(path); }
  open_store(path, Store::Mode::kCreate);
  std::string first = read_bytes(path);
  open_store(path);
  open_store(path);
  CHECK(read_bytes(path) == first);
}

TEST_CASE("a frozen level-1 database migrates forward with its triggers intact", "[store]") {
  TempDir dir;
  auto path = dir.file("old.db");
  std::ifstream dump(std::string(TRIGGER_TEST_DATA) + "/schema-1.sql");
  REQUIRE(dump.good());
  std::stringstream sql;
  sql << dump.rdbuf();
  exec_sql(path, sql.str().c_str());
  auto store = open_store(path);
  auto triggers = store->list_triggers({});
  REQUIRE(triggers.ok());
  REQUIRE(triggers->size() == 2);
  CHECK((*triggers)[0].name == "level1");
  CHECK((*triggers)[0].action.argv == std::vector<std::string>{"echo hi"});
  CHECK((*triggers)[0].labels.at("k") == "v");
  CHECK((*triggers)[1].state == State::kPaused);
  CHECK(*store->counter("version") == 2);
  // The level-2 tables are there and usable.
  auto figures = store->queue_figures(kNow);
  REQUIRE(figures.ok());
  CHECK(figures->triggers_by_state.at("active") == 1);
  auto history = store->history({});
  REQUIRE(history.ok());
  CHECK(history->empty());
}

TEST_CASE("a level-2 database migrates to level 3 with its rows, references and checks",
          "[store]") {
  TempDir dir;
  auto path = dir.file("two.db");
  std::string sql = std::string(trigger::kSchemaFiles[0].text) + trigger::kSchemaFiles[1].text +
                    "INSERT INTO trigger VALUES (7, 'two', 'active', '--every 1h', 1796112000, "
                    "'UTC', 'sh', '[\"echo hi\"]', '[]', NULL, 'all', 300, 'queue', 3600, 2, 30, "
                    "0, 'auto', NULL, 5, 1, 1796112000, 1796112000);"
                    "INSERT INTO trigger_label VALUES (7, 'team', 'ops');"
                    "INSERT INTO trigger_event (trigger_id, last_event_epoch, next_event_epoch, "
                    "runs) VALUES (7, 1796112000, 1796115600, 3);"
                    "INSERT INTO task (trigger_id, scheduled_epoch, due_epoch, created_epoch) "
                    "VALUES (7, 1796112000, 1796112000, 1796112000);"
                    "INSERT INTO history (id, trigger_id, event_id, outcome, reason, "
                    "recorded_epoch) VALUES (41, 7, '7-1796108400', 'failed', 'exit status 1', "
                    "1796108460);"
                    "UPDATE counter SET value = 1 WHERE name = 'version';"
                    "PRAGMA user_version = 2;";
  exec_sql(path, sql.c_str());
  {
    auto store = open_store(path);
    auto two = store->find_trigger("two");
    REQUIRE(two.ok());
    CHECK(two->id == 7);
    CHECK(two->policy.max_runs == 5);
    CHECK(two->policy.timeout_seconds == 3600);  // kept through the level-6 rebuild
    CHECK(two->labels.at("team") == "ops");
    CHECK(store->event(7)->runs == 3);
    auto history = store->history({});
    REQUIRE(history.ok());
    REQUIRE(history->size() == 1);
    CHECK((*history)[0].id == 41);
    CHECK((*history)[0].reason == "exit status 1");
    CHECK(store->queue_figures(kNow)->queued == 1);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  auto accepted = [&](const char* statement) {
    return sqlite3_exec(db, statement, nullptr, nullptr, nullptr) == SQLITE_OK;
  };
  // The rewritten checks refuse what the old ones refused, and accept what they accepted.
  CHECK_FALSE(
      accepted("INSERT INTO history (trigger_id, outcome, recorded_epoch) "
               "VALUES (7, 'bogus', 0)"));
  CHECK(
      accepted("INSERT INTO history (trigger_id, outcome, recorded_epoch) "
               "VALUES (7, 'timed_out', 0)"));
  CHECK_FALSE(accepted("UPDATE trigger SET state = 'sleeping' WHERE id = 7"));
  CHECK_FALSE(accepted("UPDATE trigger SET misfire = 'some' WHERE id = 7"));
  CHECK(accepted("UPDATE trigger SET state = 'paused', dst = 'once' WHERE id = 7"));
  // Level 6: no timeout is NULL; a timeout is still positive.
  CHECK(accepted("UPDATE trigger SET timeout_seconds = NULL WHERE id = 7"));
  CHECK_FALSE(accepted("UPDATE trigger SET timeout_seconds = 0 WHERE id = 7"));
  // The other tables still refer to the rebuilt trigger table: deleting it cascades.
  REQUIRE(accepted("PRAGMA foreign_keys = ON"));
  REQUIRE(accepted("DELETE FROM trigger WHERE id = 7"));
  sqlite3_stmt* left = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT (SELECT COUNT(*) FROM task) + (SELECT COUNT(*) FROM "
                             "trigger_event) + (SELECT COUNT(*) FROM trigger_label)",
                             -1, &left, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(left) == SQLITE_ROW);
  CHECK(sqlite3_column_int(left, 0) == 0);
  sqlite3_finalize(left);
  sqlite3_close(db);
}

TEST_CASE("a level-6 database migrates to the current level with the default retention, no --user",
          "[store]") {
  TempDir dir;
  auto path = dir.file("six.db");
  std::string sql;
  for (int level = 0; level < 6; ++level) sql += trigger::kSchemaFiles[level].text;
  sql +=
      "INSERT INTO trigger (id, name, state, clock, clock_set_epoch, tz, action_kind, "
      "action_argv, misfire, grace_seconds, overlap, retries, backoff_seconds, jitter_seconds, "
      "version, created_epoch, updated_epoch) VALUES (7, 'six', 'active', '--every 1h', "
      "1796112000, 'UTC', 'log', '[\"x\"]', 'latest', 300, 'skip', 0, 30, 0, 1, 1796112000, "
      "1796112000);"
      "INSERT INTO history (id, trigger_id, outcome, reason, recorded_epoch) VALUES (41, 7, "
      "'edit', 'created; next - -> -', 1796112000);"
      "UPDATE counter SET value = 1 WHERE name = 'version';"
      "PRAGMA user_version = 6;";
  exec_sql(path, sql.c_str());
  {
    auto store = open_store(path);
    auto six = store->find_trigger("six");
    REQUIRE(six.ok());
    CHECK(six->policy.history_keep_seconds == trigger::kDefaultHistoryKeepSeconds);
    CHECK(six->policy.history_runs == trigger::kDefaultHistoryRuns);
    CHECK_FALSE(six->policy.user.has_value());
  }
  // Each record may be pruned from when it was written plus the default keep.
  CHECK(query_text(path, "SELECT expires_epoch FROM history WHERE id = 41") ==
        std::to_string(1796112000 + trigger::kDefaultHistoryKeepSeconds));
  auto accepted = [&](const char* statement) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    bool ran = sqlite3_exec(db, statement, nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    return ran;
  };
  CHECK_FALSE(accepted("UPDATE trigger SET history_keep_seconds = 0 WHERE id = 7"));
  CHECK_FALSE(accepted("UPDATE trigger SET history_runs = -1 WHERE id = 7"));
  CHECK(accepted("UPDATE trigger SET history_runs = 0 WHERE id = 7"));
  CHECK_FALSE(accepted("UPDATE trigger SET run_as_user = '' WHERE id = 7"));  // NULL is none
  CHECK(accepted("UPDATE trigger SET run_as_user = 'nobody' WHERE id = 7"));
}

// A level-1 database, as trigger 0.1 left it (WAL mode, two triggers), at `path`.
void make_level1_database(const std::string& path) {
  std::ifstream dump(std::string(TRIGGER_TEST_DATA) + "/schema-1.sql");
  REQUIRE(dump.good());
  std::stringstream sql;
  sql << dump.rdbuf() << "PRAGMA journal_mode = WAL;";
  exec_sql(path, sql.str().c_str());
}

TEST_CASE("an older database is copied beside it, once, before it is migrated",
          "[store][upgrade]") {
  TempDir dir;
  auto path = dir.file("old.db");
  make_level1_database(path);
  auto copy = path + ".schema1.bak";
  {
    auto store = open_store(path, Store::Mode::kReadOnly);  // a reader migrates it too
    auto upgrade = store->upgrade();
    REQUIRE(upgrade.has_value());
    CHECK(upgrade->from_level == 1);
    CHECK(upgrade->to_level == Store::schema_version());
    CHECK(upgrade->copy == copy);
  }
  // The copy is the file as it was: level 1, its rows, private.
  CHECK(mode_of(copy) == 0600);
  CHECK(query_text(copy, "PRAGMA user_version") == "1");
  CHECK(query_text(copy, "SELECT group_concat(name) FROM (SELECT name FROM trigger ORDER BY id)") ==
        "level1,paused1");
  CHECK(query_text(path, "PRAGMA user_version") == std::to_string(Store::schema_version()));
  CHECK(query_text(copy, "SELECT value FROM trigger_label WHERE key = 'k'") == "v");
  CHECK_FALSE(std::ifstream(copy + ".tmp").good());
  // The next open finds nothing to migrate and keeps the copy as it is.
  std::string kept = read_bytes(copy);
  CHECK_FALSE(open_store(path)->upgrade().has_value());
  CHECK(read_bytes(copy) == kept);
}

TEST_CASE("a new database, or a private copy, makes no copy", "[store][upgrade]") {
  TempDir dir;
  auto path = dir.file("new.db");
  CHECK_FALSE(open_store(path, Store::Mode::kCreate)->upgrade().has_value());
  CHECK_FALSE(std::ifstream(path + ".schema0.bak").good());
  auto old = dir.file("old.db");
  make_level1_database(old);
  CHECK_FALSE(open_store(old, Store::Mode::kPrivateCopy)->upgrade().has_value());
  CHECK_FALSE(std::ifstream(old + ".schema1.bak").good());
  CHECK(query_text(old, "PRAGMA user_version") == "1");
}

TEST_CASE("a copy that cannot be kept refuses the migration and leaves the database as it was",
          "[store][upgrade]") {
  TempDir dir;
  auto path = dir.file("old.db");
  make_level1_database(path);
  std::string before = read_bytes(path);
  // Something that is not a file where the copy goes: the rename over it fails.
  auto copy = path + ".schema1.bak";
  REQUIRE(mkdir(copy.c_str(), 0700) == 0);
  REQUIRE(mkdir((copy + "/keep").c_str(), 0700) == 0);
  auto store = Store::open(path, Store::Mode::kReadWrite);
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().kind() == ErrorKind::kIO);
  CHECK_THAT(store.error().message(), Catch::StartsWith("cannot upgrade database '" + path +
                                                        "' from schema 1: cannot keep "
                                                        "a copy of it as '" +
                                                        copy + "': ") &&
                                          Catch::EndsWith("; nothing was changed"));
  CHECK(read_bytes(path) == before);
  CHECK(query_text(path, "PRAGMA user_version") == "1");
  CHECK_FALSE(std::ifstream(copy + ".tmp").good());
  // Once the copy can be kept, the migration goes ahead.
  REQUIRE(std::system(("rm -r '" + copy + "'").c_str()) == 0);
  CHECK(open_store(path)->upgrade().has_value());
}

TEST_CASE("a database from a newer trigger is refused and left untouched", "[store]") {
  TempDir dir;
  auto path = dir.file("trigger.db");
  open_store(path);
  exec_sql(path, ("PRAGMA user_version = " + std::to_string(Store::schema_version() + 1)).c_str());
  std::string before = read_bytes(path);
  for (auto mode : {Store::Mode::kReadWrite, Store::Mode::kReadOnly}) {
    auto store = Store::open(path, mode);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().kind() == ErrorKind::kTooNew);
    CHECK(store.error().message() ==
          "database '" + path + "' is from a newer trigger (schema " +
              std::to_string(Store::schema_version() + 1) + ", this one knows up to " +
              std::to_string(Store::schema_version()) + "); upgrade trigger");
  }
  CHECK(read_bytes(path) == before);
}

TEST_CASE("a read-only open of a missing database reads as empty and creates nothing", "[store]") {
  TempDir dir;
  auto path = dir.file("missing/trigger.db");
  auto store = open_store(path, Store::Mode::kReadOnly);
  auto triggers = store->list_triggers({});
  REQUIRE(triggers.ok());
  CHECK(triggers->empty());
  struct stat info;
  CHECK(stat(dir.file("missing").c_str(), &info) != 0);
}

TEST_CASE("a file that is not a database is an I/O error naming it", "[store]") {
  TempDir dir;
  auto path = dir.file("junk.db");
  {
    std::ofstream junk(path);
    junk << std::string(4096, 'x');
  }
  auto store = Store::open(path, Store::Mode::kReadWrite);
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().kind() == ErrorKind::kIO);
  CHECK(store.error().message().rfind(
            "database '" + path + "' is damaged or not a trigger database", 0) == 0);
  CHECK(read_bytes(path) == std::string(4096, 'x'));
}

TEST_CASE("a database that cannot be created is kCannotCreate naming the directory", "[store]") {
  TempDir dir;
  { std::ofstream file(dir.file("plain")); }
  auto store = Store::open(dir.file("plain/sub/trigger.db"), Store::Mode::kReadWrite);
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().kind() == ErrorKind::kCannotCreate);
  CHECK(store.error().message() ==
        "cannot create directory '" + dir.file("plain/sub") + "': Not a directory");
}

TEST_CASE("triggers round-trip through the store with every field", "[store]") {
  TempDir dir;
  auto store = open_store(dir.file("t.db"));
  Trigger original = make_trigger("backup", {"team=ops", "tier=1"});
  original.policy.max_runs = 5;
  auto id = insert(*store, original);
  auto found = store->find_trigger("backup");
  REQUIRE(found.ok());
  CHECK(found->id == id);
  CHECK(found->name == "backup");
  CHECK(found->state == State::kActive);
  CHECK(found->clock == original.clock);
  CHECK(found->clock_set_epoch == kNow);
  CHECK(found->tz == "UTC");
  CHECK(found->action.kind == trigger::ActionKind::kShell);
  CHECK(found->action.argv == std::vector<std::string>{"echo hi"});
  CHECK(found->action.env == std::vector<std::string>{"A=1"});
  CHECK(found->action.cwd == "/tmp");
  CHECK(found->policy.jitter_seconds == 10);
  CHECK(found->policy.until_epoch == 1893456000);
  CHECK(found->policy.max_runs == 5);
  CHECK(found->labels == original.labels);
  CHECK(found->version == 1);
  CHECK_FALSE(found->scheduled);
  auto by_id = store->find_trigger(std::to_string(id));
  REQUIRE(by_id.ok());
  CHECK(by_id->name == "backup");
}

TEST_CASE("every change bumps the global version and stamps it on the trigger", "[store]") {
  TempDir dir;
  auto store = open_store(dir.file("t.db"));
  auto a = insert(*store, make_trigger("a"));
  auto b = insert(*store, make_trigger(nullptr));
  insert(*store, make_trigger(nullptr));  // unnamed triggers do not collide
  REQUIRE(store->set_state(a, State::kPaused, kNow).ok());
  auto found = store->find_trigger("a");
  REQUIRE(found.ok());
  CHECK(found->version == 4);
  CHECK(found->state == State::kPaused);
  found->labels = {{"k", "v"}};
  REQUIRE(store->update_trigger(*found).ok());
  CHECK(*store->counter("version") == 5);
  CHECK(*store->counter("cursor") == 0);
  CHECK(store->find_trigger("a")->version == 5);
  CHECK(store->find_trigger("a")->labels.at("k") == "v");
  CHECK(store->find_trigger(std::to_string(b))->version == 2);
}

TEST_CASE("names are unique and missing triggers are kNotFound", "[store]") {
  TempDir dir;
  auto store = open_store(dir.file("t.db"));
  insert(*store, make_trigger("a"));
  auto again = store->insert_trigger(make_trigger("a"));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().kind() == ErrorKind::kData);
  CHECK(again.error().message() == "name 'a' is already taken by trigger 1");
  for (const char* ref : {"b", "99", "0"}) {
    auto missing = store->find_trigger(ref);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind() == ErrorKind::kNotFound);
    CHECK(missing.error().message() == "no trigger '" + std::string(ref) + "'");
  }
  CHECK(store->set_state(99, State::kCancelled, kNow).error().kind() == ErrorKind::kNotFound);
}

TEST_CASE("a failed transaction writes nothing", "[store]") {
  TempDir dir;
  auto store = open_store(dir.file("t.db"));
  auto status = store->transaction([&]() -> trigger::Status {
    auto id = store->insert_trigger(make_trigger("a"));
    REQUIRE(id.ok());
    return trigger::data_error("changed my mind");
  });
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().message() == "changed my mind");
  CHECK(store->find_trigger("a").error().kind() == ErrorKind::kNotFound);
  CHECK(*store->counter("version") == 0);
}

TEST_CASE("list filters by state, labels and name glob, in id order", "[store]") {
  TempDir dir;
  auto store = open_store(dir.file("t.db"));
  auto a = insert(*store, make_trigger("db.nightly", {"team=ops"}));
  auto b = insert(*store, make_trigger("db.weekly", {"team=ops", "tier=1"}));
  auto c = insert(*store, make_trigger("web", {"team=web"}));
  REQUIRE(store->set_state(c, State::kCancelled, kNow).ok());
  auto ids = [&](trigger::TriggerFilter filter) {
    auto found = store->list_triggers(filter);
    REQUIRE(found.ok());
    std::vector<std::int64_t> out;
    for (const auto& t : *found) out.push_back(t.id);
    return out;
  };
  using Ids = std::vector<std::int64_t>;
  CHECK(ids({}) == Ids{a, b});
  CHECK(ids({true, std::nullopt, {}, std::nullopt}) == Ids{a, b, c});
  CHECK(ids({false, State::kCancelled, {}, std::nullopt}) == Ids{c});
  CHECK(ids({false, std::nullopt, {{"team", "ops"}}, std::nullopt}) == Ids{a, b});
  CHECK(ids({false, std::nullopt, {{"team", "ops"}, {"tier", "1"}}, std::nullopt}) == Ids{b});
  CHECK(ids({true, std::nullopt, {{"team", "web"}}, std::nullopt}) == Ids{c});
  CHECK(ids({false, std::nullopt, {}, std::string("db.*")}) == Ids{a, b});
  CHECK(ids({false, std::nullopt, {}, std::string("*weekly")}) == Ids{b});
}

TEST_CASE("a full disk fails the write with one line naming the database and rolls it back",
          "[store][hostile]") {
  TempDir dir;
  auto path = dir.file("trigger.db");
  insert(*open_store(path), make_trigger("kept"));
  std::string before = read_bytes(path);
  {
    PageLimit full;
    auto store = open_store(path);
    Trigger big = make_trigger("big", {"k=v"});
    big.action.argv = {std::string(64 * 1024, 'x')};  // needs pages the database cannot add
    auto status = store->transaction([&]() -> trigger::Status {
      auto inserted = store->insert_trigger(big);
      if (!inserted) return inserted.error();
      return trigger::Ok{};
    });
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind() == ErrorKind::kIO);
    CHECK(status.error().message() ==
          "cannot write database '" + path + "': disk or database full");
    // Rolled back, version bump and label included; the connection is still usable.
    auto triggers = store->list_triggers({});
    REQUIRE(triggers.ok());
    REQUIRE(triggers->size() == 1);
    CHECK((*triggers)[0].name == "kept");
    CHECK(*store->counter("version") == 1);
    CHECK(store->transaction([&] { return store->set_state(1, State::kPaused, kNow); }).ok());
  }
  CHECK(query_text(path, "PRAGMA integrity_check") == "ok");
  CHECK(query_text(path, "SELECT count(*) FROM trigger_label") == "0");
  CHECK(query_text(path, "SELECT state FROM trigger") == "paused");
  CHECK(read_bytes(path) != before);  // the small change after the failure was written
}

namespace {

// Queue `count` serial tasks of `trigger_id`, one per minute up to kNow, in one transaction.
void queue_tasks(Store& store, std::int64_t trigger_id, int count, bool serial = true) {
  REQUIRE(store
              .transaction([&]() -> trigger::Status {
                for (int i = 0; i < count; ++i) {
                  trigger::Task task;
                  task.trigger_id = trigger_id;
                  task.scheduled_epoch = kNow - 60 * (count - i);
                  task.serial = serial;
                  task.due_epoch = task.scheduled_epoch;
                  task.created_epoch = kNow;
                  auto inserted = store.insert_task(task);
                  if (!inserted) return inserted.error();
                }
                return trigger::Ok{};
              })
              .ok());
}

std::vector<trigger::Task> lease(Store& store, const std::string& owner, std::size_t limit) {
  std::vector<trigger::Task> tasks;
  trigger::LeaseHolder holder;
  holder.owner = owner;
  REQUIRE(store
              .transaction([&]() -> trigger::Status {
                auto leased = store.lease_tasks(holder, kNow, 60, limit);
                if (!leased) return leased.error();
                tasks = *leased;
                return trigger::Ok{};
              })
              .ok());
  return tasks;
}

std::vector<trigger::Epoch> epochs(const std::vector<trigger::Task>& tasks) {
  std::vector<trigger::Epoch> out;
  for (const auto& task : tasks) out.push_back(task.scheduled_epoch);
  return out;
}

}  // namespace

TEST_CASE("a serial task runs after the one before it, however that one goes", "[store][queue]") {
  TempDir dir;
  auto store = open_store(dir.file("t.db"));
  auto id = insert(*store, make_trigger("a"));
  queue_tasks(*store, id, 4);
  auto first = lease(*store, "runner", 10);
  REQUIRE(epochs(first) == std::vector<trigger::Epoch>{kNow - 240});  // the others wait
  CHECK(lease(*store, "runner", 10).empty());
  // Completed: the next runs.
  trigger::HistoryRecord done;
  done.trigger_id = id;
  done.recorded_epoch = kNow;
  REQUIRE(store
              ->transaction([&]() -> trigger::Status {
                auto completed = store->complete_task(first[0], done);
                if (!completed) return completed.error();
                return trigger::Ok{};
              })
              .ok());
  auto second = lease(*store, "runner", 10);
  REQUIRE(epochs(second) == std::vector<trigger::Epoch>{kNow - 180});
  // Removed (as a --log run is): the next runs.
  REQUIRE(store->transaction([&] { return store->remove_task(second[0]); }).ok());
  auto third = lease(*store, "runner", 10);
  REQUIRE(epochs(third) == std::vector<trigger::Epoch>{kNow - 120});
  // A run that is not serial (--overlap allow) does not wait.
  auto other = insert(*store, make_trigger("b"));
  queue_tasks(*store, other, 1);
  queue_tasks(*store, other, 3, false);  // two more, at earlier minutes (the third is taken)
  CHECK(lease(*store, "runner", 10).size() == 3);
  // Cancelled: the queued ones go; after the running one, nothing of it is left to run, and a
  // new one queued behind it waits for it.
  REQUIRE(store
              ->transaction([&]() -> trigger::Status {
                auto cancelled = store->cancel_tasks(id, kNow);
                if (!cancelled) return cancelled.error();
                return trigger::Ok{};
              })
              .ok());
  CHECK(lease(*store, "runner", 10).empty());
}

TEST_CASE("finding the next runnable task costs the same with 100 or 20,000 queued",
          "[store][queue][cost]") {
  auto cost = [](int queued) {
    TempDir dir;
    auto store = open_store(dir.file("t.db"));
    auto id = insert(*store, make_trigger("a"));
    queue_tasks(*store, id, queued);  // one catch-up: its first runs, the others wait
    REQUIRE(lease(*store, "runner", 4).size() == 1);
    auto pages = store->stats().blocks_read;
    auto rows = store->stats().rows_read;
    CHECK(lease(*store, "other", 4).empty());  // what a second pass, or the next lease, asks
    std::vector<std::pair<trigger::Task, std::string>> logs;
    REQUIRE(store
                ->transaction([&]() -> trigger::Status {
                  auto runnable = store->runnable_log_tasks(kNow, 1000);
                  if (!runnable) return runnable.error();
                  logs = *runnable;
                  return trigger::Ok{};
                })
                .ok());
    CHECK(logs.empty());
    return std::make_pair(store->stats().rows_read - rows, store->stats().blocks_read - pages);
  };
  auto small = cost(100);
  auto large = cost(20000);
  CHECK(large.first == small.first);
  CHECK(large.second <= small.second + 4);  // one more b-tree level at most per lookup
}

TEST_CASE("an empty file is a new database only for a command that creates triggers",
          "[store][safety]") {
  TempDir dir;
  auto path = dir.file("trigger.db");
  { std::ofstream empty(path); }
  for (auto mode : {Store::Mode::kReadWrite, Store::Mode::kReadOnly}) {
    auto store = Store::open(path, mode);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().kind() == ErrorKind::kIO);
    CHECK(store.error().message() == "database '" + path +
                                         "' is an empty file, not a trigger database (create or "
                                         "import makes one)");
    CHECK(read_bytes(path).empty());
    struct stat info;
    CHECK(stat((path + "-wal").c_str(), &info) != 0);
  }
  open_store(path, Store::Mode::kCreate);
  CHECK(query_text(path, "PRAGMA application_id") == "1414678354");
  open_store(path, Store::Mode::kReadOnly);  // a trigger database now
}

TEST_CASE("another application's SQLite file is refused untouched", "[store][safety]") {
  struct Case {
    const char* what;
    const char* sql;
    std::string reason;
  };
  const Case cases[] = {
      {"its own application id", "CREATE TABLE trigger (id INTEGER); PRAGMA application_id = 42;",
       "application id 42, not trigger's"},
      {"tables of its own and no level", "CREATE TABLE users (name TEXT); INSERT INTO users "
       "VALUES ('x');",
       "it holds tables of another application, such as 'users'"},
      {"a level but none of trigger's tables",
       "CREATE TABLE users (name TEXT); PRAGMA user_version = 2;",
       "level 2 without trigger's tables"},
      {"a level trigger's databases never have without the id",
       "CREATE TABLE trigger (id INTEGER); PRAGMA user_version = 4;",
       "level 4 without trigger's application id"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    TempDir dir;
    auto path = dir.file("other.db");
    exec_sql(path, c.sql);
    std::string before = read_bytes(path);
    for (auto mode : {Store::Mode::kCreate, Store::Mode::kReadWrite, Store::Mode::kReadOnly}) {
      auto store = Store::open(path, mode);
      REQUIRE_FALSE(store.ok());
      CHECK(store.error().kind() == ErrorKind::kIO);
      CHECK(store.error().message() ==
            "database '" + path + "' is not a trigger database (" + c.reason + ")");
    }
    CHECK(read_bytes(path) == before);
  }
}

TEST_CASE("pass figures: failures in a row, passing over running passes; dead passes told",
          "[store]") {
  using trigger::PassEnd;
  using trigger::PassOutcome;
  TempDir dir;
  auto store = open_store(dir.file("t.db"));
  const trigger::ProcessIdentity& self = trigger::this_process();
  auto record = [&](trigger::Epoch started, std::optional<PassOutcome> outcome,
                    const trigger::ProcessIdentity& who, std::string error = "") {
    trigger::PassRecord pass;
    pass.owner = "test";
    pass.started_epoch = started;
    pass.host = who.host;
    pass.pid = who.pid;
    pass.pid_start = who.start_ticks;
    pass.boot_id = who.boot_id;
    REQUIRE(store
                ->transaction([&]() -> trigger::Status {
                  auto id = store->begin_pass(pass);
                  if (!id) return id.error();
                  if (!outcome) return trigger::Ok{};
                  pass.id = *id;
                  pass.finished_epoch = started + 1;
                  pass.outcome = outcome;
                  if (!error.empty()) pass.error = error;
                  return store->end_pass(pass);
                })
                .ok());
  };
  auto figures = [&](trigger::Epoch at) {
    auto read = store->queue_figures(at);
    REQUIRE(read.ok());
    return *read;
  };
  record(kNow - 600, PassOutcome::kOk, self);
  CHECK(figures(kNow).last_pass_end == PassEnd::kOk);
  CHECK(figures(kNow).failed_passes_in_a_row == 0);
  record(kNow - 540, PassOutcome::kFailed, self, "first");
  record(kNow - 480, PassOutcome::kRefused, self, "refused");
  record(kNow - 420, PassOutcome::kFailed, self, "disk full");
  auto read = figures(kNow);
  CHECK(read.failed_passes_in_a_row == 3);
  CHECK(read.last_pass_end == PassEnd::kFailed);
  CHECK(read.last_failed_pass_end == PassEnd::kFailed);
  CHECK(read.last_failed_pass->error == "disk full");
  // A pass still running (this process) is passed over.
  record(kNow - 60, std::nullopt, self);
  read = figures(kNow);
  CHECK(read.last_pass_end == PassEnd::kRunning);
  CHECK(read.failed_passes_in_a_row == 3);
  CHECK(read.last_failed_pass->error == "disk full");
  // A pass whose process is gone died.
  pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(waitpid(child, nullptr, 0) == child);
  trigger::ProcessIdentity dead = self;
  dead.pid = child;
  record(kNow - 30, std::nullopt, dead);
  read = figures(kNow);
  CHECK(read.last_pass_end == PassEnd::kDied);
  CHECK(read.failed_passes_in_a_row == 4);
  CHECK(read.last_failed_pass_end == PassEnd::kDied);
  CHECK(read.last_failed_pass->pid == child);
  // On another host a pass runs until it is a day old.
  record(kNow - 10, std::nullopt, {"elsewhere", "boot", 42, 7});
  CHECK(figures(kNow).last_pass_end == PassEnd::kRunning);
  CHECK(figures(kNow).failed_passes_in_a_row == 4);
  read = figures(kNow - 10 + trigger::QueueFigures::kPassPresumedDeadSeconds + 1);
  CHECK(read.last_pass_end == PassEnd::kDied);
  CHECK(read.failed_passes_in_a_row == 5);
  // A pass that ends ok ends the run.
  record(kNow, PassOutcome::kOk, self);
  CHECK(figures(kNow).failed_passes_in_a_row == 0);
  CHECK(figures(kNow).last_pass_end == PassEnd::kOk);
}

TEST_CASE("batched commits are synced when their window closes, with no transaction to come",
          "[store]") {
  using std::chrono::milliseconds;
  TempDir dir;
  auto store = open_store(dir.file("t.db"));
  trigger::FakeEnv env(1000);
  store->set_env(env);
  REQUIRE(store
              ->transaction(
                  [&]() -> trigger::Status {
                    auto inserted = store->insert_trigger(make_trigger("a"));
                    if (!inserted) return inserted.error();
                    return trigger::Ok{};
                  },
                  Store::Sync::kBatched)
              .ok());
  CHECK(store->unsynced());
  env.advance(milliseconds(40));  // inside the window: nothing yet, and the wait ends when it closes
  auto wait = store->sync_if_due(milliseconds(1000));
  REQUIRE(wait.ok());
  CHECK(*wait == milliseconds(Store::kBatchWindowMs - 40));
  CHECK(store->unsynced());
  env.advance(milliseconds(Store::kBatchWindowMs - 40));
  wait = store->sync_if_due(milliseconds(1000));
  REQUIRE(wait.ok());
  CHECK(*wait == milliseconds(1000));
  CHECK_FALSE(store->unsynced());
  CHECK(store->stats().timed_syncs == 1);
  wait = store->sync_if_due(milliseconds(1000));  // nothing waits: nothing to do
  CHECK(store->stats().timed_syncs == 1);
}

TEST_CASE("a private copy of an older read-only file is migrated in memory only", "[store]") {
  TempDir dir;
  auto path = dir.file("old.db");
  std::ifstream dump(std::string(TRIGGER_TEST_DATA) + "/schema-1.sql");
  std::stringstream sql;
  sql << dump.rdbuf();
  exec_sql(path, sql.str().c_str());
  chmod(path.c_str(), 0400);
  std::string before = read_bytes(path);
  {
    auto store = open_store(path, Store::Mode::kPrivateCopy);
    CHECK(store->location() == path);
    auto triggers = store->list_triggers({});
    REQUIRE(triggers.ok());
    CHECK(triggers->size() == 2);
    // The copy is writable, at the current level.
    insert(*store, make_trigger("new"));
    CHECK(store->list_triggers({})->size() == 3);
  }
  CHECK(read_bytes(path) == before);
  CHECK(query_text(path, "PRAGMA user_version") == "1");
}

TEST_CASE("status reads the pass records back to the last ok one, at most kPassesCounted",
          "[store]") {
  TempDir dir;
  auto store = open_store(dir.file("t.db"));
  auto passes = [&](int count, trigger::PassOutcome outcome) {
    REQUIRE(store
                ->transaction([&]() -> trigger::Status {
                  for (int i = 0; i < count; ++i) {
                    trigger::PassRecord pass;
                    pass.owner = "test";
                    pass.started_epoch = kNow;
                    auto id = store->begin_pass(pass);
                    if (!id) return id.error();
                    pass.id = *id;
                    pass.finished_epoch = kNow;
                    pass.outcome = outcome;
                    if (auto ended = store->end_pass(pass); !ended) return ended;
                  }
                  return trigger::Ok{};
                })
                .ok());
  };
  auto pass_rows = [&](std::int64_t& failed) {
    auto before = store->stats().rows_read;
    auto figures = store->queue_figures(kNow);
    REQUIRE(figures.ok());
    failed = figures->failed_passes_in_a_row;
    return store->stats().rows_read - before;
  };
  passes(1, trigger::PassOutcome::kOk);
  std::int64_t failed = 0;
  auto healthy = pass_rows(failed);
  CHECK(failed == 0);
  passes(1500, trigger::PassOutcome::kFailed);
  auto failing = pass_rows(failed);
  CHECK(failed == trigger::QueueFigures::kPassesCounted);
  CHECK(failing - healthy == trigger::QueueFigures::kPassesCounted - 1);
  passes(1, trigger::PassOutcome::kOk);
  CHECK(pass_rows(failed) == healthy);  // the latest ok: one pass record read
  CHECK(failed == 0);
}
