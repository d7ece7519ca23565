#include "hook.h"

#include <utility>

namespace trigger {

RunRequest hook_request(const Trigger& trigger, Outcome outcome, const RunResult& result,
                        std::vector<std::string> command_env) {
  RunRequest request;
  request.argv = {"/bin/sh", "-c", *trigger.policy.on_failure_sh};
  request.env = std::move(command_env);
  request.env.push_back("TRIGGER_OUTCOME=" + std::string(to_string(outcome)));
  request.env.push_back("TRIGGER_EXIT_STATUS=" +
                        (result.exit_status ? std::to_string(*result.exit_status) : ""));
  request.cwd = trigger.action.cwd;
  request.timeout_seconds = kHookTimeoutSeconds;
  request.input = result.output;
  return request;
}

std::string hook_summary(const RunResult& result) {
  if (result.succeeded()) return "on-failure hook succeeded";
  return "on-failure hook: " + result.describe(kHookTimeoutSeconds);
}

HistoryRecord hook_record(const Task& task, const RunResult& result, Epoch started, Epoch at) {
  auto record = HistoryRecord::of_run(task, Outcome::kHook, hook_summary(result), at);
  record.count = 0;  // the occurrence is accounted for by its own record
  if (result.exit_status) record.exit_status = *result.exit_status;
  record.started_epoch = started;
  record.output = result.output;
  return record;
}

}  // namespace trigger
