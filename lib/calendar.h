// Calendar clocks (--cron, --daily, --monthly): wall-clock times in a zone, mapped to instants
// by the trigger's DST rule (not public; make_clock() builds them).
#pragma once

#include <memory>

#include "trigger/clock.h"

namespace trigger {

/// Build the calendar clock of `spec` (kind kCron, kDaily or kMonthly) in `zone`. Errors are
/// usage errors naming the option and its text.
Result<std::unique_ptr<const Clock>> make_calendar_clock(const ClockSpec& spec, Epoch set_epoch,
                                                         const Zone& zone);

}  // namespace trigger
