#include "cron.h"

#include <date/date.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using trigger::CronExpression;

namespace {

constexpr std::int64_t kMinute = 60;
constexpr std::int64_t kDay = 86400;

// "YYYY-MM-DD HH:MM[:SS]" as local seconds on the plain Gregorian calendar.
std::int64_t local(const char* text) {
  int year = 0;
  unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int read = std::sscanf(text, "%d-%u-%u %u:%u:%u", &year, &month, &day, &hour, &minute, &second);
  REQUIRE(read >= 5);
  date::sys_days date{date::year{year} / date::month{month} / date::day{day}};
  return std::int64_t{date.time_since_epoch().count()} * kDay + hour * 3600 + minute * 60 + second;
}

std::string format_local(std::optional<std::int64_t> seconds) {
  if (!seconds) return "none";
  return date::format("%Y-%m-%d %H:%M", date::sys_seconds{std::chrono::seconds{*seconds}});
}

CronExpression cron(const std::string& text) {
  auto parsed = CronExpression::parse(text);
  INFO(text << ": " << (parsed.ok() ? "" : parsed.error().message()));
  REQUIRE(parsed.ok());
  return *parsed;
}

// The first `count` matches after `from`, formatted.
std::vector<std::string> next_times(const CronExpression& expression, std::int64_t from,
                                    int count) {
  std::vector<std::string> times;
  std::optional<std::int64_t> at = from;
  for (int i = 0; i < count && at; ++i) {
    at = expression.next_local(*at);
    times.push_back(format_local(at));
  }
  return times;
}

struct NextCase {
  const char* expression;
  const char* from;
  const char* next;  // "none" for no match before the year 10000
};

void check_next(const NextCase* begin, const NextCase* end) {
  for (const NextCase* c = begin; c != end; ++c) {
    INFO(c->expression << " after " << c->from);
    CHECK(format_local(cron(c->expression).next_local(local(c->from))) == c->next);
  }
}

}  // namespace

TEST_CASE("next_local is the first matching minute strictly after the time", "[cron]") {
  const NextCase cases[] = {
      {"* * * * *", "2026-01-01 00:00", "2026-01-01 00:01"},
      {"* * * * *", "2026-01-01 00:00:59", "2026-01-01 00:01"},
      {"30 9 * * *", "2026-01-01 09:29:59", "2026-01-01 09:30"},
      {"30 9 * * *", "2026-01-01 09:30", "2026-01-02 09:30"},
      {"30 9 * * *", "2026-01-01 09:30:30", "2026-01-02 09:30"},
      {"*/5 * * * *", "2026-01-01 00:03:30", "2026-01-01 00:05"},
      {"*/5 * * * *", "2026-01-01 23:55", "2026-01-02 00:00"},
      {"0 9 * * 1-5", "2026-01-02 09:00", "2026-01-05 09:00"},  // Friday to Monday
      {"0 9 * * 1-5", "2026-01-05 08:59", "2026-01-05 09:00"},
      {"10/20 * * * *", "2026-01-01 00:30", "2026-01-01 00:50"},
      {"0 8-10/2 * * *", "2026-01-01 08:00", "2026-01-01 10:00"},
      {"0 8-10/2 * * *", "2026-01-01 10:00", "2026-01-02 08:00"},
      {"0 12 * * *", "1900-03-01 00:00", "1900-03-01 12:00"},  // before 1970
      {"0 0 1 1 *", "1969-12-31 12:00", "1970-01-01 00:00"},
  };
  check_next(std::begin(cases), std::end(cases));
}

TEST_CASE("next_local crosses month ends, year ends and leap days", "[cron]") {
  const NextCase cases[] = {
      {"0 0 * * *", "2026-01-31 00:00", "2026-02-01 00:00"},
      {"30 23 31 * *", "2026-01-31 23:30", "2026-03-31 23:30"},  // February has no 31st
      {"0 0 31 * *", "2026-04-01 00:00", "2026-05-31 00:00"},
      {"0 0 30 * *", "2026-01-30 00:00", "2026-03-30 00:00"},
      {"59 23 31 12 *", "2026-12-31 23:59", "2027-12-31 23:59"},
      {"0 0 1 1 *", "2026-12-31 23:59:59", "2027-01-01 00:00"},
      {"* * * * *", "2026-12-31 23:59", "2027-01-01 00:00"},
      {"0 0 29 2 *", "2023-01-01 00:00", "2024-02-29 00:00"},
      {"0 0 29 2 *", "1999-03-01 00:00", "2000-02-29 00:00"},  // 2000 is a leap year
      {"0 0 29 2 *", "2096-03-01 00:00", "2104-02-29 00:00"},  // 2100 is not
      {"0 0 L 2 *", "2100-01-01 00:00", "2100-02-28 00:00"},
      {"0 0 L 2 *", "2000-01-01 00:00", "2000-02-29 00:00"},
      {"0 0 29 2 *", "9996-02-29 00:00", "none"},  // the next would be in 10000
      {"* * * * *", "9999-12-31 23:58:30", "9999-12-31 23:59"},
      {"* * * * *", "9999-12-31 23:59", "none"},
      {"0 0 1 1 *", "0001-01-01 00:00", "0002-01-01 00:00"},
  };
  check_next(std::begin(cases), std::end(cases));
}

TEST_CASE("every extension finds its day", "[cron]") {
  const NextCase cases[] = {
      // L: the last day of the month.
      {"0 0 L * *", "2026-04-15 00:00", "2026-04-30 00:00"},
      {"0 0 l * *", "2026-04-30 00:00", "2026-05-31 00:00"},
      // LW: the last Monday-Friday; 2026-01-31 is a Saturday, 2026-05-31 a Sunday.
      {"0 0 LW * *", "2026-01-01 00:00", "2026-01-30 00:00"},
      {"0 0 lw * *", "2026-05-01 00:00", "2026-05-29 00:00"},
      {"0 0 LW * *", "2026-06-01 00:00", "2026-06-30 00:00"},  // a Tuesday
      // nW: the Monday-Friday nearest day n, never leaving the month.
      {"0 0 15W * *", "2026-08-01 00:00", "2026-08-14 00:00"},  // Saturday 15th: Friday
      {"0 0 1W * *", "2026-07-15 00:00", "2026-08-03 00:00"},   // Saturday 1st: Monday 3rd
      {"0 0 1w * *", "2026-02-15 00:00", "2026-03-02 00:00"},   // Sunday 1st: Monday 2nd
      {"0 0 31W * *", "2026-04-01 00:00", "2026-05-29 00:00"},  // none in April; Sunday 31st
      {"0 0 10W * *", "2026-06-01 00:00", "2026-06-10 00:00"},  // a Wednesday stays
      // d#n: the n-th weekday d of the month.
      {"0 0 * * 1#2", "2026-01-01 00:00", "2026-01-12 00:00"},
      {"0 0 * * mon#1", "2026-01-05 00:00", "2026-02-02 00:00"},
      {"0 0 * * 5#5", "2026-01-01 00:00", "2026-01-30 00:00"},
      {"0 0 * * 5#5", "2026-01-31 00:00", "2026-05-29 00:00"},
      {"0 0 * * SAT#1", "2026-01-01 00:00", "2026-01-03 00:00"},
      {"0 0 * * 7#1", "2026-01-01 00:00", "2026-01-04 00:00"},
      // dL: the last weekday d of the month.
      {"0 0 * * 5L", "2026-01-01 00:00", "2026-01-30 00:00"},
      {"0 0 * * friL", "2026-01-30 00:00", "2026-02-27 00:00"},
      {"0 0 * * FRIl", "2026-01-01 00:00", "2026-01-30 00:00"},
      {"0 0 * * 0L", "2026-01-01 00:00", "2026-01-25 00:00"},
      {"0 0 * * 7l", "2026-01-01 00:00", "2026-01-25 00:00"},
      // Extensions in lists with ordinary items.
      {"0 0 1,15,L * *", "2026-02-15 00:00", "2026-02-28 00:00"},
      {"0 0 1,15,L * *", "2026-02-28 00:00", "2026-03-01 00:00"},
      {"0 0 LW,15W * *", "2026-08-01 00:00", "2026-08-14 00:00"},
      {"0 0 LW,15W * *", "2026-08-14 00:00", "2026-08-31 00:00"},
      {"0 0 * * 1#1,5L", "2026-01-01 00:00", "2026-01-05 00:00"},
      {"0 0 * * 1#1,5L", "2026-01-05 00:00", "2026-01-30 00:00"},
      {"0 0 * * 3,5L", "2026-01-23 00:00", "2026-01-28 00:00"},
      {"0 0 * * 3,5L", "2026-01-28 00:00", "2026-01-30 00:00"},
  };
  check_next(std::begin(cases), std::end(cases));
}

TEST_CASE("day fields combine as in cronie: AND when either starts with *, else OR", "[cron]") {
  const NextCase cases[] = {
      {"0 0 * * 1", "2026-01-01 00:00", "2026-01-05 00:00"},     // every Monday
      {"0 0 13 * *", "2026-01-01 00:00", "2026-01-13 00:00"},    // every 13th
      {"0 0 13 * 5", "2026-01-01 00:00", "2026-01-02 00:00"},    // a Friday...
      {"0 0 13 * 5", "2026-01-09 00:00", "2026-01-13 00:00"},    // ...or a 13th
      {"15 3 1-7 * 1", "2026-01-08 00:00", "2026-01-12 03:15"},  // any Monday, not only the first
      {"0 0 */2 * 1", "2026-01-01 00:00", "2026-01-05 00:00"},   // odd days that are Mondays
      {"0 0 */2 * 1", "2026-01-05 00:00", "2026-01-19 00:00"},
      {"0 0 13 * */2", "2026-01-01 00:00", "2026-01-13 00:00"},  // a 13th on Sun/Tue/Thu/Sat
      {"0 0 13 * */2", "2026-01-13 00:00", "2026-06-13 00:00"},
      {"0 0 1-31 * 1", "2026-01-01 00:00", "2026-01-02 00:00"},  // OR: every day
      {"0 0 L * 1", "2026-01-27 00:00", "2026-01-31 00:00"},     // last day or Monday
      {"0 0 * * 1#2", "2026-01-12 00:00", "2026-02-09 00:00"},   // * day-of-month: AND
      {"0 0 1 * 1#2", "2026-01-02 00:00", "2026-01-12 00:00"},   // 1st or 2nd Monday: OR
      {"0 0 1 * 1#2", "2026-01-12 00:00", "2026-02-01 00:00"},
  };
  check_next(std::begin(cases), std::end(cases));
}

TEST_CASE("names, their case, fri-sun, 0 and 7, and large steps", "[cron]") {
  const NextCase cases[] = {
      {"0 12 * * fri-sun", "2026-01-05 00:00", "2026-01-09 12:00"},
      {"0 12 * * fri-sun", "2026-01-10 12:00", "2026-01-11 12:00"},
      {"0 12 * * FRI-SUN", "2026-01-11 12:00", "2026-01-16 12:00"},
      {"0 12 * * 5-0", "2026-01-10 12:00", "2026-01-11 12:00"},
      {"0 12 * * 5-7", "2026-01-10 12:00", "2026-01-11 12:00"},
      {"0 12 * * 7", "2026-01-05 00:00", "2026-01-11 12:00"},
      {"0 12 * * 1/2", "2026-01-06 00:00", "2026-01-07 12:00"},  // 1-7/2: Mon Wed Fri Sun
      {"0 12 * * 1/2", "2026-01-09 12:00", "2026-01-11 12:00"},
      {"0 0 1 Jul-aug *", "2026-01-01 00:00", "2026-07-01 00:00"},
      {"0 0 1 dec *", "2026-01-01 00:00", "2026-12-01 00:00"},
      {"0 0 1 jan-dec/6 *", "2026-02-01 00:00", "2026-07-01 00:00"},
      {"*/90 * * * *", "2026-01-01 00:00", "2026-01-01 01:00"},  // a step beyond the field
      {"5/90 * * * *", "2026-01-01 00:05", "2026-01-01 01:05"},
      {"0 */40 * * *", "2026-01-01 00:00", "2026-01-02 00:00"},
      {"0 0 */40 * *", "2026-01-01 00:00", "2026-02-01 00:00"},
      {"0 0 1 */13 *", "2026-01-01 00:00", "2027-01-01 00:00"},
      {"0 0 * * */8", "2026-01-01 00:00", "2026-01-04 00:00"},
      {"0 0 * * 6/999999999999", "2026-01-01 00:00", "2026-01-03 00:00"},
  };
  check_next(std::begin(cases), std::end(cases));
}

TEST_CASE("macros are their five-field expansions, in any case", "[cron]") {
  const NextCase cases[] = {
      {"@yearly", "2026-05-05 00:00", "2027-01-01 00:00"},
      {"@annually", "2026-05-05 00:00", "2027-01-01 00:00"},
      {"@monthly", "2026-05-05 00:00", "2026-06-01 00:00"},
      {"@weekly", "2026-05-05 00:00", "2026-05-10 00:00"},
      {"@daily", "2026-05-05 00:00", "2026-05-06 00:00"},
      {"@midnight", "2026-05-05 00:00", "2026-05-06 00:00"},
      {"@hourly", "2026-05-05 05:30", "2026-05-05 06:00"},
      {"@HOURLY", "2026-05-05 05:30", "2026-05-05 06:00"},
      {"  @Daily\t", "2026-05-05 00:00", "2026-05-06 00:00"},
  };
  check_next(std::begin(cases), std::end(cases));
}

TEST_CASE("spellings of one schedule give the same times", "[cron]") {
  struct Case {
    const char* one;
    const char* other;
  };
  const Case cases[] = {
      {"0 9 * JAN-mar MON-fri", "0 9 * 1-3 1-5"},
      {"0 9 * * sun,SAT", "0 9 * * 0,6"},
      {"0 9 * * 7", "0 9 * * 0"},
      {"0 9 * * 0-7", "0 9 * * *"},
      {"0 9 * * sat-sun", "0 9 * * 6,0"},
      {"*/1 0-23 * * *", "* * * * *"},
      {"0/15 * * * *", "0,15,30,45 * * * *"},
      {"0 0 1 1 *", "@yearly"},
      {"0 0 1 1 *", "@annually"},
      {"0 0 1 * *", "@monthly"},
      {"0 0 * * 0", "@weekly"},
      {"0 0 * * *", "@daily"},
      {"0 0 * * *", "@midnight"},
      {"0 * * * *", "@hourly"},
      {"0 0 * * fri#2", "0 0 * * 5#2"},
      {"0 0 * * sunL", "0 0 * * 7L"},
      {"\t0  0 *\t* *  ", "0 0 * * *"},
  };
  const std::int64_t from = local("2026-03-14 15:09");
  for (const auto& c : cases) {
    INFO(c.one << " and " << c.other);
    CHECK(next_times(cron(c.one), from, 20) == next_times(cron(c.other), from, 20));
  }
}

TEST_CASE("invalid expressions are usage errors naming the field, the text and the reason",
          "[cron]") {
  struct Case {
    const char* expression;
    const char* message;
  };
  const Case cases[] = {
      {"", "expected 5 fields, got 0"},
      {"   ", "expected 5 fields, got 0"},
      {"* * * *", "expected 5 fields, got 4"},
      {"* * * * * *", "expected 5 fields, got 6"},
      {"60 * * * *", "minute '60' is out of range 0-59"},
      {"* 25 * * *", "hour '25' is out of range 0-23"},
      {"* 1,25 * * *", "hour '25' is out of range 0-23"},
      {"* * 0 * *", "day-of-month '0' is out of range 1-31"},
      {"* * 32 * *", "day-of-month '32' is out of range 1-31"},
      {"* * * 13 *", "month '13' is out of range 1-12"},
      {"* * * 0 *", "month '0' is out of range 1-12"},
      {"* * * * 8", "day-of-week '8' is out of range 0-7"},
      {"* * * * 99999999999999999999", "day-of-week '99999999999999999999' is out of range 0-7"},
      {"5-1 * * * *", "minute '5-1' is a descending range"},
      {"* * * dec-jan *", "month 'dec-jan' is a descending range"},
      {"* * * * sun-sat/0", "day-of-week 'sun-sat/0' is not valid (the step must be at least 1)"},
      {"* * * * sat-fri", "day-of-week 'sat-fri' is a descending range"},
      {"* * * * 7-1", "day-of-week '7-1' is a descending range"},
      {"x * * * *", "minute 'x' is not a number"},
      {"* jan * * *", "hour 'jan' is not a number"},
      {"* * * foo *", "month 'foo' is not a number or a name"},
      {"* * * january *", "month 'january' is not a number or a name"},
      {"* * * * funday", "day-of-week 'funday' is not a number or a name"},
      {"* * mon * *", "day-of-month 'mon' is not a number"},
      {"-1 * * * *", "minute '-1' is not valid (a number is missing)"},
      {"5- * * * *", "minute '5-' is not valid (a number is missing)"},
      {"*/ * * * *", "minute '*/' is not valid (a number is missing)"},
      {"*/0 * * * *", "minute '*/0' is not valid (the step must be at least 1)"},
      {"*/x * * * *", "minute 'x' is not a number"},
      {"*/-1 * * * *", "minute '-1' is not a number"},
      {"*-5 * * * *", "minute '*' is not a number"},
      {"1-2-3 * * * *", "minute '2-3' is not a number"},
      {"1,,2 * * * *", "minute '1,,2' is not valid (a list item is empty)"},
      {"1, * * * *", "minute '1,' is not valid (a list item is empty)"},
      {"L * * * *", "minute 'L' is not a number"},
      {"* * L5 * *", "day-of-month 'L5' is not valid (use L, LW or nW)"},
      {"* * L/2 * *", "day-of-month 'L/2' is not valid (use L, LW or nW)"},
      {"* * 1-5W * *", "day-of-month '1-5W' is not valid (use L, LW or nW)"},
      {"* * W * *", "day-of-month 'W' is not valid (use L, LW or nW)"},
      {"* * 0W * *", "day-of-month '0' is out of range 1-31"},
      {"* * 32W * *", "day-of-month '32' is out of range 1-31"},
      {"* * * L *", "month 'L' is not a number or a name"},
      {"* * * * L", "day-of-week 'L' is not valid (use d#n or dL)"},
      {"* * * * 1-5L", "day-of-week '1-5L' is not valid (use d#n or dL)"},
      {"* * * * 1#6", "day-of-week '1#6' is not valid (the week must be 1 to 5)"},
      {"* * * * 1#0", "day-of-week '1#0' is not valid (the week must be 1 to 5)"},
      {"* * * * 1#", "day-of-week '1#' is not valid (use d#n or dL)"},
      {"* * * * #1", "day-of-week '#1' is not valid (a number is missing)"},
      {"* * * * 1-2#1", "day-of-week '1-2#1' is not valid (use d#n or dL)"},
      {"* * * * 8#1", "day-of-week '8' is out of range 0-7"},
      {"* * * * 9L", "day-of-week '9' is out of range 0-7"},
      {"* * * * xyzL", "day-of-week 'xyz' is not a number or a name"},
      {"@often",
       "unknown macro '@often' (use @yearly, @annually, @monthly, @weekly, @daily, "
       "@midnight or @hourly)"},
      {"@daily 5", "'@daily 5' is not valid (a macro stands alone)"},
      {"0 0 30 2 *",
       "'0 0 30 2 *' can never match (no day of the allowed months fits the day "
       "fields)"},
      {"0 0 31 4,6,9,11 *",
       "'0 0 31 4,6,9,11 *' can never match (no day of the allowed months "
       "fits the day fields)"},
      {"0 0 31W 2 *",
       "'0 0 31W 2 *' can never match (no day of the allowed months fits the day "
       "fields)"},
      {"0 0 30 feb */7",
       "'0 0 30 feb */7' can never match (no day of the allowed months fits "
       "the day fields)"},
  };
  for (const auto& c : cases) {
    INFO(c.expression);
    auto parsed = CronExpression::parse(c.expression);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind() == trigger::ErrorKind::kUsage);
    CHECK(parsed.error().message() == c.message);
  }
}

TEST_CASE("rare but possible expressions are accepted", "[cron]") {
  const NextCase cases[] = {
      {"0 0 29 2 *", "2026-01-01 00:00", "2028-02-29 00:00"},
      {"0 0 30 2 1", "2026-01-01 00:00", "2026-02-02 00:00"},    // OR: any Monday of February
      {"0 0 * 2 1#5", "2026-01-01 00:00", "2044-02-29 00:00"},   // a 5th Monday in February
      {"0 0 29 2 */7", "2026-01-01 00:00", "2032-02-29 00:00"},  // a Sunday 29 February
  };
  check_next(std::begin(cases), std::end(cases));
}

TEST_CASE("matches tells whether the minute containing a time matches", "[cron]") {
  struct Case {
    const char* expression;
    const char* at;
    bool matches;
  };
  const Case cases[] = {
      {"30 9 * * *", "2026-01-01 09:30", true},
      {"30 9 * * *", "2026-01-01 09:30:59", true},
      {"30 9 * * *", "2026-01-01 09:31", false},
      {"0 0 L * *", "2026-02-28 00:00", true},
      {"0 0 L * *", "2028-02-28 00:00", false},
      {"0 0 1W * *", "2026-08-03 00:00", true},
      {"0 0 1W * *", "2026-08-01 00:00", false},
      {"0 0 * * 5L", "2026-01-30 00:00", true},
      {"0 0 * * 5L", "2026-01-23 00:00", false},
      {"0 0 13 * 5", "2026-01-02 00:00", true},
      {"0 0 13 * 5", "2026-01-03 00:00", false},
      {"* * * * *", "0000-12-31 23:59", false},  // outside years 1-9999
      {"* * * * *", "0001-01-01 00:00", true},
  };
  for (const auto& c : cases) {
    INFO(c.expression << " at " << c.at);
    CHECK(cron(c.expression).matches(local(c.at)) == c.matches);
  }
}

TEST_CASE("hour_allows_every_hour is true only when all 24 hours are allowed", "[cron]") {
  struct Case {
    const char* expression;
    bool every_hour;
  };
  const Case cases[] = {
      {"0 * * * *", true},          {"0 */1 * * *", true}, {"0 0-23 * * *", true},
      {"0 0-11,12-23 * * *", true}, {"@hourly", true},     {"0 */2 * * *", false},
      {"0 1-23 * * *", false},      {"0 9 * * *", false},  {"@daily", false},
  };
  for (const auto& c : cases) {
    INFO(c.expression);
    CHECK(cron(c.expression).hour_allows_every_hour() == c.every_hour);
  }
}

TEST_CASE("text is the expression as written, without surrounding blanks", "[cron]") {
  CHECK(cron("  */5  * * * MON\t").text() == "*/5  * * * MON");
  CHECK(cron("@Daily").text() == "@Daily");
}

TEST_CASE("describe says the schedule in plain words", "[cron]") {
  struct Case {
    const char* expression;
    const char* words;
  };
  const Case cases[] = {
      {"* * * * *", "every minute"},
      {"*/5 * * * *", "every 5 minutes"},
      {"*/7 * * * *", "at minutes 0, 7, 14, 21, 28, 35, 42, 49 and 56 past every hour"},
      {"30 * * * *", "at minute 30 past every hour"},
      {"0 */2 * * *", "at minute 0 past every 2nd hour"},
      {"*/15 9-17 * * *", "every 15 minutes during hours 9 through 17"},
      {"* 9 * * *", "every minute during hour 9"},
      {"0 9 * * 1-5", "at 09:00 on Monday through Friday"},
      {"30 9,17 * * *", "at 09:30 and 17:30"},
      {"0 0 L * *", "at 00:00 on the last day of the month"},
      {"0 0 LW * *", "at 00:00 on the last weekday of the month"},
      {"0 0 15W * *", "at 00:00 on the weekday nearest day 15 of the month"},
      {"0 0 * * 1#2", "at 00:00 on the 2nd Monday of the month"},
      {"0 0 * * 5L", "at 00:00 on the last Friday of the month"},
      {"0 12 1,15 1,7 *", "at 12:00 on day 1 and 15 of the month in January and July"},
      {"0 0 1,15,L * *", "at 00:00 on day 1 and 15 and the last day of the month"},
      {"0 12 * * fri-sun", "at 12:00 on Friday through Sunday"},
      {"0 12 * * 0,6", "at 12:00 on Saturday and Sunday"},
      {"0 0 13 * 5", "at 00:00 on day 13 of the month or on Friday"},
      {"0 0 */10 * 1", "at 00:00 on day 1, 11, 21 and 31 of the month if it is Monday"},
      {"0 0 1-31 * 1", "at 00:00"},
      {"0 0 1 jan-mar *", "at 00:00 on day 1 of the month in January through March"},
      {"@weekly", "at 00:00 on Sunday"},
      {"@yearly", "at 00:00 on day 1 of the month in January"},
  };
  for (const auto& c : cases) {
    INFO(c.expression);
    CHECK(cron(c.expression).describe() == c.words);
  }
}

namespace {

// Random expressions of valid syntax from a fixed seed: numbers, ranges, steps, lists, names in
// mixed case and the extensions. It draws from the engine directly, one draw per statement, so
// that a seed gives the same expressions with every compiler and library.
class ExpressionGenerator {
 public:
  explicit ExpressionGenerator(std::uint32_t seed) : engine_(seed) {}

  std::string expression() {
    std::string minute = plain_field(0, 59, nullptr);
    std::string hour = plain_field(0, 23, nullptr);
    std::string day_of_month = day_of_month_field();
    std::string month = plain_field(1, 12, kMonths);
    std::string day_of_week = day_of_week_field();
    return minute + " " + hour + " " + day_of_month + " " + month + " " + day_of_week;
  }

 private:
  static constexpr const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                            "jul", "aug", "sep", "oct", "nov", "dec"};
  static constexpr const char* kWeekdays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

  unsigned below(unsigned n) { return static_cast<unsigned>(engine_() % n); }
  int between(int lo, int hi) {
    return lo + static_cast<int>(below(static_cast<unsigned>(hi - lo + 1)));
  }

  std::string mixed_case(std::string text) {
    for (char& c : text) {
      if (below(2) == 0) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return text;
  }

  // A number, or its name when the field has one (names[0] stands for `lo`).
  std::string value(int number, int lo, const char* const* names, int name_count) {
    if (names && number - lo < name_count && below(2) == 0) {
      return mixed_case(names[number - lo]);
    }
    return std::to_string(number);
  }

  // "*", "*/s", "a", "a-b", "a-b/s" or "a/s", with steps up to a little beyond the field.
  std::string range_item(int lo, int hi, const char* const* names, int name_count) {
    int a = between(lo, hi);
    int b = between(a, hi);
    std::string step = std::to_string(between(1, hi - lo + 3));
    std::string first = value(a, lo, names, name_count);
    std::string range = first + "-" + value(b, lo, names, name_count);
    switch (below(6)) {
      case 0:
        return "*";
      case 1:
        return "*/" + step;
      case 2:
        return first;
      case 3:
        return range;
      case 4:
        return range + "/" + step;
      default:
        return first + "/" + step;
    }
  }

  // One item, sometimes two or three.
  template <class Item>
  std::string list(Item item) {
    std::string out = item();
    for (unsigned extra = below(4) == 0 ? 1 + below(2) : 0; extra > 0; --extra) out += "," + item();
    return out;
  }

  std::string plain_field(int lo, int hi, const char* const* names) {
    if (below(3) == 0) return "*";
    return list([&] { return range_item(lo, hi, names, names ? 12 : 0); });
  }

  std::string day_of_month_field() {
    if (below(2) == 0) return below(4) == 0 ? "*/" + std::to_string(between(1, 10)) : "*";
    return list([&]() -> std::string {
      switch (below(6)) {
        case 0:
          return mixed_case("l");
        case 1:
          return mixed_case("lw");
        case 2: {
          std::string day = std::to_string(between(1, 31));
          return day + mixed_case("w");
        }
        default:
          return range_item(1, 31, nullptr, 0);
      }
    });
  }

  std::string day_of_week_field() {
    if (below(2) == 0) return below(4) == 0 ? "*/" + std::to_string(between(1, 4)) : "*";
    return list([&]() -> std::string {
      std::string day = value(between(0, 7), 0, kWeekdays, 7);
      switch (below(6)) {
        case 0:
          return day + "#" + std::to_string(between(1, 5));
        case 1:
          return day + mixed_case("l");
        case 2: {  // a range ending on Sunday written as 0: fri-sun
          std::string from = value(between(1, 6), 0, kWeekdays, 7);
          return from + "-" + value(0, 0, kWeekdays, 7);
        }
        default:
          return range_item(0, 7, kWeekdays, 7);
      }
    });
  }

  std::mt19937 engine_;
};

// Follows `steps` successive answers of next_local() from `at`: each is later, on a whole
// minute, matches, and no minute before it was skipped. Brute force checks at most `span` of each
// gap, so that rare expressions stay cheap; the part checked is still proof of no skip.
void check_successive_answers(const std::string& text, const CronExpression& expression,
                              std::int64_t at, int steps, std::int64_t span) {
  for (int step = 0; step < steps; ++step) {
    INFO(text << " after " << format_local(at) << " (+" << at % kMinute << " s)");
    auto next = expression.next_local(at);
    REQUIRE(next);
    REQUIRE(*next > at);
    REQUIRE(*next % kMinute == 0);
    REQUIRE(expression.matches(*next));
    std::int64_t skipped = 0;
    std::int64_t end = std::min(*next, at + span);
    for (std::int64_t minute = (at / kMinute + 1) * kMinute; minute < end; minute += kMinute) {
      if (expression.matches(minute)) {
        skipped = minute;
        break;
      }
    }
    INFO("skipped " << format_local(skipped) << ", answered " << format_local(next));
    REQUIRE(skipped == 0);
    at = *next;
  }
}

// A refusal as "can never match" must be right: no day of a 400-year Gregorian cycle has both
// the day fields and the month field of `text`, each checked through matches() of an expression
// that keeps only them (the day fields keep their '*' and so their AND/OR rule).
void check_never_matches(const std::string& text) {
  std::istringstream words(text);
  std::string minute, hour, day_of_month, month, day_of_week;
  words >> minute >> hour >> day_of_month >> month >> day_of_week;
  auto by_days = CronExpression::parse("0 0 " + day_of_month + " * " + day_of_week);
  if (!by_days) return;  // the day fields match in no month at all
  CronExpression by_month = cron("0 0 * " + month + " *");
  const std::int64_t cycle_start = local("2000-01-01 00:00");
  for (std::int64_t day = 0; day < 146097; ++day) {
    std::int64_t midnight = cycle_start + day * kDay;
    INFO(text << " on " << format_local(midnight));
    if (by_days->matches(midnight) && by_month.matches(midnight)) FAIL("a matching day exists");
  }
}

}  // namespace

TEST_CASE("next_local never skips a match: random expressions against brute force", "[cron]") {
  constexpr int kExpressions = 1000;
  constexpr int kStepsPerExpression = 5;
  constexpr std::int64_t kBruteForceSpan = 40 * kDay;
  ExpressionGenerator generator(20260314);
  std::mt19937 engine(42);
  const std::int64_t earliest = local("1990-01-01 00:00");
  const std::int64_t latest = local("2060-01-01 00:00");
  int refused = 0;
  for (int tested = 0; tested < kExpressions;) {
    std::string text = generator.expression();
    auto parsed = CronExpression::parse(text);
    if (!parsed) {  // the generator makes only valid syntax, but some days never come
      INFO(text << ": " << parsed.error().message());
      REQUIRE(parsed.error().message().find("can never match") != std::string::npos);
      check_never_matches(text);
      REQUIRE(++refused < kExpressions / 10);
      continue;
    }
    ++tested;
    std::int64_t at = earliest + static_cast<std::int64_t>(engine() % (latest - earliest));
    check_successive_answers(text, *parsed, at, kStepsPerExpression, kBruteForceSpan);
  }
}
