// The field-by-field difference an edit record carries (edit_diff()).
#include <map>

#include "shell_quote.h"
#include "text.h"
#include "trigger/catalog.h"

namespace trigger {
namespace {

using Pairs = std::map<std::string, std::string>;

// "KEY=VALUE" assignments as a map (the first of a key given twice wins, as getenv would).
Pairs assignments(const std::vector<std::string>& list) {
  Pairs pairs;
  for (const auto& assignment : list) {
    auto equals = assignment.find('=');
    pairs.emplace(assignment.substr(0, equals),
                  equals == std::string::npos ? "" : assignment.substr(equals + 1));
  }
  return pairs;
}

// "+KEY=VALUE" added, "-KEY" removed, "~KEY=VALUE" changed to VALUE, by key; "" if equal.
std::string pairs_diff(const Pairs& before, const Pairs& after) {
  std::string diff;
  auto add = [&](char sign, const std::string& key, const std::string* value) {
    diff += (diff.empty() ? "" : " ") + std::string(1, sign) +
            shell_quote(value ? key + "=" + *value : key);
  };
  for (const auto& [key, value] : after) {
    auto old = before.find(key);
    if (old == before.end()) {
      add('+', key, &value);
    } else if (old->second != value) {
      add('~', key, &value);
    }
  }
  for (const auto& [key, value] : before) {
    if (after.count(key) == 0) add('-', key, nullptr);
  }
  return diff;
}

std::string or_dash(const std::optional<std::string>& text) {
  return text ? shell_quote(*text) : std::string("-");
}

}  // namespace

std::string edit_diff(const Trigger& before, const Trigger& after) {
  std::vector<std::string> fields;
  auto field = [&](std::string_view name, const std::string& old, const std::string& now) {
    if (old != now) fields.push_back(std::string(name) + ": " + old + " -> " + now);
  };
  field("name", or_dash(before.name), or_dash(after.name));
  field("state", std::string(to_string(before.state)), std::string(to_string(after.state)));
  field("clock", before.clock, after.clock);
  field("zone", before.tz, after.tz);
  field("action", before.action.text(), after.action.text());
  if (auto env = pairs_diff(assignments(before.action.env), assignments(after.action.env));
      !env.empty()) {
    fields.push_back("env: " + env);
  }
  field("cwd", or_dash(before.action.cwd), or_dash(after.action.cwd));
  // Times in the zone after the edit, so that a new zone alone changes no --until.
  auto zone = Zone::locate(after.tz);
  for (auto option : policy_option_names()) {
    const Zone& in = zone ? *zone : Zone::utc();
    field(option, or_dash(policy_option_text(before.policy, option, in)),
          or_dash(policy_option_text(after.policy, option, in)));
  }
  if (auto labels = pairs_diff(before.labels, after.labels); !labels.empty()) {
    fields.push_back("labels: " + labels);
  }
  std::string diff;
  for (const auto& one : fields) diff += (diff.empty() ? "" : "; ") + one;
  return diff;
}

}  // namespace trigger
