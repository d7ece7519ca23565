#include "trigger/clock.h"

#include <catch2/catch.hpp>

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
  auto every = clock({ClockKind::kEvery, "60", std::nullopt}, 1000);
  struct Case {
    Epoch after;
    Epoch first;
  };
  const Case cases[] = {{1000, 1060}, {1059, 1060}, {1060, 1120}, {999, 1000},
                        {940, 1000},  {939, 940},   {0, 40},      {1800000000, 1800000040}};
  for (const auto& c : cases) {
    INFO(c.after);
    CHECK(every->first_after(c.after) == c.first);
  }
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
      {{ClockKind::kCron, "0 9 * * *", std::nullopt},
       "--cron '0 9 * * *': calendar clocks (--cron, --daily, --monthly) are not available in this "
       "version yet"},
      {{ClockKind::kDaily, "09:00", std::nullopt},
       "--daily '09:00': calendar clocks (--cron, --daily, --monthly) are not available in this "
       "version yet"},
      {{ClockKind::kMonthly, "2026-01-31", std::nullopt},
       "--monthly '2026-01-31': calendar clocks (--cron, --daily, --monthly) are not available in "
       "this version yet"},
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
