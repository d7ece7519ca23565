#include "common.h"

#include <iostream>

#include "output.h"
#include "trigger/catalog.h"

namespace trigger::cmd {

Result<Step> change_state(Context& ctx, State target) {
  if (auto status = expect_operands(ctx, 1, SIZE_MAX, "ID|NAME"); !status) return status.error();
  return Step([target](Context& ctx) { return move_named(ctx, target); });
}

Result<int> move_named(Context& ctx, State target) {
  auto moved = move_triggers(*ctx.store, ctx.positional, target, ctx.now);
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

}  // namespace trigger::cmd
