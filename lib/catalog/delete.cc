// The catalog's deletion: triggers removed for good (`trigger delete`).
#include <set>

#include "catalog/internal.h"
#include "trigger/catalog.h"

namespace trigger {
namespace {

std::string quoted(const Trigger& trigger) {
  return "'" + trigger.name.value_or(std::to_string(trigger.id)) + "'";
}

// The triggers named by `refs`, each once in the order first named. kNotFound for the first
// missing name; kBusy for the first with a run in progress (a leased task).
Result<std::vector<Trigger>> triggers_to_delete(Store& store,
                                                const std::vector<std::string>& refs) {
  std::vector<Trigger> found;
  std::set<std::int64_t> seen;
  for (const auto& ref : refs) {
    auto trigger = store.find_trigger(ref);
    if (!trigger) return trigger.error();
    if (seen.insert(trigger->id).second) found.push_back(std::move(*trigger));
  }
  auto leased = store.leased_tasks();
  if (!leased) return leased.error();
  for (const auto& trigger : found) {
    for (const auto& task : *leased) {
      if (task.trigger_id != trigger.id) continue;
      return Error(ErrorKind::kBusy,
                   "trigger " + quoted(trigger) + " has a run in progress (event " +
                       event_id(task.trigger_id, task.scheduled_epoch, task.manual) +
                       "); it cannot be deleted until the run ends");
    }
  }
  return found;
}

// The edit record a deleted trigger's kept history ends with.
std::string deleted_reason(const Trigger& trigger, const DeletedTrigger& deleted,
                           std::string_view who) {
  std::string what = "deleted " + quoted(trigger) + " by " + std::string(who);
  if (deleted.runs_cancelled > 0) {
    what += " (" + std::to_string(deleted.runs_cancelled) +
            (deleted.runs_cancelled == 1 ? " queued run" : " queued runs") + " cancelled)";
  }
  return what;
}

}  // namespace

Result<std::vector<DeletedOne>> delete_triggers(Store& store, const std::vector<std::string>& refs,
                                                bool keep_history, Epoch now) {
  using Deleted = std::vector<DeletedOne>;
  return catalog::in_transaction<Deleted>(store, [&]() -> Result<Deleted> {
    auto targets = triggers_to_delete(store, refs);
    if (!targets) return targets.error();
    Deleted done;
    for (auto& trigger : *targets) {
      auto deleted = store.delete_trigger(trigger.id, keep_history, now);
      if (!deleted) return deleted.error();
      if (keep_history) {
        Identity who = current_identity();
        auto appended = store.append_history(catalog::edit_record(
            trigger.id, deleted_reason(trigger, *deleted, who.text()), who, now));
        if (!appended) return appended.error();
      }
      done.push_back({std::move(trigger), *deleted});
    }
    return done;
  });
}

}  // namespace trigger
