// Clocks: when a trigger fires. Each clock is a fixed set of fire times that does not depend on
// when anyone asks (SPEC §4, trigger-clock(7)). Adding a kind of clock: its class, its value in
// ClockKind, its row in clock_kinds() (lib/clock.cc), its tests (lib/README.md has the list).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trigger/error.h"
#include "trigger/time.h"

namespace trigger {

enum class ClockKind { kAt, kEvery, kCron, kDaily, kMonthly, kBoot, kNever };

/// How calendar clocks treat daylight-saving changes (--dst, trigger-clock(7)):
/// kAuto is cronie's rule (an expression whose hour field allows every hour fires at every real
/// matching instant; any other is fixed-time), kOnce makes every clock fixed-time (a local time
/// in a gap fires once at the end of the gap, a repeated one at its first occurrence), kLiteral
/// fires only at real instants whose local time matches (nothing in a gap, twice in a repeat).
enum class DstRule { kAuto, kOnce, kLiteral };

/// A clock as the user wrote it, before validation: the kind, its option value and, for
/// --every, the optional --from value, for --on-boot the optional --delay value; and the DST
/// rule for calendar clocks.
struct ClockSpec {
  ClockKind kind = ClockKind::kNever;
  std::string value;
  std::optional<std::string> from;
  DstRule dst = DstRule::kAuto;
  std::optional<std::string> delay = std::nullopt;
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
  /// For the boot clock (--on-boot), whose one fire time per boot of the machine is not known
  /// ahead (first_after() has none): how long after the boot it falls. nullopt for the others.
  virtual std::optional<std::int64_t> boot_delay() const { return std::nullopt; }
};

/// Builds the clock of one kind, as make_clock() does.
using ClockFactory = Result<std::unique_ptr<const Clock>> (*)(const ClockSpec& spec,
                                                              Epoch set_epoch, const Zone& zone);

/// One kind of clock as every part of trigger sees it. The factory (make_clock()), the
/// clock-text parser (parse_clock_text()), the command-line options and the clock cache all
/// read these rows and nothing else, so a new kind is its class, its row and its tests.
struct ClockKindInfo {
  ClockKind kind;
  const char* name;        ///< the option without its dashes: "every" is --every
  const char* value_name;  ///< what the option takes, in --help ("DURATION"); nullptr: no value
  const char* help;        ///< the option's line in --help
  bool takes_from;         ///< an optional "--from TIME" may follow the value (--every)
  bool takes_delay;        ///< an optional "--delay DURATION" may follow (--on-boot)
  /// Whether clocks of this kind with the same text can differ by the moment they were set
  /// (make_clock()'s `set_epoch`: relative --at times, --every's phase without --from), so that
  /// ClockCache must tell them apart by clock_set_epoch. A calendar clock's text says it all.
  bool reads_set_epoch;
  /// Whether the value is a time whose wall-clock reading the clock keeps when `trigger
  /// schedule --tz` moves it to another zone (--monthly's anchor). Other kinds keep their
  /// instants (--at, --every) or hold no time of their own (--cron, --daily).
  bool keeps_wall_clock_in_new_zone;
  ClockFactory make;

  /// "--every"
  std::string option() const { return std::string("--") + name; }
  /// Whether `word` is the option, "--every".
  bool is_option(std::string_view word) const {
    return word.size() > 2 && word.substr(0, 2) == "--" && word.substr(2) == name;
  }
};

/// Every kind of clock, one row each, in the order --help and messages list them.
const std::vector<ClockKindInfo>& clock_kinds();

/// The row of `kind`; nullptr only for a value that is no ClockKind.
const ClockKindInfo* clock_kind(ClockKind kind);

/// The row of the kind whose option starts clock text `text` ("--every 1h --from ..."), or
/// nullptr. Cheaper than parse_clock_text(), for code that needs only the kind.
const ClockKindInfo* clock_kind_of_text(std::string_view text);

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
