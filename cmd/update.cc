// trigger update: change anything `create` sets, in one transaction. The clock, zone and
// policy options are `create`'s own (cmd/options.cc), read by schedule_from(): a clock kind or
// policy option added there reaches update with nothing to add here.
#include <iostream>

#include "commands.h"
#include "options.h"
#include "output.h"
#include "trigger/catalog.h"

namespace trigger::cmd {

void options_update(Options& options) {
  add_clock_options(options);
  add_action_options(options);
  add_policy_options(options);
  options.named.add_options()("unset-env",
                              po::value<std::vector<std::string>>()->value_name("NAME"),
                              "remove a variable of the command (repeatable)")(
      "label", po::value<std::vector<std::string>>()->value_name("KEY=VALUE"),
      "attach or change a label (repeatable)")(
      "unlabel", po::value<std::vector<std::string>>()->value_name("KEY"),
      "remove a label (repeatable)")("rename", po::value<std::string>()->value_name("NEW"),
                                     "give the trigger a new name");
}

namespace {

// The update the options ask for; kUsage naming a bad value.
Result<TriggerUpdate> update_from(const Context& ctx) {
  TriggerUpdate update;
  auto schedule = schedule_from(ctx);
  if (!schedule) return schedule.error();
  update.schedule = *schedule;
  auto command = command_from(ctx);
  if (!command) return command.error();
  update.command = *command;
  update.rename = ctx.get("rename");
  update.set_env = ctx.get_all("env");
  update.unset_env = ctx.get_all("unset-env");
  update.cwd = ctx.get("cwd");
  update.set_labels = ctx.get_all("label");
  update.unset_labels = ctx.get_all("unlabel");
  return update;
}

}  // namespace

Result<Step> cmd_update(Context& ctx) {
  if (auto status = expect_operands(ctx, 1, 1, "ID|NAME"); !status) return status.error();
  auto update = update_from(ctx);
  if (!update) return update.error();
  if (auto checked = check_update(*update, ctx.now); !checked) return checked.error();
  return Step([update = *update](Context& ctx) -> Result<int> {
    auto updated = update_trigger(*ctx.store, ctx.positional[0], update, ctx.now);
    if (!updated) return updated.error();
    const Trigger& stored = updated->trigger;
    ctx.output.data = trigger_json(stored);
    ctx.output.data["changes"] = updated->changes;
    if (updated->changes.empty()) {
      if (!ctx.quiet) {
        std::cerr << "trigger: " << describe(stored)
                  << " unchanged: it has every value given already; nothing recorded\n";
      }
      return 0;
    }
    ctx.done = "updated " + describe(stored);
    ctx.output.line({updated->changes});
    return 0;
  });
}

}  // namespace trigger::cmd
