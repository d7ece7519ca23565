// The catalog's state machine (pause, resume, cancel) and manual runs.
#include <set>

#include "catalog/internal.h"
#include "trigger/catalog.h"

namespace trigger {
namespace {

// Whether a trigger may move to `target`: false when the move is a no-op (it is already there,
// or a done trigger is cancelled); kData when its state forbids the move.
Result<bool> may_move(const Trigger& trigger, State target) {
  State from = trigger.state;
  if (from == target) return false;
  if (target == State::kCancelled) return from != State::kDone;
  if (from == State::kCancelled || from == State::kDone) {
    return catalog::refused(trigger, moved_word(target));
  }
  return true;
}

// The triggers named by `refs` that are to move, each once, in the order first named.
Result<std::vector<Trigger>> triggers_to_move(Store& store, const std::vector<std::string>& refs,
                                              State target) {
  std::vector<Trigger> moving;
  std::set<std::int64_t> seen;
  for (const auto& ref : refs) {
    auto trigger = store.find_trigger(ref);
    if (!trigger) return trigger.error();
    auto move = may_move(*trigger, target);
    if (!move) return move.error();
    if (*move && seen.insert(trigger->id).second) moving.push_back(std::move(*trigger));
  }
  return moving;
}

// Acknowledge the failure of trigger `id`, if it is failing: the run acknowledged, else none.
Result<std::optional<TriggerRunState>> acknowledge_failure(Store& store, std::int64_t id) {
  auto run = store.run_state(id);
  if (!run) return run.error();
  if (!*run || !(*run)->failing || !(*run)->last_run_id) return std::optional<TriggerRunState>();
  auto acknowledged = store.acknowledge_failures(id, *(*run)->last_run_id);
  if (!acknowledged) return acknowledged.error();
  return *run;
}

std::string failed_event(const TriggerRunState& run) {
  return run.last_event_id.value_or(std::to_string(run.last_run_id.value_or(0)));
}

// Resuming without catching up: the clock counts as set at `now` (no fire time at or before
// it), the fire time pending from before the pause is dropped, and --max-runs keeps counting
// the runs made so far. `trigger` is as stored after the move.
Status skip_missed(Store& store, Trigger trigger, Epoch now) {
  Epoch was_set = trigger.clock_set_epoch;
  trigger.clock_set_epoch = now;
  trigger.updated_epoch = now;
  if (auto updated = store.update_trigger(trigger); !updated) return updated;
  auto event = store.event(trigger.id);
  if (!event) return event.error();
  if (!event->exists) return Ok{};
  event->next_event_epoch.reset();
  if (event->runs_from_epoch == was_set) event->runs_from_epoch = now;
  return store.write_event(*event);
}

// Move one trigger and record it ("cancelled" and `why`); cancelling cancels its queued runs,
// pausing and cancelling acknowledge its failure, resuming with `skip` skips what fell due
// while paused. Returns it as stored.
Result<Trigger> move_one(Store& store, const Trigger& trigger, State target, Epoch now, bool skip,
                         std::string_view why = "") {
  std::string what = std::string(moved_word(target)) + std::string(why);
  if (target == State::kPaused || target == State::kCancelled) {
    auto acknowledged = acknowledge_failure(store, trigger.id);
    if (!acknowledged) return acknowledged.error();
    if (*acknowledged)
      what += " (failure of event " + failed_event(**acknowledged) + " acknowledged)";
  }
  if (auto set = store.set_state(trigger.id, target, now); !set) return set.error();
  if (target == State::kCancelled) {
    auto cancelled = store.cancel_tasks(trigger.id, now);
    if (!cancelled) return cancelled.error();
    if (*cancelled > 0) {
      what += " (" + std::to_string(*cancelled) +
              (*cancelled == 1 ? " queued run" : " queued runs") + " cancelled)";
    }
  }
  if (target == State::kActive && skip) {
    auto resumed = store.find_trigger(std::to_string(trigger.id));
    if (!resumed) return resumed.error();
    if (auto skipped = skip_missed(store, *resumed, now); !skipped) return skipped.error();
    what += " (what fell due while paused skipped)";
  }
  auto updated = store.find_trigger(std::to_string(trigger.id));
  if (!updated) return updated.error();
  if (auto recorded = catalog::record_edit(store, &trigger, *updated, what, now); !recorded)
    return recorded.error();
  return updated;
}

}  // namespace

namespace catalog {

Result<Trigger> cancel_one(Store& store, const Trigger& trigger, std::string_view why, Epoch now) {
  return move_one(store, trigger, State::kCancelled, now, false, why);
}

}  // namespace catalog

std::string_view moved_word(State target) {
  switch (target) {
    case State::kCancelled:
      return "cancelled";
    case State::kPaused:
      return "paused";
    case State::kActive:
      return "resumed";
    case State::kDone:
      break;
  }
  return "finished";
}

Result<std::vector<Trigger>> move_triggers(Store& store, const std::vector<std::string>& refs,
                                           State target, Epoch now, bool skip_missed) {
  if (target == State::kDone) return usage_error("only a pass finishes a trigger");
  if (skip_missed && target != State::kActive)
    return usage_error("--skip-missed: only resuming skips what was missed");
  using Triggers = std::vector<Trigger>;
  return catalog::in_transaction<Triggers>(store, [&]() -> Result<Triggers> {
    auto moving = triggers_to_move(store, refs, target);
    if (!moving) return moving.error();
    Triggers moved;
    for (const auto& trigger : *moving) {
      auto after = move_one(store, trigger, target, now, skip_missed);
      if (!after) return after.error();
      moved.push_back(std::move(*after));
    }
    return moved;
  });
}

namespace {

// The ids of the triggers named by `refs`, each once in the order first named; every failing
// trigger when `refs` is empty.
Result<std::vector<std::int64_t>> failure_candidates(Store& store,
                                                     const std::vector<std::string>& refs,
                                                     Epoch now) {
  std::vector<std::int64_t> ids;
  if (refs.empty()) {
    auto figures = store.queue_figures(now);
    if (!figures) return figures.error();
    for (const auto& run : figures->runs) {
      if (run.failing) ids.push_back(run.trigger_id);
    }
    return ids;
  }
  std::set<std::int64_t> seen;
  for (const auto& ref : refs) {
    auto trigger = store.find_trigger(ref);
    if (!trigger) return trigger.error();
    if (seen.insert(trigger->id).second) ids.push_back(trigger->id);
  }
  return ids;
}

}  // namespace

Result<std::vector<AcknowledgedFailure>> reset_failed(Store& store,
                                                      const std::vector<std::string>& refs,
                                                      Epoch now) {
  using Acknowledged = std::vector<AcknowledgedFailure>;
  return catalog::in_transaction<Acknowledged>(store, [&]() -> Result<Acknowledged> {
    auto ids = failure_candidates(store, refs, now);
    if (!ids) return ids.error();
    Acknowledged done;
    for (std::int64_t id : *ids) {
      auto run = acknowledge_failure(store, id);
      if (!run) return run.error();
      if (!*run) continue;
      auto trigger = store.find_trigger(std::to_string(id));
      if (!trigger) return trigger.error();
      std::string what = "reset-failed: acknowledged the failure of event " + failed_event(**run);
      if (auto recorded = catalog::record_edit(store, &*trigger, *trigger, what, now); !recorded)
        return recorded.error();
      done.push_back({std::move(*trigger), std::move(**run)});
    }
    return done;
  });
}

namespace {

// A manual run of `trigger` at `now`.
Task manual_task(const Trigger& trigger, Epoch now) {
  Task task;
  task.trigger_id = trigger.id;
  task.scheduled_epoch = now;
  task.manual = true;
  task.serial = trigger.policy.overlap != Overlap::kAllow;
  task.last_epoch = trigger.last_event_epoch;
  task.due_epoch = now;
  task.created_epoch = now;
  return task;
}

}  // namespace

Result<ManualRun> fire_trigger(Store& store, std::string_view ref, Epoch now) {
  return catalog::in_transaction<ManualRun>(store, [&]() -> Result<ManualRun> {
    auto trigger = store.find_trigger(ref);
    if (!trigger) return trigger.error();
    if (trigger->state == State::kCancelled || trigger->state == State::kDone) {
      return catalog::refused(*trigger, "fired");
    }
    std::string id = event_id(trigger->id, now, true);
    // One manual run a second: its event id must stay unique in the history too.
    HistoryFilter done;
    done.trigger_id = trigger->id;
    done.event_id = id;
    done.limit = 1;
    auto earlier = store.history(done);
    if (!earlier) return earlier.error();
    auto inserted = store.insert_task(manual_task(*trigger, now));
    if (!inserted) return inserted.error();
    if (!*inserted || !earlier->empty()) {
      return data_error("a manual run of '" + std::string(ref) +
                        "' was already queued this second");
    }
    return ManualRun{std::move(*trigger), id};
  });
}

}  // namespace trigger
