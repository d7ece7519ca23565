// trigger list: triggers with their next and last times.
#include "commands.h"
#include "options.h"
#include "output.h"
#include "trigger/catalog.h"

namespace trigger::cmd {

void options_list(Options& options) {
  options.named.add_options()("all", "include cancelled and done triggers");
  add_filter_options(options);
}

Result<Step> cmd_list(Context& ctx) {
  if (auto status = expect_operands(ctx, 0, 0, ""); !status) return status.error();
  auto filter = filter_from(ctx);
  if (!filter) return filter.error();
  return Step([filter = *filter](Context& ctx) -> Result<int> {
    auto triggers = load_triggers(*ctx.store, filter);
    if (!triggers) return triggers.error();
    ctx.output = triggers_document(*triggers);
    return 0;
  });
}

}  // namespace trigger::cmd
