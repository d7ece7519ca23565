#include "common.h"

#include <iostream>
#include <set>

#include "output.h"
#include "text.h"

namespace trigger::cmd {
namespace {

// The past participle of the move to `target`: "cancelled", "paused", "resumed".
const char* moved(State target) {
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

// Whether a trigger in `from` may move to `target`; nullopt means it is already there (or
// in a state that makes the move a no-op: cancelling a done trigger).
Result<bool> may_move(const Trigger& trigger, State target) {
  State from = trigger.state;
  if (from == target) return false;
  if (target == State::kCancelled) return from != State::kDone;
  if (from == State::kCancelled || from == State::kDone) {
    return data_error("trigger '" + trigger.name.value_or(std::to_string(trigger.id)) + "' is " +
                      std::string(to_string(from)) + "; it cannot be " + moved(target));
  }
  return true;
}

}  // namespace

namespace {

// The next time as the trigger's definition gives it, whatever the event row still says.
std::string predicted_next(const Trigger& trigger) {
  Trigger unscheduled = trigger;
  unscheduled.scheduled = false;
  auto next = next_fire_time(unscheduled);
  return next && *next ? time_text(*next, trigger.tz) : "-";
}

}  // namespace

std::string label_of(const Trigger& trigger) {
  return trigger.name ? in_quotes(*trigger.name) : "trigger " + std::to_string(trigger.id);
}

Status record_edit(Context& ctx, const Trigger* before, const Trigger& after,
                   const std::string& what) {
  HistoryRecord record;
  record.trigger_id = after.id;
  record.outcome = Outcome::kEdit;
  std::string next_before = "-";
  if (before != nullptr) {
    auto next = next_fire_time(*before);
    next_before = next && *next ? time_text(*next, before->tz) : "-";
  }
  record.reason = what + "; next " + next_before + " -> " + predicted_next(after);
  record.recorded_epoch = ctx.now;
  auto appended = ctx.store->append_history(record);
  if (!appended) return appended.error();
  return Ok{};
}

Result<Trigger> load_trigger(Context& ctx, const std::string& ref) {
  Trigger trigger;
  auto status = ctx.store->transaction([&]() -> Status {
    auto found = ctx.store->find_trigger(ref);
    if (!found) return found.error();
    trigger = std::move(*found);
    return Ok{};
  });
  if (!status) return status.error();
  return trigger;
}

Result<std::vector<Trigger>> load_triggers(Context& ctx, const TriggerFilter& filter) {
  std::vector<Trigger> triggers;
  auto status = ctx.store->transaction([&]() -> Status {
    auto found = ctx.store->list_triggers(filter);
    if (!found) return found.error();
    triggers = std::move(*found);
    return Ok{};
  });
  if (!status) return status.error();
  return triggers;
}

Result<int> change_state(Context& ctx, State target) {
  if (auto status = expect_operands(ctx, 1, SIZE_MAX, "ID|NAME"); !status) return status.error();
  std::vector<Trigger> changed;
  auto status = ctx.store->transaction([&]() -> Status {
    std::vector<Trigger> moving;
    std::set<std::int64_t> seen;
    for (const auto& ref : ctx.positional) {
      auto trigger = ctx.store->find_trigger(ref);
      if (!trigger) return trigger.error();
      auto move = may_move(*trigger, target);
      if (!move) return move.error();
      if (*move && seen.insert(trigger->id).second) moving.push_back(std::move(*trigger));
    }
    for (auto& trigger : moving) {
      if (auto set = ctx.store->set_state(trigger.id, target, ctx.now); !set) return set;
      std::string what = moved(target);
      if (target == State::kCancelled) {
        auto cancelled = ctx.store->cancel_tasks(trigger.id, ctx.now);
        if (!cancelled) return cancelled.error();
        if (*cancelled > 0) {
          what += " (" + std::to_string(*cancelled) +
                  (*cancelled == 1 ? " queued run" : " queued runs") + " cancelled)";
        }
      }
      auto updated = ctx.store->find_trigger(std::to_string(trigger.id));
      if (!updated) return updated.error();
      if (auto recorded = record_edit(ctx, &trigger, *updated, what); !recorded) return recorded;
      changed.push_back(std::move(*updated));
    }
    return Ok{};
  });
  if (!status) return status.error();
  if (!changed.empty()) {
    ctx.done = std::string(moved(target)) + " ";
    for (std::size_t i = 0; i < changed.size(); ++i) {
      ctx.done += (i == 0 ? "" : ", ") + label_of(changed[i]);
    }
  }
  if (ctx.verbose) {
    for (const auto& trigger : changed) {
      std::cerr << "trigger: " << moved(target) << " " << trigger.id
                << (trigger.name ? " '" + *trigger.name + "'" : "") << "\n";
    }
  }
  if (ctx.format == Format::kJson) {
    if (auto printed = print_triggers(ctx, changed); !printed) return printed.error();
  }
  return 0;
}

}  // namespace trigger::cmd
