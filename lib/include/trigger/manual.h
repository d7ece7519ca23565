// The manual pages compiled into the library, for `trigger help` and applications that show them.
#pragma once

#include <string_view>

namespace trigger {

/// The mdoc source of the manual page `file_name` ("trigger.1", "trigger-list.1",
/// "trigger-clock.7"), or nullptr when no such page was compiled in. The text lives as long as
/// the program.
const char* manual_page(std::string_view file_name);

}  // namespace trigger
