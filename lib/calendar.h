// Calendar clocks (--cron, --daily, --monthly): wall-clock times in a zone, mapped to instants
// by the trigger's DST rule (not public). They implement the Clock interface of trigger/clock.h;
// the kinds table in clock.cc names these factories, never the other way round.
#pragma once

#include <memory>

#include "trigger/clock.h"

namespace trigger {

/// The factories of clock_kinds() (make_clock()'s contract) for --cron EXPR, --daily
/// HH:MM[:SS] and --monthly TIME. Errors are usage errors naming the option and its text.
Result<std::unique_ptr<const Clock>> make_cron_clock(const ClockSpec& spec, Epoch set_epoch,
                                                     const Zone& zone);
Result<std::unique_ptr<const Clock>> make_daily_clock(const ClockSpec& spec, Epoch set_epoch,
                                                      const Zone& zone);
Result<std::unique_ptr<const Clock>> make_monthly_clock(const ClockSpec& spec, Epoch set_epoch,
                                                        const Zone& zone);

}  // namespace trigger
