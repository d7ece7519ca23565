#include "options.h"

namespace trigger::cmd {
namespace {

// "--at, --every, --cron, ...", or, of the kinds that take --from, "--every".
std::string clock_options(bool only_those_taking_from) {
  std::string options;
  for (const auto& kind : clock_kinds()) {
    if (only_those_taking_from && !kind.takes_from) continue;
    options += (options.empty() ? "" : ", ") + kind.option();
  }
  return options;
}

// The clocks given on the command line, in clock_kinds() order.
std::vector<ClockSpec> clocks_given(const Context& ctx) {
  std::vector<ClockSpec> given;
  for (const auto& kind : clock_kinds()) {
    if (kind.value_name == nullptr) {
      if (ctx.flag(kind.name)) given.push_back(ClockSpec{kind.kind, "", std::nullopt});
    } else if (auto value = ctx.get(kind.name)) {
      given.push_back(ClockSpec{kind.kind, *value, std::nullopt});
    }
  }
  return given;
}

const char* kPolicyHelp[][3] = {
    {"misfire", "POLICY", "missed occurrences: all, latest or skip (default latest)"},
    {"grace", "DURATION", "lateness forgiven under --misfire skip (default 5m)"},
    {"overlap", "POLICY", "while the previous run is busy: skip, queue or allow (default skip)"},
    {"timeout", "DURATION", "stop a run after DURATION, or none (the default)"},
    {"retries", "N", "retry a failed run N times (default 0)"},
    {"backoff", "DURATION", "first retry delay, doubling (default 30s)"},
    {"jitter", "DURATION", "delay each occurrence by up to DURATION (default 0)"},
    {"dst", "RULE", "daylight-saving rule: auto, once or literal (default auto)"},
    {"until", "TIME", "the trigger is done after TIME"},
    {"max-runs", "N", "the trigger is done after N runs"},
    {"on-failure-sh", "TEXT", "run /bin/sh -c TEXT when a run has failed for good ('' for none)"},
    {"history-keep", "DURATION", "keep history younger than DURATION (default 30d)"},
    {"history-runs", "N", "keep the last N run outcomes whatever their age (default 10)"},
    {"lock", "NAME", "never run while a trigger sharing NAME runs (repeatable; '' for none)"},
    {"user", "NAME", "run the command as user NAME (root only; '' for none)"},
};

// The policy options given more than once, each value in turn (--lock a --lock b).
bool repeatable(std::string_view option) { return option == "lock"; }

}  // namespace

void add_clock_options(Options& options) {
  auto add = options.named.add_options();
  for (const auto& kind : clock_kinds()) {
    if (kind.value_name != nullptr)
      add(kind.name, po::value<std::string>()->value_name(kind.value_name), kind.help);
  }
  add("from", po::value<std::string>()->value_name("TIME"),
      "with --every: fire at TIME + k x DURATION");
  add("delay", po::value<std::string>()->value_name("DURATION"),
      "with --on-boot: fire DURATION after the boot");
  for (const auto& kind : clock_kinds()) {
    if (kind.value_name == nullptr) add(kind.name, kind.help);
  }
}

void add_action_options(Options& options) {
  options.named.add_options()("log", po::value<std::string>()->value_name("MESSAGE"),
                              "record MESSAGE in the history")(
      "sh", po::value<std::string>()->value_name("SCRIPT"), "run /bin/sh -c SCRIPT")(
      "env", po::value<std::vector<std::string>>()->value_name("KEY=VALUE"),
      "set a variable for the command (repeatable)")(
      "cwd", po::value<std::string>()->value_name("DIR"), "run the command in DIR");
  options.takes_program = true;
}

void add_policy_options(Options& options) {
  auto add = options.named.add_options();
  for (const auto& policy : kPolicyHelp) {
    if (repeatable(policy[0])) {
      add(policy[0], po::value<std::vector<std::string>>()->value_name(policy[1]), policy[2]);
    } else {
      add(policy[0], po::value<std::string>()->value_name(policy[1]), policy[2]);
    }
  }
  add("tz", po::value<std::string>()->value_name("ZONE"),
      "IANA time zone (default: TZ, else the system zone)");
}

bool clock_given(const Context& ctx) {
  return !clocks_given(ctx).empty() || ctx.get("from").has_value() || ctx.get("delay").has_value();
}

Result<ClockSpec> clock_from(const Context& ctx) {
  std::vector<ClockSpec> given = clocks_given(ctx);
  if (given.empty()) return usage_error("no clock given: use one of " + clock_options(false));
  if (given.size() > 1) return usage_error("more than one clock given: use only one");
  if (auto from = ctx.get("from")) {
    if (!clock_kind(given.front().kind)->takes_from) {
      return usage_error("--from '" + *from + "': only " + clock_options(true) + " takes --from");
    }
    given.front().from = from;
  }
  if (auto delay = ctx.get("delay")) {
    if (!clock_kind(given.front().kind)->takes_delay)
      return usage_error("--delay '" + *delay + "': only --on-boot takes --delay");
    given.front().delay = delay;
  }
  return given.front();
}

Result<std::optional<Action>> command_from(const Context& ctx) {
  int count = (ctx.get("log") ? 1 : 0) + (ctx.get("sh") ? 1 : 0) + (ctx.has_program ? 1 : 0);
  if (count == 0) return std::optional<Action>();
  if (count > 1)
    return usage_error("more than one action given: use only one of --log, --sh, -- PROGRAM");
  Result<Action> made = ctx.get("log")  ? make_action(ActionKind::kLog, {*ctx.get("log")})
                        : ctx.get("sh") ? make_action(ActionKind::kShell, {*ctx.get("sh")})
                                        : make_action(ActionKind::kProgram, ctx.program);
  if (!made) return made.error();
  return std::optional<Action>(std::move(*made));
}

Result<Action> action_from(const Context& ctx) {
  auto command = command_from(ctx);
  if (!command) return command.error();
  if (!*command) return usage_error("no action given: use one of --log, --sh, -- PROGRAM");
  return make_action((*command)->kind, (*command)->argv, ctx.get_all("env"), ctx.get("cwd"));
}

Result<ScheduleChange> schedule_from(const Context& ctx) {
  ScheduleChange change;
  if (clock_given(ctx)) {
    auto clock = clock_from(ctx);
    if (!clock) return clock.error();
    change.clock = *clock;
  }
  change.tz = ctx.get("tz");
  change.policy = policy_from(ctx);
  return change;
}

std::vector<std::pair<std::string, std::string>> policy_from(const Context& ctx) {
  std::vector<std::pair<std::string, std::string>> policy;
  for (auto option : policy_option_names()) {
    if (repeatable(option)) {
      for (const auto& value : ctx.get_all(std::string(option))) policy.emplace_back(option, value);
    } else if (auto value = ctx.get(std::string(option))) {
      policy.emplace_back(option, *value);
    }
  }
  return policy;
}

void add_filter_options(Options& options) {
  options.named.add_options()("state", po::value<std::string>()->value_name("STATE"),
                              "only triggers in STATE: active, paused, cancelled or done")(
      "label", po::value<std::vector<std::string>>()->value_name("KEY=VALUE"),
      "only triggers with this label (repeatable: all must match)")(
      "name", po::value<std::string>()->value_name("GLOB"),
      "only triggers whose name matches GLOB (*, ?, [...])");
}

Result<TriggerFilter> filter_from(const Context& ctx) {
  TriggerFilter filter;
  filter.include_finished = ctx.flag("all");
  if (auto state = ctx.get("state")) {
    auto parsed = parse_state(*state);
    if (!parsed)
      return usage_error("--state '" + *state + "': expected active, paused, cancelled or done");
    filter.state = *parsed;
  }
  for (const auto& label : ctx.get_all("label")) {
    auto equals = label.find('=');
    if (equals == std::string::npos || equals == 0) {
      return usage_error("--label '" + label + "': expected KEY=VALUE");
    }
    filter.labels.emplace_back(label.substr(0, equals), label.substr(equals + 1));
  }
  filter.name_pattern = ctx.get("name");
  return filter;
}

}  // namespace trigger::cmd
