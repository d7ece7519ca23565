// The catalog's definitions: how a trigger is named, its edit records, create and reschedule.
#include "catalog/internal.h"
#include "text.h"
#include "trigger/catalog.h"

namespace trigger {

namespace catalog {
namespace {

// A next time for an edit record, in the trigger's zone (UTC if it is unknown); "-" for none.
std::string next_text(const Result<std::optional<Epoch>>& next, const std::string& tz) {
  if (!next || !*next) return "-";
  auto zone = Zone::locate(tz);
  return format_rfc3339(**next, zone ? *zone : Zone::utc());
}

// The next time as the trigger's definition gives it, whatever the event row still says.
std::string predicted_next(const Trigger& trigger) {
  Trigger unscheduled = trigger;
  unscheduled.scheduled = false;
  return next_text(next_fire_time(unscheduled), trigger.tz);
}

}  // namespace

HistoryRecord edit_record(std::int64_t id, std::string reason, const Identity& who, Epoch now) {
  HistoryRecord record = HistoryRecord::of_trigger(id, Outcome::kEdit, std::move(reason), now);
  record.editor = who;
  return record;
}

Status record_edit(Store& store, const Trigger* before, const Trigger& after,
                   const std::string& what, Epoch now) {
  std::string reason = what;
  if (before) {
    if (std::string diff = edit_diff(*before, after); !diff.empty()) reason += "; " + diff;
  }
  std::string next_before = before ? next_text(next_fire_time(*before), before->tz) : "-";
  reason += "; next " + next_before + " -> " + predicted_next(after);
  auto appended =
      store.append_history(edit_record(after.id, std::move(reason), current_identity(), now));
  if (!appended) return appended.error();
  return Ok{};
}

Status check_user_store(const Store& store, const std::optional<std::string>& user) {
  if (!user) return Ok{};
  auto root_only = store.check_root_only();
  if (root_only) return Ok{};
  return Error(root_only.error().kind(),
               "--user " + in_quotes(*user) + ": " + root_only.error().message());
}

Error refused(const Trigger& trigger, std::string_view verb) {
  return data_error("trigger '" + trigger.name.value_or(std::to_string(trigger.id)) + "' is " +
                    std::string(to_string(trigger.state)) + "; it cannot be " + std::string(verb));
}

}  // namespace catalog
}  // namespace trigger

namespace trigger {

Result<Trigger> create_trigger(Store& store, const TriggerSpec& spec, Epoch now) {
  auto built = build_trigger(spec, now);
  if (!built) return built.error();
  if (auto allowed = catalog::check_user_store(store, built->policy.user); !allowed)
    return allowed.error();
  return catalog::in_transaction<Trigger>(store, [&]() -> Result<Trigger> {
    auto id = store.insert_trigger(*built);
    if (!id) return id.error();
    auto stored = store.find_trigger(std::to_string(*id));
    if (!stored) return stored.error();
    if (auto recorded = catalog::record_edit(store, nullptr, *stored, "created", now); !recorded)
      return recorded.error();
    return stored;
  });
}

namespace {

// The trigger named by `ref` changed by `rule` (current -> changed), stored and recorded
// `what` with its diff; unless `record_unchanged`, a change that changes nothing (an empty
// edit_diff()) writes nothing. Inside the caller's transaction.
template <class Rule>
Result<UpdatedTrigger> change_trigger(Store& store, std::string_view ref, Rule rule,
                                      const std::string& what, bool record_unchanged, Epoch now) {
  auto current = store.find_trigger(ref);
  if (!current) return current.error();
  Result<Trigger> changed = rule(*current);
  if (!changed) return changed.error();
  if (changed->policy.user != current->policy.user) {  // --user: only in a root-only database
    if (auto allowed = catalog::check_user_store(store, changed->policy.user); !allowed)
      return allowed.error();
  }
  std::string changes = edit_diff(*current, *changed);
  if (changes.empty() && !record_unchanged) return UpdatedTrigger{std::move(*current), ""};
  if (auto updated = store.update_trigger(*changed); !updated) return updated.error();
  auto after = store.find_trigger(std::to_string(current->id));
  if (!after) return after.error();
  if (auto recorded = catalog::record_edit(store, &*current, *after, what, now); !recorded)
    return recorded.error();
  return UpdatedTrigger{std::move(*after), std::move(changes)};
}

}  // namespace

Result<Trigger> reschedule(Store& store, std::string_view ref, const ScheduleChange& change,
                           Epoch now) {
  return catalog::in_transaction<Trigger>(store, [&]() -> Result<Trigger> {
    auto rule = [&](const Trigger& current) { return reschedule_trigger(current, change, now); };
    auto moved = change_trigger(store, ref, rule, "scheduled", true, now);
    if (!moved) return moved.error();
    return std::move(moved->trigger);
  });
}

Result<UpdatedTrigger> update_trigger(Store& store, std::string_view ref,
                                      const TriggerUpdate& update, Epoch now) {
  if (auto checked = check_update(update, now); !checked) return checked.error();
  return catalog::in_transaction<UpdatedTrigger>(store, [&]() -> Result<UpdatedTrigger> {
    auto rule = [&](const Trigger& current) { return apply_update(current, update, now); };
    return change_trigger(store, ref, rule, "updated", false, now);
  });
}

}  // namespace trigger
