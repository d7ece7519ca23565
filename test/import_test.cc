#include "import.h"

#include <catch2/catch.hpp>

using trigger::parse_import_line;

TEST_CASE("an import line gives every field of the trigger spec", "[import]") {
  auto line = parse_import_line(
      R"({"name": "backup", "state": "paused", "clock": "--every 1h --from 2026-12-01T08:00:00Z",)"
      R"( "tz": "Europe/Berlin", "action": "-- /bin/echo 'two words'", "env": ["A=1"],)"
      R"( "cwd": "/tmp", "policy": {"retries": 2, "grace": "5m", "until": null},)"
      R"( "labels": {"team": "ops"}, "description": "ignored"})");
  REQUIRE(line.ok());
  const auto& spec = line->spec;
  CHECK(line->has_state);
  CHECK(spec.name == "backup");
  CHECK(spec.state == trigger::State::kPaused);
  CHECK(spec.clock.kind == trigger::ClockKind::kEvery);
  CHECK(spec.clock.value == "1h");
  CHECK(spec.clock.from == "2026-12-01T08:00:00Z");
  CHECK(spec.tz == "Europe/Berlin");
  CHECK(spec.action.kind == trigger::ActionKind::kProgram);
  CHECK(spec.action.argv == std::vector<std::string>{"/bin/echo", "two words"});
  CHECK(spec.action.env == std::vector<std::string>{"A=1"});
  CHECK(spec.action.cwd == "/tmp");
  // Whole numbers are written out; null leaves an option unset; options come in name order.
  CHECK(spec.policy == std::vector<std::pair<std::string, std::string>>{{"grace", "5m"},
                                                                          {"retries", "2"}});
  CHECK(spec.labels == std::vector<std::string>{"team=ops"});
}

TEST_CASE("an import line without state, name or zone leaves them to the update", "[import]") {
  auto line = parse_import_line(R"({"clock": "--never", "action": "--log hi"})");
  REQUIRE(line.ok());
  CHECK_FALSE(line->has_state);
  CHECK_FALSE(line->spec.name);
  CHECK_FALSE(line->spec.tz);
  CHECK(line->spec.state == trigger::State::kActive);
}

TEST_CASE("a bad import line is refused naming what is wrong", "[import]") {
  struct Case {
    const char* line;
    const char* message;
  };
  const Case cases[] = {
      {R"({"clock": "--never")", "not valid JSON (byte 20)"},
      {R"(["--never"])", "expected a JSON object"},
      // Found by test/fuzz/import_fuzz: was an uncaught exception, "internal error", exit 70.
      {R"({"clock": "--never", "action": "--log x", "n": 1e999})",
       "not valid JSON (number overflow parsing '1e999')"},
      {R"({"action": "--log x"})", "field 'clock' is missing"},
      {R"({"clock": "--never"})", "field 'action' is missing"},
      {R"({"clock": 5, "action": "--log x"})", "field 'clock' must be a string"},
      {R"({"clock": "sometimes", "action": "--log x"})", "not a clock: 'sometimes'"},
      {R"({"clock": "--never", "action": "--log x", "state": "sleeping"})", "'sleeping'"},
      {R"({"clock": "--never", "action": "--log x", "env": "A=1"})", "field 'env' must be"},
      {R"({"clock": "--never", "action": "--log x", "env": [1]})", "field 'env' must be"},
      {R"({"clock": "--never", "action": "--log x", "policy": []})",
       "field 'policy' must be an object"},
      {R"({"clock": "--never", "action": "--log x", "policy": {"speed": "fast"}})",
       "unknown policy option 'speed'"},
      {R"({"clock": "--never", "action": "--log x", "policy": {"grace": 1.5}})",
       "field 'grace' must be a string"},
      {R"({"clock": "--never", "action": "--log x", "labels": {"a": 1}})",
       "label 'a' must be a string"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.line);
    auto line = parse_import_line(c.line);
    REQUIRE_FALSE(line.ok());
    CHECK(line.error().kind() == trigger::ErrorKind::kUsage);
    CHECK_THAT(line.error().message(), Catch::Contains(c.message));
  }
}

// JSON parsers keep the last of two equal keys: a line that gives a field twice is refused,
// at any depth, naming the key.
TEST_CASE("an import line with a key twice is refused naming the key", "[import]") {
  struct Case {
    const char* line;
    const char* key;
  };
  const Case cases[] = {
      {R"({"clock":"--never","action":"--log x","clock":"--at +1h"})", "clock"},
      {R"({"clock":"--never","action":"--log x","policy":{"grace":"1m","grace":"2m"}})", "grace"},
      {R"({"clock":"--never","action":"--log x","labels":{"a":"1","a":"1"}})", "a"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    auto parsed = parse_import_line(c.line);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().message() == "key '" + std::string(c.key) + "' appears twice");
  }
  CHECK(parse_import_line(R"({"clock":"--never","action":"--log x","labels":{"clock":"1"}})").ok());
}
