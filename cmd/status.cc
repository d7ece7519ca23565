// trigger status: the health of the queue, for people and for monitoring (exit 1 when
// unhealthy).
#include <iostream>

#include "commands.h"
#include "exit_codes.h"
#include "output.h"

namespace trigger::cmd {
namespace {

constexpr std::int64_t kCronSilenceSeconds = 5 * 60;

std::string plural(std::int64_t count, const char* one, const char* many) {
  return std::to_string(count) + " " + (count == 1 ? one : many);
}

// Each problem as a sentence; none means healthy.
std::vector<std::string> problems_of(const QueueFigures& figures, Epoch now) {
  std::vector<std::string> problems;
  if (figures.due > 0) {
    const auto& pass = figures.last_pass;
    if (!pass) {
      problems.push_back("no pass has ever run while " + plural(figures.due, "event is", "events are") +
                         " due (is cron running 'trigger run-once'?)");
    } else if (now - pass->started_epoch > kCronSilenceSeconds) {
      problems.push_back("no pass for " + format_duration(now - pass->started_epoch) + " while " +
                         plural(figures.due, "event is", "events are") +
                         " due (is cron running 'trigger run-once'?)");
    }
  }
  if (figures.stuck > 0) {
    problems.push_back(plural(figures.stuck, "task is", "tasks are") +
                       " stuck past their lease: the pass running them died (the next pass runs "
                       "them again)");
  }
  if (figures.failed_last_hour > 0) {
    problems.push_back(plural(figures.failed_last_hour, "run", "runs") +
                       " failed in the last hour (see 'trigger history --failed')");
  }
  if (figures.set_aside > 0) {
    problems.push_back(plural(figures.set_aside, "trigger is", "triggers are") +
                       " set aside because its clock failed (see 'trigger history')");
  }
  return problems;
}

}  // namespace

void options_status(Options&) {}

Result<int> cmd_status(Context& ctx) {
  if (auto status = expect_operands(ctx, 0, 0, ""); !status) return status.error();
  QueueFigures figures;
  auto status = ctx.store->transaction([&]() -> Status {
    auto read = ctx.store->queue_figures(ctx.now);
    if (!read) return read.error();
    figures = std::move(*read);
    return Ok{};
  });
  if (!status) return status.error();
  auto problems = problems_of(figures, ctx.now);
  std::optional<std::int64_t> lag;
  if (figures.oldest_due_epoch) lag = ctx.now - *figures.oldest_due_epoch;
  const auto& pass = figures.last_pass;
  nlohmann::ordered_json triggers = nlohmann::ordered_json::object();
  for (const auto& [state, count] : figures.triggers_by_state) triggers[state] = count;
  auto maybe = [](std::optional<std::int64_t> value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
  };
  nlohmann::ordered_json json = {
      {"healthy", problems.empty()},
      {"problems", problems},
      {"pending_changes", figures.pending_changes},
      {"due", figures.due},
      {"oldest_due_lag_seconds", maybe(lag)},
      {"queued", figures.queued},
      {"running", figures.running},
      {"stuck", figures.stuck},
      {"failed_last_hour", figures.failed_last_hour},
      {"set_aside", figures.set_aside},
      {"last_pass_epoch", maybe(pass ? std::optional<std::int64_t>(pass->started_epoch) : std::nullopt)},
      {"last_pass_duration_ms", maybe(pass ? pass->duration_ms : std::nullopt)},
      {"triggers", triggers},
  };
  if (ctx.format == Format::kJson) {
    std::cout << json.dump(2) << "\n";
  } else {
    bool tsv = ctx.format == Format::kTsv;
    for (const auto& [key, value] : json.items()) {
      if (key == "problems" || key == "triggers") continue;
      std::string text = value.is_null() ? (tsv ? "" : "-") : value.dump();
      if (key == "last_pass_epoch" && !value.is_null() && !tsv) {
        text = time_text(value.get<std::int64_t>(), "UTC");
      }
      std::cout << key << (tsv ? "\t" : ":" + std::string(24 - key.size(), ' ')) << text << "\n";
    }
    for (const auto& [state, count] : figures.triggers_by_state) {
      std::string key = "triggers_" + state;
      std::cout << key << (tsv ? "\t" : ":" + std::string(24 - key.size(), ' ')) << count << "\n";
    }
    for (const auto& problem : problems) {
      std::cout << "problem" << (tsv ? "\t" + tsv_field(problem) : ":                 " + problem) << "\n";
    }
  }
  return problems.empty() ? kExitOk : kExitTrouble;
}

}  // namespace trigger::cmd
