#include "trigger/catalog.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <functional>
#include <sstream>

#include "trigger/identity.h"

using trigger::ClockKind;
using trigger::Epoch;
using trigger::ErrorKind;
using trigger::HistoryRecord;
using trigger::Outcome;
using trigger::State;
using trigger::Store;
using trigger::Trigger;

namespace {

constexpr Epoch kNow = 1796112000;  // 2026-12-01T08:00:00Z
constexpr Epoch kHour = 3600;

// A database in a private directory, as an application that links lib/ would use it.
class Catalog {
 public:
  Catalog() {
    char pattern[] = "/tmp/trigger-catalog-test-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    dir_ = pattern;
    auto opened = Store::open(dir_ + "/t.db", Store::Mode::kReadWrite);
    REQUIRE(opened.ok());
    store_ = std::move(*opened);
  }
  ~Catalog() {
    store_.reset();
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  Store& store() { return *store_; }

  // An hourly --log trigger named `name` (unnamed when empty).
  trigger::TriggerSpec spec(const std::string& name) {
    trigger::TriggerSpec spec;
    if (!name.empty()) spec.name = name;
    spec.clock = {ClockKind::kEvery, "1h", std::nullopt};
    spec.tz = "UTC";
    auto action = trigger::make_action(trigger::ActionKind::kLog, {"hello"});
    REQUIRE(action.ok());
    spec.action = *action;
    return spec;
  }

  Trigger create(const std::string& name, Epoch at = kNow) {
    auto created = trigger::create_trigger(*store_, spec(name), at);
    INFO((created.ok() ? "" : created.error().message()));
    REQUIRE(created.ok());
    return *created;
  }

  Trigger find(const std::string& ref) {
    auto found = trigger::load_trigger(*store_, ref);
    REQUIRE(found.ok());
    return *found;
  }

  // Every history record, oldest first.
  std::vector<HistoryRecord> history() {
    trigger::HistoryFilter filter;
    filter.limit = 1000;
    auto records = trigger::load_history(*store_, std::nullopt, filter);
    REQUIRE(records.ok());
    return {records->rbegin(), records->rend()};
  }

  std::vector<std::string> reasons() {
    std::vector<std::string> reasons;
    for (const auto& record : history()) reasons.push_back(record.reason);
    return reasons;
  }

  std::int64_t version() {
    auto version = store_->counter("version");
    REQUIRE(version.ok());
    return *version;
  }

 private:
  std::string dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace

TEST_CASE("a trigger is named by its name in quotes, else by its id", "[catalog]") {
  Trigger trigger;
  trigger.id = 7;
  CHECK(trigger::describe(trigger) == "trigger 7");
  trigger.name = "backup";
  CHECK(trigger::describe(trigger) == "'backup'");
}

TEST_CASE("an application that creates a trigger gets its created record", "[catalog]") {
  Catalog c;
  Trigger created = c.create("hourly");
  CHECK(created.id > 0);
  CHECK(created.name == "hourly");
  CHECK(created.state == State::kActive);
  CHECK(c.find("hourly").id == created.id);
  auto records = c.history();
  REQUIRE(records.size() == 1);
  CHECK(records[0].trigger_id == created.id);
  CHECK(records[0].outcome == Outcome::kEdit);
  CHECK(records[0].reason == "created; next - -> 2026-12-01T09:00:00Z");
  CHECK(records[0].recorded_epoch == kNow);
}

TEST_CASE("a create that is refused writes nothing", "[catalog]") {
  Catalog c;
  c.create("taken");
  auto version = c.version();
  SECTION("a bad name is kUsage") {
    auto created = trigger::create_trigger(c.store(), c.spec("no spaces"), kNow);
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().kind() == ErrorKind::kUsage);
  }
  SECTION("a name taken is kData") {
    auto created = trigger::create_trigger(c.store(), c.spec("taken"), kNow);
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().kind() == ErrorKind::kData);
  }
  CHECK(c.version() == version);
  CHECK(c.history().size() == 1);  // the first trigger's created record only
  auto all = trigger::load_triggers(c.store(), {});
  REQUIRE(all.ok());
  CHECK(all->size() == 1);
}

TEST_CASE("reschedule stores the moved trigger and records what changed", "[catalog]") {
  Catalog c;
  c.create("moved");
  trigger::ScheduleChange change;
  change.clock = trigger::ClockSpec{ClockKind::kEvery, "30m", std::nullopt};
  change.policy = {{"retries", "2"}};
  auto moved = trigger::reschedule(c.store(), "moved", change, kNow + 60);
  REQUIRE(moved.ok());
  CHECK(moved->clock == "--every 30m --from 2026-12-01T08:01:00Z");
  CHECK(moved->policy.retries == 2);
  CHECK(c.find("moved").clock == moved->clock);
  CHECK(c.reasons().back() ==
        "scheduled; clock: --every 1h --from 2026-12-01T08:00:00Z -> --every 30m --from "
        "2026-12-01T08:01:00Z; retries: 0 -> 2; next 2026-12-01T09:00:00Z -> 2026-12-01T08:31:00Z");
}

TEST_CASE("a reschedule that is refused changes nothing", "[catalog]") {
  Catalog c;
  c.create("kept");
  auto before = c.find("kept");
  auto version = c.version();
  SECTION("nothing to change is kUsage") {
    auto moved = trigger::reschedule(c.store(), "kept", {}, kNow);
    REQUIRE_FALSE(moved.ok());
    CHECK(moved.error().kind() == ErrorKind::kUsage);
  }
  SECTION("a bad zone is kUsage") {
    trigger::ScheduleChange change;
    change.tz = "Nowhere/Atlantis";
    auto moved = trigger::reschedule(c.store(), "kept", change, kNow);
    REQUIRE_FALSE(moved.ok());
    CHECK(moved.error().kind() == ErrorKind::kUsage);
  }
  SECTION("a missing trigger is kNotFound") {
    trigger::ScheduleChange change;
    change.policy = {{"retries", "1"}};
    auto moved = trigger::reschedule(c.store(), "gone", change, kNow);
    REQUIRE_FALSE(moved.ok());
    CHECK(moved.error().kind() == ErrorKind::kNotFound);
  }
  CHECK(c.version() == version);
  CHECK(c.find("kept").clock == before.clock);
  CHECK(c.history().size() == 1);
}

TEST_CASE("pause and resume move the state and record each move", "[catalog]") {
  Catalog c;
  c.create("a");
  c.create("b");
  auto paused = trigger::move_triggers(c.store(), {"a", "b", "a"}, State::kPaused, kNow);
  REQUIRE(paused.ok());
  REQUIRE(paused->size() == 2);  // each once, in the order first named
  CHECK((*paused)[0].name == "a");
  CHECK((*paused)[0].state == State::kPaused);
  CHECK(c.find("b").state == State::kPaused);
  CHECK(c.reasons().back() == "paused; state: active -> paused; next 2026-12-01T09:00:00Z -> -");
  // Already paused: nothing moves, nothing is recorded.
  auto again = trigger::move_triggers(c.store(), {"a"}, State::kPaused, kNow);
  REQUIRE(again.ok());
  CHECK(again->empty());
  CHECK(c.history().size() == 4);
  auto resumed = trigger::move_triggers(c.store(), {"a"}, State::kActive, kNow);
  REQUIRE(resumed.ok());
  CHECK(c.find("a").state == State::kActive);
  CHECK(c.reasons().back() == "resumed; state: paused -> active; next - -> 2026-12-01T09:00:00Z");
}

TEST_CASE("cancel cancels the queued runs and records how many", "[catalog]") {
  Catalog c;
  auto trigger = c.create("doomed");
  auto fired = trigger::fire_trigger(c.store(), "doomed", kNow + 10);
  REQUIRE(fired.ok());
  REQUIRE(*c.store().open_tasks(trigger.id) == 1);
  auto cancelled = trigger::move_triggers(c.store(), {"doomed"}, State::kCancelled, kNow + 20);
  REQUIRE(cancelled.ok());
  REQUIRE(cancelled->size() == 1);
  CHECK(c.find("doomed").state == State::kCancelled);
  CHECK(*c.store().open_tasks(trigger.id) == 0);
  auto records = c.history();
  REQUIRE(records.size() == 3);
  CHECK(records[1].outcome == Outcome::kCancelled);
  CHECK(records[1].event_id == fired->event_id);
  CHECK(records[2].reason ==
        "cancelled (1 queued run cancelled); state: active -> cancelled; next 2026-12-01T09:00:00Z "
        "-> -");
}

TEST_CASE("reset-failed, pause and cancel acknowledge a failed run, recording it", "[catalog]") {
  Catalog c;
  std::vector<Trigger> triggers;
  for (const char* name : {"a", "b", "p"}) {
    triggers.push_back(c.create(name));
    trigger::EventRow row;
    row.trigger_id = triggers.back().id;
    REQUIRE(c.store().write_event(row).ok());
    HistoryRecord failed;
    failed.trigger_id = triggers.back().id;
    failed.outcome = Outcome::kFailed;
    failed.event_id = std::to_string(triggers.back().id) + "-100";
    REQUIRE(c.store().append_history(failed).ok());
  }
  auto failing = [&](const Trigger& t) { return (*c.store().run_state(t.id))->failing; };
  REQUIRE(failing(triggers[0]));
  auto acknowledged = trigger::reset_failed(c.store(), {"a", "a"}, kNow);
  REQUIRE(acknowledged.ok());
  REQUIRE(acknowledged->size() == 1);
  CHECK((*acknowledged)[0].trigger.name == "a");
  CHECK((*acknowledged)[0].run.last_event_id == "1-100");
  CHECK_FALSE(failing(triggers[0]));
  CHECK(c.reasons().back().rfind("reset-failed: acknowledged the failure of event 1-100; next ",
                                 0) == 0);
  // Not failing any more: left alone, nothing recorded.
  auto size = c.history().size();
  REQUIRE(trigger::reset_failed(c.store(), {"a"}, kNow)->empty());
  CHECK(c.history().size() == size);
  // A missing name: nothing acknowledged.
  CHECK(trigger::reset_failed(c.store(), {"b", "nope"}, kNow).error().kind() ==
        trigger::ErrorKind::kNotFound);
  CHECK(failing(triggers[1]));
  REQUIRE(trigger::move_triggers(c.store(), {"p"}, State::kPaused, kNow).ok());
  CHECK(c.reasons().back().rfind(
            "paused (failure of event 3-100 acknowledged); state: active -> paused; next ", 0) ==
        0);
  REQUIRE(trigger::move_triggers(c.store(), {"p"}, State::kActive, kNow).ok());
  CHECK_FALSE(failing(triggers[2]));
  // No name: every failing trigger.
  auto all = trigger::reset_failed(c.store(), {}, kNow);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].trigger.name == "b");
}

TEST_CASE("the state machine refuses a move, and then nothing moves", "[catalog]") {
  Catalog c;
  c.create("a");
  auto cancelled = c.create("b");
  REQUIRE(trigger::move_triggers(c.store(), {"b"}, State::kCancelled, kNow).ok());
  auto version = c.version();
  auto records = c.history().size();
  SECTION("a cancelled trigger cannot be paused, even named after one that can") {
    auto moved = trigger::move_triggers(c.store(), {"a", "b"}, State::kPaused, kNow);
    REQUIRE_FALSE(moved.ok());
    CHECK(moved.error().kind() == ErrorKind::kData);
    CHECK(moved.error().message() == "trigger 'b' is cancelled; it cannot be paused");
  }
  SECTION("a cancelled trigger cannot be resumed") {
    auto moved = trigger::move_triggers(c.store(), {"b"}, State::kActive, kNow);
    REQUIRE_FALSE(moved.ok());
    CHECK(moved.error().message() == "trigger 'b' is cancelled; it cannot be resumed");
  }
  SECTION("a done trigger cannot be paused; cancelling it changes nothing") {
    REQUIRE(
        c.store().transaction([&] { return c.store().finish_trigger(cancelled.id, kNow); }).ok());
    auto done = c.create("");
    REQUIRE(c.store().transaction([&] { return c.store().finish_trigger(done.id, kNow); }).ok());
    version = c.version();
    records = c.history().size();
    auto moved = trigger::move_triggers(c.store(), {std::to_string(done.id)}, State::kPaused, kNow);
    REQUIRE_FALSE(moved.ok());
    CHECK(moved.error().message() ==
          "trigger '" + std::to_string(done.id) + "' is done; it cannot be paused");
    auto no_op =
        trigger::move_triggers(c.store(), {std::to_string(done.id)}, State::kCancelled, kNow);
    REQUIRE(no_op.ok());
    CHECK(no_op->empty());
  }
  SECTION("a missing name is kNotFound") {
    auto moved = trigger::move_triggers(c.store(), {"a", "nobody"}, State::kPaused, kNow);
    REQUIRE_FALSE(moved.ok());
    CHECK(moved.error().kind() == ErrorKind::kNotFound);
  }
  SECTION("only a pass finishes a trigger") {
    auto moved = trigger::move_triggers(c.store(), {"a"}, State::kDone, kNow);
    REQUIRE_FALSE(moved.ok());
    CHECK(moved.error().kind() == ErrorKind::kUsage);
  }
  CHECK(c.find("a").state == State::kActive);
  CHECK(c.version() == version);
  CHECK(c.history().size() == records);
}

TEST_CASE("fire queues one manual run and leaves the schedule alone", "[catalog]") {
  Catalog c;
  auto trigger = c.create("manual");
  auto fired = trigger::fire_trigger(c.store(), "manual", kNow + 5);
  REQUIRE(fired.ok());
  CHECK(fired->trigger.id == trigger.id);
  CHECK(fired->event_id == std::to_string(trigger.id) + "-m" + std::to_string(kNow + 5));
  CHECK(*c.store().open_tasks(trigger.id) == 1);
  CHECK(c.find("manual").clock == trigger.clock);
  SECTION("twice in one second is kData, and queues nothing more") {
    auto again = trigger::fire_trigger(c.store(), "manual", kNow + 5);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().kind() == ErrorKind::kData);
    CHECK(again.error().message() == "a manual run of 'manual' was already queued this second");
    CHECK(*c.store().open_tasks(trigger.id) == 1);
  }
  SECTION("a cancelled trigger cannot be fired") {
    REQUIRE(trigger::move_triggers(c.store(), {"manual"}, State::kCancelled, kNow + 6).ok());
    auto refused = trigger::fire_trigger(c.store(), "manual", kNow + 7);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message() == "trigger 'manual' is cancelled; it cannot be fired");
    CHECK(*c.store().open_tasks(trigger.id) == 0);
  }
  SECTION("a missing trigger is kNotFound") {
    auto missing = trigger::fire_trigger(c.store(), "other", kNow + 5);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind() == ErrorKind::kNotFound);
  }
}

TEST_CASE("import creates new triggers and updates named ones, recording each", "[catalog]") {
  Catalog c;
  auto kept = c.create("kept");
  REQUIRE(trigger::move_triggers(c.store(), {"kept"}, State::kPaused, kNow).ok());
  std::istringstream file(
      R"({"name": "kept", "clock": "--every 1h --from 2026-12-01T08:00:00Z", "tz": "UTC",)"
      R"( "action": "--log changed"})"
      "\n\n"
      R"({"name": "new", "clock": "--every 2h", "tz": "UTC", "action": "--log new"})"
      "\n");
  auto entries = trigger::read_import(file, kNow + kHour);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[1].line_number == 3);
  auto counts = trigger::import_triggers(c.store(), *entries, kNow + kHour);
  REQUIRE(counts.ok());
  CHECK(counts->created == 1);
  CHECK(counts->updated == 1);
  auto updated = c.find("kept");
  CHECK(updated.id == kept.id);
  CHECK(updated.state == State::kPaused);  // the line gave no state: it is kept
  CHECK(updated.action.text() == "--log changed");
  CHECK(updated.clock_set_epoch == kept.clock_set_epoch);  // same clock: same next time
  CHECK(c.find("new").state == State::kActive);
  auto reasons = c.reasons();
  REQUIRE(reasons.size() == 4);
  CHECK(reasons[2] == "updated by import; action: --log hello -> --log changed; next - -> -");
  CHECK(reasons[3] == "created by import; next - -> 2026-12-01T11:00:00Z");
}

TEST_CASE("an import file with a bad line is refused before anything is written", "[catalog]") {
  std::istringstream file(
      R"({"name": "a", "clock": "--every 1h", "tz": "UTC", "action": "--log a"})"
      "\n"
      R"({"name": "a", "clock": "--every 2h", "tz": "UTC", "action": "--log b"})"
      "\n");
  auto entries = trigger::read_import(file, kNow);
  REQUIRE_FALSE(entries.ok());
  CHECK(entries.error().kind() == ErrorKind::kData);
  CHECK(entries.error().message() == "line 2: name 'a' appears twice in the file");
  std::istringstream not_json("{\n");
  auto bad = trigger::read_import(not_json, kNow);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message().rfind("line 1: not valid JSON", 0) == 0);
}

namespace {

std::vector<trigger::ImportEntry> import_lines(const std::string& text, Epoch now) {
  std::istringstream file(text);
  auto entries = trigger::read_import(file, now);
  INFO((entries.ok() ? "" : entries.error().message()));
  REQUIRE(entries.ok());
  return *entries;
}

std::vector<std::string> outcomes(const trigger::ImportReport& report) {
  std::vector<std::string> out;
  for (const auto& change : report.changes) {
    std::string fields;
    for (const auto& field : change.fields) fields += " " + field;
    out.push_back(std::string(trigger::to_string(change.outcome)) + " " +
                  change.name.value_or("-") + fields);
  }
  return out;
}

const char* const kSyncFile =
    R"({"name": "hourly", "clock": "--every 1h", "tz": "UTC", "action": "--log h",)"
    R"( "labels": {"source": "git"}})"
    "\n"
    R"({"name": "daily", "clock": "--daily 09:00", "tz": "UTC", "action": "--sh 'echo d'",)"
    R"( "policy": {"retries": 2, "until": "2027-06-01T00:00:00Z"}, "labels": {"source": "git"}})"
    "\n";

}  // namespace

TEST_CASE("importing the same file again changes nothing and records nothing", "[catalog]") {
  Catalog c;
  auto first = trigger::import_triggers(c.store(), import_lines(kSyncFile, kNow), kNow);
  REQUIRE(first.ok());
  CHECK(first->created == 2);
  auto version = c.version();
  auto records = c.history().size();
  auto hourly = c.find("hourly");
  // An hour and a quarter later: the --every line without --from keeps its stored phase.
  Epoch later = kNow + kHour + 900;
  auto again = trigger::import_triggers(c.store(), import_lines(kSyncFile, later), later);
  REQUIRE(again.ok());
  CHECK(outcomes(*again) == std::vector<std::string>{"unchanged hourly", "unchanged daily"});
  CHECK(again->unchanged == 2);
  CHECK(c.version() == version);
  CHECK(c.history().size() == records);
  CHECK(c.find("hourly").clock == hourly.clock);
  CHECK(c.find("hourly").clock_set_epoch == hourly.clock_set_epoch);
  CHECK(c.find("hourly").updated_epoch == hourly.updated_epoch);
}

TEST_CASE("an import reports the fields a line changes, and changes only those lines",
          "[catalog]") {
  Catalog c;
  REQUIRE(trigger::import_triggers(c.store(), import_lines(kSyncFile, kNow), kNow).ok());
  auto version = c.version();
  std::string changed =
      R"({"name": "hourly", "clock": "--every 2h", "tz": "UTC", "action": "--log h",)"
      R"( "labels": {"source": "git"}, "state": "paused"})"
      "\n"
      R"({"name": "daily", "clock": "--daily 09:00", "tz": "UTC", "action": "--sh 'echo d'",)"
      R"( "env": ["A=1"], "policy": {"retries": 3, "until": "2027-06-01T00:00:00Z"}})"
      "\n";
  auto report = trigger::import_triggers(c.store(), import_lines(changed, kNow + 60), kNow + 60);
  REQUIRE(report.ok());
  CHECK(outcomes(*report) == std::vector<std::string>{"updated hourly state clock",
                                                      "updated daily env policy.retries labels"});
  CHECK(report->updated == 2);
  CHECK(c.version() > version);
  CHECK(c.find("daily").policy.retries == 3);
  CHECK(c.find("hourly").state == State::kPaused);
}

TEST_CASE("import --prune cancels what its label scope holds and the file does not name",
          "[catalog]") {
  Catalog c;
  auto labelled = [&](const std::string& name, const std::string& source) {
    auto spec = c.spec(name);
    spec.labels = {"source=" + source};
    REQUIRE(trigger::create_trigger(c.store(), spec, kNow).ok());
  };
  labelled("hourly", "git");
  labelled("stale", "git");
  labelled("gone-already", "git");
  REQUIRE(trigger::move_triggers(c.store(), {"gone-already"}, State::kCancelled, kNow).ok());
  labelled("by-hand", "manual");
  c.create("unlabelled");
  REQUIRE(trigger::fire_trigger(c.store(), "stale", kNow + 5).ok());
  trigger::ImportPrune prune{trigger::ImportPrune::Mode::kCancel, {{"source", "git"}}};
  auto report =
      trigger::import_triggers(c.store(), import_lines(kSyncFile, kNow + 60), kNow + 60, prune);
  REQUIRE(report.ok());
  CHECK(outcomes(*report) ==
        std::vector<std::string>{"updated hourly action", "created daily", "cancelled stale"});
  CHECK(report->pruned == 1);
  CHECK(c.find("stale").state == State::kCancelled);
  CHECK(*c.store().open_tasks(c.find("stale").id) == 0);
  CHECK(c.find("by-hand").state == State::kActive);  // another scope
  CHECK(c.find("unlabelled").state == State::kActive);
  CHECK(c.reasons().back() ==
        "cancelled: pruned, not in the imported file (1 queued run cancelled); state: active -> "
        "cancelled; next "
        "2026-12-01T09:00:00Z -> -");
  SECTION("without a label every trigger is in scope") {
    prune.labels.clear();
    auto all =
        trigger::import_triggers(c.store(), import_lines(kSyncFile, kNow + 90), kNow + 90, prune);
    REQUIRE(all.ok());
    CHECK(outcomes(*all) == std::vector<std::string>{"unchanged hourly", "unchanged daily",
                                                     "cancelled by-hand", "cancelled unlabelled"});
  }
}

TEST_CASE("import --prune=delete deletes, and a run in progress refuses it all", "[catalog]") {
  Catalog c;
  auto stale = c.create("stale");
  c.create("also-stale");
  trigger::ImportPrune prune{trigger::ImportPrune::Mode::kDelete, {}};
  REQUIRE(trigger::fire_trigger(c.store(), "stale", kNow + 5).ok());
  auto leased = c.store().lease_tasks({"pass", "host", "boot", 1, 1}, kNow + 6, 60, 1);
  REQUIRE(leased.ok());
  REQUIRE(leased->size() == 1);
  auto version = c.version();
  auto records = c.history().size();
  auto busy =
      trigger::import_triggers(c.store(), import_lines(kSyncFile, kNow + 60), kNow + 60, prune);
  REQUIRE_FALSE(busy.ok());
  CHECK(busy.error().kind() == ErrorKind::kBusy);
  CHECK(busy.error().message() ==
        "trigger 'stale' has a run in progress (event 1-m1796112005); it cannot be deleted "
        "until the run ends");
  CHECK(c.version() == version);  // not even the lines were written
  CHECK(c.history().size() == records);
  CHECK_FALSE(c.store().id_of("hourly")->has_value());
  REQUIRE(*c.store().release_task(leased->front()));
  auto report =
      trigger::import_triggers(c.store(), import_lines(kSyncFile, kNow + 60), kNow + 60, prune);
  REQUIRE(report.ok());
  CHECK(outcomes(*report) == std::vector<std::string>{"created hourly", "created daily",
                                                      "deleted stale", "deleted also-stale"});
  CHECK_FALSE(c.store().id_of("stale")->has_value());
  trigger::HistoryFilter of_stale;
  of_stale.trigger_id = stale.id;
  CHECK(c.store().history(of_stale)->empty());
}

TEST_CASE("a line with no fire time left updates only a finished trigger", "[catalog]") {
  Catalog c;
  const std::string once =
      R"({"name": "once", "clock": "--at 2026-12-01T09:00:00Z", "tz": "UTC", "action": "--log o"})"
      "\n";
  REQUIRE(trigger::import_triggers(c.store(), import_lines(once, kNow), kNow).ok());
  Epoch later = kNow + 2 * kHour;  // its time has passed
  auto entries = import_lines(once, later);
  REQUIRE(entries[0].unless_finished ==
          "--at '2026-12-01T09:00:00Z': is not after now (it could never fire)");
  auto active = trigger::import_triggers(c.store(), entries, later);
  REQUIRE_FALSE(active.ok());  // an active trigger could never fire
  CHECK(active.error().message() ==
        "line 1: --at '2026-12-01T09:00:00Z': is not after now (it could never fire)");
  REQUIRE(trigger::move_triggers(c.store(), {"once"}, State::kCancelled, later).ok());
  auto records = c.history().size();
  auto again = trigger::import_triggers(c.store(), entries, later);
  REQUIRE(again.ok());
  CHECK(outcomes(*again) == std::vector<std::string>{"unchanged once"});
  CHECK(c.history().size() == records);
  CHECK(c.find("once").state == State::kCancelled);
}

TEST_CASE("import --prune refuses a line without a name, writing nothing", "[catalog]") {
  Catalog c;
  c.create("kept");
  std::string lines = std::string(kSyncFile) +
                      R"({"clock": "--every 1h", "tz": "UTC", "action": "--log anonymous"})"
                      "\n";
  trigger::ImportPrune prune{trigger::ImportPrune::Mode::kCancel, {}};
  auto refused = trigger::import_triggers(c.store(), import_lines(lines, kNow), kNow, prune);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind() == ErrorKind::kData);
  CHECK(refused.error().message() ==
        "line 3: a line without a name cannot be kept in sync (--prune)");
  CHECK(c.find("kept").state == State::kActive);
  CHECK_FALSE(c.store().id_of("hourly")->has_value());
}

TEST_CASE("pruning deletes what each trigger's retention lets go, never a creation record",
          "[catalog]") {
  Catalog c;
  auto edit = [&](const std::string& name, const std::string& option, const std::string& value,
                  Epoch at) {
    trigger::ScheduleChange change;
    change.policy = {{option, value}};
    REQUIRE(trigger::reschedule(c.store(), name, change, at).ok());
  };
  c.create("old", kNow - 40 * 24 * kHour);
  edit("old", "retries", "1", kNow - 40 * 24 * kHour + 60);  // 30 days kept: it goes
  c.create("short", kNow - 3 * kHour);
  edit("short", "history-keep", "2h", kNow - 3 * kHour + 60);  // its own 2 hours: it goes
  edit("short", "retries", "2", kNow - kHour);                 // younger: it stays
  c.create("young", kNow - kHour);
  auto deleted = trigger::prune_history(c.store(), kNow);
  REQUIRE(deleted.ok());
  CHECK(*deleted == 2);
  auto reasons = c.reasons();
  REQUIRE(reasons.size() == 4);
  CHECK(reasons[0].rfind("created;", 0) == 0);
  CHECK(reasons[1].rfind("created;", 0) == 0);
  CHECK(reasons[2].rfind("scheduled; retries: 0 -> 2;", 0) == 0);
  CHECK(reasons[3].rfind("created;", 0) == 0);
  auto none = trigger::prune_history(c.store(), kNow);
  REQUIRE(none.ok());
  CHECK(*none == 0);
  // By age alone: the edit goes, the three creation records stay whatever their age.
  auto by_age = trigger::prune_history_older_than(c.store(), 1, kNow);
  REQUIRE(by_age.ok());
  CHECK(*by_age == 1);
  CHECK(c.history().size() == 3);
}

TEST_CASE("the read helpers find triggers, their history and the queue", "[catalog]") {
  Catalog c;
  auto a = c.create("a");
  c.create("b");
  auto detail = trigger::load_trigger_detail(c.store(), "a", 5);
  REQUIRE(detail.ok());
  CHECK(detail->trigger.id == a.id);
  REQUIRE(detail->recent.size() == 1);
  CHECK(detail->recent[0].trigger_id == a.id);
  trigger::HistoryFilter filter;
  auto of_b = trigger::load_history(c.store(), std::string_view("b"), filter);
  REQUIRE(of_b.ok());
  REQUIRE(of_b->size() == 1);
  CHECK(of_b->front().trigger_name == "b");
  auto missing = trigger::load_history(c.store(), std::string_view("c"), filter);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind() == ErrorKind::kNotFound);
  CHECK(trigger::load_trigger(c.store(), "c").error().kind() == ErrorKind::kNotFound);
  auto figures = trigger::load_queue_figures(c.store(), kNow);
  REQUIRE(figures.ok());
  CHECK(figures->triggers_by_state["active"] == 2);
}

namespace {

// One update of trigger `ref` at kNow + 60; it must succeed.
trigger::UpdatedTrigger update(Catalog& c, const std::string& ref,
                               const trigger::TriggerUpdate& update) {
  auto updated = trigger::update_trigger(c.store(), ref, update, kNow + 60);
  INFO((updated.ok() ? "" : updated.error().message()));
  REQUIRE(updated.ok());
  return *updated;
}

trigger::Action shell(const std::string& script, std::vector<std::string> env = {},
                      std::optional<std::string> cwd = std::nullopt) {
  auto action = trigger::make_action(trigger::ActionKind::kShell, {script}, env, cwd);
  REQUIRE(action.ok());
  return *action;
}

}  // namespace

TEST_CASE("update changes each kind of field and records it field by field", "[catalog][update]") {
  struct Case {
    const char* what;
    std::function<void(trigger::TriggerUpdate&)> set;
    std::function<void(const Trigger&)> check;
    const char* changes;
  };
  const std::vector<Case> cases = {
      {"clock",
       [](auto& u) {
         u.schedule.clock = {ClockKind::kCron, "*/10 * * * *", std::nullopt};
       },
       [](const Trigger& t) { CHECK(t.clock == "--cron '*/10 * * * *'"); },
       "clock: --every 1h --from 2026-12-01T08:00:00Z -> --cron '*/10 * * * *'"},
      {"zone", [](auto& u) { u.schedule.tz = "Europe/Berlin"; },
       [](const Trigger& t) { CHECK(t.tz == "Europe/Berlin"); },
       // --every keeps its instants; its --from is written in the new zone
       "clock: --every 1h --from 2026-12-01T08:00:00Z -> --every 1h --from "
       "2026-12-01T09:00:00+01:00; zone: UTC -> Europe/Berlin"},
      {"policy",
       [](auto& u) {
         u.schedule.policy = {{"retries", "3"}, {"timeout", "10m"}};
       },
       [](const Trigger& t) { CHECK(t.policy.retries == 3); },
       "timeout: none -> 10m; retries: 0 -> 3"},
      {"action", [](auto& u) { u.command = shell("backup --all"); },
       [](const Trigger& t) { CHECK(t.action.kind == trigger::ActionKind::kShell); },
       "action: --log hello -> --sh 'backup --all'"},
      {"env and cwd",
       [](auto& u) {
         u.command = shell("run");
         u.set_env = {"FOO=1"};
         u.cwd = "/srv";
       },
       [](const Trigger& t) { CHECK(t.action.env == std::vector<std::string>{"FOO=1"}); },
       "action: --log hello -> --sh run; env: +FOO=1; cwd: - -> /srv"},
      {"labels", [](auto& u) { u.set_labels = {"team=ops"}; },
       [](const Trigger& t) { CHECK(t.labels.at("team") == "ops"); }, "labels: +team=ops"},
      {"name", [](auto& u) { u.rename = "renamed"; },
       [](const Trigger& t) { CHECK(t.name == std::optional<std::string>("renamed")); },
       "name: edited -> renamed"},
  };
  for (const auto& one : cases) {
    SECTION(one.what) {
      Catalog c;
      c.create("edited");
      std::int64_t version = c.version();
      trigger::TriggerUpdate change;
      one.set(change);
      auto updated = update(c, "edited", change);
      CHECK(updated.changes == one.changes);
      one.check(updated.trigger);
      one.check(c.find(std::to_string(updated.trigger.id)));
      CHECK(c.version() > version);
      auto record = c.history().back();
      CHECK(record.outcome == Outcome::kEdit);
      CHECK(record.reason.rfind("updated; " + std::string(one.changes) + "; next ", 0) == 0);
      REQUIRE(record.editor.has_value());
      CHECK(*record.editor == trigger::current_identity());
    }
  }
}

TEST_CASE("update replaces and removes variables and labels in place", "[catalog][update]") {
  Catalog c;
  auto spec = c.spec("vars");
  spec.action = shell("run", {"A=1", "B=2", "C=3"}, "/srv");
  spec.labels = {"team=ops", "tier=1"};
  REQUIRE(trigger::create_trigger(c.store(), spec, kNow).ok());
  trigger::TriggerUpdate change;
  change.set_env = {"B=20", "D=4"};
  change.unset_env = {"A", "NOT_THERE"};
  change.cwd = "";
  change.set_labels = {"tier=2"};
  change.unset_labels = {"team"};
  auto updated = update(c, "vars", change);
  CHECK(updated.trigger.action.env == std::vector<std::string>{"B=20", "C=3", "D=4"});
  CHECK(!updated.trigger.action.cwd);
  CHECK(updated.trigger.labels == std::map<std::string, std::string>{{"tier", "2"}});
  CHECK(updated.changes == "env: ~B=20 +D=4 -A; cwd: /srv -> -; labels: ~tier=2 -team");
}

TEST_CASE("an update that changes nothing writes and records nothing", "[catalog][update]") {
  Catalog c;
  c.create("same");
  std::int64_t version = c.version();
  auto records = c.history().size();
  trigger::TriggerUpdate change;
  change.schedule.policy = {{"retries", "0"}};
  change.unset_labels = {"absent"};
  change.command = *trigger::make_action(trigger::ActionKind::kLog, {"hello"});
  auto updated = update(c, "same", change);
  CHECK(updated.changes.empty());
  CHECK(c.version() == version);
  CHECK(c.history().size() == records);
}

TEST_CASE(
    "update refuses bad values, a missing trigger and a cancelled one's clock, writing nothing",
    "[catalog][update]") {
  Catalog c;
  c.create("x");
  c.create("taken");
  std::int64_t version = c.version();
  auto refused = [&](const std::string& ref, const trigger::TriggerUpdate& change) {
    auto updated = trigger::update_trigger(c.store(), ref, change, kNow + 60);
    REQUIRE(!updated.ok());
    return updated.error();
  };
  trigger::TriggerUpdate nothing;
  CHECK(refused("x", nothing).kind() == ErrorKind::kUsage);
  trigger::TriggerUpdate retries;
  retries.schedule.policy = {{"retries", "lots"}};
  CHECK(refused("x", retries).message() ==
        "--retries 'lots': expected a whole number from 0 to 100");
  CHECK(refused("nope", retries).kind() == ErrorKind::kUsage);  // values first
  trigger::TriggerUpdate good;
  good.schedule.policy = {{"retries", "1"}};
  CHECK(refused("nope", good).kind() == ErrorKind::kNotFound);
  trigger::TriggerUpdate both;
  both.set_env = {"A=1"};
  both.unset_env = {"A"};
  CHECK(refused("x", both).kind() == ErrorKind::kUsage);
  trigger::TriggerUpdate env_on_log;
  env_on_log.set_env = {"A=1"};
  CHECK(refused("x", env_on_log).kind() == ErrorKind::kUsage);
  trigger::TriggerUpdate rename;
  rename.rename = "taken";
  CHECK(refused("x", rename).kind() == ErrorKind::kData);
  rename.rename = "123";
  CHECK(refused("x", rename).kind() == ErrorKind::kUsage);
  CHECK(c.version() == version);
  REQUIRE(trigger::move_triggers(c.store(), {"x"}, State::kCancelled, kNow).ok());
  version = c.version();
  trigger::TriggerUpdate clock;
  clock.schedule.clock = {ClockKind::kEvery, "5m", std::nullopt};
  CHECK(refused("x", clock).kind() == ErrorKind::kData);
  CHECK(c.version() == version);
  trigger::TriggerUpdate label;  // what cannot make it fire is changed in any state
  label.set_labels = {"gone=yes"};
  CHECK(update(c, "x", label).trigger.state == State::kCancelled);
}

TEST_CASE("every edit names who made it, SUDO_USER too", "[catalog][update]") {
  Catalog c;
  ::setenv("SUDO_USER", "bob", 1);
  c.create("who");
  REQUIRE(trigger::move_triggers(c.store(), {"who"}, State::kPaused, kNow).ok());
  ::unsetenv("SUDO_USER");
  REQUIRE(trigger::delete_triggers(c.store(), {"who"}, true, kNow).ok());
  auto records = c.history();
  REQUIRE(records.size() == 3);
  for (std::size_t i = 0; i < 2; ++i) {
    REQUIRE(records[i].editor.has_value());
    CHECK(records[i].editor->uid == static_cast<std::int64_t>(getuid()));
    CHECK(records[i].editor->sudo_user == std::optional<std::string>("bob"));
  }
  CHECK(records[2].editor == std::optional<trigger::Identity>(trigger::current_identity()));
  CHECK(records[2].reason.find(" by " + trigger::current_identity().text()) != std::string::npos);
}
