#include "import.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "text.h"

namespace trigger {
namespace {

// A field's value as text; nullopt for null or absent. Whole numbers are accepted where
// `numbers_too` (policy values such as "retries": 3) and written out.
Result<std::optional<std::string>> text_field(const nlohmann::json& object, const char* key,
                                              bool numbers_too = false) {
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) return std::optional<std::string>();
  if (found->is_string()) return std::optional<std::string>(found->get<std::string>());
  if (numbers_too && found->is_number_integer()) {
    return std::optional<std::string>(std::to_string(found->get<std::int64_t>()));
  }
  return usage_error(std::string("field '") + key + "' must be a string");
}

// The line as one JSON object, every key once.
Result<nlohmann::json> parse_object(std::string_view line) {
  nlohmann::json object;
  // nlohmann keeps the last of two equal keys; a line that gives a field twice is refused.
  std::vector<std::set<std::string>> keys;
  std::optional<std::string> twice;
  auto check_keys = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) keys.emplace_back();
    if (event == Event::object_end && !keys.empty()) keys.pop_back();
    if (event == Event::key && !keys.empty() && !twice &&
        !keys.back().insert(parsed.get<std::string>()).second) {
      twice = parsed.get<std::string>();
    }
    return true;
  };
  try {
    object = nlohmann::json::parse(line, check_keys);
  } catch (const nlohmann::json::parse_error& e) {
    return usage_error("not valid JSON (byte " + std::to_string(e.byte) + ")");
  } catch (const nlohmann::json::out_of_range& e) {
    // A number beyond a double: "[json.exception.out_of_range.406] number overflow parsing '1e999'".
    std::string what = e.what();
    auto bracket = what.find("] ");
    return usage_error("not valid JSON (" +
                       (bracket == std::string::npos ? what : what.substr(bracket + 2)) + ")");
  }
  if (!object.is_object()) return usage_error("expected a JSON object");
  if (twice) return usage_error("key " + in_quotes(*twice) + " appears twice");
  return object;
}

}  // namespace

Result<ImportLine> parse_import_line(std::string_view line) {
  auto parsed = parse_object(line);
  if (!parsed) return parsed.error();
  nlohmann::json& object = *parsed;
  ImportLine result;
  TriggerSpec& spec = result.spec;
  auto name = text_field(object, "name");
  if (!name) return name.error();
  spec.name = *name;
  auto clock = text_field(object, "clock");
  if (!clock) return clock.error();
  if (!*clock) return usage_error("field 'clock' is missing");
  auto clock_spec = parse_clock_text(**clock);
  if (!clock_spec) return clock_spec.error();
  spec.clock = *clock_spec;
  auto tz = text_field(object, "tz");
  if (!tz) return tz.error();
  spec.tz = *tz;
  auto state = text_field(object, "state");
  if (!state) return state.error();
  result.has_state = state->has_value();
  if (*state) {
    auto parsed = parse_state(**state);
    if (!parsed) return parsed.error();
    spec.state = *parsed;
  }
  auto action_text = text_field(object, "action");
  if (!action_text) return action_text.error();
  if (!*action_text) return usage_error("field 'action' is missing");
  auto action = parse_action_text(**action_text);
  if (!action) return action.error();
  std::vector<std::string> env;
  if (auto found = object.find("env"); found != object.end() && !found->is_null()) {
    if (!found->is_array()) return usage_error("field 'env' must be an array of \"KEY=VALUE\"");
    for (const auto& item : *found) {
      if (!item.is_string()) return usage_error("field 'env' must be an array of \"KEY=VALUE\"");
      env.push_back(item.get<std::string>());
    }
  }
  auto cwd = text_field(object, "cwd");
  if (!cwd) return cwd.error();
  auto full_action = make_action(action->kind, action->argv, env, *cwd);
  if (!full_action) return full_action.error();
  spec.action = *full_action;
  if (auto found = object.find("policy"); found != object.end() && !found->is_null()) {
    if (!found->is_object()) return usage_error("field 'policy' must be an object");
    for (const auto& [option, value] : found->items()) {
      bool known = false;
      for (auto name : policy_option_names()) known = known || name == option;
      if (!known) return usage_error("unknown policy option '" + option + "'");
      auto text = text_field(*found, option.c_str(), true);
      if (!text) return text.error();
      if (*text) spec.policy.emplace_back(option, **text);
    }
  }
  if (auto found = object.find("labels"); found != object.end() && !found->is_null()) {
    if (!found->is_object()) return usage_error("field 'labels' must be an object");
    for (const auto& [key, value] : found->items()) {
      if (!value.is_string()) return usage_error("label '" + key + "' must be a string");
      spec.labels.push_back(key + "=" + value.get<std::string>());
    }
  }
  return result;
}

}  // namespace trigger
