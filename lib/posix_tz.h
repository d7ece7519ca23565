// The POSIX TZ rule that ends a zone file (RFC 8536 §3.3, the "footer" of a TZif v2+ file):
// the offsets of the zone past its last listed transition, "EST5EDT,M3.2.0,M11.1.0".
//
// Boost.DateTime's posix_time_zone reads only the POSIX subset of this text: it refuses the
// quoted names (<+0330>) and the transition times outside 0-24 h (M3.4.4/26, M3.5.0/-1) that
// 46 of the 95 footers in tzdata 2025b use, and reads offsets east-positive. This reads all
// of RFC 8536's form.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "trigger/time.h"

namespace trigger {

/// A POSIX TZ rule: a standard offset, and optionally a daylight-saving offset with the two
/// yearly changes between them. Offsets are seconds east of UTC (the opposite of TZ's sign).
class PosixRule {
 public:
  /// The rule `text` spells, or nullopt if it is not one. A rule that names a daylight-saving
  /// time must give its changes (the footers always do; POSIX leaves the default open).
  static std::optional<PosixRule> parse(std::string_view text);

  /// Whether the offset ever changes.
  bool has_dst() const { return has_dst_; }

  /// The span of one offset around `epoch` (for a rule without daylight saving, all of time).
  Zone::OffsetSpan span_at(Epoch epoch) const;

  /// One yearly change: a day rule and a time of day (local time before the change, which may
  /// be negative or past 24 h).
  struct Change {
    enum Kind { kJulianNoLeap, kZeroBasedDay, kMonthWeekDay } kind = kMonthWeekDay;
    int day = 0;      ///< Jn: 1-365; n: 0-365
    int month = 1;    ///< Mm.w.d: 1-12
    int week = 1;     ///< 1-5 (5: the last)
    int weekday = 0;  ///< 0-6 from Sunday
    std::int64_t time = 7200;
  };

 private:
  // span_at() where the year's changes are not one each way (both at one instant, or moved
  // into another year).
  Zone::OffsetSpan span_of_changes(Epoch epoch, int year) const;
  // The instant `change` happens in `year`, local time read with `offset_before`.
  static Epoch instant(const Change& change, int year, std::int64_t offset_before);

  std::int64_t std_offset_ = 0;
  std::int64_t dst_offset_ = 0;
  bool has_dst_ = false;
  Change start_;  // into daylight-saving time
  Change end_;    // back to standard time
};

}  // namespace trigger
