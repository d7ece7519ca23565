// libFuzzer target: the cron expression parser (--cron), and next-time computation on what it
// accepts.
// Built with -Dfuzz=true and clang (see meson_options.txt); run by tools/setup.sh test.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cron.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cron = trigger::CronExpression::parse(text);
  if (!cron) {
    if (cron.error().message().empty()) __builtin_trap();  // every refusal says why
    return 0;
  }
  // Accepted expressions always match again, strictly later, and the match matches.
  std::int64_t local = 1796112000;  // 2026-12-01T08:00:00
  for (int i = 0; i < 4; ++i) {
    auto next = cron->next_local(local);
    if (!next) break;
    if (*next <= local || !cron->matches(*next)) __builtin_trap();
    local = *next;
  }
  (void)cron->describe();
  // The stored text reads back to the same expression.
  auto again = trigger::CronExpression::parse(cron->text());
  if (!again || again->text() != cron->text() || again->describe() != cron->describe()) {
    __builtin_trap();
  }
  return 0;
}
