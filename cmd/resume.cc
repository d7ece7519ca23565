// trigger resume: let paused triggers fire again.
#include "commands.h"
#include "common.h"

namespace trigger::cmd {

void options_resume(Options&) {}

Result<Step> cmd_resume(Context& ctx) { return change_state(ctx, State::kActive); }

}  // namespace trigger::cmd
