// libFuzzer target: the time, duration and zone parsers, and the clock-text reader.
#include <cstddef>
#include <cstdint>
#include <string>

#include "trigger/clock.h"
#include "trigger/time.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto zone = trigger::Zone::locate("Europe/Berlin");
  if (!zone) return 0;
  if (auto epoch = trigger::parse_time(text, 1796112000, *zone)) {
    // What is accepted prints and reads back to the same instant.
    auto again = trigger::parse_time(trigger::format_rfc3339(*epoch, *zone), 0, *zone);
    if (!again || *again != *epoch) __builtin_trap();
  }
  if (auto seconds = trigger::parse_duration(text)) {
    auto again = trigger::parse_duration(trigger::format_duration(*seconds));
    if (!again || *again != *seconds) __builtin_trap();
  }
  (void)trigger::Zone::locate(text);
  if (auto spec = trigger::parse_clock_text(text)) {
    (void)trigger::make_clock(*spec, 1796112000, *zone);
  }
  return 0;
}
