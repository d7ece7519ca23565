#include "trigger/time.h"

#include <date/date.h>
#include <date/tz.h>

#include <unistd.h>

#include <boost/date_time/gregorian/gregorian_types.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>

#include "civil.h"
#include "posix_tz.h"
#include "text.h"

namespace trigger {

// A zone past the last transition its file lists: from then on, its POSIX TZ rule.
struct ZoneTail {
  Epoch from;
  PosixRule rule;
};

namespace {

// The range of times trigger accepts: 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
constexpr Epoch kMinEpoch = 0;
constexpr Epoch kMaxEpoch = kLastSecond;

// Where date/tz, built with the OS tz database, reads the zone files on Debian.
constexpr const char* kZoneDir = "/usr/share/zoneinfo";
// The system's zone, a link into the zone directory; "localtime" there links back to it.
constexpr const char* kLocalTimeLink = "/etc/localtime";
constexpr int kMaxLinkHops = 8;
// Offsets stay within 26 h of UTC: a local time more than two days before a zone's tail is an
// instant before it.
constexpr std::int64_t kNearTail = 2 * kSecondsPerDay;
constexpr Epoch kForever = std::numeric_limits<Epoch>::max() / 4;

struct Unit {
  std::string_view name;
  std::int64_t seconds;
};
// Longest names first so "min" is not read as "m" followed by "in".
constexpr Unit kUnits[] = {{"min", 60},
                           {"s", 1},
                           {"m", 60},
                           {"h", 3600},
                           {"d", kSecondsPerDay},
                           {"w", 7 * kSecondsPerDay}};

Error bad_duration(std::string_view text, std::string_view why) {
  return usage_error("invalid duration '" + std::string(text) + "': " + std::string(why));
}

Error bad_time(std::string_view text, std::string_view why) {
  return usage_error("invalid time '" + std::string(text) + "': " + std::string(why));
}

// Read an unsigned decimal number of at most `max_digits` digits at `pos`; advances pos.
std::optional<std::int64_t> read_number(std::string_view text, std::size_t& pos,
                                        std::size_t min_digits, std::size_t max_digits) {
  std::size_t start = pos;
  std::int64_t value = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) &&
         pos - start < max_digits) {
    value = value * 10 + (text[pos] - '0');
    ++pos;
  }
  if (pos - start < min_digits) return std::nullopt;
  return value;
}

// Days since 1970-01-01 of a civil date, or nullopt if it is not a real date.
std::optional<std::int64_t> civil_days(std::int64_t year, std::int64_t month, std::int64_t day) {
  if (year < 1400 || year > 9999 || month < 1 || month > 12 || day < 1) return std::nullopt;
  if (day > boost::gregorian::gregorian_calendar::end_of_month_day(
                static_cast<unsigned short>(year), static_cast<unsigned short>(month))) {
    return std::nullopt;
  }
  boost::gregorian::date date(static_cast<unsigned short>(year), static_cast<unsigned short>(month),
                              static_cast<unsigned short>(day));
  return (date - boost::gregorian::date(1970, 1, 1)).days();
}

Result<Epoch> checked_epoch(std::string_view text, std::int64_t value) {
  if (value < kMinEpoch || value > kMaxEpoch) {
    return bad_time(text, "out of range 1970-01-01 to 9999-12-31");
  }
  return value;
}

// date-time = date [("T" | "t" | " ") HH ":" MM [":" SS ["." 1*DIGIT]] [offset]]
// offset    = "Z" | "z" | ("+" | "-") HH ":" MM
Result<Epoch> parse_calendar_time(std::string_view text, const Zone& zone) {
  std::size_t pos = 0;
  auto year = read_number(text, pos, 4, 4);
  if (!year) {
    return bad_time(
        text, "expected now, @EPOCH, YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], +DURATION or -DURATION");
  }
  if (pos >= text.size() || text[pos++] != '-') return bad_time(text, "expected YYYY-MM-DD");
  auto month = read_number(text, pos, 2, 2);
  if (!month || pos >= text.size() || text[pos++] != '-')
    return bad_time(text, "expected YYYY-MM-DD");
  auto day = read_number(text, pos, 2, 2);
  if (!day) return bad_time(text, "expected YYYY-MM-DD");
  auto days = civil_days(*year, *month, *day);
  if (!days) return bad_time(text, "no such date");
  std::int64_t local = *days * kSecondsPerDay;
  if (pos == text.size()) {
    auto epoch = zone.from_local(local);
    if (!epoch) return bad_time(text, "midnight does not exist in " + zone.name());
    return checked_epoch(text, *epoch);
  }
  char separator = text[pos++];
  if (separator != 'T' && separator != 't' && separator != ' ') {
    return bad_time(text, "expected 'T' or a space after the date");
  }
  auto hour = read_number(text, pos, 2, 2);
  if (!hour || pos >= text.size() || text[pos++] != ':') return bad_time(text, "expected HH:MM");
  auto minute = read_number(text, pos, 2, 2);
  if (!minute) return bad_time(text, "expected HH:MM");
  std::int64_t second = 0;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    auto value = read_number(text, pos, 2, 2);
    if (!value) return bad_time(text, "expected HH:MM:SS");
    second = *value;
    // A fraction of a second (RFC 3339's time-secfrac, as JavaScript and date --rfc-3339=ns
    // print it) is floored: the instant is the whole second it falls in.
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      std::size_t digits = pos;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
      if (pos == digits) return bad_time(text, "expected digits after '.'");
    }
  }
  if (*hour > 23 || *minute > 59 || second > 59) return bad_time(text, "no such time of day");
  local += *hour * 3600 + *minute * 60 + second;
  if (pos == text.size()) {
    auto epoch = zone.from_local(local);
    if (!epoch) {
      return bad_time(text, "this local time does not exist in " + zone.name() +
                                " (skipped by a daylight-saving change)");
    }
    return checked_epoch(text, *epoch);
  }
  char sign = text[pos++];
  std::int64_t offset = 0;
  if (sign == 'Z' || sign == 'z') {
    offset = 0;
  } else if (sign == '+' || sign == '-') {
    auto offset_hours = read_number(text, pos, 2, 2);
    if (!offset_hours || pos >= text.size() || text[pos++] != ':') {
      return bad_time(text, "expected an offset like +01:00");
    }
    auto offset_minutes = read_number(text, pos, 2, 2);
    if (!offset_minutes || *offset_hours > 23 || *offset_minutes > 59) {
      return bad_time(text, "expected an offset like +01:00");
    }
    offset = (*offset_hours * 3600 + *offset_minutes * 60) * (sign == '-' ? -1 : 1);
  } else {
    return bad_time(text, "unexpected text after the time");
  }
  if (pos != text.size()) return bad_time(text, "unexpected text after the offset");
  return checked_epoch(text, local - offset);
}

// The POSIX TZ footer of a TZif file of version 2 or later: "\n<rule>\n" at its end.
std::optional<std::string> read_footer(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < 6 || data.compare(0, 4, "TZif") != 0 || data[4] < '2' || data.back() != '\n') {
    return std::nullopt;
  }
  auto start = data.rfind('\n', data.size() - 2);
  if (start == std::string::npos) return std::nullopt;
  return data.substr(start + 1, data.size() - start - 2);
}

// A zone's tail, if its footer has a rule that changes offsets (a rule without daylight saving
// keeps the last offset, which date/tz gives already).
std::optional<ZoneTail> load_tail(const date::time_zone& zone) {
  auto footer = read_footer(std::string(kZoneDir) + "/" + std::string(zone.name()));
  auto rule = footer ? PosixRule::parse(*footer) : std::nullopt;
  if (!rule || !rule->has_dst()) return std::nullopt;
  auto last = zone.get_info(date::sys_seconds(std::chrono::seconds(kMaxEpoch)));
  auto from = std::chrono::duration_cast<std::chrono::seconds>(last.begin.time_since_epoch());
  return ZoneTail{std::max<Epoch>(-kForever, from.count()), *rule};
}

// Each zone's tail, read once per process.
const ZoneTail* tail_of(const date::time_zone* zone) {
  static std::mutex mutex;
  static std::map<const date::time_zone*, std::optional<ZoneTail>> tails;
  std::lock_guard<std::mutex> lock(mutex);
  auto [entry, added] = tails.try_emplace(zone);
  if (added) entry->second = load_tail(*zone);
  return entry->second ? &*entry->second : nullptr;
}

}  // namespace

Zone::Zone(std::string name, const date::time_zone* zone)
    : name_(std::move(name)), zone_(zone), tail_(zone != nullptr ? tail_of(zone) : nullptr) {}

Zone Zone::utc() { return Zone("UTC", nullptr); }
Result<Zone> Zone::locate(std::string_view name) {
  if (name == "UTC") return utc();
  if (name == "localtime") return locate_link(kLocalTimeLink);
  if (name.empty() || name.find("..") != std::string_view::npos || name.front() == '/') {
    return usage_error("unknown time zone " + in_quotes(name));
  }
  try {
    const date::time_zone* zone = date::locate_zone(name);
    return Zone(std::string(name), zone);
  } catch (const std::exception&) {
    return usage_error("unknown time zone " + in_quotes(name));
  }
}

Result<Zone> Zone::locate_link(const std::string& path) {
  std::string link = path;
  for (int hop = 0; hop < kMaxLinkHops; ++hop) {
    char target[4096];
    ssize_t length = ::readlink(link.c_str(), target, sizeof target);
    if (length <= 0 || static_cast<std::size_t>(length) >= sizeof target) break;
    std::string to(target, static_cast<std::size_t>(length));
    if (auto at = to.rfind("zoneinfo/"); at != std::string::npos) {
      std::string name = to.substr(at + 9);
      if (name != "localtime") return locate(name);
      break;
    }
    link = to.front() == '/' ? to : directory_of(link) + "/" + to;
  }
  return usage_error("cannot resolve the time zone of " + in_quotes(path) +
                     ": not a symbolic link into a zoneinfo directory");
}

Result<Zone> Zone::system_default() {
  if (const char* tz = std::getenv("TZ"); tz != nullptr) {
    std::string_view name(tz);
    if (!name.empty() && name.front() == ':') name.remove_prefix(1);
    if (name.empty()) return utc();
    // TZ=/usr/share/zoneinfo/Europe/Berlin: take the name after "zoneinfo/"; TZ=/etc/localtime:
    // the zone that link points to.
    if (name.front() == '/') {
      auto at = name.rfind("zoneinfo/");
      if (at == std::string_view::npos) return locate_link(std::string(name));
      name.remove_prefix(at + 9);
    }
    auto zone = locate(name);
    if (!zone && name == "localtime") return zone;
    if (!zone) return usage_error("TZ names unknown time zone " + in_quotes(tz));
    return zone;
  }
  try {
    const date::time_zone* zone = date::current_zone();
    return Zone(std::string(zone->name()), zone);
  } catch (const std::exception&) {
    return utc();
  }
}

bool Zone::in_tail(Epoch epoch) const { return tail_ != nullptr && epoch >= tail_->from; }

std::int64_t Zone::offset_at(Epoch epoch) const {
  if (zone_ == nullptr) return 0;
  if (in_tail(epoch)) return tail_->rule.span_at(epoch).offset;
  auto info = zone_->get_info(date::sys_seconds(std::chrono::seconds(epoch)));
  return info.offset.count();
}

std::optional<Epoch> Zone::from_local(std::int64_t local_seconds) const {
  auto instants = resolve_local(local_seconds);
  if (instants.kind == LocalInstants::kGap) return std::nullopt;
  return instants.first;
}

Zone::LocalInstants Zone::resolve_local(std::int64_t local_seconds) const {
  LocalInstants instants;
  if (zone_ == nullptr) {
    instants.first = local_seconds;
    return instants;
  }
  if (tail_ != nullptr && local_seconds >= tail_->from - kNearTail) {
    return resolve_by_spans(local_seconds);
  }
  auto info = zone_->get_info(date::local_seconds(std::chrono::seconds(local_seconds)));
  switch (info.result) {
    case date::local_info::unique:
      instants.first = local_seconds - info.first.offset.count();
      break;
    case date::local_info::ambiguous:
      instants.kind = LocalInstants::kRepeated;
      instants.first = local_seconds - info.first.offset.count();
      instants.second = local_seconds - info.second.offset.count();
      break;
    case date::local_info::nonexistent:
      instants.kind = LocalInstants::kGap;
      instants.first = info.second.begin.time_since_epoch().count();
      break;
  }
  return instants;
}

// Near and past the tail, where date/tz knows no transitions: from the spans around the
// instant the local time names in UTC (offsets change months apart there, so the three spans
// around it hold every instant of that local time).
Zone::LocalInstants Zone::resolve_by_spans(std::int64_t local_seconds) const {
  OffsetSpan here = span_at(local_seconds - offset_at(local_seconds));
  OffsetSpan spans[3] = {span_at(here.begin - 1), here, span_at(here.end)};
  if (auto instants = resolve_in_spans(spans, local_seconds)) return *instants;
  LocalInstants unique;
  unique.first = local_seconds - here.offset;
  return unique;
}

std::optional<Zone::LocalInstants> Zone::resolve_in_spans(const OffsetSpan (&spans)[3],
                                                          std::int64_t local) {
  Epoch found[3];
  int count = 0;
  for (const auto& span : spans) {
    Epoch t = local - span.offset;
    if (t >= span.begin && t < span.end) found[count++] = t;
  }
  LocalInstants instants;
  if (count == 1) {
    instants.first = found[0];
    return instants;
  }
  if (count == 2) {
    instants.kind = LocalInstants::kRepeated;
    instants.first = std::min(found[0], found[1]);
    instants.second = std::max(found[0], found[1]);
    return instants;
  }
  for (int i = 0; i < 2 && count == 0; ++i) {  // between two spans: a gap
    const auto& before = spans[i];
    const auto& after = spans[i + 1];
    if (after.offset > before.offset && local >= before.end + before.offset &&
        local < before.end + after.offset) {
      instants.kind = LocalInstants::kGap;
      instants.first = before.end;
      return instants;
    }
  }
  return std::nullopt;
}

Zone::OffsetSpan Zone::span_at(Epoch epoch) const {
  if (zone_ == nullptr) return {-kForever, kForever, 0};
  if (in_tail(epoch)) {
    OffsetSpan span = tail_->rule.span_at(epoch);
    span.begin = std::max(span.begin, tail_->from);
    return span;
  }
  auto info = zone_->get_info(date::sys_seconds(std::chrono::seconds(epoch)));
  // date/tz marks the first and last spans with the limits of its time type: keep them in range.
  auto clamp = [](auto point) {
    auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(point.time_since_epoch()).count();
    return std::max<Epoch>(-kForever, std::min<Epoch>(kForever, seconds));
  };
  return {clamp(info.begin), clamp(info.end), info.offset.count()};
}

Result<std::int64_t> parse_duration(std::string_view text) {
  if (text.empty()) return bad_duration(text, "empty");
  std::int64_t total = 0;
  std::size_t pos = 0;
  bool any_unit = false;
  while (pos < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[pos]))) {
      return bad_duration(text, text[pos] == '-' ? "must be positive" : "expected a number");
    }
    std::int64_t number = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (__builtin_mul_overflow(number, 10, &number) ||
          __builtin_add_overflow(number, text[pos] - '0', &number)) {
        return bad_duration(text, "too large");
      }
      ++pos;
    }
    std::int64_t unit_seconds = 1;
    if (pos == text.size()) {
      if (any_unit) return bad_duration(text, "a number without a unit after units");
    } else {
      const Unit* found = nullptr;
      for (const Unit& unit : kUnits) {
        if (text.substr(pos, unit.name.size()) == unit.name) {
          found = &unit;
          break;
        }
      }
      if (found == nullptr) {
        return bad_duration(text, "unknown unit '" + std::string(text.substr(pos, 1)) +
                                      "' (use s, m, min, h, d, w)");
      }
      pos += found->name.size();
      unit_seconds = found->seconds;
      any_unit = true;
    }
    std::int64_t part = 0;
    if (__builtin_mul_overflow(number, unit_seconds, &part) ||
        __builtin_add_overflow(total, part, &total) || total > kMaxEpoch) {
      return bad_duration(text, "too large");
    }
  }
  if (total <= 0) return bad_duration(text, "must be more than zero");
  return total;
}

std::string format_duration(std::int64_t seconds) {
  std::string out;
  for (auto unit : {Unit{"w", 7 * kSecondsPerDay}, Unit{"d", kSecondsPerDay}, Unit{"h", 3600},
                    Unit{"m", 60}, Unit{"s", 1}}) {
    if (seconds >= unit.seconds) {
      out += std::to_string(seconds / unit.seconds) + std::string(unit.name);
      seconds %= unit.seconds;
    }
  }
  return out.empty() ? "0s" : out;
}

Result<Epoch> parse_time(std::string_view text, Epoch now, const Zone& zone) {
  if (text.empty()) return bad_time(text, "empty");
  if (text == "now") return now;
  // relative = ["now"] ("+" | "-") duration
  std::string_view relative = text;
  if (starts_with(relative, "now")) relative.remove_prefix(3);
  if (!relative.empty() && (relative.front() == '+' || relative.front() == '-')) {
    char sign = relative.front();
    auto duration = parse_duration(relative.substr(1));
    if (!duration)
      return bad_time(text, "expected a duration after '" + std::string(1, sign) + "'");
    return checked_epoch(text, sign == '+' ? now + *duration : now - *duration);
  }
  if (text.front() == '@') {
    std::size_t pos = 1;
    auto value = read_number(text, pos, 1, 12);
    if (!value || pos != text.size()) return bad_time(text, "expected @ and a number of seconds");
    return checked_epoch(text, *value);
  }
  return parse_calendar_time(text, zone);
}

std::string format_rfc3339(Epoch epoch, const Zone& zone) {
  std::int64_t offset = zone.offset_at(epoch);
  // RFC 3339 offsets are whole minutes and parse_time() reads four-digit years: an instant
  // whose offset has seconds (Africa/Monrovia until 1972) or whose local date is after
  // 9999-12-31 is written in UTC, so that what is printed (and stored) reads back to it.
  if (offset % 60 != 0 || epoch + offset > kMaxEpoch) offset = 0;
  std::int64_t local = epoch + offset;
  std::int64_t days = day_of(local);
  std::int64_t second_of_day = local - days * kSecondsPerDay;
  date::year_month_day ymd{date::sys_days{date::days{days}}};
  char buffer[48];
  int length = std::snprintf(
      buffer, sizeof buffer, "%04d-%02u-%02uT%02lld:%02lld:%02lld", static_cast<int>(ymd.year()),
      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
      static_cast<long long>(second_of_day / 3600), static_cast<long long>(second_of_day / 60 % 60),
      static_cast<long long>(second_of_day % 60));
  std::string out(buffer, static_cast<std::size_t>(length));
  if (offset == 0) return out + "Z";
  std::int64_t magnitude = offset < 0 ? -offset : offset;
  std::snprintf(buffer, sizeof buffer, "%c%02lld:%02lld", offset < 0 ? '-' : '+',
                static_cast<long long>(magnitude / 3600),
                static_cast<long long>(magnitude / 60 % 60));
  return out + buffer;
}

}  // namespace trigger
