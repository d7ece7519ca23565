// trigger help: show a command's manual page (compiled into the binary, so it always matches).
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include "commands.h"
#include "trigger/manual.h"

namespace trigger::cmd {
namespace {

// Pipe the page source into a formatter; true if it ran and succeeded.
bool format_with(const char* command, const char* page) {
  std::fflush(stdout);
  FILE* pipe = popen(command, "w");
  if (pipe == nullptr) return false;
  auto previous = std::signal(SIGPIPE, SIG_IGN);
  std::fputs(page, pipe);
  int status = pclose(pipe);
  std::signal(SIGPIPE, previous);
  return status == 0;
}

}  // namespace

void options_help(Options&) {}

namespace {

Result<int> help_page(Context& ctx) {
  if (auto status = expect_operands(ctx, 0, 1, ""); !status) return status.error();
  if (ctx.positional.empty()) {
    std::cout << general_usage();
    return 0;
  }
  const std::string& topic = ctx.positional[0];
  std::string file_name;
  const Command* command = find_command(topic);
  if (topic == "trigger") {
    file_name = "trigger.1";
  } else if (topic == "clock") {
    file_name = "trigger-clock.7";
  } else if (topic == "operations") {
    file_name = "trigger-operations.7";
  } else if (topic == "cron") {
    file_name = "trigger-cron.7";
  } else if (command != nullptr) {
    file_name = "trigger-" + topic + ".1";
  } else {
    return usage_error("no help for '" + topic + "'" + suggestion_note(topic));
  }
  const char* page = manual_page(file_name);
  if (page == nullptr)
    return Error(ErrorKind::kInternal, "manual page " + file_name + " is missing");
  // man-db where installed (it pages on a terminal), else mandoc, else the short help.
  if (format_with("man -l - 2>/dev/null", page)) return 0;
  if (format_with("mandoc -a 2>/dev/null", page)) return 0;
  if (command != nullptr) {
    std::cout << command_help(*command);
    return 0;
  }
  return Error(ErrorKind::kInternal,
               "cannot format manual page " + file_name + ": install man-db or mandoc");
}

}  // namespace

// It needs no database: the step is the whole command.
Result<Step> cmd_help(Context&) { return Step(help_page); }

}  // namespace trigger::cmd
