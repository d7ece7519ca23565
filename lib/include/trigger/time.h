// Time: epochs, the input grammar for times and durations (trigger-clock(7)), IANA zones
// through date/tz, RFC 3339 output. The time now is read through an Env (trigger/env.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "trigger/error.h"

namespace date {
class time_zone;
}

namespace trigger {

struct ZoneTail;

/// Seconds since 1970-01-01T00:00:00Z, leap seconds ignored.
using Epoch = std::int64_t;

/// An IANA time zone from the system tz database. Cheap to copy. Past the last transition its
/// zone file lists, the file's POSIX TZ rule gives the offsets (New York keeps changing to
/// daylight saving after 2037).
class Zone {
 public:
  /// The zone named `name` (e.g. "Europe/Berlin", "UTC"). kUsage naming it if unknown.
  /// "localtime" is resolved to the zone /etc/localtime links to (see locate_link()), so that
  /// a zone's meaning never changes with the system's.
  static Result<Zone> locate(std::string_view name);
  /// The zone the symbolic link `path` points to, named by what follows "zoneinfo/" in its
  /// target (/etc/localtime -> /usr/share/zoneinfo/Europe/Berlin: "Europe/Berlin"), following
  /// links that point elsewhere first. kUsage naming the path if it is no such link.
  static Result<Zone> locate_link(const std::string& path);
  /// TZ if set, else the system zone (/etc/localtime), else UTC, resolved to a name: TZ may be
  /// a name, ":name", a path under a zoneinfo directory, or a link to one (":/etc/localtime").
  /// kUsage if TZ names no known zone.
  static Result<Zone> system_default();
  /// UTC, without loading the tz database.
  static Zone utc();

  const std::string& name() const { return name_; }
  /// Offset from UTC in seconds at `epoch`.
  std::int64_t offset_at(Epoch epoch) const;
  /// The instant of local time `local_seconds` (seconds since the local epoch). A time that
  /// occurs twice gives the first; a time in a gap gives nullopt.
  std::optional<Epoch> from_local(std::int64_t local_seconds) const;

  /// How a local time maps to instants: once, twice (a repeated hour: `first` and `second`),
  /// or not at all (a gap: `first` is the first instant after it).
  struct LocalInstants {
    enum Kind { kUnique, kRepeated, kGap } kind = kUnique;
    Epoch first = 0;
    Epoch second = 0;
  };
  LocalInstants resolve_local(std::int64_t local_seconds) const;

  /// The span of instants around `epoch` with one offset: [begin, end) and the offset.
  struct OffsetSpan {
    Epoch begin = 0;
    Epoch end = 0;
    std::int64_t offset = 0;
  };
  OffsetSpan span_at(Epoch epoch) const;

  /// The instants of local time `local`, given three consecutive spans (before, around and
  /// after some instant): nullopt if they lie outside those spans.
  static std::optional<LocalInstants> resolve_in_spans(const OffsetSpan (&spans)[3],
                                                       std::int64_t local);

  /// Whether this is UTC (no offsets, no transitions: times need no zone arithmetic).
  bool is_utc() const { return zone_ == nullptr; }

 private:
  Zone(std::string name, const date::time_zone* zone);
  bool in_tail(Epoch epoch) const;
  LocalInstants resolve_by_spans(std::int64_t local_seconds) const;
  std::string name_;
  const date::time_zone* zone_;  // nullptr means UTC
  const ZoneTail* tail_;         // the rule past the last transition; nullptr if none changes
};

/// Parse a duration: an integer number of seconds or units s, m/min, h, d, w combined
/// ("1h30m"). kUsage naming the text if empty, zero, negative, overflowing or garbage.
Result<std::int64_t> parse_duration(std::string_view text);

/// The shortest canonical spelling of a positive duration: 5400 -> "1h30m", 86400 -> "1d".
std::string format_duration(std::int64_t seconds);

/// Parse a time: now, @EPOCH, RFC 3339, a local date-time or date read in `zone`,
/// +DURATION, -DURATION, now+DURATION, now-DURATION. kUsage naming the text on any fault,
/// including a local time that does not exist in `zone` (a DST gap).
Result<Epoch> parse_time(std::string_view text, Epoch now, const Zone& zone);

/// RFC 3339 with the zone's offset at that instant, "Z" for UTC: 2026-12-01T09:00:00+01:00.
/// In UTC where the zone's form would not read back: an offset with seconds (local mean time)
/// or a local date after 9999-12-31.
std::string format_rfc3339(Epoch epoch, const Zone& zone);

}  // namespace trigger
