// trigger history: outcomes and edits, newest first.
#include "commands.h"
#include "output.h"
#include "trigger/catalog.h"

namespace trigger::cmd {
namespace {

constexpr std::size_t kDefaultLimit = 20;

// Who made an edit, for people: "alice", "root (SUDO_USER bob)", "uid 1234"; "" for others.
std::string editor_text(const HistoryRecord& r) {
  if (!r.editor) return "";
  std::string who =
      r.editor->user.empty() ? "uid " + std::to_string(r.editor->uid) : r.editor->user;
  if (r.editor->sudo_user) who += " (SUDO_USER " + *r.editor->sudo_user + ")";
  return who;
}

// The records as JSON, and as columns: for people a time in the trigger's zone and the trigger
// by name, for scripts (trigger-history(1), TSV) the epoch and the trigger's id and name.
// With `with_output`, each run's output is shown under its row in the table.
Document history_document(const std::vector<HistoryRecord>& records, bool with_output) {
  Document document;
  document.data = nlohmann::ordered_json::array();
  for (const auto& record : records) document.data.push_back(history_json(record));
  constexpr auto kPeople = Audience::kPeople;
  constexpr auto kScripts = Audience::kScripts;
  document.set_columns({{"RECORDED", kPeople},
                        {"recorded_epoch", kScripts},
                        {"TRIGGER", kPeople},
                        {"trigger_id", kScripts},
                        {"trigger_name", kScripts},
                        {"EVENT"},
                        {"scheduled_epoch", kScripts},
                        {"OUTCOME", kPeople},
                        {"outcome", kScripts},
                        {"COUNT"},
                        {"ATTEMPTS", kPeople},
                        {"attempts", kScripts},
                        {"EXIT"},
                        {"manual", kScripts},
                        {"BY", kPeople},
                        {"REASON"},
                        {"editor_uid", kScripts},
                        {"editor_user", kScripts},
                        {"editor_sudo_user", kScripts}});
  for (const auto& r : records) {
    std::string outcome(to_string(r.outcome));
    document.row({Cell::time(r.recorded_epoch, r.trigger_tz), r.recorded_epoch,
                  r.trigger_name.value_or(std::to_string(r.trigger_id)), r.trigger_id,
                  Cell::maybe(r.trigger_name), Cell::maybe(r.event_id),
                  Cell::maybe(r.scheduled_epoch), r.manual ? outcome + " (manual)" : outcome,
                  outcome, r.count, r.attempts ? Cell(r.attempts) : Cell(), r.attempts,
                  Cell::maybe(r.exit_status), r.manual ? "manual" : "", editor_text(r), r.reason,
                  r.editor ? Cell(r.editor->uid) : Cell(), r.editor ? Cell(r.editor->user) : Cell(),
                  r.editor ? Cell::maybe(r.editor->sudo_user) : Cell()});
    if (with_output) document.below_last_row(r.output);
  }
  return document;
}

// An event id as TRIGGER_EVENT_ID and the pass's reports give it: TRIGGER-EPOCH, or
// TRIGGER-mEPOCH for a manual run (event_id()).
Status check_event_id(std::string_view text) {
  auto digits = [](std::string_view part) {
    return !part.empty() && part.find_first_not_of("0123456789") == std::string_view::npos;
  };
  auto dash = text.find('-');
  std::string_view epoch = dash == std::string_view::npos ? "" : text.substr(dash + 1);
  if (!epoch.empty() && epoch[0] == 'm') epoch.remove_prefix(1);
  if (!epoch.empty() && epoch[0] == '-') epoch.remove_prefix(1);  // before 1970
  if (dash != std::string_view::npos && digits(text.substr(0, dash)) && digits(epoch)) return Ok{};
  return usage_error("--event '" + std::string(text) + "'" +
                     ": not an event id (expected TRIGGER-EPOCH, as 7-1796112000)");
}

}  // namespace

void options_history(Options& options) {
  options.named.add_options()("failed", "only failed and timed-out runs")(
      "event", po::value<std::string>()->value_name("ID"), "only the records of event ID")(
      "output", "show each run's output under its record")(
      "since", po::value<std::string>()->value_name("TIME"), "only records from TIME on")(
      "limit", po::value<std::string>()->value_name("N"), "at most N records (default 20)");
}

Result<Step> cmd_history(Context& ctx) {
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
  if (auto event = ctx.get("event")) {
    if (auto valid = check_event_id(*event); !valid) return valid.error();
    filter.event_id = std::string(*event);
  }
  return Step([filter](Context& ctx) -> Result<int> {
    auto ref = ctx.positional.empty() ? std::nullopt
                                      : std::optional<std::string_view>(ctx.positional[0]);
    auto found = load_history(*ctx.store, ref, filter);
    if (!found) return found.error();
    ctx.output = history_document(*found, ctx.flag("output"));
    return 0;
  });
}

}  // namespace trigger::cmd
