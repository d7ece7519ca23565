// trigger fire: queue one manual run now, outside the schedule (which is left unchanged).
#include "commands.h"
#include "trigger/catalog.h"

namespace trigger::cmd {

void options_fire(Options&) {}

namespace {

Result<int> fire(Context& ctx) {
  auto run = fire_trigger(*ctx.store, ctx.positional[0], ctx.now);
  if (!run) return run.error();
  const std::string& id = run->event_id;
  std::string fired = describe(run->trigger);
  ctx.done = "fired " + fired + " (event " + id + ")";
  ctx.output.data = {{"event_id", id}};
  ctx.output.json_style = Document::JsonStyle::kOneLine;
  ctx.output.line({id});
  return 0;
}

}  // namespace

Result<Step> cmd_fire(Context& ctx) {
  if (auto status = expect_operands(ctx, 1, 1, "ID|NAME"); !status) return status.error();
  return Step(fire);
}

}  // namespace trigger::cmd
