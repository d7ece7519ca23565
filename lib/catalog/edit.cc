// The catalog's definitions: how a trigger is named, its edit records, create and reschedule.
#include "catalog/internal.h"
#include "shell_quote.h"
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

Status record_edit(Store& store, const Trigger* before, const Trigger& after,
                   const std::string& what, Epoch now) {
  std::string next_before = before ? next_text(next_fire_time(*before), before->tz) : "-";
  auto appended = store.append_history(HistoryRecord::of_trigger(
      after.id, Outcome::kEdit, what + "; next " + next_before + " -> " + predicted_next(after),
      now));
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

// What a reschedule changed, for its edit record: "scheduled: clock A -> B: --retries 3".
std::string schedule_edit(const Trigger& before, const Trigger& after,
                          const ScheduleChange& change) {
  std::string what = "scheduled";
  if (change.clock) what += ": clock " + before.clock + " -> " + after.clock;
  if (before.tz != after.tz) what += ": zone " + before.tz + " -> " + after.tz;
  for (const auto& [option, value] : change.policy)
    what += ": --" + option + " " + shell_quote(value);  // a shell text has spaces and quotes
  return what;
}

}  // namespace

Result<Trigger> reschedule(Store& store, std::string_view ref, const ScheduleChange& change,
                           Epoch now) {
  return catalog::in_transaction<Trigger>(store, [&]() -> Result<Trigger> {
    auto current = store.find_trigger(ref);
    if (!current) return current.error();
    auto rescheduled = reschedule_trigger(*current, change, now);
    if (!rescheduled) return rescheduled.error();
    if (rescheduled->policy.user != current->policy.user) {
      auto allowed = catalog::check_user_store(store, rescheduled->policy.user);
      if (!allowed) return allowed.error();
    }
    if (auto updated = store.update_trigger(*rescheduled); !updated) return updated.error();
    auto after = store.find_trigger(std::to_string(current->id));
    if (!after) return after.error();
    auto recorded = catalog::record_edit(store, &*current, *after,
                                         schedule_edit(*current, *after, change), now);
    if (!recorded) return recorded.error();
    return after;
  });
}

}  // namespace trigger
