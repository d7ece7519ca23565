// trigger history: outcomes and edits, newest first.
#include <iostream>

#include "commands.h"
#include "output.h"
#include "trigger/catalog.h"

namespace trigger::cmd {
namespace {

constexpr std::size_t kDefaultLimit = 20;

}  // namespace

void options_history(Options& options) {
  options.named.add_options()("failed", "only failed and timed-out runs")(
      "since", po::value<std::string>()->value_name("TIME"), "only records from TIME on")(
      "limit", po::value<std::string>()->value_name("N"), "at most N records (default 20)");
}

Result<int> cmd_history(Context& ctx) {
  if (auto status = expect_operands(ctx, 0, 1, ""); !status) return status.error();
  HistoryFilter filter;
  filter.failed_only = ctx.flag("failed");
  filter.limit = kDefaultLimit;
  if (auto limit = ctx.get("limit")) {
    auto parsed = parse_whole_number("limit", *limit, 1, 9999999);
    if (!parsed) return parsed.error();
    filter.limit = static_cast<std::size_t>(*parsed);
  }
  if (auto since = ctx.get("since")) {
    auto zone = Zone::system_default();
    auto parsed = parse_time(*since, ctx.now, zone ? *zone : Zone::utc());
    if (!parsed) return usage_error("--since: " + parsed.error().message());
    filter.since = *parsed;
  }
  auto ref =
      ctx.positional.empty() ? std::nullopt : std::optional<std::string_view>(ctx.positional[0]);
  auto found = load_history(*ctx.store, ref, filter);
  if (!found) return found.error();
  const std::vector<HistoryRecord>& records = *found;

  if (ctx.format == Format::kJson) {
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (const auto& record : records) array.push_back(history_json(record));
    std::cout << array.dump(2) << "\n";
    return 0;
  }
  auto number = [](std::optional<std::int64_t> value) {
    return value ? std::to_string(*value) : std::string();
  };
  if (ctx.format == Format::kTsv) {
    for (const auto& r : records) {
      std::vector<std::string> fields = {std::to_string(r.recorded_epoch),
                                         std::to_string(r.trigger_id),
                                         r.trigger_name.value_or(""),
                                         r.event_id.value_or(""),
                                         number(r.scheduled_epoch),
                                         std::string(to_string(r.outcome)),
                                         std::to_string(r.count),
                                         std::to_string(r.attempts),
                                         number(r.exit_status),
                                         r.manual ? "manual" : "",
                                         r.reason};
      std::string line;
      for (std::size_t i = 0; i < fields.size(); ++i)
        line += (i ? "\t" : "") + tsv_field(fields[i]);
      std::cout << line << "\n";
    }
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : records) {
    std::string outcome(to_string(r.outcome));
    if (r.manual) outcome += " (manual)";
    rows.push_back({time_text(r.recorded_epoch, r.trigger_tz),
                    r.trigger_name.value_or(std::to_string(r.trigger_id)), r.event_id.value_or("-"),
                    outcome, std::to_string(r.count), r.attempts ? std::to_string(r.attempts) : "-",
                    r.exit_status ? std::to_string(*r.exit_status) : "-",
                    r.reason.empty() ? "-" : r.reason});
  }
  print_table(std::cout,
              {"RECORDED", "TRIGGER", "EVENT", "OUTCOME", "COUNT", "ATTEMPTS", "EXIT", "REASON"},
              rows);
  return 0;
}

}  // namespace trigger::cmd
