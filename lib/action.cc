#include "trigger/action.h"

#include "shell_quote.h"
#include "text.h"

namespace trigger {
namespace {

bool is_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool has_nul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

std::string_view option_of(ActionKind kind) {
  switch (kind) {
    case ActionKind::kLog:
      return "--log";
    case ActionKind::kShell:
      return "--sh";
    case ActionKind::kProgram:
      return "--";
  }
  return "--";
}

}  // namespace

std::string Action::text() const {
  std::string out(option_of(kind));
  for (const auto& word : argv) out += " " + shell_quote(word);
  return out;
}

Result<Action> make_action(ActionKind kind, std::vector<std::string> argv,
                           std::vector<std::string> env, std::optional<std::string> cwd) {
  std::string option(option_of(kind));
  if (argv.empty() || argv[0].empty()) {
    return usage_error(option + ": " +
                       (kind == ActionKind::kProgram ? "no program given" : "must not be empty"));
  }
  if (kind != ActionKind::kProgram && argv.size() != 1) {
    return usage_error(option + ": takes one argument");
  }
  for (const auto& word : argv) {
    if (has_nul(word)) return usage_error(option + ": contains a NUL byte");
  }
  if (kind == ActionKind::kLog && (!env.empty() || cwd)) {
    return usage_error(std::string(!env.empty() ? "--env" : "--cwd") +
                       " applies only to --sh and program actions, not --log");
  }
  for (const auto& assignment : env) {
    auto equals = assignment.find('=');
    std::string_view name = std::string_view(assignment).substr(0, equals);
    if (equals == std::string::npos || !is_env_name(name) || has_nul(assignment)) {
      return usage_error("--env " + in_quotes(assignment) + ": expected NAME=VALUE");
    }
    if (starts_with(name, "TRIGGER_")) {
      return usage_error("--env " + in_quotes(assignment) +
                         ": TRIGGER_ variables are set by trigger");
    }
  }
  if (cwd && (cwd->empty() || (*cwd)[0] != '/' || has_nul(*cwd))) {
    return usage_error("--cwd " + in_quotes(cwd ? *cwd : "") + ": must be an absolute path");
  }
  Action action;
  action.kind = kind;
  action.argv = std::move(argv);
  action.env = std::move(env);
  action.cwd = std::move(cwd);
  return action;
}

Result<Action> parse_action_text(std::string_view text) {
  auto words = shell_split(text);
  if (!words || words->empty()) return usage_error("not an action: " + in_quotes(text));
  std::vector<std::string> rest(words->begin() + 1, words->end());
  const std::string& head = words->front();
  if (head == "--log") return make_action(ActionKind::kLog, std::move(rest));
  if (head == "--sh") return make_action(ActionKind::kShell, std::move(rest));
  if (head == "--") return make_action(ActionKind::kProgram, std::move(rest));
  return usage_error("not an action: " + in_quotes(text));
}

}  // namespace trigger
