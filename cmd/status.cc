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
  // Work is waiting and no pass has come for it: cron is probably not running run-once.
  std::vector<std::string> waiting;
  if (figures.due > 0) waiting.push_back(plural(figures.due, "event is", "events are") + " due");
  if (figures.pending_changes > 0) {
    waiting.push_back(plural(figures.pending_changes, "change waits", "changes wait") +
                      " to be scheduled");
  }
  if (figures.queued > 0)
    waiting.push_back(plural(figures.queued, "run is", "runs are") + " queued");
  std::string what;
  for (std::size_t i = 0; i < waiting.size(); ++i) {
    what += (i == 0 ? "" : i + 1 == waiting.size() ? " and " : ", ") + waiting[i];
  }
  const auto& pass = figures.last_pass;
  if (!waiting.empty() && pass && now - pass->started_epoch > kCronSilenceSeconds) {
    problems.push_back("no pass for " + format_duration(now - pass->started_epoch) + " while " +
                       what + " (is cron running 'trigger run-once'?)");
  } else if (!waiting.empty() && !pass && figures.oldest_pending_epoch &&
             now - *figures.oldest_pending_epoch > kCronSilenceSeconds) {
    problems.push_back("no pass has ever run, and the first change was made " +
                       format_duration(now - *figures.oldest_pending_epoch) + " ago: " + what +
                       " (is cron running 'trigger run-once'?)");
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
    // Its clock failed or its row cannot be read: the history record says which.
    problems.push_back(plural(figures.set_aside, "trigger is", "triggers are") +
                       " set aside by the pass (see 'trigger history --failed' for why)");
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
      {"last_pass_epoch",
       maybe(pass ? std::optional<std::int64_t>(pass->started_epoch) : std::nullopt)},
      {"last_pass_duration_ms", maybe(pass ? pass->duration_ms : std::nullopt)},
      {"last_pass_clock_jump_seconds",
       maybe(pass ? std::optional<std::int64_t>(pass->clock_jump_seconds) : std::nullopt)},
      {"triggers", triggers},
  };
  if (ctx.format == Format::kJson) {
    std::cout << json.dump(2) << "\n";
  } else {
    bool tsv = ctx.format == Format::kTsv;
    for (const auto& [key, value] : json.items()) {
      if (key == "problems" || key == "triggers") continue;
      std::string text = value.is_null() ? (tsv ? "" : "-") : value.dump();
      std::string name = key;
      if (key == "last_pass_epoch" && !tsv) {  // a time for people, the epoch for scripts
        name = "last_pass";
        if (!value.is_null()) text = time_text(value.get<std::int64_t>(), "UTC");
      }
      std::cout << name << (tsv ? "\t" : ":" + std::string(30 - name.size(), ' ')) << text << "\n";
    }
    for (const auto& [state, count] : figures.triggers_by_state) {
      std::string key = "triggers_" + state;
      std::cout << key << (tsv ? "\t" : ":" + std::string(30 - key.size(), ' ')) << count << "\n";
    }
    for (const auto& problem : problems) {
      std::cout << "problem"
                << (tsv ? "\t" + tsv_field(problem) : ":" + std::string(23, ' ') + problem) << "\n";
    }
  }
  return problems.empty() ? kExitOk : kExitTrouble;
}

}  // namespace trigger::cmd
