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

/// Whether a trigger that runs as `user` (--user; ok when unset) may be written to the
/// database of ctx, asked before the dispatcher opens (or creates) it:
/// Store::check_root_only_at(). kUnsafe "--user 'NAME': WHY".
Status check_user_database(const Context& ctx, const std::optional<std::string>& user);

/// The last --user value among `policy` options that sets one ('' clears), if any.
std::optional<std::string> user_given(
    const std::vector<std::pair<std::string, std::string>>& policy);

}  // namespace trigger::cmd
