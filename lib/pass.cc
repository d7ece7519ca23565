#include "trigger/pass.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <random>
#include <thread>

#include "process.h"
#include "runner.h"
#include "text.h"

extern char** environ;

namespace trigger {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::int64_t kKillGraceSeconds = 10;    // SIGTERM, then SIGKILL this much later
constexpr std::int64_t kLeaseMarginSeconds = 60;  // beyond the timeout and the kill grace
constexpr std::int64_t kMaxBackoffSeconds = 3600;
constexpr std::size_t kMaxCatchUp = 100000;  // occurrences fired per trigger per batch
constexpr std::size_t kMaxScan = 100000000;  // occurrences counted per trigger per batch
constexpr std::int64_t kHistoryKeepSeconds = 30 * 86400;
constexpr std::size_t kPruneSlice = 1000;  // history rows pruned per pass
constexpr int kFinishTries = 12;  // recording an outcome: busy timeouts (5 s each) before giving up

// Narrate a line made by `make` (a callable returning the line), built only when narrating:
// formatting times in the trigger's zone costs more than firing it.
template <class Make>
void say(const PassOptions& options, Make&& make) {
  if (options.narrate) options.narrate(make());
}

std::string label(const Trigger& trigger) {
  return trigger.name ? in_quotes(*trigger.name) : "trigger " + std::to_string(trigger.id);
}

std::string when(Epoch epoch, const Trigger& trigger) {
  auto zone = Zone::locate(trigger.tz);
  return format_rfc3339(epoch, zone ? *zone : Zone::utc());
}

std::string default_owner() {
  char host[256] = "host";
  gethostname(host, sizeof host - 1);
  std::random_device random;
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + std::to_string(random());
}

// Why a trigger with this next time (and runs so far) has finished, or "" if it has not.
std::string finished(const Trigger& trigger, const Clock& clock, const EventRow& event,
                     std::optional<Epoch> next) {
  const Policy& policy = trigger.policy;
  if (policy.max_runs && event.runs >= *policy.max_runs) {
    return "--max-runs " + std::to_string(*policy.max_runs) + " reached";
  }
  if (!next) return clock.kind() == ClockKind::kNever ? "" : "no more fire times";
  if (policy.until_epoch && *next > *policy.until_epoch) {
    return "past --until " + when(*policy.until_epoch, trigger);
  }
  return "";
}

// Record that a trigger's clock failed and set it aside: no next time until it is edited.
Status set_aside(Store& store, const Trigger& trigger, EventRow& event, const std::string& why,
                 Epoch now, PassReport& report, const PassOptions& options) {
  event.next_event_epoch.reset();
  event.error = why;
  if (auto written = store.write_event(event); !written) return written;
  HistoryRecord record;
  record.trigger_id = trigger.id;
  record.count = 0;  // no occurrence: the trigger's clock itself failed
  record.outcome = Outcome::kFailed;
  record.reason = "clock set aside: " + why;
  record.recorded_epoch = now;
  if (auto appended = store.append_history(record); !appended) return appended.error();
  report.set_aside += 1;
  report.failures.push_back(label(trigger) + ": clock set aside: " + why);
  say(options, [&] { return label(trigger) + ": clock set aside: " + why; });
  return Ok{};
}

// Give one changed trigger its next time.
Status schedule_one(Store& store, const Trigger& trigger, Epoch now, PassReport& report,
                    const PassOptions& options) {
  auto event = store.event(trigger.id);
  if (!event) return event.error();
  event->trigger_id = trigger.id;
  event->error.reset();
  std::optional<Epoch> next;
  if (trigger.state == State::kActive) {
    auto clock = trigger_clock(trigger);
    if (!clock)
      return set_aside(store, trigger, *event, clock.error().message(), now, report, options);
    auto computed = next_event(**clock, event->last_event_epoch, trigger.clock_set_epoch, false);
    if (!computed)
      return set_aside(store, trigger, *event, computed.error().message(), now, report, options);
    next = *computed;
    // --max-runs counts the runs since the clock was last set.
    if (event->runs_from_epoch != trigger.clock_set_epoch) {
      event->runs = 0;
      event->runs_from_epoch = trigger.clock_set_epoch;
    }
    if (auto why = finished(trigger, **clock, *event, next); !why.empty()) {
      if (auto done = store.finish_trigger(trigger.id, now); !done) return done;
      say(options, [&] { return label(trigger) + ": done (" + why + ")"; });
      next.reset();
    }
  }
  event->next_event_epoch = next;
  if (auto written = store.write_event(*event); !written) return written;
  report.scheduled += 1;
  say(options, [&] {
    return label(trigger) + ": scheduled, next " + (next ? when(*next, trigger) : "none");
  });
  return Ok{};
}

// A run of occurrences not fired: how many, the first and the last.
struct Missed {
  std::int64_t count = 0;
  Epoch first = 0;
  Epoch last = 0;
  void add(Epoch epoch) {
    if (count++ == 0) first = epoch;
    first = std::min(first, epoch);
    last = std::max(last, epoch);
  }
};

// The occurrences of one due trigger, classified by its policy.
struct Firing {
  std::vector<Epoch> fire;
  Missed coalesced;
  Missed late;     // skipped: older than --grace under --misfire skip
  Missed overlap;  // skipped: the previous run still queued or running
  Missed capped;   // skipped: --max-runs reached
};

HistoryRecord skip_record(const Trigger& trigger, const Missed& missed, Outcome outcome,
                          std::string reason, Epoch now) {
  HistoryRecord record;
  record.trigger_id = trigger.id;
  record.scheduled_epoch = missed.last;
  record.count = missed.count;
  record.outcome = outcome;
  record.reason = std::move(reason);
  record.recorded_epoch = now;
  if (missed.count == 1) record.event_id = event_id(trigger.id, missed.last, false);
  return record;
}

std::string span(const Missed& missed, const Trigger& trigger) {
  if (missed.count == 1) return "1 occurrence at " + when(missed.last, trigger);
  return std::to_string(missed.count) + " occurrences from " + when(missed.first, trigger) +
         " to " + when(missed.last, trigger);
}

// Add what fire_one counted (it counts nothing else) to the pass's report.
void add_counts(PassReport& report, PassReport&& firing) {
  report.fired += firing.fired;
  report.skipped += firing.skipped;
  report.coalesced += firing.coalesced;
  report.set_aside += firing.set_aside;
  for (auto& failure : firing.failures) report.failures.push_back(std::move(failure));
}

// Fire one trigger whose next event is due: its tasks, skip records and advanced event are
// written in the caller's one transaction.
Status fire_one(Store& store, std::int64_t trigger_id, Epoch now, PassReport& report,
                const PassOptions& options) {
  auto event = store.event(trigger_id);
  if (!event) return event.error();
  if (!event->next_event_epoch || *event->next_event_epoch > now)
    return Ok{};  // another pass did it
  auto found = store.trigger_for_pass(trigger_id);
  if (!found) return found.error();
  const Trigger& trigger = *found;
  if (trigger.state != State::kActive) {  // paused or cancelled since it was scheduled
    event->next_event_epoch.reset();
    return store.write_event(*event);
  }
  auto clock = trigger_clock(trigger);
  if (!clock)
    return set_aside(store, trigger, *event, clock.error().message(), now, report, options);

  // Walk every occurrence due by now. Those that may fire are kept (at most kMaxCatchUp per
  // batch: the rest wait for the next one); under --misfire latest and skip the others are only
  // counted, however many there are (up to kMaxScan).
  const Policy& policy = trigger.policy;
  std::vector<Epoch> keep;
  Missed dropped;  // coalesced (latest) or late (skip)
  Epoch occurrence = *event->next_event_epoch;
  std::optional<Epoch> after_due;
  for (std::size_t scanned = 1;; ++scanned) {
    switch (policy.misfire) {
      case Misfire::kAll:
        keep.push_back(occurrence);
        break;
      case Misfire::kLatest:
        if (!keep.empty()) dropped.add(keep.back());
        keep = {occurrence};
        break;
      case Misfire::kSkip:
        if (now - occurrence > policy.grace_seconds) {
          dropped.add(occurrence);
        } else {
          keep.push_back(occurrence);
        }
        break;
    }
    auto next = next_event(**clock, occurrence, trigger.clock_set_epoch, true);
    if (!next)
      return set_aside(store, trigger, *event, next.error().message(), now, report, options);
    after_due = *next;
    if (!*next || **next > now || (policy.until_epoch && **next > *policy.until_epoch)) break;
    if (keep.size() >= kMaxCatchUp || scanned >= kMaxScan) break;
    occurrence = **next;
  }
  Epoch last_handled = occurrence;

  Firing firing;
  firing.fire = std::move(keep);
  if (policy.misfire == Misfire::kLatest) firing.coalesced = dropped;
  if (policy.misfire == Misfire::kSkip) firing.late = dropped;
  if (policy.max_runs) {
    auto remaining =
        static_cast<std::size_t>(std::max<std::int64_t>(0, *policy.max_runs - event->runs));
    while (firing.fire.size() > remaining) {
      firing.capped.add(firing.fire.back());
      firing.fire.pop_back();
    }
  }
  auto open = store.open_tasks(trigger.id);
  if (!open) return open.error();
  if (policy.overlap == Overlap::kSkip && *open > 0) {
    for (Epoch epoch : firing.fire) firing.overlap.add(epoch);
    firing.fire.clear();
  }

  // Catch-up occurrences fired together always queue behind each other, in order.
  bool serial = policy.overlap != Overlap::kAllow || firing.fire.size() > 1;
  std::optional<Epoch> previous =
      dropped.count > 0 && (firing.fire.empty() || dropped.last < firing.fire.front())
          ? std::optional<Epoch>(dropped.last)
          : event->last_event_epoch;
  for (Epoch epoch : firing.fire) {
    Task task;
    task.trigger_id = trigger.id;
    task.scheduled_epoch = epoch;
    task.serial = serial;
    task.last_epoch = previous;
    task.due_epoch = epoch + jitter_offset(trigger.id, epoch, policy.jitter_seconds);
    task.created_epoch = now;
    auto inserted = store.insert_task(task);
    if (!inserted) return inserted.error();
    if (*inserted) {
      report.fired += 1;
      event->runs += 1;
      say(options, [&] {
        return label(trigger) + ": fired " + when(epoch, trigger) +
               (task.due_epoch != epoch ? " (jitter: runs at " + when(task.due_epoch, trigger) + ")"
                                        : "");
      });
    }
    previous = epoch;
  }
  std::vector<HistoryRecord> records;
  if (firing.coalesced.count > 0) {
    records.push_back(skip_record(trigger, firing.coalesced, Outcome::kCoalesced,
                                  "missed " + span(firing.coalesced, trigger) +
                                      "; fired the latest instead (--misfire latest)",
                                  now));
    report.coalesced += firing.coalesced.count;
  }
  if (firing.late.count > 0) {
    records.push_back(skip_record(trigger, firing.late, Outcome::kSkipped,
                                  span(firing.late, trigger) + " more than " +
                                      format_duration(policy.grace_seconds) +
                                      " late (--misfire skip)",
                                  now));
  }
  if (firing.overlap.count > 0) {
    records.push_back(
        skip_record(trigger, firing.overlap, Outcome::kSkipped,
                    span(firing.overlap, trigger) +
                        ": the previous run was still queued or running (--overlap skip)",
                    now));
  }
  if (firing.capped.count > 0) {
    records.push_back(skip_record(trigger, firing.capped, Outcome::kSkipped,
                                  span(firing.capped, trigger) + ": --max-runs " +
                                      std::to_string(*policy.max_runs) + " reached",
                                  now));
  }
  for (const auto& record : records) {
    if (record.outcome == Outcome::kSkipped) report.skipped += record.count;
    say(options, [&] {
      return label(trigger) + ": " + std::string(to_string(record.outcome)) + " " + record.reason;
    });
    if (auto appended = store.append_history(record); !appended) return appended.error();
  }

  event->last_event_epoch = last_handled;
  std::optional<Epoch> next = after_due;
  if (auto why = finished(trigger, **clock, *event, next); !why.empty()) {
    if (auto done = store.finish_trigger(trigger.id, now); !done) return done;
    say(options, [&] { return label(trigger) + ": done (" + why + ")"; });
    next.reset();
  }
  event->next_event_epoch = next;
  event->error.reset();
  return store.write_event(*event);
}

// The environment of a command: run-once's, plus the trigger's and TRIGGER_*.
std::vector<std::string> command_environment(const Trigger& trigger, const Task& task) {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text(*entry);
    auto equals = text.find('=');
    if (equals != std::string::npos) variables[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (const auto& assignment : trigger.action.env) {
    auto equals = assignment.find('=');
    variables[assignment.substr(0, equals)] = assignment.substr(equals + 1);
  }
  variables["TRIGGER_ID"] = std::to_string(trigger.id);
  variables["TRIGGER_NAME"] = trigger.name.value_or("");
  variables["TRIGGER_EVENT_ID"] = event_id(trigger.id, task.scheduled_epoch, task.manual);
  variables["TRIGGER_SCHEDULED_EPOCH"] = std::to_string(task.scheduled_epoch);
  variables["TRIGGER_LAST_EPOCH"] = task.last_epoch ? std::to_string(*task.last_epoch) : "";
  variables["TRIGGER_ATTEMPT"] = std::to_string(task.attempt);
  std::vector<std::string> env;
  for (const auto& [key, value] : variables) env.push_back(key + "=" + value);
  return env;
}

RunRequest command_request(const Trigger& trigger, const Task& task) {
  RunRequest request;
  if (trigger.action.kind == ActionKind::kShell) {
    request.argv = {"/bin/sh", "-c", trigger.action.argv.front()};
  } else {
    request.argv = trigger.action.argv;
  }
  request.env = command_environment(trigger, task);
  request.cwd = trigger.action.cwd;
  request.timeout_seconds = trigger.policy.timeout_seconds;
  request.kill_grace_seconds = kKillGraceSeconds;
  return request;
}

struct Running {
  Task task;
  Trigger trigger;
  Epoch started_epoch = 0;
};

// Record the end of one run: a retry, or the final outcome.
Status finish_run(Store& store, const Running& run, const RunResult& result, PassReport& report,
                  const PassOptions& options) {
  Epoch finished_epoch = now();
  const Policy& policy = run.trigger.policy;
  Outcome outcome = result.succeeded() ? Outcome::kSucceeded
                    : result.timed_out ? Outcome::kTimedOut
                                       : Outcome::kFailed;
  std::string id = event_id(run.task.trigger_id, run.task.scheduled_epoch, run.task.manual);
  std::string what = result.describe(policy.timeout_seconds);
  report.ran += 1;
  bool may_retry = outcome != Outcome::kSucceeded && run.task.attempt <= policy.retries;
  auto record = [&]() -> Status {
    // A trigger cancelled while this run was going gets no more attempts.
    auto current = store.trigger_for_pass(run.trigger.id);
    if (!current) return current.error();
    bool retry = may_retry && current->state != State::kCancelled;
    if (retry) {
      std::int64_t shift = std::min<std::int64_t>(run.task.attempt - 1, 20);
      std::int64_t delay = std::min(policy.backoff_seconds << shift, kMaxBackoffSeconds);
      auto retried = store.retry_task(run.task, finished_epoch + delay);
      if (!retried) return retried.error();
      if (*retried) {
        report.retried += 1;
        say(options, [&] {
          return label(run.trigger) + ": event " + id + " attempt " +
                 std::to_string(run.task.attempt) + " " + what + "; retry in " +
                 format_duration(delay);
        });
      }
      return Ok{};
    }
    HistoryRecord record;
    record.trigger_id = run.trigger.id;
    record.event_id = id;
    record.scheduled_epoch = run.task.scheduled_epoch;
    record.outcome = outcome;
    record.reason = outcome == Outcome::kSucceeded ? "" : what;
    record.manual = run.task.manual;
    record.attempts = run.task.attempt;
    if (result.exit_status) record.exit_status = *result.exit_status;
    record.started_epoch = run.started_epoch;
    record.finished_epoch = finished_epoch;
    record.output = result.output;
    record.recorded_epoch = finished_epoch;
    auto completed = store.complete_task(run.task, record);
    if (!completed) return completed.error();
    if (!*completed) {
      say(options, [&] {
        return label(run.trigger) + ": event " + id + ": lease lost to another pass; not recorded";
      });
      return Ok{};
    }
    if (outcome != Outcome::kSucceeded) {
      report.failed += 1;
      report.failures.push_back(label(run.trigger) + " (event " + id + "): " + what);
    }
    say(options, [&] {
      return label(run.trigger) + ": event " + id + " " + std::string(to_string(outcome)) +
             (outcome == Outcome::kSucceeded ? "" : " (" + what + ")");
    });
    return Ok{};
  };
  // The outcome must not be lost to a database that is busy for a while: the command has run.
  Status status = store.transaction(record, Store::Sync::kBatched);
  for (int attempt = 1;
       !status && status.error().kind() == ErrorKind::kBusy && attempt < kFinishTries; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
    status = store.transaction(record, Store::Sync::kBatched);
  }
  return status;
}

// Complete up to a batch of runnable --log tasks in one transaction: each is its history
// record. Returns how many.
Result<std::size_t> complete_log_tasks(Store& store, const PassOptions& options,
                                       PassReport& report) {
  std::size_t done = 0;
  std::int64_t ran = 0;
  std::vector<std::string> lines;
  auto status = store.transaction(
      [&]() -> Status {
        while (done < options.batch) {
          Epoch at = now();
          auto tasks = store.runnable_log_tasks(at, options.batch - done);
          if (!tasks) return tasks.error();
          if (tasks->empty()) break;
          for (const auto& [task, message] : *tasks) {
            if (auto removed = store.remove_task(task.id); !removed) return removed;
            HistoryRecord record;
            record.trigger_id = task.trigger_id;
            record.event_id = event_id(task.trigger_id, task.scheduled_epoch, task.manual);
            record.scheduled_epoch = task.scheduled_epoch;
            record.outcome = Outcome::kSucceeded;
            record.manual = task.manual;
            record.attempts = task.attempt + 1;
            record.exit_status = 0;
            record.started_epoch = at;
            record.finished_epoch = at;
            record.output = message;
            record.recorded_epoch = at;
            if (auto appended = store.append_history(record); !appended) return appended.error();
            if (options.narrate) {
              auto trigger = store.trigger_for_pass(task.trigger_id);
              if (!trigger) return trigger.error();
              lines.push_back(label(*trigger) + ": log: " + message);
              lines.push_back(label(*trigger) + ": event " + *record.event_id + " succeeded");
            }
            ++done;
            ++ran;
          }
        }
        return Ok{};
      },
      Store::Sync::kBatched);
  if (!status) return status.error();
  report.ran += ran;  // counted once the records are committed
  for (const auto& line : lines) say(options, [&] { return line; });
  return done;
}

}  // namespace

std::int64_t jitter_offset(std::int64_t trigger_id, Epoch scheduled_epoch, std::int64_t jitter) {
  if (jitter <= 0) return 0;
  // splitmix64 of the pair: stable across runs, machines and versions.
  std::uint64_t x = static_cast<std::uint64_t>(trigger_id) * 0x9E3779B97F4A7C15ULL ^
                    static_cast<std::uint64_t>(scheduled_epoch);
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return static_cast<std::int64_t>(x % static_cast<std::uint64_t>(jitter));
}

Status check_database_safety(const std::string& path) {
  auto check = [](const std::string& file, const char* what) -> Status {
    struct stat info;
    if (stat(file.c_str(), &info) != 0) return Ok{};
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", info.st_mode & 07777);
    if (info.st_mode & (S_IWGRP | S_IWOTH)) {
      return Error(ErrorKind::kUnsafe, "refusing to run commands from " + std::string(what) + " " +
                                           in_quotes(file) + ": mode " + mode +
                                           " lets others write it");
    }
    if (info.st_uid != geteuid() && info.st_uid != 0) {
      return Error(ErrorKind::kUnsafe, "refusing to run commands from " + std::string(what) + " " +
                                           in_quotes(file) + ": owned by uid " +
                                           std::to_string(info.st_uid) + ", not by you or root");
    }
    return Ok{};
  };
  if (path.empty()) return Ok{};
  if (auto file = check(path, "database"); !file) return file;
  if (auto wal = check(path + "-wal", "database journal"); !wal) return wal;
  return check(directory_of(path), "database directory");
}

Result<std::int64_t> schedule_phase(Store& store, Epoch now, const PassOptions& options,
                                    PassReport& report) {
  std::int64_t total = 0;
  while (true) {
    std::size_t count = 0;
    auto status = store.transaction(
        [&]() -> Status {
          auto cursor = store.counter("cursor");
          if (!cursor) return cursor.error();
          auto changed = store.triggers_changed_since(*cursor, options.batch);
          if (!changed) return changed.error();
          for (const auto& trigger : *changed) {
            if (auto scheduled = schedule_one(store, trigger, now, report, options); !scheduled)
              return scheduled;
          }
          count = changed->size();
          if (count > 0) return store.set_counter("cursor", changed->back().version);
          return Ok{};
        },
        Store::Sync::kBatched);
    if (!status) return status.error();
    total += static_cast<std::int64_t>(count);
    if (count < options.batch) return total;
  }
}

Status fire_phase(Store& store, Epoch now, const PassOptions& options, PassReport& report) {
  while (true) {
    // One transaction per batch of due triggers, each trigger in its own savepoint: a trigger
    // that cannot be fired is rolled back alone and set aside; the queue goes on. What the
    // batch counted reaches the report only once it is committed.
    std::size_t handled = 0;
    PassReport batch;
    auto status = store.transaction(
        [&]() -> Status {
          auto due = store.due_triggers(now, options.batch);
          if (!due) return due.error();
          for (std::int64_t id : *due) {
            // Counted apart: what a firing that is rolled back counted does not count.
            PassReport counted;
            auto fired = store.transaction(
                [&]() -> Status { return fire_one(store, id, now, counted, options); });
            ++handled;
            if (fired) {
              add_counts(batch, std::move(counted));
            } else {
              // The database failing (busy, full, read-only, damaged) is no fault of the
              // trigger's.
              if (fired.error().kind() == ErrorKind::kBusy ||
                  fired.error().kind() == ErrorKind::kIO)
                return fired;
              auto recorded = store.transaction([&]() -> Status {
                auto found = store.trigger_for_pass(id);
                auto event = store.event(id);
                if (!found || !event) return found ? event.error() : found.error();
                return set_aside(store, *found, *event, fired.error().message(), now, batch,
                                 options);
              });
              if (!recorded) return recorded;
            }
            // Catch-up can queue many tasks per trigger: keep each transaction bounded.
            if (batch.fired >= static_cast<std::int64_t>(kMaxCatchUp)) break;
          }
          return Ok{};
        },
        Store::Sync::kBatched);
    if (!status) return status;
    add_counts(report, std::move(batch));
    // Loop until nothing is due: each trigger fired has advanced (or been set aside), so
    // this ends; one with more catch-up than kMaxCatchUp comes round again.
    if (handled == 0) return Ok{};
  }
}

Status execute_phase(Store& store, const PassOptions& options, PassReport& report) {
  std::string owner = options.owner.empty() ? default_owner() : options.owner;
  auto deadline = SteadyClock::now() + std::chrono::seconds(options.max_time_seconds);
  ProcessPool pool;
  std::map<int, Running> running;
  bool leasing = true;
  // After an error, lease nothing more but see every running command through and record it:
  // never leave a command that ran unrecorded (it would run again) or kill one mid-run.
  std::optional<Error> failure;
  auto fail = [&](const Status& status) {
    if (!failure) failure = status.error();
    leasing = false;
  };
  // --log actions need no process: they are completed first, a batch per transaction, until
  // none is runnable. (Looking for them again after every command would scan the queued
  // commands each time; a log task that falls due later waits for the next pass, or second.)
  bool logs = true;
  while (true) {
    std::size_t jobs = std::max<std::size_t>(options.jobs, 1);
    if (logs && leasing && !failure && SteadyClock::now() < deadline) {
      auto logged = complete_log_tasks(store, options, report);
      if (!logged) {
        fail(logged.error());
        continue;
      }
      if (*logged > 0) continue;
      logs = false;
    }
    if (leasing && !failure && SteadyClock::now() < deadline && running.size() < jobs) {
      std::vector<Running> leased;
      auto status = store.transaction(
          [&]() -> Status {
            Epoch at = now();
            // A lease lasts the run's timeout, the kill grace and a margin: past that, its runner
            // died and another pass may take the task over.
            auto tasks = store.lease_tasks(owner, at, kKillGraceSeconds + kLeaseMarginSeconds,
                                           jobs - running.size());
            if (!tasks) return tasks.error();
            for (auto& task : *tasks) {
              auto trigger = store.trigger_for_pass(task.trigger_id);
              if (!trigger) return trigger.error();
              leased.push_back({task, std::move(*trigger), at});
            }
            return Ok{};
          },
          Store::Sync::kBatched);
      if (!status) {
        fail(status);
        continue;
      }
      leasing = !leased.empty();
      for (auto& run : leased) {
        if (run.trigger.action.kind == ActionKind::kLog) {
          RunResult logged;
          logged.exit_status = 0;
          logged.output = run.trigger.action.argv.front();
          say(options, [&] { return label(run.trigger) + ": log: " + logged.output; });
          if (auto finished = finish_run(store, run, logged, report, options); !finished) {
            fail(finished);
          } else {
            leasing = true;
          }
          continue;
        }
        say(options, [&] {
          return label(run.trigger) + ": run " + run.trigger.action.text() + " (event " +
                 event_id(run.task.trigger_id, run.task.scheduled_epoch, run.task.manual) +
                 ", attempt " + std::to_string(run.task.attempt) + ")";
        });
        int handle = pool.start(command_request(run.trigger, run.task));
        running.emplace(handle, std::move(run));
      }
      if (leasing) continue;
    }
    if (running.empty()) return failure ? Status(*failure) : Status(Ok{});
    // While commands run no transaction may come for a while: outcomes already committed are
    // synced when their batch window closes, and the wait ends by then.
    auto wait = store.sync_if_due(std::chrono::seconds(1));
    if (!wait) fail(wait.error());
    for (auto& [handle, result] : pool.wait(wait ? *wait : std::chrono::seconds(1))) {
      auto found = running.find(handle);
      if (auto finished = finish_run(store, found->second, result, report, options); !finished) {
        fail(finished);
      } else if (!failure) {
        leasing = true;  // a serial task may have become runnable
      }
      running.erase(found);
    }
  }
}

namespace {

// How far the clock moved back since the last pass started (0 if it did not): nothing fires
// twice (each event fires only after its last), and the jump is on record.
Result<std::int64_t> clock_jump(Store& store, Epoch at, const PassOptions& options) {
  auto last = store.last_pass();
  if (!last) return last.error();
  if (!*last || at >= (*last)->started_epoch) return std::int64_t{0};
  std::int64_t jump = at - (*last)->started_epoch;
  say(options, [&] { return "the clock moved back " + format_duration(-jump) + " since the last pass"; });
  return jump;
}

// run-once --dry-run: schedule and fire in a transaction that is rolled back, and say what
// would run. No pass record.
Result<PassReport> rehearse_pass(Store& store, const PassOptions& options) {
  PassReport report;
  Epoch at = now();
  auto jump = clock_jump(store, at, options);
  if (!jump) return jump.error();
  report.clock_jump_seconds = *jump;
  auto rehearsed = store.rehearse([&]() -> Status {
    auto scheduled = schedule_phase(store, at, options, report);
    if (!scheduled) return scheduled.error();
    if (auto fired = fire_phase(store, at, options, report); !fired) return fired;
    auto runnable = store.lease_tasks("dry-run", at, 0, std::numeric_limits<int>::max());
    if (!runnable) return runnable.error();
    for (const auto& task : *runnable) {
      auto trigger = store.trigger_for_pass(task.trigger_id);
      if (!trigger) return trigger.error();
      say(options, [&] {
        return label(*trigger) + ": would run " + trigger->action.text() + " (event " +
               event_id(task.trigger_id, task.scheduled_epoch, task.manual) + ")";
      });
    }
    return Ok{};
  });
  if (!rehearsed) return rehearsed.error();
  return report;
}

std::int64_t elapsed_ms(SteadyClock::time_point started) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started)
      .count();
}

// The record of this pass, begun before anything else it does: a pass that fails or is
// refused is on record (status reports it), and one that dies leaves a record without an
// outcome, naming its process.
Result<PassRecord> begin_pass_record(Store& store, const PassOptions& options, Epoch at,
                                     PassReport& report) {
  auto jump = clock_jump(store, at, options);
  if (!jump) return jump.error();
  report.clock_jump_seconds = *jump;
  PassRecord pass;
  pass.owner = options.owner.empty() ? default_owner() : options.owner;
  pass.started_epoch = at;
  pass.clock_jump_seconds = report.clock_jump_seconds;
  const ProcessIdentity& self = this_process();
  pass.host = self.host;
  pass.pid = self.pid;
  pass.pid_start = self.start_ticks;
  pass.boot_id = self.boot_id;
  auto begun = store.transaction(
      [&]() -> Status {
        auto id = store.begin_pass(pass);
        if (!id) return id.error();
        pass.id = *id;
        return Ok{};
      },
      Store::Sync::kBatched);
  if (!begun) return begun.error();
  return pass;
}

// The pass record's end: when, how long, the counts and the outcome.
void close_record(PassRecord& pass, const PassReport& report, SteadyClock::time_point started,
                  PassOutcome outcome) {
  pass.finished_epoch = now();
  pass.duration_ms = elapsed_ms(started);
  pass.scheduled = report.scheduled;
  pass.fired = report.fired;
  pass.ran = report.ran;
  pass.failed = report.failed;
  pass.outcome = outcome;
}

// The end of a pass that did its work: its figures and outcome ok, with the history pruned.
Status end_pass_record(Store& store, PassRecord& pass, const PassReport& report,
                       SteadyClock::time_point started) {
  bool idle = report.scheduled + report.fired + report.ran + report.skipped + report.coalesced +
                  report.set_aside + report.retried ==
              0;
  if (idle) store.keep_wal_on_close();
  return store.transaction(
      [&]() -> Status {
        auto pruned = store.prune_history(now() - kHistoryKeepSeconds, kPruneSlice);
        if (!pruned) return pruned.error();
        close_record(pass, report, started, PassOutcome::kOk);
        return store.end_pass(pass);
      },
      // The pass's last commit puts all its batched commits on disk, unless it did nothing: an
      // idle pass syncs nothing (losing its pass record to a power cut loses nothing).
      idle ? Store::Sync::kBatched : Store::Sync::kDurable);
}

// Record how a pass ended that stopped at `error`: refused for kUnsafe, else failed. Best
// effort, in its own small transaction: what failed the pass (a full disk) may refuse this too,
// and then the record keeps no outcome, which status reports as a pass that died.
void record_pass_failure(Store& store, PassRecord& pass, const PassReport& report,
                         const Error& error, SteadyClock::time_point started) {
  close_record(pass, report, started,
               error.kind() == ErrorKind::kUnsafe ? PassOutcome::kRefused : PassOutcome::kFailed);
  pass.error = error.message();
  (void)store.transaction([&]() -> Status { return store.end_pass(pass); },
                          Store::Sync::kDurable);
}

// Sleep for `duration`, syncing batched commits when their window closes meanwhile.
Status sleep_syncing(Store& store, std::chrono::milliseconds duration) {
  auto end = SteadyClock::now() + duration;
  for (auto left = duration; left.count() > 0;
       left = std::chrono::duration_cast<std::chrono::milliseconds>(end - SteadyClock::now())) {
    auto wait = store.sync_if_due(left);
    if (!wait) return wait.error();
    std::this_thread::sleep_for(*wait);
  }
  return Ok{};
}

// The pass proper, once its record is begun.
Status run_recorded_pass(Store& store, const PassOptions& options, PassRecord& pass,
                         PassReport& report, SteadyClock::time_point started) {
  // Commands are not run from a database others could have written them into. A database
  // of --log actions only is harmless wherever it is.
  if (auto safe = check_database_safety(store.path()); !safe) {
    auto commands = store.has_command_actions();
    if (!commands) return commands.error();
    if (*commands) return safe.error();
  }
  PassOptions execute_options = options;
  execute_options.owner = pass.owner;
  auto deadline = started + std::chrono::seconds(options.max_time_seconds);
  auto phases = [&](Epoch current) -> Status {
    auto scheduled = schedule_phase(store, current, options, report);
    if (!scheduled) return scheduled.error();
    if (auto fired = fire_phase(store, current, options, report); !fired) return fired;
    execute_options.max_time_seconds = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::seconds>(deadline - SteadyClock::now()).count());
    return execute_phase(store, execute_options, report);
  };
  if (auto done = phases(pass.started_epoch); !done) return done;
  // --linger: stay within the budget and fire what falls due at its second.
  while (options.linger && !now_is_fixed() &&
         SteadyClock::now() + std::chrono::seconds(1) < deadline) {
    if (auto slept = sleep_syncing(store, std::chrono::seconds(1)); !slept) return slept;
    if (auto done = phases(now()); !done) return done;
  }
  return end_pass_record(store, pass, report, started);
}

}  // namespace

Result<PassReport> run_pass(Store& store, const PassOptions& options) {
  if (options.dry_run) return rehearse_pass(store, options);
  auto started = SteadyClock::now();
  PassReport report;
  auto pass = begin_pass_record(store, options, now(), report);
  if (!pass) return pass.error();
  if (auto done = run_recorded_pass(store, options, *pass, report, started); !done) {
    record_pass_failure(store, *pass, report, done.error(), started);
    return done.error();
  }
  return report;
}

}  // namespace trigger
