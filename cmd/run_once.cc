// trigger run-once: one pass — schedule what changed, fire what is due, run what is queued.
#include <cstdlib>
#include <iostream>
#include <memory>

#include "commands.h"
#include "exit_codes.h"
#include "output.h"
#include "trigger/pass.h"
#include "trigger/syslog.h"

namespace trigger::cmd {
namespace {

Result<std::size_t> jobs_from(const Context& ctx) {
  auto text = ctx.get("jobs");
  if (!text) return static_cast<std::size_t>(4);
  auto jobs = parse_whole_number("jobs", *text, 1, 256);
  if (!jobs) return jobs.error();
  return static_cast<std::size_t>(*jobs);
}

// The syslog sink of a pass, or null: none for --no-syslog, TRIGGER_SYSLOG=0 or a dry run.
// TRIGGER_SYSLOG_SOCKET names the socket (default /dev/log).
std::unique_ptr<LogSink> syslog_for(const Context& ctx, bool dry_run) {
  const char* enabled = std::getenv("TRIGGER_SYSLOG");
  if (dry_run || ctx.flag("no-syslog") || (enabled != nullptr && std::string(enabled) == "0"))
    return nullptr;
  const char* socket = std::getenv("TRIGGER_SYSLOG_SOCKET");
  return std::make_unique<SyslogSink>(
      *ctx.env, socket != nullptr && socket[0] != '\0' ? socket : kDefaultSyslogSocket);
}

// The one-line summaries of the failures, as --format json lists them.
std::vector<std::string> summaries(const std::vector<Failure>& failures) {
  std::vector<std::string> lines;
  for (const auto& failure : failures) lines.push_back(failure.summary);
  return lines;
}

}  // namespace

void options_run_once(Options& options) {
  options.named.add_options()("max-time", po::value<std::string>()->value_name("DURATION"),
                              "stop leasing new work after DURATION (default 50s)")(
      "jobs", po::value<std::string>()->value_name("N"),
      "run up to N commands at once (default 4)")(
      "linger", "stay within --max-time and fire events at their second")(
      "dry-run", "print what would fire and run; change nothing")("no-syslog",
                                                                  "send no lines to syslog");
}

namespace {

// The pass; its options are checked before it opens the database.
Result<int> run_once(Context& ctx) {
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
  std::unique_ptr<LogSink> log = syslog_for(ctx, options.dry_run);
  options.log = log.get();
  auto opened =
      open_store(ctx, options.dry_run ? Store::Mode::kPrivateCopy : Store::Mode::kReadWrite);
  if (!opened) {
    if (log) log->log(Severity::kErr, "pass failed: " + opened.error().message());
    return opened.error();
  }
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
                     {"failures", summaries(report->failures)}};
  // Each with its host, time and last output lines: cron mails this alone.
  for (const auto& failure : report->failures)
    std::cerr << "trigger: " << failure_report(failure) << "\n";
  // Out of descriptors or processes: the runs stay queued for the next pass; one line says so.
  if (!report->start_trouble.empty()) std::cerr << "trigger: " << report->start_trouble << "\n";
  return report->failures.empty() && report->start_trouble.empty() ? kExitOk : kExitTrouble;
}

}  // namespace

// It opens the database itself (a dry run opens a private copy), once its options are valid.
Result<Step> cmd_run_once(Context&) { return Step(run_once); }

}  // namespace trigger::cmd
