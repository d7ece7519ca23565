#include "posix_tz.h"

#include <date/date.h>

#include <algorithm>
#include <cctype>
#include <limits>

#include "civil.h"

namespace trigger {
namespace {

constexpr Epoch kForever = std::numeric_limits<Epoch>::max() / 4;
// POSIX: offsets up to 24 h; RFC 8536 §3.3.1: transition times from -167 to 167 h.
constexpr std::int64_t kMaxOffsetHours = 24;
constexpr std::int64_t kMaxTimeHours = 167;

// A cursor over the rule text.
struct Reader {
  std::string_view text;
  std::size_t pos = 0;

  bool done() const { return pos == text.size(); }
  bool take(char c) {
    if (done() || text[pos] != c) return false;
    ++pos;
    return true;
  }
  std::optional<int> number(std::size_t max_digits) {
    std::size_t start = pos;
    int value = 0;
    while (!done() && std::isdigit(static_cast<unsigned char>(text[pos])) &&
           pos - start < max_digits) {
      value = value * 10 + (text[pos++] - '0');
    }
    if (pos == start) return std::nullopt;
    return value;
  }
};

// name = 3*ALPHA | "<" 1*(ALPHA | DIGIT | "+" | "-") ">"
bool read_name(Reader& in) {
  std::size_t start = in.pos;
  if (in.take('<')) {
    while (!in.done() && (std::isalnum(static_cast<unsigned char>(in.text[in.pos])) ||
                          in.text[in.pos] == '+' || in.text[in.pos] == '-')) {
      ++in.pos;
    }
    return in.pos > start + 1 && in.take('>');
  }
  while (!in.done() && std::isalpha(static_cast<unsigned char>(in.text[in.pos]))) ++in.pos;
  return in.pos - start >= 3;
}

// hms = ["+" | "-"] hh [":" mm [":" ss]], hh at most `max_hours`; seconds, signed as written.
std::optional<std::int64_t> read_hms(Reader& in, std::int64_t max_hours) {
  int sign = 1;
  if (in.take('-')) {
    sign = -1;
  } else {
    in.take('+');
  }
  auto hours = in.number(3);
  if (!hours || *hours > max_hours) return std::nullopt;
  std::int64_t seconds = *hours * 3600;
  for (std::int64_t unit : {60, 1}) {
    if (!in.take(':')) break;
    auto part = in.number(2);
    if (!part || *part > 59) return std::nullopt;
    seconds += *part * unit;
  }
  return sign * seconds;
}

// change = ("J" 1-365 | 0-365 | "M" month "." week "." weekday) ["/" hms]
std::optional<PosixRule::Change> read_change(Reader& in) {
  PosixRule::Change change;
  if (in.take('M')) {
    auto month = in.number(2);
    if (!month || *month < 1 || *month > 12 || !in.take('.')) return std::nullopt;
    auto week = in.number(1);
    if (!week || *week < 1 || *week > 5 || !in.take('.')) return std::nullopt;
    auto weekday = in.number(1);
    if (!weekday || *weekday > 6) return std::nullopt;
    change.month = *month;
    change.week = *week;
    change.weekday = *weekday;
  } else {
    bool julian = in.take('J');
    auto day = in.number(3);
    if (!day || *day > 365 || (julian && *day < 1)) return std::nullopt;
    change.kind = julian ? PosixRule::Change::kJulianNoLeap : PosixRule::Change::kZeroBasedDay;
    change.day = *day;
  }
  if (in.take('/')) {
    auto time = read_hms(in, kMaxTimeHours);
    if (!time) return std::nullopt;
    change.time = *time;
  }
  return change;
}

std::int64_t days_from_civil(int year, unsigned month, unsigned day) {
  return date::sys_days(date::year(year) / date::month(month) / date::day(day))
      .time_since_epoch()
      .count();
}

// The day (since 1970-01-01) a change falls on in `year`.
std::int64_t change_day(const PosixRule::Change& change, int year) {
  switch (change.kind) {
    case PosixRule::Change::kJulianNoLeap: {
      bool leap = date::year(year).is_leap();
      return days_from_civil(year, 1, 1) + change.day - 1 + (leap && change.day >= 60 ? 1 : 0);
    }
    case PosixRule::Change::kZeroBasedDay:
      return days_from_civil(year, 1, 1) + change.day;
    case PosixRule::Change::kMonthWeekDay:
      break;
  }
  std::int64_t first = days_from_civil(year, static_cast<unsigned>(change.month), 1);
  int first_weekday = static_cast<int>(((first + 4) % 7 + 7) % 7);  // 1970-01-01: a Thursday
  int length = static_cast<int>(static_cast<unsigned>(
      (date::year(year) / date::month(static_cast<unsigned>(change.month)) / date::last).day()));
  int day = (change.weekday - first_weekday + 7) % 7 + 7 * (change.week - 1);
  while (day >= length) day -= 7;  // week 5: the last such weekday of the month
  return first + day;
}

}  // namespace

// tz = std offset [dst [offset] "," change "," change]
std::optional<PosixRule> PosixRule::parse(std::string_view text) {
  Reader in{text};
  PosixRule rule;
  if (!read_name(in)) return std::nullopt;
  auto std_west = read_hms(in, kMaxOffsetHours);
  if (!std_west) return std::nullopt;
  rule.std_offset_ = -*std_west;
  rule.dst_offset_ = rule.std_offset_;
  if (in.done()) return rule;
  if (!read_name(in)) return std::nullopt;
  rule.dst_offset_ = rule.std_offset_ + 3600;
  if (!in.done() && in.text[in.pos] != ',') {
    auto dst_west = read_hms(in, kMaxOffsetHours);
    if (!dst_west) return std::nullopt;
    rule.dst_offset_ = -*dst_west;
  }
  auto start = in.take(',') ? read_change(in) : std::nullopt;
  auto end = start && in.take(',') ? read_change(in) : std::nullopt;
  if (!end || !in.done()) return std::nullopt;
  rule.start_ = *start;
  rule.end_ = *end;
  rule.has_dst_ = true;
  return rule;
}

Epoch PosixRule::instant(const Change& change, int year, std::int64_t offset_before) {
  return change_day(change, year) * kSecondsPerDay + change.time - offset_before;
}

Zone::OffsetSpan PosixRule::span_at(Epoch epoch) const {
  if (!has_dst_) return {-kForever, kForever, std_offset_};
  // Years 1-30000 are far beyond trigger's range and well inside date::year's.
  std::int64_t day = std::clamp<std::int64_t>(day_of(epoch), -719162, 10238400);
  int year = static_cast<int>(date::year_month_day(date::sys_days(date::days(day))).year());
  // The common shape: one change each way in the year, in either order (north or south).
  Epoch start = instant(start_, year, std_offset_);
  Epoch end = instant(end_, year, dst_offset_);
  Zone::OffsetSpan span;
  if (start < end) {
    span = epoch < start   ? Zone::OffsetSpan{instant(end_, year - 1, dst_offset_), start, std_offset_}
           : epoch < end ? Zone::OffsetSpan{start, end, dst_offset_}
                         : Zone::OffsetSpan{end, instant(start_, year + 1, std_offset_), std_offset_};
  } else {
    span = epoch < end     ? Zone::OffsetSpan{instant(start_, year - 1, std_offset_), end, dst_offset_}
           : epoch < start ? Zone::OffsetSpan{end, start, std_offset_}
                           : Zone::OffsetSpan{start, instant(end_, year + 1, dst_offset_), dst_offset_};
  }
  if (span.begin <= epoch && epoch < span.end) return span;
  return span_of_changes(epoch, year);
}

Zone::OffsetSpan PosixRule::span_of_changes(Epoch epoch, int year) const {
  // Every change of the year and of the years either side, in time order (a change back to
  // standard time first where two meet: a rule that is daylight saving all year, like
  // "EST5EDT,0/0,J365/25", stays in it).
  struct Step {
    Epoch at;
    std::int64_t offset;
  };
  Step steps[6];
  for (int i = 0; i < 3; ++i) {
    steps[2 * i] = {instant(end_, year - 1 + i, dst_offset_), std_offset_};
    steps[2 * i + 1] = {instant(start_, year - 1 + i, std_offset_), dst_offset_};
  }
  std::stable_sort(std::begin(steps), std::end(steps),
                   [](const Step& a, const Step& b) { return a.at < b.at; });
  int here = 0;
  while (here + 1 < 6 && steps[here + 1].at <= epoch) ++here;
  std::int64_t offset = steps[here].offset;
  int first = here;
  while (first > 0 && steps[first - 1].offset == offset) --first;
  int next = here + 1;
  while (next < 6 && steps[next].offset == offset) ++next;
  return {steps[first].at, next < 6 ? steps[next].at : kForever, offset};
}

}  // namespace trigger
