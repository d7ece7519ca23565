#include "trigger/time.h"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

using trigger::Epoch;
using trigger::Zone;

namespace {

Zone zone(const char* name) {
  auto found = Zone::locate(name);
  REQUIRE(found.ok());
  return *found;
}

constexpr Epoch kNow = 1800000000;  // 2027-01-15T08:00:00Z

}  // namespace

TEST_CASE("durations in every documented spelling parse to seconds", "[time]") {
  struct Case {
    const char* text;
    std::int64_t seconds;
  };
  const Case cases[] = {
      {"1", 1},
      {"90", 90},
      {"1s", 1},
      {"45s", 45},
      {"1m", 60},
      {"1min", 60},
      {"90m", 5400},
      {"1h", 3600},
      {"1h30m", 5400},
      {"1h30min", 5400},
      {"2d", 172800},
      {"1w", 604800},
      {"1w1d1h1m1s", 694861},
      {"1d", 86400},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto parsed = trigger::parse_duration(c.text);
    REQUIRE(parsed.ok());
    CHECK(*parsed == c.seconds);
  }
}

TEST_CASE("bad durations are usage errors naming the text and the reason", "[time]") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "invalid duration '': empty"},
      {"0", "invalid duration '0': must be more than zero"},
      {"0s", "invalid duration '0s': must be more than zero"},
      {"-5m", "invalid duration '-5m': must be positive"},
      {"1x", "invalid duration '1x': unknown unit 'x' (use s, m, min, h, d, w)"},
      {"h", "invalid duration 'h': expected a number"},
      {"1h30", "invalid duration '1h30': a number without a unit after units"},
      {"1.5h", "invalid duration '1.5h': unknown unit '.' (use s, m, min, h, d, w)"},
      {" 1h", "invalid duration ' 1h': expected a number"},
      {"99999999999999999999", "invalid duration '99999999999999999999': too large"},
      {"100000000w", "invalid duration '100000000w': too large"},
      {"1H", "invalid duration '1H': unknown unit 'H' (use s, m, min, h, d, w)"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto parsed = trigger::parse_duration(c.text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind() == trigger::ErrorKind::kUsage);
    CHECK(parsed.error().message() == c.message);
  }
}

TEST_CASE("format_duration writes the shortest spelling and reads back", "[time]") {
  struct Case {
    std::int64_t seconds;
    const char* text;
  };
  const Case cases[] = {{1, "1s"},
                        {59, "59s"},
                        {60, "1m"},
                        {5400, "1h30m"},
                        {86400, "1d"},
                        {604800, "1w"},
                        {694861, "1w1d1h1m1s"},
                        {90061, "1d1h1m1s"}};
  for (const auto& c : cases) {
    INFO(c.seconds);
    CHECK(trigger::format_duration(c.seconds) == c.text);
    auto back = trigger::parse_duration(trigger::format_duration(c.seconds));
    REQUIRE(back.ok());
    CHECK(*back == c.seconds);
  }
}

TEST_CASE("times in every documented form parse to epochs", "[time]") {
  struct Case {
    const char* text;
    const char* zone;
    Epoch epoch;
  };
  const Case cases[] = {
      {"now", "UTC", kNow},
      {"@0", "UTC", 0},
      {"@1800000000", "Europe/Berlin", 1800000000},
      {"2026-12-01T09:00:00Z", "Europe/Berlin", 1796115600},
      {"2026-12-01t09:00:00z", "UTC", 1796115600},
      {"2026-12-01T09:00:00+01:00", "UTC", 1796112000},
      {"2026-12-01T09:00:00-05:30", "UTC", 1796135400},
      {"2026-12-01T09:00", "UTC", 1796115600},
      {"2026-12-01T09:00", "Europe/Berlin", 1796112000},
      {"2026-12-01 09:00", "UTC", 1796115600},
      {"2026-12-01 09:00:30", "UTC", 1796115630},
      {"2026-12-01", "UTC", 1796083200},
      {"2026-12-01", "America/New_York", 1796101200},
      {"2026-07-01T12:00", "Europe/Berlin", 1782900000},
      {"+1h", "UTC", kNow + 3600},
      {"-1h", "UTC", kNow - 3600},
      {"now+90m", "UTC", kNow + 5400},
      {"now-1d", "Europe/Berlin", kNow - 86400},
      {"2000-02-29", "UTC", 951782400},
      // Fractions of a second, as JavaScript and date --rfc-3339=ns print them, are floored.
      {"2026-12-01T09:00:00.000Z", "UTC", 1796115600},
      {"2026-12-01 09:00:00.5+00:00", "Europe/Berlin", 1796115600},
      {"2026-12-01 09:00:59.999999999+01:00", "UTC", 1796112059},
      {"2026-12-01T09:00:00.9", "Europe/Berlin", 1796112000},
      {"1970-01-01T00:00:00.999Z", "UTC", 0},
      {"9999-12-31T23:59:59.99999999999999999999999Z", "UTC", 253402300799},
      // A local time that occurs twice (the end of summer time) is its first occurrence.
      {"2026-10-25T02:30", "Europe/Berlin", 1792888200},
  };
  for (const auto& c : cases) {
    INFO(c.text << " in " << c.zone);
    auto parsed = trigger::parse_time(c.text, kNow, zone(c.zone));
    REQUIRE(parsed.ok());
    CHECK(*parsed == c.epoch);
  }
}

TEST_CASE("bad times are usage errors naming the text and the reason", "[time]") {
  struct Case {
    const char* text;
    const char* zone;
    const char* reason;
  };
  const Case cases[] = {
      {"", "UTC", "empty"},
      {"tomorrow", "UTC",
       "expected now, @EPOCH, YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], +DURATION or -DURATION"},
      {"2026-02-30", "UTC", "no such date"},
      {"2026-13-01", "UTC", "no such date"},
      {"2100-02-29", "UTC", "no such date"},
      {"2026-1-01", "UTC", "expected YYYY-MM-DD"},
      {"2026-12-01T24:00", "UTC", "no such time of day"},
      {"2026-12-01T09:60", "UTC", "no such time of day"},
      {"2026-12-01T9:00", "UTC", "expected HH:MM"},
      {"2026-12-01X09:00", "UTC", "expected 'T' or a space after the date"},
      {"2026-12-01T09:00:00+1", "UTC", "expected an offset like +01:00"},
      {"2026-12-01T09:00:00+01:00x", "UTC", "unexpected text after the offset"},
      {"2026-12-01T09:00:00 UTC", "UTC", "unexpected text after the time"},
      {"2026-12-01T09:00:00.Z", "UTC", "expected digits after '.'"},
      {"2026-12-01T09:00:00.", "UTC", "expected digits after '.'"},
      {"2026-12-01T09:00.5Z", "UTC", "unexpected text after the time"},
      {"2026-12-01T09:00:00,5Z", "UTC", "unexpected text after the time"},
      {"2026-03-29T02:30", "Europe/Berlin",
       "this local time does not exist in Europe/Berlin (skipped by a daylight-saving change)"},
      {"@", "UTC", "expected @ and a number of seconds"},
      {"@12x", "UTC", "expected @ and a number of seconds"},
      {"@-5", "UTC", "expected @ and a number of seconds"},
      {"@999999999999", "UTC", "out of range 1970-01-01 to 9999-12-31"},
      {"1969-12-31T23:59:59Z", "UTC", "out of range 1970-01-01 to 9999-12-31"},
      {"+0", "UTC", "expected a duration after '+'"},
      {"now+", "UTC", "expected a duration after '+'"},
      {"nowish", "UTC",
       "expected now, @EPOCH, YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], +DURATION or -DURATION"},
      {"-3000w", "UTC", "out of range 1970-01-01 to 9999-12-31"},
  };
  for (const auto& c : cases) {
    INFO(c.text << " in " << c.zone);
    auto parsed = trigger::parse_time(c.text, kNow, zone(c.zone));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind() == trigger::ErrorKind::kUsage);
    CHECK(parsed.error().message() == "invalid time '" + std::string(c.text) + "': " + c.reason);
  }
}

// The rows in UTC were found by test/fuzz/time_fuzz and zone_fuzz: they printed
// "10000-01-01T00:59:59+01:00" and "1971-06-01T11:15:30-00:44", which do not read back (a
// trigger created with such a time could no longer be listed or exported, or fired 30 s off).
TEST_CASE("RFC 3339 output carries the zone's offset, or Z where that would not read back",
          "[time]") {
  struct Case {
    Epoch epoch;
    const char* zone;
    const char* text;
  };
  const Case cases[] = {
      {0, "UTC", "1970-01-01T00:00:00Z"},
      {1800000000, "UTC", "2027-01-15T08:00:00Z"},
      {1796112000, "Europe/Berlin", "2026-12-01T09:00:00+01:00"},
      {1782900000, "Europe/Berlin", "2026-07-01T12:00:00+02:00"},
      {1796101200, "America/New_York", "2026-12-01T00:00:00-05:00"},
      {1796101200, "Asia/Kolkata", "2026-12-01T10:30:00+05:30"},
      {1792888200, "Europe/Berlin", "2026-10-25T02:30:00+02:00"},
      {1792891800, "Europe/Berlin", "2026-10-25T02:30:00+01:00"},
      {253402300799, "UTC", "9999-12-31T23:59:59Z"},
      {253402300799, "Europe/Berlin", "9999-12-31T23:59:59Z"},       // local date in 10000
      {253402297200, "Europe/Berlin", "9999-12-31T23:00:00Z"},       // local 10000-01-01T00:00
      {253402297199, "Europe/Berlin", "9999-12-31T23:59:59+01:00"},  // the last local second
      {253402300799, "America/New_York", "9999-12-31T18:59:59-05:00"},
      {44625600, "Africa/Monrovia", "1971-06-01T12:00:00Z"},  // offset -00:44:30
      {94694400, "Africa/Monrovia", "1973-01-01T00:00:00Z"},  // offset 0 since 1972
  };
  for (const auto& c : cases) {
    INFO(c.epoch << " in " << c.zone);
    CHECK(trigger::format_rfc3339(c.epoch, zone(c.zone)) == c.text);
    auto back = trigger::parse_time(c.text, kNow, Zone::utc());
    REQUIRE(back.ok());
    CHECK(*back == c.epoch);
  }
}

TEST_CASE("zones are located by IANA name and unknown names are usage errors", "[time]") {
  CHECK(zone("Europe/Berlin").name() == "Europe/Berlin");
  CHECK(zone("UTC").offset_at(kNow) == 0);
  CHECK(zone("Australia/Lord_Howe").offset_at(1782900000) == 10 * 3600 + 1800);
  for (const char* bad : {"", "Nowhere/Zone", "../etc/passwd", "/etc/localtime", "Europe"}) {
    INFO(bad);
    auto found = Zone::locate(bad);
    REQUIRE_FALSE(found.ok());
    CHECK(found.error().kind() == trigger::ErrorKind::kUsage);
    CHECK(found.error().message() == "unknown time zone '" + std::string(bad) + "'");
  }
}

TEST_CASE("the default zone comes from TZ, resolved to a name", "[time]") {
  const char* saved = std::getenv("TZ");
  std::string saved_value = saved ? saved : "";
  struct Case {
    const char* tz;
    const char* name;
  };
  const Case cases[] = {{"Europe/Berlin", "Europe/Berlin"},
                        {":America/New_York", "America/New_York"},
                        {"/usr/share/zoneinfo/Asia/Tokyo", "Asia/Tokyo"},
                        {"", "UTC"}};
  for (const auto& c : cases) {
    INFO(c.tz);
    setenv("TZ", c.tz, 1);
    auto found = Zone::system_default();
    REQUIRE(found.ok());
    CHECK(found->name() == c.name);
  }
  setenv("TZ", "Not/AZone", 1);
  auto bad = Zone::system_default();
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message() == "TZ names unknown time zone 'Not/AZone'");
  if (saved) {
    setenv("TZ", saved_value.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
}

// Zone files list transitions up to 2037; past the last one their POSIX TZ footer gives the
// rule. Until it was read, New York stayed at -05:00 and Sydney at +11:00 from 2038 on.
TEST_CASE("zones keep changing past the last transition their files list", "[time]") {
  constexpr Epoch kJuly2040 = 2224713600;      // 2040-07-01T00:00:00Z
  constexpr Epoch kNewYorkSpring = 2215062000;  // 2040-03-11T07:00:00Z
  constexpr Epoch kNewYorkAutumn = 2235621600;  // 2040-11-04T06:00:00Z
  Zone new_york = zone("America/New_York");
  CHECK(new_york.offset_at(kJuly2040) == -4 * 3600);
  CHECK(new_york.offset_at(kNewYorkSpring - 1) == -5 * 3600);
  CHECK(new_york.offset_at(kNewYorkSpring) == -4 * 3600);
  CHECK(new_york.offset_at(kNewYorkAutumn) == -5 * 3600);
  CHECK(new_york.offset_at(253386446400) == -4 * 3600);  // 9999-07-01T12:00:00Z
  auto span = new_york.span_at(kJuly2040);
  CHECK(span.begin == kNewYorkSpring);
  CHECK(span.end == kNewYorkAutumn);
  CHECK(span.offset == -4 * 3600);
  CHECK(zone("Australia/Sydney").offset_at(kJuly2040) == 10 * 3600);
  CHECK(zone("Europe/Dublin").offset_at(kJuly2040) == 3600);  // negative DST: IST in summer
  CHECK(zone("Europe/Dublin").offset_at(4109616000) == 0);    // 2100-03-25T00:00Z: GMT
  CHECK(trigger::format_rfc3339(2224756800, new_york) == "2040-07-01T08:00:00-04:00");

  // Local times: 02:30 on 2040-03-11 does not exist in New York, 01:30 on 2040-11-04 occurs
  // twice; Lord Howe skips 02:00-02:30 on 2040-10-07 and repeats 01:30-02:00 on 2041-04-07.
  auto gap = new_york.resolve_local(2215045800);
  CHECK(gap.kind == Zone::LocalInstants::kGap);
  CHECK(gap.first == kNewYorkSpring);
  CHECK_FALSE(new_york.from_local(2215045800));
  auto twice = new_york.resolve_local(2235605400);
  CHECK(twice.kind == Zone::LocalInstants::kRepeated);
  CHECK(twice.first == 2235605400 + 4 * 3600);
  CHECK(twice.second == 2235605400 + 5 * 3600);
  Zone lord_howe = zone("Australia/Lord_Howe");
  auto short_gap = lord_howe.resolve_local(2233180800 + 2 * 3600 + 15 * 60);
  CHECK(short_gap.kind == Zone::LocalInstants::kGap);
  CHECK(short_gap.first == 2233150200);  // 2040-10-06T15:30:00Z
  auto short_twice = lord_howe.resolve_local(2248905600 + 3600 + 45 * 60);
  CHECK(short_twice.kind == Zone::LocalInstants::kRepeated);
  CHECK(short_twice.first == 2248872300);   // 2041-04-06T14:45:00Z
  CHECK(short_twice.second == 2248874100);  // 2041-04-06T15:15:00Z
  auto parsed = trigger::parse_time("2040-07-01T12:00", kNow, new_york);
  REQUIRE(parsed.ok());
  CHECK(*parsed == 2224756800 + 4 * 3600);
}

// A zone named "localtime" (or TZ=localtime, TZ=:/etc/localtime) would follow the system's zone
// when it changes: it is resolved to the zone the link points to, or refused.
TEST_CASE("localtime and links to a zone are resolved to the zone's name", "[time]") {
  char pattern[] = "/tmp/trigger-zone-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  std::string dir = pattern;
  std::string absolute = dir + "/absolute", relative = dir + "/relative", hop = dir + "/hop",
              outside = dir + "/outside", plain = dir + "/plain";
  REQUIRE(symlink("/usr/share/zoneinfo/Asia/Tokyo", absolute.c_str()) == 0);
  REQUIRE(symlink("../../usr/share/zoneinfo/America/New_York", relative.c_str()) == 0);
  REQUIRE(symlink("absolute", hop.c_str()) == 0);
  REQUIRE(symlink("/etc/hostname", outside.c_str()) == 0);
  std::FILE* file = std::fopen(plain.c_str(), "w");
  REQUIRE(file != nullptr);
  std::fclose(file);
  CHECK(Zone::locate_link(absolute)->name() == "Asia/Tokyo");
  CHECK(Zone::locate_link(relative)->name() == "America/New_York");
  CHECK(Zone::locate_link(hop)->name() == "Asia/Tokyo");
  for (const std::string& bad : {outside, plain, dir + "/missing"}) {
    INFO(bad);
    auto refused = Zone::locate_link(bad);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind() == trigger::ErrorKind::kUsage);
    CHECK(refused.error().message() == "cannot resolve the time zone of '" + bad +
                                           "': not a symbolic link into a zoneinfo directory");
  }
  // The system's own link, read here the same way (never changed by the test).
  auto system = Zone::locate_link("/etc/localtime");
  auto local = Zone::locate("localtime");
  REQUIRE(system.ok() == local.ok());
  if (local.ok()) {
    CHECK(local->name() == system->name());
    CHECK(local->name() != "localtime");
  }
  const char* saved = std::getenv("TZ");
  std::string saved_value = saved ? saved : "";
  for (const char* tz : {"localtime", ":localtime", ":/etc/localtime", "/etc/localtime"}) {
    INFO(tz);
    setenv("TZ", tz, 1);
    auto found = Zone::system_default();
    REQUIRE(found.ok() == system.ok());
    if (found.ok()) CHECK(found->name() == system->name());
  }
  setenv("TZ", (":" + hop).c_str(), 1);
  CHECK(Zone::system_default()->name() == "Asia/Tokyo");
  if (saved) {
    setenv("TZ", saved_value.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  for (const std::string& path : {absolute, relative, hop, outside, plain}) unlink(path.c_str());
  rmdir(dir.c_str());
}

// A message quotes user text with its control characters escaped, so an error is one line.
TEST_CASE("errors quoting text with control characters stay on one line", "[time]") {
  auto parsed = trigger::parse_time("2026-12-01\n\tx\x1b\x7f", kNow, Zone::utc());
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().message() ==
        "invalid time '2026-12-01\\n\\tx\\x1b\\x7f': expected 'T' or a space after the date");
  auto zone = Zone::locate("Europe/\r\nBerlin");
  REQUIRE_FALSE(zone.ok());
  CHECK(zone.error().message() == "unknown time zone 'Europe/\\r\\nBerlin'");
  CHECK(trigger::one_line("plain text") == "plain text");
}
