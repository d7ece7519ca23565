// trigger cancel: stop triggers for good.
#include "commands.h"
#include "common.h"

namespace trigger::cmd {

void options_cancel(Options&) {}

Result<Step> cmd_cancel(Context& ctx) { return change_state(ctx, State::kCancelled); }

}  // namespace trigger::cmd
