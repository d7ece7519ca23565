// Cron expressions (SPEC §4), as OpenBSD cron's entry.c treats a crontab line: parsed once into
// bit sets plus the "star" flags of the two day fields, so that matching is a pure function of
// the parsed form and a broken-down local time, and finding the next match jumps field by field.
//
// Times here are local civil times counted as seconds since 1970-01-01T00:00:00 on a plain
// proleptic Gregorian calendar (every day 86,400 s). Zones and DST are the caller's business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "trigger/error.h"

namespace trigger {

/// The parsed form of a cron expression: one bit per allowed value, the extensions, and whether
/// each day field starts with '*' (which decides whether the two day fields combine by AND or OR).
struct CronFields {
  std::uint64_t minutes = 0;          ///< bit m: minute m, 0-59
  std::uint64_t hours = 0;            ///< bit h: hour h, 0-23
  std::uint32_t days_of_month = 0;    ///< bit d: day d, 1-31
  std::uint32_t months = 0;           ///< bit m: month m, 1-12
  std::uint32_t days_of_week = 0;     ///< bit w: weekday w, 0-6 from Sunday (7 is stored as 0)
  bool last_day = false;              ///< day-of-month L: the last day of the month
  bool last_workday = false;          ///< day-of-month LW: the last Monday-Friday of the month
  std::uint32_t nearest_workday = 0;  ///< bit n: day-of-month nW, the Monday-Friday nearest day n
  std::uint32_t nth_weekday[7] = {};  ///< bit n of [w]: day-of-week w#n, the n-th weekday w (1-5)
  std::uint32_t last_weekday = 0;     ///< bit w: day-of-week wL, the last weekday w of the month
  bool day_of_month_star = false;     ///< the day-of-month field starts with '*'
  bool day_of_week_star = false;      ///< the day-of-week field starts with '*'
};

/// A parsed, valid cron expression that matches at least one minute in every 400 years.
class CronExpression {
 public:
  /// Parses five fields (minute hour day-of-month month day-of-week) or a macro (@daily...).
  /// Errors are usage errors naming the field, the text and the reason, without an option
  /// prefix: "hour '25' is out of range 0-23". An expression that can never match is refused.
  static Result<CronExpression> parse(std::string_view text);

  /// The expression as written, without surrounding blanks.
  std::string text() const { return text_; }

  /// True when the hour field allows all 24 hours (`*`, `*/1`, `0-23`): SPEC §4's DST rule.
  bool hour_allows_every_hour() const;

  /// The expression in plain words: "at 09:00 on Monday through Friday".
  std::string describe() const;

  /// True when the minute containing `local_seconds` matches. False outside years 1 to 9999.
  bool matches(std::int64_t local_seconds) const;

  /// The first matching minute strictly after `local_seconds`, or nullopt if there is none
  /// before the year 10000. A time before the year 1 gives the first match from the year 1.
  std::optional<std::int64_t> next_local(std::int64_t local_seconds) const;

 private:
  static Result<CronExpression> parse_uncached(std::string_view text);
  CronExpression(std::string text, const CronFields& fields);
  bool ever_matches() const;
  std::uint32_t matching_days(int year, unsigned month) const;

  std::string text_;
  CronFields fields_;
  /// Derived from fields_ once: bit d of [w][n - 28] is set when day d matches in a month of n
  /// days whose 1st falls on weekday w. A month's day matches depend on nothing else.
  std::uint32_t matching_days_[7][4] = {};
};

}  // namespace trigger
