#include "calendar.h"

#include <date/date.h>

#include <algorithm>

#include "civil.h"
#include "cron.h"
#include "shell_quote.h"
#include "text.h"

namespace trigger {
namespace {

// Around a daylight-saving change local time moves by at most this much (30 minutes in
// Lord Howe, an hour almost everywhere, two hours for wartime "double summer time").
constexpr std::int64_t kMaxShift = 3 * kSecondsPerHour;

// The calendar day of local seconds `local` (floor division: before 1970 too).
date::sys_days local_day(std::int64_t local) { return date::sys_days(date::days(day_of(local))); }

// Why a candidate local time is where it is (a month-end clamp), for --explain.
using Why = std::string;

// The candidate fire times of a calendar clock in local (wall-clock) seconds, before any zone.
class LocalTimes {
 public:
  virtual ~LocalTimes() = default;
  /// The first candidate strictly after `local`, or nullopt; `why`, if given, gets a reason
  /// when the candidate was moved (a month-end clamp).
  virtual std::optional<std::int64_t> next(std::int64_t local, Why* why) const = 0;
};

// --cron EXPR: every matching minute.
class CronTimes final : public LocalTimes {
 public:
  explicit CronTimes(CronExpression cron) : cron_(std::move(cron)) {}
  std::optional<std::int64_t> next(std::int64_t local, Why*) const override {
    return cron_.next_local(local);
  }

 private:
  CronExpression cron_;
};

// --daily HH:MM[:SS]: that local time every day.
class DailyTimes final : public LocalTimes {
 public:
  explicit DailyTimes(std::int64_t second_of_day) : second_of_day_(second_of_day) {}
  std::optional<std::int64_t> next(std::int64_t local, Why*) const override {
    std::int64_t candidate = day_of(local) * kSecondsPerDay + second_of_day_;
    if (candidate <= local) candidate += kSecondsPerDay;
    if (candidate > kLastSecond) return std::nullopt;
    return candidate;
  }

 private:
  std::int64_t second_of_day_;
};

// --monthly TIME: TIME's day of the month at TIME's time of day, k months after TIME for
// k >= 1, clamped to the last day of shorter months (never drifting: each month counts from
// TIME, not from the month before).
class MonthlyTimes final : public LocalTimes {
 public:
  explicit MonthlyTimes(std::int64_t anchor_local) {
    date::year_month_day ymd(local_day(anchor_local));
    anchor_month_ = month_index(ymd);
    day_ = static_cast<unsigned>(ymd.day());
    second_of_day_ = second_of_day(anchor_local);
  }
  std::optional<std::int64_t> next(std::int64_t local, Why* why) const override {
    int month = month_index(date::year_month_day(local_day(local)));
    for (int k = std::max(1, month - anchor_month_);; ++k) {
      auto candidate = at(anchor_month_ + k, why);
      if (!candidate) return std::nullopt;
      if (*candidate > local) return candidate;
    }
  }

 private:
  // Months since January of year 0.
  static int month_index(const date::year_month_day& ymd) {
    return static_cast<int>(ymd.year()) * 12 +
           static_cast<int>(static_cast<unsigned>(ymd.month())) - 1;
  }

  std::optional<std::int64_t> at(int month_index, Why* why) const {
    date::year year(month_index / 12);
    date::month month(static_cast<unsigned>(month_index % 12 + 1));
    if (static_cast<int>(year) > 9999) return std::nullopt;
    unsigned last =
        static_cast<unsigned>(date::year_month_day_last(year, date::month_day_last(month)).day());
    unsigned day = std::min(day_, last);
    if (why != nullptr) {
      *why = day == day_ ? ""
                         : "day " + std::to_string(day_) + " does not exist in " +
                               date::format("%B %Y", date::year_month(year, month)) +
                               ": clamped to the last day, the " + std::to_string(day) + "th";
    }
    auto days = date::sys_days(year / month / date::day(day)).time_since_epoch().count();
    return days * kSecondsPerDay + second_of_day_;
  }

  int anchor_month_ = 0;
  unsigned day_ = 1;
  std::int64_t second_of_day_ = 0;
};

// The offset spans just before, at and after a moment: near a daylight-saving change they map
// local times to instants by arithmetic instead of a zone-database lookup per local time.
class NearbySpans {
 public:
  NearbySpans(const Zone& zone, const Zone::OffsetSpan& here) {
    spans_[1] = here;
    spans_[0] = zone.span_at(here.begin - 1);
    spans_[2] = zone.span_at(here.end);
  }
  // The instants of local time `local`, or nullopt if they lie beyond the cached spans.
  std::optional<Zone::LocalInstants> resolve(std::int64_t local) const {
    return Zone::resolve_in_spans(spans_, local);
  }

 private:
  Zone::OffsetSpan spans_[3];
};

std::string local_text(std::int64_t local) {
  auto days = local_day(local);
  std::int64_t second = second_of_day(local);
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, second % 60 ? "%02lld:%02lld:%02lld" : "%02lld:%02lld",
                static_cast<long long>(second / 3600), static_cast<long long>(second / 60 % 60),
                static_cast<long long>(second % 60));
  return std::string(buffer) + " on " + date::format("%F", days);
}

// A clock of local times in a zone, under a DST rule.
class CalendarClock final : public Clock {
 public:
  CalendarClock(ClockKind kind, std::string text, std::string description,
                std::unique_ptr<LocalTimes> times, Zone zone, bool literal)
      : kind_(kind),
        text_(std::move(text)),
        description_(std::move(description)),
        times_(std::move(times)),
        zone_(std::move(zone)),
        literal_(literal) {}

  ClockKind kind() const override { return kind_; }
  std::string text() const override { return text_; }
  std::string describe() const override { return description_; }
  std::optional<Epoch> first_after(Epoch after) const override { return find(after, nullptr); }
  std::string explain(Epoch epoch) const override {
    Why why;
    find(epoch - 1, &why);
    return why;
  }

 private:
  // The first fire time after `after`; `why` gets the reason it was moved, if any. Far from
  // any daylight-saving change a local time is one instant; near one, the scan goes slower.
  std::optional<Epoch> find(Epoch after, Why* why) const {
    if (zone_.is_utc()) return times_->next(after, why);  // no zone arithmetic: local is UTC
    Zone::OffsetSpan span = zone_.span_at(after);
    std::int64_t scan_after;
    if (settled(span, after)) {
      auto scanned = scan_settled_span(span, after, why);
      if (scanned.done) return scanned.fire_time;
      scan_after = scanned.resume_after;
    } else {
      scan_after = earliest_local_after(span, after);
    }
    return scan_near_change(span, after, scan_after, why);
  }

  // Whether `after` lies far enough inside its offset span that local times near it each map to
  // exactly one instant: local - span.offset.
  static bool settled(const Zone::OffsetSpan& span, Epoch after) {
    return after - span.begin >= kMaxShift && span.end - after > kMaxShift;
  }

  // An instant t > after has local time t + offset(t): no earlier than after plus the least
  // offset in force around `after`. Local times are scanned from just before there.
  std::int64_t earliest_local_after(const Zone::OffsetSpan& span, Epoch after) const {
    return after + std::min(span.offset, zone_.offset_at(after + kMaxShift)) - 1;
  }

  // How the scan of a settled span ended: with the fire time (`done`; none when the clock has
  // no more local times), or at a local time whose instant nears the span's end, so that the
  // slower scan must go on after `resume_after`.
  struct SettledScan {
    bool done = false;
    std::optional<Epoch> fire_time;
    std::int64_t resume_after = 0;
  };

  // The common case: one instant per local time, no DST in sight.
  SettledScan scan_settled_span(const Zone::OffsetSpan& span, Epoch after, Why* why) const {
    std::int64_t local = after + span.offset;
    while (true) {
      Why moved;
      auto next = times_->next(local, why != nullptr ? &moved : nullptr);
      if (!next) {
        if (why != nullptr) *why = "";
        return {true, std::nullopt, 0};
      }
      std::int64_t earliest = *next - span.offset;
      if (earliest < span.begin || earliest + kMaxShift >= span.end) return {false, {}, local};
      if (earliest > after) {
        if (why != nullptr) *why = moved;
        return {true, earliest, 0};
      }
      local = *next;
    }
  }

  // A fire time found near a daylight-saving change, why it is there, and the largest offset in
  // force shortly before it.
  struct Found {
    Epoch fire_time;
    Why why;
    std::int64_t offset_before;
  };

  // Near a daylight-saving change a local time maps to no instant, one or two: scan the local
  // times after `local` for the earliest instant after `after`.
  std::optional<Epoch> scan_near_change(const Zone::OffsetSpan& span, Epoch after,
                                        std::int64_t local, Why* why) const {
    std::optional<NearbySpans> nearby;
    std::optional<Found> best;
    while (true) {
      Why moved;
      Why* reason = why != nullptr ? &moved : nullptr;  // words cost more than the search
      auto next = times_->next(local, reason);
      if (!next) break;
      local = *next;
      // A later local time maps to an earlier instant than `best` only through an offset in
      // force shortly before `best`: past that, nothing later can be earlier.
      if (best && local - best->offset_before > best->fire_time) break;
      if (!nearby) nearby.emplace(zone_, span);
      auto known = nearby->resolve(local);
      auto candidate =
          fire_time_of(local, known ? *known : zone_.resolve_local(local), after, reason);
      if (candidate && (!best || *candidate < best->fire_time)) {
        std::int64_t offset_before =
            std::max(zone_.offset_at(*candidate), zone_.offset_at(*candidate - kMaxShift));
        best = Found{*candidate, moved, offset_before};
      }
      // Fixed-time mapping is monotonic: the first candidate found is the answer.
      if (best && !literal_) break;
    }
    if (why != nullptr) *why = best ? best->why : "";
    if (!best) return std::nullopt;
    return best->fire_time;
  }

  // The instant after `after` at which local time `local` fires under the DST rule, if any: a
  // repeated local time at its first occurrence (literally, at its second too), a local time
  // in a gap at the gap's end (literally, never). `reason`, if given, gets why it is there.
  std::optional<Epoch> fire_time_of(std::int64_t local, const Zone::LocalInstants& instants,
                                    Epoch after, Why* reason) const {
    switch (instants.kind) {
      case Zone::LocalInstants::kUnique:
        if (instants.first > after) return instants.first;
        return std::nullopt;
      case Zone::LocalInstants::kRepeated:
        if (instants.first > after) {
          if (reason != nullptr) {
            *reason = occurs_twice(local) + (literal_ ? "this is its first occurrence"
                                                      : "fired at its first occurrence only");
          }
          return instants.first;
        }
        if (!literal_ || instants.second <= after) return std::nullopt;
        if (reason != nullptr) *reason = occurs_twice(local) + "this is its second occurrence";
        return instants.second;
      case Zone::LocalInstants::kGap:
        if (literal_ || instants.first <= after) return std::nullopt;
        if (reason != nullptr) {
          *reason = local_text(local) + " does not exist (" + zone_.name() +
                    " skips it for daylight saving): fired at the end of the gap";
        }
        return instants.first;
    }
    return std::nullopt;
  }

  // "01:30 on 2026-11-01 occurs twice (America/New_York): "
  std::string occurs_twice(std::int64_t local) const {
    return local_text(local) + " occurs twice (" + zone_.name() + "): ";
  }

  ClockKind kind_;
  std::string text_;
  std::string description_;
  std::unique_ptr<LocalTimes> times_;
  Zone zone_;
  bool literal_;
};

// ", Europe/Paris" after a description; nothing in UTC.
std::string in_zone(const Zone& zone) { return zone.is_utc() ? "" : ", " + zone.name(); }

Result<std::unique_ptr<const Clock>> calendar_clock(ClockKind kind, std::string text,
                                                    std::string description,
                                                    std::unique_ptr<LocalTimes> times,
                                                    const Zone& zone, bool literal) {
  return std::unique_ptr<const Clock>(new CalendarClock(
      kind, std::move(text), std::move(description), std::move(times), zone, literal));
}

// "--cron '0 25 * * *': hour '25' is out of range 0-23"; a reason that names the whole value
// already reads "--cron '0 0 30 2 *' can never match (...)".
Error option_error(std::string_view option, std::string_view value, const std::string& why) {
  if (starts_with(why, in_quotes(value))) return usage_error(std::string(option) + " " + why);
  return usage_error(std::string(option) + " " + in_quotes(value) + ": " + why);
}

// HH:MM[:SS]
std::optional<std::int64_t> parse_time_of_day(std::string_view text) {
  auto digits = [&](std::size_t at) {
    return at + 2 <= text.size() && std::isdigit(static_cast<unsigned char>(text[at])) &&
           std::isdigit(static_cast<unsigned char>(text[at + 1]));
  };
  auto number = [&](std::size_t at) { return (text[at] - '0') * 10 + (text[at + 1] - '0'); };
  if (!(text.size() == 5 || text.size() == 8) || !digits(0) || text[2] != ':' || !digits(3))
    return std::nullopt;
  std::int64_t seconds = 0;
  if (text.size() == 8) {
    if (text[5] != ':' || !digits(6)) return std::nullopt;
    seconds = number(6);
  }
  std::int64_t hours = number(0);
  std::int64_t minutes = number(3);
  if (hours > 23 || minutes > 59 || seconds > 59) return std::nullopt;
  return hours * kSecondsPerHour + minutes * kSecondsPerMinute + seconds;
}

}  // namespace

Result<std::unique_ptr<const Clock>> make_cron_clock(const ClockSpec& spec, Epoch,
                                                     const Zone& zone) {
  auto cron = CronExpression::parse(spec.value);
  if (!cron) return option_error("--cron", spec.value, cron.error().message());
  // cronie's rule: an hour field that allows every hour fires at every real instant.
  bool literal =
      spec.dst == DstRule::kAuto ? cron->hour_allows_every_hour() : spec.dst == DstRule::kLiteral;
  std::string description = cron->describe() + in_zone(zone);
  // Stored with single spaces between fields, however it was typed.
  std::string words;
  auto split = shell_split(cron->text());
  if (!split) return option_error("--cron", spec.value, split.error().message());
  for (const auto& word : *split) words += (words.empty() ? "" : " ") + word;
  return calendar_clock(ClockKind::kCron, "--cron " + shell_quote(words), description,
                        std::make_unique<CronTimes>(std::move(*cron)), zone, literal);
}

Result<std::unique_ptr<const Clock>> make_daily_clock(const ClockSpec& spec, Epoch,
                                                      const Zone& zone) {
  auto second_of_day = parse_time_of_day(spec.value);
  if (!second_of_day) {
    return option_error("--daily", spec.value,
                        "expected HH:MM or HH:MM:SS, from 00:00 to 23:59:59");
  }
  std::string at = std::string(spec.value);
  return calendar_clock(
      ClockKind::kDaily, "--daily " + at, "at " + at + " every day" + in_zone(zone),
      std::make_unique<DailyTimes>(*second_of_day), zone, spec.dst == DstRule::kLiteral);
}

Result<std::unique_ptr<const Clock>> make_monthly_clock(const ClockSpec& spec, Epoch set_epoch,
                                                        const Zone& zone) {
  auto anchor = parse_time(spec.value, set_epoch, zone);
  if (!anchor) return usage_error("--monthly: " + anchor.error().message());
  std::int64_t local = *anchor + zone.offset_at(*anchor);
  std::string text = format_rfc3339(*anchor, zone);
  unsigned day = static_cast<unsigned>(date::year_month_day(local_day(local)).day());
  std::string description = "monthly on day " + std::to_string(day) + " at " +
                            local_text(local).substr(0, local_text(local).find(" on ")) +
                            (day > 28 ? " (the last day in shorter months)" : "") + " after " +
                            text + in_zone(zone);
  return calendar_clock(ClockKind::kMonthly, "--monthly " + text, description,
                        std::make_unique<MonthlyTimes>(local), zone, spec.dst == DstRule::kLiteral);
}

}  // namespace trigger
