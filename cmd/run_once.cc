// trigger run-once: one pass — schedule what changed, fire what is due, run what is queued.
#include <iostream>

#include "commands.h"
#include "exit_codes.h"
#include "output.h"
#include "trigger/pass.h"

namespace trigger::cmd {
namespace {

Result<std::size_t> jobs_from(const Context& ctx) {
  auto text = ctx.get("jobs");
  if (!text) return static_cast<std::size_t>(4);
  auto jobs = parse_whole_number("jobs", *text, 1, 256);
  if (!jobs) return jobs.error();
  return static_cast<std::size_t>(*jobs);
}

}  // namespace

void options_run_once(Options& options) {
  options.named.add_options()("max-time", po::value<std::string>()->value_name("DURATION"),
                              "stop leasing new work after DURATION (default 50s)")(
      "jobs", po::value<std::string>()->value_name("N"),
      "run up to N commands at once (default 4)")(
      "linger", "stay within --max-time and fire events at their second")(
      "dry-run", "print what would fire and run; change nothing");
}

Result<int> cmd_run_once(Context& ctx) {
  if (auto status = expect_operands(ctx, 0, 0, ""); !status) return status.error();
  PassOptions options;
  options.env = ctx.env;
  auto jobs = jobs_from(ctx);
  if (!jobs) return jobs.error();
  options.jobs = *jobs;
  if (auto max_time = ctx.get("max-time"); max_time && *max_time == "0") {
    options.max_time_seconds = 0;  // schedule and fire only
  } else if (max_time) {
    auto seconds = parse_duration(*max_time);
    if (!seconds) return usage_error("--max-time: " + seconds.error().message());
    options.max_time_seconds = *seconds;
  }
  options.linger = ctx.flag("linger");
  options.dry_run = ctx.flag("dry-run");
  if (options.dry_run) {
    options.narrate = [](const std::string& line) { std::cout << line << "\n"; };
  } else if (ctx.verbose) {
    options.narrate = [](const std::string& line) { std::cerr << "trigger: " << line << "\n"; };
  }
  // A dry run changes nothing and needs no write access: it rehearses on a private copy in
  // memory (migrated there if the file is older), and creates no missing database.
  auto opened =
      open_store(ctx, options.dry_run ? Store::Mode::kPrivateCopy : Store::Mode::kReadWrite);
  if (!opened) return opened.error();
  auto report = run_pass(*ctx.store, options);
  if (!report) return report.error();
  // The table prints nothing: cron mails whatever a pass prints.
  ctx.output.data = {{"scheduled", report->scheduled},
                     {"fired", report->fired},
                     {"skipped", report->skipped},
                     {"coalesced", report->coalesced},
                     {"set_aside", report->set_aside},
                     {"ran", report->ran},
                     {"retried", report->retried},
                     {"interrupted", report->interrupted},
                     {"deferred", report->deferred},
                     {"failed", report->failed},
                     {"clock_jump_seconds", report->clock_jump_seconds},
                     {"failures", report->failures}};
  for (const auto& failure : report->failures) std::cerr << "trigger: " << failure << "\n";
  // Out of descriptors or processes: the runs stay queued for the next pass; one line says so.
  if (!report->start_trouble.empty()) std::cerr << "trigger: " << report->start_trouble << "\n";
  return report->failures.empty() && report->start_trouble.empty() ? kExitOk : kExitTrouble;
}

}  // namespace trigger::cmd
