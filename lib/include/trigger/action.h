// Actions: what a trigger does when it fires (SPEC §5).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trigger/error.h"

namespace trigger {

enum class ActionKind {
  kLog,      ///< record a message in the history
  kShell,    ///< run /bin/sh -c SCRIPT
  kProgram,  ///< run PROGRAM ARGS..., no shell
};

/// A validated action: its kind, its words (the message, the script, or program and arguments),
/// and the per-trigger environment additions and working directory.
struct Action {
  ActionKind kind = ActionKind::kLog;
  std::vector<std::string> argv;
  std::vector<std::string> env;  ///< "KEY=VALUE", in the order given
  std::optional<std::string> cwd;

  /// The action as command-line options, shell-quoted: "--log 'hi'", "-- /bin/backup --full".
  /// Environment and directory are not part of it (they have their own fields).
  std::string text() const;
};

/// Build an action of `kind` from its words; then add `env` ("K=V" each) and `cwd`.
/// kUsage naming the bad value: an empty message, script or program, a bad variable, a
/// relative or empty directory.
Result<Action> make_action(ActionKind kind, std::vector<std::string> argv,
                           std::vector<std::string> env = {},
                           std::optional<std::string> cwd = std::nullopt);

/// Read Action::text() back. kUsage naming the text if it is not an action.
Result<Action> parse_action_text(std::string_view text);

}  // namespace trigger
