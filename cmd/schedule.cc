// trigger schedule: move a trigger — change its clock, zone or policy. The next pass
// reschedules it; its last event is kept, so nothing fires twice and nothing is lost.
#include <iostream>

#include "commands.h"
#include "common.h"
#include "options.h"
#include "output.h"

namespace trigger::cmd {

void options_schedule(Options& options) {
  add_clock_options(options);
  add_policy_options(options);
}

Result<int> cmd_schedule(Context& ctx) {
  if (auto status = expect_operands(ctx, 1, 1, "ID|NAME"); !status) return status.error();
  ScheduleChange change;
  if (clock_given(ctx)) {
    auto clock = clock_from(ctx);
    if (!clock) return clock.error();
    change.clock = *clock;
  }
  change.tz = ctx.get("tz");
  change.policy = policy_from(ctx);
  Trigger moved;
  auto status = ctx.store->transaction([&]() -> Status {
    auto current = ctx.store->find_trigger(ctx.positional[0]);
    if (!current) return current.error();
    auto rescheduled = reschedule_trigger(*current, change, ctx.now);
    if (!rescheduled) return rescheduled.error();
    if (auto updated = ctx.store->update_trigger(*rescheduled); !updated) return updated;
    auto after = ctx.store->find_trigger(std::to_string(current->id));
    if (!after) return after.error();
    moved = std::move(*after);
    std::string what = "scheduled";
    if (change.clock) what += ": clock " + current->clock + " -> " + moved.clock;
    if (current->tz != moved.tz) what += ": zone " + current->tz + " -> " + moved.tz;
    for (const auto& [option, value] : change.policy) what += ": --" + option + " " + value;
    return record_edit(ctx, &*current, moved, what);
  });
  if (!status) return status.error();
  ctx.done = "scheduled " + label_of(moved);
  if (ctx.format == Format::kJson) {
    auto json = trigger_json(moved);
    if (!json) return json.error();
    std::cout << json->dump(2) << "\n";
  }
  return 0;
}

}  // namespace trigger::cmd
