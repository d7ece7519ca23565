#include "posix_tz.h"

#include <catch2/catch.hpp>

using trigger::Epoch;
using trigger::PosixRule;

namespace {

constexpr Epoch kJuly2040 = 2224713600;    // 2040-07-01T00:00:00Z
constexpr Epoch kJanuary2040 = 2208988800;  // 2040-01-01T00:00:00Z

std::int64_t offset_at(const char* text, Epoch epoch) {
  auto rule = PosixRule::parse(text);
  REQUIRE(rule);
  auto span = rule->span_at(epoch);
  CHECK(span.begin <= epoch);
  CHECK(epoch < span.end);
  return span.offset;
}

}  // namespace

// Every form tzdata 2025b's footers use, including those Boost's posix_time_zone refuses.
TEST_CASE("POSIX TZ rules are read in RFC 8536's form", "[posix_tz]") {
  struct Case {
    const char* text;
    std::int64_t january;
    std::int64_t july;
  };
  const Case cases[] = {
      {"EST5EDT,M3.2.0,M11.1.0", -5 * 3600, -4 * 3600},
      {"AEST-10AEDT,M10.1.0,M4.1.0/3", 11 * 3600, 10 * 3600},
      {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 11 * 3600, 10 * 3600 + 1800},
      {"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", 13 * 3600 + 2700, 12 * 3600 + 2700},
      {"IST-1GMT0,M10.5.0,M3.5.0/1", 0, 3600},  // negative DST: the "standard" time is summer's
      {"<-04>4<-03>,M9.1.6/24,M4.1.6/24", -3 * 3600, -4 * 3600},
      {"IST-2IDT,M3.4.4/26,M10.5.0", 2 * 3600, 3 * 3600},
      {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", -2 * 3600, -3600},
      {"EET-2EEST,M3.4.4/50,M10.4.4/50", 2 * 3600, 3 * 3600},
      {"WET0WEST,J60/1,300/2", 0, 3600},
      {"<+0330>-3:30", 3 * 3600 + 1800, 3 * 3600 + 1800},
      {"UTC0", 0, 0},
      {"EST5EDT,0/0,J365/25", -4 * 3600, -4 * 3600},  // daylight saving all year
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(offset_at(c.text, kJanuary2040) == c.january);
    CHECK(offset_at(c.text, kJuly2040) == c.july);
  }
}

TEST_CASE("a POSIX TZ rule's changes fall on the instants the rule names", "[posix_tz]") {
  // New York 2040: from 2040-03-11T02:00 EST to 2040-11-04T02:00 EDT.
  auto new_york = PosixRule::parse("EST5EDT,M3.2.0,M11.1.0");
  REQUIRE(new_york);
  auto summer = new_york->span_at(kJuly2040);
  CHECK(summer.begin == 2215062000);
  CHECK(summer.end == 2235621600);
  // Jerusalem 2040: the Friday before the last Sunday of March at 02:00 (M3.4.4/26: Thursday,
  // 26:00), 2040-03-23T00:00Z.
  auto jerusalem = PosixRule::parse("IST-2IDT,M3.4.4/26,M10.5.0");
  REQUIRE(jerusalem);
  CHECK(jerusalem->span_at(kJuly2040).begin == 2216073600);
  // A rule without daylight saving is one span.
  auto kolkata = PosixRule::parse("IST-5:30");
  REQUIRE(kolkata);
  CHECK_FALSE(kolkata->has_dst());
  CHECK(kolkata->span_at(kJuly2040).end > 253402300799);
}

TEST_CASE("text that is not a POSIX TZ rule is refused", "[posix_tz]") {
  for (const char* bad :
       {"", "EST", "ES5", "EST5EDT", "EST5EDT,M3.2.0", "EST5EDT,M13.2.0,M11.1.0",
        "EST5EDT,M3.6.0,M11.1.0", "EST5EDT,M3.2.7,M11.1.0", "EST5EDT,J0,J365", "EST5EDT,366,0",
        "EST25", "EST5EDT,M3.2.0/168,M11.1.0", "<+03-3", "<>3", "EST5:60", "EST5EDT,M3.2.0,M11.1.0x",
        "EST5EDT4x,M3.2.0,M11.1.0"}) {
    INFO(bad);
    CHECK_FALSE(PosixRule::parse(bad));
  }
}
