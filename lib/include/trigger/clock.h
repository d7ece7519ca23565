// Clocks: when a trigger fires. Each clock is a fixed set of fire times that does not depend on
// when anyone asks (SPEC §4, trigger-clock(7)). Adding a clock: a class in lib/clock_*.cc, a
// kind in ClockKind, its case in make_clock() and in parse_clock_text().
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "trigger/error.h"
#include "trigger/time.h"

namespace trigger {

enum class ClockKind { kAt, kEvery, kCron, kDaily, kMonthly, kNever };

/// How calendar clocks treat daylight-saving changes (--dst, trigger-clock(7)):
/// kAuto is cronie's rule (an expression whose hour field allows every hour fires at every real
/// matching instant; any other is fixed-time), kOnce makes every clock fixed-time (a local time
/// in a gap fires once at the end of the gap, a repeated one at its first occurrence), kLiteral
/// fires only at real instants whose local time matches (nothing in a gap, twice in a repeat).
enum class DstRule { kAuto, kOnce, kLiteral };

/// A clock as the user wrote it, before validation: the kind, its option value and, for
/// --every, the optional --from value; and the DST rule for calendar clocks.
struct ClockSpec {
  ClockKind kind = ClockKind::kNever;
  std::string value;
  std::optional<std::string> from;
  DstRule dst = DstRule::kAuto;
};

/// A validated clock, immutable.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual ClockKind kind() const = 0;
  /// The first fire time strictly after `after`, or nullopt when the clock has none.
  virtual std::optional<Epoch> first_after(Epoch after) const = 0;
  /// The clock in canonical option form, which parse_clock_text() and make_clock() read back
  /// to the same clock: "--at 2026-12-01T09:00:00+01:00", "--every 1h30m --from ...".
  virtual std::string text() const = 0;
  /// The clock in plain words: "every 1h30m from 2026-12-01T09:00:00+01:00".
  virtual std::string describe() const = 0;
  /// Why fire time `epoch` (one of this clock's) is where it is, when anything moved it: a
  /// daylight-saving gap or repeated hour, a month-end clamp. "" when nothing did.
  virtual std::string explain(Epoch epoch) const {
    (void)epoch;
    return "";
  }
};

/// Validate `spec` and build its clock. `set_epoch` is the moment the clock is set (create or
/// schedule): relative times are read against it and --every without --from is anchored on it.
/// Times are read and shown in `zone`. kUsage naming the option and the bad text on any fault.
Result<std::unique_ptr<const Clock>> make_clock(const ClockSpec& spec, Epoch set_epoch,
                                                const Zone& zone);

/// Split canonical clock text (Clock::text(), or the `clock` field of an export line) into a
/// spec. kUsage naming the text if it is not a clock.
Result<ClockSpec> parse_clock_text(std::string_view text);

/// The seed's next(last, is_reschedule): the first fire time strictly after both `last_event`
/// (if any) and `clock_set_epoch`, or nullopt when the clock has no more. When `is_reschedule`
/// the result must lie strictly after `last_event`; a clock that does not move forward is a
/// kInternal error for that trigger alone.
Result<std::optional<Epoch>> next_event(const Clock& clock, std::optional<Epoch> last_event,
                                        Epoch clock_set_epoch, bool is_reschedule);

}  // namespace trigger
