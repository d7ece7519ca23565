// On-failure hooks (--on-failure-sh; trigger-operations(7), "FAILURE HOOKS"): the command
// that runs when an occurrence ends failed or timed out after its last retry, and the history
// record of what it did (not public). The pass starts and waits for it beside its commands.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runner.h"
#include "trigger/store.h"
#include "trigger/trigger.h"

namespace trigger {

/// A hook is stopped (SIGTERM to its process group, SIGKILL 10 s later) after this long.
inline constexpr std::int64_t kHookTimeoutSeconds = 60;

/// The run of `trigger`'s hook after its occurrence ended with `outcome` (kFailed or
/// kTimedOut) and `result`: `/bin/sh -c TEXT` with `command_env` (the occurrence's own
/// environment) plus TRIGGER_OUTCOME and TRIGGER_EXIT_STATUS ("" when no exit status ended
/// it), the command's output on standard input, and a kHookTimeoutSeconds timeout.
/// Requires trigger.policy.on_failure_sh.
RunRequest hook_request(const Trigger& trigger, Outcome outcome, const RunResult& result,
                        std::vector<std::string> command_env);

/// "on-failure hook succeeded", "on-failure hook: exit status 1", "... timed out after 1m".
std::string hook_summary(const RunResult& result);

/// The kHook record (count 0, under the occurrence's event id) of a hook for `task` that
/// started at `started` and ended with `result` at `at`.
HistoryRecord hook_record(const Task& task, const RunResult& result, Epoch started, Epoch at);

}  // namespace trigger
