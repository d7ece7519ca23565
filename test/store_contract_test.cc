// The store contract: one suite of behaviour tests that every Store backend must pass, through
// the public interface alone (trigger/store.h), including the guarantees that hold when several
// processes use one database at once. A backend joins by adding its row to backends(); the
// SQLite one is always there. Backend-specific behaviour (files, modes, migrations) is tested
// in its own file (store_test.cc for SQLite).
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "trigger/store.h"
#include "trigger/trigger.h"

namespace {

using trigger::Epoch;
using trigger::HistoryRecord;
using trigger::Outcome;
using trigger::State;
using trigger::Status;
using trigger::Store;
using trigger::Task;
using trigger::Trigger;

constexpr Epoch kNow = 1800000000;

// A backend under test: its name, and the location of a new empty database in `directory`.
struct Backend {
  std::string name;
  std::function<std::string(const std::string& directory)> location;
};

const std::vector<Backend>& backends() {
  static const std::vector<Backend> all = {
      {"sqlite", [](const std::string& directory) { return directory + "/contract.db"; }},
  };
  return all;
}

// A fresh directory for the database, removed at scope exit.
class Scratch {
 public:
  Scratch() {
    char pattern[] = "/tmp/trigger-contract-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path_ = pattern;
  }
  ~Scratch() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<Store> open(const std::string& location) {
  auto store = Store::open(location, Store::Mode::kReadWrite);
  INFO((store.ok() ? "" : store.error().message()));
  REQUIRE(store.ok());
  return std::move(*store);
}

Trigger make_trigger(const std::string& name, std::map<std::string, std::string> labels = {}) {
  trigger::TriggerSpec spec;
  if (!name.empty()) spec.name = name;
  spec.clock = {trigger::ClockKind::kEvery, "1h", std::nullopt};
  spec.tz = "UTC";
  spec.action = *trigger::make_action(trigger::ActionKind::kShell, {"true"}, {}, std::nullopt);
  auto built = trigger::build_trigger(spec, kNow);
  REQUIRE(built.ok());
  built->labels = std::move(labels);
  return *built;
}

template <class T>
Status status_of(const trigger::Result<T>& result) {
  if (!result) return result.error();
  return trigger::Ok{};
}

std::int64_t insert(Store& store, const Trigger& trigger) {
  std::int64_t id = 0;
  REQUIRE(store
              .transaction([&]() -> Status {
                auto inserted = store.insert_trigger(trigger);
                if (!inserted) return inserted.error();
                id = *inserted;
                return trigger::Ok{};
              })
              .ok());
  return id;
}

Task make_task(std::int64_t trigger_id, Epoch occurrence, bool serial = false) {
  Task task;
  task.trigger_id = trigger_id;
  task.scheduled_epoch = occurrence;
  task.due_epoch = occurrence;
  task.serial = serial;
  task.created_epoch = occurrence;
  return task;
}

trigger::LeaseHolder holder(const std::string& owner) {
  return {owner, "contract-host", "boot", static_cast<std::int64_t>(getpid()), 1};
}

std::vector<std::string> names(const std::vector<Trigger>& triggers) {
  std::vector<std::string> out;
  for (const auto& t : triggers) out.push_back(t.name.value_or("-"));
  return out;
}

// Run `work(i)` in `n` child processes at once, each with its own store on `location`; returns
// the numbers each printed, one vector per child. A child that fails exits non-zero and fails
// the test.
std::vector<std::vector<std::int64_t>> in_processes(
    int n, const std::string& location, const std::string& scratch,
    const std::function<std::vector<std::int64_t>(Store&, int)>& work) {
  std::vector<pid_t> children;
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      auto store = Store::open(location, Store::Mode::kReadWrite);
      if (!store) _exit(2);
      std::vector<std::int64_t> out = work(**store, i);
      std::ofstream file(scratch + "/child-" + std::to_string(i));
      for (auto value : out) file << value << "\n";
      file.close();
      _exit(file ? 0 : 3);
    }
    children.push_back(pid);
  }
  std::vector<std::vector<std::int64_t>> results;
  for (int i = 0; i < n; ++i) {
    int status = 0;
    REQUIRE(waitpid(children[i], &status, 0) == children[i]);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    std::ifstream file(scratch + "/child-" + std::to_string(i));
    std::vector<std::int64_t> values;
    for (std::int64_t value; file >> value;) values.push_back(value);
    results.push_back(std::move(values));
  }
  return results;
}

// In a child: run `body` in a transaction, again while the database is busy; a child that
// still fails exits 4 (which fails the test).
void commit_or_exit(Store& store, const std::function<Status()>& body) {
  Status status = store.transaction(body);
  for (int tries = 0; !status && status.error().kind() == trigger::ErrorKind::kBusy && tries < 50;
       ++tries) {
    usleep(20000);
    status = store.transaction(body);
  }
  if (!status) _exit(4);
}

// A new empty database of one backend: its scratch directory, location and store.
struct Database {
  std::string scratch;
  std::string location;
  std::unique_ptr<Store> store;
};

// Run `test` once per backend, each in its own section, on a new empty database.
void for_each_backend(const std::function<void(Database&)>& test) {
  for (const auto& backend : backends()) {
    SECTION(backend.name) {
      Scratch scratch;
      Database db{scratch.path(), backend.location(scratch.path()), nullptr};
      db.store = open(db.location);
      test(db);
    }
  }
}

}  // namespace

TEST_CASE("contract: a trigger reads back as written, by id and by name", "[contract]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    Trigger written = make_trigger("backup", {{"team", "ops"}});
    written.policy.max_runs = 3;
    written.policy.history_keep_seconds = 7 * 86400;
    written.policy.history_runs = 0;
    written.policy.user = "nobody";
    auto id = insert(*store, written);
    for (std::string ref : {std::string("backup"), std::to_string(id)}) {
      auto found = store->find_trigger(ref);
      REQUIRE(found.ok());
      CHECK(found->id == id);
      CHECK(found->name == "backup");
      CHECK(found->clock == written.clock);
      CHECK(found->action.argv == written.action.argv);
      CHECK(found->policy.max_runs == 3);
      CHECK(found->policy.history_keep_seconds == 7 * 86400);
      CHECK(found->policy.history_runs == 0);
      CHECK(found->policy.user == "nobody");
      CHECK(found->labels == written.labels);
      CHECK(found->version == 1);
    }
    CHECK(store->find_trigger("nothing").error().kind() == trigger::ErrorKind::kNotFound);
    CHECK(*store->id_of("backup") == id);
    CHECK_FALSE(store->id_of("nothing")->has_value());
  });
}

TEST_CASE("contract: every change bumps the version; a taken name is refused", "[contract]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    auto a = insert(*store, make_trigger("a"));
    insert(*store, make_trigger("b"));
    CHECK(*store->counter("version") == 2);
    Status taken = store->transaction(
        [&]() -> Status { return status_of(store->insert_trigger(make_trigger("a"))); });
    REQUIRE_FALSE(taken.ok());
    CHECK(taken.error().kind() == trigger::ErrorKind::kData);
    CHECK(*store->counter("version") == 2);  // the refused insert changed nothing
    REQUIRE(store->transaction([&] { return store->set_state(a, State::kPaused, kNow); }).ok());
    CHECK(store->find_trigger("a")->version == 3);
    auto changed = store->triggers_changed_since(1, 10);
    REQUIRE(changed.ok());
    REQUIRE(changed->size() == 2);
    CHECK((*changed)[0].version == 2);  // b, then a: in version order
    CHECK((*changed)[1].id == a);
  });
}

TEST_CASE("contract: list filters by state, name pattern and every label", "[contract]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    insert(*store, make_trigger("db-1", {{"team", "ops"}, {"tier", "1"}}));
    insert(*store, make_trigger("db-2", {{"team", "ops"}}));
    auto web = insert(*store, make_trigger("web", {{"team", "dev"}, {"tier", "1"}}));
    insert(*store, make_trigger(""));
    REQUIRE(
        store->transaction([&] { return store->set_state(web, State::kCancelled, kNow); }).ok());
    trigger::TriggerFilter filter;
    CHECK(names(*store->list_triggers(filter)) == std::vector<std::string>{"db-1", "db-2", "-"});
    filter.include_finished = true;
    CHECK(store->list_triggers(filter)->size() == 4);
    filter.state = State::kCancelled;
    CHECK(names(*store->list_triggers(filter)) == std::vector<std::string>{"web"});
    filter = {};
    filter.name_pattern = "db-?";
    CHECK(names(*store->list_triggers(filter)) == std::vector<std::string>{"db-1", "db-2"});
    filter.name_pattern = "*[2]";
    CHECK(names(*store->list_triggers(filter)) == std::vector<std::string>{"db-2"});
    filter.name_pattern = "DB*";  // case-sensitive
    CHECK(store->list_triggers(filter)->empty());
    filter = {};
    filter.include_finished = true;
    filter.labels = {{"team", "ops"}, {"tier", "1"}};
    CHECK(names(*store->list_triggers(filter)) == std::vector<std::string>{"db-1"});
    filter.labels = {{"tier", "1"}};
    CHECK(names(*store->list_triggers(filter)) == std::vector<std::string>{"db-1", "web"});
    filter.labels = {{"team", "ops"}, {"team", "dev"}};  // both must hold: none does
    CHECK(store->list_triggers(filter)->empty());
  });
}

TEST_CASE("contract: a transaction is all or nothing; a nested one undoes only its own",
          "[contract]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    Status failed = store->transaction([&]() -> Status {
      if (auto inserted = store->insert_trigger(make_trigger("gone")); !inserted)
        return inserted.error();
      return trigger::data_error("the body fails");
    });
    CHECK_FALSE(failed.ok());
    CHECK_FALSE(store->id_of("gone")->has_value());
    REQUIRE(store
                ->transaction([&]() -> Status {
                  if (auto kept = store->insert_trigger(make_trigger("kept")); !kept)
                    return kept.error();
                  Status inner = store->transaction([&]() -> Status {
                    REQUIRE(store->insert_trigger(make_trigger("undone")).ok());
                    return trigger::data_error("the inner body fails");
                  });
                  CHECK_FALSE(inner.ok());
                  return trigger::Ok{};
                })
                .ok());
    CHECK(store->id_of("kept")->has_value());
    CHECK_FALSE(store->id_of("undone")->has_value());
    REQUIRE(
        store->rehearse([&] { return status_of(store->insert_trigger(make_trigger("rehearsed"))); })
            .ok());
    CHECK_FALSE(store->id_of("rehearsed")->has_value());
    CHECK(store->stats().changes_committed > 0);
  });
}

TEST_CASE("contract: a task is queued once, leased once, and finished only by its lease",
          "[contract]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    auto id = insert(*store, make_trigger("job"));
    CHECK(*store->insert_task(make_task(id, kNow)));
    CHECK_FALSE(*store->insert_task(make_task(id, kNow)));  // the same occurrence
    CHECK(*store->open_tasks(id) == 1);
    auto leased = store->lease_tasks(holder("a"), kNow, 60, 10);
    REQUIRE(leased.ok());
    REQUIRE(leased->size() == 1);
    Task task = leased->front();
    CHECK(task.attempt == 1);
    CHECK(task.lease_owner == "a");
    CHECK(task.lease_expires_epoch == kNow + 60);
    CHECK(store->lease_tasks(holder("b"), kNow + 1000, 60, 10)->empty());  // even expired
    Task stale = task;
    stale.attempt = 0;
    HistoryRecord record;
    record.trigger_id = id;
    record.event_id = trigger::event_id(id, kNow, false);
    record.outcome = Outcome::kSucceeded;
    record.recorded_epoch = kNow;
    CHECK_FALSE(*store->complete_task(stale, record));  // not the lease's attempt
    CHECK(*store->renew_leases("a", kNow + 120) == 1);
    CHECK(*store->complete_task(task, record));
    CHECK(*store->open_tasks(id) == 0);
    CHECK_FALSE(*store->complete_task(task, record));  // once
    trigger::HistoryFilter filter;
    filter.trigger_id = id;
    auto history = store->history(filter);
    REQUIRE(history->size() == 1);
    CHECK(history->front().outcome == Outcome::kSucceeded);
  });
}

TEST_CASE("contract: serial tasks wait for the one before; requeued tasks keep their place",
          "[contract]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    auto id = insert(*store, make_trigger("serial"));
    REQUIRE(*store->insert_task(make_task(id, kNow, true)));
    REQUIRE(*store->insert_task(make_task(id, kNow + 60, true)));
    auto first = store->lease_tasks(holder("a"), kNow + 120, 60, 10);
    REQUIRE(first->size() == 1);  // the second waits for the first
    CHECK(*store->release_task(first->front()));
    auto again = store->lease_tasks(holder("a"), kNow + 120, 60, 10);
    REQUIRE(again->size() == 1);
    CHECK(again->front().id == first->front().id);
    CHECK(again->front().attempt == 1);  // the unstarted attempt was given back
    HistoryRecord attempt = HistoryRecord::of_run(again->front(), Outcome::kRetried, "exit 3", kNow);
    attempt.count = 0;
    attempt.output = "first attempt's output\n";
    CHECK(*store->retry_task(again->front(), kNow + 500, attempt));
    CHECK_FALSE(*store->retry_task(again->front(), kNow + 500, attempt));  // lease gone: no record
    trigger::HistoryFilter of_trigger;
    of_trigger.trigger_id = id;
    auto attempts = store->history(of_trigger);
    REQUIRE(attempts->size() == 1);
    CHECK(attempts->front().outcome == Outcome::kRetried);
    CHECK(attempts->front().count == 0);
    CHECK(attempts->front().output == "first attempt's output\n");
    CHECK(store->lease_tasks(holder("a"), kNow + 499, 60, 10)->empty());
    auto retried = store->lease_tasks(holder("a"), kNow + 500, 60, 10);
    REQUIRE(retried->size() == 1);
    CHECK(retried->front().attempt == 2);
    HistoryRecord interrupted;
    interrupted.trigger_id = id;
    interrupted.outcome = Outcome::kInterrupted;
    interrupted.count = 0;
    interrupted.recorded_epoch = kNow;
    CHECK(*store->interrupt_task(retried->front(), interrupted));
    CHECK_FALSE(*store->interrupt_task(retried->front(), interrupted));
    auto after = store->lease_tasks(holder("b"), kNow + 500, 60, 10);
    REQUIRE(after->size() == 1);
    CHECK(after->front().interrupted == 1);
    CHECK(*store->cancel_tasks(id, kNow) == 1);  // the second, not the leased first
    CHECK(*store->open_tasks(id) == 1);
  });
}

TEST_CASE("contract: a deleted trigger's id is never given again", "[contract]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    insert(*store, make_trigger("first"));
    auto top = insert(*store, make_trigger("top"));
    REQUIRE(store->delete_trigger(top, true, kNow).ok());  // the highest id, history kept
    auto next = insert(*store, make_trigger("next"));
    CHECK(next > top);
    REQUIRE(store->delete_trigger(next, false, kNow).ok());
    CHECK(insert(*store, make_trigger("after")) > next);
  });
}

TEST_CASE("contract: delete_trigger refuses a leased run, else removes the trigger and its rows",
          "[contract]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    auto id = insert(*store, make_trigger("gone"));
    auto kept = insert(*store, make_trigger("kept"));
    CHECK(*store->insert_task(make_task(id, kNow)));
    CHECK(*store->insert_task(make_task(id, kNow + 60)));
    auto leased = store->lease_tasks(holder("a"), kNow, 60, 1);
    REQUIRE(leased->size() == 1);
    auto busy = store->delete_trigger(id, false, kNow);
    REQUIRE_FALSE(busy.ok());
    CHECK(busy.error().kind() == trigger::ErrorKind::kBusy);
    CHECK(*store->open_tasks(id) == 2);  // nothing written
    CHECK(*store->release_task(leased->front()));
    auto version = *store->counter("version");
    auto kept_history = store->delete_trigger(id, true, kNow);
    REQUIRE(kept_history.ok());
    CHECK(kept_history->runs_cancelled == 2);
    CHECK(kept_history->history_deleted == 0);
    CHECK(*store->counter("version") > version);
    CHECK(*store->open_tasks(id) == 0);
    CHECK_FALSE(store->event(id)->exists);
    CHECK(store->find_trigger("gone").error().kind() == trigger::ErrorKind::kNotFound);
    CHECK(store->trigger_for_pass(id).error().kind() == trigger::ErrorKind::kNotFound);
    trigger::HistoryFilter of_gone;
    of_gone.trigger_id = id;
    CHECK(store->history(of_gone)->size() == 2);  // the cancelled runs
    CHECK(store->delete_trigger(id, false, kNow).error().kind() == trigger::ErrorKind::kNotFound);
    auto all = store->delete_trigger(kept, false, kNow);
    REQUIRE(all.ok());
    trigger::TriggerFilter every;
    every.include_finished = true;
    CHECK(store->list_triggers(every)->empty());
  });
}

TEST_CASE("contract: passes and history are journalled and pruned", "[contract]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    auto id = insert(*store, make_trigger("j"));
    for (int i = 0; i < 3; ++i) {
      HistoryRecord record;
      record.trigger_id = id;
      record.outcome = i == 1 ? Outcome::kFailed : Outcome::kSucceeded;
      record.recorded_epoch = kNow + i;
      record.finished_epoch = kNow + i;
      REQUIRE(store->append_history(record).ok());
    }
    trigger::HistoryFilter filter;
    auto all = store->history(filter);
    REQUIRE(all->size() == 3);
    CHECK(all->front().recorded_epoch == kNow + 2);  // newest first
    CHECK(all->front().trigger_name == "j");
    filter.failed_only = true;
    CHECK(store->history(filter)->size() == 1);
    filter = {};
    filter.since = kNow + 1;
    CHECK(store->history(filter)->size() == 2);
    HistoryRecord skipped;
    skipped.trigger_id = id;
    skipped.outcome = Outcome::kSkipped;
    skipped.recorded_epoch = kNow - trigger::kDefaultHistoryKeepSeconds;
    REQUIRE(store->append_history(skipped).ok());
    auto pruned = store->prune_history(kNow, kNow, 100);
    CHECK(pruned->deleted == 1);
    CHECK(pruned->kept == 0);
    CHECK(store->history({})->size() == 3);
    trigger::PassRecord pass;
    pass.owner = "p";
    pass.started_epoch = kNow;
    auto pass_id = store->begin_pass(pass);
    REQUIRE(pass_id.ok());
    pass.id = *pass_id;
    pass.finished_epoch = kNow + 1;
    pass.outcome = trigger::PassOutcome::kOk;
    pass.fired = 7;
    REQUIRE(store->end_pass(pass, Store::PassWork::kWorked).ok());
    auto last = store->last_pass();
    REQUIRE(last->has_value());
    CHECK((*last)->fired == 7);
    CHECK((*last)->outcome == trigger::PassOutcome::kOk);
  });
}

namespace {

// History records of one trigger, appended at chosen times, read back oldest first.
struct Journal {
  Store& store;
  std::int64_t trigger_id;

  std::int64_t append(Outcome outcome, Epoch at, std::string reason = "", std::int64_t count = 1) {
    HistoryRecord record;
    record.trigger_id = trigger_id;
    record.outcome = outcome;
    record.count = count;
    record.reason = std::move(reason);
    record.recorded_epoch = at;
    auto appended = store.append_history(record);
    REQUIRE(appended.ok());
    return *appended;
  }
  std::vector<std::int64_t> ids() {
    trigger::HistoryFilter filter;
    filter.trigger_id = trigger_id;
    filter.limit = 1000;
    auto records = store.history(filter);
    REQUIRE(records.ok());
    std::vector<std::int64_t> ids;
    for (auto it = records->rbegin(); it != records->rend(); ++it) ids.push_back(it->id);
    return ids;
  }
  Store::PruneSlice prune(Epoch now) {
    auto slice = store.prune_history(now, now - trigger::kDefaultHistoryKeepSeconds, 1000);
    REQUIRE(slice.ok());
    return *slice;
  }
  void set_retention(std::int64_t keep_seconds, std::int64_t runs) {
    auto stored = store.find_trigger(std::to_string(trigger_id));
    REQUIRE(stored.ok());
    stored->policy.history_keep_seconds = keep_seconds;
    stored->policy.history_runs = runs;
    REQUIRE(store.transaction([&] { return store.update_trigger(*stored); }).ok());
  }
};

constexpr Epoch kDay = 86400;

// A new trigger `name` keeping `keep_seconds` of history and `runs` runs, and its journal.
Journal new_journal(Store& store, const std::string& name, std::int64_t keep_seconds,
                    std::int64_t runs) {
  Trigger written = make_trigger(name);
  written.policy.history_keep_seconds = keep_seconds;
  written.policy.history_runs = runs;
  return Journal{store, insert(store, written)};
}

}  // namespace

TEST_CASE("contract: history keeps a creation record and the newest runs whatever their age",
          "[contract][retention]") {
  for_each_backend([](Database& db) {
    Journal j = new_journal(*db.store, "r", kDay, 3);
    auto created = j.append(Outcome::kEdit, kNow, "created; next - -> x");
    std::vector<std::int64_t> runs;
    for (int i = 1; i <= 5; ++i) {
      runs.push_back(j.append(i == 2 ? Outcome::kFailed : Outcome::kSucceeded, kNow + i * 3600));
    }
    j.append(Outcome::kSkipped, kNow + 3600 + 1);
    j.append(Outcome::kEdit, kNow + 7200, "scheduled: --retries 1; next x -> y");
    j.append(Outcome::kFailed, kNow + 7200, "clock set aside", 0);  // count 0: not a run
    CHECK(j.prune(kNow + kDay - 1).kept == 0);                      // nothing is a day old yet
    auto slice = j.prune(kNow + 10 * kDay);
    CHECK(slice.deleted == 5);  // two old runs, the skip, the edit, the clock set aside
    CHECK(slice.kept == 4);     // the creation record and the newest three runs
    CHECK(j.ids() == std::vector<std::int64_t>{created, runs[2], runs[3], runs[4]});
    // What is kept is not read again: a later slice finds nothing due.
    slice = j.prune(kNow + 20 * kDay);
    CHECK((slice.deleted == 0 && slice.kept == 0));
    // A new run pushes the oldest kept one out: its time has long come.
    auto newest = j.append(Outcome::kTimedOut, kNow + 20 * kDay);
    slice = j.prune(kNow + 20 * kDay);
    CHECK((slice.deleted == 1 && slice.kept == 0));
    CHECK(j.ids() == std::vector<std::int64_t>{created, runs[3], runs[4], newest});
  });
}

TEST_CASE("contract: a retention edit applies to the records already written",
          "[contract][retention]") {
  for_each_backend([](Database& db) {
    Journal j = new_journal(*db.store, "e", kDay, 3);
    auto created = j.append(Outcome::kEdit, kNow, "created by import; next - -> x");
    std::vector<std::int64_t> runs;
    for (int i = 1; i <= 3; ++i) runs.push_back(j.append(Outcome::kSucceeded, kNow + i));
    CHECK(j.prune(kNow + 2 * kDay).kept == 4);
    // Fewer runs kept: the two older kept runs may go at once.
    j.set_retention(kDay, 1);
    auto slice = j.prune(kNow + 2 * kDay);
    CHECK((slice.deleted == 2 && slice.kept == 2));
    CHECK(j.ids() == std::vector<std::int64_t>{created, runs[2]});
    // A longer keep: a young record waits for it; a shorter one: it goes sooner.
    auto young = j.append(Outcome::kSkipped, kNow + 2 * kDay);
    j.set_retention(30 * kDay, 0);
    CHECK(j.prune(kNow + 4 * kDay).deleted == 0);
    j.set_retention(kDay, 0);
    slice = j.prune(kNow + 4 * kDay);
    CHECK((slice.deleted == 2 && slice.kept == 1));  // the young record and the last run
    CHECK(j.ids() == std::vector<std::int64_t>{created});
    (void)young;
    // An edit that leaves the retention alone leaves the records alone.
    j.append(Outcome::kSkipped, kNow + 4 * kDay);
    auto stored = db.store->find_trigger("e");
    stored->policy.retries = 2;
    REQUIRE(db.store->transaction([&] { return db.store->update_trigger(*stored); }).ok());
    CHECK(j.prune(kNow + 4 * kDay + 1).deleted == 0);
    CHECK(j.prune(kNow + 5 * kDay + 1).deleted == 1);
  });
}

TEST_CASE("contract: history of a trigger that is gone keeps the default, and nothing more",
          "[contract][retention]") {
  for_each_backend([](Database& db) {
    Journal gone{*db.store, 999};
    gone.append(Outcome::kEdit, kNow, "created; next - -> x");
    gone.append(Outcome::kSucceeded, kNow);
    CHECK(gone.prune(kNow + trigger::kDefaultHistoryKeepSeconds - 1).deleted == 0);
    auto slice = gone.prune(kNow + trigger::kDefaultHistoryKeepSeconds);
    CHECK((slice.deleted == 2 && slice.kept == 0));
  });
}

TEST_CASE("contract: pruning by age alone still keeps what is kept whatever its age",
          "[contract][retention]") {
  for_each_backend([](Database& db) {
    Journal j = new_journal(*db.store, "a", trigger::kDefaultHistoryKeepSeconds, 2);
    auto created = j.append(Outcome::kEdit, kNow, "created; next - -> x");
    std::vector<std::int64_t> runs;
    for (int i = 1; i <= 4; ++i) runs.push_back(j.append(Outcome::kSucceeded, kNow + i));
    j.append(Outcome::kSkipped, kNow + 5);
    auto young = j.append(Outcome::kSkipped, kNow + 100);
    std::int64_t deleted = 0;
    std::int64_t slices = 0;
    for (std::optional<std::int64_t> from = 0; from; ++slices) {
      auto slice = db.store->prune_history_before(kNow + 50, *from, 2);
      REQUIRE(slice.ok());
      deleted += slice->deleted;
      from = slice->next_id;
    }
    CHECK(deleted == 3);  // two runs and a skip, though 30 days are far off
    CHECK(slices == 4);   // ids 0-1, 2-3, 4-5, 6-7 (the last id is 7)
    CHECK(j.ids() == std::vector<std::int64_t>{created, runs[2], runs[3], young});
  });
}

TEST_CASE("contract: a trigger is failing from its newest run until acknowledged", "[contract]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    auto id = insert(*store, make_trigger("f", {{"team", "ops"}}));
    auto append = [&](Outcome outcome, std::int64_t count = 1) {
      HistoryRecord record;
      record.trigger_id = id;
      record.outcome = outcome;
      record.count = count;
      record.event_id = "e" + std::to_string(static_cast<int>(outcome));
      record.started_epoch = kNow;
      record.finished_epoch = kNow + 5;
      record.recorded_epoch = kNow + 5;
      auto appended = store->append_history(record);
      REQUIRE(appended.ok());
      return *appended;
    };
    auto state = [&]() {
      auto run = store->run_state(id);
      REQUIRE(run.ok());
      REQUIRE(run->has_value());
      return **run;
    };
    CHECK_FALSE(state().failing);
    CHECK_FALSE(state().last_run_id.has_value());
    // Without an event row there is nothing to acknowledge.
    CHECK_FALSE(*store->acknowledge_failures(id, 1));
    trigger::EventRow row;
    row.trigger_id = id;
    row.next_event_epoch = kNow + 60;
    REQUIRE(store->write_event(row).ok());
    auto failed = append(Outcome::kFailed);
    append(Outcome::kEdit);
    append(Outcome::kSkipped);
    append(Outcome::kFailed, 0);  // a clock set aside is not a run
    auto run = state();
    CHECK(run.failing);
    CHECK(run.last_run_id == failed);
    CHECK(run.last_outcome == Outcome::kFailed);
    CHECK(run.last_started_epoch == kNow);
    CHECK(run.last_finished_epoch == kNow + 5);
    CHECK(run.next_event_epoch == kNow + 60);
    CHECK(run.labels == std::vector<std::pair<std::string, std::string>>{{"team", "ops"}});
    auto figures = store->queue_figures(kNow);
    REQUIRE(figures->runs.size() == 1);
    CHECK(figures->runs[0].failing);
    // Acknowledged: no longer failing, and a lower id never takes it back.
    CHECK(*store->acknowledge_failures(id, failed));
    CHECK(*store->acknowledge_failures(id, failed - 1));
    CHECK_FALSE(state().failing);
    auto timed_out = append(Outcome::kTimedOut);
    CHECK(state().failing);
    CHECK(state().last_run_id == timed_out);
    append(Outcome::kSucceeded);
    CHECK_FALSE(state().failing);
    append(Outcome::kFailed);
    CHECK(state().failing);
    REQUIRE(store->set_state(id, State::kPaused, kNow).ok());
    CHECK_FALSE(state().failing);  // only active triggers fail
    CHECK_FALSE(store->run_state(id + 1)->has_value());
  });
}

TEST_CASE("contract, at once: no two owners ever lease the same task", "[contract][processes]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    const std::string& location = db.location;
    auto id = insert(*store, make_trigger("many"));
    constexpr int kTasks = 300;
    REQUIRE(store
                ->transaction([&]() -> Status {
                  for (int i = 0; i < kTasks; ++i) {
                    if (auto queued = store->insert_task(make_task(id, kNow + i)); !queued)
                      return queued.error();
                  }
                  return trigger::Ok{};
                })
                .ok());
    auto leased = in_processes(4, location, db.scratch, [&](Store& mine, int i) {
      std::vector<std::int64_t> ids;
      std::string owner = "owner-" + std::to_string(i);
      for (bool more = true; more;) {
        commit_or_exit(mine, [&]() -> Status {
          auto got = mine.lease_tasks(holder(owner), kNow + kTasks, 60, 3);
          if (!got) return got.error();
          more = !got->empty();
          for (const auto& task : *got) ids.push_back(task.id);
          return trigger::Ok{};
        });
      }
      return ids;
    });
    std::set<std::int64_t> distinct;
    std::size_t total = 0;
    int children_that_leased = 0;
    for (const auto& ids : leased) {
      total += ids.size();
      distinct.insert(ids.begin(), ids.end());
      children_that_leased += ids.empty() ? 0 : 1;
    }
    CHECK(total == kTasks);            // every task leased ...
    CHECK(distinct.size() == kTasks);  // ... by one owner only
    CHECK(store->lease_tasks(holder("late"), kNow + kTasks, 60, 10)->empty());
    INFO("children that leased: " << children_that_leased);
    CHECK(children_that_leased >= 1);
  });
}

TEST_CASE("contract, at once: an occurrence is queued once however many queue it",
          "[contract][processes]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    const std::string& location = db.location;
    auto id = insert(*store, make_trigger("once"));
    constexpr int kOccurrences = 100;
    auto queued = in_processes(4, location, db.scratch, [&](Store& mine, int) {
      std::vector<std::int64_t> won;
      for (int i = 0; i < kOccurrences; ++i) {
        commit_or_exit(mine, [&]() -> Status {
          auto inserted = mine.insert_task(make_task(id, kNow + i));
          if (!inserted) return inserted.error();
          if (*inserted) won.push_back(i);
          return trigger::Ok{};
        });
      }
      return won;
    });
    std::multiset<std::int64_t> winners;
    for (const auto& won : queued) winners.insert(won.begin(), won.end());
    CHECK(winners.size() == kOccurrences);  // one true per occurrence, over all processes
    CHECK(std::set<std::int64_t>(winners.begin(), winners.end()).size() == kOccurrences);
    CHECK(*store->open_tasks(id) == kOccurrences);
  });
}

TEST_CASE("contract, at once: a read-and-advance of the cursor is never lost",
          "[contract][processes]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    const std::string& location = db.location;
    constexpr int kAdvances = 50;
    in_processes(4, location, db.scratch, [&](Store& mine, int) {
      for (int i = 0; i < kAdvances; ++i) {
        commit_or_exit(mine, [&]() -> Status {
          auto cursor = mine.counter("cursor");
          if (!cursor) return cursor.error();
          return mine.set_counter("cursor", *cursor + 1);
        });
      }
      return std::vector<std::int64_t>{};
    });
    CHECK(*store->counter("cursor") == 4 * kAdvances);
  });
}

TEST_CASE("contract, at once: of several reclaimers of one lease, one wins",
          "[contract][processes]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    const std::string& location = db.location;
    auto id = insert(*store, make_trigger("reclaimed"));
    REQUIRE(*store->insert_task(make_task(id, kNow)));
    auto leased = store->lease_tasks(holder("dead"), kNow, 60, 1);
    REQUIRE(leased->size() == 1);
    Task task = leased->front();
    auto wins = in_processes(4, location, db.scratch, [&](Store& mine, int) {
      HistoryRecord record;
      record.trigger_id = id;
      record.outcome = Outcome::kInterrupted;
      record.count = 0;
      record.recorded_epoch = kNow;
      bool won = false;
      commit_or_exit(mine, [&]() -> Status {
        auto reclaimed = mine.interrupt_task(task, record);
        if (!reclaimed) return reclaimed.error();
        won = *reclaimed;
        return trigger::Ok{};
      });
      return won ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{};
    });
    std::size_t winners = 0;
    for (const auto& won : wins) winners += won.size();
    CHECK(winners == 1);
    trigger::HistoryFilter filter;
    filter.trigger_id = id;
    CHECK(store->history(filter)->size() == 1);  // one interrupted record
  });
}

TEST_CASE("contract: an edit record reads back with who made it", "[contract]") {
  for_each_backend([](Database& db) {
    auto& store = db.store;
    auto id = insert(*store, make_trigger("edited", {}));
    HistoryRecord edit =
        HistoryRecord::of_trigger(id, Outcome::kEdit, "updated; retries: 0 -> 1", kNow);
    edit.editor = trigger::Identity{"alice", 1000, std::string("bob")};
    REQUIRE(store->append_history(edit).ok());
    HistoryRecord nameless = HistoryRecord::of_trigger(id, Outcome::kEdit, "paused", kNow + 1);
    nameless.editor = trigger::Identity{"", 1234, std::nullopt};
    REQUIRE(store->append_history(nameless).ok());
    REQUIRE(
        store
            ->append_history(HistoryRecord::of_trigger(id, Outcome::kFailed, "set aside", kNow + 2))
            .ok());
    auto records = store->history({});
    REQUIRE(records.ok());
    REQUIRE(records->size() == 3);
    CHECK(!(*records)[0].editor);  // newest first: the record of no edit names no one
    CHECK((*records)[1].editor ==
          std::optional<trigger::Identity>(trigger::Identity{"", 1234, std::nullopt}));
    CHECK((*records)[2].editor ==
          std::optional<trigger::Identity>(trigger::Identity{"alice", 1000, std::string("bob")}));
  });
}

namespace {

Trigger locked_trigger(const std::string& name, const std::string& locks) {
  Trigger trigger = make_trigger(name);
  if (!locks.empty())
    REQUIRE(
        trigger::set_policy_option(trigger.policy, "lock", locks, kNow, trigger::Zone::utc()).ok());
  return trigger;
}

std::set<std::int64_t> trigger_ids(const std::vector<Task>& tasks) {
  std::set<std::int64_t> ids;
  for (const auto& task : tasks) ids.insert(task.trigger_id);
  return ids;
}

}  // namespace

TEST_CASE("contract: a task whose trigger shares a lock with a leased one waits, and says how long",
          "[contract][lock]") {
  for_each_backend([](Database& db) {
    auto& store = *db.store;
    auto a = insert(store, locked_trigger("a", "nightly"));
    auto b = insert(store, locked_trigger("b", "nightly,other"));
    auto c = insert(store, locked_trigger("c", ""));
    REQUIRE(store.find_trigger(std::to_string(b))->policy.locks ==
            std::vector<std::string>{"nightly", "other"});
    for (auto id : {a, b, c}) REQUIRE(status_of(store.insert_task(make_task(id, kNow))).ok());
    std::vector<Task> first;
    REQUIRE(store
                .transaction([&]() -> Status {
                  first =
                      *store.lease_tasks(holder("one"), kNow, 60, 10);  // a and c: b waits for a
                  return trigger::Ok{};
                })
                .ok());
    CHECK(trigger_ids(first) == std::set<std::int64_t>{a, c});
    std::vector<Task> second;
    REQUIRE(store
                .transaction([&]() -> Status {
                  second =
                      *store.lease_tasks(holder("two"), kNow + 5, 60, 10);  // another pass: nothing
                  return trigger::Ok{};
                })
                .ok());
    CHECK(second.empty());
    for (const auto& task : first) {
      REQUIRE(store
                  .transaction([&]() -> Status {
                    auto done = store.complete_task(
                        task, HistoryRecord::of_run(task, Outcome::kSucceeded, "", kNow + 9));
                    return status_of(done);
                  })
                  .ok());
    }
    std::vector<Task> third;
    REQUIRE(store
                .transaction([&]() -> Status {
                  third = *store.lease_tasks(holder("two"), kNow + 9, 60, 10);
                  return trigger::Ok{};
                })
                .ok());
    REQUIRE(third.size() == 1);
    CHECK(third[0].trigger_id == b);
    CHECK(third[0].lock_wait_since == kNow);  // held back from the first lease on
    CHECK(third[0].lock_waited_seconds == 9);
    auto record = HistoryRecord::of_run(third[0], Outcome::kSucceeded, "", kNow + 10);
    CHECK(record.reason == "waited 9s for --lock nightly,other");
    CHECK(first[0].lock_waited_seconds == std::nullopt);
  });
}

TEST_CASE("contract, at once: runs of triggers sharing a lock never overlap, across passes",
          "[contract][processes][lock]") {
  for_each_backend([](Database& db) {
    constexpr int kEach = 15;
    Store& store = *db.store;
    const std::int64_t a = insert(store, locked_trigger("a", "shared"));
    const std::int64_t b = insert(store, locked_trigger("b", "shared"));
    REQUIRE(store
                .transaction([&]() -> Status {
                  for (int i = 0; i < kEach; ++i) {
                    for (auto id : {a, b}) {
                      if (auto queued = store.insert_task(make_task(id, kNow + i)); !queued)
                        return queued.error();
                    }
                  }
                  return trigger::Ok{};
                })
                .ok());
    auto micros = [] {
      return std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
    // Two passes: each leases, holds its runs 2 ms (the "command"), then completes them; each
    // run's interval is [after its lease commits, before its completion commits].
    auto intervals = in_processes(2, db.location, db.scratch, [&](Store& mine, int i) {
      std::vector<std::int64_t> out;
      std::string owner = "pass-" + std::to_string(i);
      for (int idle = 0; idle < 200;) {
        std::vector<Task> got;
        commit_or_exit(mine, [&]() -> Status {
          auto leased = mine.lease_tasks(holder(owner), kNow + kEach, 60, 2);
          if (!leased) return leased.error();
          got = *leased;
          return trigger::Ok{};
        });
        if (got.empty()) {
          ++idle;
          usleep(1000);
          continue;
        }
        if (got.size() != 1) _exit(5);  // two runs sharing the lock leased at once
        std::int64_t start = micros();
        usleep(2000);
        std::int64_t end = micros();
        commit_or_exit(mine, [&]() -> Status {
          return status_of(mine.complete_task(
              got[0], HistoryRecord::of_run(got[0], Outcome::kSucceeded, "", kNow + kEach)));
        });
        out.push_back(start);
        out.push_back(end);
      }
      return out;
    });
    std::vector<std::pair<std::int64_t, std::int64_t>> runs;
    for (const auto& values : intervals) {
      for (std::size_t i = 0; i + 1 < values.size(); i += 2)
        runs.emplace_back(values[i], values[i + 1]);
    }
    CHECK(runs.size() == 2 * kEach);  // nothing dropped
    std::sort(runs.begin(), runs.end());
    for (std::size_t i = 1; i < runs.size(); ++i) {
      INFO("run " << i);
      CHECK(runs[i].first >= runs[i - 1].second);  // never two at once
    }
  });
}
