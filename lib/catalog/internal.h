// What the catalog's files share (not public): the edit record, the state refusal and a
// transaction that hands out a value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "trigger/error.h"
#include "trigger/identity.h"
#include "trigger/store.h"
#include "trigger/trigger.h"

namespace trigger::catalog {

/// An edit record of trigger `id` at `now`: `reason`, made by `who`.
HistoryRecord edit_record(std::int64_t id, std::string reason, const Identity& who, Epoch now);

/// Append an edit to the history, made by current_identity(): `what` was done, then what
/// changed (edit_diff() of `before` and `after`, when not empty), then the next time before
/// and after ("paused; state: active -> paused; next 2026-12-01T09:00:00Z -> -"), recorded at
/// `now`. `before` is null for a new trigger (no diff). Call inside the change's transaction,
/// after the change.
Status record_edit(Store& store, const Trigger* before, const Trigger& after,
                   const std::string& what, Epoch now);

/// kData: the trigger's state forbids `verb` ("trigger 'x' is cancelled; it cannot be fired").
Error refused(const Trigger& trigger, std::string_view verb);

/// Cancel `trigger` (active or paused) as move_triggers() does: its failure acknowledged, its
/// queued runs cancelled, its edit record "cancelled" followed by `why` (": pruned, ...").
/// Returns it as stored. Call inside a transaction.
Result<Trigger> cancel_one(Store& store, const Trigger& trigger, std::string_view why, Epoch now);
/// Whether `store` may hold a trigger that runs as `user` (--user, when set): only a database
/// that root alone can change (Store::check_root_only()). kUnsafe "--user 'NAME': WHY".
Status check_user_store(const Store& store, const std::optional<std::string>& user);

/// `body` (returning Result<T>) run in one transaction of `store`: its value once committed,
/// else its error or the commit's.
template <class T, class Body>
Result<T> in_transaction(Store& store, Body body) {
  std::optional<T> value;
  auto status = store.transaction([&]() -> Status {
    Result<T> result = body();
    if (!result) return result.error();
    value = std::move(*result);
    return Ok{};
  });
  if (!status) return status.error();
  return std::move(*value);
}

}  // namespace trigger::catalog
