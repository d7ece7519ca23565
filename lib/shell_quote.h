// POSIX shell quoting for the canonical text of clocks and actions (not public: action.cc,
// clock.cc and calendar.cc write and read it).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "trigger/error.h"

namespace trigger {

/// Quote a word for a POSIX shell when it needs it: "a b" -> "'a b'", "ab" -> "ab".
std::string shell_quote(std::string_view word);

/// Split a line into words as a POSIX shell would (quotes and backslashes, no expansion).
/// kUsage naming the line if a quote is left open.
Result<std::vector<std::string>> shell_split(std::string_view line);

}  // namespace trigger
