// trigger show: everything about one trigger and its next fire times.
#include <iostream>

#include "commands.h"
#include "output.h"
#include "trigger/catalog.h"

namespace trigger::cmd {
constexpr std::size_t kUpcomingCount = 5;
constexpr std::size_t kRecentCount = 5;  // history records shown

void options_show(Options&) {}

Result<int> cmd_show(Context& ctx) {
  if (auto status = expect_operands(ctx, 1, 1, "ID|NAME"); !status) return status.error();
  auto loaded = load_trigger_detail(*ctx.store, ctx.positional[0], kRecentCount);
  if (!loaded) return loaded.error();
  const Trigger& trigger = loaded->trigger;
  const std::vector<HistoryRecord>& recent = loaded->recent;
  auto json = trigger_json(trigger);
  if (!json) return json.error();
  // None when the clock cannot be computed: the description says why.
  auto upcoming = trigger_fire_times(trigger, kUpcomingCount);
  auto times = upcoming ? std::move(*upcoming) : std::vector<Epoch>();
  std::string description = description_of(trigger);

  if (ctx.format == Format::kJson) {
    nlohmann::ordered_json upcoming_json = nlohmann::ordered_json::array();
    for (Epoch epoch : times)
      upcoming_json.push_back({{"epoch", epoch}, {"time", time_text(epoch, trigger.tz)}});
    (*json)["upcoming"] = upcoming_json;
    nlohmann::ordered_json history_array = nlohmann::ordered_json::array();
    for (const auto& record : recent) history_array.push_back(history_json(record));
    (*json)["history"] = history_array;
    std::cout << json->dump(2) << "\n";
    return 0;
  }

  // One line per field: "key:  value" for people; for TSV "key<TAB>value", where a time is
  // "EPOCH<TAB>RFC3339" (both empty when there is none) and a missing value is empty.
  bool tsv = ctx.format == Format::kTsv;
  auto print = [&](const std::string& key, const std::string& value) {
    if (tsv) {
      std::cout << key << "\t" << tsv_field(value) << "\n";
    } else {
      std::cout << key << ":" << std::string(key.size() < 12 ? 13 - key.size() : 1, ' ')
                << (value.empty() ? "-" : value) << "\n";
    }
  };
  auto print_time = [&](const std::string& key, std::optional<Epoch> epoch, const char* note) {
    if (tsv) {
      std::cout << key << "\t" << (epoch ? std::to_string(*epoch) : "") << "\t"
                << (epoch ? time_text(epoch, trigger.tz) : "") << "\n";
    } else {
      print(key, epoch ? time_text(epoch, trigger.tz) + note : "");
    }
  };
  print("id", std::to_string(trigger.id));
  print("name", trigger.name.value_or(""));
  print("state", std::string(to_string(trigger.state)));
  print("clock", trigger.clock);
  print("description", description);
  print("tz", trigger.tz);
  print("action", trigger.action.text());
  for (const auto& variable : trigger.action.env) print("env", variable);
  if (trigger.action.cwd) print("cwd", *trigger.action.cwd);
  for (const auto& [option, value] : (*json)["policy"].items()) {
    if (!value.is_null()) print(option, value.get<std::string>());
  }
  for (const auto& [key, value] : trigger.labels) print("label", key + "=" + value);
  auto next = (*json)["next_epoch"].is_null()
                  ? std::nullopt
                  : std::optional<Epoch>((*json)["next_epoch"].get<Epoch>());
  print_time("next", next, trigger.scheduled ? "" : " (predicted: not yet scheduled)");
  if (tsv) print("next_scheduled", trigger.scheduled ? "true" : "false");
  print_time("last", trigger.last_event_epoch, "");
  print_time("created", trigger.created_epoch, "");
  print_time("updated", trigger.updated_epoch, "");
  for (Epoch epoch : times) print_time("upcoming", epoch, "");
  for (const auto& record : recent) print("history", history_line(record, trigger.tz));
  return 0;
}

}  // namespace trigger::cmd
