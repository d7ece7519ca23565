// What the catalog's files share (not public): the edit record, the state refusal and a
// transaction that hands out a value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "trigger/error.h"
#include "trigger/store.h"
#include "trigger/trigger.h"

namespace trigger::catalog {

/// Append an edit to the history: `what` changed, with the next time before and after
/// ("created; next - -> 2026-12-01T09:00:00Z"), recorded at `now`. `before` is null for a new
/// trigger. Call inside the change's transaction, after the change.
Status record_edit(Store& store, const Trigger* before, const Trigger& after,
                   const std::string& what, Epoch now);

/// kData: the trigger's state forbids `verb` ("trigger 'x' is cancelled; it cannot be fired").
Error refused(const Trigger& trigger, std::string_view verb);

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
