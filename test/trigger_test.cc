#include "trigger/trigger.h"

#include <unistd.h>

#include <catch2/catch.hpp>

using trigger::ClockKind;
using trigger::Epoch;
using trigger::State;
using trigger::TriggerSpec;
using trigger::Zone;

namespace {

constexpr Epoch kNow = 1800000000;  // 2027-01-15T08:00:00Z

TriggerSpec every_hour() {
  TriggerSpec spec;
  spec.name = "hourly";
  spec.clock = {ClockKind::kEvery, "1h", std::nullopt};
  spec.tz = "UTC";
  auto action = trigger::make_action(trigger::ActionKind::kLog, {"tick"});
  REQUIRE(action.ok());
  spec.action = *action;
  return spec;
}

}  // namespace

TEST_CASE("names are letters, digits, '.', '_' and '-', never all digits", "[trigger]") {
  for (const std::string& good :
       {std::string("a"), std::string("backup"), std::string("db.nightly"), std::string("A_1-b"),
        std::string("9lives"), std::string(64, 'x')}) {
    INFO(good);
    CHECK(trigger::check_name(good).ok());
  }
  struct Case {
    std::string name;
    const char* reason;
  };
  const Case cases[] = {
      {"", "empty"},
      {"123", "all digits (it would read as an id)"},
      {std::string(65, 'x'), "longer than 64 characters"},
      {"-x", "must start with a letter or digit"},
      {".hidden", "must start with a letter or digit"},
      {"a b", "use only letters, digits, '.', '_' and '-'"},
      {"a/b", "use only letters, digits, '.', '_' and '-'"},
      {"caf\xc3\xa9", "use only letters, digits, '.', '_' and '-'"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto status = trigger::check_name(c.name);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().message() == "invalid name '" + c.name + "': " + c.reason);
  }
}

TEST_CASE("policy options parse, and print back to the same text", "[trigger]") {
  struct Case {
    const char* option;
    const char* value;
    const char* text;  // as policy_option_text prints it
  };
  const Case cases[] = {
      {"misfire", "all", "all"},
      {"misfire", "skip", "skip"},
      {"grace", "90", "1m30s"},
      {"overlap", "queue", "queue"},
      {"overlap", "allow", "allow"},
      {"timeout", "2h", "2h"},
      {"timeout", "none", "none"},
      {"retries", "3", "3"},
      {"retries", "0", "0"},
      {"backoff", "1m", "1m"},
      {"jitter", "0", "0"},
      {"jitter", "5m", "5m"},
      {"dst", "once", "once"},
      {"dst", "literal", "literal"},
      {"until", "2027-02-01T00:00:00Z", "2027-02-01T00:00:00Z"},
      {"max-runs", "10", "10"},
      {"history-keep", "400d", "400d"},
      {"history-keep", "1w", "7d"},
      {"history-keep", "1d1s", "1d1s"},
      {"history-keep", "1s", "1s"},
      {"history-runs", "1", "1"},
      {"history-runs", "10000", "10000"},
      {"lock", "db", "db"},
      {"lock", "x,db,x", "db,x"},
      {"user", "nobody", "nobody"},
      {"user", "www-data", "www-data"},
  };
  for (const auto& c : cases) {
    INFO(c.option << " " << c.value);
    trigger::Policy policy;
    REQUIRE(trigger::set_policy_option(policy, c.option, c.value, kNow, Zone::utc()).ok());
    auto text = trigger::policy_option_text(policy, c.option, Zone::utc());
    REQUIRE(text.has_value());
    CHECK(*text == c.text);
    trigger::Policy again;
    REQUIRE(trigger::set_policy_option(again, c.option, *text, kNow, Zone::utc()).ok());
    CHECK(trigger::policy_option_text(again, c.option, Zone::utc()) == text);
  }
}

TEST_CASE("the default policy is SPEC §6's", "[trigger]") {
  trigger::Policy policy;
  std::vector<std::string> texts;
  for (auto option : trigger::policy_option_names()) {
    texts.push_back(trigger::policy_option_text(policy, option, Zone::utc()).value_or("unset"));
  }
  // No timeout (issue 11), as cron, systemd's oneshot services and Kubernetes jobs.
  CHECK(texts == std::vector<std::string>{"latest", "5m", "skip", "none", "0", "30s", "0", "auto",
                                          "unset", "unset", "unset", "30d", "10", "unset",
                                          "unset"});
}

TEST_CASE("--lock adds names, sorted and each once; '' clears; a bad name is refused",
          "[trigger][lock]") {
  trigger::Policy policy;
  REQUIRE(trigger::set_policy_option(policy, "lock", "b", kNow, Zone::utc()).ok());
  REQUIRE(trigger::set_policy_option(policy, "lock", "a,b", kNow, Zone::utc()).ok());
  CHECK(policy.locks == std::vector<std::string>{"a", "b"});
  REQUIRE(trigger::set_policy_option(policy, "lock", "", kNow, Zone::utc()).ok());
  CHECK(policy.locks.empty());
  for (const char* bad : {",", "a,", "-a", "a b", "a/b"}) {
    INFO(bad);
    auto refused = trigger::set_policy_option(policy, "lock", bad, kNow, Zone::utc());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind() == trigger::ErrorKind::kUsage);
  }
  CHECK(trigger::set_policy_option(policy, "lock", std::string(65, 'a'), kNow, Zone::utc())
            .error()
            .message()
            .find("invalid lock name") != std::string::npos);
  CHECK(policy.locks.empty());  // a refused value changes nothing
}

TEST_CASE("bad policy values are usage errors naming the option and value", "[trigger]") {
  struct Case {
    const char* option;
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"misfire", "sometimes", "--misfire 'sometimes': expected one of all, latest, skip"},
      {"overlap", "", "--overlap '': expected one of skip, queue, allow"},
      {"dst", "AUTO", "--dst 'AUTO': expected one of auto, once, literal"},
      {"grace", "0", "--grace: invalid duration '0': must be more than zero"},
      {"timeout", "forever", "--timeout: invalid duration 'forever': expected a number"},
      {"backoff", "-1s", "--backoff: invalid duration '-1s': must be positive"},
      {"jitter", "x", "--jitter: invalid duration 'x': expected a number"},
      {"retries", "-1", "--retries '-1': expected a whole number from 0 to 100"},
      {"retries", "101", "--retries '101': expected a whole number from 0 to 100"},
      {"retries", "1e3", "--retries '1e3': expected a whole number from 0 to 100"},
      {"max-runs", "0", "--max-runs '0': expected a whole number from 1 to 999999"},
      {"until", "later",
       "--until: invalid time 'later': expected now, @EPOCH, "
       "YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], +DURATION or -DURATION"},
      {"history-keep", "0", "--history-keep: invalid duration '0': must be more than zero"},
      {"history-keep", "forever", "--history-keep: invalid duration 'forever': expected a number"},
      {"history-runs", "-1", "--history-runs '-1': expected a whole number from 1 to 10000"},
      {"history-runs", "10001", "--history-runs '10001': expected a whole number from 1 to 10000"},
      {"user", "a:b", "--user 'a:b': expected a user name ('' for none)"},
      {"user", "-r", "--user '-r': expected a user name ('' for none)"},
      {"user", "two words", "--user 'two words': expected a user name ('' for none)"},
      {"colour", "red", "unknown policy option 'colour'"},
  };
  for (const auto& c : cases) {
    INFO(c.option << " " << c.value);
    trigger::Policy policy;
    auto status = trigger::set_policy_option(policy, c.option, c.value, kNow, Zone::utc());
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind() == trigger::ErrorKind::kUsage);
    CHECK(status.error().message() == c.message);
  }
}

TEST_CASE("build_trigger resolves the zone and sets the clock at now", "[trigger]") {
  auto spec = every_hour();
  spec.tz = "Europe/Berlin";
  spec.policy = {{"misfire", "all"}, {"retries", "2"}};
  spec.labels = {"team=ops", "tier=1"};
  auto built = trigger::build_trigger(spec, kNow);
  REQUIRE(built.ok());
  CHECK(built->name == "hourly");
  CHECK(built->tz == "Europe/Berlin");
  CHECK(built->state == State::kActive);
  CHECK(built->clock == "--every 1h --from 2027-01-15T09:00:00+01:00");
  CHECK(built->clock_set_epoch == kNow);
  CHECK(built->policy.misfire == trigger::Misfire::kAll);
  CHECK(built->policy.retries == 2);
  CHECK(built->labels == std::map<std::string, std::string>{{"team", "ops"}, {"tier", "1"}});
  auto next = trigger::next_fire_time(*built);
  REQUIRE(next.ok());
  CHECK(*next == kNow + 3600);
}

TEST_CASE("--user is set by root alone, to a user the password database knows", "[trigger]") {
  auto spec = every_hour();
  spec.policy = {{"user", "nobody"}};
  auto built = trigger::build_trigger(spec, kNow);
  if (getuid() != 0 || geteuid() != 0) {
    REQUIRE_FALSE(built.ok());
    CHECK(built.error().kind() == trigger::ErrorKind::kUnsafe);
    CHECK(built.error().message() == "--user 'nobody': only root can run commands as another user");
    return;
  }
  REQUIRE(built.ok());
  CHECK(built->policy.user == "nobody");
  spec.policy = {{"user", "no-such-user-here"}};
  built = trigger::build_trigger(spec, kNow);
  REQUIRE_FALSE(built.ok());
  CHECK(built.error().kind() == trigger::ErrorKind::kUsage);
  CHECK(built.error().message() ==
        "--user 'no-such-user-here': no user 'no-such-user-here' in "
        "the password database");
  spec.policy = {{"user", "nobody"}, {"user", ""}};  // '' clears it, and needs nothing
  built = trigger::build_trigger(spec, kNow);
  REQUIRE(built.ok());
  CHECK_FALSE(built->policy.user.has_value());
}

TEST_CASE("build_trigger refuses what could never fire or is malformed", "[trigger]") {
  struct Case {
    void (*edit)(TriggerSpec&);
    const char* message;
  };
  const Case cases[] = {
      {[](TriggerSpec& s) {
         s.clock = {ClockKind::kAt, "2027-01-15T07:59:59Z", std::nullopt};
       },
       "--at '2027-01-15T07:59:59Z': is not after now (it could never fire)"},
      {[](TriggerSpec& s) {
         s.clock = {ClockKind::kAt, "now", std::nullopt};
       },
       "--at 'now': is not after now (it could never fire)"},
      {[](TriggerSpec& s) {
         s.policy = {{"until", "-1m"}};
       },
       "--until '2027-01-15T07:59:00Z': is not after now (the trigger would be done before it "
       "starts)"},
      {[](TriggerSpec& s) {
         s.policy = {{"until", "+30m"}};
       },
       "--until '2027-01-15T08:30:00Z': is before the first fire time '2027-01-15T09:00:00Z'"},
      {[](TriggerSpec& s) {
         s.clock = {ClockKind::kEvery, "418000w", std::nullopt};
       },
       "clock '--every 418000w --from 2027-01-15T08:00:00Z' has no fire time after now"},
      {[](TriggerSpec& s) { s.name = "12"; },
       "invalid name '12': all digits (it would read as an id)"},
      {[](TriggerSpec& s) { s.tz = "Mars/Olympus"; }, "--tz: unknown time zone 'Mars/Olympus'"},
      {[](TriggerSpec& s) { s.labels = {"novalue"}; },
       "--label 'novalue': expected KEY=VALUE, KEY of letters, digits, '.', '_', '-', '/'"},
      {[](TriggerSpec& s) { s.labels = {"a b=c"}; },
       "--label 'a b=c': expected KEY=VALUE, KEY of letters, digits, '.', '_', '-', '/'"},
      {[](TriggerSpec& s) {
         s.labels = {"k=1", "k=2"};
       },
       "--label 'k=2': label 'k' given twice"},
      {[](TriggerSpec& s) {
         s.policy = {{"retries", "many"}};
       },
       "--retries 'many': expected a whole number from 0 to 100"},
  };
  for (const auto& c : cases) {
    INFO(c.message);
    auto spec = every_hour();
    c.edit(spec);
    auto built = trigger::build_trigger(spec, kNow);
    REQUIRE_FALSE(built.ok());
    CHECK(built.error().kind() == trigger::ErrorKind::kUsage);
    CHECK(built.error().message() == c.message);
  }
}

TEST_CASE("finished triggers may be rebuilt with clocks that no longer fire (import)",
          "[trigger]") {
  auto spec = every_hour();
  spec.clock = {ClockKind::kAt, "2020-01-01T00:00:00Z", std::nullopt};
  spec.state = State::kDone;
  auto built = trigger::build_trigger(spec, kNow);
  REQUIRE(built.ok());
  CHECK(built->state == State::kDone);
  auto next = trigger::next_fire_time(*built);
  REQUIRE(next.ok());
  CHECK_FALSE(next->has_value());
}

TEST_CASE("the next fire time comes from the event row once run-once scheduled it", "[trigger]") {
  auto built = trigger::build_trigger(every_hour(), kNow);
  REQUIRE(built.ok());
  auto predicted = trigger::next_fire_time(*built);
  REQUIRE(predicted.ok());
  CHECK(*predicted == kNow + 3600);
  built->scheduled = true;
  built->next_event_epoch = kNow + 7200;
  auto scheduled = trigger::next_fire_time(*built);
  REQUIRE(scheduled.ok());
  CHECK(*scheduled == kNow + 7200);
  built->state = State::kPaused;
  auto paused = trigger::next_fire_time(*built);
  REQUIRE(paused.ok());
  CHECK_FALSE(paused->has_value());
}

TEST_CASE("upcoming fire times stop at --until", "[trigger]") {
  auto spec = every_hour();
  spec.policy = {{"until", "+3h"}};
  auto built = trigger::build_trigger(spec, kNow);
  REQUIRE(built.ok());
  auto clock = trigger::trigger_clock(*built);
  REQUIRE(clock.ok());
  CHECK(trigger::upcoming_fire_times(**clock, kNow, 10, built->policy) ==
        std::vector<Epoch>{kNow + 3600, kNow + 7200, kNow + 10800});
}

TEST_CASE("a trigger whose zone vanished from the system reports it by name", "[trigger]") {
  auto built = trigger::build_trigger(every_hour(), kNow);
  REQUIRE(built.ok());
  built->id = 7;
  built->tz = "Gone/Zone";
  auto clock = trigger::trigger_clock(*built);
  REQUIRE_FALSE(clock.ok());
  CHECK(clock.error().message() ==
        "trigger 7: its time zone 'Gone/Zone' is no longer known to this system");
}

TEST_CASE("whole-number options share one parser with one message", "[trigger]") {
  struct Case {
    const char* text;
    std::int64_t min, max;
    std::optional<std::int64_t> value;  // nullopt: refused
  };
  const Case cases[] = {
      {"5", 1, 256, 5},          {"256", 1, 256, 256},   {"257", 1, 256, std::nullopt},
      {"0", 1, 256, std::nullopt}, {"0", 0, 100, 0},     {"0005", 1, 256, 5},
      {"", 1, 256, std::nullopt}, {"-1", 0, 100, std::nullopt}, {"+1", 0, 100, std::nullopt},
      {"1.5", 0, 100, std::nullopt}, {" 1", 0, 100, std::nullopt},
      {"99999999999999999999", 1, 9999999, std::nullopt},  // would overflow
      {"9999999", 1, 9999999, 9999999},
  };
  for (const auto& c : cases) {
    INFO("'" << c.text << "' in " << c.min << ".." << c.max);
    auto parsed = trigger::parse_whole_number("jobs", c.text, c.min, c.max);
    if (c.value) {
      REQUIRE(parsed.ok());
      CHECK(*parsed == *c.value);
    } else {
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.error().kind() == trigger::ErrorKind::kUsage);
      CHECK(parsed.error().message() == "--jobs '" + std::string(c.text) +
                                            "': expected a whole number from " +
                                            std::to_string(c.min) + " to " +
                                            std::to_string(c.max));
    }
  }
}

TEST_CASE("the clock cache tells apart clocks set at different times only for kinds that read it",
          "[trigger][clock]") {
  trigger::ClockCache cache;
  auto trigger_at = [](const char* clock, Epoch set_epoch) {
    trigger::Trigger t;
    t.clock = clock;
    t.tz = "UTC";
    t.clock_set_epoch = set_epoch;
    return t;
  };
  // --every without --from takes its phase from its setting: two settings, two clocks.
  auto on_the_hour = cache.get(trigger_at("--every 1h", 0));
  auto on_the_half_hour = cache.get(trigger_at("--every 1h", 1800));
  REQUIRE(on_the_hour.ok());
  REQUIRE(on_the_half_hour.ok());
  CHECK((*on_the_hour)->first_after(1800) == 3600);
  CHECK((*on_the_half_hour)->first_after(1800) == 5400);
  // A calendar clock's text says it all: triggers set at different times share one.
  auto daily = cache.get(trigger_at("--daily 09:00", 0));
  auto daily_later = cache.get(trigger_at("--daily 09:00", 1800));
  REQUIRE(daily.ok());
  REQUIRE(daily_later.ok());
  CHECK(daily->get() == daily_later->get());
}

TEST_CASE("a new zone keeps --monthly's wall-clock time and --every's instants",
          "[trigger][clock]") {
  struct Case {
    trigger::ClockSpec clock;
    const char* in_new_zone;
  };
  const Case cases[] = {
      {{ClockKind::kMonthly, "2027-01-20T09:00", std::nullopt},
       "--monthly 2027-01-20T09:00:00-05:00"},
      {{ClockKind::kEvery, "1h", std::string("2027-01-20T09:00")},
       "--every 1h --from 2027-01-20T03:00:00-05:00"},
      {{ClockKind::kDaily, "09:00", std::nullopt}, "--daily 09:00"},
  };
  for (const auto& c : cases) {
    INFO(c.in_new_zone);
    auto spec = every_hour();
    spec.clock = c.clock;
    spec.tz = "Europe/Berlin";
    auto built = trigger::build_trigger(spec, kNow);
    REQUIRE(built.ok());
    trigger::ScheduleChange change;
    change.tz = "America/New_York";
    auto moved = trigger::reschedule_trigger(*built, change, kNow + 60);
    REQUIRE(moved.ok());
    CHECK(moved->clock == c.in_new_zone);
  }
}

TEST_CASE("a retention change alone keeps a done or cancelled trigger as it is", "[trigger]") {
  auto spec = every_hour();
  auto built = trigger::build_trigger(spec, kNow);
  REQUIRE(built.ok());
  for (auto state : {trigger::State::kDone, trigger::State::kCancelled, trigger::State::kPaused}) {
    INFO(trigger::to_string(state));
    trigger::Trigger current = *built;
    current.state = state;
    trigger::ScheduleChange change;
    change.policy = {{"history-runs", "100"}, {"history-keep", "1y"}};
    CHECK(trigger::reschedule_trigger(current, change, kNow + 60).error().message() ==
          "--history-keep: invalid duration '1y': unknown unit 'y' (use s, m, min, h, d, w)");
    change.policy = {{"history-runs", "100"}, {"history-keep", "400d"}};
    auto changed = trigger::reschedule_trigger(current, change, kNow + 60);
    REQUIRE(changed.ok());
    CHECK(changed->state == state);
    CHECK(changed->clock_set_epoch == current.clock_set_epoch);
    CHECK(changed->policy.history_runs == 100);
    CHECK(changed->policy.history_keep_seconds == 400 * 86400);
    CHECK(changed->updated_epoch == kNow + 60);
    // With anything else, a cancelled trigger is refused and a done one is active again.
    change.policy.emplace_back("retries", "1");
    auto moved = trigger::reschedule_trigger(current, change, kNow + 60);
    if (state == trigger::State::kCancelled) {
      CHECK_FALSE(moved.ok());
    } else {
      REQUIRE(moved.ok());
      CHECK(moved->state == (state == trigger::State::kDone ? trigger::State::kActive : state));
    }
  }
}
