#include "trigger/clock.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "trigger/trigger.h"

using trigger::ClockKind;
using trigger::ClockSpec;
using trigger::Epoch;
using trigger::Zone;

namespace {

std::unique_ptr<const trigger::Clock> clock(ClockSpec spec, Epoch set_epoch,
                                            const char* zone = "UTC") {
  auto located = Zone::locate(zone);
  REQUIRE(located.ok());
  auto made = trigger::make_clock(spec, set_epoch, *located);
  INFO((made.ok() ? "" : made.error().message()));
  REQUIRE(made.ok());
  return std::move(*made);
}

// A broken clock for the seed's is_reschedule check: it always answers the same time.
class StuckClock final : public trigger::Clock {
 public:
  explicit StuckClock(Epoch at) : at_(at) {}
  ClockKind kind() const override { return ClockKind::kAt; }
  std::optional<Epoch> first_after(Epoch) const override { return at_; }
  std::string text() const override { return "--at @" + std::to_string(at_); }
  std::string describe() const override { return "stuck"; }

 private:
  Epoch at_;
};

}  // namespace

TEST_CASE("--every fires at anchor + k x period, strictly after the asked time", "[clock]") {
  auto every = clock({ClockKind::kEvery, "60", std::nullopt}, 960);
  struct Case {
    Epoch after;
    Epoch first;
  };
  const Case cases[] = {{960, 1020}, {1019, 1020}, {1020, 1080}, {959, 960},
                        {900, 960},  {899, 900},   {0, 60},      {1800000000, 1800000060}};
  for (const auto& c : cases) {
    INFO(c.after);
    CHECK(every->first_after(c.after) == c.first);
  }
}

TEST_CASE("--every without --from takes its phase from the whole minute it was set in",
          "[clock]") {
  // Set at 08:00:06 (cron's pass for that minute is already over): fires at 08:01:00, 08:02:00,
  // on the minute when cron starts the passes, not six seconds after each one.
  const Epoch set = 1796112006;  // 2026-12-01T08:00:06Z
  auto every_minute = clock({ClockKind::kEvery, "1m", std::nullopt}, set);
  CHECK(every_minute->first_after(set) == 1796112060);
  CHECK(every_minute->text() == "--every 1m --from 2026-12-01T08:00:00Z");
  auto every_30s = clock({ClockKind::kEvery, "30s", std::nullopt}, set);
  CHECK(every_30s->first_after(set) == 1796112030);
  // Before 1970 the minute is still the one the time falls in.
  auto before_epoch = clock({ClockKind::kEvery, "1m", std::nullopt}, -30);
  CHECK(before_epoch->first_after(-30) == 0);
}

TEST_CASE("--every --from sets the phase of the fire times, not a start", "[clock]") {
  // Anchor 2026-12-01T09:00:00Z, every day, asked on 2026-11-28: the 29th at 09:00 is a fire time.
  auto every = clock({ClockKind::kEvery, "1d", std::string("2026-12-01T09:00:00Z")}, 1795852800);
  CHECK(every->first_after(1795852800) == 1795856400);
  CHECK(every->text() == "--every 1d --from 2026-12-01T09:00:00Z");
  CHECK(every->describe() == "every 1d from 2026-12-01T09:00:00Z");
}

TEST_CASE("--at fires once, --never not at all", "[clock]") {
  auto at = clock({ClockKind::kAt, "2026-12-01T09:00:00+01:00", std::nullopt}, 0, "Europe/Berlin");
  CHECK(at->first_after(0) == 1796112000);
  CHECK(at->first_after(1796111999) == 1796112000);
  CHECK_FALSE(at->first_after(1796112000).has_value());
  CHECK(at->text() == "--at 2026-12-01T09:00:00+01:00");
  auto never = clock({ClockKind::kNever, "", std::nullopt}, 0);
  CHECK_FALSE(never->first_after(0).has_value());
  CHECK(never->text() == "--never");
}

TEST_CASE("relative clock times are read against the moment the clock is set", "[clock]") {
  auto at = clock({ClockKind::kAt, "+1h", std::nullopt}, 1800000000);
  CHECK(at->first_after(1800000000) == 1800003600);
  auto every = clock({ClockKind::kEvery, "90m", std::nullopt}, 1800000000);
  CHECK(every->first_after(1800000000) == 1800005400);
}

TEST_CASE("canonical clock text reads back to the same clock", "[clock]") {
  const ClockSpec specs[] = {
      {ClockKind::kAt, "2026-12-01T09:00", std::nullopt},
      {ClockKind::kEvery, "1h30m", std::nullopt},
      {ClockKind::kEvery, "7", std::string("2026-12-01 09:00:05")},
      {ClockKind::kNever, "", std::nullopt},
  };
  for (const auto& spec : specs) {
    auto original = clock(spec, 1795852800, "Europe/Berlin");
    INFO(original->text());
    auto parsed = trigger::parse_clock_text(original->text());
    REQUIRE(parsed.ok());
    auto again = clock(*parsed, 1900000000, "Europe/Berlin");
    CHECK(again->text() == original->text());
    for (Epoch t : {Epoch{1795852800}, Epoch{1796112000}, Epoch{1799999999}}) {
      CHECK(again->first_after(t) == original->first_after(t));
    }
  }
}

TEST_CASE("every kind of clock has one row, naming the option its clock text starts with",
          "[clock]") {
  struct Case {
    ClockKind kind;
    const char* value;  // a valid value, "" for a kind that takes none
  };
  const Case cases[] = {
      {ClockKind::kAt, "2026-12-01T09:00"},
      {ClockKind::kEvery, "1h"},
      {ClockKind::kCron, "0 9 * * 1-5"},
      {ClockKind::kDaily, "09:00"},
      {ClockKind::kMonthly, "2026-12-31"},
      {ClockKind::kBoot, ""},
      {ClockKind::kNever, ""},
  };
  REQUIRE(trigger::clock_kinds().size() == std::size(cases));
  for (const auto& c : cases) {
    const trigger::ClockKindInfo* row = trigger::clock_kind(c.kind);
    REQUIRE(row != nullptr);
    INFO(row->option());
    CHECK(row->kind == c.kind);
    CHECK(std::count_if(trigger::clock_kinds().begin(), trigger::clock_kinds().end(),
                        [&](const auto& other) { return other.kind == c.kind; }) == 1);
    CHECK((row->value_name == nullptr) == std::string(c.value).empty());
    auto made = clock({c.kind, c.value, std::nullopt}, 1795852800, "Europe/Berlin");
    CHECK(made->kind() == c.kind);
    std::string text = made->text();
    CHECK(text.rfind(row->option() + (row->value_name ? " " : ""), 0) == 0);
    CHECK(trigger::clock_kind_of_text(text) == row);
    auto parsed = trigger::parse_clock_text(text);
    REQUIRE(parsed.ok());
    CHECK(parsed->kind == c.kind);
    // Only a kind that takes --from reads it back from clock text.
    auto with_from =
        trigger::parse_clock_text(row->option() + " '" + c.value + "' --from 2026-12-01");
    CHECK(with_from.ok() == row->takes_from);
    // Only a kind that takes --delay reads it back.
    auto with_delay = trigger::parse_clock_text(row->option() + " --delay 5m");
    CHECK(with_delay.ok() == row->takes_delay);
  }
  CHECK(trigger::clock_kind_of_text("--bogus 1") == nullptr);
  CHECK(trigger::clock_kind_of_text("--everyday 1h") == nullptr);
}

TEST_CASE("a boot clock: its text with and without --delay, no fire time known ahead",
          "[clock][boot]") {
  ClockSpec spec{ClockKind::kBoot, "", std::nullopt};
  auto plain = clock(spec, 1795852800);
  CHECK(plain->text() == "--on-boot");
  CHECK(plain->describe() == "at each boot");
  CHECK(plain->boot_delay() == 0);
  CHECK(plain->first_after(0) == std::nullopt);
  spec.delay = "90s";
  auto delayed = clock(spec, 1795852800);
  CHECK(delayed->text() == "--on-boot --delay 1m30s");
  CHECK(delayed->describe() == "1m30s after each boot");
  CHECK(delayed->boot_delay() == 90);
  auto parsed = trigger::parse_clock_text(delayed->text());
  REQUIRE(parsed.ok());
  CHECK(parsed->kind == ClockKind::kBoot);
  CHECK(parsed->delay == std::optional<std::string>("1m30s"));
  CHECK(clock(*parsed, 0)->text() == delayed->text());
  spec.delay = "0s";  // no delay at all
  CHECK(clock(spec, 0)->text() == "--on-boot");
  spec.delay = "soon";
  auto bad = trigger::make_clock(spec, 0, trigger::Zone::utc());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message() == "--delay: invalid duration 'soon': expected a number");
  CHECK_FALSE(trigger::parse_clock_text("--on-boot --delay").ok());
  CHECK_FALSE(trigger::parse_clock_text("--on-boot 5m").ok());
  CHECK_FALSE(trigger::parse_clock_text("--every 1h --delay 5m").ok());
}

TEST_CASE("clock text that is not a clock is a usage error", "[clock]") {
  for (const char* text : {"", "--bogus 1", "--every", "--at a b", "--never x", "--every 1h --to x",
                           "--at 'unterminated", "every 1h"}) {
    INFO(text);
    auto parsed = trigger::parse_clock_text(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().message() == "not a clock: '" + std::string(text) + "'");
  }
}

TEST_CASE("bad clock values are usage errors naming the option and the value", "[clock]") {
  struct Case {
    ClockSpec spec;
    const char* message;
  };
  const Case cases[] = {
      {{ClockKind::kEvery, "0", std::nullopt},
       "--every: invalid duration '0': must be more than zero"},
      {{ClockKind::kEvery, "1h", std::string("soon")},
       "--from: invalid time 'soon': expected now, @EPOCH, YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], "
       "+DURATION or -DURATION"},
      {{ClockKind::kAt, "2026-02-30", std::nullopt},
       "--at: invalid time '2026-02-30': no such date"},
      {{ClockKind::kCron, "0 9 * * 8", std::nullopt},
       "--cron '0 9 * * 8': day-of-week '8' is out of range 0-7"},
      {{ClockKind::kDaily, "09:60", std::nullopt},
       "--daily '09:60': expected HH:MM or HH:MM:SS, from 00:00 to 23:59:59"},
      {{ClockKind::kMonthly, "soon", std::nullopt},
       "--monthly: invalid time 'soon': expected now, @EPOCH, YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], "
       "+DURATION or -DURATION"},
  };
  for (const auto& c : cases) {
    INFO(c.message);
    auto made = trigger::make_clock(c.spec, 1800000000, Zone::utc());
    REQUIRE_FALSE(made.ok());
    CHECK(made.error().kind() == trigger::ErrorKind::kUsage);
    CHECK(made.error().message() == c.message);
  }
}

TEST_CASE("next_event is the first fire time after both the last event and the clock's setting",
          "[clock]") {
  auto every = clock({ClockKind::kEvery, "100", std::string("@0")}, 1000);
  struct Case {
    std::optional<Epoch> last;
    Epoch set;
    std::optional<Epoch> next;
  };
  const Case cases[] = {
      {std::nullopt, 1000, 1100},  // never fired: after the setting
      {1500, 1000, 1600},          // fired: after the last event
      {900, 1000, 1100},           // fired before a later edit: after the edit
      {1000, 1000, 1100},
  };
  for (const auto& c : cases) {
    auto next = trigger::next_event(*every, c.last, c.set, true);
    REQUIRE(next.ok());
    CHECK(*next == c.next);
  }
  auto at = clock({ClockKind::kAt, "@2000", std::nullopt}, 1000);
  auto done = trigger::next_event(*at, 2000, 1000, true);
  REQUIRE(done.ok());
  CHECK_FALSE(done->has_value());
}

TEST_CASE("a clock that does not move forward is an error for that trigger", "[clock]") {
  StuckClock stuck(500);
  auto next = trigger::next_event(stuck, 1000, 0, true);
  REQUIRE_FALSE(next.ok());
  CHECK(next.error().kind() == trigger::ErrorKind::kInternal);
  CHECK(next.error().message() == "clock '--at @500' did not move forward from 1000");
}

// --- calendar clocks ------------------------------------------------------------------------

namespace {

std::unique_ptr<const trigger::Clock> calendar(ClockKind kind, const std::string& value,
                                               const char* zone,
                                               trigger::DstRule dst = trigger::DstRule::kAuto,
                                               Epoch set_epoch = 0) {
  trigger::ClockSpec spec{kind, value, std::nullopt, dst};
  return clock(spec, set_epoch, zone);
}

std::vector<Epoch> times_after(const trigger::Clock& clock, Epoch after, std::size_t count) {
  std::vector<Epoch> times;
  for (auto next = clock.first_after(after); next && times.size() < count;
       next = clock.first_after(*next)) {
    times.push_back(*next);
  }
  return times;
}

Epoch utc(const char* text) {
  auto parsed = trigger::parse_time(text, 0, Zone::utc());
  REQUIRE(parsed.ok());
  return *parsed;
}

}  // namespace

TEST_CASE("--monthly reproduces the seed's subscription vectors", "[clock][calendar]") {
  std::ifstream vectors(std::string(TRIGGER_TEST_DATA) + "/subscription.tsv");
  REQUIRE(vectors.good());
  int checked = 0;
  for (std::string line; std::getline(vectors, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream columns(line);
    for (std::string field; std::getline(columns, field, '\t');) fields.push_back(field);
    REQUIRE(fields.size() == 5);
    INFO(fields[0]);
    auto spec = trigger::parse_clock_text(fields[1]);
    REQUIRE(spec.ok());
    auto zone = Zone::locate(fields[2]);
    REQUIRE(zone.ok());
    auto now = trigger::parse_time(fields[3], 0, *zone);
    REQUIRE(now.ok());
    auto made = trigger::make_clock(*spec, *now, *zone);
    REQUIRE(made.ok());
    std::vector<Epoch> expected;
    std::stringstream epochs(fields[4]);
    for (std::string epoch; std::getline(epochs, epoch, ',');)
      expected.push_back(std::stoll(epoch));
    CHECK(times_after(**made, *now, expected.size()) == expected);
    ++checked;
  }
  CHECK(checked >= 1);
}

TEST_CASE("--monthly clamps to the month's last day and explains it", "[clock][calendar]") {
  auto monthly = calendar(ClockKind::kMonthly, "2026-01-31T09:00", "Europe/Berlin");
  CHECK(monthly->text() == "--monthly 2026-01-31T09:00:00+01:00");
  auto times = times_after(*monthly, utc("2026-01-31T08:00:00Z"), 3);
  CHECK(times == std::vector<Epoch>{utc("2026-02-28T08:00:00Z"), utc("2026-03-31T07:00:00Z"),
                                    utc("2026-04-30T07:00:00Z")});
  CHECK(monthly->explain(times[0]) ==
        "day 31 does not exist in February 2026: clamped to the last day, the 28th");
  CHECK(monthly->explain(times[1]).empty());
}

TEST_CASE("--monthly anchored before 1970 describes the day it fires on", "[clock][calendar]") {
  // 1970-01-01T00:00:00Z is 1969-12-31T19:00 in New York: local seconds below zero, which a
  // truncating division put on the 1st.
  auto monthly = calendar(ClockKind::kMonthly, "1970-01-01T00:00:00Z", "America/New_York");
  CHECK(monthly->describe() ==
        "monthly on day 31 at 19:00 (the last day in shorter months) after "
        "1969-12-31T19:00:00-05:00, America/New_York");
  auto times = times_after(*monthly, 0, 2);
  CHECK(times == std::vector<Epoch>{utc("1970-02-01T00:00:00Z"), utc("1970-03-01T00:00:00Z")});
}

TEST_CASE("--daily fires at its local time, under each DST rule", "[clock][calendar]") {
  struct Case {
    const char* at;
    const char* zone;
    trigger::DstRule dst;
    const char* after;
    std::vector<const char*> times;
  };
  using trigger::DstRule;
  const Case cases[] = {
      // Berlin springs forward at 02:00 on 2027-03-28: 02:30 does not exist.
      {"02:30",
       "Europe/Berlin",
       DstRule::kAuto,
       "2027-03-27T00:00:00Z",
       {"2027-03-27T01:30:00Z", "2027-03-28T01:00:00Z", "2027-03-29T00:30:00Z"}},
      {"02:30",
       "Europe/Berlin",
       DstRule::kOnce,
       "2027-03-27T00:00:00Z",
       {"2027-03-27T01:30:00Z", "2027-03-28T01:00:00Z", "2027-03-29T00:30:00Z"}},
      {"02:30",
       "Europe/Berlin",
       DstRule::kLiteral,
       "2027-03-27T00:00:00Z",
       {"2027-03-27T01:30:00Z", "2027-03-29T00:30:00Z"}},
      // and falls back at 03:00 on 2026-10-25: 02:30 happens twice.
      {"02:30",
       "Europe/Berlin",
       DstRule::kAuto,
       "2026-10-24T00:00:00Z",
       {"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
      {"02:30",
       "Europe/Berlin",
       DstRule::kLiteral,
       "2026-10-24T00:00:00Z",
       {"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z",
        "2026-10-26T01:30:00Z"}},
      // New York: 2026-11-01 01:30 twice; 2027-03-14 02:30 never.
      {"01:30",
       "America/New_York",
       DstRule::kAuto,
       "2026-10-31T12:00:00Z",
       {"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
      {"01:30",
       "America/New_York",
       DstRule::kLiteral,
       "2026-10-31T12:00:00Z",
       {"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-02T06:30:00Z"}},
      {"02:30",
       "America/New_York",
       DstRule::kAuto,
       "2027-03-13T12:00:00Z",
       {"2027-03-14T07:00:00Z", "2027-03-15T06:30:00Z"}},
      // Lord Howe moves by 30 minutes: at 02:00 on 2026-10-04 clocks go to 02:30.
      {"02:15",
       "Australia/Lord_Howe",
       DstRule::kAuto,
       "2026-10-02T12:00:00Z",
       {"2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"}},
      {"02:15",
       "Australia/Lord_Howe",
       DstRule::kLiteral,
       "2026-10-02T12:00:00Z",
       {"2026-10-02T15:45:00Z", "2026-10-04T15:15:00Z"}},
      // A zone without DST: nothing moves.
      {"09:00:30",
       "Asia/Kolkata",
       DstRule::kAuto,
       "2026-03-28T00:00:00Z",
       {"2026-03-28T03:30:30Z", "2026-03-29T03:30:30Z"}},
  };
  for (const auto& c : cases) {
    INFO(c.at << " " << c.zone << " " << to_string(c.dst) << " after " << c.after);
    auto daily = calendar(ClockKind::kDaily, c.at, c.zone, c.dst);
    std::vector<Epoch> expected;
    for (const char* t : c.times) expected.push_back(utc(t));
    CHECK(times_after(*daily, utc(c.after), expected.size()) == expected);
  }
}

TEST_CASE("--daily explains a gap and a repeated hour", "[clock][calendar]") {
  auto gap = calendar(ClockKind::kDaily, "02:30", "Europe/Berlin");
  CHECK(gap->explain(utc("2027-03-28T01:00:00Z")) ==
        "02:30 on 2027-03-28 does not exist (Europe/Berlin skips it for daylight saving): fired at "
        "the end of the gap");
  CHECK(gap->explain(utc("2027-03-29T00:30:00Z")).empty());
  auto repeat = calendar(ClockKind::kDaily, "02:30", "Europe/Berlin", trigger::DstRule::kLiteral);
  CHECK(repeat->explain(utc("2026-10-25T01:30:00Z")) ==
        "02:30 on 2026-10-25 occurs twice (Europe/Berlin): this is its second occurrence");
}

TEST_CASE("bad --daily and --monthly values are usage errors naming them", "[clock][calendar]") {
  struct Case {
    ClockKind kind;
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {ClockKind::kDaily, "9:00",
       "--daily '9:00': expected HH:MM or HH:MM:SS, from 00:00 to 23:59:59"},
      {ClockKind::kDaily, "24:00",
       "--daily '24:00': expected HH:MM or HH:MM:SS, from 00:00 to 23:59:59"},
      {ClockKind::kDaily, "09:00:60",
       "--daily '09:00:60': expected HH:MM or HH:MM:SS, from 00:00 to 23:59:59"},
      {ClockKind::kDaily, "", "--daily '': expected HH:MM or HH:MM:SS, from 00:00 to 23:59:59"},
      {ClockKind::kMonthly, "2026-02-30", "--monthly: invalid time '2026-02-30': no such date"},
  };
  for (const auto& c : cases) {
    INFO(c.message);
    auto made = trigger::make_clock({c.kind, c.value, std::nullopt, trigger::DstRule::kAuto}, 0,
                                    Zone::utc());
    REQUIRE_FALSE(made.ok());
    CHECK(made.error().message() == c.message);
  }
}

TEST_CASE("--cron across DST changes follows SPEC §4's rule and --dst", "[clock][calendar]") {
  using trigger::DstRule;
  struct Case {
    const char* expression;
    const char* zone;
    DstRule dst;
    const char* after;
    std::vector<const char*> times;
  };
  const Case cases[] = {
      // New York falls back at 02:00 EDT on 2026-11-01: 01:00-01:59 happens twice.
      // Every hour allowed: every real instant whose local time matches (auto = literal).
      {"*/30 * * * *",
       "America/New_York",
       DstRule::kAuto,
       "2026-11-01T04:00:00Z",
       {"2026-11-01T04:30:00Z", "2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z",
        "2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:00:00Z"}},
      // --dst once: each local time once, at its first occurrence.
      {"*/30 * * * *",
       "America/New_York",
       DstRule::kOnce,
       "2026-11-01T04:00:00Z",
       {"2026-11-01T04:30:00Z", "2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z",
        "2026-11-01T07:00:00Z"}},
      // A fixed hour: fixed-time under auto, so 01:30 fires once; literally it fires twice.
      {"30 1 * * *",
       "America/New_York",
       DstRule::kAuto,
       "2026-10-31T12:00:00Z",
       {"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
      {"30 1 * * *",
       "America/New_York",
       DstRule::kLiteral,
       "2026-10-31T12:00:00Z",
       {"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-02T06:30:00Z"}},
      // Spring forward in New York on 2027-03-14: every minute of 02:xx falls in the gap and
      // fixed-time matches there coalesce into one run at 03:00 EDT.
      {"*/20 2 * * *",
       "America/New_York",
       DstRule::kAuto,
       "2027-03-14T06:00:00Z",
       {"2027-03-14T07:00:00Z", "2027-03-15T06:00:00Z"}},
      {"*/20 2 * * *",
       "America/New_York",
       DstRule::kLiteral,
       "2027-03-14T06:00:00Z",
       {"2027-03-15T06:00:00Z", "2027-03-15T06:20:00Z"}},
      // Lord Howe falls back 30 minutes at 02:00 on 2027-04-04: 01:30-01:59 happens twice.
      {"*/15 1 * * *",
       "Australia/Lord_Howe",
       DstRule::kAuto,
       "2027-04-03T14:00:00Z",
       {"2027-04-03T14:15:00Z", "2027-04-03T14:30:00Z", "2027-04-03T14:45:00Z",
        "2027-04-04T14:30:00Z"}},
      {"*/15 1 * * *",
       "Australia/Lord_Howe",
       DstRule::kLiteral,
       "2027-04-03T14:00:00Z",
       {"2027-04-03T14:15:00Z", "2027-04-03T14:30:00Z", "2027-04-03T14:45:00Z",
        "2027-04-03T15:00:00Z", "2027-04-03T15:15:00Z", "2027-04-04T14:30:00Z"}},
      // Berlin springs forward on 2026-03-29 (SPEC's example).
      {"30 2 * * *",
       "Europe/Berlin",
       DstRule::kAuto,
       "2026-03-28T12:00:00Z",
       {"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
      {"30 2 * * *",
       "Europe/Berlin",
       DstRule::kLiteral,
       "2026-03-28T12:00:00Z",
       {"2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"}},
      // No DST: nothing moves.
      {"0 9 * * 1-5",
       "Asia/Kolkata",
       DstRule::kAuto,
       "2026-03-27T00:00:00Z",
       {"2026-03-27T03:30:00Z", "2026-03-30T03:30:00Z"}},
  };
  for (const auto& c : cases) {
    INFO(c.expression << " " << c.zone << " " << to_string(c.dst) << " after " << c.after);
    auto cron = calendar(ClockKind::kCron, c.expression, c.zone, c.dst);
    std::vector<Epoch> expected;
    for (const char* t : c.times) expected.push_back(utc(t));
    CHECK(times_after(*cron, utc(c.after), expected.size()) == expected);
  }
}

TEST_CASE("calendar clocks are strictly increasing through a year of DST changes",
          "[clock][calendar]") {
  for (const char* zone : {"America/New_York", "Europe/Berlin", "Australia/Lord_Howe"}) {
    for (auto dst :
         {trigger::DstRule::kAuto, trigger::DstRule::kOnce, trigger::DstRule::kLiteral}) {
      for (const char* expression : {"*/7 * * * *", "15,45 0-3 * * *", "0 2 * * 0"}) {
        INFO(zone << " " << to_string(dst) << " " << expression);
        auto cron = calendar(ClockKind::kCron, expression, zone, dst);
        Epoch at = utc("2026-01-01T00:00:00Z");
        for (int i = 0; i < 20000; ++i) {
          auto next = cron->first_after(at);
          REQUIRE(next.has_value());
          REQUIRE(*next > at);
          at = *next;
        }
      }
    }
  }
}
