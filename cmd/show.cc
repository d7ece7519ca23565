// trigger show: everything about one trigger and its next fire times.
#include "commands.h"
#include "output.h"
#include "trigger/catalog.h"

namespace trigger::cmd {
constexpr std::size_t kUpcomingCount = 5;
constexpr std::size_t kRecentCount = 5;  // history records shown

void options_show(Options&) {}

namespace {

// The JSON of the trigger with its upcoming times and recent history.
nlohmann::ordered_json show_json(const Trigger& trigger, const std::vector<Epoch>& times,
                                 const std::vector<HistoryRecord>& recent) {
  nlohmann::ordered_json json = trigger_json(trigger);
  nlohmann::ordered_json upcoming = nlohmann::ordered_json::array();
  for (Epoch epoch : times)
    upcoming.push_back({{"epoch", epoch}, {"time", time_text(epoch, trigger.tz)}});
  json["upcoming"] = upcoming;
  nlohmann::ordered_json history = nlohmann::ordered_json::array();
  for (const auto& record : recent) history.push_back(history_json(record));
  json["history"] = history;
  return json;
}

// One field per line: "key:  value" for people; for TSV "key<TAB>value", where a time is
// "EPOCH<TAB>RFC3339" (both empty when there is none) and a missing value is empty.
void add_fields(Document& document, const Trigger& trigger, const nlohmann::ordered_json& json,
                const std::vector<Epoch>& times, const std::vector<HistoryRecord>& recent) {
  auto time = [&](std::optional<Epoch> epoch, std::string note = "") {
    return Cell::time(epoch, trigger.tz, std::move(note));
  };
  document.field("id", trigger.id);
  document.field("name", trigger.name.value_or(""));
  document.field("state", std::string(to_string(trigger.state)));
  document.field("clock", trigger.clock);
  document.field("description", description_of(trigger));
  document.field("tz", trigger.tz);
  document.field("action", trigger.action.text());
  for (const auto& variable : trigger.action.env) document.field("env", variable);
  if (trigger.action.cwd) document.field("cwd", *trigger.action.cwd);
  for (const auto& [option, value] : json["policy"].items()) {
    if (!value.is_null()) document.field(option, value.get<std::string>());
  }
  for (const auto& [key, value] : trigger.labels) document.field("label", key + "=" + value);
  auto next = json["next_epoch"].is_null() ? std::nullopt
                                           : std::optional<Epoch>(json["next_epoch"].get<Epoch>());
  document.field("next", time(next, trigger.scheduled ? "" : " (predicted: not yet scheduled)"));
  document.field("next_scheduled", trigger.scheduled ? "true" : "false", Audience::kScripts);
  document.field("last", time(trigger.last_event_epoch));
  document.field("created", time(trigger.created_epoch));
  document.field("updated", time(trigger.updated_epoch));
  for (Epoch epoch : times) document.field("upcoming", time(epoch));
  for (const auto& record : recent) document.field("history", history_line(record, trigger.tz));
}

}  // namespace

namespace {

Result<int> show(Context& ctx) {
  auto loaded = load_trigger_detail(*ctx.store, ctx.positional[0], kRecentCount);
  if (!loaded) return loaded.error();
  const Trigger& trigger = loaded->trigger;
  // None when the clock cannot be computed: the description says why.
  auto upcoming = trigger_fire_times(trigger, kUpcomingCount);
  auto times = upcoming ? std::move(*upcoming) : std::vector<Epoch>();
  ctx.output.data = show_json(trigger, times, loaded->recent);
  add_fields(ctx.output, trigger, ctx.output.data, times, loaded->recent);
  return 0;
}

}  // namespace

Result<Step> cmd_show(Context& ctx) {
  if (auto status = expect_operands(ctx, 1, 1, "ID|NAME"); !status) return status.error();
  return Step(show);
}

}  // namespace trigger::cmd
