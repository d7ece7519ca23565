// Helpers shared by several commands.
#pragma once

#include "commands.h"
#include "trigger/trigger.h"

namespace trigger::cmd {

/// The steps of cancel, pause and resume: check that the operands name at least one trigger
/// (kUsage), then the step that moves them to `target` with move_named(). `skip_missed`:
/// resume --skip-missed (move_triggers()).
Result<Step> change_state(Context& ctx, State target, bool skip_missed = false);

/// Move the triggers named by the operands to `target` with move_triggers(), and say what
/// moved. Its errors: kNotFound for a missing name, kData for a trigger whose state forbids the
/// move; nothing moves then.
Result<int> move_named(Context& ctx, State target, bool skip_missed = false);

}  // namespace trigger::cmd
