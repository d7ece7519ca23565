// libFuzzer target: the duration parser (--every, --grace, --timeout, +DURATION ...).
// Built with -Dfuzz=true and clang (see meson_options.txt); run by tools/setup.sh test.
#include "fuzz.h"
#include "trigger/time.h"

using trigger::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto seconds = trigger::parse_duration(text);
  if (!seconds) {
    // A refusal names the text it refuses.
    require(seconds.error().message().find(trigger::one_line("'" + text + "'")) != std::string::npos,
            "refusal names the duration", text);
    return 0;
  }
  require(*seconds > 0, "an accepted duration is positive", text);
  // The canonical spelling reads back to the same length and is its own canonical spelling.
  std::string canonical = trigger::format_duration(*seconds);
  auto again = trigger::parse_duration(canonical);
  require(again && *again == *seconds, "canonical spelling reads back", canonical);
  require(trigger::format_duration(*again) == canonical, "canonical spelling is stable", canonical);
  // As a relative time it moves "now" by exactly that much (when the result is in range).
  auto zone = trigger::Zone::utc();
  auto later = trigger::parse_time("now+" + text, trigger::fuzz::kNow, zone);
  require(!later || *later == trigger::fuzz::kNow + *seconds, "now+DURATION", text);
  auto earlier = trigger::parse_time("-" + text, trigger::fuzz::kNow, zone);
  require(!earlier || *earlier == trigger::fuzz::kNow - *seconds, "-DURATION", text);
  require(earlier.ok() == (*seconds <= trigger::fuzz::kNow), "-DURATION in range", text);
  return 0;
}
