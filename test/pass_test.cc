#include "trigger/pass.h"

#include <signal.h>
#include <sys/resource.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "hook.h"
#include "page_limit.h"
#include "process.h"
#include "store/file_safety.h"
#include "store/sqlite_store.h"
#include "trigger/catalog.h"

using trigger::ClockKind;
using trigger::Epoch;
using trigger::ErrorKind;
using trigger::HistoryRecord;
using trigger::Outcome;
using trigger::PassOptions;
using trigger::PassReport;
using trigger::State;
using trigger::Store;
using trigger::Trigger;

namespace {

constexpr Epoch kStart = 1796112000;  // 2026-12-01T08:00:00Z
constexpr Epoch kMinute = 60;
constexpr Epoch kHour = 3600;
constexpr Epoch kDay = 86400;

// A private directory (mode 0700, as run-once requires) with a database in it.
class Fixture {
 public:
  Fixture() {
    // tmpfs where there is one: fsync is free there, and a simulated week is 10,000 passes.
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string pattern = base + "/trigger-pass-test-XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    auto opened = Store::open(dir_ + "/t.db", Store::Mode::kReadWrite);
    REQUIRE(opened.ok());
    store_ = std::move(*opened);
    store_->set_env(env_);
  }
  ~Fixture() {
    store_.reset();
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  Store& store() { return *store_; }
  // The time, fixed as --now fixes it, that the fixture's passes and edits read.
  trigger::FixedEnv& env() { return env_; }
  Epoch now() { return env_.now(); }
  void set_now(Epoch at) { env_.set(at); }
  // Pass options reading the fixture's time.
  PassOptions options() {
    PassOptions options;
    options.env = &env_;
    return options;
  }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }

  // Create a trigger at now() with the catalog, as `trigger create` does; returns its id.
  std::int64_t create(const std::string& name, trigger::ClockSpec clock, trigger::Action action,
                      std::vector<std::pair<std::string, std::string>> policy = {}) {
    trigger::TriggerSpec spec;
    spec.name = name;
    spec.clock = std::move(clock);
    spec.tz = "UTC";
    spec.action = std::move(action);
    spec.policy = std::move(policy);
    auto created = trigger::create_trigger(*store_, spec, env_.now());
    INFO((created.ok() ? "" : created.error().message()));
    REQUIRE(created.ok());
    return created->id;
  }

  PassReport pass_at(Epoch at, PassOptions options = {}) {
    env_.set(at);
    options.env = &env_;
    options.max_time_seconds = 600;
    auto report = trigger::run_pass(*store_, options);
    INFO((report.ok() ? "" : report.error().message()));
    REQUIRE(report.ok());
    return *report;
  }

  Trigger find(std::int64_t id) {
    auto found = store_->find_trigger(std::to_string(id));
    REQUIRE(found.ok());
    return *found;
  }

  // The trigger's history, oldest first, without the edit records the catalog writes: the
  // runs and their outcomes, which are what these tests count.
  std::vector<HistoryRecord> history(std::int64_t id) {
    trigger::HistoryFilter filter;
    filter.trigger_id = id;
    filter.limit = 10000000;
    auto records = store_->history(filter);
    REQUIRE(records.ok());
    std::vector<HistoryRecord> oldest_first;
    for (auto record = records->rbegin(); record != records->rend(); ++record) {
      if (record->outcome != Outcome::kEdit) oldest_first.push_back(*record);
    }
    return oldest_first;
  }

  // Change a trigger with the catalog, as `trigger schedule` does.
  void reschedule(std::int64_t id, trigger::ScheduleChange change) {
    auto moved = trigger::reschedule(*store_, std::to_string(id), change, env_.now());
    INFO((moved.ok() ? "" : moved.error().message()));
    REQUIRE(moved.ok());
  }

  // Pause, resume or cancel a trigger with the catalog, as the commands do.
  void set_state(std::int64_t id, State state) {
    auto moved = trigger::move_triggers(*store_, {std::to_string(id)}, state, env_.now());
    INFO((moved.ok() ? "" : moved.error().message()));
    REQUIRE(moved.ok());
  }

 private:
  std::string dir_;
  trigger::FixedEnv env_{kStart};
  std::unique_ptr<Store> store_;
};

// A lease holder that is alive on this host (this very process), under its own owner name.
trigger::LeaseHolder live_holder(const std::string& owner) {
  const trigger::ProcessIdentity& self = trigger::this_process();
  return {owner, self.host, self.boot_id, self.pid, self.start_ticks};
}

trigger::Action log_action(const std::string& message) {
  auto action = trigger::make_action(trigger::ActionKind::kLog, {message});
  REQUIRE(action.ok());
  return *action;
}

trigger::Action shell_action(const std::string& script) {
  auto action = trigger::make_action(trigger::ActionKind::kShell, {script});
  REQUIRE(action.ok());
  return *action;
}

trigger::ClockSpec every(const std::string& period,
                         std::optional<std::string> from = std::nullopt) {
  return {ClockKind::kEvery, period, from};
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// How a trigger's history accounts for its occurrences: every fired occurrence once (by its
// scheduled epoch), plus the counts of skipped and coalesced ones.
struct Accounting {
  std::multiset<Epoch> fired;  // scheduled epochs of final outcomes (succeeded, failed, ...)
  std::int64_t skipped = 0;
  std::int64_t coalesced = 0;
  std::int64_t total() const {
    return static_cast<std::int64_t>(fired.size()) + skipped + coalesced;
  }
};

Accounting account(const std::vector<HistoryRecord>& records) {
  Accounting accounting;
  for (const auto& record : records) {
    if (record.manual || record.outcome == Outcome::kEdit || record.count == 0) continue;
    if (record.outcome == Outcome::kSkipped) {
      accounting.skipped += record.count;
    } else if (record.outcome == Outcome::kCoalesced) {
      accounting.coalesced += record.count;
    } else {
      accounting.fired.insert(*record.scheduled_epoch);
    }
  }
  return accounting;
}

// The fire times of a trigger's clock in (after, until].
std::vector<Epoch> fire_times(const Trigger& trigger, Epoch after, Epoch until) {
  auto clock = trigger::trigger_clock(trigger);
  REQUIRE(clock.ok());
  std::vector<Epoch> times;
  for (auto next = (*clock)->first_after(after); next && *next <= until;
       next = (*clock)->first_after(*next)) {
    times.push_back(*next);
  }
  return times;
}

}  // namespace

TEST_CASE("a pass fires each due occurrence once and records its outcome", "[pass]") {
  Fixture f;
  auto id = f.create("a", every("1m"), log_action("tick"));
  auto first = f.pass_at(kStart);
  CHECK(first.scheduled == 1);
  CHECK(first.fired == 0);
  auto second = f.pass_at(kStart + kMinute);
  CHECK(second.fired == 1);
  CHECK(second.ran == 1);
  auto again = f.pass_at(kStart + kMinute);  // the same minute again: nothing new
  CHECK(again.fired == 0);
  auto records = f.history(id);
  REQUIRE(records.size() == 1);
  CHECK(records[0].outcome == Outcome::kSucceeded);
  CHECK(records[0].event_id == std::to_string(id) + "-" + std::to_string(kStart + kMinute));
  CHECK(records[0].output == "tick");
  auto trigger = f.find(id);
  CHECK(trigger.last_event_epoch == kStart + kMinute);
  CHECK(trigger.next_event_epoch == kStart + 2 * kMinute);
  CHECK(trigger.scheduled);
}

TEST_CASE("misfire policies after a three-day outage", "[pass]") {
  Fixture f;
  auto all = f.create("all", every("1h"), log_action("a"), {{"misfire", "all"}});
  auto latest = f.create("latest", every("1h"), log_action("l"), {{"misfire", "latest"}});
  auto skip =
      f.create("skip", every("1h"), log_action("s"), {{"misfire", "skip"}, {"grace", "90m"}});
  f.pass_at(kStart);
  Epoch back = kStart + 3 * kDay + 31 * kMinute;  // 72 occurrences missed, the last 31 min ago
  auto report = f.pass_at(back);
  CHECK(report.fired == 72 + 1 + 1);

  auto all_records = f.history(all);
  auto all_accounting = account(all_records);
  CHECK(all_accounting.fired.size() == 72);
  CHECK(all_accounting.total() == 72);
  // Catch-up runs queue behind each other and run in order.
  std::vector<Epoch> order;
  for (const auto& r : all_records) order.push_back(*r.scheduled_epoch);
  CHECK(std::is_sorted(order.begin(), order.end()));

  auto latest_records = f.history(latest);
  REQUIRE(latest_records.size() == 2);
  CHECK(latest_records[0].outcome == Outcome::kCoalesced);
  CHECK(latest_records[0].count == 71);
  CHECK(latest_records[0].scheduled_epoch == kStart + 71 * kHour);
  CHECK(latest_records[1].outcome == Outcome::kSucceeded);
  CHECK(latest_records[1].scheduled_epoch == kStart + 72 * kHour);

  // Under skip, only what is within --grace (90m) still fires: the last occurrence (31 min
  // late), not the one before it (91 min late).
  auto skip_accounting = account(f.history(skip));
  CHECK(skip_accounting.fired == std::multiset<Epoch>{kStart + 72 * kHour});
  CHECK(skip_accounting.skipped == 71);
  CHECK(skip_accounting.total() == 72);
}

TEST_CASE("a simulated week of passes every minute accounts for every occurrence once",
          "[pass][week]") {
  Fixture f;
  std::vector<std::int64_t> ids = {
      f.create("minutely", every("1m"), log_action("m")),
      f.create("half-minute-all", every("30s"), log_action("h"), {{"misfire", "all"}}),
      f.create("half-minute-latest", every("30s"), log_action("h"), {{"misfire", "latest"}}),
      f.create("half-minute-skip", every("30s"), log_action("h"),
               {{"misfire", "skip"}, {"grace", "40s"}}),
      f.create("seven-minutes", every("7m", std::string("2026-12-01T08:03:00Z")), log_action("s")),
      f.create("hourly-jitter", every("1h"), log_action("j"), {{"jitter", "20m"}}),
      f.create("queue", every("5m"), log_action("q"), {{"overlap", "queue"}}),
      f.create("allow", every("5m"), log_action("w"), {{"overlap", "allow"}}),
      f.create("daily-until", every("1d"), log_action("u"), {{"until", "2026-12-04T09:00:00Z"}}),
      f.create("max-runs", every("2h"), log_action("x"), {{"max-runs", "10"}}),
      f.create("once", {ClockKind::kAt, "2026-12-03T12:34:56Z", std::nullopt}, log_action("o")),
      f.create("cron-weekdays", {ClockKind::kCron, "*/7 9-17 * * mon-fri", std::nullopt},
               log_action("c")),
      f.create("cron-last-day", {ClockKind::kCron, "0 12 L * *", std::nullopt}, log_action("l")),
      f.create("daily", {ClockKind::kDaily, "02:30:15", std::nullopt}, log_action("d"),
               {{"misfire", "all"}}),
      f.create("monthly", {ClockKind::kMonthly, "2026-11-03T10:00", std::nullopt}, log_action("m")),
      f.create("never", {ClockKind::kNever, "", std::nullopt}, log_action("n")),
  };
  Epoch end = kStart + 7 * kDay;
  for (Epoch at = kStart; at <= end; at += kMinute) f.pass_at(at);

  std::map<std::string, Accounting> by_name;
  for (auto id : ids) {
    Trigger trigger = f.find(id);
    INFO(*trigger.name);
    auto expected = fire_times(trigger, kStart, end);
    if (trigger.policy.until_epoch) {
      expected.erase(std::remove_if(expected.begin(), expected.end(),
                                    [&](Epoch e) { return e > *trigger.policy.until_epoch; }),
                     expected.end());
    }
    if (trigger.policy.max_runs &&
        expected.size() > static_cast<std::size_t>(*trigger.policy.max_runs)) {
      expected.resize(*trigger.policy.max_runs);
    }
    auto accounting = account(f.history(id));
    // Jittered occurrences of the last hour may not have run yet: they are still queued.
    if (*trigger.name == "hourly-jitter") expected.pop_back();
    CHECK(accounting.total() == static_cast<std::int64_t>(expected.size()));
    for (Epoch fired : accounting.fired) {
      CHECK(accounting.fired.count(fired) == 1);  // never twice
      CHECK(std::find(expected.begin(), expected.end(), fired) != expected.end());
    }
    by_name[*trigger.name] = accounting;
  }
  CHECK(by_name["minutely"].fired.size() == 7 * 24 * 60);
  CHECK(by_name["half-minute-all"].fired.size() == 2 * 7 * 24 * 60);
  CHECK(by_name["half-minute-latest"].coalesced == 7 * 24 * 60);
  CHECK(by_name["half-minute-skip"].fired.size() == 2 * 7 * 24 * 60);
  CHECK(by_name["daily-until"].fired.size() == 3);
  CHECK(by_name["max-runs"].fired.size() == 10);
  CHECK(by_name["once"].fired.size() == 1);
  CHECK(by_name["never"].total() == 0);
  CHECK(f.find(ids[8]).state == State::kDone);
  CHECK(f.find(ids[9]).state == State::kDone);
  CHECK(f.find(ids[10]).state == State::kDone);
  CHECK(f.find(ids[15]).state == State::kActive);
  CHECK(by_name["cron-weekdays"].fired.size() == 5 * 9 * 9);  // Dec 1-4 and 7, 09:00-17:56
  CHECK(by_name["cron-last-day"].total() == 0);               // the 31st is after the week
  CHECK(by_name["daily"].fired.size() == 7);
  CHECK(by_name["monthly"].fired == std::multiset<Epoch>{kStart + 2 * kDay + 2 * kHour});
}

TEST_CASE("edits between and during passes never fire twice nor lose an occurrence",
          "[pass][race]") {
  Fixture f;
  auto id = f.create("edited", every("10m"), log_action("e"));
  Epoch end = kStart + 6 * kHour;
  PassOptions options = f.options();
  std::int64_t step = 0;
  for (Epoch at = kStart; at <= end; at += kMinute, ++step) {
    f.set_now(at);
    // Every so often, an edit lands between the phases of a pass (the seed's race).
    PassReport report;
    REQUIRE(trigger::schedule_phase(f.store(), at, options, report).ok());
    switch (step % 47) {
      case 5:  // a policy edit: the clock is unchanged, so is the next time
        f.reschedule(id, {std::nullopt, std::nullopt, {{"retries", std::to_string(step % 3)}}});
        break;
      case 11:
        f.set_state(id, State::kPaused);
        break;
      case 40:
        f.set_state(id, State::kActive);
        break;
      default:
        break;
    }
    REQUIRE(trigger::fire_phase(f.store(), at, options, report).ok());
    REQUIRE(trigger::execute_phase(f.store(), options, report).ok());
  }
  if (f.find(id).state == State::kPaused) f.set_state(id, State::kActive);
  f.pass_at(end);
  auto accounting = account(f.history(id));
  auto expected = fire_times(f.find(id), kStart, end);
  // Occurrences while paused are handled by the misfire policy (latest) on resume: each
  // occurrence is still accounted for exactly once.
  CHECK(accounting.total() == static_cast<std::int64_t>(expected.size()));
  for (Epoch fired : accounting.fired) CHECK(accounting.fired.count(fired) == 1);
  CHECK(accounting.coalesced > 0);
}

TEST_CASE("moving a trigger keeps its last event: the next time is after it", "[pass][race]") {
  Fixture f;
  auto id = f.create("moved", every("1h"), log_action("m"));
  f.pass_at(kStart);
  f.pass_at(kStart + kHour);  // fires 09:00
  f.set_now(kStart + kHour + 10 * kMinute);
  // Move it to every 30 minutes from 08:00: 09:00 fired already, so the next is 09:30.
  f.reschedule(id,
               {trigger::ClockSpec{ClockKind::kEvery, "30m", std::string("2026-12-01T08:00:00Z")},
                std::nullopt,
                {}});
  f.pass_at(kStart + kHour + 10 * kMinute);
  CHECK(f.find(id).next_event_epoch == kStart + kHour + 30 * kMinute);
  // Cancelled: its queued runs are cancelled and recorded; nothing fires after.
  f.set_now(kStart + kHour + 30 * kMinute);
  PassOptions no_time = f.options();
  no_time.max_time_seconds = 0;  // fires, but leases nothing to run
  REQUIRE(trigger::run_pass(f.store(), no_time).ok());
  f.set_state(id, State::kCancelled);
  f.pass_at(kStart + 3 * kHour);
  auto records = f.history(id);
  REQUIRE(records.size() == 2);
  CHECK(records[0].outcome == Outcome::kSucceeded);
  CHECK(records[1].outcome == Outcome::kCancelled);
  CHECK(records[1].scheduled_epoch == kStart + kHour + 30 * kMinute);
  CHECK_FALSE(f.find(id).next_event_epoch.has_value());
}

TEST_CASE("overlap: skip, queue or allow while the previous run is still running", "[pass]") {
  Fixture f;
  auto skip = f.create("skip", every("1m"), log_action("s"), {{"overlap", "skip"}});
  auto queue = f.create("queue", every("1m"), log_action("q"), {{"overlap", "queue"}});
  auto allow = f.create("allow", every("1m"), log_action("a"), {{"overlap", "allow"}});
  f.pass_at(kStart);
  // The 08:01 occurrences fire, but another runner holds them (it is still running).
  PassReport report;
  f.set_now(kStart + kMinute);
  REQUIRE(trigger::fire_phase(f.store(), kStart + kMinute, {}, report).ok());
  std::vector<trigger::Task> held;
  REQUIRE(f.store()
              .transaction([&]() -> trigger::Status {
                auto leased = f.store().lease_tasks(live_holder("other-runner"), kStart + kMinute,
                                                    3600, 10);
                if (!leased) return leased.error();
                held = *leased;
                return trigger::Ok{};
              })
              .ok());
  REQUIRE(held.size() == 3);
  // 08:02: skip records a skipped occurrence; queue queues it behind; allow runs it now.
  f.pass_at(kStart + 2 * kMinute);
  CHECK(account(f.history(skip)).skipped == 1);
  CHECK(f.history(queue).empty());
  CHECK(account(f.history(allow)).fired == std::multiset<Epoch>{kStart + 2 * kMinute});
  // The other runner finishes; the queued run follows.
  for (const auto& task : held) {
    HistoryRecord done;
    done.trigger_id = task.trigger_id;
    done.event_id = trigger::event_id(task.trigger_id, task.scheduled_epoch, false);
    done.scheduled_epoch = task.scheduled_epoch;
    done.outcome = Outcome::kSucceeded;
    done.attempts = task.attempt;
    done.recorded_epoch = kStart + 2 * kMinute;
    REQUIRE(f.store()
                .transaction([&]() -> trigger::Status {
                  auto completed = f.store().complete_task(task, done);
                  if (!completed) return completed.error();
                  return *completed ? trigger::Status(trigger::Ok{})
                                    : trigger::data_error("lease lost");
                })
                .ok());
  }
  f.pass_at(kStart + 2 * kMinute + 30);
  CHECK(account(f.history(queue)).fired ==
        std::multiset<Epoch>{kStart + kMinute, kStart + 2 * kMinute});
  CHECK(account(f.history(skip)).total() == 2);
}

TEST_CASE("failed runs are retried with doubling backoff, then recorded once", "[pass]") {
  Fixture f;
  std::string log = f.file("attempts");
  auto id =
      f.create("flaky", every("1h"),
               shell_action("echo \"$TRIGGER_EVENT_ID $TRIGGER_ATTEMPT\" >> " + log + "; exit 3"),
               {{"retries", "2"}, {"backoff", "10s"}});
  f.pass_at(kStart);
  auto first = f.pass_at(kStart + kHour);
  CHECK(first.retried == 1);
  CHECK(f.pass_at(kStart + kHour + 9).ran == 0);  // backoff: not before 10 s
  CHECK(f.pass_at(kStart + kHour + 10).retried == 1);
  CHECK(f.pass_at(kStart + kHour + 29).ran == 0);  // then 20 s
  auto last = f.pass_at(kStart + kHour + 30);
  CHECK(last.failed == 1);
  REQUIRE(last.failures.size() == 1);
  std::string event = std::to_string(id) + "-" + std::to_string(kStart + kHour);
  CHECK(last.failures[0].summary == "'flaky' (event " + event + "): exit status 3");
  CHECK(lines_of(log) == std::vector<std::string>{event + " 1", event + " 2", event + " 3"});
  // Every attempt is recorded (oldest first here), with its exit status and output; only the
  // last one accounts for the occurrence.
  auto records = f.history(id);
  REQUIRE(records.size() == 3);
  CHECK(records[2].outcome == Outcome::kFailed);
  CHECK(records[2].count == 1);
  CHECK(records[2].attempts == 3);
  CHECK(records[2].exit_status == 3);
  CHECK(records[2].reason == "exit status 3");
  CHECK(records[1].outcome == Outcome::kRetried);
  CHECK(records[1].count == 0);
  CHECK(records[1].attempts == 2);
  CHECK(records[1].exit_status == 3);
  CHECK(records[1].reason == "attempt 2 failed: exit status 3; retry in 20s");
  CHECK(records[0].outcome == Outcome::kRetried);
  CHECK(records[0].reason == "attempt 1 failed: exit status 3; retry in 10s");
  CHECK(records[0].event_id == event);
}

TEST_CASE("commands get the documented environment and run in their directory", "[pass]") {
  Fixture f;
  std::string out = f.file("env");
  auto action = trigger::make_action(
      trigger::ActionKind::kProgram,
      {"/bin/sh", "-c",
       "echo $TRIGGER_ID $TRIGGER_NAME $TRIGGER_EVENT_ID $TRIGGER_SCHEDULED_EPOCH "
       "x${TRIGGER_LAST_EPOCH}x $TRIGGER_ATTEMPT $TRIGGER_TZ $GREETING $(pwd) "
       "$(ls /proc/self/fd | wc -l) > " +
           out},
      {"GREETING=hello"}, std::string("/usr"));
  REQUIRE(action.ok());
  auto id = f.create("env", every("1h"), *action);
  f.pass_at(kStart);
  f.pass_at(kStart + kHour);
  std::string event = std::to_string(id) + "-" + std::to_string(kStart + kHour);
  // Descriptors: 0, 1, 2 and the one ls opens to list them.
  CHECK(lines_of(out) ==
        std::vector<std::string>{std::to_string(id) + " env " + event + " " +
                                 std::to_string(kStart + kHour) + " xx 1 UTC hello /usr 4"});
  f.pass_at(kStart + 2 * kHour);
  CHECK(lines_of(out)[0].find(" x" + std::to_string(kStart + kHour) + "x ") != std::string::npos);
}

TEST_CASE("a timeout kills the whole process group", "[pass][slow]") {
  Fixture f;
  std::string pid_file = f.file("grandchild");
  auto id =
      f.create("slow", every("1h"), shell_action("sleep 300 & echo $! > " + pid_file + "; wait"),
               {{"timeout", "1s"}});
  f.pass_at(kStart);
  auto report = f.pass_at(kStart + kHour);
  CHECK(report.failed == 1);
  auto records = f.history(id);
  REQUIRE(records.size() == 1);
  CHECK(records[0].outcome == Outcome::kTimedOut);
  CHECK(records[0].reason == "timed out after 1s");
  // The grandchild is gone too (dead, or a zombie waiting for whoever reaps orphans).
  auto pid = lines_of(pid_file).at(0);
  usleep(100 * 1000);
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string fields;
  std::getline(stat, fields);
  auto state = fields.empty() ? 'X' : fields.at(fields.rfind(')') + 2);
  CHECK((state == 'X' || state == 'Z'));
}

TEST_CASE("the clock moving back fires nothing twice and is recorded", "[pass]") {
  Fixture f;
  auto id = f.create("tick", every("1m"), log_action("t"));
  for (Epoch at = kStart; at <= kStart + 10 * kMinute; at += kMinute) f.pass_at(at);
  auto back = f.pass_at(kStart + 5 * kMinute);
  CHECK(back.clock_jump_seconds == -5 * kMinute);
  CHECK(back.fired == 0);
  auto last = f.store().last_pass();
  REQUIRE(last.ok());
  CHECK((*last)->clock_jump_seconds == -5 * kMinute);
  for (Epoch at = kStart + 6 * kMinute; at <= kStart + 12 * kMinute; at += kMinute) f.pass_at(at);
  auto accounting = account(f.history(id));
  CHECK(accounting.fired.size() == 12);
  for (Epoch fired : accounting.fired) CHECK(accounting.fired.count(fired) == 1);
}

TEST_CASE("a trigger whose clock fails is set aside; the others still fire", "[pass]") {
  Fixture f;
  auto broken = f.create("broken", every("1m"), log_action("b"));
  auto fine = f.create("fine", every("1m"), log_action("f"));
  f.pass_at(kStart);
  // Its zone vanishes from the system (simulated by renaming it in the database).
  {
    auto found = f.find(broken);
    found.tz = "Gone/Zone";
    REQUIRE(f.store().transaction([&] { return f.store().update_trigger(found); }).ok());
  }
  auto report = f.pass_at(kStart + kMinute);
  CHECK(report.set_aside == 1);
  REQUIRE(report.failures.size() == 1);
  // One subject, said once: not "'broken': clock set aside: trigger 1: its time zone ...".
  CHECK(report.failures[0].summary ==
        "'broken' is set aside: its time zone 'Gone/Zone' is no longer known to this system");
  auto records = f.history(broken);
  REQUIRE(!records.empty());
  CHECK(records.back().reason ==
        "set aside: its time zone 'Gone/Zone' is no longer known to this system");
  CHECK(account(f.history(fine)).fired.size() == 1);
  auto figures = f.store().queue_figures(kStart + kMinute);
  REQUIRE(figures.ok());
  CHECK(figures->set_aside == 1);
}

TEST_CASE("a dry run changes nothing", "[pass]") {
  Fixture f;
  f.create("a", every("1m"), shell_action("exit 0"));
  f.pass_at(kStart);
  std::vector<std::string> plan;
  PassOptions options;
  options.dry_run = true;
  options.narrate = [&](const std::string& line) { plan.push_back(line); };
  auto before = f.store().counter("cursor");
  auto report = f.pass_at(kStart + 2 * kMinute, options);
  CHECK(report.fired == 1);
  CHECK(report.ran == 0);
  CHECK(std::find(plan.begin(), plan.end(),
                  "'a': would run --sh 'exit 0' (event 1-" + std::to_string(kStart + 2 * kMinute) +
                      ")") != plan.end());
  auto figures = f.store().queue_figures(kStart + 2 * kMinute);
  REQUIRE(figures.ok());
  CHECK(figures->due == 1);  // still due: nothing was fired for real
  CHECK(figures->queued == 0);
  CHECK(*f.store().counter("cursor") == *before);
}

TEST_CASE("jitter is stable per trigger and occurrence and within bounds", "[pass]") {
  std::set<std::int64_t> seen;
  for (Epoch e = kStart; e < kStart + 1000 * kMinute; e += kMinute) {
    auto offset = trigger::jitter_offset(7, e, 300);
    CHECK(offset >= 0);
    CHECK(offset < 300);
    CHECK(offset == trigger::jitter_offset(7, e, 300));
    seen.insert(offset);
  }
  CHECK(seen.size() > 200);  // spread, not constant
  CHECK(trigger::jitter_offset(7, kStart, 0) == 0);
}

TEST_CASE("an idle pass visits a constant number of rows however many triggers there are",
          "[pass][cost]") {
  auto idle_cost = [](int triggers) {
    Fixture f;
    trigger::TriggerSpec spec;
    spec.clock = every("1d");
    spec.tz = "UTC";
    spec.action = log_action("x");
    auto built = trigger::build_trigger(spec, kStart);
    REQUIRE(built.ok());
    REQUIRE(f.store()
                .transaction([&]() -> trigger::Status {
                  for (int i = 0; i < triggers; ++i) {
                    auto inserted = f.store().insert_trigger(*built);
                    if (!inserted) return inserted.error();
                  }
                  return trigger::Ok{};
                })
                .ok());
    f.pass_at(kStart);  // schedules them all
    auto rows = f.store().stats().rows_read;
    auto pages = f.store().stats().blocks_read;
    auto report = f.pass_at(kStart + kMinute);  // nothing changed, nothing due
    CHECK(report.scheduled == 0);
    CHECK(report.fired == 0);
    return std::make_pair(f.store().stats().rows_read - rows, f.store().stats().blocks_read - pages);
  };
  auto small = idle_cost(1000);
  auto large = idle_cost(100000);
  CHECK(large.first == small.first);  // rows: the same few
  CHECK(large.first <= 4);
  CHECK(large.second <= small.second + 8);  // pages: one more b-tree level at most per lookup
}

TEST_CASE("a full disk fails the pass with one line and sets no trigger aside", "[pass][hostile]") {
  Fixture f;
  // Ten hours of missed minutes under --misfire all: firing them needs pages the database
  // cannot add.
  auto catch_up = f.create("catch-up", every("1m"), log_action("c"), {{"misfire", "all"}});
  auto quiet = f.create("quiet", every("1d"), log_action("q"));
  f.pass_at(kStart);
  Epoch later = kStart + 10 * kHour;
  {
    PageLimit full;
    auto limited = Store::open(f.file("t.db"), Store::Mode::kReadWrite);
    REQUIRE(limited.ok());
    f.set_now(later);
    auto report = trigger::run_pass(**limited, f.options());
    INFO((report.ok() ? "fired " + std::to_string(report->fired) + ", set aside " +
                            std::to_string(report->set_aside) + ": " +
                            (report->failures.empty() ? "" : report->failures[0].summary)
                      : ""));
    REQUIRE_FALSE(report.ok());
    CHECK(report.error().kind() == ErrorKind::kIO);
    CHECK(report.error().message() ==
          "cannot write database '" + f.file("t.db") + "': disk or database full");
  }
  // The firing was rolled back whole: no task, no record, the event not advanced, and the
  // trigger not set aside for what was the disk's fault.
  auto event = f.store().event(catch_up);
  REQUIRE(event.ok());
  CHECK(event->next_event_epoch == kStart + kMinute);
  CHECK_FALSE(event->error);
  CHECK(*f.store().open_tasks(catch_up) == 0);
  CHECK(f.history(catch_up).empty());
  auto figures = f.store().queue_figures(later);
  REQUIRE(figures.ok());
  CHECK(figures->set_aside == 0);
  // The pass is on record as failed with its error (or, had even that not fit, as died).
  CHECK(figures->failed_passes_in_a_row == 1);
  REQUIRE(figures->last_failed_pass);
  CHECK(figures->last_failed_pass_end == trigger::PassEnd::kFailed);
  CHECK(figures->last_failed_pass->error ==
        "cannot write database '" + f.file("t.db") + "': disk or database full");
  // With room again, the next pass fires every occurrence once.
  f.pass_at(later);
  CHECK(account(f.history(catch_up)).fired.size() == 600);
  CHECK(account(f.history(quiet)).fired.empty());
}

// --- leases ----------------------------------------------------------------------------------

namespace {

// Fire the occurrences due at `at` and lease them (`count` of them) to `holder` for `ttl`
// seconds, as a pass that then stops (or runs its commands elsewhere) would leave them.
std::vector<trigger::Task> lease_due(Fixture& f, Epoch at, const trigger::LeaseHolder& holder,
                                     std::int64_t ttl, std::size_t count = 1) {
  f.set_now(at);
  PassReport fired;
  REQUIRE(trigger::fire_phase(f.store(), at, {}, fired).ok());
  std::vector<trigger::Task> leased;
  REQUIRE(f.store()
              .transaction([&]() -> trigger::Status {
                auto tasks = f.store().lease_tasks(holder, at, ttl, 10);
                if (!tasks) return tasks.error();
                leased = *tasks;
                return trigger::Ok{};
              })
              .ok());
  REQUIRE(leased.size() == count);
  return leased;
}

// A pid of this host that has ended: a child, reaped.
std::int64_t dead_pid() {
  pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(child > 0);
  waitpid(child, nullptr, 0);
  return child;
}

std::vector<Outcome> outcomes(const std::vector<HistoryRecord>& records) {
  std::vector<Outcome> list;
  for (const auto& record : records) list.push_back(record.outcome);
  return list;
}

// Run `sql` on the fixture's database through a connection of its own (as another program
// that damages it would).
void exec_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* message = nullptr;
  int code = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  INFO((message != nullptr ? message : ""));
  sqlite3_free(message);
  sqlite3_close(db);
  REQUIRE(code == SQLITE_OK);
}

// The scheduled epochs of a trigger's final outcomes, oldest record first.
std::vector<Epoch> outcomes_in_order(const std::vector<HistoryRecord>& records) {
  std::vector<Epoch> order;
  for (const auto& r : records) {
    if (r.outcome == Outcome::kSucceeded) order.push_back(*r.scheduled_epoch);
  }
  return order;
}

// Queue a manual run of a trigger with the catalog, as `trigger fire` does.
void queue_manual_run(Store& store, std::int64_t trigger_id, Epoch at) {
  auto run = trigger::fire_trigger(store, std::to_string(trigger_id), at);
  INFO((run.ok() ? "" : run.error().message()));
  REQUIRE(run.ok());
}

}  // namespace

TEST_CASE("a lease held by a live pass of this host is never taken, even long expired",
          "[pass][lease]") {
  Fixture f;
  std::string ran = f.file("ran");
  auto id = f.create("long", every("1h"), shell_action("echo run >> " + ran));
  f.pass_at(kStart);
  // This very process holds the lease: alive, on this host, in this boot.
  lease_due(f, kStart + kHour, live_holder("live-pass"), 120);
  // A clock stepped a day forward (or a suspend) makes the lease look long expired.
  auto report = f.pass_at(kStart + kHour + kDay);
  CHECK(report.interrupted == 0);
  CHECK(lines_of(ran).empty());
  // Nothing run, nothing interrupted (the later occurrences are skipped: it still runs).
  auto accounting = account(f.history(id));
  CHECK(accounting.fired.empty());
  CHECK(accounting.total() == 24);  // 09:00 runs; the next day's 24 are coalesced and skipped
  CHECK(outcomes(f.history(id)) == std::vector<Outcome>{Outcome::kCoalesced, Outcome::kSkipped});
  auto leased = f.store().leased_tasks();
  REQUIRE(leased.ok());
  REQUIRE(leased->size() == 1);
  CHECK((*leased)[0].lease_owner == "live-pass");
}

TEST_CASE("a dead pass's run is reclaimed at once, recorded interrupted and run again",
          "[pass][lease]") {
  Fixture f;
  std::string ran = f.file("ran");
  auto id = f.create("victim", every("1h"),
                     shell_action("echo \"$TRIGGER_ATTEMPT\" >> " + ran));
  auto flaky = f.create("flaky", every("1h"), shell_action("exit 3"),
                        {{"retries", "1"}, {"backoff", "10s"}});
  f.pass_at(kStart);
  const trigger::ProcessIdentity& self = trigger::this_process();
  trigger::LeaseHolder dead{"dead-pass", self.host, self.boot_id, dead_pid(), 1};
  lease_due(f, kStart + kHour, dead, 120, 2);
  // A second later the lease has not expired, but its holder is gone: reclaimed now.
  auto report = f.pass_at(kStart + kHour + 1);
  CHECK(report.interrupted == 2);
  CHECK(lines_of(ran) == std::vector<std::string>{"2"});
  auto records = f.history(id);
  REQUIRE(records.size() == 2);
  CHECK(records[0].outcome == Outcome::kInterrupted);
  CHECK(records[0].count == 0);
  CHECK(records[0].attempts == 1);
  CHECK(records[0].reason == "attempt 1 cut short: the pass running it (pid " +
                                 std::to_string(dead.pid) + " on '" + self.host + "') died");
  CHECK(records[1].outcome == Outcome::kSucceeded);
  CHECK(records[1].attempts == 2);
  CHECK(account(records).fired == std::multiset<Epoch>{kStart + kHour});
  // The interrupted attempt used none of flaky's one retry: attempt 2 failed and is retried.
  CHECK(report.retried == 1);
  auto last = f.pass_at(kStart + kHour + 11);
  CHECK(last.failed == 1);
  auto flaky_records = f.history(flaky);
  CHECK(outcomes(flaky_records) ==
        std::vector<Outcome>{Outcome::kInterrupted, Outcome::kRetried, Outcome::kFailed});
  CHECK(flaky_records.back().attempts == 3);
}

TEST_CASE("a run leased on another host is taken over only once its heartbeat lapsed",
          "[pass][lease]") {
  Fixture f;
  std::string ran = f.file("ran");
  auto id = f.create("remote", every("1h"), shell_action("echo run >> " + ran));
  f.pass_at(kStart);
  trigger::LeaseHolder remote{"remote-pass", "elsewhere.example", "another-boot", 4242, 77};
  lease_due(f, kStart + kHour, remote, 120);
  CHECK(f.pass_at(kStart + kHour + 119).interrupted == 0);
  CHECK(lines_of(ran).empty());
  CHECK(f.pass_at(kStart + kHour + 120).interrupted == 1);
  CHECK(lines_of(ran) == std::vector<std::string>{"run"});
  auto records = f.history(id);
  REQUIRE(records.size() == 2);
  CHECK(records[0].reason ==
        "attempt 1 cut short: no heartbeat from the pass running it (pid 4242 on "
        "'elsewhere.example') since 2026-12-01T09:02:00Z");
}

TEST_CASE("a pass renews its leases while its commands run", "[pass][lease][slow]") {
  Fixture f;
  f.create("slow", every("1h"), shell_action("sleep 3"));
  f.pass_at(kStart);
  PassReport fired;
  f.set_now(kStart + kHour);
  REQUIRE(trigger::fire_phase(f.store(), kStart + kHour, {}, fired).ok());
  // Real time from here (past kStart + 1h): a 4 s lease, renewed every second, seen from a
  // second connection while the command runs.
  std::vector<Epoch> seen;
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    auto other = Store::open(f.file("t.db"), Store::Mode::kReadOnly);
    while (other.ok() && !done) {
      auto leased = (*other)->leased_tasks();
      if (leased.ok() && !leased->empty() && (*leased)[0].lease_expires_epoch)
        if (seen.empty() || seen.back() != *(*leased)[0].lease_expires_epoch)
          seen.push_back(*(*leased)[0].lease_expires_epoch);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  PassOptions options;  // the system's clocks
  options.lease_ttl_seconds = 4;
  options.max_time_seconds = 60;
  PassReport report;
  auto executed = trigger::execute_phase(f.store(), options, report);
  done = true;
  watcher.join();
  REQUIRE(executed.ok());
  CHECK(report.ran == 1);
  INFO("lease expiries seen: " << seen.size());
  REQUIRE(seen.size() >= 2);
  CHECK(seen.back() > seen.front());
}

TEST_CASE("out of descriptors, a command is left queued unstarted, not failed",
          "[pass][lease][hostile]") {
  Fixture f;
  std::string ran = f.file("ran");
  auto id = f.create("starved", every("1h"), shell_action("echo \"$TRIGGER_ATTEMPT\" >> " + ran));
  f.pass_at(kStart);
  PassReport fired;
  f.set_now(kStart + kHour);
  REQUIRE(trigger::fire_phase(f.store(), kStart + kHour, {}, fired).ok());
  PassReport report;
  {
    // No descriptor can be added: the lowest free one is at the limit.
    int lowest = dup(0);
    REQUIRE(lowest >= 0);
    close(lowest);
    rlimit saved;
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    rlimit low = saved;
    low.rlim_cur = static_cast<rlim_t>(lowest);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    PassOptions options = f.options();
    options.max_time_seconds = 60;
    auto executed = trigger::execute_phase(f.store(), options, report);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
    REQUIRE(executed.ok());
  }
  CHECK(report.deferred == 1);
  CHECK(report.failed == 0);
  CHECK(report.ran == 0);
  CHECK(report.start_trouble == "cannot create a pipe: Too many open files; 1 run left queued");
  CHECK(f.history(id).empty());
  CHECK(*f.store().open_tasks(id) == 1);
  auto leased = f.store().leased_tasks();
  REQUIRE(leased.ok());
  CHECK(leased->empty());
  // With descriptors again, it runs as attempt 1.
  f.pass_at(kStart + kHour + 1);
  CHECK(lines_of(ran) == std::vector<std::string>{"1"});
  CHECK(outcomes(f.history(id)) == std::vector<Outcome>{Outcome::kSucceeded});
}

TEST_CASE("the reclaim step reads the leased rows, not the queue", "[pass][lease]") {
  Fixture f;
  auto catch_up = f.create("backlog", every("1m"), log_action("b"),
                           {{"misfire", "all"}, {"overlap", "queue"}});
  f.pass_at(kStart);
  PassReport fired;
  f.set_now(kStart + 5000 * kMinute);
  REQUIRE(trigger::fire_phase(f.store(), kStart + 5000 * kMinute, {}, fired).ok());
  REQUIRE(*f.store().open_tasks(catch_up) == 5000);
  auto pages = f.store().stats().blocks_read;
  auto leased = f.store().leased_tasks();
  REQUIRE(leased.ok());
  CHECK(leased->empty());
  CHECK(f.store().stats().blocks_read - pages < 10);
}

TEST_CASE("a dead pass's run of a trigger cancelled meanwhile is recorded cancelled, not rerun",
          "[pass][lease]") {
  Fixture f;
  std::string ran = f.file("ran");
  auto id = f.create("gone", every("1h"), shell_action("echo run >> " + ran));
  f.pass_at(kStart);
  const trigger::ProcessIdentity& self = trigger::this_process();
  lease_due(f, kStart + kHour, {"dead-pass", self.host, self.boot_id, dead_pid(), 1}, 120);
  // cancel leaves a leased run alone: it may still be running.
  f.set_state(id, State::kCancelled);
  CHECK(*f.store().open_tasks(id) == 1);
  auto report = f.pass_at(kStart + kHour + 1);
  CHECK(report.interrupted == 1);
  CHECK(lines_of(ran).empty());
  CHECK(*f.store().open_tasks(id) == 0);
  CHECK(outcomes(f.history(id)) == std::vector<Outcome>{Outcome::kInterrupted, Outcome::kCancelled});
}

TEST_CASE("a catch-up beyond the catch-up cap is queued whole, in order, under --overlap skip",
          "[pass][backlog]") {
  Fixture f;
  PassOptions options;
  options.max_catch_up = 50;  // 300 occurrences: six firings, each continuing the last
  auto all = f.create("all", every("1m"), log_action("a"), {{"misfire", "all"}});
  f.pass_at(kStart, options);
  auto report = f.pass_at(kStart + 300 * kMinute + 30, options);
  CHECK(report.fired == 300);
  CHECK(report.skipped == 0);
  auto records = f.history(all);
  CHECK(account(records).skipped == 0);
  CHECK(account(records).fired.size() == 300);
  auto order = outcomes_in_order(records);
  REQUIRE(order.size() == 300);
  CHECK(std::is_sorted(order.begin(), order.end()));
  // The next occurrence is an ordinary one again: its predecessor is done, it fires.
  CHECK(f.pass_at(kStart + 301 * kMinute, options).fired == 1);
}

TEST_CASE("a catch-up continued by a later pass still queues behind the runs it queued",
          "[pass][backlog]") {
  Fixture f;
  PassOptions options;
  options.max_catch_up = 40;
  auto all = f.create("all", every("1m"), shell_action("true"), {{"misfire", "all"}});
  f.pass_at(kStart, options);
  // The fire phase alone, cut after one firing: the rest is due, its runs are queued.
  PassReport first;
  f.set_now(kStart + 100 * kMinute);
  options.deadline = std::chrono::steady_clock::now();  // no batch after the first
  REQUIRE(trigger::fire_phase(f.store(), kStart + 100 * kMinute, options, first).ok());
  CHECK(first.fired >= 40);
  CHECK(first.fired < 100);
  // A later pass (the runs of the first still queued) queues the rest of the catch-up.
  PassReport rest;
  options.deadline = std::chrono::steady_clock::time_point::max();
  f.set_now(kStart + 100 * kMinute + 20);
  REQUIRE(trigger::fire_phase(f.store(), kStart + 100 * kMinute + 20, options, rest).ok());
  CHECK(first.fired + rest.fired == 100);
  CHECK(rest.skipped == 0);
  CHECK(account(f.history(all)).skipped == 0);
}

TEST_CASE("resume after a long pause under --misfire all queues every missed occurrence",
          "[pass][backlog]") {
  Fixture f;
  PassOptions options;
  options.max_catch_up = 25;
  auto all = f.create("all", every("1m"), log_action("a"), {{"misfire", "all"}});
  f.pass_at(kStart, options);
  f.set_now(kStart + 30);
  f.set_state(all, State::kPaused);
  f.pass_at(kStart + 40, options);
  f.set_now(kStart + 200 * kMinute + 10);
  f.set_state(all, State::kActive);
  auto report = f.pass_at(kStart + 200 * kMinute + 20, options);
  CHECK(report.fired == 200);
  CHECK(report.skipped == 0);
  CHECK(account(f.history(all)).fired.size() == 200);
}

TEST_CASE("--misfire latest fires once however many occurrences were missed", "[pass][backlog]") {
  Fixture f;
  PassOptions options;
  options.max_scan = 64;  // 1000 missed: the walk is cut 15 times before it reaches the latest
  auto latest = f.create("latest", every("1m"), log_action("l"), {{"misfire", "latest"}});
  f.pass_at(kStart, options);
  auto report = f.pass_at(kStart + 1000 * kMinute + 5, options);
  CHECK(report.fired == 1);
  CHECK(report.coalesced == 999);
  auto accounting = account(f.history(latest));
  CHECK(accounting.fired == std::multiset<Epoch>{kStart + 1000 * kMinute});
  CHECK(accounting.coalesced == 999);
}

TEST_CASE(
    "an occurrence due under the old clock is handled by the misfire policy when the clock "
    "changes",
    "[pass][backlog]") {
  Fixture f;
  auto latest = f.create("latest", every("1h"), log_action("l"));
  auto skip =
      f.create("skip", every("1h"), log_action("s"), {{"misfire", "skip"}, {"grace", "2m"}});
  f.pass_at(kStart);
  // 09:00 is due under the hourly clock, but no pass ran before the clocks were changed.
  f.set_now(kStart + kHour + 5 * kMinute);
  trigger::ScheduleChange change;
  change.clock = every("2h");
  f.reschedule(latest, change);
  f.reschedule(skip, change);
  f.pass_at(kStart + kHour + 6 * kMinute);
  // Fired (the default --misfire latest), not dropped.
  CHECK(account(f.history(latest)).fired == std::multiset<Epoch>{kStart + kHour});
  // More than --grace late under --misfire skip: recorded skipped, saying why.
  auto records = f.history(skip);
  auto accounting = account(records);
  CHECK(accounting.fired.empty());
  CHECK(accounting.skipped == 1);
  CHECK(std::any_of(records.begin(), records.end(), [](const HistoryRecord& r) {
    return r.outcome == Outcome::kSkipped && r.reason.find("(--misfire skip)") != std::string::npos;
  }));
  // The new clock goes on from its own setting: the next is two hours after the change.
  CHECK(f.find(latest).next_event_epoch == kStart + 3 * kHour + 5 * kMinute);
}

TEST_CASE("a trigger row that cannot be decoded is set aside; the queue goes on",
          "[pass][backlog]") {
  Fixture f;
  auto damaged = f.create("damaged", every("1m"), log_action("d"));
  auto renamed = f.create("renamed", every("1m"), log_action("r"));
  auto fine = f.create("fine", every("1m"), log_action("f"));
  f.pass_at(kStart);
  // A damaged value in a scheduled trigger (the fire phase reads it) ...
  exec_sql(f.file("t.db"),
           "UPDATE trigger SET action_env = 'not json' WHERE id = " + std::to_string(damaged));
  // ... and in a changed one (the schedule phase reads it), past the CHECK constraints.
  exec_sql(f.file("t.db"),
           "PRAGMA ignore_check_constraints = ON; UPDATE counter SET value = value + 1 WHERE name "
           "= 'version'; UPDATE trigger SET misfire = 'bogus', version = (SELECT value FROM "
           "counter WHERE name = 'version') WHERE id = " +
               std::to_string(renamed));
  auto report = f.pass_at(kStart + kMinute);
  CHECK(report.set_aside == 2);
  CHECK(account(f.history(fine)).fired.size() == 1);
  for (auto id : {damaged, renamed}) {
    auto records = f.history(id);
    REQUIRE(records.size() >= 1);
    CHECK(records.back().outcome == Outcome::kFailed);
    CHECK(records.back().count == 0);
    CHECK(records.back().reason.rfind("set aside: database '", 0) == 0);
    CHECK(records.back().reason.find("trigger " + std::to_string(id) + " holds a damaged value") !=
          std::string::npos);
  }
  // Later passes neither abort at them nor set them aside again.
  auto later = f.pass_at(kStart + 2 * kMinute);
  CHECK(later.set_aside == 0);
  CHECK(account(f.history(fine)).fired.size() == 2);
}

TEST_CASE("a queued run whose trigger row cannot be decoded is recorded failed, not run",
          "[pass][backlog]") {
  Fixture f;
  std::string ran = f.file("ran");
  auto damaged = f.create("damaged", every("1m"), shell_action("echo d >> " + ran));
  auto fine = f.create("fine", every("1m"), shell_action("echo f >> " + ran));
  f.pass_at(kStart);
  PassReport fired;
  f.set_now(kStart + kMinute);
  REQUIRE(trigger::fire_phase(f.store(), kStart + kMinute, {}, fired).ok());
  REQUIRE(fired.fired == 2);
  // Damaged after its run was queued: the execute phase is the first to read it.
  exec_sql(f.file("t.db"),
           "UPDATE trigger SET action_argv = 'not json' WHERE id = " + std::to_string(damaged));
  auto report = f.pass_at(kStart + kMinute);
  CHECK(report.set_aside == 1);
  CHECK(lines_of(ran) == std::vector<std::string>{"f"});
  CHECK(*f.store().open_tasks(damaged) == 0);
  auto records = f.history(damaged);
  int runs_failed = 0;
  int set_aside = 0;
  for (const auto& record : records) {
    if (record.outcome != Outcome::kFailed) continue;
    if (record.count == 1 && record.reason.rfind("not run: ", 0) == 0) ++runs_failed;
    if (record.count == 0 && record.reason.rfind("set aside: ", 0) == 0) ++set_aside;
  }
  CHECK(runs_failed == 1);  // the run, accounted for
  CHECK(set_aside == 1);    // the trigger, once
  CHECK(account(f.history(fine)).fired.size() == 1);
  // Later passes go on.
  auto later = f.pass_at(kStart + 2 * kMinute);
  CHECK(account(f.history(fine)).fired.size() == 2);
  CHECK(later.set_aside == 0);
}

TEST_CASE("a database others can write runs no queued command, whatever its trigger's state",
          "[pass][safety]") {
  for (State state : {State::kDone, State::kCancelled, State::kPaused, State::kActive}) {
    INFO(trigger::to_string(state));
    Fixture f;
    auto ran = f.file("ran");
    // Another user's trigger: a command, fired, then marked done (or cancelled) by hand.
    auto id = f.create("evil", every("1h"), shell_action("touch '" + ran + "'"));
    queue_manual_run(f.store(), id, f.now());
    REQUIRE(f.store()
                .transaction([&]() -> trigger::Status {
                  return state == State::kDone ? f.store().finish_trigger(id, f.now())
                                               : f.store().set_state(id, state, f.now());
                })
                .ok());
    REQUIRE(chmod(f.file("t.db").c_str(), 0666) == 0);
    auto report = trigger::run_pass(f.store(), f.options());
    REQUIRE_FALSE(report.ok());
    CHECK(report.error().kind() == ErrorKind::kUnsafe);
    CHECK(report.error().message() == "refusing to run commands from database '" +
                                          f.file("t.db") + "': mode 0666 lets others write it");
    CHECK(access(ran.c_str(), F_OK) != 0);
  }
}

TEST_CASE("a command queued in an unsafe database while a pass runs is refused at its lease",
          "[pass][safety]") {
  Fixture f;
  auto ran = f.file("ran");
  auto log = f.create("harmless", every("1m"), log_action("tick"));
  REQUIRE(chmod(f.file("t.db").c_str(), 0666) == 0);
  f.pass_at(kStart);
  auto report = f.pass_at(kStart + kMinute);  // --log work runs from anywhere
  CHECK(report.ran == 1);
  // While the pass lingers, another user adds a command and fires it: the pass has checked the
  // database once already, at its start, when it held --log actions only.
  auto evil = f.create("evil", every("1h"), shell_action("touch '" + ran + "'"));
  queue_manual_run(f.store(), evil, f.now());
  f.set_now(kStart + 2 * kMinute);
  REQUIRE(trigger::fire_phase(f.store(), f.now(), {}, report).ok());
  PassReport executed;
  auto status = trigger::execute_phase(f.store(), f.options(), executed);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind() == ErrorKind::kUnsafe);
  CHECK(access(ran.c_str(), F_OK) != 0);
  CHECK(executed.ran == 1);  // the --log run due at the same time was done first
  CHECK(*f.store().open_tasks(evil) == 1);  // still queued, not consumed
  CHECK(account(f.history(log)).fired.size() == 2);
}

namespace {

// A directory tree for the safety checks: `mkdir(name, mode)` makes a directory below it (the
// mode set exactly, whatever the umask), `touch` a file.
class Tree {
 public:
  Tree() {
    std::string pattern = "/tmp/trigger-safety-test-XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    root_ = pattern;
  }
  ~Tree() { std::system(("chmod -R u+rwx '" + root_ + "'; rm -rf '" + root_ + "'").c_str()); }
  std::string path(const std::string& name) const { return root_ + "/" + name; }
  std::string mkdir(const std::string& name, mode_t mode) {
    REQUIRE(::mkdir(path(name).c_str(), 0700) == 0);
    REQUIRE(chmod(path(name).c_str(), mode) == 0);
    return path(name);
  }
  std::string touch(const std::string& name, mode_t mode = 0600) {
    std::ofstream{path(name)};
    REQUIRE(chmod(path(name).c_str(), mode) == 0);
    return path(name);
  }

 private:
  std::string root_;
};

}  // namespace

TEST_CASE("the safety check follows links to the files SQLite uses and checks every directory up",
          "[pass][safety]") {
  Tree tree;
  auto shared = tree.mkdir("shared", 0777);
  auto db = tree.touch("shared/t.db");
  auto home = tree.mkdir("home", 0700);
  REQUIRE(symlink(db.c_str(), tree.path("home/t.db").c_str()) == 0);
  // Another user's -wal, planted next to the real database, would replace its contents.
  tree.touch("shared/t.db-wal");
  auto link = trigger::check_database_safety(tree.path("home/t.db"));
  REQUIRE_FALSE(link.ok());
  CHECK(link.error().kind() == ErrorKind::kUnsafe);
  CHECK(link.error().message() == "refusing to run commands from database directory '" + shared +
                                      "': mode 0777 lets others write it");

  struct Case {
    const char* what;
    std::function<std::string()> make;  // returns the database path
    std::string refusal;                // "" when it is safe
  };
  std::vector<Case> cases = {
      {"a private directory under a sticky one like /tmp",
       [&] {
         tree.mkdir("sticky", 01777);
         tree.mkdir("sticky/mine", 0700);
         return tree.touch("sticky/mine/t.db");
       },
       ""},
      {"a private directory under one others can write",
       [&] {
         tree.mkdir("open", 0777);
         tree.mkdir("open/mine", 0700);
         return tree.touch("open/mine/t.db");
       },
       "refusing to run commands from directory '" + tree.path("open") + "' above database '" +
           tree.path("open/mine/t.db") + "': mode 0777 lets others rename what it holds"},
      {"a sticky directory as the database's own",
       [&] {
         tree.mkdir("tmp", 01777);
         return tree.touch("tmp/t.db");
       },
       "refusing to run commands from database directory '" + tree.path("tmp") +
           "': mode 1777 lets others write it"},
      {"a -shm file others can write",
       [&] {
         tree.mkdir("shm", 0700);
         tree.touch("shm/t.db-shm", 0666);
         return tree.touch("shm/t.db");
       },
       "refusing to run commands from database shared memory '" + tree.path("shm/t.db-shm") +
           "': mode 0666 lets others write it"},
      {"a -wal file that is a link",
       [&] {
         tree.mkdir("wal", 0700);
         REQUIRE(symlink("/dev/null", tree.path("wal/t.db-wal").c_str()) == 0);
         return tree.touch("wal/t.db");
       },
       "refusing to run commands from database journal '" + tree.path("wal/t.db-wal") +
           "': it is a symbolic link"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto path = c.make();
    auto checked = trigger::check_database_safety(path);
    CHECK(checked.ok() == c.refusal.empty());
    if (!checked.ok()) CHECK(checked.error().message() == c.refusal);
  }
}

TEST_CASE("a pass through a link to a database in a directory others can write runs nothing",
          "[pass][safety]") {
  Tree tree;
  auto shared = tree.mkdir("shared", 0777);
  tree.mkdir("home", 0700);
  std::string ran = tree.path("home/ran");
  {
    auto store = Store::open(tree.path("shared/t.db"), Store::Mode::kReadWrite);
    REQUIRE(store.ok());
  }
  REQUIRE(symlink(tree.path("shared/t.db").c_str(), tree.path("home/t.db").c_str()) == 0);
  auto opened = Store::open(tree.path("home/t.db"), Store::Mode::kReadWrite);
  REQUIRE(opened.ok());
  Store& store = **opened;
  CHECK(store.location() == tree.path("home/t.db"));
  CHECK(static_cast<trigger::SqliteStore&>(store).real_path() == tree.path("shared/t.db"));
  trigger::FixedEnv env(kStart);
  trigger::TriggerSpec spec;
  spec.name = "evil";
  spec.clock = every("1m");
  spec.tz = "UTC";
  spec.action = shell_action("touch '" + ran + "'");
  auto built = trigger::build_trigger(spec, kStart);
  REQUIRE(built.ok());
  REQUIRE(store.transaction([&]() -> trigger::Status {
                 auto inserted = store.insert_trigger(*built);
                 if (!inserted) return inserted.error();
                 return trigger::Ok{};
               })
              .ok());
  PassOptions options;
  options.env = &env;
  auto report = trigger::run_pass(store, options);
  REQUIRE_FALSE(report.ok());
  CHECK(report.error().message() == "refusing to run commands from database directory '" +
                                        shared + "': mode 0777 lets others write it");
}

TEST_CASE("a finished run's outcome is synced while a long command still runs", "[pass]") {
  Fixture f;
  f.create("quick", every("1h"), shell_action("true"));
  f.create("long", every("1h"), shell_action("sleep 2"));
  f.pass_at(kStart);
  // quick's outcome is committed batched at once; no transaction comes while long sleeps, so
  // only the execute loop's timed sync can put it on disk before the pass ends.
  PassOptions options;
  options.jobs = 2;
  f.pass_at(kStart + kHour, options);
  CHECK(f.store().stats().timed_syncs >= 1);
  CHECK_FALSE(f.store().unsynced());
}

TEST_CASE("a pass that fails or is refused is on record with its error", "[pass]") {
  Fixture f;
  f.create("cmd", every("1m"), shell_action("true"));
  f.pass_at(kStart);
  chmod(f.file("t.db").c_str(), 0666);  // others may write it: commands are refused
  f.set_now(kStart + kMinute);
  auto refused = trigger::run_pass(f.store(), f.options());
  chmod(f.file("t.db").c_str(), 0600);
  REQUIRE_FALSE(refused.ok());
  REQUIRE(refused.error().kind() == ErrorKind::kUnsafe);
  auto figures = f.store().queue_figures(kStart + kMinute);
  REQUIRE(figures.ok());
  CHECK(figures->last_pass_end == trigger::PassEnd::kRefused);
  CHECK(figures->failed_passes_in_a_row == 1);
  REQUIRE(figures->last_failed_pass);
  CHECK(figures->last_failed_pass->error == refused.error().message());
  CHECK(figures->last_failed_pass->outcome == trigger::PassOutcome::kRefused);
  // A pass that works again ends the run of failures.
  f.pass_at(kStart + kMinute);
  figures = f.store().queue_figures(kStart + kMinute);
  REQUIRE(figures.ok());
  CHECK(figures->last_pass_end == trigger::PassEnd::kOk);
  CHECK(figures->failed_passes_in_a_row == 0);
}

// --- time through the Env seam: linger and lease expiry on a fake clock ----------------------

TEST_CASE("a lingering pass fires each occurrence at its second until max-time, on fake time",
          "[pass][env]") {
  Fixture f;
  auto id = f.create("tick", every("1m", "2026-12-01T09:00:00Z"), log_action("tick"));
  trigger::FakeEnv env(kStart);
  f.store().set_env(env);
  PassOptions options;
  options.env = &env;
  options.linger = true;
  options.max_time_seconds = 200;  // 09:00:00 .. 09:03:20 of the fake clock
  auto report = trigger::run_pass(f.store(), options);
  REQUIRE(report.ok());
  // The pass slept the whole budget but for its last second, on the fake clock alone.
  CHECK(env.slept() >= std::chrono::seconds(198));
  CHECK(env.slept() <= std::chrono::seconds(200));
  auto records = f.history(id);
  REQUIRE(records.size() == 3);  // 09:01, 09:02, 09:03; 09:00 is the anchor, not an occurrence
  for (std::size_t i = 0; i < records.size(); ++i) {
    Epoch due = kStart + kMinute * static_cast<Epoch>(i + 1);
    CHECK(records[i].scheduled_epoch == due);
    CHECK(records[i].outcome == Outcome::kSucceeded);
    // Fired at its second: the fake clock had reached it and not gone a second past.
    REQUIRE(records[i].finished_epoch.has_value());
    CHECK(*records[i].finished_epoch == due);
  }
}

TEST_CASE("another host's lease lapses at its expiry to the millisecond, on fake time",
          "[pass][lease][env]") {
  Fixture f;
  f.create("remote", every("1h"), log_action("remote"));
  f.pass_at(kStart);
  trigger::LeaseHolder remote{"remote-pass", "elsewhere.example", "another-boot", 4242, 77};
  lease_due(f, kStart + kHour, remote, 120);
  trigger::FakeEnv env(kStart + kHour + 119);
  env.advance(std::chrono::milliseconds(999));  // 119.999 s after the lease was taken
  f.store().set_env(env);
  PassOptions options;
  options.env = &env;
  auto before = trigger::run_pass(f.store(), options);
  REQUIRE(before.ok());
  CHECK(before->interrupted == 0);
  env.advance(std::chrono::milliseconds(1));  // 120.000 s: the heartbeat has lapsed
  auto after = trigger::run_pass(f.store(), options);
  REQUIRE(after.ok());
  CHECK(after->interrupted == 1);
  CHECK(after->ran == 1);
}

TEST_CASE("a pass at a fixed time stays at it through the pauses it leaves writers",
          "[pass][env]") {
  Fixture f;
  constexpr int kTriggers = 60;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < kTriggers; ++i)
    ids.push_back(f.create("t" + std::to_string(i), every("1m"), log_action("tick")));
  f.pass_at(kStart);
  // --now over a monotonic clock on which every look takes 100 ms: each write transaction
  // holds the database past the writer gap, so the pass pauses 50 ms after each.
  trigger::FakeEnv base(kStart, std::chrono::milliseconds(100));
  trigger::FixedEnv env(kStart + kMinute, base);
  PassOptions options;
  options.env = &env;
  options.max_time_seconds = 600;
  auto report = trigger::run_pass(f.store(), options);
  f.store().set_env(f.env());
  REQUIRE(report.ok());
  CHECK(report->ran == kTriggers);
  CHECK(base.slept() >= std::chrono::seconds(1));  // twenty pauses at least
  // The pauses are not the pass waiting for time to pass: the fixed time stands still.
  CHECK(env.now() == kStart + kMinute);
  auto last = f.store().last_pass();
  REQUIRE(last.ok());
  REQUIRE(*last);
  CHECK((*last)->finished_epoch == kStart + kMinute);
  for (auto id : ids) {
    auto records = f.history(id);
    REQUIRE(records.size() == 1);
    CHECK(records[0].finished_epoch == kStart + kMinute);
  }
}

TEST_CASE("a failed run is tried again only once its backoff has passed, on fake time",
          "[pass][env]") {
  Fixture f;
  auto id = f.create("flaky", every("1h"), shell_action("exit 3"),
                     {{"retries", "2"}, {"backoff", "10s"}});
  f.pass_at(kStart);
  // Fake clocks that stand still while the commands run (each ends well within 10 s).
  trigger::FakeEnv env(kStart + kHour, std::chrono::milliseconds(0), std::chrono::seconds(10));
  std::vector<Epoch> starts;  // the fake time of each attempt's start
  PassOptions options;
  options.env = &env;
  options.linger = true;
  options.max_time_seconds = 60;
  options.narrate = [&](const std::string& line) {
    if (line.find("': run ") != std::string::npos) starts.push_back(env.now());
  };
  auto report = trigger::run_pass(f.store(), options);
  f.store().set_env(f.env());
  REQUIRE(report.ok());
  CHECK(report->retried == 2);
  CHECK(report->failed == 1);
  // 10 s after the first failure, then 20 s after the second: the backoff doubles.
  CHECK(starts == std::vector<Epoch>{kStart + kHour, kStart + kHour + 10, kStart + kHour + 30});
  auto records = f.history(id);
  REQUIRE(records.size() == 3);  // two retried attempts, then the last
  CHECK(records[0].started_epoch == kStart + kHour);
  CHECK(records[1].started_epoch == kStart + kHour + 10);
  CHECK(records[2].attempts == 3);
  CHECK(records[2].started_epoch == kStart + kHour + 30);
}

namespace {

// Fake clocks through which a test watches the pass: each time the pass waits for its
// commands, the fake time and the lease expiry of the one leased task, as a second connection
// sees it, are noted; once the fake time reaches `release_at`, the file `release` is created.
class LeaseWatchingEnv final : public trigger::Env {
 public:
  LeaseWatchingEnv(trigger::FakeEnv& clocks, Store& watcher, Epoch release_at, std::string release)
      : clocks_(clocks), watcher_(watcher), release_at_(release_at), release_(std::move(release)) {}

  Epoch now() override { return clocks_.now(); }
  SteadyTime steady_now() override { return clocks_.steady_now(); }
  void sleep_for(std::chrono::milliseconds duration) override { clocks_.sleep_for(duration); }
  int poll(pollfd* fds, std::size_t count, std::chrono::milliseconds timeout) override {
    auto leased = watcher_.leased_tasks();
    if (leased.ok() && leased->size() == 1 && (*leased)[0].lease_expires_epoch)
      seen.emplace_back(clocks_.now(), *(*leased)[0].lease_expires_epoch);
    if (clocks_.now() >= release_at_) std::ofstream(release_).put('\n');
    return clocks_.poll(fds, count, timeout);
  }

  std::vector<std::pair<Epoch, Epoch>> seen;  ///< (now, lease expiry) at each wait

 private:
  trigger::FakeEnv& clocks_;
  Store& watcher_;
  Epoch release_at_;
  std::string release_;
};

}  // namespace

TEST_CASE("a long run's lease is renewed every quarter of its TTL and never lapses, on fake time",
          "[pass][lease][env]") {
  constexpr std::int64_t kTtl = 20;
  constexpr Epoch kRunFor = 60;  // fake seconds: the command runs until the test releases it
  Fixture f;
  std::string release = f.file("release");
  auto id = f.create("long", every("1h"),
                     shell_action("while [ ! -e " + release + " ]; do sleep 0.01; done"));
  f.pass_at(kStart);
  auto watcher = Store::open(f.file("t.db"), Store::Mode::kReadOnly);
  REQUIRE(watcher.ok());
  // Each wait for the command lasts 2 ms of real time and moves the fake clocks on by the
  // whole wait (a second at most).
  trigger::FakeEnv clocks(kStart + kHour, std::chrono::milliseconds(0),
                          std::chrono::milliseconds(2));
  LeaseWatchingEnv env(clocks, **watcher, kStart + kHour + kRunFor, release);
  PassOptions options;
  options.env = &env;
  options.lease_ttl_seconds = kTtl;
  options.max_time_seconds = 600;
  auto report = trigger::run_pass(f.store(), options);
  f.store().set_env(f.env());
  REQUIRE(report.ok());
  CHECK(report->ran == 1);
  CHECK(outcomes(f.history(id)) == std::vector<Outcome>{Outcome::kSucceeded});
  REQUIRE(env.seen.size() >= 2);
  CHECK(env.seen.back().first >= kStart + kHour + kRunFor);
  std::vector<Epoch> expiries;
  for (const auto& [now, expires] : env.seen) {
    INFO("at " << now << " the lease lasts until " << expires);
    // Never lapsed: renewed once a quarter of the TTL has passed, a wait (1 s) late at most.
    CHECK(expires - now >= kTtl - kTtl / 4 - 2);
    if (expiries.empty() || expiries.back() != expires) expiries.push_back(expires);
  }
  REQUIRE(expiries.size() >= kRunFor / (kTtl / 4) - 1);
  for (std::size_t i = 1; i < expiries.size(); ++i) {
    INFO("renewal " << i);
    CHECK(expiries[i] - expiries[i - 1] >= kTtl / 4);
    CHECK(expiries[i] - expiries[i - 1] <= kTtl / 4 + 2);
  }
}

TEST_CASE("a trigger created without --timeout runs a command past an hour untouched, on fake time",
          "[pass][lease][env]") {
  constexpr Epoch kRunFor = kHour + 5 * kMinute;  // fake seconds, until the test releases it
  Fixture f;
  std::string release = f.file("release");
  auto id = f.create("long", every("1d"),
                     shell_action("while [ ! -e " + release + " ]; do sleep 0.01; done"));
  REQUIRE_FALSE(f.store().find_trigger("long")->policy.timeout_seconds);  // none, by default
  f.pass_at(kStart);
  auto watcher = Store::open(f.file("t.db"), Store::Mode::kReadOnly);
  REQUIRE(watcher.ok());
  // Each wait for the command lasts 1 ms of real time and moves the fake clocks on by a second.
  trigger::FakeEnv clocks(kStart + kDay, std::chrono::milliseconds(0),
                          std::chrono::milliseconds(1));
  LeaseWatchingEnv env(clocks, **watcher, kStart + kDay + kRunFor, release);
  PassOptions options;
  options.env = &env;
  options.max_time_seconds = 50;
  auto report = trigger::run_pass(f.store(), options);
  f.store().set_env(f.env());
  REQUIRE(report.ok());
  CHECK(report->failed == 0);
  auto records = f.history(id);
  REQUIRE(records.size() == 1);
  CHECK(records[0].outcome == Outcome::kSucceeded);
  REQUIRE(records[0].finished_epoch);
  CHECK(*records[0].finished_epoch - *records[0].started_epoch >= kRunFor);
  // Its lease was held the whole time: never lapsed while it ran.
  for (const auto& [now, expires] : env.seen) CHECK(expires > now);
}

TEST_CASE("a lingering pass fires what falls due at its second while a long command runs, on fake time",
          "[pass][env]") {
  constexpr Epoch kRunFor = 20;  // fake seconds the slow command runs, until the test releases it
  Fixture f;
  std::string release = f.file("release");
  f.create("slow", every("1h"), shell_action("while [ ! -e " + release + " ]; do sleep 0.01; done"));
  f.pass_at(kStart);
  f.set_now(kStart + kHour);
  auto id = f.create("tick", every("5s"), log_action("tick"));
  auto watcher = Store::open(f.file("t.db"), Store::Mode::kReadOnly);
  REQUIRE(watcher.ok());
  // Each wait for the command lasts 1 ms of real time and moves the fake clocks on by a second.
  trigger::FakeEnv clocks(kStart + kHour, std::chrono::milliseconds(0),
                          std::chrono::milliseconds(1));
  LeaseWatchingEnv env(clocks, **watcher, kStart + kHour + kRunFor, release);
  PassOptions options;
  options.env = &env;
  options.linger = true;
  options.max_time_seconds = 40;
  auto report = trigger::run_pass(f.store(), options);
  f.store().set_env(f.env());
  REQUIRE(report.ok());
  CHECK(report->coalesced == 0);
  auto records = f.history(id);
  REQUIRE(records.size() >= 6);  // +5 s .. +35 s at least
  for (std::size_t i = 0; i < records.size(); ++i) {
    INFO("occurrence " << i);
    // Each fired and ran at its second, slow's command running or not: none coalesced.
    CHECK(records[i].outcome == Outcome::kSucceeded);
    CHECK(records[i].scheduled_epoch == kStart + kHour + 5 * static_cast<Epoch>(i + 1));
    CHECK(records[i].finished_epoch == records[i].scheduled_epoch);
  }
}

TEST_CASE("the wall clock stepped back between passes is on record; stepped forward, caught up",
          "[pass][env]") {
  Fixture f;
  auto id = f.create("tick", every("1m"), log_action("t"), {{"misfire", "all"}});
  trigger::FakeEnv env(kStart);
  PassOptions options;
  options.env = &env;
  auto pass = [&] {
    auto report = trigger::run_pass(f.store(), options);
    REQUIRE(report.ok());
    auto last = f.store().last_pass();
    REQUIRE(last.ok());
    REQUIRE(*last);
    CHECK((*last)->started_epoch == env.now());
    CHECK((*last)->clock_jump_seconds == report->clock_jump_seconds);  // as recorded
    return *report;
  };
  pass();
  env.advance(std::chrono::minutes(1));
  CHECK(pass().fired == 1);
  env.step_wall(-5 * kMinute);  // back to 07:56, the monotonic clock unmoved
  auto back = pass();
  CHECK(back.clock_jump_seconds == -5 * kMinute);
  CHECK(back.fired == 0);
  env.step_wall(15 * kMinute);  // forward to 08:11: no jump on record, the minutes fire
  auto forward = pass();
  CHECK(forward.clock_jump_seconds == 0);
  CHECK(forward.fired == 10);  // 08:02 .. 08:11
  f.store().set_env(f.env());
  auto accounting = account(f.history(id));
  CHECK(accounting.fired.size() == 11);
  for (Epoch fired : accounting.fired) CHECK(accounting.fired.count(fired) == 1);
}

TEST_CASE("a --log run reclaimed from a dead pass is completed once, as its next attempt",
          "[pass][lease]") {
  Fixture f;
  auto id = f.create("note", every("1h"), log_action("noted"));
  f.pass_at(kStart);
  const trigger::ProcessIdentity& self = trigger::this_process();
  trigger::LeaseHolder dead{"dead-pass", self.host, self.boot_id, dead_pid(), 1};
  lease_due(f, kStart + kHour, dead, 120);
  // The reclaimed task is found by the lease of commands, after the logs were completed.
  std::vector<std::string> lines;
  PassOptions options;
  options.narrate = [&](const std::string& line) { lines.push_back(line); };
  auto report = f.pass_at(kStart + kHour + 1, options);
  CHECK(report.interrupted == 1);
  CHECK(report.ran == 1);
  CHECK(std::count(lines.begin(), lines.end(), "'note': log: noted") == 1);
  auto records = f.history(id);
  REQUIRE(records.size() == 2);
  CHECK(records[0].outcome == Outcome::kInterrupted);
  CHECK(records[1].outcome == Outcome::kSucceeded);
  CHECK(records[1].attempts == 2);
  CHECK(records[1].output == "noted");
  CHECK(records[1].exit_status == 0);
  CHECK(records[1].finished_epoch == kStart + kHour + 1);
  auto leased = f.store().leased_tasks();
  REQUIRE(leased.ok());
  CHECK(leased->empty());
  CHECK(f.pass_at(kStart + kHour + 2).ran == 0);
}

// The log's lines with each run's duration ("after 0.2 s") made "after D s".
std::multiset<std::pair<int, std::string>> log_lines(const trigger::CapturingSink& sink) {
  std::multiset<std::pair<int, std::string>> lines;
  static const std::regex kDuration(" after [0-9]+\\.[0-9] s");
  for (const auto& line : sink.lines)
    lines.emplace(static_cast<int>(line.severity),
                  std::regex_replace(line.message, kDuration, " after D s"));
  return lines;
}

TEST_CASE("the pass logs each run's start and end, with its severity", "[pass][syslog]") {
  Fixture f;
  auto bad = f.create("bad", every("1h"), shell_action("echo oops; exit 3"));
  auto good = f.create("good", every("1h"), shell_action("true"));
  auto note = f.create("note", every("1h"), log_action("hello"));
  f.pass_at(kStart);
  trigger::CapturingSink sink;
  PassOptions options;
  options.log = &sink;
  auto report = f.pass_at(kStart + kHour, options);
  auto event = [&](std::int64_t id) {
    return "(event " + std::to_string(id) + "-" + std::to_string(kStart + kHour) + ")";
  };
  constexpr int kInfo = static_cast<int>(trigger::Severity::kInfo);
  constexpr int kErr = static_cast<int>(trigger::Severity::kErr);
  CHECK(log_lines(sink) == std::multiset<std::pair<int, std::string>>{
                               {kInfo, "'note' " + event(note) +
                                           " succeeded after D s, attempt 1: log: hello"},
                               {kInfo, "'bad' " + event(bad) + " started, attempt 1"},
                               {kInfo, "'good' " + event(good) + " started, attempt 1"},
                               {kErr, "'bad' " + event(bad) +
                                          " failed after D s, attempt 1: exit status 3"},
                               {kInfo, "'good' " + event(good) +
                                           " succeeded after D s, attempt 1: exit status 0"}});
  REQUIRE(report.failures.size() == 1);
  CHECK(report.failures[0].output == "oops\n");
  CHECK(report.failures[0].at == kStart + kHour);
  CHECK(report.failures[0].host == trigger::this_process().host);
}

TEST_CASE("the pass logs skipped occurrences as warnings", "[pass][syslog]") {
  Fixture f;
  f.create("late", every("1h"), log_action("l"), {{"misfire", "skip"}, {"grace", "10m"}});
  f.pass_at(kStart);
  trigger::CapturingSink sink;
  PassOptions options;
  options.log = &sink;
  f.pass_at(kStart + kHour + 30 * kMinute, options);
  REQUIRE(sink.lines.size() == 1);
  CHECK(sink.lines[0].severity == trigger::Severity::kWarning);
  CHECK(sink.lines[0].message ==
        "'late' skipped: 1 occurrence at " +
            trigger::format_rfc3339(kStart + kHour, trigger::Zone::utc()) +
            " more than 10m late (--misfire skip)");
}

TEST_CASE("a failure report names host and time, then the output's last 20 lines",
          "[pass][report]") {
  trigger::Failure failure{"'bad' (event 1-60): exit status 3", "box", 60, ""};
  CHECK(trigger::failure_report(failure) ==
        "'bad' (event 1-60): exit status 3 (on box at 1970-01-01T00:01:00Z)");
  failure.output = "one\ntwo";  // no final newline: the last line is kept all the same
  CHECK(trigger::failure_report(failure) ==
        "'bad' (event 1-60): exit status 3 (on box at 1970-01-01T00:01:00Z)\n  one\n  two");
  failure.output.clear();
  for (int i = 1; i <= 25; ++i) failure.output += "line " + std::to_string(i) + "\n";
  std::string expected =
      "'bad' (event 1-60): exit status 3 (on box at 1970-01-01T00:01:00Z)\n"
      "  (5 earlier lines left out)";
  for (int i = 6; i <= 25; ++i) expected += "\n  line " + std::to_string(i);
  CHECK(trigger::failure_report(failure) == expected);
}

TEST_CASE("an occurrence failed for good runs its on-failure hook, whose result is recorded",
          "[pass][hook]") {
  Fixture f;
  std::string seen = f.file("hook");
  auto id = f.create(
      "nightly", every("1h"), shell_action("echo first line; echo last line >&2; exit 3"),
      {{"retries", "1"},
       {"backoff", "10s"},
       {"on-failure-sh", "{ env | grep -E '^TRIGGER_(NAME|OUTCOME|EXIT_STATUS|ATTEMPT)=' | sort; "
                         "cat; } > " + seen + "; echo hook says; exit 4"}});
  f.pass_at(kStart);
  CHECK(f.pass_at(kStart + kHour).retried == 1);
  CHECK_FALSE(std::filesystem::exists(seen));  // a retry is not the end: no hook yet
  auto last = f.pass_at(kStart + kHour + 10);
  CHECK(last.failed == 1);
  CHECK(lines_of(seen) == std::vector<std::string>{"TRIGGER_ATTEMPT=2", "TRIGGER_EXIT_STATUS=3",
                                                   "TRIGGER_NAME=nightly", "TRIGGER_OUTCOME=failed",
                                                   "first line", "last line"});
  auto records = f.history(id);
  REQUIRE(outcomes(records) ==
          std::vector<Outcome>{Outcome::kRetried, Outcome::kFailed, Outcome::kHook});
  const auto& hook = records[2];
  CHECK(hook.event_id == records[1].event_id);
  CHECK(hook.count == 0);
  CHECK(hook.exit_status == 4);
  CHECK(hook.reason == "on-failure hook: exit status 4");
  CHECK(hook.output == "hook says\n");
  // The hook's own failure is not the trigger's: nothing more is reported failed.
  CHECK(f.pass_at(kStart + kHour + 20).failed == 0);
}

TEST_CASE("no on-failure hook runs for a success, and an empty text removes it", "[pass][hook]") {
  Fixture f;
  std::string seen = f.file("hook");
  auto ok = f.create("ok", every("1h"), shell_action("true"), {{"on-failure-sh", "touch " + seen}});
  auto bad = f.create("bad", every("1h"), shell_action("false"),
                      {{"on-failure-sh", "touch " + seen}, {"on-failure-sh", ""}});
  CHECK_FALSE(f.store().find_trigger("bad")->policy.on_failure_sh);
  f.pass_at(kStart);
  CHECK(f.pass_at(kStart + kHour).failed == 1);
  CHECK_FALSE(std::filesystem::exists(seen));
  CHECK(outcomes(f.history(ok)) == std::vector<Outcome>{Outcome::kSucceeded});
  CHECK(outcomes(f.history(bad)) == std::vector<Outcome>{Outcome::kFailed});
}

TEST_CASE("an on-failure hook is not run from a database that others can write", "[pass][hook]") {
  Fixture f;
  std::string seen = f.file("hook");
  // The command itself makes the database unsafe after its lease was checked.
  auto id = f.create("opens", every("1h"), shell_action("chmod g+w " + f.file("t.db") + "; exit 1"),
                     {{"on-failure-sh", "touch " + seen}});
  f.pass_at(kStart);
  f.pass_at(kStart + kHour);
  CHECK_FALSE(std::filesystem::exists(seen));
  auto records = f.history(id);
  REQUIRE(outcomes(records) == std::vector<Outcome>{Outcome::kFailed, Outcome::kHook});
  CHECK(records[1].reason.find("on-failure hook: not run: refusing to run commands from") == 0);
}

TEST_CASE("a hanging on-failure hook is stopped at its timeout, on fake time", "[pass][hook][env]") {
  Fixture f;
  auto id = f.create("hangs", every("1h"), shell_action("exit 2"),
                     {{"on-failure-sh", "sleep 1000"}});
  f.pass_at(kStart);
  // Each wait lasts 1 ms of real time and moves the fake clocks on by a second.
  trigger::FakeEnv env(kStart + kHour, std::chrono::milliseconds(0), std::chrono::milliseconds(1));
  PassOptions options;
  options.env = &env;
  auto report = trigger::run_pass(f.store(), options);
  f.store().set_env(f.env());
  REQUIRE(report.ok());
  auto records = f.history(id);
  REQUIRE(outcomes(records) == std::vector<Outcome>{Outcome::kFailed, Outcome::kHook});
  CHECK(records[1].reason == "on-failure hook: timed out after 1m");
  REQUIRE(records[1].finished_epoch);
  CHECK(*records[1].finished_epoch - *records[1].started_epoch >= trigger::kHookTimeoutSeconds);
  CHECK(*records[1].finished_epoch - *records[1].started_epoch < trigger::kHookTimeoutSeconds + 15);
}

namespace {

trigger::ClockSpec on_boot(std::optional<std::string> delay = std::nullopt) {
  trigger::ClockSpec spec{ClockKind::kBoot, "", std::nullopt};
  spec.delay = std::move(delay);
  return spec;
}

}  // namespace

TEST_CASE("a boot clock fires once per boot, its delay after it, not in the boot it was made in",
          "[pass][boot]") {
  Fixture f;
  f.env().set_boot({"boot-a", kStart - kHour});
  auto id = f.create("warm", on_boot("5m"), log_action("warm"));
  CHECK(f.pass_at(kStart + kMinute).fired == 0);  // made during boot-a: as cron's @reboot
  CHECK(f.find(id).next_event_epoch == std::nullopt);
  CHECK(f.find(id).state == State::kActive);

  Epoch boot_b = kStart + kHour;
  f.env().set_boot({"boot-b", boot_b});
  CHECK(f.pass_at(boot_b + kMinute).fired == 0);  // the delay: due at boot + 5m
  CHECK(f.find(id).next_event_epoch == boot_b + 5 * kMinute);
  CHECK(f.pass_at(boot_b + 5 * kMinute).fired == 1);
  CHECK(f.pass_at(boot_b + 6 * kMinute).fired == 0);  // the same boot: not again
  // The boot's time moves with a clock step (btime follows the wall clock): the same boot id.
  f.env().set_boot({"boot-b", boot_b + 40});
  CHECK(f.pass_at(boot_b + 7 * kMinute).fired == 0);
  CHECK(f.find(id).state == State::kActive);

  Epoch boot_c = kStart + 2 * kHour;
  f.env().set_boot({"boot-c", boot_c});
  CHECK(f.pass_at(boot_c + 9 * kMinute).fired == 1);  // a first pass late: fires on it
  CHECK(f.pass_at(boot_c + 10 * kMinute).fired == 0);
  auto records = f.history(id);
  REQUIRE(records.size() == 2);
  CHECK(records[0].event_id == std::to_string(id) + "-" + std::to_string(boot_b + 5 * kMinute));
  CHECK(records[1].event_id == std::to_string(id) + "-" + std::to_string(boot_c + 5 * kMinute));
  CHECK(records[1].outcome == Outcome::kSucceeded);
}

TEST_CASE("a boot clock's occurrence is late by its policy; a new clock set waits a boot",
          "[pass][boot]") {
  Fixture f;
  f.env().set_boot({"boot-a", kStart - kHour});
  auto id = f.create("late", on_boot(), log_action("x"), {{"misfire", "skip"}, {"grace", "1m"}});
  f.pass_at(kStart);
  Epoch boot_b = kStart + kHour;
  f.env().set_boot({"boot-b", boot_b});
  auto late = f.pass_at(boot_b + 10 * kMinute);  // the first pass 10 minutes after the boot
  CHECK(late.fired == 0);
  CHECK(late.skipped == 1);
  // The clock set again during boot-b: not this boot's, the next one's.
  trigger::ScheduleChange change;
  change.clock = on_boot("1m");
  f.reschedule(id, change);
  Epoch boot_c = kStart + 3 * kHour;
  CHECK(f.pass_at(boot_b + 20 * kMinute).fired == 0);
  f.env().set_boot({"boot-c", boot_c});
  CHECK(f.pass_at(boot_c + kMinute).fired == 1);
  // An unreadable boot id: a boot clock never fires.
  f.env().set_boot({"", kStart + 5 * kHour});
  CHECK(f.pass_at(kStart + 6 * kHour).fired == 0);
}

TEST_CASE("runs of triggers sharing a lock run one after the other in a pass, none dropped",
          "[pass][lock]") {
  Fixture f;
  const std::string script = "date +%s%N; sleep 0.3; date +%s%N";
  auto a = f.create("a", every("1m"), shell_action(script), {{"lock", "db"}});
  auto b = f.create("b", every("1m"), shell_action(script), {{"lock", "db"}, {"lock", "x"}});
  auto c = f.create("c", every("1m"), shell_action(script));
  f.pass_at(kStart);
  auto report = f.pass_at(kStart + kMinute);
  CHECK(report.fired == 3);
  CHECK(report.ran == 3);
  auto span = [&](std::int64_t id) {
    auto records = f.history(id);
    REQUIRE(records.size() == 1);
    CHECK(records[0].outcome == Outcome::kSucceeded);
    std::istringstream out(records[0].output);
    long long start = 0, end = 0;
    out >> start >> end;
    return std::make_pair(start, end);
  };
  auto [a_start, a_end] = span(a);
  auto [b_start, b_end] = span(b);
  auto [c_start, c_end] = span(c);
  CHECK((a_end <= b_start || b_end <= a_start));  // never at once
  CHECK(c_start < std::max(a_end, b_end));        // c, without the lock, ran alongside
  // The one that waited says so (the fixed wall clock of the fixture: 0s).
  std::string a_reason = f.history(a)[0].reason, b_reason = f.history(b)[0].reason;
  CHECK((a_reason == "waited 0s for --lock db" || b_reason == "waited 0s for --lock db,x"));
  CHECK(f.find(b).policy.locks == std::vector<std::string>{"db", "x"});
}

TEST_CASE("a dead pass's run frees its lock when reclaimed; the run waiting for it then runs",
          "[pass][lock][lease]") {
  Fixture f;
  std::string ran = f.file("ran");
  auto first =
      f.create("first", every("1h"), shell_action("echo first >> " + ran), {{"lock", "db"}});
  auto second =
      f.create("second", every("1h"), shell_action("echo second >> " + ran), {{"lock", "db"}});
  f.pass_at(kStart);
  const trigger::ProcessIdentity& self = trigger::this_process();
  trigger::LeaseHolder dead{"dead-pass", self.host, self.boot_id, dead_pid(), 1};
  auto leased = lease_due(f, kStart + kHour, dead, 120, 1);  // the lock: only one of the two
  std::int64_t holder = leased[0].trigger_id;
  auto report = f.pass_at(kStart + kHour + 1);
  CHECK(report.interrupted == 1);
  CHECK(report.ran == 2);  // both, one after the other: the lock was freed by the reclaim
  CHECK(lines_of(ran) == std::vector<std::string>{holder == first ? "first" : "second",
                                                  holder == first ? "second" : "first"});
  auto waiting = f.history(holder == first ? second : first);
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].outcome == Outcome::kSucceeded);
  CHECK(waiting[0].reason.rfind("waited ", 0) == 0);
}
