#include "trigger/pass.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <random>

#include "account.h"
#include "hook.h"
#include "policy.h"
#include "process.h"
#include "runner.h"
#include "text.h"

extern char** environ;

namespace trigger {
namespace {

using SteadyTime = Env::SteadyTime;

constexpr std::int64_t kKillGraceSeconds = 10;  // SIGTERM, then SIGKILL this much later
constexpr std::int64_t kMaxBackoffSeconds = 3600;
constexpr std::int64_t kPassKeepSeconds = kDefaultHistoryKeepSeconds;  // pass records
constexpr std::size_t kPruneSlice = 1000;  // history rows looked at for pruning per pass
constexpr int kFinishTries = 12;  // recording an outcome: busy timeouts (5 s each) before giving up

// One write transaction of the pass holds the database at most this long before it commits
// (writers wait behind it with a 5 s busy timeout)...
constexpr auto kMaxWriteHold = std::chrono::milliseconds(200);
// ... and after one that held it this long, the pass leaves it free this long before the next,
// so that a writer polling in its busy handler (every 100 ms at worst) gets in.
constexpr auto kWriterGap = std::chrono::milliseconds(50);
constexpr std::size_t kTasksPerBudgetCheck = 256;  // tasks queued between looks at the clock

// The time one write transaction may take: kMaxWriteHold, and never past the pass's deadline
// (options.deadline, on options.env's monotonic clock).
class Budget {
 public:
  explicit Budget(const PassOptions& options)
      : env_(*options.env),
        started_(env_.steady_now()),
        end_(std::min(started_ + kMaxWriteHold, options.deadline)) {}
  bool spent() const { return env_.steady_now() >= end_; }
  // After the transaction: leave the database to waiting writers if it was held long.
  void yield_to_writers() const {
    if (env_.steady_now() - started_ >= kWriterGap) env_.pause(kWriterGap);
  }

 private:
  Env& env_;
  SteadyTime started_;
  SteadyTime end_;
};

// Whether the pass's deadline has passed.
bool past(const PassOptions& options) { return options.env->steady_now() >= options.deadline; }

// Narrate a line made by `make` (a callable returning the line), built only when narrating:
// formatting times in the trigger's zone costs more than firing it.
template <class Make>
void say(const PassOptions& options, Make&& make) {
  if (options.narrate) options.narrate(make());
}

// Log a line made by `make` to options.log (syslog), built only when there is one.
template <class Make>
void log_line(const PassOptions& options, Severity severity, Make&& make) {
  if (options.log) options.log->log(severity, make());
}

// The event id of a task's occurrence.
std::string event_id_of(const Task& task) {
  return event_id(task.trigger_id, task.scheduled_epoch, task.manual);
}

// "0.2 s": a run's duration in the log.
std::string seconds_text(Env::SteadyTime::duration elapsed) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s",
                std::chrono::duration_cast<std::chrono::duration<double>>(elapsed).count());
  return text;
}

// The label of trigger `id` as read from the store; "trigger ID" when its row is damaged.
Result<std::string> label_of(Store& store, std::int64_t id) {
  auto found = store.trigger_for_pass(id);
  if (found) return describe(*found);
  if (found.error().kind() == ErrorKind::kDamaged) return "trigger " + std::to_string(id);
  return found.error();
}

std::string when(Epoch epoch, const Trigger& trigger) {
  auto zone = Zone::locate(trigger.tz);
  return format_rfc3339(epoch, zone ? *zone : Zone::utc());
}

// "HOST:PID:RANDOM", from the identity the leases and pass records carry.
std::string default_owner() {
  const ProcessIdentity& self = this_process();
  std::random_device random;
  return self.host + ":" + std::to_string(self.pid) + ":" + std::to_string(random());
}

// Set a trigger aside because `why` (its clock failed, or its row cannot be decoded): no next
// time until it is edited, and a history record that says why. `who` names it.
Status set_aside(Store& store, std::int64_t trigger_id, const std::string& who, EventRow& event,
                 std::string why, Epoch now, PassReport& report, const PassOptions& options) {
  // The line names the trigger already: not "'a': ...: trigger 1: its time zone ...".
  std::string subject = "trigger " + std::to_string(trigger_id) + ": ";
  if (why.rfind(subject, 0) == 0) why.erase(0, subject.size());
  event.trigger_id = trigger_id;
  event.next_event_epoch.reset();
  event.error = why;
  if (auto written = store.write_event(event); !written) return written;
  // No occurrence (count 0): the trigger itself failed.
  auto record = HistoryRecord::of_trigger(trigger_id, Outcome::kFailed, "set aside: " + why, now);
  if (auto appended = store.append_history(record); !appended) return appended.error();
  report.set_aside += 1;
  report.failures.push_back({who + " is set aside: " + why, this_process().host, now, ""});
  say(options, [&] { return who + " is set aside: " + why; });
  log_line(options, Severity::kErr, [&] { return who + " set aside: " + why; });
  return Ok{};
}

Status set_aside(Store& store, const Trigger& trigger, EventRow& event, const std::string& why,
                 Epoch now, PassReport& report, const PassOptions& options) {
  return set_aside(store, trigger.id, describe(trigger), event, why, now, report, options);
}

// The words for why a trigger finished.
std::string finish_text(Finish finish, const Trigger& trigger) {
  switch (finish) {
    case Finish::kMaxRuns:
      return "--max-runs " + std::to_string(*trigger.policy.max_runs) + " reached";
    case Finish::kNoMoreTimes:
      return "no more fire times";
    case Finish::kPastUntil:
      return "past --until " + when(*trigger.policy.until_epoch, trigger);
    case Finish::kNotFinished:
      break;
  }
  return "";
}

// A trigger that has finished (finished_because()) is marked done and gets no next time:
// `next` is cleared. The schedule and the fire phase both end a trigger here.
Status finish_if_done(Store& store, const Trigger& trigger, Finish finish,
                      std::optional<Epoch>& next, Epoch now, const PassOptions& options) {
  if (finish == Finish::kNotFinished) return Ok{};
  if (auto done = store.finish_trigger(trigger.id, now); !done) return done;
  say(options, [&] { return describe(trigger) + ": done (" + finish_text(finish, trigger) + ")"; });
  next.reset();
  return Ok{};
}

// The next time of a boot clock `delay` after each boot, in boot `boot`, which the event row
// is then scheduled for: none when its clock was set during this boot (as cron's @reboot, a
// trigger made after the boot waits for the next one) or the boot id cannot be read; the row's
// own when it is scheduled for this boot already (fired: none; or pending); else the boot's
// time plus the delay.
std::optional<Epoch> boot_next(const Trigger& trigger, std::int64_t delay, EventRow& event,
                               const BootInfo& boot) {
  if (boot.id.empty()) return std::nullopt;
  bool same_boot = event.boot_id == boot.id;
  event.boot_id = boot.id;
  if (trigger.clock_set_epoch >= boot.epoch) return std::nullopt;
  if (same_boot) return event.next_event_epoch;
  return boot.epoch + delay;
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
    if (auto delay = (*clock)->boot_delay()) {
      next = boot_next(trigger, *delay, *event, options.env->boot());
    } else {
      auto computed = next_event(**clock, event->last_event_epoch, trigger.clock_set_epoch, false);
      if (!computed)
        return set_aside(store, trigger, *event, computed.error().message(), now, report, options);
      next = next_after_edit(event->next_event_epoch, event->last_event_epoch,
                             trigger.updated_epoch, *computed, now);
    }
    // --max-runs counts the runs since the clock was last set.
    if (event->runs_from_epoch != trigger.clock_set_epoch) {
      event->runs = 0;
      event->runs_from_epoch = trigger.clock_set_epoch;
    }
    Finish finish = finished_because((*clock)->kind(), trigger.policy, event->runs, next);
    if (auto done = finish_if_done(store, trigger, finish, next, now, options); !done) return done;
  }
  event->next_event_epoch = next;
  if (auto written = store.write_event(*event); !written) return written;
  report.scheduled += 1;
  say(options, [&] {
    return describe(trigger) + ": scheduled, next " + (next ? when(*next, trigger) : "none");
  });
  return Ok{};
}

// Schedule one changed trigger, or set it aside if its row cannot be decoded.
Status schedule_changed(Store& store, const ChangedTrigger& changed, Epoch now, PassReport& report,
                        const PassOptions& options) {
  if (changed.trigger) return schedule_one(store, *changed.trigger, now, report, options);
  if (changed.trigger.error().kind() != ErrorKind::kDamaged) return changed.trigger.error();
  auto event = store.event(changed.id);
  if (!event) return event.error();
  return set_aside(store, changed.id, "trigger " + std::to_string(changed.id), *event,
                   changed.trigger.error().message(), now, report, options);
}

// What firing one trigger reads from the store.
struct FiringLoad {
  EventRow event;
  Trigger trigger;
  std::shared_ptr<const Clock> clock;
  std::int64_t open = 0;                ///< its runs queued or running
  std::optional<Epoch> newest_queued;   ///< read only while a run is open
};

// Load: the due trigger's event, definition, clock and open runs. Nullopt when there is
// nothing to fire: another pass fired it, it is no longer active (its next time is cleared
// here) or its clock cannot be built (it is set aside here).
Result<std::optional<FiringLoad>> load_firing(Store& store, std::int64_t trigger_id, Epoch now,
                                              PassReport& report, const PassOptions& options) {
  auto event = store.event(trigger_id);
  if (!event) return event.error();
  if (!event->next_event_epoch || *event->next_event_epoch > now)
    return std::optional<FiringLoad>();  // another pass did it
  auto found = store.trigger_for_pass(trigger_id);
  if (!found) return found.error();
  if (found->state != State::kActive) {  // paused or cancelled since it was scheduled
    event->next_event_epoch.reset();
    if (auto written = store.write_event(*event); !written) return written.error();
    return std::optional<FiringLoad>();
  }
  auto clock = trigger_clock(*found);
  if (!clock) {
    auto aside = set_aside(store, *found, *event, clock.error().message(), now, report, options);
    if (!aside) return aside.error();
    return std::optional<FiringLoad>();
  }
  FiringLoad load;
  load.event = std::move(*event);
  load.trigger = std::move(*found);
  load.clock = std::move(*clock);
  auto open = store.open_tasks(trigger_id);
  if (!open) return open.error();
  load.open = *open;
  if (load.open > 0) {
    auto queued = store.newest_queued_epoch(trigger_id);
    if (!queued) return queued.error();
    load.newest_queued = *queued;
  }
  return std::optional<FiringLoad>(std::move(load));
}

// The policy's view of a loaded trigger.
FiringInput firing_input(const FiringLoad& load, Epoch now, const PassOptions& options) {
  FiringInput input;
  input.trigger_id = load.trigger.id;
  input.clock = load.clock.get();
  input.policy = &load.trigger.policy;
  input.clock_set_epoch = load.trigger.clock_set_epoch;
  input.first_due = *load.event.next_event_epoch;
  input.last_event = load.event.last_event_epoch;
  input.runs = load.event.runs;
  input.run_open = load.open > 0;
  input.newest_queued = load.newest_queued;
  input.now = now;
  input.max_catch_up = options.max_catch_up;
  input.max_scan = options.max_scan;
  return input;
}

// Queue the plan's occurrences, in order. When the budget is spent part way (looked at
// every kTasksPerBudgetCheck tasks), the firing ends at the last one queued (cut_plan()) and
// the rest wait for the next firing.
Status queue_tasks(Store& store, FiringLoad& load, FiringPlan& plan, const FiringInput& input,
                   Epoch now, const Budget& budget, PassReport& report,
                   const PassOptions& options) {
  const Trigger& trigger = load.trigger;
  for (std::size_t i = 0; i < plan.queue.size(); ++i) {
    if (i > 0 && i % kTasksPerBudgetCheck == 0 && budget.spent()) {
      cut_plan(plan, i, input);
      break;
    }
    const Occurrence& occurrence = plan.queue[i];
    Task task;
    task.trigger_id = trigger.id;
    task.scheduled_epoch = occurrence.scheduled;
    task.serial = plan.serial;
    task.last_epoch = occurrence.previous;
    task.due_epoch = occurrence.due;
    task.created_epoch = now;
    auto inserted = store.insert_task(task);
    if (!inserted) return inserted.error();
    if (!*inserted) continue;
    report.fired += 1;
    load.event.runs += 1;
    say(options, [&] {
      return describe(trigger) + ": fired " + when(occurrence.scheduled, trigger) +
             (occurrence.due != occurrence.scheduled
                  ? " (jitter: runs at " + when(occurrence.due, trigger) + ")"
                  : "");
    });
  }
  return Ok{};
}

HistoryRecord skip_record(const Trigger& trigger, const Miss& missed, Outcome outcome,
                          std::string reason, Epoch now) {
  return HistoryRecord::of_misses(trigger.id, missed.last, missed.count, outcome,
                                  std::move(reason), now);
}

std::string span(const Miss& missed, const Trigger& trigger) {
  if (missed.count == 1) return "1 occurrence at " + when(missed.last, trigger);
  return std::to_string(missed.count) + " occurrences from " + when(missed.first, trigger) +
         " to " + when(missed.last, trigger);
}

// The history record of a miss, with its reason in words.
HistoryRecord miss_record(const Trigger& trigger, const Miss& missed, Epoch now) {
  const Policy& policy = trigger.policy;
  switch (missed.reason) {
    case MissReason::kCoalesced:
      return skip_record(trigger, missed, Outcome::kCoalesced,
                         "missed " + span(missed, trigger) +
                             "; fired the latest instead (--misfire latest)",
                         now);
    case MissReason::kLate:
      return skip_record(trigger, missed, Outcome::kSkipped,
                         span(missed, trigger) + " more than " +
                             format_duration(policy.grace_seconds) + " late (--misfire skip)",
                         now);
    case MissReason::kOverlap:
      return skip_record(trigger, missed, Outcome::kSkipped,
                         span(missed, trigger) +
                             ": the previous run was still queued or running (--overlap skip)",
                         now);
    case MissReason::kMaxRuns:
      break;
  }
  return skip_record(trigger, missed, Outcome::kSkipped,
                     span(missed, trigger) + ": --max-runs " +
                         std::to_string(*policy.max_runs) + " reached",
                     now);
}

// The skipped and coalesced records of a firing.
Status record_missed(Store& store, const Trigger& trigger, const std::vector<Miss>& misses,
                     Epoch now, PassReport& report, const PassOptions& options) {
  for (const Miss& missed : misses) {
    HistoryRecord record = miss_record(trigger, missed, now);
    if (record.outcome == Outcome::kCoalesced) report.coalesced += record.count;
    if (record.outcome == Outcome::kSkipped) report.skipped += record.count;
    say(options, [&] {
      return describe(trigger) + ": " + std::string(to_string(record.outcome)) + " " + record.reason;
    });
    log_line(options, Severity::kWarning, [&] {
      return describe(trigger) + " " + std::string(to_string(record.outcome)) + ": " +
             record.reason;
    });
    if (auto appended = store.append_history(record); !appended) return appended.error();
  }
  return Ok{};
}

// Apply: queue the plan's occurrences, record its misses and advance the event (ending the
// trigger if it finished, by the runs actually queued).
Status apply_firing(Store& store, FiringLoad& load, FiringPlan& plan, const FiringInput& input,
                    Epoch now, const Budget& budget, PassReport& report,
                    const PassOptions& options) {
  if (auto queued = queue_tasks(store, load, plan, input, now, budget, report, options); !queued)
    return queued;
  if (auto recorded = record_missed(store, load.trigger, plan.misses, now, report, options);
      !recorded)
    return recorded;
  EventRow& event = load.event;
  event.last_event_epoch = plan.last_handled;
  std::optional<Epoch> next = plan.next;
  Finish finish = finished_because(load.clock->kind(), load.trigger.policy, event.runs, next);
  if (auto done = finish_if_done(store, load.trigger, finish, next, now, options); !done)
    return done;
  event.next_event_epoch = next;
  event.error.reset();
  return store.write_event(event);
}

// Add what fire_one counted (it counts nothing else) to the pass's report.
void add_counts(PassReport& report, PassReport&& firing) {
  report.fired += firing.fired;
  report.skipped += firing.skipped;
  report.coalesced += firing.coalesced;
  report.set_aside += firing.set_aside;
  for (auto& failure : firing.failures) report.failures.push_back(std::move(failure));
}

// Fire one trigger whose next event is due: load, plan (the pure policy), apply. Its tasks,
// skip records and advanced event are written in the caller's one transaction. One firing
// handles what is due up to its caps and its budget; the trigger stays due for the next
// firing if more is.
Status fire_one(Store& store, std::int64_t trigger_id, Epoch now, PassReport& report,
                const PassOptions& options, const Budget& budget) {
  auto loaded = load_firing(store, trigger_id, now, report, options);
  if (!loaded) return loaded.error();
  if (!*loaded) return Ok{};
  FiringLoad& load = **loaded;
  FiringInput input = firing_input(load, now, options);
  auto plan = plan_firing(input);
  if (!plan)
    return set_aside(store, load.trigger, load.event, plan.error().message(), now, report,
                     options);
  return apply_firing(store, load, *plan, input, now, budget, report, options);
}

// Fire one due trigger in its own savepoint: a trigger that cannot be fired (its clock fails,
// its row cannot be decoded) is rolled back alone and set aside; the queue goes on. The
// database failing (busy, full, read-only, a damaged file) is no fault of the trigger's: that
// error ends the batch. What a firing that is rolled back counted does not count.
Status fire_or_set_aside(Store& store, std::int64_t id, Epoch now, const PassOptions& options,
                         const Budget& budget, PassReport& batch) {
  PassReport counted;
  auto fired = store.transaction(
      [&]() -> Status { return fire_one(store, id, now, counted, options, budget); });
  if (fired) {
    add_counts(batch, std::move(counted));
    return Ok{};
  }
  if (fired.error().kind() == ErrorKind::kBusy || fired.error().kind() == ErrorKind::kIO)
    return fired;
  return store.transaction([&]() -> Status {
    auto who = label_of(store, id);
    if (!who) return who.error();
    auto event = store.event(id);
    if (!event) return event.error();
    return set_aside(store, id, *who, *event, fired.error().message(), now, batch, options);
  });
}

// One fire transaction: fire due triggers until none is due (more = false) or the budget is
// spent (more = true). A trigger with more catch-up than one firing takes comes round again.
Status fire_batch(Store& store, Epoch now, const PassOptions& options, const Budget& budget,
                  PassReport& batch, bool& more) {
  while (true) {
    auto due = store.due_triggers(now, options.batch);
    if (!due) return due.error();
    if (due->empty()) {
      more = false;
      return Ok{};
    }
    for (std::int64_t id : *due) {
      if (auto fired = fire_or_set_aside(store, id, now, options, budget, batch); !fired)
        return fired;
      if (budget.spent()) {
        more = true;
        return Ok{};
      }
    }
  }
}

// The environment of a command: run-once's; then, run as an account (--user), its HOME,
// LOGNAME, SHELL and USER; the trigger's --env; and TRIGGER_*.
std::vector<std::string> command_environment(const Trigger& trigger, const Task& task,
                                             const std::optional<Account>& account) {
  std::map<std::string, std::string> variables;
  auto assign = [&](const std::string& assignment) {
    auto equals = assignment.find('=');
    if (equals != std::string::npos)
      variables[assignment.substr(0, equals)] = assignment.substr(equals + 1);
  };
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) assign(*entry);
  if (account) {
    for (const auto& assignment : account_environment(*account)) assign(assignment);
  }
  for (const auto& assignment : trigger.action.env) assign(assignment);
  variables["TRIGGER_ID"] = std::to_string(trigger.id);
  variables["TRIGGER_NAME"] = trigger.name.value_or("");
  variables["TRIGGER_EVENT_ID"] = event_id(trigger.id, task.scheduled_epoch, task.manual);
  variables["TRIGGER_SCHEDULED_EPOCH"] = std::to_string(task.scheduled_epoch);
  variables["TRIGGER_LAST_EPOCH"] = task.last_epoch ? std::to_string(*task.last_epoch) : "";
  variables["TRIGGER_ATTEMPT"] = std::to_string(task.attempt);
  variables["TRIGGER_TZ"] = trigger.tz;
  std::vector<std::string> env;
  for (const auto& [key, value] : variables) env.push_back(key + "=" + value);
  return env;
}

// Whom a trigger's command and hook run as: nullopt without --user; with it, its account,
// only when this pass may run commands as another user: it is run by root, from a store that
// root alone can change (Store::check_root_only(), after the file-safety checks), and the
// password database knows the user. Else why the run may not start (it is then recorded
// failed): a database that anyone but root can write never gets a command run as another user.
Result<std::optional<Account>> account_of(const Store& store, const Trigger& trigger) {
  if (!trigger.policy.user) return std::optional<Account>();
  const std::string& name = *trigger.policy.user;
  if (auto root = check_run_by_root(name); !root) return root.error();
  if (auto root_only = store.check_root_only(); !root_only)
    return Error(ErrorKind::kUnsafe,
                 "--user " + in_quotes(name) + ": " + root_only.error().message());
  auto account = look_up_account(name);
  if (!account)
    return Error(account.error().kind(),
                 "--user " + in_quotes(name) + ": " + account.error().message());
  return std::optional<Account>(std::move(*account));
}

// `request` run as `account` when there is one: in the trigger's --cwd, else the account's
// home, else / (a home that is not a directory, as nobody's /nonexistent; login(1) does so).
void run_as(RunRequest& request, const Trigger& trigger, const std::optional<Account>& account) {
  request.account = account;
  request.cwd = trigger.action.cwd;
  if (!account || request.cwd) return;
  struct stat info;
  bool home =
      !account->home.empty() && stat(account->home.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
  request.cwd = home ? account->home : "/";
}

RunRequest command_request(const Trigger& trigger, const Task& task,
                           const std::optional<Account>& account) {
  RunRequest request;
  if (trigger.action.kind == ActionKind::kShell) {
    request.argv = {"/bin/sh", "-c", trigger.action.argv.front()};
  } else {
    request.argv = trigger.action.argv;
  }
  request.env = command_environment(trigger, task, account);
  run_as(request, trigger, account);
  request.timeout_seconds = trigger.policy.timeout_seconds;
  request.kill_grace_seconds = kKillGraceSeconds;
  return request;
}

struct Running {
  Task task;
  Trigger trigger;
  Epoch started_epoch = 0;
  SteadyTime started_steady{};  ///< when its command started, for its duration in the log
};

// The log line of a run's end: "'a' (event E) failed after 0.2 s, attempt 1: exit status 3".
std::string end_line(const Running& run, const std::string& id, Outcome outcome,
                     const std::string& what, Env& env) {
  return describe(run.trigger) + " (event " + id + ") " + std::string(to_string(outcome)) +
         " after " + seconds_text(env.steady_now() - run.started_steady) + ", attempt " +
         std::to_string(run.task.attempt) + ": " + what;
}

// One run's end, as finish_run() records it.
struct RunEnd {
  const Running& run;
  const RunResult& result;
  Outcome outcome;
  std::string id;    ///< the event id
  std::string what;  ///< "exit status 3"
  Epoch finished_epoch;
};

// The history record of a run's end with `outcome`: its exit status, times and output.
HistoryRecord end_record(const RunEnd& end, Outcome outcome, std::string reason) {
  auto record = HistoryRecord::of_run(end.run.task, outcome, std::move(reason), end.finished_epoch);
  if (end.result.exit_status) record.exit_status = *end.result.exit_status;
  record.started_epoch = end.run.started_epoch;
  record.output = end.result.output;
  return record;
}

// Queue the occurrence again after a backoff, with a kRetried record of this attempt (its
// output is kept). `logged` gets what the log line adds.
Status record_retry(Store& store, const RunEnd& end, std::int64_t failures, PassReport& report,
                    const PassOptions& options, std::string& logged) {
  const Policy& policy = end.run.trigger.policy;
  std::int64_t shift = std::min<std::int64_t>(failures - 1, 20);
  std::int64_t delay = std::min(policy.backoff_seconds << shift, kMaxBackoffSeconds);
  std::string retry = "retry in " + format_duration(delay);
  auto record =
      end_record(end, Outcome::kRetried,
                 "attempt " + std::to_string(end.run.task.attempt) + " " +
                     std::string(to_string(end.outcome)) + ": " + end.what + "; " + retry);
  record.count = 0;  // the occurrence is accounted for by its last attempt
  auto retried = store.retry_task(end.run.task, end.finished_epoch + delay, record);
  if (!retried) return retried.error();
  if (!*retried) return Ok{};
  report.retried += 1;
  logged = "; " + retry;
  say(options, [&] {
    return describe(end.run.trigger) + ": event " + end.id + " attempt " +
           std::to_string(end.run.task.attempt) + " " + end.what + "; " + retry;
  });
  return Ok{};
}

// Record the occurrence's final outcome. `hook_due` is set when its on-failure hook should run.
Status record_final(Store& store, const RunEnd& end, PassReport& report, const PassOptions& options,
                    std::string& logged, bool& hook_due) {
  const Trigger& trigger = end.run.trigger;
  auto completed = store.complete_task(end.run.task, end_record(end, end.outcome, end.what));
  if (!completed) return completed.error();
  if (!*completed) {
    logged = "; not recorded: lease lost to another pass";
    say(options, [&] {
      return describe(trigger) + ": event " + end.id + ": lease lost to another pass; not recorded";
    });
    return Ok{};
  }
  if (end.outcome != Outcome::kSucceeded) {
    report.failed += 1;
    report.failures.push_back({describe(trigger) + " (event " + end.id + "): " + end.what,
                               this_process().host, end.finished_epoch, end.result.output});
    hook_due = trigger.policy.on_failure_sh.has_value();
  }
  say(options, [&] {
    return describe(trigger) + ": event " + end.id + " " + std::string(to_string(end.outcome)) +
           (end.outcome == Outcome::kSucceeded ? "" : " (" + end.what + ")");
  });
  return Ok{};
}

// Run `body` as a transaction; the outcome must not be lost to a database that is busy for a
// while: the command has run.
Status commit_outcome(Store& store, Env& env, const std::function<Status()>& body) {
  Status status = store.transaction(body, Store::Sync::kBatched);
  for (int attempt = 1;
       !status && status.error().kind() == ErrorKind::kBusy && attempt < kFinishTries; ++attempt) {
    env.pause(std::chrono::milliseconds(100 * attempt));
    status = store.transaction(body, Store::Sync::kBatched);
  }
  return status;
}

// Record the end of one run: a retry, or the final outcome. True when the trigger's on-failure
// hook is due (its occurrence ended failed or timed out for good).
Result<bool> finish_run(Store& store, const Running& run, const RunResult& result,
                        PassReport& report, const PassOptions& options) {
  Env& env = *options.env;
  const Policy& policy = run.trigger.policy;
  Outcome outcome = result.succeeded() ? Outcome::kSucceeded
                    : result.timed_out ? Outcome::kTimedOut
                                       : Outcome::kFailed;
  RunEnd end{
      run,      result, outcome, event_id_of(run.task), result.describe(policy.timeout_seconds),
      env.now()};
  report.ran += 1;
  // Attempts cut short by a dead pass were not the command's failures: they use no retry.
  std::int64_t failures = run.task.attempt - run.task.interrupted;
  bool may_retry = outcome != Outcome::kSucceeded && failures <= policy.retries;
  std::string logged;  // what the log line adds, once the outcome is committed
  bool hook_due = false;
  auto record = [&]() -> Status {
    logged.clear();
    hook_due = false;
    // A trigger cancelled while this run was going gets no more attempts.
    auto current = store.trigger_for_pass(run.trigger.id);
    if (!current) return current.error();
    if (may_retry && current->state != State::kCancelled)
      return record_retry(store, end, failures, report, options, logged);
    return record_final(store, end, report, options, logged, hook_due);
  };
  if (auto status = commit_outcome(store, env, record); !status) return status.error();
  log_line(options, outcome == Outcome::kSucceeded ? Severity::kInfo : Severity::kErr,
           [&] { return end_line(run, end.id, outcome, end.what, env) + logged; });
  return hook_due;
}

// Commands are leased only from a database that is safe at that moment: its files are checked
// again (a few stat calls) before every lease that would start one (`leased` holds commands
// only), since they may have changed since the pass began, and a --log database may have been
// given a command meanwhile. kUnsafe rolls the lease back: nothing has started.
Status commands_allowed(const Store& store, const std::vector<Running>& leased) {
  return leased.empty() ? Status(Ok{}) : store.check_writers();
}

// Complete up to a batch of runnable --log tasks in one transaction, bounded by time too: each
// is its history record. Returns how many.
Result<std::size_t> complete_log_tasks(Store& store, const PassOptions& options,
                                       PassReport& report) {
  std::size_t done = 0;
  std::int64_t ran = 0;
  std::vector<std::string> lines;
  std::vector<std::string> logged;  // the log's lines, once committed
  Budget budget(options);
  auto status = store.transaction(
      [&]() -> Status {
        while (done < options.batch && (done == 0 || !budget.spent())) {
          Epoch at = options.env->now();
          auto tasks = store.runnable_log_tasks(at, options.batch - done);
          if (!tasks) return tasks.error();
          if (tasks->empty()) break;
          for (const auto& [task, message] : *tasks) {
            if (auto removed = store.remove_task(task); !removed) return removed;
            Task attempted = task;  // never leased: this is its attempt
            attempted.attempt += 1;
            auto record = HistoryRecord::of_run(attempted, Outcome::kSucceeded, "", at);
            record.exit_status = 0;
            record.started_epoch = at;
            record.output = message;
            if (auto appended = store.append_history(record); !appended) return appended.error();
            if (options.narrate || options.log) {
              auto trigger = store.trigger_for_pass(task.trigger_id);
              if (!trigger) return trigger.error();
              logged.push_back(describe(*trigger) + " (event " + *record.event_id +
                               ") succeeded after 0.0 s, attempt " +
                               std::to_string(attempted.attempt) + ": log: " + message);
              lines.push_back(describe(*trigger) + ": log: " + message);
              lines.push_back(describe(*trigger) + ": event " + *record.event_id + " succeeded");
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
  for (const auto& line : logged) log_line(options, Severity::kInfo, [&] { return line; });
  budget.yield_to_writers();
  return done;
}

// Why a lease held by another pass may be reclaimed now, or "" if it must be left alone: a
// holder on this host is judged by its process alone (alive: never taken, whatever the clock
// says; dead: at once), a holder elsewhere by its heartbeat.
std::string reclaim_reason(const Task& task, Epoch at, Liveness alive) {
  std::string holder = "pid " + std::to_string(task.lease_pid) + " on " + in_quotes(task.lease_host);
  switch (alive) {
    case Liveness::kAlive:
      return "";
    case Liveness::kDead:
      if (task.lease_boot_id != this_process().boot_id)
        return "the machine restarted while the pass running it (" + holder + ") held it";
      return "the pass running it (" + holder + ") died";
    case Liveness::kUnknown:
      if (!task.lease_expires_epoch || *task.lease_expires_epoch > at) return "";
      return "no heartbeat from the pass running it (" + holder + ") since " +
             format_rfc3339(*task.lease_expires_epoch, Zone::utc());
  }
  return "";
}

// The execute phase, as a loop of steps (ninja's Builder): reclaim what dead passes left,
// find work (lease it), start it, wait for commands (renewing their leases), finish each.
class Executor {
 public:
  // `keep_time`, when given (--linger), is called with the time at each new second of the
  // wall clock while commands run: the schedule and fire phases, so that what falls due then
  // is fired on time, and run when there is room.
  using KeepTime = std::function<Status(Epoch)>;
  Executor(Store& store, const PassOptions& options, PassReport& report, KeepTime keep_time = {})
      : store_(store),
        options_(options),
        report_(report),
        env_(*options.env),
        pool_(env_),
        keep_time_(std::move(keep_time)) {
    holder_.owner = options.owner.empty() ? default_owner() : options.owner;
    const ProcessIdentity& self = this_process();
    holder_.host = self.host;
    holder_.boot_id = self.boot_id;
    holder_.pid = self.pid;
    holder_.pid_start = self.start_ticks;
    deadline_ = env_.steady_now() + std::chrono::seconds(options.max_time_seconds);
    renewed_ = env_.steady_now();
    kept_second_ = env_.now();  // the phases have just run at this second
  }

  Status run() {
    // After an error, lease nothing more but see every running command through and record it:
    // never leave a command that ran unrecorded (it would run again) or kill one mid-run.
    while (true) {
      if (may_lease() && logs_) {
        complete_logs();
        continue;
      }
      if (may_lease() && running_.size() < jobs()) {
        reclaim_leases();
        auto leased = may_lease() ? find_work() : std::vector<Running>{};
        leasing_ = !leased.empty() || logs_;
        start_runs(leased);
        if (leasing_) continue;
      }
      if (running_.empty() && hooks_.empty()) break;
      wait_for_commands();
      keep_time();
    }
    if (report_.deferred > 0)
      report_.start_trouble = trouble_ + "; " + std::to_string(report_.deferred) + " " +
                              (report_.deferred == 1 ? "run" : "runs") + " left queued";
    return failure_ ? Status(*failure_) : Status(Ok{});
  }

 private:
  std::size_t jobs() const { return std::max<std::size_t>(options_.jobs, 1); }
  bool may_lease() const {
    return leasing_ && !failure_ && !out_of_resources_ && env_.steady_now() < deadline_;
  }
  void fail(const Status& status) {
    if (!failure_) failure_ = status.error();
    leasing_ = false;
  }

  // While commands run under --linger: at a new second, schedule and fire what is due, and
  // look for work again (what was fired may run now, --log tasks first).
  void keep_time() {
    Epoch now = env_.now();
    if (!keep_time_ || now <= kept_second_ || failure_ || env_.steady_now() >= deadline_) return;
    kept_second_ = now;
    if (auto kept = keep_time_(now); !kept) return fail(kept);
    if (!out_of_resources_) leasing_ = logs_ = true;
  }

  // --log actions need no process: they are completed here alone, first, a batch per
  // transaction, until none is runnable, and again whenever find_work() gives one back.
  // (Looking for them after every command would scan the queued commands each time.)
  void complete_logs() {
    auto logged = complete_log_tasks(store_, options_, report_);
    if (!logged) return fail(logged.error());
    if (*logged == 0) logs_ = false;
  }

  // Reclaim the runs of passes that are gone: a dead holder on this host at once (after ending
  // what is left of its command's process group), another host's once its heartbeat lapsed.
  // Costs the leased rows, not the queue.
  void reclaim_leases() {
    auto leased = store_.leased_tasks();
    if (!leased) return fail(leased.error());
    Epoch at = env_.now();
    for (const Task& task : *leased) {
      if (task.lease_owner == holder_.owner) continue;
      ProcessIdentity holder{task.lease_host, task.lease_boot_id, task.lease_pid,
                             task.lease_pid_start};
      Liveness alive = liveness(holder);
      std::string why = reclaim_reason(task, at, alive);
      if (why.empty()) continue;
      std::string id = event_id_of(task);
      // A group id of another boot means nothing; of this boot, only a group that still
      // carries the occurrence's TRIGGER_EVENT_ID is killed.
      if (alive == Liveness::kDead && task.lease_pgid &&
          task.lease_boot_id == this_process().boot_id)
        end_orphaned_group(env_, static_cast<pid_t>(*task.lease_pgid), "TRIGGER_EVENT_ID=" + id);
      if (auto reclaimed = interrupt(task, id, why, at); !reclaimed) return fail(reclaimed);
    }
  }

  // Record the attempt as interrupted and queue the occurrence again (or, if its trigger was
  // cancelled meanwhile, record it cancelled).
  Status interrupt(const Task& task, const std::string& id, const std::string& why, Epoch at) {
    std::optional<std::string> line;
    std::string logged;
    auto status = store_.transaction(
        [&]() -> Status {
          auto record = HistoryRecord::of_run(
              task, Outcome::kInterrupted,
              "attempt " + std::to_string(task.attempt) + " cut short: " + why, at);
          record.count = 0;  // the occurrence runs again, and is accounted for then
          auto reclaimed = store_.interrupt_task(task, record);
          if (!reclaimed || !*reclaimed) return reclaimed ? Status(Ok{}) : reclaimed.error();
          auto trigger = store_.trigger_for_pass(task.trigger_id);
          if (!trigger) return trigger.error();
          if (trigger->state == State::kCancelled) {
            auto cancelled = store_.cancel_tasks(task.trigger_id, at);
            if (!cancelled) return cancelled.error();
          }
          line = describe(*trigger) + ": event " + id + " interrupted (" + record.reason + ")";
          logged = describe(*trigger) + " (event " + id + ") interrupted: " + record.reason;
          return Ok{};
        },
        Store::Sync::kBatched);
    if (status && line) {
      report_.interrupted += 1;
      say(options_, [&] { return *line; });
      log_line(options_, Severity::kWarning, [&] { return logged; });
    }
    return status;
  }

  // Lease the commands there is room for, with each trigger, in one transaction. A --log task
  // among them (reclaimed from a dead pass, or due since the logs were completed) is given
  // back in the same transaction, for complete_logs(), the one place that completes them.
  std::vector<Running> find_work() {
    std::vector<Running> leased;
    bool logs = false;
    auto status = store_.transaction(
        [&]() -> Status {
          Epoch at = env_.now();
          auto tasks = store_.lease_tasks(holder_, at, options_.lease_ttl_seconds,
                                          jobs() - running_.size());
          if (!tasks) return tasks.error();
          for (auto& task : *tasks) {
            auto trigger = store_.trigger_for_pass(task.trigger_id);
            if (trigger && trigger->action.kind == ActionKind::kLog) {
              auto released = store_.release_task(task);
              if (!released) return released.error();
              logs = true;
            } else if (trigger) {
              leased.push_back({task, std::move(*trigger), at});
            } else if (trigger.error().kind() == ErrorKind::kDamaged) {
              if (auto failed = fail_damaged_run(task, trigger.error(), at); !failed)
                return failed;
            } else {
              return trigger.error();
            }
          }
          return commands_allowed(store_, leased);
        },
        Store::Sync::kBatched);
    if (!status) {
      fail(status);
      return {};
    }
    logs_ = logs;
    return leased;
  }

  // A queued run whose trigger's row cannot be decoded (what would it run?) is recorded failed
  // and the trigger set aside, once: the queue goes on, and nothing is run or dropped silently.
  Status fail_damaged_run(const Task& task, const Error& damage, Epoch at) {
    auto record =
        HistoryRecord::of_run(task, Outcome::kFailed, "not run: " + damage.message(), at);
    auto completed = store_.complete_task(task, record);
    if (!completed) return completed.error();
    report_.failed += 1;
    auto event = store_.event(task.trigger_id);
    if (!event) return event.error();
    if (event->error) return Ok{};  // set aside already
    return set_aside(store_, task.trigger_id, "trigger " + std::to_string(task.trigger_id),
                     *event, damage.message(), at, report_, options_);
  }

  // Start each leased command; then record their process groups with their leases, for a pass
  // that finds this one dead.
  void start_runs(std::vector<Running>& leased) {
    std::vector<std::pair<Task, pid_t>> groups;
    for (std::size_t i = 0; i < leased.size(); ++i) {
      Running& run = leased[i];
      if (out_of_resources_) {
        defer(run);
        continue;
      }
      say(options_, [&] {
        return describe(run.trigger) + ": run " + run.trigger.action.text() + " (event " +
               event_id_of(run.task) + ", attempt " + std::to_string(run.task.attempt) + ")";
      });
      auto account = account_of(store_, run.trigger);
      auto started = account
                         ? pool_.start(command_request(run.trigger, run.task, *account))
                         : Result<ProcessPool::Started>(pool_.refuse(account.error().message()));
      if (!started) {
        // The pass's trouble (no descriptors or processes), not the command's: this run and
        // the rest go back unstarted, and nothing more is leased this round.
        out_of_resources_ = true;
        leasing_ = false;
        trouble_ = started.error().message();
        defer(run);
        continue;
      }
      run.started_steady = env_.steady_now();
      log_line(options_, Severity::kInfo, [&] {
        return describe(run.trigger) + " (event " + event_id_of(run.task) + ") started, attempt " +
               std::to_string(run.task.attempt);
      });
      if (started->pgid > 0) groups.emplace_back(run.task, started->pgid);
      running_.emplace(started->handle, std::move(run));
    }
    if (groups.empty()) return;
    auto recorded = store_.transaction(
        [&]() -> Status {
          for (const auto& [task, pgid] : groups) {
            auto set = store_.set_lease_group(task, pgid);
            if (!set) return set.error();
          }
          return Ok{};
        },
        Store::Sync::kBatched);
    if (!recorded) fail(recorded);
  }

  // Put a run back to the queue unstarted: its attempt is given back.
  void defer(const Running& run) {
    auto released = store_.transaction(
        [&]() -> Status {
          auto put_back = store_.release_task(run.task);
          return put_back ? Status(Ok{}) : put_back.error();
        },
        Store::Sync::kBatched);
    if (!released) return fail(released);
    report_.deferred += 1;
    say(options_, [&] {
      return describe(run.trigger) + ": event " + event_id_of(run.task) +
             " left queued: " + trouble_;
    });
  }

  // Wait up to a second for commands to end, renew the leases when a quarter of their TTL
  // has passed, and finish the commands that ended.
  void wait_for_commands() {
    // While commands run no transaction may come for a while: outcomes already committed are
    // synced when their batch window closes, and the wait ends by then.
    auto wait = store_.sync_if_due(std::chrono::seconds(1));
    if (!wait) fail(wait.error());
    auto ended = pool_.wait(wait ? *wait : std::chrono::seconds(1));
    renew_leases();
    for (auto& [handle, result] : ended) {
      if (auto hook = hooks_.find(handle); hook != hooks_.end()) {
        finish_hook(hook->second, result);
        hooks_.erase(hook);
        continue;
      }
      auto found = running_.find(handle);
      auto finished = finish_run(store_, found->second, result, report_, options_);
      if (!finished) {
        fail(finished.error());
      } else if (!failure_ && !out_of_resources_) {
        leasing_ = true;  // a serial task may have become runnable
      }
      if (finished && *finished) start_hook(found->second, result);
      running_.erase(found);
    }
  }

  // Start the on-failure hook of a run that failed for good, beside the commands (it takes no
  // --jobs slot). One that cannot start, or may not (the database became unsafe), is recorded
  // as not run.
  void start_hook(const Running& run, const RunResult& result) {
    Outcome outcome = result.timed_out ? Outcome::kTimedOut : Outcome::kFailed;
    Running hook{run.task, run.trigger, env_.now(), env_.steady_now()};
    if (auto safe = store_.check_writers(); !safe) return finish_hook(hook, not_run(safe.error()));
    auto account = account_of(store_, run.trigger);
    if (!account) return finish_hook(hook, not_run(account.error()));
    auto request = hook_request(run.trigger, outcome, result,
                                command_environment(run.trigger, run.task, *account));
    run_as(request, run.trigger, *account);
    auto started = pool_.start(request);
    if (!started) return finish_hook(hook, not_run(started.error()));
    say(options_, [&] {
      return describe(run.trigger) + ": run on-failure hook (event " + event_id_of(run.task) + ")";
    });
    hooks_.emplace(started->handle, std::move(hook));
  }

  static RunResult not_run(const Error& why) {
    RunResult result;
    result.start_error = "not run: " + why.message();
    return result;
  }

  // Record what a hook did (it never fails the pass: the occurrence's outcome is recorded).
  void finish_hook(const Running& hook, const RunResult& result) {
    std::string id = event_id_of(hook.task);
    auto record = hook_record(hook.task, result, hook.started_epoch, env_.now());
    auto status = commit_outcome(store_, env_, [&]() -> Status {
      auto appended = store_.append_history(record);
      return appended ? Status(Ok{}) : appended.error();
    });
    if (!status) return fail(status);
    say(options_, [&] { return describe(hook.trigger) + ": event " + id + " " + record.reason; });
    log_line(options_, result.succeeded() ? Severity::kInfo : Severity::kWarning, [&] {
      return describe(hook.trigger) + " (event " + id + ") " + record.reason + " after " +
             seconds_text(env_.steady_now() - hook.started_steady);
    });
  }

  // The heartbeat: one small transaction for all of this pass's leases. A busy database is
  // tried again at the next wake; the TTL leaves room for many.
  void renew_leases() {
    auto every = std::chrono::seconds(std::max<std::int64_t>(options_.lease_ttl_seconds / 4, 1));
    if (running_.empty() || env_.steady_now() - renewed_ < every) return;
    auto renewed = store_.transaction(
        [&]() -> Status {
          auto count = store_.renew_leases(holder_.owner, env_.now() + options_.lease_ttl_seconds);
          return count ? Status(Ok{}) : count.error();
        },
        Store::Sync::kBatched);
    if (renewed) {
      renewed_ = env_.steady_now();
    } else if (renewed.error().kind() != ErrorKind::kBusy) {
      fail(renewed);
    }
  }

  Store& store_;
  const PassOptions& options_;
  PassReport& report_;
  Env& env_;
  LeaseHolder holder_;
  SteadyTime deadline_;
  SteadyTime renewed_;  ///< the last heartbeat (or the start)
  ProcessPool pool_;
  KeepTime keep_time_;
  Epoch kept_second_ = 0;  ///< the second keep_time_ last ran at (or the start)
  std::map<int, Running> running_;
  std::map<int, Running> hooks_;  ///< on-failure hooks running, by handle
  bool leasing_ = true;
  bool logs_ = true;
  bool out_of_resources_ = false;  ///< a command could not be started: lease no more
  std::string trouble_;            ///< why
  std::optional<Error> failure_;
};

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

namespace {

// The boot clocks not yet scheduled for the boot the pass runs in (after a reboot, all of
// them), one batch in one transaction: each is given this boot's occurrence. Those past the
// batch are scheduled by the next pass.
Result<std::int64_t> schedule_boot_triggers(Store& store, Epoch now, const PassOptions& options,
                                            PassReport& report) {
  BootInfo boot = options.env->boot();
  if (boot.id.empty()) return std::int64_t{0};
  std::int64_t count = 0;
  auto status = store.transaction(
      [&]() -> Status {
        auto ids = store.boot_triggers_to_schedule(boot.id, options.batch);
        if (!ids) return ids.error();
        for (std::int64_t id : *ids) {
          ChangedTrigger changed{id, 0, store.trigger_for_pass(id)};
          if (auto scheduled = schedule_changed(store, changed, now, report, options); !scheduled)
            return scheduled;
          ++count;
        }
        return Ok{};
      },
      Store::Sync::kBatched);
  if (!status) return status.error();
  return count;
}

// The triggers changed since the cursor, batch after batch.
Result<std::int64_t> schedule_changed_triggers(Store& store, Epoch now, const PassOptions& options,
                                               PassReport& report) {
  std::int64_t total = 0;
  // A batch per transaction, each bounded by rows, time and the deadline (each does one
  // trigger at least); none is begun past the deadline (the cursor keeps the place for the
  // next pass).
  for (bool first = true;; first = false) {
    if (!first && past(options)) return total;
    Budget budget(options);
    std::size_t count = 0;
    bool more = false;
    auto status = store.transaction(
        [&]() -> Status {
          auto cursor = store.counter("cursor");
          if (!cursor) return cursor.error();
          auto changed = store.triggers_changed_since(*cursor, options.batch);
          if (!changed) return changed.error();
          more = changed->size() == options.batch;
          for (const auto& trigger : *changed) {
            if (auto scheduled = schedule_changed(store, trigger, now, report, options); !scheduled)
              return scheduled;
            ++count;
            if (count < changed->size() && budget.spent()) {
              more = true;
              break;
            }
          }
          if (count > 0) return store.set_counter("cursor", (*changed)[count - 1].version);
          return Ok{};
        },
        Store::Sync::kBatched);
    if (!status) return status.error();
    total += static_cast<std::int64_t>(count);
    if (!more) return total;
    budget.yield_to_writers();
  }
}

}  // namespace

Result<std::int64_t> schedule_phase(Store& store, Epoch now, const PassOptions& options,
                                    PassReport& report) {
  auto changed = schedule_changed_triggers(store, now, options, report);
  if (!changed) return changed.error();
  // After the changed ones, which are scheduled for this boot already.
  auto booted = schedule_boot_triggers(store, now, options, report);
  if (!booted) return booted.error();
  return *changed + *booted;
}

Status fire_phase(Store& store, Epoch now, const PassOptions& options, PassReport& report) {
  // One transaction per batch of due triggers, bounded by time (kMaxWriteHold and the
  // deadline; each fires one trigger at least); none is begun past the deadline. What a batch
  // counted reaches the report once it is committed.
  // Each trigger fired has advanced (or been set aside), so this ends.
  for (bool first = true;; first = false) {
    if (!first && past(options)) return Ok{};
    Budget budget(options);
    bool more = false;
    PassReport batch;
    auto status = store.transaction(
        [&]() -> Status { return fire_batch(store, now, options, budget, batch, more); },
        Store::Sync::kBatched);
    if (!status) return status;
    add_counts(report, std::move(batch));
    if (!more) return Ok{};
    budget.yield_to_writers();
  }
}

Status execute_phase(Store& store, const PassOptions& options, PassReport& report) {
  return Executor(store, options, report).run();
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
  Epoch at = options.env->now();
  auto jump = clock_jump(store, at, options);
  if (!jump) return jump.error();
  report.clock_jump_seconds = *jump;
  auto rehearsed = store.rehearse([&]() -> Status {
    auto scheduled = schedule_phase(store, at, options, report);
    if (!scheduled) return scheduled.error();
    if (auto fired = fire_phase(store, at, options, report); !fired) return fired;
    LeaseHolder rehearsal;
    rehearsal.owner = "dry-run";
    auto runnable = store.lease_tasks(rehearsal, at, 0, std::numeric_limits<int>::max());
    if (!runnable) return runnable.error();
    for (const auto& task : *runnable) {
      auto trigger = store.trigger_for_pass(task.trigger_id);
      if (!trigger) return trigger.error();
      say(options, [&] {
        return describe(*trigger) + ": would run " + trigger->action.text() + " (event " +
               event_id_of(task) + ")";
      });
    }
    return Ok{};
  });
  if (!rehearsed) return rehearsed.error();
  return report;
}

// Where a pass began on the monotonic clock of its Env, which its record reads.
struct PassClock {
  Env& env;
  SteadyTime started;
  std::int64_t elapsed_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(env.steady_now() - started)
        .count();
  }
};

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
void close_record(PassRecord& pass, const PassReport& report, const PassClock& clock,
                  PassOutcome outcome) {
  pass.finished_epoch = clock.env.now();
  pass.duration_ms = clock.elapsed_ms();
  pass.scheduled = report.scheduled;
  pass.fired = report.fired;
  pass.ran = report.ran;
  pass.failed = report.failed;
  pass.outcome = outcome;
}

// The end of a pass that did its work: its figures and outcome ok, with the history pruned.
Status end_pass_record(Store& store, PassRecord& pass, const PassReport& report,
                       const PassClock& clock) {
  bool idle = report.scheduled + report.fired + report.ran + report.skipped + report.coalesced +
                  report.set_aside + report.retried + report.interrupted + report.deferred ==
              0;
  return store.transaction(
      [&]() -> Status {
        // Each trigger's own retention; records kept whatever their age are not read again.
        Epoch now = clock.env.now();
        auto pruned = store.prune_history(now, now - kPassKeepSeconds, kPruneSlice);
        if (!pruned) return pruned.error();
        close_record(pass, report, clock, PassOutcome::kOk);
        return store.end_pass(pass, idle ? Store::PassWork::kIdle : Store::PassWork::kWorked);
      },
      // The pass's last commit puts all its batched commits on disk, unless it did nothing: an
      // idle pass syncs nothing (losing its pass record to a power cut loses nothing).
      idle ? Store::Sync::kBatched : Store::Sync::kDurable);
}

// Record how a pass ended that stopped at `error`: refused for kUnsafe, else failed. Best
// effort, in its own small transaction: what failed the pass (a full disk) may refuse this too,
// and then the record keeps no outcome, which status reports as a pass that died.
void record_pass_failure(Store& store, PassRecord& pass, const PassReport& report,
                         const Error& error, const PassClock& clock) {
  close_record(pass, report, clock,
               error.kind() == ErrorKind::kUnsafe ? PassOutcome::kRefused : PassOutcome::kFailed);
  pass.error = error.message();
  (void)store.transaction([&]() -> Status { return store.end_pass(pass); },
                          Store::Sync::kDurable);
}

// The log line of a pass that stopped at `error`: "pass refused: ..." or "pass failed: ...".
void log_pass_failure(const PassOptions& options, const Error& error) {
  log_line(options, Severity::kErr, [&] {
    return std::string(error.kind() == ErrorKind::kUnsafe ? "pass refused: " : "pass failed: ") +
           error.message();
  });
}

// Sleep for `duration` on `env`, syncing batched commits when their window closes meanwhile.
Status sleep_syncing(Store& store, Env& env, std::chrono::milliseconds duration) {
  auto end = env.steady_now() + duration;
  for (auto left = duration; left.count() > 0;
       left = std::chrono::duration_cast<std::chrono::milliseconds>(end - env.steady_now())) {
    auto wait = store.sync_if_due(left);
    if (!wait) return wait.error();
    env.sleep_for(*wait);
  }
  return Ok{};
}

// The pass proper, once its record is begun.
Status run_recorded_pass(Store& store, const PassOptions& options, PassRecord& pass,
                         PassReport& report, const PassClock& clock) {
  if (auto safe = check_pass_safety(store); !safe) return safe;
  Env& env = clock.env;
  // --max-time holds inside every batch: each phase is given the deadline.
  auto deadline =
      std::min(options.deadline, clock.started + std::chrono::seconds(options.max_time_seconds));
  PassOptions phase_options = options;
  phase_options.deadline = deadline;
  PassOptions execute_options = phase_options;
  execute_options.owner = pass.owner;
  auto schedule_and_fire = [&](Epoch current) -> Status {
    auto scheduled = schedule_phase(store, current, phase_options, report);
    if (!scheduled) return scheduled.error();
    return fire_phase(store, current, phase_options, report);
  };
  auto phases = [&](Epoch current) -> Status {
    if (auto fired = schedule_and_fire(current); !fired) return fired;
    execute_options.max_time_seconds = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::seconds>(deadline - env.steady_now()).count());
    // --linger keeps time while commands run: what falls due meanwhile fires at its second.
    Executor::KeepTime keep_time;
    if (options.linger) keep_time = schedule_and_fire;
    return Executor(store, execute_options, report, keep_time).run();
  };
  if (auto done = phases(pass.started_epoch); !done) return done;
  // --linger: stay within the budget and fire what falls due at its second (of env's wall
  // clock: under --now, the fixed time moved on by the second slept).
  while (options.linger && env.steady_now() + std::chrono::seconds(1) < deadline) {
    if (auto slept = sleep_syncing(store, env, std::chrono::seconds(1)); !slept) return slept;
    if (auto done = phases(env.now()); !done) return done;
  }
  return end_pass_record(store, pass, report, clock);
}

}  // namespace

std::string failure_report(const Failure& failure, std::size_t tail_lines) {
  std::string text = failure.summary + " (on " + failure.host + " at " +
                     format_rfc3339(failure.at, Zone::utc()) + ")";
  std::vector<std::string> lines;
  for (std::size_t begin = 0; begin < failure.output.size();) {
    std::size_t end = failure.output.find('\n', begin);
    if (end == std::string::npos) end = failure.output.size();
    lines.push_back(failure.output.substr(begin, end - begin));
    begin = end + 1;
  }
  std::size_t first = lines.size() > tail_lines ? lines.size() - tail_lines : 0;
  if (first > 0) text += "\n  (" + std::to_string(first) + " earlier lines left out)";
  for (std::size_t i = first; i < lines.size(); ++i) text += "\n  " + lines[i];
  return text;
}

Status check_pass_safety(Store& store) {
  // Commands are not run from a database others could have written them into. A database
  // of --log actions only is harmless wherever it is.
  auto safe = store.check_writers();
  if (safe) return safe;
  auto commands = store.has_command_actions();
  if (!commands) return commands.error();
  return *commands ? safe : Status(Ok{});
}

Result<PassReport> run_pass(Store& store, const PassOptions& options) {
  store.set_env(*options.env);
  if (options.dry_run) return rehearse_pass(store, options);
  PassClock clock{*options.env, options.env->steady_now()};
  PassReport report;
  auto pass = begin_pass_record(store, options, clock.env.now(), report);
  if (!pass) {
    log_pass_failure(options, pass.error());
    return pass.error();
  }
  if (auto done = run_recorded_pass(store, options, *pass, report, clock); !done) {
    record_pass_failure(store, *pass, report, done.error(), clock);
    log_pass_failure(options, done.error());
    return done.error();
  }
  if (!report.start_trouble.empty())
    log_line(options, Severity::kWarning, [&] { return "pass: " + report.start_trouble; });
  return report;
}

}  // namespace trigger
