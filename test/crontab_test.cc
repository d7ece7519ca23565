// lib/crontab.cc: what the conversion makes of a crontab under the facts of a machine that the
// end-to-end tests (test/crontab_test.py) cannot choose: a mail command, the boot clock, the
// run-as option, other users.
#include "trigger/crontab.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace {

constexpr trigger::Epoch kNow = 1796112000;  // 2026-12-01T08:00:00Z

trigger::CrontabOptions machine() {
  trigger::CrontabOptions options;
  options.importing_user = "alice";
  options.home_of = [](const std::string& user) -> std::optional<std::string> {
    if (user == "alice" || user == "bob") return "/home/" + user;
    return std::nullopt;
  };
  options.now = kNow;
  return options;
}

// The one record `text` converts to, as JSON; fails the test on an error.
nlohmann::json one(std::string_view text, const trigger::CrontabOptions& options = machine()) {
  auto converted = trigger::convert_crontab(text, options);
  REQUIRE(converted.ok());
  REQUIRE(converted->records.size() == 1);
  return nlohmann::json::parse(converted->records[0].json);
}

std::string refusal(std::string_view text, const trigger::CrontabOptions& options = machine()) {
  auto converted = trigger::convert_crontab(text, options);
  REQUIRE_FALSE(converted.ok());
  CHECK(converted.error().kind() == trigger::ErrorKind::kData);
  return converted.error().message();
}

}  // namespace

TEST_CASE("MAILTO mails a failure through the mail command there is", "[crontab]") {
  auto options = machine();
  options.mailer = "/usr/bin/mail";
  auto line = one("MAILTO=ops@example.com, dev@example.com\n@daily /usr/bin/backup\n", options);
  std::string name = line["name"];
  CHECK(line["policy"]["on-failure-sh"] ==
        "/usr/bin/mail -s 'trigger: " + name + " failed' ops@example.com dev@example.com");
  options.mailer = "/usr/sbin/sendmail";
  line = one("MAILTO=ops@example.com\n@daily /usr/bin/backup\n", options);
  CHECK(line["policy"]["on-failure-sh"] ==
        "{ printf 'To: %s\\nSubject: %s\\n\\n' ops@example.com 'trigger: " + name +
            " failed'; cat; } | /usr/sbin/sendmail -i ops@example.com");
  // MAILTO="" mails nothing; neither does no MAILTO (cron mails run-once's own report).
  CHECK(one("MAILTO=\"\"\n@daily /usr/bin/backup\n", options)["policy"].empty());
  CHECK(one("@daily /usr/bin/backup\n", options)["policy"].empty());
  CHECK(refusal("MAILTO=-oQ/tmp\n", options) == "line 1: MAILTO address '-oQ/tmp' starts with '-'");
}

TEST_CASE("@reboot becomes the boot clock", "[crontab]") {
  auto options = machine();
  auto line = one("@reboot /usr/bin/warm\n", options);
  CHECK(line["clock"] == "--on-boot");
  CHECK(line["policy"].empty());
}

TEST_CASE("the user field of another user becomes --user", "[crontab]") {
  auto options = machine();
  options.system = true;
  auto own = one("0 1 * * * alice /usr/bin/x\n", options);
  CHECK(own["policy"].empty());
  CHECK(own["cwd"] == "/home/alice");
  auto other = one("0 1 * * * bob /usr/bin/x\n", options);
  CHECK(other["policy"]["user"] == "bob");
  CHECK(other["cwd"] == "/home/bob");  // cron runs a command in its user's HOME
  CHECK(refusal("0 1 * * * carol /usr/bin/x\n", options) == "line 1: no such user 'carol'");
  CHECK(refusal("@daily\n", options) == "line 1: no user name after the time fields");
  // The user is part of the name: the same command for two users is two triggers.
  CHECK(one("0 1 * * * bob /usr/bin/x\n", options)["name"] != own["name"]);
}

TEST_CASE("names come from the program a command runs", "[crontab]") {
  struct Case {
    const char* command;
    const char* slug;
  } cases[] = {
      {"/usr/local/bin/healthcheck >/dev/null 2>&1", "healthcheck-"},
      {"cd /srv/app && ./bin/sync-orders --since 4h", "sync-orders-"},
      {"[ \"$(date +\\%d)\" -le 7 ] && /usr/local/bin/monthly-report", "monthly-report-"},
      {"FOO=1 nice -n 5 /usr/bin/compress logs", "compress-"},
      {"test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }",
       "run-parts-"},
      {"(echo hi; date) | logger", "echo-"},
      {"/usr/bin/backup `hostname` $(date +\\%F)", "backup-"},
      {"'/opt/My Tool/run!'", "run-"},
  };
  for (const auto& c : cases) {
    INFO(c.command);
    std::string name = one(std::string("@daily ") + c.command + "\n")["name"];
    CHECK(name.substr(0, name.size() - 6) == c.slug);
  }
}

TEST_CASE("the % rule: the command, then standard input with newlines", "[crontab]") {
  struct Case {
    const char* command;
    const char* action;
  } cases[] = {
      {"date +\\%F", "--sh 'date +%F'"},
      {"echo a\\\\b", "--sh 'echo a\\\\b'"},
      {"cat%", "--sh cat"},  // nothing after the %: no input
      {"cat%x", "--sh 'printf '\\''x\\n'\\'' | /bin/sh -c '\\''cat'\\'''"},
      {"cat%-n", "--sh 'printf -- '\\''-n\\n'\\'' | /bin/sh -c '\\''cat'\\'''"},
      {"mail -s hi joe%Joe,%%Where\\%?\\x%",
       "--sh 'printf '\\''Joe,\\n\\nWhere%%?\\\\x\\n'\\'' | /bin/sh -c '\\''mail -s hi joe'\\'''"},
  };
  for (const auto& c : cases) {
    INFO(c.command);
    CHECK(one(std::string("@daily ") + c.command + "\n")["action"] == c.action);
  }
}

TEST_CASE("a fixed-time job is checked against the gaps of its zone", "[crontab]") {
  // Two matches in Berlin's skipped hour (02:00-03:00, its end included) cannot be expressed.
  CHECK(refusal("CRON_TZ=Europe/Berlin\n0 2,3 * * *  x\n") ==
        "line 2: a fixed-time job that matches 2 times in the hour skipped on 2027-03-28 in "
        "Europe/Berlin: Debian cron runs it that often after the change, trigger once");
  // Days count: 28 March 2027 is a Sunday, the 1st never has a change in Berlin.
  CHECK(one("CRON_TZ=Europe/Berlin\n0,30 2 1 * *  x\n")["policy"].empty());
  CHECK(one("CRON_TZ=America/New_York\n0,30 2 * * 1-6  x\n")["policy"].empty());
  // Wildcard jobs (a minute or hour field starting with '*') are literal: no check needed.
  CHECK(one("CRON_TZ=Europe/Berlin\n*/15 2 * * *  x\n")["policy"]["dst"] == "literal");
  // A fixed-time job whose hour field allows every hour is once, not trigger's auto (literal).
  CHECK(one("CRON_TZ=Europe/Berlin\n30 0-23 * * *  x\n")["policy"]["dst"] == "once");
}
