// Helpers shared by several commands.
#pragma once

#include "commands.h"
#include "trigger/trigger.h"

namespace trigger::cmd {

/// Move the triggers named by the operands to `target` (cancel, pause, resume) with
/// move_triggers(), and say what moved. Its errors: kNotFound for a missing name, kData for a
/// trigger whose state forbids the move; nothing moves then. `skip_missed`: resume
/// --skip-missed (move_triggers()).
Result<int> change_state(Context& ctx, State target, bool skip_missed = false);

}  // namespace trigger::cmd
