// Import lines: one JSON line of `trigger import` (the output of `trigger export`) read into a
// trigger spec. Not public: cmd/import.cc reads files with it and test/fuzz calls it directly.
#pragma once

#include <string_view>

#include "trigger/trigger.h"

namespace trigger {

/// One import line as a trigger spec, not yet validated by build_trigger().
struct ImportLine {
  TriggerSpec spec;
  bool has_state = false;  ///< the line gave a state; without one an update keeps the trigger's
};

/// Read one JSON line of an import file. The clock and action texts are split into their specs
/// here; names, zones, policy values and labels are left to build_trigger(). kUsage naming the
/// bad field or value: not JSON, not an object, a missing clock or action, a field of the wrong
/// type, an unknown policy option.
Result<ImportLine> parse_import_line(std::string_view line);

}  // namespace trigger
