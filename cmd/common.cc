#include "common.h"

#include <iostream>

#include "output.h"
#include "trigger/catalog.h"

namespace trigger::cmd {

Result<Step> change_state(Context& ctx, State target, bool skip_missed) {
  if (auto status = expect_operands(ctx, 1, SIZE_MAX, "ID|NAME"); !status) return status.error();
  return Step(
      [target, skip_missed](Context& ctx) { return move_named(ctx, target, skip_missed); });
}

Result<int> move_named(Context& ctx, State target, bool skip_missed) {
  auto moved = move_triggers(*ctx.store, ctx.positional, target, ctx.now, skip_missed);
  if (!moved) return moved.error();
  const std::vector<Trigger>& changed = *moved;
  if (!changed.empty()) {
    ctx.done = std::string(moved_word(target)) + " ";
    for (std::size_t i = 0; i < changed.size(); ++i) {
      ctx.done += (i == 0 ? "" : ", ") + describe(changed[i]);
    }
  }
  if (ctx.verbose) {
    for (const auto& trigger : changed) {
      std::cerr << "trigger: " << moved_word(target) << " " << trigger.id
                << (trigger.name ? " '" + *trigger.name + "'" : "") << "\n";
    }
  }
  ctx.output.data = triggers_json(changed);  // the table prints nothing
  return 0;
}

Status check_user_database(const Context& ctx, const std::optional<std::string>& user) {
  if (!user) return Ok{};
  auto root_only = Store::check_root_only_at(database_path(ctx));
  if (root_only) return Ok{};
  return Error(root_only.error().kind(), "--user '" + *user + "': " + root_only.error().message());
}

std::optional<std::string> user_given(
    const std::vector<std::pair<std::string, std::string>>& policy) {
  std::optional<std::string> user;
  for (const auto& [option, value] : policy) {
    if (option == "user") user = value;
  }
  if (user && user->empty()) user.reset();
  return user;
}

}  // namespace trigger::cmd
