#include "trigger/action.h"

#include <catch2/catch.hpp>

#include "shell_quote.h"

using trigger::Action;
using trigger::ActionKind;

TEST_CASE("shell_quote quotes only what needs it and shell_split reads it back", "[action]") {
  struct Case {
    const char* word;
    const char* quoted;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {"/usr/bin/backup", "/usr/bin/backup"},
      {"a b", "'a b'"},
      {"", "''"},
      {"it's", "'it'\\''s'"},
      {"$HOME", "'$HOME'"},
      {"--full", "--full"},
      {"k=v,x:y@z%+", "k=v,x:y@z%+"},
      {"tab\there", "'tab\there'"},
      {"line\nbreak", "'line\nbreak'"},
  };
  for (const auto& c : cases) {
    INFO(c.word);
    CHECK(trigger::shell_quote(c.word) == c.quoted);
    auto split = trigger::shell_split(trigger::shell_quote(c.word));
    REQUIRE(split.ok());
    REQUIRE(split->size() == 1);
    CHECK(split->front() == c.word);
  }
}

TEST_CASE("shell_split follows POSIX quoting without expansion", "[action]") {
  struct Case {
    const char* line;
    std::vector<std::string> words;
  };
  const Case cases[] = {
      {"", {}},
      {"  a   b ", {"a", "b"}},
      {"'a b' c", {"a b", "c"}},
      {"\"a \\\"b\\\" $x\"", {"a \"b\" $x"}},
      {"a\\ b", {"a b"}},
      {"x''y", {"xy"}},
      {"''", {""}},
      {"\"\\n\"", {"\\n"}},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    auto split = trigger::shell_split(c.line);
    REQUIRE(split.ok());
    CHECK(*split == c.words);
  }
  for (const char* bad : {"'open", "\"open", "trailing\\"}) {
    INFO(bad);
    CHECK_FALSE(trigger::shell_split(bad).ok());
  }
}

TEST_CASE("action text is the command-line form and reads back", "[action]") {
  struct Case {
    ActionKind kind;
    std::vector<std::string> argv;
    const char* text;
  };
  const Case cases[] = {
      {ActionKind::kLog, {"hi"}, "--log hi"},
      {ActionKind::kLog, {"hello world"}, "--log 'hello world'"},
      {ActionKind::kShell, {"echo $HOME | wc -c"}, "--sh 'echo $HOME | wc -c'"},
      {ActionKind::kProgram,
       {"/usr/bin/backup", "--full", "my docs"},
       "-- /usr/bin/backup --full 'my docs'"},
  };
  for (const auto& c : cases) {
    auto action = trigger::make_action(c.kind, c.argv);
    REQUIRE(action.ok());
    CHECK(action->text() == c.text);
    auto back = trigger::parse_action_text(c.text);
    REQUIRE(back.ok());
    CHECK(back->kind == c.kind);
    CHECK(back->argv == c.argv);
  }
}

TEST_CASE("bad actions are usage errors naming the value", "[action]") {
  struct Case {
    ActionKind kind;
    std::vector<std::string> argv;
    std::vector<std::string> env;
    std::optional<std::string> cwd;
    const char* message;
  };
  const Case cases[] = {
      {ActionKind::kLog, {""}, {}, std::nullopt, "--log: must not be empty"},
      {ActionKind::kShell, {""}, {}, std::nullopt, "--sh: must not be empty"},
      {ActionKind::kProgram, {}, {}, std::nullopt, "--: no program given"},
      {ActionKind::kProgram, {"", "x"}, {}, std::nullopt, "--: no program given"},
      {ActionKind::kLog, {"a", "b"}, {}, std::nullopt, "--log: takes one argument"},
      {ActionKind::kShell,
       {"true"},
       {"NOEQUALS"},
       std::nullopt,
       "--env 'NOEQUALS': expected NAME=VALUE"},
      {ActionKind::kShell, {"true"}, {"1X=2"}, std::nullopt, "--env '1X=2': expected NAME=VALUE"},
      {ActionKind::kShell, {"true"}, {"A-B=2"}, std::nullopt, "--env 'A-B=2': expected NAME=VALUE"},
      {ActionKind::kShell,
       {"true"},
       {"TRIGGER_ID=3"},
       std::nullopt,
       "--env 'TRIGGER_ID=3': TRIGGER_ variables are set by trigger"},
      {ActionKind::kShell,
       {"true"},
       {},
       std::string("relative/dir"),
       "--cwd 'relative/dir': must be an absolute path"},
      {ActionKind::kShell, {"true"}, {}, std::string(""), "--cwd '': must be an absolute path"},
      {ActionKind::kLog,
       {"hi"},
       {"A=1"},
       std::nullopt,
       "--env applies only to --sh and program actions, not --log"},
      {ActionKind::kLog,
       {"hi"},
       {},
       std::string("/tmp"),
       "--cwd applies only to --sh and program actions, not --log"},
      {ActionKind::kLog, {std::string("a\0b", 3)}, {}, std::nullopt, "--log: contains a NUL byte"},
  };
  for (const auto& c : cases) {
    INFO(c.message);
    auto action = trigger::make_action(c.kind, c.argv, c.env, c.cwd);
    REQUIRE_FALSE(action.ok());
    CHECK(action.error().kind() == trigger::ErrorKind::kUsage);
    CHECK(action.error().message() == c.message);
  }
}

TEST_CASE("environment and directory are kept with a command action", "[action]") {
  auto action = trigger::make_action(ActionKind::kShell, {"make"}, {"A=1", "B=x=y", "C="},
                                     std::string("/srv/build"));
  REQUIRE(action.ok());
  CHECK(action->env == std::vector<std::string>{"A=1", "B=x=y", "C="});
  CHECK(action->cwd == "/srv/build");
  CHECK(action->text() == "--sh make");
}
