// trigger pause: stop triggers from firing until resumed.
#include "commands.h"
#include "common.h"

namespace trigger::cmd {

void options_pause(Options&) {}

Result<Step> cmd_pause(Context& ctx) { return change_state(ctx, State::kPaused); }

}  // namespace trigger::cmd
