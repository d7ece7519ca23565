// trigger resume: let paused triggers fire again.
#include "commands.h"
#include "common.h"

namespace trigger::cmd {

void options_resume(Options& options) {
  options.named.add_options()("skip-missed",
                              "fire nothing for what fell due while paused: go on from now");
}

Result<Step> cmd_resume(Context& ctx) {
  return change_state(ctx, State::kActive, ctx.flag("skip-missed"));
}

}  // namespace trigger::cmd
