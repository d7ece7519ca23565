// libFuzzer target: the time parser (--at, --from, --until, --now), input "TIME[\nZONE]" with
// the zone Europe/Berlin unless given.
#include "fuzz.h"
#include "trigger/time.h"

using trigger::fuzz::kNow;
using trigger::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto lines = trigger::fuzz::input_lines(data, size, 2);
  const std::string& text = lines[0];
  auto zone = trigger::Zone::locate(lines.size() > 1 ? lines[1] : "Europe/Berlin");
  if (!zone) return 0;
  auto epoch = trigger::parse_time(text, kNow, *zone);
  if (!epoch) {
    require(epoch.error().message().find(trigger::one_line("'" + text + "'")) != std::string::npos,
            "refusal names the time", text);
    require(epoch.error().message().find('\n') == std::string::npos, "refusal is one line", text);
    return 0;
  }
  require(*epoch >= 0 && *epoch <= 253402300799, "accepted time in range", text);
  // What is accepted prints and reads back to the same instant, in its zone and in UTC, and
  // as @EPOCH.
  std::string printed = trigger::format_rfc3339(*epoch, *zone);
  auto again = trigger::parse_time(printed, 0, *zone);
  require(again && *again == *epoch, "RFC 3339 in the zone reads back", printed);
  std::string in_utc = trigger::format_rfc3339(*epoch, trigger::Zone::utc());
  again = trigger::parse_time(in_utc, 0, *zone);
  require(again && *again == *epoch, "RFC 3339 in UTC reads back", in_utc);
  again = trigger::parse_time("@" + std::to_string(*epoch), 0, *zone);
  require(again && *again == *epoch, "@EPOCH reads back", text);
  return 0;
}
