// trigger gc: prune the history by each trigger's retention, or by --keep (and pass records).
#include <iostream>

#include "commands.h"
#include "trigger/catalog.h"

namespace trigger::cmd {
void options_gc(Options& options) {
  options.named.add_options()(
      "keep", po::value<std::string>()->value_name("DURATION"),
      "keep history younger than DURATION, whatever each trigger's --history-keep");
}

namespace {

// Prune by `keep` seconds, else by each trigger's retention.
Result<int> gc(Context& ctx, std::optional<std::int64_t> keep) {
  auto pruned = keep ? prune_history_older_than(*ctx.store, *keep, ctx.now)
                     : prune_history(*ctx.store, ctx.now);
  if (!pruned) return pruned.error();
  std::int64_t deleted = *pruned;
  ctx.done = "deleted " + std::to_string(deleted) +
             (deleted == 1 ? " history record" : " history records");
  ctx.output.data = {{"deleted", deleted}};
  ctx.output.json_style = Document::JsonStyle::kOneLine;
  ctx.output.line({deleted}, Audience::kScripts);
  // The table prints nothing; -v says it on standard error instead.
  if (ctx.verbose && ctx.format == Format::kTable) std::cerr << "trigger: " << ctx.done << "\n";
  return 0;
}

}  // namespace

Result<Step> cmd_gc(Context& ctx) {
  if (auto status = expect_operands(ctx, 0, 0, ""); !status) return status.error();
  std::optional<std::int64_t> keep;
  if (auto text = ctx.get("keep")) {
    auto parsed = parse_duration(*text);
    if (!parsed) return usage_error("--keep: " + parsed.error().message());
    keep = *parsed;
  }
  return Step([keep](Context& ctx) { return gc(ctx, keep); });
}

}  // namespace trigger::cmd
