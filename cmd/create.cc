// trigger create: define a new trigger and print its id.
#include "commands.h"
#include "common.h"
#include "options.h"
#include "output.h"
#include "trigger/catalog.h"

namespace trigger::cmd {

void options_create(Options& options) {
  options.named.add_options()("name", po::value<std::string>()->value_name("NAME"),
                              "a unique name to use instead of the id");
  add_clock_options(options);
  add_action_options(options);
  add_policy_options(options);
  options.named.add_options()("paused", "create the trigger paused")(
      "label", po::value<std::vector<std::string>>()->value_name("KEY=VALUE"),
      "attach a label (repeatable)");
}

Result<Step> cmd_create(Context& ctx) {
  if (auto status = expect_operands(ctx, 0, 0, ""); !status) return status.error();
  TriggerSpec spec;
  spec.name = ctx.get("name");
  auto clock = clock_from(ctx);
  if (!clock) return clock.error();
  spec.clock = *clock;
  auto action = action_from(ctx);
  if (!action) return action.error();
  spec.action = *action;
  spec.tz = ctx.get("tz");
  spec.policy = policy_from(ctx);
  spec.labels = ctx.get_all("label");
  spec.state = ctx.flag("paused") ? State::kPaused : State::kActive;
  // Every value is checked as create_trigger() will check it, before the database is opened.
  auto built = build_trigger(spec, ctx.now);
  if (!built) return built.error();
  if (auto allowed = check_user_database(ctx, built->policy.user); !allowed) return allowed.error();
  return Step([spec](Context& ctx) -> Result<int> {
    auto created = create_trigger(*ctx.store, spec, ctx.now);
    if (!created) return created.error();
    const Trigger& stored = *created;
    ctx.done = "created trigger " + std::to_string(stored.id) +
               (stored.name ? " " + describe(stored) : "");
    ctx.output.data = trigger_json(stored);
    ctx.output.line({stored.id});
    return 0;
  });
}

}  // namespace trigger::cmd
