// The options that define a trigger (clock, action, policy, zone, labels), shared by create,
// next and import (and later schedule), and their translation into a TriggerSpec.
#pragma once

#include <optional>

#include "commands.h"
#include "trigger/store.h"
#include "trigger/trigger.h"

namespace trigger::cmd {

/// Add the clock options: one per row of clock_kinds(), and --from.
void add_clock_options(Options& options);
/// Add the action options (--log --sh --env --cwd; "-- PROGRAM" is taken by the dispatcher).
void add_action_options(Options& options);
/// Add the policy options of policy_option_names() and --tz.
void add_policy_options(Options& options);

/// Whether any clock option (or --from) was given.
bool clock_given(const Context& ctx);

/// The clock given on the command line: exactly one; kUsage if none or several.
Result<ClockSpec> clock_from(const Context& ctx);
/// The action given on the command line: exactly one; kUsage if none or several.
Result<Action> action_from(const Context& ctx);
/// The action words given (--log, --sh or -- PROGRAM, without --env and --cwd), if any;
/// kUsage if several, or for a bad one.
Result<std::optional<Action>> command_from(const Context& ctx);
/// What the clock, --tz and policy options given change (trigger schedule and update): every
/// clock kind of clock_kinds() and policy option of add_policy_options() is read here.
Result<ScheduleChange> schedule_from(const Context& ctx);
/// The policy options given, as (option, value) pairs in policy_option_names() order.
std::vector<std::pair<std::string, std::string>> policy_from(const Context& ctx);

/// Add the filters of list and export (--state --label --name).
void add_filter_options(Options& options);
/// The filter given by add_filter_options() and --all. kUsage naming a bad state or label.
Result<TriggerFilter> filter_from(const Context& ctx);

}  // namespace trigger::cmd
