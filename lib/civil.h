// Civil-time arithmetic shared inside lib/ (not public): the units of a day, the last instant
// trigger supports, and division that rounds toward negative infinity, so that times before
// 1970 (negative seconds) fall on the day they belong to.
#pragma once

#include <cstdint>

namespace trigger {

inline constexpr std::int64_t kSecondsPerMinute = 60;
inline constexpr std::int64_t kSecondsPerHour = 3600;
inline constexpr std::int64_t kSecondsPerDay = 86400;

/// The last supported second, 9999-12-31T23:59:59, as an instant (UTC) or as local seconds:
/// parse_time() reads four-digit years, so no clock fires and no time is shown after it.
inline constexpr std::int64_t kLastSecond = 253402300799;

/// `value / divisor` rounded toward negative infinity (-1 / 86400 is -1, not 0). `divisor` > 0.
constexpr std::int64_t floor_div(std::int64_t value, std::int64_t divisor) {
  std::int64_t quotient = value / divisor;
  return quotient * divisor > value ? quotient - 1 : quotient;
}

/// The day (days since 1970-01-01) that seconds `seconds` since 1970-01-01T00:00 fall in.
constexpr std::int64_t day_of(std::int64_t seconds) { return floor_div(seconds, kSecondsPerDay); }

/// The second of its day, 0 to 86399, of `seconds` since 1970-01-01T00:00.
constexpr std::int64_t second_of_day(std::int64_t seconds) {
  return seconds - day_of(seconds) * kSecondsPerDay;
}

static_assert(floor_div(-1, kSecondsPerDay) == -1 &&
              floor_div(-kSecondsPerDay, kSecondsPerDay) == -1);
static_assert(second_of_day(-1) == kSecondsPerDay - 1 && second_of_day(kSecondsPerDay) == 0);

}  // namespace trigger
