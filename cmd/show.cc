// trigger show: everything about one trigger and its next fire times.
#include <iostream>

#include "commands.h"
#include "common.h"
#include "output.h"

namespace trigger::cmd {
constexpr std::size_t kUpcomingCount = 5;

void options_show(Options&) {}

Result<int> cmd_show(Context& ctx) {
  if (auto status = expect_operands(ctx, 1, 1, "ID|NAME"); !status) return status.error();
  auto loaded = load_trigger(ctx, ctx.positional[0]);
  if (!loaded) return loaded.error();
  const Trigger& trigger = *loaded;
  auto json = trigger_json(trigger);
  if (!json) return json.error();
  auto times = trigger_fire_times(trigger, kUpcomingCount);
  if (!times) return times.error();
  auto clock = trigger_clock(trigger);
  std::string description = clock ? (*clock)->describe() : clock.error().message();

  if (ctx.format == Format::kJson) {
    nlohmann::ordered_json upcoming_json = nlohmann::ordered_json::array();
    for (Epoch epoch : *times) upcoming_json.push_back({{"epoch", epoch}, {"time", time_text(epoch, trigger.tz)}});
    (*json)["description"] = description;
    (*json)["upcoming"] = upcoming_json;
    std::cout << json->dump(2) << "\n";
    return 0;
  }

  std::vector<std::pair<std::string, std::string>> fields = {
      {"id", std::to_string(trigger.id)},
      {"name", trigger.name.value_or("-")},
      {"state", std::string(to_string(trigger.state))},
      {"clock", trigger.clock},
      {"description", description},
      {"tz", trigger.tz},
      {"action", trigger.action.text()},
  };
  for (const auto& variable : trigger.action.env) fields.emplace_back("env", variable);
  if (trigger.action.cwd) fields.emplace_back("cwd", *trigger.action.cwd);
  for (const auto& [option, value] : (*json)["policy"].items()) {
    if (!value.is_null()) fields.emplace_back(option, value.get<std::string>());
  }
  for (const auto& [key, value] : trigger.labels) fields.emplace_back("label", key + "=" + value);
  std::string next = (*json)["next"].is_null() ? "-" : (*json)["next"].get<std::string>();
  if (!(*json)["next"].is_null() && !trigger.scheduled) next += " (predicted: not yet scheduled)";
  fields.emplace_back("next", next);
  fields.emplace_back("last", time_text(trigger.last_event_epoch, trigger.tz));
  fields.emplace_back("created", time_text(trigger.created_epoch, trigger.tz));
  fields.emplace_back("updated", time_text(trigger.updated_epoch, trigger.tz));
  for (Epoch epoch : *times) {
    fields.emplace_back("upcoming", ctx.format == Format::kTsv
                                        ? std::to_string(epoch) + "\t" + time_text(epoch, trigger.tz)
                                        : time_text(epoch, trigger.tz));
  }
  for (const auto& [key, value] : fields) {
    if (ctx.format == Format::kTsv) {
      std::cout << key << "\t" << (key == "upcoming" ? value : tsv_field(value)) << "\n";
    } else {
      std::cout << key << ":" << std::string(key.size() < 12 ? 13 - key.size() : 1, ' ') << value << "\n";
    }
  }
  return 0;
}

}  // namespace trigger::cmd
