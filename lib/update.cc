// `trigger update`: a trigger changed in anything `trigger create` sets (trigger.h).
#include <algorithm>
#include <set>

#include "text.h"
#include "trigger/trigger.h"

namespace trigger {
namespace {

bool schedule_given(const ScheduleChange& change) {
  return change.clock || change.tz || !change.policy.empty();
}

std::string env_name(std::string_view assignment) {
  return std::string(assignment.substr(0, assignment.find('=')));
}

// The environment with the update's changes: a variable set replaces its value where it
// stands, else is added at the end; a variable removed goes.
std::vector<std::string> updated_env(std::vector<std::string> env, const TriggerUpdate& update) {
  for (const auto& name : update.unset_env) {
    auto named = [&](const std::string& variable) { return env_name(variable) == name; };
    env.erase(std::remove_if(env.begin(), env.end(), named), env.end());
  }
  for (const auto& assignment : update.set_env) {
    auto same = [&](const std::string& variable) {
      return env_name(variable) == env_name(assignment);
    };
    if (auto found = std::find_if(env.begin(), env.end(), same); found != env.end()) {
      *found = assignment;
    } else {
      env.push_back(assignment);
    }
  }
  return env;
}

// The action with the update's words, environment and directory, validated as make_action().
Result<Action> updated_action(const Action& current, const TriggerUpdate& update) {
  const Action& words = update.command ? *update.command : current;
  std::vector<std::string> env = updated_env(current.env, update);
  std::optional<std::string> cwd = current.cwd;
  if (update.cwd) cwd = update.cwd->empty() ? std::nullopt : update.cwd;
  if (update.command && words.kind == ActionKind::kLog && (!env.empty() || cwd)) {
    return usage_error("--log " + in_quotes(words.argv.front()) +
                       ": a --log action has no environment or directory; remove the "
                       "trigger's as well (--unset-env NAME, --cwd '')");
  }
  return make_action(words.kind, words.argv, std::move(env), std::move(cwd));
}

Result<std::map<std::string, std::string>> updated_labels(std::map<std::string, std::string> labels,
                                                          const TriggerUpdate& update) {
  for (const auto& key : update.unset_labels) labels.erase(key);
  for (const auto& label : update.set_labels) {
    auto parsed = parse_label(label);
    if (!parsed) return parsed.error();
    labels[parsed->first] = parsed->second;
  }
  return labels;
}

// Each name once, and never both set (NAME=VALUE) and removed (NAME).
Status check_names_once(const std::vector<std::string>& set, const std::vector<std::string>& unset,
                        std::string_view set_option, std::string_view unset_option) {
  std::set<std::string> seen;
  for (const auto& assignment : set) {
    if (!seen.insert(env_name(assignment)).second) {
      return usage_error(std::string(set_option) + " " + in_quotes(assignment) + ": " +
                         in_quotes(env_name(assignment)) + " given twice");
    }
  }
  for (const auto& name : unset) {
    if (!seen.insert(name).second) {
      return usage_error(std::string(unset_option) + " " + in_quotes(name) + ": " +
                         in_quotes(name) + " is also set or removed in the same update");
    }
  }
  return Ok{};
}

// The variables, the directory and the labels, each checked on its own.
Status check_values(const TriggerUpdate& update) {
  for (const auto& assignment : update.set_env) {
    if (auto made = make_action(ActionKind::kShell, {":"}, {assignment}); !made)
      return made.error();
  }
  for (const auto& name : update.unset_env) {
    if (name.find('=') != std::string::npos ||
        !make_action(ActionKind::kShell, {":"}, {name + "="})) {
      return usage_error("--unset-env " + in_quotes(name) + ": expected a variable NAME");
    }
  }
  if (update.cwd && !update.cwd->empty()) {
    if (auto made = make_action(ActionKind::kShell, {":"}, {}, update.cwd); !made)
      return made.error();
  }
  for (const auto& label : update.set_labels) {
    if (auto parsed = parse_label(label); !parsed) return parsed.error();
  }
  for (const auto& key : update.unset_labels) {
    if (auto checked = check_label_key(key); !checked)
      return usage_error("--unlabel " + in_quotes(key) + ": " + checked.error().message());
  }
  if (auto once = check_names_once(update.set_env, update.unset_env, "--env", "--unset-env");
      !once) {
    return once;
  }
  return check_names_once(update.set_labels, update.unset_labels, "--label", "--unlabel");
}

}  // namespace

bool update_is_empty(const TriggerUpdate& update) {
  return !schedule_given(update.schedule) && !update.rename && !update.command &&
         update.set_env.empty() && update.unset_env.empty() && !update.cwd &&
         update.set_labels.empty() && update.unset_labels.empty();
}

Status check_update(const TriggerUpdate& update, Epoch now) {
  if (update_is_empty(update)) {
    return usage_error(
        "nothing to change: give a clock, --tz, a policy option, an action, --env, "
        "--unset-env, --cwd, --label, --unlabel or --rename");
  }
  if (schedule_given(update.schedule)) {
    if (auto checked = check_schedule_change(update.schedule, now); !checked) return checked;
  }
  if (update.rename) {
    if (auto checked = check_name(*update.rename); !checked) return checked;
  }
  return check_values(update);
}

Result<Trigger> apply_update(const Trigger& current, const TriggerUpdate& update, Epoch now) {
  if (auto checked = check_update(update, now); !checked) return checked.error();
  Trigger updated = current;
  if (schedule_given(update.schedule)) {
    auto moved = reschedule_trigger(current, update.schedule, now);
    if (!moved) return moved.error();
    updated = std::move(*moved);
  }
  if (update.rename) updated.name = *update.rename;
  auto action = updated_action(current.action, update);
  if (!action) return action.error();
  updated.action = std::move(*action);
  auto labels = updated_labels(current.labels, update);
  if (!labels) return labels.error();
  updated.labels = std::move(*labels);
  updated.updated_epoch = now;
  return updated;
}

}  // namespace trigger
