#include "cron.h"

#include <date/date.h>

#include <cctype>
#include <string>
#include <unordered_map>
#include <vector>

#include "civil.h"
#include "text.h"

namespace trigger {
namespace {

constexpr int kFieldCount = 5;
constexpr int kFirstYear = 1;
constexpr int kLastYear = 9999;
// The Gregorian calendar repeats every 400 years (146,097 days, a whole number of weeks), so an
// expression that matches nowhere in one cycle matches nowhere at all.
constexpr int kGregorianCycleYears = 400;
constexpr int kCycleFirstYear = 2000;
constexpr unsigned kMinutesPerHour = 60;
constexpr unsigned kHoursPerDay = 24;
constexpr unsigned kShortestMonth = 28;
constexpr unsigned kLongestMonth = 31;
constexpr unsigned kMonthsPerYear = 12;
constexpr unsigned kDaysPerWeek = 7;
constexpr unsigned kLastWeekOfMonth = 5;
constexpr unsigned kSaturday = 6;
constexpr unsigned kSunday = 0;
// Numbers are read saturating here: far beyond every bound, yet safe to add to.
constexpr int kHugeNumber = 1000000000;

constexpr std::uint64_t kAllMinutes = (std::uint64_t{1} << 60) - 1;
constexpr std::uint64_t kAllHours = (std::uint64_t{1} << 24) - 1;
constexpr std::uint32_t kAllDaysOfMonth = 0xFFFFFFFEu;  // bits 1-31
constexpr std::uint32_t kAllMonths = 0x1FFEu;           // bits 1-12
constexpr std::uint32_t kAllWeekdays = 0x7Fu;           // bits 0-6

// Local seconds of 0001-01-01T00:00 and 10000-01-01T00:00: the span next_local() searches.
constexpr std::int64_t kBeginLocal =
    std::int64_t{date::sys_days{date::year{kFirstYear} / 1 / 1}.time_since_epoch().count()} *
    kSecondsPerDay;
constexpr std::int64_t kEndLocal =
    std::int64_t{date::sys_days{date::year{kLastYear + 1} / 1 / 1}.time_since_epoch().count()} *
    kSecondsPerDay;

constexpr std::string_view kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                            "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::string_view kWeekdayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// One field of the five: its name in messages, its bounds, and the names that may stand for
// its numbers (names[i] is the number name_base + i).
struct Field {
  std::string_view name;
  int min;
  int max;
  const std::string_view* names;
  int name_count;
  int name_base;
  bool zero_ends_at_max;  // day-of-week: a range ending in 0 (Sunday) runs to 7 (also Sunday)
};

constexpr Field kMinute{"minute", 0, 59, nullptr, 0, 0, false};
constexpr Field kHour{"hour", 0, 23, nullptr, 0, 0, false};
constexpr Field kDayOfMonth{"day-of-month", 1, 31, nullptr, 0, 0, false};
constexpr Field kMonth{"month", 1, 12, kMonthNames, 12, 1, false};
constexpr Field kDayOfWeek{"day-of-week", 0, 7, kWeekdayNames, 7, 0, true};

struct Macro {
  std::string_view name;
  std::string_view fields;
};
constexpr Macro kMacros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

constexpr std::string_view kBlanks = " \t";

// --- Parsing -------------------------------------------------------------------------------

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool ends_with_letter(std::string_view text, char lowercase_letter) {
  return !text.empty() && std::tolower(static_cast<unsigned char>(text.back())) == lowercase_letter;
}

Error field_error(const Field& field, std::string_view text, std::string_view reason) {
  return usage_error(std::string(field.name) + " " + in_quotes(text) + " " + std::string(reason));
}

Error invalid_item(const Field& field, std::string_view item, std::string_view why) {
  return field_error(field, item, "is not valid (" + std::string(why) + ")");
}

// number = digit {digit}
std::optional<int> read_number(std::string_view text) {
  if (!all_digits(text)) return std::nullopt;
  int value = 0;
  for (char c : text) value = value > kHugeNumber / 10 ? kHugeNumber : value * 10 + (c - '0');
  return value;
}

std::optional<int> read_name(const Field& field, std::string_view text) {
  for (int i = 0; i < field.name_count; ++i) {
    if (equals_ignoring_case(text, field.names[i])) return field.name_base + i;
  }
  return std::nullopt;
}

// value = number | name        (names only in month and day-of-week)
Result<int> parse_value(const Field& field, std::string_view item, std::string_view token) {
  if (token.empty()) return invalid_item(field, item, "a number is missing");
  auto value = read_number(token);
  if (!value) value = read_name(field, token);
  if (!value) {
    return field_error(field, token, field.names ? "is not a number or a name" : "is not a number");
  }
  if (*value < field.min || *value > field.max) {
    return field_error(
        field, token,
        "is out of range " + std::to_string(field.min) + "-" + std::to_string(field.max));
  }
  return *value;
}

// item  = ("*" | range) ["/" step]
// range = value ["-" value]
// step  = number
//
// "a/n" is "a-max/n"; a step beyond the range leaves its start alone.
Result<std::uint64_t> parse_range_item(const Field& field, std::string_view item) {
  std::size_t slash = item.find('/');
  bool stepped = slash != std::string_view::npos;
  std::string_view range = item.substr(0, slash);
  int first = field.min;
  int last = field.max;
  if (range != "*") {
    std::size_t dash = range.find('-');
    auto start = parse_value(field, item, range.substr(0, dash));
    if (!start) return start.error();
    first = *start;
    if (dash != std::string_view::npos) {
      auto end = parse_value(field, item, range.substr(dash + 1));
      if (!end) return end.error();
      last = *end;
      if (field.zero_ends_at_max && last == 0 && first > 0) last = field.max;  // fri-sun
      if (last < first) return field_error(field, item, "is a descending range");
    } else if (!stepped) {
      last = first;
    }
  }
  int step = 1;
  if (stepped) {
    std::string_view step_text = item.substr(slash + 1);
    if (step_text.empty()) return invalid_item(field, item, "a number is missing");
    auto number = read_number(step_text);
    if (!number) return field_error(field, step_text, "is not a number");
    if (*number < 1) return invalid_item(field, item, "the step must be at least 1");
    step = *number;
  }
  std::uint64_t bits = 0;
  for (int value = first; value <= last; value += step) bits |= std::uint64_t{1} << value;
  return bits;
}

// field = item {"," item}
template <class ParseItem>
Status parse_list(const Field& field, std::string_view text, ParseItem parse_item) {
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma - start);
    if (item.empty()) return invalid_item(field, text, "a list item is empty");
    Status parsed = parse_item(item);
    if (!parsed) return parsed;
    if (comma == std::string_view::npos) return Ok{};
    start = comma + 1;
  }
}

Result<std::uint64_t> parse_plain_field(const Field& field, std::string_view text) {
  std::uint64_t bits = 0;
  Status parsed = parse_list(field, text, [&](std::string_view item) -> Status {
    auto item_bits = parse_range_item(field, item);
    if (!item_bits) return item_bits.error();
    bits |= *item_bits;
    return Ok{};
  });
  if (!parsed) return parsed.error();
  return bits;
}

// day-of-month-item = "L" | "LW" | number "W" | item        (letters in any case)
Status parse_day_of_month_item(std::string_view item, CronFields& fields) {
  if (equals_ignoring_case(item, "L")) {
    fields.last_day = true;
    return Ok{};
  }
  if (equals_ignoring_case(item, "LW")) {
    fields.last_workday = true;
    return Ok{};
  }
  if (item.find_first_of("LlWw") != std::string_view::npos) {
    std::string_view day_text = item.substr(0, item.size() - 1);
    if (!ends_with_letter(item, 'w') || !all_digits(day_text)) {
      return invalid_item(kDayOfMonth, item, "use L, LW or nW");
    }
    auto day = parse_value(kDayOfMonth, item, day_text);
    if (!day) return day.error();
    fields.nearest_workday |= std::uint32_t{1} << *day;
    return Ok{};
  }
  auto bits = parse_range_item(kDayOfMonth, item);
  if (!bits) return bits.error();
  fields.days_of_month |= static_cast<std::uint32_t>(*bits);
  return Ok{};
}

// A weekday standing before "#" or "L": one value, no range or step.
Result<unsigned> parse_extension_weekday(std::string_view item, std::string_view text) {
  if (text.find_first_of("-/*") != std::string_view::npos) {
    return invalid_item(kDayOfWeek, item, "use d#n or dL");
  }
  auto day = parse_value(kDayOfWeek, item, text);
  if (!day) return day.error();
  return static_cast<unsigned>(*day) % kDaysPerWeek;  // 7 is Sunday too
}

// day-of-week-item = value "#" number | value "L" | item        (letters in any case)
Status parse_day_of_week_item(std::string_view item, CronFields& fields) {
  std::size_t hash = item.find('#');
  if (hash != std::string_view::npos) {
    std::string_view week_text = item.substr(hash + 1);
    if (!all_digits(week_text)) return invalid_item(kDayOfWeek, item, "use d#n or dL");
    auto day = parse_extension_weekday(item, item.substr(0, hash));
    if (!day) return day.error();
    int week = *read_number(week_text);
    if (week < 1 || week > static_cast<int>(kLastWeekOfMonth)) {
      return invalid_item(kDayOfWeek, item, "the week must be 1 to 5");
    }
    fields.nth_weekday[*day] |= std::uint32_t{1} << week;
    return Ok{};
  }
  if (ends_with_letter(item, 'l')) {
    std::string_view day_text = item.substr(0, item.size() - 1);
    if (day_text.empty()) return invalid_item(kDayOfWeek, item, "use d#n or dL");
    auto day = parse_extension_weekday(item, day_text);
    if (!day) return day.error();
    fields.last_weekday |= std::uint32_t{1} << *day;
    return Ok{};
  }
  auto bits = parse_range_item(kDayOfWeek, item);
  if (!bits) return bits.error();
  std::uint32_t days = static_cast<std::uint32_t>(*bits);
  fields.days_of_week |= (days | days >> kDaysPerWeek) & kAllWeekdays;  // 7 is Sunday too
  return Ok{};
}

// fields = field blanks field blanks field blanks field blanks field
// blanks = (" " | "\t") {" " | "\t"}
std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t start = text.find_first_not_of(kBlanks);
  while (start != std::string_view::npos) {
    std::size_t end = text.find_first_of(kBlanks, start);
    fields.push_back(text.substr(start, end - start));
    start = text.find_first_not_of(kBlanks, end);
  }
  return fields;
}

std::string_view trim(std::string_view text) {
  std::size_t start = text.find_first_not_of(kBlanks);
  if (start == std::string_view::npos) return {};
  return text.substr(start, text.find_last_not_of(kBlanks) + 1 - start);
}

Result<CronFields> parse_fields(std::string_view text) {
  std::vector<std::string_view> field_texts = split_fields(text);
  if (field_texts.size() != kFieldCount) {
    return usage_error("expected " + std::to_string(kFieldCount) + " fields, got " +
                       std::to_string(field_texts.size()));
  }
  CronFields fields;
  auto minutes = parse_plain_field(kMinute, field_texts[0]);
  if (!minutes) return minutes.error();
  fields.minutes = *minutes;
  auto hours = parse_plain_field(kHour, field_texts[1]);
  if (!hours) return hours.error();
  fields.hours = *hours;
  Status days_of_month = parse_list(kDayOfMonth, field_texts[2], [&](std::string_view item) {
    return parse_day_of_month_item(item, fields);
  });
  if (!days_of_month) return days_of_month.error();
  auto months = parse_plain_field(kMonth, field_texts[3]);
  if (!months) return months.error();
  fields.months = static_cast<std::uint32_t>(*months);
  Status days_of_week = parse_list(kDayOfWeek, field_texts[4], [&](std::string_view item) {
    return parse_day_of_week_item(item, fields);
  });
  if (!days_of_week) return days_of_week.error();
  fields.day_of_month_star = field_texts[2].front() == '*';
  fields.day_of_week_star = field_texts[4].front() == '*';
  return fields;
}

// --- Matching ------------------------------------------------------------------------------

// A local time broken down to the minute.
struct LocalMinute {
  int year;
  unsigned month;  // 1-12
  unsigned day;    // 1-31
  unsigned hour;
  unsigned minute;
};

// What the day fields need to know of a month: nothing but where it starts and how long it is.
struct MonthShape {
  unsigned first_weekday;  // 0-6 from Sunday
  unsigned length;         // 28-31
};

// Only for local seconds in [kBeginLocal, kEndLocal).
LocalMinute break_down(std::int64_t local_seconds) {
  std::int64_t day_number = floor_div(local_seconds, kSecondsPerDay);
  std::int64_t second_of_day = local_seconds - day_number * kSecondsPerDay;
  date::year_month_day date{date::sys_days{date::days{static_cast<int>(day_number)}}};
  return {static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
          static_cast<unsigned>(date.day()), static_cast<unsigned>(second_of_day / kSecondsPerHour),
          static_cast<unsigned>(second_of_day % kSecondsPerHour / kSecondsPerMinute)};
}

std::int64_t local_seconds_of(const LocalMinute& time) {
  date::sys_days day{date::year{time.year} / date::month{time.month} / date::day{time.day}};
  return std::int64_t{day.time_since_epoch().count()} * kSecondsPerDay +
         time.hour * kSecondsPerHour + time.minute * kSecondsPerMinute;
}

MonthShape shape_of(int year, unsigned month) {
  date::year_month year_month{date::year{year}, date::month{month}};
  date::weekday first{date::sys_days{year_month / 1}};
  return {first.c_encoding(), static_cast<unsigned>((year_month / date::last).day())};
}

bool has_bit(std::uint64_t bits, unsigned bit) { return (bits >> bit & 1) != 0; }

// Bits `from` and above.
std::uint64_t bits_from(unsigned from) { return ~std::uint64_t{0} << from; }

unsigned lowest_bit(std::uint64_t bits) { return static_cast<unsigned>(__builtin_ctzll(bits)); }

unsigned weekday_of(const MonthShape& month, unsigned day) {
  return (month.first_weekday + day - 1) % kDaysPerWeek;
}

// The Monday-Friday nearest day `day`, not leaving the month: a Saturday moves back to Friday
// (forward to Monday the 3rd if it is the 1st), a Sunday forward to Monday (back to Friday if it
// is the last day). Nullopt when the month has no such day.
std::optional<unsigned> nearest_workday(const MonthShape& month, unsigned day) {
  if (day > month.length) return std::nullopt;
  unsigned weekday = weekday_of(month, day);
  if (weekday == kSaturday) return day == 1 ? 3 : day - 1;
  if (weekday == kSunday) return day == month.length ? day - 2 : day + 1;
  return day;
}

bool day_of_month_matches(const CronFields& fields, const MonthShape& month, unsigned day) {
  if (has_bit(fields.days_of_month, day)) return true;
  if (fields.last_day && day == month.length) return true;
  if (fields.last_workday && nearest_workday(month, month.length) == day) return true;
  for (std::uint32_t wanted = fields.nearest_workday; wanted != 0; wanted &= wanted - 1) {
    if (nearest_workday(month, lowest_bit(wanted)) == day) return true;
  }
  return false;
}

bool day_of_week_matches(const CronFields& fields, const MonthShape& month, unsigned day) {
  unsigned weekday = weekday_of(month, day);
  if (has_bit(fields.days_of_week, weekday)) return true;
  unsigned week = (day - 1) / kDaysPerWeek + 1;
  if (has_bit(fields.nth_weekday[weekday], week)) return true;
  return has_bit(fields.last_weekday, weekday) && day + kDaysPerWeek > month.length;
}

// Whether day `day` of a month of this shape matches both day fields, as cronie (and Vixie
// cron before it) combines them. When either field starts with '*' — including a step such as
// "*/2" — a day must satisfy both: "0 0 * * 1" is every Monday, "0 0 */2 * 1" the odd-numbered
// days that are Mondays. When neither does, either field is enough: "0 0 1 * 1" fires on the
// 1st of each month and on every Monday.
bool day_matches(const CronFields& fields, const MonthShape& month, unsigned day) {
  if (day < 1 || day > month.length) return false;
  bool by_day_of_month = day_of_month_matches(fields, month, day);
  bool by_day_of_week = day_of_week_matches(fields, month, day);
  if (fields.day_of_month_star || fields.day_of_week_star) return by_day_of_month && by_day_of_week;
  return by_day_of_month || by_day_of_week;
}

bool minute_matches(const CronFields& fields, const LocalMinute& time) {
  return has_bit(fields.minutes, time.minute) && has_bit(fields.hours, time.hour) &&
         has_bit(fields.months, time.month) &&
         day_matches(fields, shape_of(time.year, time.month), time.day);
}

// --- Describing ----------------------------------------------------------------------------

constexpr std::string_view kMonthWords[] = {
    "",     "January", "February",  "March",   "April",    "May",     "June",
    "July", "August",  "September", "October", "November", "December"};
// Indexed 0-7: Sunday is both 0 and 7.
constexpr std::string_view kWeekdayWords[] = {"Sunday",   "Monday", "Tuesday",  "Wednesday",
                                              "Thursday", "Friday", "Saturday", "Sunday"};

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " and " : ", ";
    out += words[i];
  }
  return out;
}

std::string ordinal(unsigned n) {
  constexpr const char* kSuffixes[] = {"th", "st", "nd", "rd"};
  bool teen = n % 100 / 10 == 1;
  return std::to_string(n) + (teen || n % 10 > 3 ? "th" : kSuffixes[n % 10]);
}

std::string two_digits(unsigned n) { return (n < 10 ? "0" : "") + std::to_string(n); }

// The values of `bits` in [lo, hi] as words, three or more in a row as "a through b".
template <class Word>
std::string value_words(std::uint64_t bits, unsigned lo, unsigned hi, Word word) {
  std::vector<std::string> words;
  for (unsigned value = lo; value <= hi; ++value) {
    if (!has_bit(bits, value)) continue;
    unsigned end = value;
    while (end < hi && has_bit(bits, end + 1)) ++end;
    if (end - value >= 2) {
      words.push_back(word(value) + " through " + word(end));
      value = end;
    } else {
      words.push_back(word(value));
    }
  }
  return join_words(words);
}

std::string number_word(unsigned n) { return std::to_string(n); }

// The step n when `bits` is exactly 0, n, 2n... over a span that n divides evenly, so that
// "every n" stays true across the wrap; 0 otherwise.
unsigned even_step(std::uint64_t bits, unsigned span) {
  if (!has_bit(bits, 0)) return 0;
  std::uint64_t rest = bits & ~std::uint64_t{1};
  if (rest == 0) return 0;
  unsigned step = lowest_bit(rest);
  if (span % step != 0) return 0;
  std::uint64_t expected = 0;
  for (unsigned value = 0; value < span; value += step) expected |= std::uint64_t{1} << value;
  return bits == expected ? step : 0;
}

std::string describe_time(const CronFields& fields) {
  unsigned minute_count = static_cast<unsigned>(__builtin_popcountll(fields.minutes));
  unsigned hour_count = static_cast<unsigned>(__builtin_popcountll(fields.hours));
  if (minute_count * hour_count <= 4) {
    std::vector<std::string> times;
    for (unsigned hour = 0; hour < kHoursPerDay; ++hour) {
      if (!has_bit(fields.hours, hour)) continue;
      for (unsigned minute = 0; minute < kMinutesPerHour; ++minute) {
        if (has_bit(fields.minutes, minute))
          times.push_back(two_digits(hour) + ":" + two_digits(minute));
      }
    }
    return "at " + join_words(times);
  }
  unsigned minute_step = even_step(fields.minutes, kMinutesPerHour);
  unsigned hour_step = even_step(fields.hours, kHoursPerDay);
  std::string hours;
  if (fields.hours == kAllHours) {
    hours = "every hour";
  } else if (hour_step != 0) {
    hours = "every " + ordinal(hour_step) + " hour";
  } else {
    hours = (hour_count == 1 ? "hour " : "hours ") +
            value_words(fields.hours, 0, kHoursPerDay - 1, number_word);
  }
  if (fields.minutes == kAllMinutes) {
    return fields.hours == kAllHours ? "every minute" : "every minute during " + hours;
  }
  if (minute_step != 0) {
    std::string every = "every " + std::to_string(minute_step) + " minutes";
    return fields.hours == kAllHours ? every : every + " during " + hours;
  }
  return (minute_count == 1 ? "at minute " : "at minutes ") +
         value_words(fields.minutes, 0, kMinutesPerHour - 1, number_word) + " past " + hours;
}

std::string describe_days(const CronFields& fields) {
  std::vector<std::string> by_date;
  if (fields.days_of_month != 0) {
    by_date.push_back("day " + value_words(fields.days_of_month, 1, kLongestMonth, number_word));
  }
  if (fields.last_day) by_date.push_back("the last day");
  if (fields.last_workday) by_date.push_back("the last weekday");
  for (unsigned day = 1; day <= kLongestMonth; ++day) {
    if (has_bit(fields.nearest_workday, day)) {
      by_date.push_back("the weekday nearest day " + std::to_string(day));
    }
  }
  std::string date_words = join_words(by_date) + " of the month";
  bool every_date = fields.days_of_month == kAllDaysOfMonth;

  std::vector<std::string> by_weekday;
  if (fields.days_of_week != 0) {
    // Count Sunday as day 7 when that joins it to a run ending on Saturday (fri-sun).
    std::uint64_t days = fields.days_of_week;
    if (has_bit(days, 0) && has_bit(days, 6) && !has_bit(days, 1)) days = (days & ~1u) | 1u << 7;
    by_weekday.push_back(value_words(days, 0, kDaysPerWeek,
                                     [](unsigned day) { return std::string(kWeekdayWords[day]); }));
  }
  bool weekday_extension = false;
  for (unsigned day = 0; day < kDaysPerWeek; ++day) {
    for (unsigned week = 1; week <= kLastWeekOfMonth; ++week) {
      if (has_bit(fields.nth_weekday[day], week)) {
        by_weekday.push_back("the " + ordinal(week) + " " + std::string(kWeekdayWords[day]));
        weekday_extension = true;
      }
    }
  }
  for (unsigned day = 0; day < kDaysPerWeek; ++day) {
    if (has_bit(fields.last_weekday, day)) {
      by_weekday.push_back("the last " + std::string(kWeekdayWords[day]));
      weekday_extension = true;
    }
  }
  std::string weekday_words = join_words(by_weekday) + (weekday_extension ? " of the month" : "");
  bool every_weekday = fields.days_of_week == kAllWeekdays;

  if (fields.day_of_month_star || fields.day_of_week_star) {  // both must match
    if (!every_date && !every_weekday) return "on " + date_words + " if it is " + weekday_words;
    if (!every_date) return "on " + date_words;
    if (!every_weekday) return "on " + weekday_words;
    return "";
  }
  if (every_date || every_weekday) return "";  // either may match
  return "on " + date_words + " or on " + weekday_words;
}

std::string describe_months(const CronFields& fields) {
  if (fields.months == kAllMonths) return "";
  return "in " + value_words(fields.months, 1, kMonthsPerYear,
                             [](unsigned month) { return std::string(kMonthWords[month]); });
}

}  // namespace

Result<CronExpression> CronExpression::parse(std::string_view text) {
  text = trim(text);
  // Imports and passes parse the same few expressions over and over; building the table of
  // matching days costs more than the rest. Valid expressions are kept (a few thousand at most).
  static std::unordered_map<std::string, CronExpression> parsed;
  if (auto found = parsed.find(std::string(text)); found != parsed.end()) return found->second;
  auto expression = parse_uncached(text);
  if (expression) {
    if (parsed.size() >= 4096) parsed.clear();
    parsed.emplace(std::string(text), *expression);
  }
  return expression;
}

Result<CronExpression> CronExpression::parse_uncached(std::string_view text) {
  std::string_view field_text = text;
  if (starts_with(text, "@")) {
    std::string_view name = text.substr(0, text.find_first_of(kBlanks));
    const Macro* found = nullptr;
    for (const auto& macro : kMacros) {
      if (equals_ignoring_case(name, macro.name)) found = &macro;
    }
    if (!found) {
      return usage_error("unknown macro " + in_quotes(name) +
                         " (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or "
                         "@hourly)");
    }
    if (name.size() != text.size()) {
      return usage_error(in_quotes(text) + " is not valid (a macro stands alone)");
    }
    field_text = found->fields;
  }
  auto fields = parse_fields(field_text);
  if (!fields) return fields.error();
  CronExpression expression(std::string(text), *fields);
  if (!expression.ever_matches()) {
    return usage_error(in_quotes(text) +
                       " can never match (no day of the allowed months fits the day fields)");
  }
  return expression;
}

CronExpression::CronExpression(std::string text, const CronFields& fields)
    : text_(std::move(text)), fields_(fields) {
  for (unsigned first_weekday = 0; first_weekday < kDaysPerWeek; ++first_weekday) {
    for (unsigned length = kShortestMonth; length <= kLongestMonth; ++length) {
      std::uint32_t& days = matching_days_[first_weekday][length - kShortestMonth];
      for (unsigned day = 1; day <= length; ++day) {
        if (day_matches(fields_, {first_weekday, length}, day)) days |= std::uint32_t{1} << day;
      }
    }
  }
}

std::uint32_t CronExpression::matching_days(int year, unsigned month) const {
  MonthShape shape = shape_of(year, month);
  return matching_days_[shape.first_weekday][shape.length - kShortestMonth];
}

bool CronExpression::ever_matches() const {
  // Minutes, hours and months always allow something; only the days can rule a month out.
  for (int year = kCycleFirstYear; year < kCycleFirstYear + kGregorianCycleYears; ++year) {
    for (std::uint32_t months = fields_.months; months != 0; months &= months - 1) {
      if (matching_days(year, lowest_bit(months)) != 0) return true;
    }
  }
  return false;
}

bool CronExpression::hour_allows_every_hour() const { return fields_.hours == kAllHours; }

std::string CronExpression::describe() const {
  std::string out = describe_time(fields_);
  for (const std::string& part : {describe_days(fields_), describe_months(fields_)}) {
    if (!part.empty()) out += " " + part;
  }
  return out;
}

bool CronExpression::matches(std::int64_t local_seconds) const {
  if (local_seconds < kBeginLocal || local_seconds >= kEndLocal) return false;
  return minute_matches(fields_, break_down(local_seconds));
}

std::optional<std::int64_t> CronExpression::next_local(std::int64_t local_seconds) const {
  if (local_seconds >= kEndLocal) return std::nullopt;
  std::int64_t first = local_seconds < kBeginLocal
                           ? kBeginLocal
                           : (floor_div(local_seconds, kSecondsPerMinute) + 1) * kSecondsPerMinute;
  if (first >= kEndLocal) return std::nullopt;
  LocalMinute time = break_down(first);
  // Jump field by field, largest first. Each loop walks the allowed values of its field from
  // the current one; moving a field on resets the fields below it to their first value.
  while (time.year <= kLastYear) {
    for (std::uint64_t months = fields_.months & bits_from(time.month); months != 0;
         months &= months - 1) {
      if (lowest_bit(months) != time.month) time = {time.year, lowest_bit(months), 1, 0, 0};
      for (std::uint64_t days = matching_days(time.year, time.month) & bits_from(time.day);
           days != 0; days &= days - 1) {
        if (lowest_bit(days) != time.day) time = {time.year, time.month, lowest_bit(days), 0, 0};
        for (std::uint64_t hours = fields_.hours & bits_from(time.hour); hours != 0;
             hours &= hours - 1) {
          if (lowest_bit(hours) != time.hour) {
            time = {time.year, time.month, time.day, lowest_bit(hours), 0};
          }
          std::uint64_t minutes = fields_.minutes & bits_from(time.minute);
          if (minutes != 0) {
            time.minute = lowest_bit(minutes);
            return local_seconds_of(time);
          }
        }
      }
    }
    time = {time.year + 1, 1, 1, 0, 0};
  }
  return std::nullopt;
}

}  // namespace trigger
