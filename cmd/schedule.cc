// trigger schedule: move a trigger — change its clock, zone or policy. The next pass
// reschedules it; its last event is kept, so nothing fires twice and nothing is lost.
#include "commands.h"
#include "common.h"
#include "options.h"
#include "output.h"
#include "trigger/catalog.h"

namespace trigger::cmd {

void options_schedule(Options& options) {
  add_clock_options(options);
  add_policy_options(options);
}

Result<Step> cmd_schedule(Context& ctx) {
  if (auto status = expect_operands(ctx, 1, 1, "ID|NAME"); !status) return status.error();
  auto read = schedule_from(ctx);
  if (!read) return read.error();
  ScheduleChange change = *read;
  if (auto checked = check_schedule_change(change, ctx.now); !checked) return checked.error();
  if (auto allowed = check_user_database(ctx, user_given(change.policy)); !allowed)
    return allowed.error();
  return Step([change](Context& ctx) -> Result<int> {
    auto rescheduled = reschedule(*ctx.store, ctx.positional[0], change, ctx.now);
    if (!rescheduled) return rescheduled.error();
    const Trigger& moved = *rescheduled;
    ctx.done = "scheduled " + describe(moved);
    ctx.output.data = trigger_json(moved);  // the table prints nothing
    return 0;
  });
}

}  // namespace trigger::cmd
