// trigger export: triggers as JSON Lines, the input of trigger import.
#include "commands.h"
#include "options.h"
#include "output.h"
#include "trigger/catalog.h"

namespace trigger::cmd {

void options_export(Options& options) { add_filter_options(options); }

Result<Step> cmd_export(Context& ctx) {
  if (auto status = expect_operands(ctx, 0, 0, ""); !status) return status.error();
  auto filter = filter_from(ctx);
  if (!filter) return filter.error();
  filter->include_finished = true;
  return Step([filter = *filter](Context& ctx) -> Result<int> {
    auto triggers = load_triggers(*ctx.store, filter);
    if (!triggers) return triggers.error();
    ctx.output.data = triggers_json(*triggers);
    ctx.output.json_style = Document::JsonStyle::kLines;
    return 0;
  });
}

}  // namespace trigger::cmd
