// libFuzzer target: one line of `trigger import` (parse_import_line, then build_trigger). An
// accepted line, exported the way `trigger export` writes it and imported again, gives the
// same definition.
#include <nlohmann/json.hpp>

#include "fuzz.h"
#include "import.h"
#include "trigger/trigger.h"

using trigger::Trigger;
using trigger::fuzz::kNow;
using trigger::fuzz::require;

namespace {

// The definition fields of an export line (trigger(1) JSON FIELDS) that import reads back.
std::string export_line(const Trigger& trigger) {
  auto zone = trigger::Zone::locate(trigger.tz);
  require(zone.ok(), "a built trigger has a known zone", trigger.tz);
  nlohmann::ordered_json policy = nlohmann::ordered_json::object();
  for (auto option : trigger::policy_option_names()) {
    auto text = trigger::policy_option_text(trigger.policy, option, *zone);
    policy[std::string(option)] =
        text ? nlohmann::ordered_json(*text) : nlohmann::ordered_json(nullptr);
  }
  nlohmann::ordered_json line = {
      {"name", trigger.name ? nlohmann::ordered_json(*trigger.name) : nullptr},
      {"state", trigger::to_string(trigger.state)},
      {"clock", trigger.clock},
      {"tz", trigger.tz},
      {"action", trigger.action.text()},
      {"env", trigger.action.env},
      {"cwd", trigger.action.cwd ? nlohmann::ordered_json(*trigger.action.cwd) : nullptr},
      {"policy", policy},
      {"labels", trigger.labels},
  };
  return line.dump();
}

bool same_definition(const Trigger& a, const Trigger& b) {
  auto zone = trigger::Zone::locate(a.tz);
  for (auto option : trigger::policy_option_names()) {
    if (trigger::policy_option_text(a.policy, option, *zone) !=
        trigger::policy_option_text(b.policy, option, *zone)) {
      return false;
    }
  }
  return a.name == b.name && a.state == b.state && a.clock == b.clock &&
         a.clock_set_epoch == b.clock_set_epoch && a.tz == b.tz &&
         a.action.kind == b.action.kind && a.action.argv == b.action.argv &&
         a.action.env == b.action.env && a.action.cwd == b.action.cwd && a.labels == b.labels;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("TZ", "UTC", 1);  // a line without "tz" is read in the default zone
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string line(reinterpret_cast<const char*>(data), size);
  auto parsed = trigger::parse_import_line(line);
  if (!parsed) {
    require(!parsed.error().message().empty(), "a refusal says why", line);
    return 0;
  }
  auto built = trigger::build_trigger(parsed->spec, kNow);
  if (!built) {
    require(!built.error().message().empty(), "a refusal says why", line);
    return 0;
  }
  std::string exported = export_line(*built);
  auto reparsed = trigger::parse_import_line(exported);
  require(reparsed.ok() && reparsed->has_state, "an export line imports", exported);
  auto rebuilt = trigger::build_trigger(reparsed->spec, kNow);
  require(rebuilt.ok(), "an export line builds", exported);
  require(same_definition(*built, *rebuilt), "export and import keep the definition", exported);
  require(export_line(*rebuilt) == exported, "export is stable", exported);
  return 0;
}
