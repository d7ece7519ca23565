// trigger list: triggers with their next and last times.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

#include "commands.h"
#include "options.h"
#include "output.h"
#include "trigger/catalog.h"

namespace trigger::cmd {
namespace {

constexpr std::size_t kDefaultWidth = 80;

// The width of the terminal on standard output: its window size, else $COLUMNS, else 80.
std::size_t terminal_width() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  if (const char* columns = std::getenv("COLUMNS"); columns != nullptr) {
    char* end = nullptr;
    long value = std::strtol(columns, &end, 10);
    if (end != columns && *end == '\0' && value > 0) return static_cast<std::size_t>(value);
  }
  return kDefaultWidth;
}

// The zone people see times in: --utc, --local (TZ, else the system's), else none (each
// trigger's own).
Result<std::optional<std::string>> people_zone(const Context& ctx) {
  if (ctx.flag("utc") && ctx.flag("local")) return usage_error("give --utc or --local, not both");
  if (ctx.flag("utc")) return std::optional<std::string>("UTC");
  if (!ctx.flag("local")) return std::optional<std::string>();
  auto zone = Zone::system_default();
  if (!zone) return zone.error();
  return std::optional<std::string>(zone->name());
}

}  // namespace

void options_list(Options& options) {
  options.named.add_options()("all", "include cancelled and done triggers");
  add_filter_options(options);
  options.named.add_options()("utc", "show times in UTC")(
      "local", "show times in the local zone (TZ, else the system's)")(
      "wide", "on a terminal, do not cut ACTION and DESCRIPTION to its width");
}

Result<Step> cmd_list(Context& ctx) {
  if (auto status = expect_operands(ctx, 0, 0, ""); !status) return status.error();
  auto filter = filter_from(ctx);
  if (!filter) return filter.error();
  auto zone = people_zone(ctx);
  if (!zone) return zone.error();
  bool fit = !ctx.flag("wide") && isatty(STDOUT_FILENO);
  return Step([filter = *filter, zone = *zone, fit](Context& ctx) -> Result<int> {
    auto triggers = load_triggers(*ctx.store, filter);
    if (!triggers) return triggers.error();
    ctx.output = triggers_document(*triggers, {ctx.now, zone});
    if (fit) ctx.output.fit_width(terminal_width());
    return 0;
  });
}

}  // namespace trigger::cmd
