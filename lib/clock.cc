#include "trigger/clock.h"

#include <limits>

#include "calendar.h"
#include "civil.h"
#include "shell_quote.h"
#include "text.h"

namespace trigger {
namespace {

// --at TIME: one fire time.
class AtClock final : public Clock {
 public:
  AtClock(Epoch at, Zone zone) : at_(at), zone_(std::move(zone)) {}
  ClockKind kind() const override { return ClockKind::kAt; }
  std::optional<Epoch> first_after(Epoch after) const override {
    if (at_ > after) return at_;
    return std::nullopt;
  }
  std::string text() const override { return "--at " + format_rfc3339(at_, zone_); }
  std::string describe() const override { return "once at " + format_rfc3339(at_, zone_); }

 private:
  Epoch at_;
  Zone zone_;
};

// --every DURATION [--from TIME]: anchor + k * period for every integer k.
class EveryClock final : public Clock {
 public:
  EveryClock(std::int64_t period, Epoch anchor, Zone zone)
      : period_(period), anchor_(anchor), zone_(std::move(zone)) {}
  ClockKind kind() const override { return ClockKind::kEvery; }
  std::optional<Epoch> first_after(Epoch after) const override {
    // The smallest anchor + k * period strictly greater than `after`.
    Epoch next = anchor_ + (floor_div(after - anchor_, period_) + 1) * period_;
    if (next > kLastSecond) return std::nullopt;
    return next;
  }
  std::string text() const override {
    return "--every " + format_duration(period_) + " --from " + format_rfc3339(anchor_, zone_);
  }
  std::string describe() const override {
    return "every " + format_duration(period_) + " from " + format_rfc3339(anchor_, zone_);
  }

 private:
  std::int64_t period_;
  Epoch anchor_;
  Zone zone_;
};

// --never: no fire times; a parked trigger.
class NeverClock final : public Clock {
 public:
  ClockKind kind() const override { return ClockKind::kNever; }
  std::optional<Epoch> first_after(Epoch) const override { return std::nullopt; }
  std::string text() const override { return "--never"; }
  std::string describe() const override { return "never"; }
};

// --on-boot [--delay D]: once per boot of the machine, D after the boot. Its fire times are
// not known ahead: the pass gives it the one of the boot it runs in (trigger-clock(7)).
class BootClock final : public Clock {
 public:
  explicit BootClock(std::int64_t delay) : delay_(delay) {}
  ClockKind kind() const override { return ClockKind::kBoot; }
  std::optional<Epoch> first_after(Epoch) const override { return std::nullopt; }
  std::string text() const override {
    return delay_ == 0 ? "--on-boot" : "--on-boot --delay " + format_duration(delay_);
  }
  std::string describe() const override {
    return delay_ == 0 ? "at each boot" : format_duration(delay_) + " after each boot";
  }
  std::optional<std::int64_t> boot_delay() const override { return delay_; }

 private:
  std::int64_t delay_;
};

// "--every: invalid duration '0': must be more than zero"
Error option_error(ClockKind kind, const Error& cause) {
  return Error(cause.kind(), clock_kind(kind)->option() + ": " + cause.message());
}

Result<std::unique_ptr<const Clock>> make_at_clock(const ClockSpec& spec, Epoch set_epoch,
                                                   const Zone& zone) {
  auto at = parse_time(spec.value, set_epoch, zone);
  if (!at) return option_error(spec.kind, at.error());
  return std::unique_ptr<const Clock>(new AtClock(*at, zone));
}

Result<std::unique_ptr<const Clock>> make_every_clock(const ClockSpec& spec, Epoch set_epoch,
                                                      const Zone& zone) {
  auto period = parse_duration(spec.value);
  if (!period) return option_error(spec.kind, period.error());
  // Without --from, the phase is the whole minute in which the clock is set: cron starts
  // passes on the minute, so `--every 1m` created at 08:00:06 fires at 08:01:00, not at
  // 08:01:06 (54 seconds after each pass).
  Epoch anchor = floor_div(set_epoch, kSecondsPerMinute) * kSecondsPerMinute;
  if (spec.from) {
    auto from = parse_time(*spec.from, set_epoch, zone);
    if (!from) return Error(ErrorKind::kUsage, "--from: " + from.error().message());
    anchor = *from;
  }
  return std::unique_ptr<const Clock>(new EveryClock(*period, anchor, zone));
}

// --delay 0s is no delay; a delay must be a duration (parse_duration: more than zero).
Result<std::unique_ptr<const Clock>> make_boot_clock(const ClockSpec& spec, Epoch, const Zone&) {
  std::int64_t delay = 0;
  if (spec.delay && *spec.delay != "0" && *spec.delay != "0s") {
    auto parsed = parse_duration(*spec.delay);
    if (!parsed) return Error(ErrorKind::kUsage, "--delay: " + parsed.error().message());
    delay = *parsed;
  }
  return std::unique_ptr<const Clock>(new BootClock(delay));
}

Result<std::unique_ptr<const Clock>> make_never_clock(const ClockSpec&, Epoch, const Zone&) {
  return std::unique_ptr<const Clock>(new NeverClock());
}

// The kinds of clock, one row each. The options that take a value come first in --help, then
// --from, then those that take none (cmd/options.cc).
// clang-format off
const ClockKindInfo kClockKinds[] = {
    // {kind,             option name, value name, help,
    //                    takes --from, takes --delay, reads set_epoch,
    //                    keeps wall clock in a new zone, factory}
    {ClockKind::kAt,      "at",      "TIME",     "fire once at TIME",
                        false, false, true,  false, make_at_clock},
    {ClockKind::kEvery,   "every",   "DURATION", "fire every DURATION",
                        true,  false, true,  false, make_every_clock},
    {ClockKind::kCron,    "cron",    "EXPR",     "fire at the minutes matching a cron expression",
                        false, false, false, false, make_cron_clock},
    {ClockKind::kDaily,   "daily",   "HH:MM",    "fire at this local time every day",
                        false, false, false, false, make_daily_clock},
    {ClockKind::kMonthly, "monthly", "TIME",     "fire monthly on TIME's day and time of day",
                        false, false, false, true,  make_monthly_clock},
    {ClockKind::kBoot,    "on-boot", nullptr,    "fire once at each boot of the machine",
                        false, true,  false, false, make_boot_clock},
    {ClockKind::kNever,   "never",   nullptr,    "no fire times (a parked trigger)",
                        false, false, false, false, make_never_clock},
};
// clang-format on

}  // namespace

const std::vector<ClockKindInfo>& clock_kinds() {
  static const std::vector<ClockKindInfo> kinds(std::begin(kClockKinds), std::end(kClockKinds));
  return kinds;
}

const ClockKindInfo* clock_kind(ClockKind kind) {
  for (const auto& row : kClockKinds) {
    if (row.kind == kind) return &row;
  }
  return nullptr;
}

const ClockKindInfo* clock_kind_of_text(std::string_view text) {
  std::string_view word = text.substr(0, text.find(' '));
  for (const auto& row : kClockKinds) {
    if (row.is_option(word)) return &row;
  }
  return nullptr;
}

Result<std::unique_ptr<const Clock>> make_clock(const ClockSpec& spec, Epoch set_epoch,
                                                const Zone& zone) {
  const ClockKindInfo* row = clock_kind(spec.kind);
  if (row == nullptr) return Error(ErrorKind::kInternal, "unknown clock kind");
  return row->make(spec, set_epoch, zone);
}

// option VALUE [--from TIME], or a lone option for a kind that takes no value [--delay D].
Result<ClockSpec> parse_clock_text(std::string_view text) {
  auto words = shell_split(text);
  auto bad = [&] { return usage_error("not a clock: " + in_quotes(text)); };
  if (!words || words->empty()) return bad();
  const auto& w = *words;
  for (const auto& row : kClockKinds) {
    if (!row.is_option(w[0])) continue;
    ClockSpec spec;
    spec.kind = row.kind;
    if (row.value_name == nullptr) {
      if (row.takes_delay && w.size() == 3 && w[1] == "--delay") {
        spec.delay = w[2];
        return spec;
      }
      if (w.size() != 1) return bad();
      return spec;
    }
    if (w.size() == 2) {
      spec.value = w[1];
      return spec;
    }
    if (row.takes_from && w.size() == 4 && w[2] == "--from") {
      spec.value = w[1];
      spec.from = w[3];
      return spec;
    }
    return bad();
  }
  return bad();
}

Result<std::optional<Epoch>> next_event(const Clock& clock, std::optional<Epoch> last_event,
                                        Epoch clock_set_epoch, bool is_reschedule) {
  Epoch after = clock_set_epoch;
  if (last_event && *last_event > after) after = *last_event;
  std::optional<Epoch> next = clock.first_after(after);
  if (next && *next <= after) {
    return Error(ErrorKind::kInternal, "clock " + in_quotes(clock.text()) +
                                           " did not move forward from " + std::to_string(after));
  }
  if (is_reschedule && next && last_event && *next <= *last_event) {
    return Error(ErrorKind::kInternal,
                 "clock " + in_quotes(clock.text()) + " rescheduled to or before its last event");
  }
  return next;
}

}  // namespace trigger
