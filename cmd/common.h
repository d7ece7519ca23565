// Helpers shared by several commands.
#pragma once

#include "commands.h"
#include "trigger/trigger.h"

namespace trigger::cmd {

/// Move the triggers named by the operands to `target` (cancel, pause, resume), all in one
/// transaction after every name has been checked: kNotFound for a missing one, kData for one
/// whose state forbids the move. A trigger already in `target` is left alone.
Result<int> change_state(Context& ctx, State target);

/// A trigger as messages name it: 'NAME' in quotes, else "trigger ID".
std::string label_of(const Trigger& trigger);

/// Append an edit to the history: `what` changed, with the next time before and after
/// ("created; next - -> 2026-12-01T09:00:00Z"). `before` is null for a new trigger. Call
/// inside the command's transaction, after the change.
Status record_edit(Context& ctx, const Trigger* before, const Trigger& after,
                   const std::string& what);

/// The trigger named by `ref` (ID|NAME), read in one transaction.
Result<Trigger> load_trigger(Context& ctx, const std::string& ref);

/// The triggers matching `filter`, read in one transaction.
Result<std::vector<Trigger>> load_triggers(Context& ctx, const TriggerFilter& filter);

}  // namespace trigger::cmd
