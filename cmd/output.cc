#include "output.h"

namespace trigger::cmd {
namespace {

nlohmann::ordered_json epoch_or_null(std::optional<Epoch> epoch) {
  return epoch ? nlohmann::ordered_json(*epoch) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json time_or_null(std::optional<Epoch> epoch, const std::string& tz) {
  return epoch ? nlohmann::ordered_json(time_text(epoch, tz)) : nlohmann::ordered_json(nullptr);
}

Zone zone_named(const std::string& tz) {
  auto zone = Zone::locate(tz);
  return zone ? *zone : Zone::utc();
}

// The next time to show: none when the clock cannot be computed (its zone vanished from the
// system, say), so the trigger can still be listed; its description says why.
std::optional<Epoch> shown_next(const Trigger& trigger) {
  auto next = next_fire_time(trigger);
  return next ? *next : std::nullopt;
}

// LEFT: the time until `next`, "-" for none, "3min ago" for one already due.
std::string left_text(std::optional<Epoch> next, Epoch now) {
  if (!next) return "";
  return *next < now ? span_text(now - *next) + " ago" : span_text(*next - now);
}

// PASSED: the time since `last`, "-" for none, "in 3min" for one ahead of now (a --now in
// the past, or a clock set back).
std::string passed_text(std::optional<Epoch> last, Epoch now) {
  if (!last) return "";
  return *last > now ? "in " + span_text(*last - now) : span_text(now - *last);
}

}  // namespace

std::string description_of(const Trigger& trigger) {
  auto clock = trigger_clock(trigger);
  return clock ? (*clock)->describe() : clock.error().message();
}

nlohmann::ordered_json trigger_json(const Trigger& trigger) {
  auto next = shown_next(trigger);
  Zone zone = zone_named(trigger.tz);
  nlohmann::ordered_json policy = nlohmann::ordered_json::object();
  for (auto option : policy_option_names()) {
    auto text = policy_option_text(trigger.policy, option, zone);
    policy[std::string(option)] =
        text ? nlohmann::ordered_json(*text) : nlohmann::ordered_json(nullptr);
  }
  nlohmann::ordered_json labels = nlohmann::ordered_json::object();
  for (const auto& [key, value] : trigger.labels) labels[key] = value;
  return nlohmann::ordered_json{
      {"id", trigger.id},
      {"name",
       trigger.name ? nlohmann::ordered_json(*trigger.name) : nlohmann::ordered_json(nullptr)},
      {"state", to_string(trigger.state)},
      {"clock", trigger.clock},
      {"description", description_of(trigger)},
      {"tz", trigger.tz},
      {"action", trigger.action.text()},
      {"env", trigger.action.env},
      {"cwd", trigger.action.cwd ? nlohmann::ordered_json(*trigger.action.cwd)
                                 : nlohmann::ordered_json(nullptr)},
      {"policy", policy},
      {"labels", labels},
      {"next_epoch", epoch_or_null(next)},
      {"next", time_or_null(next, trigger.tz)},
      {"next_scheduled", trigger.scheduled},
      {"last_epoch", epoch_or_null(trigger.last_event_epoch)},
      {"last", time_or_null(trigger.last_event_epoch, trigger.tz)},
      {"last_outcome", trigger.last_outcome.empty() ? nlohmann::ordered_json(nullptr)
                                                    : nlohmann::ordered_json(trigger.last_outcome)},
      {"version", trigger.version},
      {"created_epoch", trigger.created_epoch},
      {"created", time_text(trigger.created_epoch, trigger.tz)},
      {"updated_epoch", trigger.updated_epoch},
  };
}

nlohmann::ordered_json triggers_json(const std::vector<Trigger>& triggers) {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const auto& trigger : triggers) array.push_back(trigger_json(trigger));
  return array;
}

Document triggers_document(const std::vector<Trigger>& triggers, const PeopleTimes& times) {
  Document document;
  document.data = triggers_json(triggers);
  // NEXT and LAST twice: in the trigger's zone for scripts, in the chosen zone for people.
  document.set_columns({{"ID"},
                        {"NAME"},
                        {"STATE"},
                        {"CLOCK"},
                        {"NEXT", Audience::kScripts},
                        {"NEXT", Audience::kPeople},
                        {"LEFT", Audience::kPeople},
                        {"LAST", Audience::kScripts},
                        {"LAST", Audience::kPeople},
                        {"PASSED", Audience::kPeople},
                        {"OUTCOME"},
                        {"ACTION", Audience::kBoth, 2},
                        {"DESCRIPTION", Audience::kPeople, 1}});
  bool any_predicted = false;
  for (const auto& trigger : triggers) {
    auto next = shown_next(trigger);
    if (next && !trigger.scheduled) any_predicted = true;
    const std::string& tz = times.tz ? *times.tz : trigger.tz;
    std::string mark = trigger.scheduled ? "" : "*";
    auto last = trigger.last_event_epoch;
    document.row({trigger.id, trigger.name.value_or(""), std::string(to_string(trigger.state)),
                  trigger.clock, Cell::time(next, trigger.tz, mark), Cell::time(next, tz, mark),
                  left_text(next, times.now), Cell::time(last, trigger.tz), Cell::time(last, tz),
                  passed_text(last, times.now), trigger.last_outcome, trigger.action.text(),
                  description_of(trigger)});
  }
  if (any_predicted) document.note("* predicted: not yet scheduled by 'trigger run-once'");
  return document;
}

namespace {

// Who made an edit, as history_json() gives it: {"user", "uid", "sudo_user"}, or null.
nlohmann::ordered_json editor_json(const std::optional<Identity>& editor) {
  if (!editor) return nullptr;
  auto text_or_null = [](const std::optional<std::string>& text) {
    return text ? nlohmann::ordered_json(*text) : nlohmann::ordered_json(nullptr);
  };
  return {{"user", text_or_null(editor->user.empty() ? std::nullopt
                                                     : std::optional<std::string>(editor->user))},
          {"uid", editor->uid},
          {"sudo_user", text_or_null(editor->sudo_user)}};
}

}  // namespace

nlohmann::ordered_json history_json(const HistoryRecord& r) {
  auto maybe = [](std::optional<std::int64_t> value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
  };
  return {
      {"id", r.id},
      {"trigger_id", r.trigger_id},
      {"trigger_name",
       r.trigger_name ? nlohmann::ordered_json(*r.trigger_name) : nlohmann::ordered_json(nullptr)},
      {"event_id",
       r.event_id ? nlohmann::ordered_json(*r.event_id) : nlohmann::ordered_json(nullptr)},
      {"scheduled_epoch", maybe(r.scheduled_epoch)},
      {"count", r.count},
      {"outcome", to_string(r.outcome)},
      {"reason", r.reason},
      {"manual", r.manual},
      {"attempts", r.attempts},
      {"exit_status", maybe(r.exit_status)},
      {"started_epoch", maybe(r.started_epoch)},
      {"finished_epoch", maybe(r.finished_epoch)},
      {"recorded_epoch", r.recorded_epoch},
      {"editor", editor_json(r.editor)},
      {"output", r.output},
  };
}

std::string history_line(const HistoryRecord& r, const std::string& tz) {
  std::string line = time_text(r.recorded_epoch, tz) + " " + std::string(to_string(r.outcome));
  if (r.manual) line += " (manual)";
  if (r.event_id) line += " " + *r.event_id;
  // Edits, attempts and hooks stand for no occurrence: no count is shown for them.
  bool counts = r.outcome != Outcome::kEdit && r.outcome != Outcome::kInterrupted &&
                r.outcome != Outcome::kRetried && r.outcome != Outcome::kHook;
  if (r.count != 1 && counts) line += " x" + std::to_string(r.count);
  if (!r.reason.empty()) line += ": " + r.reason;
  if (r.editor) line += " (by " + r.editor->text() + ")";
  return line;
}

}  // namespace trigger::cmd
