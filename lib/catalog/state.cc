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

// Move one trigger and record it; cancelling cancels its queued runs. Returns it as stored.
Result<Trigger> move_one(Store& store, const Trigger& trigger, State target, Epoch now) {
  if (auto set = store.set_state(trigger.id, target, now); !set) return set.error();
  std::string what(moved_word(target));
  if (target == State::kCancelled) {
    auto cancelled = store.cancel_tasks(trigger.id, now);
    if (!cancelled) return cancelled.error();
    if (*cancelled > 0) {
      what += " (" + std::to_string(*cancelled) +
              (*cancelled == 1 ? " queued run" : " queued runs") + " cancelled)";
    }
  }
  auto updated = store.find_trigger(std::to_string(trigger.id));
  if (!updated) return updated.error();
  if (auto recorded = catalog::record_edit(store, &trigger, *updated, what, now); !recorded)
    return recorded.error();
  return updated;
}

}  // namespace

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
                                           State target, Epoch now) {
  if (target == State::kDone) return usage_error("only a pass finishes a trigger");
  using Triggers = std::vector<Trigger>;
  return catalog::in_transaction<Triggers>(store, [&]() -> Result<Triggers> {
    auto moving = triggers_to_move(store, refs, target);
    if (!moving) return moving.error();
    Triggers moved;
    for (const auto& trigger : *moving) {
      auto after = move_one(store, trigger, target, now);
      if (!after) return after.error();
      moved.push_back(std::move(*after));
    }
    return moved;
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
