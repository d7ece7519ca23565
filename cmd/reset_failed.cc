// trigger reset-failed: acknowledge failed runs, so that `trigger status` is healthy again
// (after systemd's reset-failed).
#include "commands.h"
#include "output.h"
#include "trigger/catalog.h"

namespace trigger::cmd {

void options_reset_failed(Options&) {}

namespace {

Result<int> reset(Context& ctx) {
  auto acknowledged = reset_failed(*ctx.store, ctx.positional, ctx.now);
  if (!acknowledged) return acknowledged.error();
  nlohmann::ordered_json data = nlohmann::ordered_json::array();
  for (const auto& [trigger, run] : *acknowledged) {
    std::string event = run.last_event_id.value_or("");
    std::string outcome = run.last_outcome ? std::string(to_string(*run.last_outcome)) : "";
    data.push_back({{"id", trigger.id},
                    {"name", trigger.name ? nlohmann::ordered_json(*trigger.name) : nullptr},
                    {"event_id", event},
                    {"outcome", outcome}});
    ctx.output.line({describe(trigger), Cell(event), Cell(outcome)});
    ctx.done += (ctx.done.empty() ? "acknowledged the failure of " : ", ") + describe(trigger);
  }
  if (acknowledged->empty()) ctx.output.note("no failure to acknowledge");
  ctx.output.data = data;
  return 0;
}

}  // namespace

// Its operands are names, any number, checked in the database.
Result<Step> cmd_reset_failed(Context&) { return Step(reset); }

}  // namespace trigger::cmd
