// trigger delete: remove triggers for good, in any state.
#include <iostream>
#include <vector>

#include "commands.h"
#include "trigger/catalog.h"

namespace trigger::cmd {
namespace {

// Delete the triggers the operands name, all or none, and say which went.
Result<int> delete_named(Context& ctx) {
  auto deleted = delete_triggers(*ctx.store, ctx.positional, ctx.flag("keep-history"), ctx.now);
  if (!deleted) return deleted.error();
  nlohmann::ordered_json data = nlohmann::ordered_json::array();
  for (const auto& one : *deleted) {
    const Trigger& trigger = one.trigger;
    ctx.done += (ctx.done.empty() ? "deleted " : ", ") + describe(trigger);
    data.push_back({{"id", trigger.id},
                    {"name", trigger.name ? nlohmann::ordered_json(*trigger.name) : nullptr},
                    {"runs_cancelled", one.removed.runs_cancelled},
                    {"history_deleted", one.removed.history_deleted}});
    if (ctx.verbose) {
      std::cerr << "trigger: deleted " << trigger.id
                << (trigger.name ? " '" + *trigger.name + "'" : "") << "\n";
    }
  }
  ctx.output.data = std::move(data);  // the table prints nothing
  return 0;
}


}  // namespace

void options_delete(Options& options) {
  options.named.add_options()("keep-history",
                              "keep the triggers' history, ending with a record of the deletion");
}

Result<Step> cmd_delete(Context& ctx) {
  if (auto status = expect_operands(ctx, 1, SIZE_MAX, "ID|NAME"); !status) return status.error();
  return Step(delete_named);
}

}  // namespace trigger::cmd
